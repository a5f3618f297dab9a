//! Builds of a pipeline's Commands action (AWS / Compute / Commands): the action's shell
//! commands run as a build without a CodeBuild project, as AWS runs them on CodeBuild compute
//! the pipeline manages. Such a build is an ordinary build for the runner (phases, one shell
//! session, sources from the input artifacts, artifacts to the artifact store, live logs), made
//! from an inline buildspec; this file only makes the record and the buildspec.
//!
//! Decisions (AWS documents the behaviour, not the internals):
//! - The build is stored `managed`: ListBuilds, BatchGetBuilds, StopBuild, RetryBuild and
//!   BatchDeleteBuilds do not see it and it publishes no `aws.codebuild` events, since on AWS
//!   it runs outside the account's CodeBuild. Its id (`codepipeline-<pipeline>:<uuid>`) is
//!   the action's external execution id and `CODEBUILD_BUILD_ID` in the container.
//! - Its log goes to the group AWS documents, `/aws/codepipeline/<pipeline>`, in the stream
//!   `<stage>/<action>/<action execution id>`.
//! - The image is the Amazon Linux standard image, `aws/codebuild/...` like any CodeBuild
//!   image, so `SIMFRA_CODEBUILD_IMAGE` maps it to a local one; the time limit is AWS's 55
//!   minutes.
//! - The output artifact holds the working directory's files that the output artifact's
//!   `files` name (CodeBuild globs; an entry ending in `/`, like AWS's example `**/`, means
//!   every file below it), or every file when it names none.

use super::errors::Result;
use super::model::*;
use super::runner::{BuildJob, PipelineArtifact, PipelineIo};
use super::{logs_location, CodeBuild};
use crate::engine::ports::CommandsRequest;
use crate::protocol::Timestamp;

/// The image Commands actions run in (mapped by `SIMFRA_CODEBUILD_IMAGE`).
pub const COMMANDS_IMAGE: &str = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/// AWS's time limit for the build of a Commands action.
pub const COMMANDS_TIMEOUT_MINUTES: i64 = 55;

impl CodeBuild {
    /// Creates the build of a Commands action, stores it (managed) and starts it.
    pub fn start_managed(&self, req: &CommandsRequest) -> Result<Build> {
        let (account, region) = (req.account.as_str(), req.region.as_str());
        let project = format!("codepipeline-{}", req.pipeline);
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = format!("{project}:{uuid}");
        let number = self.state.next_build_number(account, region, &project)?;
        let group = format!("/aws/codepipeline/{}", req.pipeline);
        let stream = format!("{}/{}/{}", req.stage, req.action, req.action_execution_id);
        let cw = CloudWatchLogsConfig {
            status: "ENABLED".into(),
            group_name: Some(group.clone()),
            ..Default::default()
        };
        let s3_logs = S3LogsConfig {
            status: "DISABLED".into(),
            ..Default::default()
        };
        let source = ProjectSource {
            r#type: "CODEPIPELINE".into(),
            buildspec: Some(buildspec(
                &req.commands,
                &req.exported,
                req.output.as_ref().map(|_| req.files.as_slice()),
            )),
            ..Default::default()
        };
        let variables: Vec<EnvironmentVariable> = req
            .variables
            .iter()
            .map(|(name, value, ty)| EnvironmentVariable {
                name: name.clone(),
                value: value.clone(),
                r#type: Some(ty.clone()),
            })
            .collect();
        let artifact = |(name, bucket, key): &(String, String, String)| PipelineArtifact {
            name: name.clone(),
            bucket: bucket.clone(),
            key: key.clone(),
        };
        let io = PipelineIo {
            pipeline: req.pipeline.clone(),
            inputs: req.inputs.iter().map(artifact).collect(),
            primary: 0,
            outputs: req.output.iter().map(artifact).collect(),
            source_revision: None,
        };
        let now = Timestamp::now();
        let build = Build {
            id: id.clone(),
            arn: format!("arn:aws:codebuild:{region}:{account}:build/{id}"),
            build_number: number,
            start_time: now,
            current_phase: "SUBMITTED".into(),
            build_status: "IN_PROGRESS".into(),
            source_version: io
                .inputs
                .first()
                .map(|a| format!("arn:aws:s3:::{}/{}", a.bucket, a.key)),
            project_name: project,
            phases: vec![BuildPhase {
                phase_type: "SUBMITTED".into(),
                start_time: now,
                ..Default::default()
            }],
            source: source.clone(),
            artifacts: BuildArtifacts::default(),
            cache: ProjectCache {
                r#type: "NO_CACHE".into(),
                ..Default::default()
            },
            environment: ProjectEnvironment {
                r#type: "LINUX_CONTAINER".into(),
                image: COMMANDS_IMAGE.into(),
                compute_type: req.compute_type.clone(),
                environment_variables: variables,
                ..Default::default()
            },
            logs: logs_location(account, region, group, stream, cw, s3_logs),
            timeout_in_minutes: COMMANDS_TIMEOUT_MINUTES,
            queued_timeout_in_minutes: 480,
            initiator: format!("codepipeline/{}", req.pipeline),
            ..Default::default()
        };
        let job = BuildJob {
            account: account.into(),
            region: region.into(),
            build_id: id,
            buildspec: source.buildspec.clone(),
            source,
            secondary_sources: Vec::new(),
            artifacts: ProjectArtifacts {
                r#type: "CODEPIPELINE".into(),
                ..Default::default()
            },
            secondary_artifacts: Vec::new(),
            variables: req.variables.clone(),
            privileged: false,
            cache_paths_volume: None,
            pipeline: Some(io),
        };
        self.state.put_managed_build(account, region, &build)?;
        self.state.put_job(&job)?;
        self.runner.launch(job);
        Ok(build)
    }
}

/// The buildspec a Commands action runs: its commands as the build phase, its output variables
/// as exported variables and, when it has an output artifact, the files that artifact holds.
/// Every string is written as a double-quoted YAML scalar (JSON string syntax), so no command
/// text can change the document's structure.
pub fn buildspec(commands: &[String], exported: &[String], files: Option<&[String]>) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = String::from("version: 0.2\n");
    if !exported.is_empty() {
        out.push_str("env:\n  exported-variables:\n");
        for name in exported {
            out.push_str(&format!("    - {}\n", quote(name)));
        }
    }
    out.push_str("phases:\n  build:\n    commands:\n");
    for c in commands {
        out.push_str(&format!("      - {}\n", quote(c)));
    }
    if let Some(files) = files {
        out.push_str("artifacts:\n  files:\n");
        let all = ["**/*".to_string()];
        let globs = if files.is_empty() { &all[..] } else { files };
        for f in globs {
            out.push_str(&format!("    - {}\n", quote(&output_glob(f))));
        }
    }
    out
}

/// A `files` entry as a CodeBuild artifact glob: one ending in `/` means every file below it.
fn output_glob(file: &str) -> String {
    match file.strip_suffix('/') {
        Some("**") | Some("") => "**/*".to_string(),
        Some(dir) => format!("{dir}/**/*"),
        None => file.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::services::codebuild::buildspec::parse;

    #[test]
    fn any_command_text_survives_the_buildspec() {
        let commands: Vec<String> = [
            "echo \"quoted\" 'single' $HOME",
            "key: value # not a comment",
            "- starts with a dash",
            "back\\slash and tab\there",
            "{braces} [brackets] & *star !bang %percent @at `tick`",
            "ünïcödé ✓",
            "yes",
            "0.2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let text = super::buildspec(&commands, &["OUT".into(), "AWS_REGION".into()], None);
        let spec = parse(&text).unwrap();
        assert_eq!(spec.version, "0.2");
        assert_eq!(spec.phases.build.unwrap().commands, commands);
        assert_eq!(spec.env.exported_variables, ["OUT", "AWS_REGION"]);
        assert!(spec.artifacts.is_none());
        assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
    }

    #[test]
    fn the_output_artifact_holds_the_named_files_or_everything() {
        let files = |f: &[&str]| {
            let f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            let text = super::buildspec(&["true".into()], &[], Some(&f));
            parse(&text).unwrap().artifacts.unwrap().files
        };
        assert_eq!(files(&[]), ["**/*"]);
        assert_eq!(files(&["**/"]), ["**/*"]);
        assert_eq!(files(&["dist/", "report.txt"]), ["dist/**/*", "report.txt"]);
        assert_eq!(files(&["out/*.zip"]), ["out/*.zip"]);
    }
}
