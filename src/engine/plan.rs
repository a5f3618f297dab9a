//! The planner: a pure function from a pipeline declaration to what runs in which order.
//! Stages run in series; within a stage, actions are grouped by `runOrder` (ascending; gaps do
//! not matter) and the actions of one group run in parallel.

use super::spec::PipelineSpec;

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
}
