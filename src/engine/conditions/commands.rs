//! The `Commands` rule: its `commands` run as a build on the port the Commands action uses
//! (`BuildService::start_commands`: CodeBuild's managed builds, in a container), with the
//! rule's input artifacts as sources (the first is the primary source, the others beside it in
//! `CODEBUILD_SRC_DIR_<artifact>`). The rule succeeds when every command exits 0. This file is
//! the pure part: the rule turned into a build request, and the build's end into a verdict; the
//! condition actor starts the build and hears its end as a message.
//!
//! Decisions where AWS leaves room:
//! - The build is the Commands action's: the Amazon Linux standard image, Linux container,
//!   `BUILD_GENERAL1_SMALL`, 55 minutes. Its log goes to the pipeline's group
//!   (`/aws/codepipeline/<pipeline>`) in the stream `<stage>/<rule>/<rule execution id>`.
//! - The build id is the rule execution's `externalExecutionId` and the log stream's console
//!   link its `externalExecutionUrl` (a rule execution's result has no `logStreamARN`).
//! - `#{...}` references in the commands resolve as in the rule's configuration; one that does
//!   not resolve, or an input artifact no earlier stage produced in this execution, fails the
//!   rule before anything runs.
//! - A command that exits non-zero fails the rule (the condition `Failed`); a build that could
//!   not run the commands to their end (no Docker, a source that could not be fetched, the
//!   build's time limit, a stop) fails it with error details (the condition `Errored`). Either
//!   way the summary names the build's status, the failing phase and the log stream, as the
//!   action's failure does.

use super::rules::{RuleError, Verdict};
use crate::engine::ports::{BuildResult, CommandsRequest};
use crate::engine::records::ArtifactLocation;
use crate::engine::spec::PipelineKey;
use crate::engine::variables::{resolve_value, Scope};

/// The provider name of the rule.
pub const PROVIDER: &str = "Commands";

/// The compute type of a rule's build (a Commands rule takes no configuration).
const COMPUTE_TYPE: &str = "BUILD_GENERAL1_SMALL";

/// Who the build is for.
pub struct RuleRun<'a> {
    pub key: &'a PipelineKey,
    pub stage: &'a str,
    pub rule: &'a str,
    pub rule_execution_id: &'a str,
}

/// The rule as a build request; the error says why it cannot run.
pub fn request(
    run: RuleRun<'_>,
    commands: &[String],
    input_artifacts: &[String],
    available: &[ArtifactLocation],
    scope: &Scope,
) -> Result<CommandsRequest, String> {
    if commands.is_empty() {
        return Err(format!(
            "Rule {} must have a non-empty commands field",
            run.rule
        ));
    }
    let commands = commands
        .iter()
        .map(|c| resolve_value(c, scope))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs = input_artifacts
        .iter()
        .map(|name| {
            available
                .iter()
                .find(|a| &a.name == name)
                .map(|a| (a.name.clone(), a.bucket.clone(), a.key.clone()))
                .ok_or_else(|| {
                    format!(
                        "The input artifact {name} of rule {} is not available: no earlier stage of this execution produced it",
                        run.rule
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CommandsRequest {
        account: run.key.account.clone(),
        region: run.key.region.clone(),
        pipeline: run.key.name.clone(),
        stage: run.stage.to_string(),
        action: run.rule.to_string(),
        action_execution_id: run.rule_execution_id.to_string(),
        commands,
        inputs,
        compute_type: COMPUTE_TYPE.to_string(),
        ..Default::default()
    })
}

/// How the build's end decides the rule.
pub fn verdict(result: &BuildResult) -> Verdict {
    if result.status == "SUCCEEDED" {
        return Verdict::Succeeded {
            summary: format!("Every command exited 0 (build {})", result.build_id),
        };
    }
    let summary = result.commands_summary();
    // A command that exited non-zero: the rule's check failed. Anything else kept the
    // commands from running to their end.
    let commands_failed = result.command_failed();
    Verdict::Failed {
        error: (!commands_failed).then(|| RuleError {
            code: "JobFailed",
            message: summary.clone(),
        }),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ports::{BuildLog, PhaseFailure};

    fn artifact(name: &str) -> ArtifactLocation {
        ArtifactLocation {
            name: name.into(),
            bucket: "artifacts".into(),
            key: format!("p/{name}/k"),
        }
    }

    fn make(commands: &[&str], inputs: &[&str]) -> Result<CommandsRequest, String> {
        let key = PipelineKey::new("000000000000", "us-east-1", "p");
        let mut scope = Scope::default();
        scope.set_namespace("Src", [("Out".to_string(), "v1".to_string())].into());
        request(
            RuleRun {
                key: &key,
                stage: "Deploy",
                rule: "Smoke",
                rule_execution_id: "r-1",
            },
            &commands.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            &inputs.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            &[artifact("Out"), artifact("Other")],
            &scope,
        )
    }

    #[test]
    fn the_rule_becomes_a_build_request() {
        let r = make(&["echo #{Src.Out}", "make check"], &["Other", "Out"]).unwrap();
        assert_eq!(r.commands, ["echo v1", "make check"]);
        assert_eq!(
            (r.pipeline.as_str(), r.stage.as_str(), r.action.as_str()),
            ("p", "Deploy", "Smoke")
        );
        assert_eq!(r.action_execution_id, "r-1");
        assert_eq!(
            r.inputs[0],
            ("Other".into(), "artifacts".into(), "p/Other/k".into())
        );
        assert_eq!(r.inputs[1].0, "Out");
        assert!(r.output.is_none() && r.exported.is_empty() && r.variables.is_empty());
        assert_eq!(r.compute_type, "BUILD_GENERAL1_SMALL");
        assert!(make(&["true"], &[]).unwrap().inputs.is_empty());
    }

    #[test]
    fn what_keeps_the_rule_from_running() {
        let e = make(&["echo #{Build.Missing}"], &[]).unwrap_err();
        assert!(e.contains("#{Build.Missing}"), "{e}");
        let e = make(&["true"], &["Nope"]).unwrap_err();
        assert!(e.contains("input artifact Nope"), "{e}");
        let e = make(&[], &[]).unwrap_err();
        assert_eq!(e, "Rule Smoke must have a non-empty commands field");
    }

    /// A build that ended `status`, failing in `failure` (phase, code, message).
    fn ended(status: &str, failure: Option<(&str, &str, &str)>) -> BuildResult {
        BuildResult {
            build_id: "codepipeline-p:b-1".into(),
            status: status.into(),
            exported: vec![],
            failure: failure.map(|(phase, code, message)| PhaseFailure {
                phase: phase.into(),
                code: code.into(),
                message: message.into(),
            }),
            log: BuildLog {
                group: "/aws/codepipeline/p".into(),
                stream: "Deploy/Smoke/r-1".into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn the_build_decides_the_rule() {
        assert_eq!(
            verdict(&ended("SUCCEEDED", None)),
            Verdict::Succeeded {
                summary: "Every command exited 0 (build codepipeline-p:b-1)".into()
            }
        );
        let Verdict::Failed { summary, error } = verdict(&ended(
            "FAILED",
            Some((
                "BUILD",
                "COMMAND_EXECUTION_ERROR",
                "Error while executing command: exit 3. Reason: exit status 3",
            )),
        )) else {
            panic!()
        };
        assert!(error.is_none(), "a failing command fails the check");
        assert!(
            summary.starts_with("The commands ended FAILED: COMMAND_EXECUTION_ERROR in BUILD:")
                && summary.contains("exit status 3")
                && summary.ends_with("(log group /aws/codepipeline/p, stream Deploy/Smoke/r-1)"),
            "{summary}"
        );
        for (status, failure) in [
            (
                "FAILED",
                Some(("PROVISIONING", "CLIENT_ERROR", "no Docker")),
            ),
            (
                "FAILED",
                Some(("DOWNLOAD_SOURCE", "CLIENT_ERROR", "no such key")),
            ),
            (
                "STOPPED",
                Some(("BUILD", "BUILD_TIMED_OUT_OR_STOPPED", "Build was stopped")),
            ),
            ("TIMED_OUT", Some(("BUILD", "BUILD_TIMED_OUT", "timed out"))),
            ("FAULT", None),
        ] {
            let Verdict::Failed { summary, error } = verdict(&ended(status, failure)) else {
                panic!()
            };
            let error = error.unwrap_or_else(|| panic!("{status} {failure:?}"));
            assert_eq!(error.code, "JobFailed");
            assert!(summary.contains(status), "{summary}");
        }
    }
}
