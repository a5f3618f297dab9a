//! Change detection for CodeCommit sources: a bus subscriber that starts pipelines when a
//! watched branch moves.
//!
//! Decision: on AWS a CodeCommit source with `PollForSourceChanges` true (or omitted) is
//! polled by CodePipeline, and a changed branch head starts an execution with trigger type
//! `PollForSourceChanges`. Polling would only add latency here, so the branch's
//! `CodeCommit Repository State Change` event (published for every push and API commit)
//! stands in for the poll: the execution starts at once, with that trigger type and the source
//! action's name as `triggerDetail`. A source with `PollForSourceChanges` "false" is left
//! alone: on AWS such a pipeline is started by an EventBridge rule (trigger
//! `CloudWatchEvent`), and simfra's EventBridge rules do the same; starting it here too would
//! run it twice. A source action named by a V2 `triggers` entry is also left alone (AWS
//! disables its default change detection). Only the first stage's actions are sources, so
//! only they are matched; pipelines of the event's account and region are considered.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::executions::Executions;
use super::model::{ActionCategory, ActionOwner, PipelineDeclaration};
use crate::bus::{Event, EventBus, LISTENER_CAPACITY};
use crate::engine::Trigger;
use crate::protocol::RequestContext;

/// Starts the subscriber on its own thread (it needs no runtime: starting an execution is a
/// synchronous call) and is woken only by CodeCommit repository events. The thread ends when
/// every publisher of the bus is gone.
pub fn start(bus: &EventBus, executions: Arc<Executions>) {
    let mut rx = bus.listen(LISTENER_CAPACITY, |t| {
        t.source == "aws.codecommit" && t.detail_type == "CodeCommit Repository State Change"
    });
    let spawned = std::thread::Builder::new()
        .name("codecommit-triggers".into())
        .spawn(move || {
            while let Some(event) = rx.blocking_recv() {
                on_event(&executions, &event);
            }
        });
    if let Err(e) = spawned {
        tracing::error!("the CodeCommit change detection could not start: {e}");
    }
}

/// The branch a CodeCommit event moved: (repository, branch), when it created or updated one.
fn moved_branch(event: &Event) -> Option<(&str, &str)> {
    if event.source != "aws.codecommit" || event.detail_type != "CodeCommit Repository State Change"
    {
        return None;
    }
    let d = &event.detail;
    let kind = d.get("event")?.as_str()?;
    if !matches!(kind, "referenceCreated" | "referenceUpdated")
        || d.get("referenceType")?.as_str()? != "branch"
    {
        return None;
    }
    Some((
        d.get("repositoryName")?.as_str()?,
        d.get("referenceName")?.as_str()?,
    ))
}

/// The name of the first-stage CodeCommit action that watches `repository`/`branch` with
/// change detection on, if the pipeline has one.
pub fn watching_action<'a>(
    decl: &'a PipelineDeclaration,
    repository: &str,
    branch: &str,
) -> Option<&'a str> {
    let stage = decl.stages.first()?;
    stage
        .actions
        .iter()
        .find(|a| {
            let t = &a.action_type_id;
            let config = a.configuration.as_ref();
            let get = |k: &str| config.and_then(|c| c.get(k)).map(String::as_str);
            t.category == ActionCategory::Source
                && t.owner == ActionOwner::Aws
                && t.provider == "CodeCommit"
                && get("RepositoryName") == Some(repository)
                && get("BranchName") == Some(branch)
                && !get("PollForSourceChanges").is_some_and(|v| v.eq_ignore_ascii_case("false"))
                && !decl.triggers.as_ref().is_some_and(|ts| {
                    ts.iter()
                        .any(|t| t.git_configuration.source_action_name == a.name)
                })
        })
        .map(|a| a.name.as_str())
}

fn on_event(ex: &Executions, event: &Event) {
    let Some((repository, branch)) = moved_branch(event) else {
        return;
    };
    let (account, region) = (event.account.as_str(), event.region.as_str());
    let (names, _) = ex
        .cp
        .state()
        .list_pipelines(account, region, None, usize::MAX);
    for summary in names {
        let Some((decl, _)) = ex.cp.pipeline(account, region, &summary.name) else {
            continue;
        };
        let Some(action) = watching_action(&decl, repository, branch) else {
            continue;
        };
        let ctx = RequestContext::internal(region, account);
        let trigger = Trigger {
            trigger_type: "PollForSourceChanges".into(),
            trigger_detail: action.to_string(),
        };
        match ex.start(&ctx, &decl.name, trigger, &[], None, BTreeMap::new()) {
            Ok(id) => {
                tracing::info!(pipeline = %decl.name, execution = %id, %repository, %branch, "a push started the pipeline")
            }
            Err(e) => {
                tracing::warn!(pipeline = %decl.name, "a push could not start the pipeline: {e}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(poll: Option<&str>, branch: &str) -> PipelineDeclaration {
        let mut config = serde_json::json!({"RepositoryName": "app", "BranchName": branch});
        if let Some(p) = poll {
            config["PollForSourceChanges"] = p.into();
        }
        serde_json::from_value(serde_json::json!({
            "name": "p", "roleArn": "arn:aws:iam::000000000000:role/r",
            "artifactStore": {"type": "S3", "location": "b"},
            "stages": [
                {"name": "Source", "actions": [{"name": "Src",
                  "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                  "configuration": config, "outputArtifacts": [{"name": "Out"}]}]},
                {"name": "Deploy", "actions": [{"name": "D",
                  "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                  "configuration": {"BucketName": "x", "Extract": "true"}, "inputArtifacts": [{"name": "Out"}]}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn only_watching_sources_match() {
        assert_eq!(
            watching_action(&decl(None, "main"), "app", "main"),
            Some("Src")
        );
        assert_eq!(
            watching_action(&decl(Some("true"), "main"), "app", "main"),
            Some("Src")
        );
        assert_eq!(
            watching_action(&decl(Some("false"), "main"), "app", "main"),
            None
        );
        assert_eq!(watching_action(&decl(None, "dev"), "app", "main"), None);
        assert_eq!(watching_action(&decl(None, "main"), "other", "main"), None);
    }

    #[test]
    fn only_branch_moves_count() {
        let ev = |kind: &str, rtype: &str| {
            Event::new(
                "aws.codecommit",
                "CodeCommit Repository State Change",
                "000000000000",
                "us-east-1",
                vec![],
                serde_json::json!({"event": kind, "referenceType": rtype,
                    "repositoryName": "app", "referenceName": "main"}),
            )
        };
        assert_eq!(
            moved_branch(&ev("referenceUpdated", "branch")),
            Some(("app", "main"))
        );
        assert_eq!(
            moved_branch(&ev("referenceCreated", "branch")),
            Some(("app", "main"))
        );
        assert_eq!(moved_branch(&ev("referenceDeleted", "branch")), None);
        assert_eq!(moved_branch(&ev("referenceUpdated", "tag")), None);
    }
}
