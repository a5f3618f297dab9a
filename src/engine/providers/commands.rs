//! The Commands compute action (AWS / Compute / Commands): the action's own shell commands run
//! in a build container, as AWS runs them on CodeBuild compute the pipeline manages (no
//! CodeBuild project).
//!
//! The build service gets the commands (their `#{...}` references already resolved by the
//! action actor) as the build phase, the first input artifact as the primary source and the
//! others beside it (`CODEBUILD_SRC_DIR_<artifact>`), `environmentVariables` as the container's
//! variables, `outputVariables` to read from the shell once the commands have run, and the
//! output artifact (if declared) with its `files`. The build id is the action's external
//! execution id, the log stream's console link its external execution URL and the stream's
//! ARN its `logStreamARN`; the action succeeds iff every command exits 0, with the output
//! variables as the action's. Abandoning the action stops the build. (A stage condition's
//! `Commands` rule runs on the same port: `conditions/commands.rs`.)
//!
//! Configuration: `EnvironmentType` (`LINUX_CONTAINER`, the default; Windows containers fail
//! clearly), `ComputeType` (`BUILD_GENERAL1_SMALL` by default, `_MEDIUM`, `_LARGE`; recorded on
//! the build, no resource limit), and `VpcId`/`Subnets`/`SecurityGroupIds` (accepted, without
//! effect: containers run on the local Docker network). A bad value fails the action at run
//! time, as on AWS.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    ActionJob, ActionProgress, ActionSuccess, NothingToCancel, Provider, Reporter, RunningAction,
    RunningBuild,
};
use crate::engine::ports::{BuildService, CommandsRequest};
use crate::engine::records::ArtifactLocation;

/// The compute types the action accepts (a subset of CodeBuild's).
pub const COMPUTE_TYPES: [&str; 3] = [
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
];

pub struct CommandsAction {
    pub builds: Arc<dyn BuildService>,
}

/// The action turned into a build request.
fn request(job: &ActionJob) -> Result<CommandsRequest, String> {
    let spec = job
        .action
        .commands
        .clone()
        .filter(|c| !c.commands.is_empty())
        .ok_or_else(|| {
            format!(
                "Action {} must have a non-empty commands field",
                job.action.name
            )
        })?;
    match job.configuration.get("EnvironmentType").map(String::as_str) {
        None | Some("LINUX_CONTAINER") => {}
        Some("WINDOWS_SERVER_2022_CONTAINER") => {
            return Err(
                "EnvironmentType WINDOWS_SERVER_2022_CONTAINER is not supported by simfra: \
                 commands run in Linux containers (use LINUX_CONTAINER)"
                    .into(),
            )
        }
        Some(other) => {
            return Err(format!(
                "EnvironmentType {other} is not valid for the Commands action: use \
                 LINUX_CONTAINER or WINDOWS_SERVER_2022_CONTAINER"
            ))
        }
    }
    let compute_type = job
        .configuration
        .get("ComputeType")
        .cloned()
        .unwrap_or_else(|| COMPUTE_TYPES[0].to_string());
    if !COMPUTE_TYPES.contains(&compute_type.as_str()) {
        return Err(format!(
            "ComputeType {compute_type} is not valid for the Commands action: use one of {}",
            COMPUTE_TYPES.join(", ")
        ));
    }
    if job.input_artifacts.is_empty() {
        return Err("The Commands action needs an input artifact".into());
    }
    let triple = |a: &ArtifactLocation| (a.name.clone(), a.bucket.clone(), a.key.clone());
    Ok(CommandsRequest {
        account: job.key.account.clone(),
        region: job.key.region.clone(),
        pipeline: job.key.name.clone(),
        stage: job.stage.clone(),
        action: job.action.name.clone(),
        action_execution_id: job.action_execution_id.clone(),
        commands: spec.commands,
        variables: spec.environment_variables,
        exported: spec.output_variables,
        inputs: job.input_artifacts.iter().map(triple).collect(),
        output: job.output_artifacts.first().map(triple),
        files: spec.output_files,
        compute_type,
    })
}

impl Provider for CommandsAction {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let req = match request(&job) {
            Ok(r) => r,
            Err(msg) => {
                reporter.failed("ConfigurationError", msg);
                return Box::new(NothingToCancel);
            }
        };
        let (account, region) = (req.account.clone(), req.region.clone());
        let done_reporter = reporter.clone();
        let started = self.builds.start_commands(
            req,
            Box::new(move |result| {
                let url = Some(result.log.url.clone()).filter(|u| !u.is_empty());
                let arn = Some(result.log.arn.clone()).filter(|a| !a.is_empty());
                if result.status == "SUCCEEDED" {
                    done_reporter.succeeded(ActionSuccess {
                        external_execution_id: Some(result.build_id),
                        external_execution_url: url,
                        output_variables: result.exported.into_iter().collect::<BTreeMap<_, _>>(),
                        ..Default::default()
                    });
                } else {
                    // The build may end before `start_commands` returns (it could not start):
                    // its id and log are recorded here too, ahead of the failure.
                    done_reporter.progress(ActionProgress {
                        external_execution_id: Some(result.build_id.clone()),
                        external_execution_url: url,
                        log_stream_arn: arn,
                        ..Default::default()
                    });
                    done_reporter.failed("JobFailed", result.commands_summary());
                }
            }),
        );
        match started {
            Ok(s) => {
                reporter.progress(ActionProgress {
                    external_execution_id: Some(s.build_id.clone()),
                    external_execution_url: Some(s.log.url),
                    log_stream_arn: Some(s.log.arn).filter(|a| !a.is_empty()),
                    ..Default::default()
                });
                Box::new(RunningBuild {
                    builds: self.builds.clone(),
                    account,
                    region,
                    build_id: s.build_id,
                })
            }
            Err(e) => {
                reporter.failed("JobFailed", e.to_string());
                Box::new(NothingToCancel)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::spec::{ActionSpec, ActionTypeSpec, CommandsSpec, PipelineKey};
    use crate::engine::variables::Scope;

    fn artifact(name: &str) -> ArtifactLocation {
        ArtifactLocation {
            name: name.into(),
            bucket: "artifacts".into(),
            key: format!("p/{name}/abc"),
        }
    }

    fn job(config: &[(&str, &str)]) -> ActionJob {
        ActionJob {
            key: PipelineKey::new("000000000000", "us-east-1", "p"),
            pipeline_execution_id: "e-1".into(),
            action_execution_id: "a-1".into(),
            stage: "Build".into(),
            action: ActionSpec {
                name: "Run".into(),
                action_type: ActionTypeSpec {
                    category: "Compute".into(),
                    owner: "AWS".into(),
                    provider: "Commands".into(),
                    version: "1".into(),
                },
                run_order: 1,
                configuration: Default::default(),
                input_artifacts: vec!["In".into(), "Extra".into()],
                output_artifacts: vec!["Out".into()],
                namespace: None,
                region: None,
                role_arn: None,
                timeout_in_minutes: None,
                commands: Some(CommandsSpec {
                    commands: vec!["make".into()],
                    output_variables: vec!["V".into()],
                    environment_variables: vec![("A".into(), "1".into(), "PLAINTEXT".into())],
                    output_files: vec!["dist/".into()],
                }),
            },
            configuration: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            input_artifacts: vec![artifact("In"), artifact("Extra")],
            output_artifacts: vec![artifact("Out")],
            artifact_bucket: "artifacts".into(),
            source_override: None,
            resume_token: None,
            input_revisions: Default::default(),
        }
    }

    #[test]
    fn the_action_becomes_a_build_request() {
        let r = request(&job(&[])).unwrap();
        assert_eq!((r.pipeline.as_str(), r.stage.as_str()), ("p", "Build"));
        assert_eq!(
            (r.action.as_str(), r.action_execution_id.as_str()),
            ("Run", "a-1")
        );
        assert_eq!(r.commands, ["make"]);
        assert_eq!(r.exported, ["V"]);
        assert_eq!(r.variables, [("A".into(), "1".into(), "PLAINTEXT".into())]);
        assert_eq!(r.inputs[0].0, "In");
        assert_eq!(r.inputs[1].0, "Extra");
        assert_eq!(r.output.unwrap().0, "Out");
        assert_eq!(r.files, ["dist/"]);
        assert_eq!(r.compute_type, "BUILD_GENERAL1_SMALL");
        let r = request(&job(&[
            ("EnvironmentType", "LINUX_CONTAINER"),
            ("ComputeType", "BUILD_GENERAL1_LARGE"),
            ("VpcId", "vpc-1"),
        ]))
        .unwrap();
        assert_eq!(r.compute_type, "BUILD_GENERAL1_LARGE");
    }

    #[test]
    fn bad_environment_or_compute_types_fail_at_run_time() {
        let e = request(&job(&[(
            "EnvironmentType",
            "WINDOWS_SERVER_2022_CONTAINER",
        )]))
        .unwrap_err();
        assert!(e.contains("not supported by simfra"), "{e}");
        let e = request(&job(&[("EnvironmentType", "ARM_CONTAINER")])).unwrap_err();
        assert!(
            e.contains("EnvironmentType ARM_CONTAINER is not valid"),
            "{e}"
        );
        let e = request(&job(&[("ComputeType", "BUILD_GENERAL1_2XLARGE")])).unwrap_err();
        assert!(
            e.contains("ComputeType BUILD_GENERAL1_2XLARGE is not valid"),
            "{e}"
        );
        let mut j = job(&[]);
        j.action.commands = None;
        assert_eq!(
            request(&j).unwrap_err(),
            "Action Run must have a non-empty commands field"
        );
    }

    #[test]
    fn references_in_commands_and_variables_resolve() {
        let mut scope = Scope::default();
        scope.set_namespace(
            "codepipeline",
            [("PipelineExecutionId".into(), "e-1".into())].into(),
        );
        let spec = CommandsSpec {
            commands: vec!["echo #{codepipeline.PipelineExecutionId}".into()],
            environment_variables: vec![(
                "ID".into(),
                "x-#{codepipeline.PipelineExecutionId}".into(),
                "PLAINTEXT".into(),
            )],
            ..Default::default()
        };
        let r = spec.resolve(&scope).unwrap();
        assert_eq!(r.commands, ["echo e-1"]);
        assert_eq!(r.environment_variables[0].1, "x-e-1");
        let bad = CommandsSpec {
            commands: vec!["echo #{Build.Missing}".into()],
            ..Default::default()
        };
        assert!(bad
            .resolve(&scope)
            .unwrap_err()
            .contains("#{Build.Missing}"));
    }
}
