//! The planner: pure functions from a pipeline declaration (and the action executions an
//! execution already has) to what runs in which order.
//!
//! Stages run in series; within a stage, actions are grouped by `runOrder` (ascending; gaps do
//! not matter) and the actions of one group run in parallel. A ROLLBACK execution runs one
//! stage. An execution that re-enters a stage (a retry, or a restart) carries the artifacts and
//! namespaces of its succeeded actions in, and the stage reuses the runs it keeps: a
//! FAILED_ACTIONS retry keeps the succeeded actions of the stage, ALL_ACTIONS none.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::records::{ActionRecord, ArtifactLocation, ExecutionRecord};
use super::spec::{PipelineSpec, StageSpec};
use super::status::{ActionExecutionStatus, RetryMode, StageExecutionStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub stages: Vec<StagePlan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePlan {
    pub name: String,
    /// Indices into the stage's actions, one list per runOrder group, in run order.
    pub groups: Vec<Vec<usize>>,
}

pub fn plan(spec: &PipelineSpec) -> Plan {
    let stages = spec
        .stages
        .iter()
        .map(|stage| {
            let mut orders: Vec<u32> = stage.actions.iter().map(|a| a.run_order).collect();
            orders.sort_unstable();
            orders.dedup();
            let groups = orders
                .iter()
                .map(|order| {
                    stage
                        .actions
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.run_order == *order)
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect();
            StagePlan {
                name: stage.name.clone(),
                groups,
            }
        })
        .collect();
    Plan { stages }
}

/// The stages an execution runs: all of them, or only the one a rollback names.
pub fn stage_range(plan: &Plan, only: Option<&str>) -> Range<usize> {
    match only {
        None => 0..plan.stages.len(),
        Some(name) => match plan.stages.iter().position(|s| s.name == name) {
            Some(i) => i..i + 1,
            None => 0..0,
        },
    }
}

/// Adds artifacts, each replacing an earlier one of the same name (a re-run's outputs replace
/// the earlier run's; actions look their inputs up by name).
pub fn merge_artifacts(
    into: &mut Vec<ArtifactLocation>,
    new: impl IntoIterator<Item = ArtifactLocation>,
) {
    for a in new {
        into.retain(|x| x.name != a.name);
        into.push(a);
    }
}

/// What an execution carries into the stage it (re)enters.
#[derive(Debug, Default)]
pub struct Carried {
    pub artifacts: Vec<ArtifactLocation>,
    /// Output variables by namespace.
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// The run of each action of the stage that counts, by action name.
    pub prior: HashMap<String, ActionRecord>,
}

/// Rebuilds what an execution carries from its action executions (`runs`, oldest first):
/// succeeded runs outside `current` give artifacts and namespaces (later runs replace earlier
/// ones); the latest run of each action of `current`, leaving out `discarded` runs, is what the
/// stage starts from.
pub fn carried(runs: &[ActionRecord], current: Option<&str>, discarded: &[String]) -> Carried {
    let mut out = Carried::default();
    for a in runs {
        if Some(a.stage.as_str()) == current {
            if !discarded.contains(&a.id) {
                out.prior.insert(a.action.clone(), a.clone());
            }
            continue;
        }
        if a.status == ActionExecutionStatus::Succeeded {
            merge_artifacts(&mut out.artifacts, a.output_artifacts.iter().cloned());
            if let Some(ns) = &a.namespace {
                out.namespaces
                    .insert(ns.clone(), a.output_variables.clone());
            }
        }
    }
    out
}

/// The latest run of each action of `stage`, by action name.
fn latest_runs<'a>(runs: &'a [ActionRecord], stage: &str) -> HashMap<&'a str, &'a ActionRecord> {
    let mut latest = HashMap::new();
    for a in runs.iter().filter(|a| a.stage == stage) {
        latest.insert(a.action.as_str(), a);
    }
    latest
}

/// Whether a settled stage leaves anything for a retry to run: an action whose latest run did
/// not succeed (failed or abandoned), or one that never ran (a later runOrder group).
pub fn anything_to_retry(stage: &StageSpec, runs: &[ActionRecord]) -> bool {
    let latest = latest_runs(runs, &stage.name);
    stage.actions.iter().any(|a| {
        latest
            .get(a.name.as_str())
            .is_none_or(|r| r.status != ActionExecutionStatus::Succeeded)
    })
}

/// The runs of `stage` a retry no longer counts: every one for ALL_ACTIONS; for
/// FAILED_ACTIONS all but the latest run of each action that succeeded (kept with its
/// artifacts and variables).
pub fn retry_discards(runs: &[ActionRecord], stage: &str, mode: RetryMode) -> Vec<String> {
    let latest = latest_runs(runs, stage);
    runs.iter()
        .filter(|a| a.stage == stage)
        .filter(|a| {
            let kept = mode == RetryMode::FailedActions
                && a.status == ActionExecutionStatus::Succeeded
                && latest.get(a.action.as_str()).map(|l| &l.id) == Some(&a.id);
            !kept
        })
        .map(|a| a.id.clone())
        .collect()
}

/// The execution an automated rollback returns to: the newest STANDARD execution (of
/// `executions`, newest first) that succeeded in `stage` on pipeline version `version`.
pub fn last_success<'a>(
    executions: impl IntoIterator<Item = &'a ExecutionRecord>,
    stage: &str,
    version: i64,
) -> Option<&'a ExecutionRecord> {
    executions.into_iter().find(|e| {
        e.rollback.is_none()
            && e.pipeline_version == version
            && e.stages.get(stage).map(|r| r.status) == Some(StageExecutionStatus::Succeeded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::spec::*;

    pub(crate) fn action(name: &str, run_order: u32) -> ActionSpec {
        ActionSpec {
            name: name.into(),
            action_type: ActionTypeSpec {
                category: "Approval".into(),
                owner: "AWS".into(),
                provider: "Manual".into(),
                version: "1".into(),
            },
            run_order,
            configuration: Default::default(),
            input_artifacts: vec![],
            output_artifacts: vec![],
            namespace: None,
            region: None,
            role_arn: None,
            timeout_in_minutes: None,
            commands: None,
        }
    }

    fn spec(stages: Vec<Vec<ActionSpec>>) -> PipelineSpec {
        PipelineSpec {
            name: "p".into(),
            version: 1,
            role_arn: String::new(),
            execution_mode: ExecutionMode::Superseded,
            v2: false,
            artifact_bucket: "b".into(),
            stages: stages
                .into_iter()
                .enumerate()
                .map(|(i, actions)| StageSpec {
                    name: format!("S{i}"),
                    actions,
                    on_failure: None,
                    conditions: Default::default(),
                })
                .collect(),
            variables: vec![],
        }
    }

    #[test]
    fn groups_by_run_order_with_gaps() {
        let p = plan(&spec(vec![
            vec![action("a", 1)],
            vec![
                action("x", 10),
                action("y", 1),
                action("z", 3),
                action("w", 1),
            ],
        ]));
        assert_eq!(p.stages.len(), 2);
        assert_eq!(p.stages[0].groups, vec![vec![0]]);
        assert_eq!(p.stages[1].groups, vec![vec![1, 3], vec![2], vec![0]]);
        assert_eq!(p.stages[1].name, "S1");
    }

    #[test]
    fn stage_order_is_declaration_order() {
        let p = plan(&spec(vec![
            vec![action("a", 2)],
            vec![action("b", 1)],
            vec![action("c", 1)],
        ]));
        let names: Vec<_> = p.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["S0", "S1", "S2"]);
    }

    fn run(id: &str, stage: &str, action: &str, status: ActionExecutionStatus) -> ActionRecord {
        let now = crate::clock::Timestamp(0);
        ActionRecord {
            key: PipelineKey::new("000000000000", "us-east-1", "p"),
            pipeline_execution_id: "e".into(),
            id: id.into(),
            pipeline_version: 1,
            stage: stage.into(),
            action: action.into(),
            start_time: now,
            last_update_time: now,
            status,
            summary: None,
            token: None,
            updated_by: None,
            external_execution_id: None,
            external_execution_url: None,
            log_stream_arn: None,
            percent_complete: None,
            error_details: None,
            action_type: action_type_of(action),
            configuration: Default::default(),
            resolved_configuration: Default::default(),
            role_arn: None,
            region: "us-east-1".into(),
            namespace: Some(format!("NS_{action}")),
            input_artifacts: vec![],
            output_artifacts: vec![ArtifactLocation {
                name: format!("{action}Out"),
                bucket: "b".into(),
                key: format!("p/{action}/{id}"),
            }],
            output_variables: [("Run".to_string(), id.to_string())].into(),
            current_revision: None,
        }
    }

    fn action_type_of(_: &str) -> ActionTypeSpec {
        action("x", 1).action_type
    }

    use crate::engine::records::{ActionRecord, ArtifactLocation};
    use crate::engine::status::{ActionExecutionStatus as A, RetryMode};

    #[test]
    fn a_rollback_runs_one_stage() {
        let p = plan(&spec(vec![
            vec![action("a", 1)],
            vec![action("b", 1)],
            vec![action("c", 1)],
        ]));
        assert_eq!(stage_range(&p, None), 0..3);
        assert_eq!(stage_range(&p, Some("S1")), 1..2);
        assert_eq!(stage_range(&p, Some("nope")), 0..0);
    }

    #[test]
    fn retries_keep_only_the_latest_succeeded_runs_of_failed_actions_mode() {
        let runs = vec![
            run("s1", "S0", "src", A::Succeeded),
            run("a1", "S1", "a", A::Succeeded),
            run("b1", "S1", "b", A::Failed),
            run("b2", "S1", "b", A::Failed),
        ];
        assert_eq!(
            retry_discards(&runs, "S1", RetryMode::FailedActions),
            ["b1", "b2"]
        );
        assert_eq!(
            retry_discards(&runs, "S1", RetryMode::AllActions),
            ["a1", "b1", "b2"]
        );
        // An action re-run by an earlier ALL_ACTIONS retry: only its latest run counts.
        let again = vec![
            run("a1", "S1", "a", A::Succeeded),
            run("a2", "S1", "a", A::Succeeded),
            run("b1", "S1", "b", A::Abandoned),
        ];
        assert_eq!(
            retry_discards(&again, "S1", RetryMode::FailedActions),
            ["a1", "b1"]
        );
    }

    #[test]
    fn something_is_left_to_retry_unless_every_action_succeeded() {
        let stage = StageSpec {
            name: "S1".into(),
            actions: vec![action("a", 1), action("b", 2)],
            on_failure: None,
            conditions: Default::default(),
        };
        let a_ok = run("a1", "S1", "a", A::Succeeded);
        let b_ok = run("b1", "S1", "b", A::Succeeded);
        let b_bad = run("b0", "S1", "b", A::Failed);
        assert!(
            anything_to_retry(&stage, std::slice::from_ref(&a_ok)),
            "b never ran"
        );
        assert!(anything_to_retry(&stage, &[a_ok.clone(), b_bad.clone()]));
        assert!(!anything_to_retry(
            &stage,
            &[a_ok.clone(), b_bad, b_ok.clone()]
        ));
        assert!(!anything_to_retry(&stage, &[a_ok, b_ok]));
    }

    #[test]
    fn carried_artifacts_and_variables_come_from_the_latest_succeeded_runs() {
        let mut first = run("a1", "S1", "a", A::Succeeded);
        first.output_artifacts[0].key = "old".into();
        let runs = vec![
            run("s1", "S0", "src", A::Succeeded),
            first,
            run("a2", "S1", "a", A::Succeeded),
            run("f1", "S1", "f", A::Failed),
            run("c1", "S2", "c", A::Failed),
            run("c2", "S2", "c", A::Succeeded),
        ];
        let c = carried(&runs, Some("S2"), &["c2".to_string()]);
        let keys: Vec<_> = c.artifacts.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            ["p/src/s1", "p/a/a2"],
            "a re-run replaces the earlier artifact"
        );
        assert_eq!(c.namespaces["NS_a"]["Run"], "a2");
        assert!(
            !c.namespaces.contains_key("NS_f"),
            "failed runs give nothing"
        );
        assert_eq!(c.prior.len(), 1);
        assert_eq!(c.prior["c"].id, "c1", "discarded runs do not count");
    }
}
