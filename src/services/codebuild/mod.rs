//! CodeBuild: projects, and builds that really run (`CodeBuild_20161006`).
//!
//! A build is a record (`state.rs`) plus a run (`runner/`): StartBuild stores the build as
//! SUBMITTED and hands it to the runner, which walks the phases in a container through the
//! container runtime port, streams the output into CloudWatch Logs and publishes
//! `aws.codebuild` events. Pipelines start builds through the [`BuildService`] port and learn
//! that a build ended from a callback, not by polling. Without `SIMFRA_DOCKER=true` a build
//! fails in PROVISIONING and says why.
//!
//! Layout: `handlers.rs` (operations), `model.rs`, `errors.rs`, `validate.rs`, `state.rs`,
//! `phases.rs` (the phase state machine), `buildspec.rs` (the buildspec parser),
//! `artifacts.rs` (which files an artifact holds), `runner/` (running builds), `managed.rs`
//! (builds of a pipeline's Commands action, which have no project).

pub mod artifacts;
pub mod buildspec;
pub mod errors;
pub mod event_target;
pub mod handlers;
pub mod managed;
pub mod model;
pub mod phases;
pub mod runner;
pub mod state;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

use crate::engine::ports::{
    BuildLog, BuildRequest, BuildResult, BuildService, CommandsRequest, CommandsStarted,
    PhaseFailure, PortError,
};
use crate::protocol::{JsonService, Router, ServiceHandle, Timestamp};

use errors::{CodeBuildError as E, Result};
use model::*;
use runner::{BuildJob, PipelineArtifact, PipelineIo, Runner, StopReason};
use state::State;

pub struct CodeBuild {
    pub state: Arc<State>,
    pub runner: Arc<Runner>,
}

impl CodeBuild {
    /// Creates a build from a project and StartBuild's overrides, stores it and starts it.
    pub fn start(
        &self,
        account: &str,
        region: &str,
        input: StartBuildInput,
        pipeline: Option<PipelineIo>,
        initiator: String,
    ) -> Result<Build> {
        let mut vs = crate::protocol::validate::Violations::new();
        vs.length("projectName", &input.project_name, 1, usize::MAX);
        if let Some(vars) = &input.environment_variables_override {
            validate::variables(&mut vs, "environmentVariablesOverride", vars);
        }
        validate::timeouts(
            &mut vs,
            input.timeout_in_minutes_override,
            input.queued_timeout_in_minutes_override,
            "Override",
        );
        validate::finish(vs)?;
        let project = self
            .state
            .require_project(account, region, &input.project_name)?;
        if let Some(vars) = &input.environment_variables_override {
            validate::reserved_names(vars)?;
        }
        let mut source = project.source.clone();
        if let Some(t) = &input.source_type_override {
            source.r#type = t.clone();
        }
        if let Some(l) = &input.source_location_override {
            source.location = Some(l.clone());
        }
        if let Some(d) = input.git_clone_depth_override {
            source.git_clone_depth = Some(d);
        }
        let mut artifacts = input
            .artifacts_override
            .clone()
            .unwrap_or_else(|| project.artifacts.clone());
        if pipeline.is_some() {
            source.r#type = "CODEPIPELINE".into();
            artifacts.r#type = "CODEPIPELINE".into();
        } else if source.r#type == "CODEPIPELINE" {
            return Err(E::invalid(
                "A build of a project whose source is CODEPIPELINE can only be started by a \
                 pipeline; override the source type to start it directly",
            ));
        }
        let buildspec = input
            .buildspec_override
            .clone()
            .or_else(|| source.buildspec.clone());
        let mut environment = project.environment.clone();
        if let Some(i) = &input.image_override {
            environment.image = i.clone();
        }
        if let Some(c) = &input.compute_type_override {
            environment.compute_type = c.clone();
        }
        if let Some(t) = &input.environment_type_override {
            environment.r#type = t.clone();
        }
        if let Some(p) = input.privileged_mode_override {
            environment.privileged_mode = Some(p);
        }
        // Variables: StartBuild's override wins over the project's (the buildspec's own come
        // last, in the container).
        let mut variables: Vec<EnvironmentVariable> = environment.environment_variables.clone();
        for o in input.environment_variables_override.iter().flatten() {
            variables.retain(|v| v.name != o.name);
            variables.push(o.clone());
        }
        for v in &mut variables {
            v.r#type.get_or_insert_with(|| "PLAINTEXT".into());
        }
        environment.environment_variables = variables.clone();
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = format!("{}:{uuid}", project.name);
        let number = self
            .state
            .next_build_number(account, region, &project.name)?;
        let logs_config = input
            .logs_config_override
            .clone()
            .unwrap_or_else(|| project.logs_config.clone());
        let cw = logs_config
            .cloud_watch_logs
            .clone()
            .unwrap_or(CloudWatchLogsConfig {
                status: "ENABLED".into(),
                ..Default::default()
            });
        let group = cw
            .group_name
            .clone()
            .unwrap_or_else(|| format!("/aws/codebuild/{}", project.name));
        let stream = match &cw.stream_name {
            Some(prefix) => format!("{prefix}/{uuid}"),
            None => uuid.clone(),
        };
        let source_version = match &pipeline {
            Some(io) => io
                .inputs
                .get(io.primary)
                .map(|a| format!("arn:aws:s3:::{}/{}", a.bucket, a.key)),
            None => input
                .source_version
                .clone()
                .or_else(|| project.source_version.clone()),
        };
        let now = Timestamp::now();
        let build = Build {
            id: id.clone(),
            arn: format!("arn:aws:codebuild:{region}:{account}:build/{id}"),
            build_number: number,
            start_time: now,
            end_time: None,
            current_phase: "SUBMITTED".into(),
            build_status: "IN_PROGRESS".into(),
            source_version,
            resolved_source_version: None,
            project_name: project.name.clone(),
            phases: vec![BuildPhase {
                phase_type: "SUBMITTED".into(),
                start_time: now,
                ..Default::default()
            }],
            source: source.clone(),
            secondary_sources: input
                .secondary_sources_override
                .clone()
                .unwrap_or_else(|| project.secondary_sources.clone()),
            secondary_source_versions: input
                .secondary_sources_version_override
                .clone()
                .unwrap_or_else(|| project.secondary_source_versions.clone()),
            artifacts: BuildArtifacts::default(),
            secondary_artifacts: Vec::new(),
            cache: input
                .cache_override
                .clone()
                .unwrap_or_else(|| project.cache.clone()),
            environment,
            service_role: input
                .service_role_override
                .clone()
                .unwrap_or_else(|| project.service_role.clone()),
            logs: logs_location(
                account,
                region,
                group,
                stream,
                cw,
                logs_config.s3_logs.clone().unwrap_or(S3LogsConfig {
                    status: "DISABLED".into(),
                    ..Default::default()
                }),
            ),
            timeout_in_minutes: input
                .timeout_in_minutes_override
                .unwrap_or(project.timeout_in_minutes),
            queued_timeout_in_minutes: input
                .queued_timeout_in_minutes_override
                .unwrap_or(project.queued_timeout_in_minutes),
            build_complete: false,
            initiator,
            encryption_key: input
                .encryption_key_override
                .clone()
                .or_else(|| project.encryption_key.clone()),
            exported_environment_variables: Vec::new(),
        };
        let job = BuildJob {
            account: account.into(),
            region: region.into(),
            build_id: id,
            secondary_sources: build.secondary_sources.clone(),
            source,
            artifacts,
            secondary_artifacts: input
                .secondary_artifacts_override
                .clone()
                .unwrap_or_else(|| project.secondary_artifacts.clone()),
            buildspec,
            variables: variables
                .into_iter()
                .map(|v| (v.name, v.value, v.r#type.unwrap_or_default()))
                .collect(),
            privileged: build.environment.privileged_mode.unwrap_or(false),
            // A project with a cache keeps its buildspec's `cache.paths` in a Docker volume of
            // its own between builds (LOCAL and S3 caches alike: simfra keeps caches locally).
            cache_paths_volume: (build.cache.r#type != "NO_CACHE").then(|| {
                let digest = <sha2::Sha256 as sha2::Digest>::digest(
                    format!("{account}/{region}/{}", project.name).as_bytes(),
                );
                let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                format!("simfra-cache-{hex}")
            }),
            pipeline,
        };
        self.state.put_build(account, region, &build)?;
        self.state.put_job(&job)?;
        self.runner.launch(job);
        Ok(build)
    }

    /// StopBuild: asks the build to stop and answers once it has (a finished build comes back
    /// unchanged).
    pub async fn stop(&self, account: &str, region: &str, id: &str) -> Result<Build> {
        let build = self
            .state
            .visible_build(account, region, id)
            .ok_or_else(|| E::build_missing(id))?;
        if build.build_complete || !self.runner.stop(id, StopReason::Stopped) {
            return Ok(build);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.runner.when_done(
            account,
            region,
            id,
            Box::new(move |b| {
                let _ = tx.send(b.clone());
            }),
        );
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(b)) => Ok(b),
            _ => self
                .state
                .build(account, region, id)
                .ok_or_else(|| E::build_missing(id)),
        }
    }

    /// RetryBuild: the same configuration again, as a new build.
    pub fn retry(&self, account: &str, region: &str, id: &str) -> Result<Build> {
        let old = self
            .state
            .visible_build(account, region, id)
            .ok_or_else(|| E::build_missing(id))?;
        let job = self
            .state
            .job(account, region, id)
            .ok_or_else(|| E::invalid(format!("Build {id} cannot be retried")))?;
        if !old.build_complete {
            return Err(E::invalid(format!(
                "Build {id} is still in progress and cannot be retried"
            )));
        }
        self.state
            .require_project(account, region, &old.project_name)?;
        let input = StartBuildInput {
            project_name: old.project_name.clone(),
            source_version: old
                .source_version
                .clone()
                .filter(|_| job.pipeline.is_none()),
            source_type_override: Some(job.source.r#type.clone())
                .filter(|_| job.pipeline.is_none()),
            source_location_override: job.source.location.clone(),
            buildspec_override: job.buildspec.clone(),
            artifacts_override: Some(job.artifacts.clone()).filter(|_| job.pipeline.is_none()),
            secondary_artifacts_override: Some(job.secondary_artifacts.clone()),
            secondary_sources_override: Some(job.secondary_sources.clone()),
            environment_variables_override: Some(
                job.variables
                    .iter()
                    .map(|(n, v, t)| EnvironmentVariable {
                        name: n.clone(),
                        value: v.clone(),
                        r#type: Some(t.clone()),
                    })
                    .collect(),
            ),
            image_override: Some(old.environment.image.clone()),
            privileged_mode_override: Some(job.privileged),
            timeout_in_minutes_override: Some(old.timeout_in_minutes),
            queued_timeout_in_minutes_override: Some(old.queued_timeout_in_minutes),
            ..Default::default()
        };
        self.start(account, region, input, job.pipeline, old.initiator)
    }
}

/// Where a build's log goes, with its console link and ARN.
pub(crate) fn logs_location(
    account: &str,
    region: &str,
    group: String,
    stream: String,
    cloud_watch_logs: CloudWatchLogsConfig,
    s3_logs: S3LogsConfig,
) -> LogsLocation {
    LogsLocation {
        deep_link: format!(
            "https://console.aws.amazon.com/cloudwatch/home?region={region}#logEvent:group={group};stream={stream}"
        ),
        cloud_watch_logs_arn: format!(
            "arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"
        ),
        group_name: group,
        stream_name: stream,
        cloud_watch_logs,
        s3_logs,
    }
}

/// How a finished build ended, as the pipeline port reports it.
fn result_of(b: &Build) -> BuildResult {
    let failure = b
        .phases
        .iter()
        .filter(|p| p.phase_status.as_deref().is_some_and(|s| s != "SUCCEEDED"))
        .find_map(|p| {
            p.contexts
                .as_ref()
                .and_then(|c| c.first())
                .map(|c| PhaseFailure {
                    phase: p.phase_type.clone(),
                    code: c.status_code.clone(),
                    message: c.message.clone(),
                })
        });
    BuildResult {
        build_id: b.id.clone(),
        status: b.build_status.clone(),
        exported: b
            .exported_environment_variables
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect(),
        failure,
        log: log_of(b),
    }
}

fn log_of(b: &Build) -> BuildLog {
    BuildLog {
        group: b.logs.group_name.clone(),
        stream: b.logs.stream_name.clone(),
        url: b.logs.deep_link.clone(),
        arn: b.logs.cloud_watch_logs_arn.clone(),
    }
}

impl BuildService for CodeBuild {
    fn start_build(
        &self,
        req: BuildRequest,
        done: Box<dyn FnOnce(BuildResult) + Send>,
    ) -> std::result::Result<String, PortError> {
        let artifact =
            |(name, bucket, key): (String, String, String)| PipelineArtifact { name, bucket, key };
        let io = PipelineIo {
            pipeline: req.pipeline.clone(),
            inputs: req.inputs.into_iter().map(artifact).collect(),
            primary: req.primary,
            outputs: req.outputs.into_iter().map(artifact).collect(),
            source_revision: req.source_revision,
        };
        let input = StartBuildInput {
            project_name: req.project.clone(),
            environment_variables_override: Some(
                req.variables
                    .into_iter()
                    .map(|(name, value, ty)| EnvironmentVariable {
                        name,
                        value,
                        r#type: Some(ty),
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let build = self
            .start(
                &req.account,
                &req.region,
                input,
                Some(io),
                format!("codepipeline/{}", req.pipeline),
            )
            .map_err(|e| PortError::Other(e.to_string()))?;
        self.runner.when_done(
            &req.account,
            &req.region,
            &build.id,
            Box::new(move |b: &Build| done(result_of(b))),
        );
        Ok(build.id)
    }

    fn start_commands(
        &self,
        req: CommandsRequest,
        done: Box<dyn FnOnce(BuildResult) + Send>,
    ) -> std::result::Result<CommandsStarted, PortError> {
        let build = self
            .start_managed(&req)
            .map_err(|e| PortError::Other(e.to_string()))?;
        self.runner.when_done(
            &req.account,
            &req.region,
            &build.id,
            Box::new(move |b: &Build| done(result_of(b))),
        );
        Ok(CommandsStarted {
            log: log_of(&build),
            build_id: build.id,
        })
    }

    fn stop_build(&self, account: &str, region: &str, build_id: &str) {
        self.runner.stop(build_id, StopReason::Stopped);
        let _ = (account, region);
    }
}

struct Handle(Arc<CodeBuild>);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "codebuild"
    }
    fn state(&self) -> String {
        if self.0.runner.runtime.is_some() {
            "running (builds run in Docker)".into()
        } else {
            "running (SIMFRA_DOCKER is off or Docker unreachable: builds fail in PROVISIONING)"
                .into()
        }
    }
    fn reset(&self) {
        self.0.runner.reset();
        self.0.state.reset();
    }
    fn shutdown(&self) {
        self.0.runner.shutdown();
    }
}

/// The operation table.
pub fn service(svc: &Arc<CodeBuild>) -> JsonService {
    let json = JsonService::new("CodeBuild_20161006", "codebuild");
    let json = handlers::register(json, svc);
    handlers::not_yet(json)
}

/// Registers the service; the runner must have been started with the same state.
pub fn register(router: &mut Router, svc: Arc<CodeBuild>) {
    router.add_json(service(&svc));
    router.add_service(Arc::new(Handle(svc)));
}
