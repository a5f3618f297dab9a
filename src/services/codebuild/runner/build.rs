//! One build, phase by phase. The order of phases comes from the pure state machine in
//! `phases.rs`; this file does each phase's work and records it: the phase list, statuses and
//! contexts in the build record, the events on the bus, the agent's lines in the log.
//!
//! All commands of a build run in one shell session in the container (buildspec 0.2), so the
//! working directory and exported variables carry over from phase to phase. A stop or the
//! timeout interrupts whatever is running (the container is removed at once), and the build
//! goes through FINALIZING to COMPLETED as on AWS.

use std::sync::Arc;

use tokio::sync::watch;

use super::agent_log::LogWriter;
use super::sources::{self, SourceLayout};
use super::{events, upload, BuildJob, Runner, StopReason};
use crate::clock::Timestamp;
use crate::runtime::{ContainerGuard, ContainerSpec, OutputLine, RuntimeError, ShellSession};
use crate::services::codebuild::buildspec::{self, BuildSpec, OnFailure};
use crate::services::codebuild::model::{Build, BuildPhase, PhaseContext};
use crate::services::codebuild::phases::{self, Outcome, Phase};

/// How a phase's work ended, before the phase is recorded.
pub(super) enum Work {
    Done,
    /// Failed with a phase context (status code, message).
    Failed(String, String),
    /// Failed and the build must not go on regardless of `on-failure` (e.g. the container is
    /// gone).
    Fault(String, String),
}

/// Marks a build that was running when the server stopped as ended.
pub(super) fn end_interrupted(b: &mut Build) {
    let now = Timestamp::now();
    if let Some(last) = b.phases.last_mut() {
        if last.phase_status.is_none() {
            close_phase(
                last,
                "FAULT",
                now,
                Some((
                    "CLIENT_ERROR".into(),
                    "simfra stopped while the build was running; the build cannot be resumed"
                        .into(),
                )),
            );
        }
    }
    b.phases.push(BuildPhase {
        phase_type: Phase::Completed.as_str().into(),
        start_time: now,
        ..Default::default()
    });
    b.current_phase = Phase::Completed.as_str().into();
    b.build_status = "FAULT".into();
    b.build_complete = true;
    b.end_time = Some(now);
}

fn close_phase(p: &mut BuildPhase, status: &str, now: Timestamp, ctx: Option<(String, String)>) {
    p.phase_status = Some(status.into());
    p.end_time = Some(now);
    p.duration_in_seconds = Some(((now.0 - p.start_time.0).max(0)) / 1000);
    let (code, message) = ctx.unwrap_or_default();
    p.contexts = Some(vec![PhaseContext {
        status_code: code,
        message,
    }]);
}

/// The state of one running build.
struct Exec<'a> {
    runner: &'a Arc<Runner>,
    job: BuildJob,
    log: LogWriter,
    outcomes: Vec<Outcome>,
    stop: watch::Receiver<Option<StopReason>>,
    deadline: tokio::time::Instant,
    container: Option<ContainerGuard>,
    shell: Option<Box<dyn ShellSession>>,
    spec: Option<BuildSpec>,
    layout: Option<SourceLayout>,
    /// Why the build ends early, once known.
    interrupted: Option<Outcome>,
    /// What a new shell session runs first: the source directory and the variables.
    environment_script: String,
}

pub(super) async fn run(
    runner: &Arc<Runner>,
    job: BuildJob,
    stop: watch::Receiver<Option<StopReason>>,
) {
    let Some(build) = runner.state.build(&job.account, &job.region, &job.build_id) else {
        return;
    };
    let minutes = build.timeout_in_minutes.max(1) as u32;
    let timeout = runner.config.minute.saturating_mul(minutes);
    let target = build.logs.cloud_watch_logs.status.eq("ENABLED").then(|| {
        (
            job.account.clone(),
            job.region.clone(),
            build.logs.group_name.clone(),
            build.logs.stream_name.clone(),
        )
    });
    let mut exec = Exec {
        runner,
        log: LogWriter::new(runner.logs.clone(), target),
        job,
        outcomes: Vec::new(),
        stop,
        deadline: tokio::time::Instant::now() + timeout,
        container: None,
        shell: None,
        spec: None,
        layout: None,
        interrupted: None,
        environment_script: String::new(),
    };
    exec.walk().await;
}

impl Exec<'_> {
    fn modify(&self, f: impl FnOnce(&mut Build)) -> Option<Build> {
        match self.runner.state.modify_build(
            &self.job.account,
            &self.job.region,
            &self.job.build_id,
            f,
        ) {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::error!(build = %self.job.build_id, "recording the build failed: {e}");
                None
            }
        }
    }

    fn enter(&mut self, phase: Phase) {
        if !matches!(phase, Phase::Submitted | Phase::Queued | Phase::Completed) {
            self.log.agent(format!("Entering phase {}", phase.as_str()));
        }
        self.modify(|b| {
            // SUBMITTED is recorded when the build is created.
            if phase != Phase::Submitted {
                b.phases.push(BuildPhase {
                    phase_type: phase.as_str().into(),
                    start_time: Timestamp::now(),
                    ..Default::default()
                });
            }
            b.current_phase = phase.as_str().into();
        });
    }

    fn finish(&mut self, phase: Phase, outcome: Outcome, ctx: Option<(String, String)>) {
        let status = outcome.status();
        if !matches!(phase, Phase::Submitted | Phase::Queued) {
            self.log.agent(format!(
                "Phase complete: {} State: {status}",
                phase.as_str()
            ));
            if let Some((code, message)) = &ctx {
                self.log.agent(format!(
                    "Phase context status code: {code} Message: {message}"
                ));
            }
        }
        self.outcomes.push(outcome);
        let updated = self.modify(|b| {
            if let Some(p) = b.phases.last_mut() {
                close_phase(p, status, Timestamp::now(), ctx);
            }
        });
        if let Some(b) = updated {
            if let Some(p) = b.phases.last() {
                self.runner.bus.publish(events::phase_change(
                    &self.job.account,
                    &self.job.region,
                    &b,
                    p,
                ));
            }
        }
    }

    async fn walk(&mut self) {
        let mut phase = Phase::Submitted;
        if let Some(b) = self.modify(|b| b.build_status = "IN_PROGRESS".into()) {
            self.runner.bus.publish(events::state_change(
                &self.job.account,
                &self.job.region,
                &b,
            ));
        }
        loop {
            self.enter(phase);
            if phase == Phase::Completed {
                break;
            }
            let work = self.interruptible(phase).await;
            let continue_on_failure = self.continue_on_failure(phase);
            let (outcome, ctx) = match work {
                _ if self.interrupted.is_some() && phase != Phase::Finalizing => {
                    let o = self.interrupted.unwrap_or(Outcome::Stopped);
                    let msg = match o {
                        Outcome::TimedOut => "Build has timed out",
                        _ => "Build was stopped",
                    };
                    (
                        o,
                        Some(("BUILD_TIMED_OUT_OR_STOPPED".to_string(), msg.to_string())),
                    )
                }
                Work::Done => (Outcome::Succeeded, None),
                Work::Failed(code, msg) => (
                    Outcome::Failed {
                        continue_on_failure,
                    },
                    Some((code, msg)),
                ),
                Work::Fault(code, msg) => (
                    Outcome::Failed {
                        continue_on_failure: false,
                    },
                    Some((code, msg)),
                ),
            };
            // A stopped or timed-out build: the phase that was running carries the status;
            // FINALIZING still runs (it removes the container).
            self.finish(phase, outcome, ctx);
            let mut next = phases::next(phase, outcome);
            if self.interrupted.is_some() && next != Phase::Completed {
                next = Phase::Finalizing;
            }
            if phase == Phase::Finalizing {
                next = Phase::Completed;
            }
            phase = next;
        }
        let status = phases::build_status(&self.outcomes);
        self.log.flush();
        if let Some(b) = self.modify(|b| {
            b.build_status = status.into();
            b.build_complete = true;
            b.end_time = Some(Timestamp::now());
        }) {
            self.runner.bus.publish(events::state_change(
                &self.job.account,
                &self.job.region,
                &b,
            ));
        }
    }

    fn continue_on_failure(&self, phase: Phase) -> bool {
        let Some(spec) = &self.spec else { return false };
        phase
            .buildspec_name()
            .and_then(|n| spec.phase(n))
            .is_some_and(|p| p.on_failure == OnFailure::Continue)
    }

    /// Runs a phase's work unless the build is stopped or times out meanwhile.
    async fn interruptible(&mut self, phase: Phase) -> Work {
        if self.interrupted.is_some() || phase == Phase::Finalizing {
            return self.phase_work(phase).await;
        }
        // PROVISIONING is not cut short: a container being created when a stop arrives would
        // have no owner to remove it. A stop or timeout that came meanwhile applies after it.
        if phase == Phase::Provisioning {
            let work = self.phase_work(phase).await;
            let timed_out = tokio::time::Instant::now() >= self.deadline;
            if self.stop.borrow().is_some() || timed_out {
                self.interrupted = Some(if timed_out {
                    Outcome::TimedOut
                } else {
                    Outcome::Stopped
                });
                if let Some(c) = self.container.take() {
                    if let Err(e) = c.remove().await {
                        tracing::warn!(build = %self.job.build_id, "removing the container failed: {e}");
                    }
                }
                return Work::Done;
            }
            return work;
        }
        let deadline = self.deadline;
        let mut stop = self.stop.clone();
        let work = {
            let fut = self.phase_work(phase);
            tokio::pin!(fut);
            tokio::select! {
                w = &mut fut => Ok(w),
                r = wait_stop(&mut stop) => Err(r),
                _ = tokio::time::sleep_until(deadline) => Err(Outcome::TimedOut),
            }
        };
        match work {
            Ok(w) => w,
            Err(outcome) => {
                self.interrupted = Some(outcome);
                // The shell may be mid-command: it goes with the container.
                self.shell = None;
                if let Some(c) = self.container.take() {
                    if let Err(e) = c.remove().await {
                        tracing::warn!(build = %self.job.build_id, "removing the container failed: {e}");
                    }
                }
                Work::Done
            }
        }
    }

    async fn phase_work(&mut self, phase: Phase) -> Work {
        match phase {
            Phase::Submitted | Phase::Queued | Phase::Completed => Work::Done,
            Phase::Provisioning => self.provision().await,
            Phase::DownloadSource => self.download_source().await,
            Phase::Install | Phase::PreBuild | Phase::Build | Phase::PostBuild => {
                self.commands(phase).await
            }
            Phase::UploadArtifacts => self.upload().await,
            Phase::Finalizing => self.finalize().await,
        }
    }

    async fn provision(&mut self) -> Work {
        let Some(runtime) = self.runner.runtime.clone() else {
            return Work::Failed(
                "CLIENT_ERROR".into(),
                "Builds run in Docker containers: start simfra with SIMFRA_DOCKER=true and a \
                 reachable Docker daemon to run them"
                    .into(),
            );
        };
        for (name, _, ty) in &self.job.variables {
            if ty != "PLAINTEXT" {
                return Work::Failed(
                    "CLIENT_ERROR".into(),
                    format!(
                        "Environment variable {name} has type {ty}: simfra does not have \
                         Parameter Store or Secrets Manager yet; only PLAINTEXT variables work"
                    ),
                );
            }
        }
        let Some(build) =
            self.runner
                .state
                .build(&self.job.account, &self.job.region, &self.job.build_id)
        else {
            return Work::Fault("CLIENT_ERROR".into(), "the build record is gone".into());
        };
        let image = self.image(&build.environment.image);
        if image != build.environment.image {
            self.log.agent(format!(
                "Using the local image {image} for {}",
                build.environment.image
            ));
        }
        if let Err(e) = runtime.ensure_image(&image).await {
            return match e {
                RuntimeError::ImageUnavailable { .. } => Work::Failed(
                    "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE".into(),
                    format!("Unable to pull customer's container image. {e}"),
                ),
                other => Work::Failed("CLIENT_ERROR".into(), other.to_string()),
            };
        }
        let spec = self.container_spec(&build, &image);
        match runtime.start_container(spec).await {
            Ok(id) => {
                self.log.agent("Waiting for agent ping");
                self.container = Some(ContainerGuard::new(runtime, id));
                Work::Done
            }
            Err(e) => Work::Failed("CLIENT_ERROR".into(), e.to_string()),
        }
    }

    /// The image to run: `aws/codebuild/*` images map to the configured local image.
    fn image(&self, wanted: &str) -> String {
        match &self.runner.config.codebuild_image {
            Some(local) if wanted.starts_with("aws/codebuild/") => local.clone(),
            _ => wanted.to_string(),
        }
    }

    fn container_spec(&self, build: &Build, image: &str) -> ContainerSpec {
        let job = &self.job;
        let mut env: Vec<(String, String)> = vec![
            ("AWS_REGION".into(), job.region.clone()),
            ("AWS_DEFAULT_REGION".into(), job.region.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "simfra".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "simfra".into()),
            ("CODEBUILD_BUILD_ARN".into(), build.arn.clone()),
            ("CODEBUILD_BUILD_ID".into(), build.id.clone()),
            (
                "CODEBUILD_BUILD_IMAGE".into(),
                build.environment.image.clone(),
            ),
            (
                "CODEBUILD_BUILD_NUMBER".into(),
                build.build_number.to_string(),
            ),
            ("CODEBUILD_BUILD_SUCCEEDING".into(), "1".into()),
            ("CODEBUILD_INITIATOR".into(), build.initiator.clone()),
            ("CODEBUILD_LOG_PATH".into(), build.logs.stream_name.clone()),
            (
                "CODEBUILD_START_TIME".into(),
                build.start_time.0.to_string(),
            ),
            ("CODEBUILD_CI".into(), "true".into()),
            ("CODEBUILD_CONTAINER_NAME".into(), "default".into()),
            (
                "CODEBUILD_KMS_KEY_ID".into(),
                build.encryption_key.clone().unwrap_or_default(),
            ),
        ];
        if let Some(endpoint) = self
            .runner
            .config
            .container_endpoint
            .as_ref()
            .and_then(|e| e.get())
        {
            env.push(("AWS_ENDPOINT_URL".into(), endpoint));
        }
        if let Some(v) = &build.source_version {
            env.push(("CODEBUILD_SOURCE_VERSION".into(), v.clone()));
        }
        if let Some(l) = &build.source.location {
            env.push(("CODEBUILD_SOURCE_REPO_URL".into(), l.clone()));
        }
        for (name, value, _) in &job.variables {
            env.retain(|(n, _)| n != name);
            env.push((name.clone(), value.clone()));
        }
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("simfra.service".to_string(), "codebuild".to_string());
        labels.insert("simfra.build-id".to_string(), build.id.clone());
        labels.insert("simfra.project".to_string(), build.project_name.clone());
        if let Some(tag) = crate::runtime::process_tag(std::process::id()) {
            labels.insert(crate::runtime::OWNER_LABEL.to_string(), tag);
        }
        let short = build.id.rsplit(':').next().unwrap_or("build");
        ContainerSpec {
            name: format!("simfra-build-{}-{}", sanitize(&build.project_name), short),
            image: image.to_string(),
            env,
            labels,
            working_dir: None,
            // privilegedMode exists for Docker commands in builds: simfra hands the build the
            // host daemon's socket, so no nested daemon and no --privileged container is needed.
            docker_socket: job.privileged,
            privileged: false,
            volumes: job
                .cache_paths_volume
                .iter()
                .map(|v| (v.clone(), CACHE_MOUNT.to_string()))
                .collect(),
            network: self.runner.config.network.clone(),
            extra_hosts: self.runner.config.extra_hosts.clone(),
        }
    }

    async fn download_source(&mut self) -> Work {
        let Some(container) = self.container.as_ref().map(|c| c.id().to_string()) else {
            return Work::Fault("CLIENT_ERROR".into(), "no build container".into());
        };
        let Some(runtime) = self.runner.runtime.clone() else {
            return Work::Fault("CLIENT_ERROR".into(), "no container runtime".into());
        };
        let layout =
            match sources::download(self.runner, &self.job, runtime.as_ref(), &container).await {
                Ok(l) => l,
                Err((code, msg)) => return Work::Failed(code, msg),
            };
        self.log
            .agent(format!("CODEBUILD_SRC_DIR={}", layout.src_dir));
        if let Some(v) = &layout.resolved_source_version {
            let v = v.clone();
            self.modify(|b| b.resolved_source_version = Some(v));
        }
        let text = match &layout.buildspec {
            Ok(text) => text.clone(),
            Err(msg) => return Work::Failed("YAML_FILE_ERROR".into(), msg.clone()),
        };
        self.log
            .agent(format!("YAML location is {}", layout.buildspec_location));
        let spec = match buildspec::parse(&text) {
            Ok(s) => s,
            Err(e) => return Work::Failed("YAML_FILE_ERROR".into(), e.message),
        };
        if !spec.warnings.is_empty() {
            self.log.agent(format!(
                "Found possible syntax errors in buildspec: {}",
                spec.warnings.join("; ")
            ));
        }
        if let Some((name, _)) = spec
            .env
            .parameter_store
            .first()
            .or(spec.env.secrets_manager.first())
        {
            return Work::Failed(
                "CLIENT_ERROR".into(),
                format!(
                    "The buildspec reads {name} from Parameter Store or Secrets Manager, which \
                     simfra does not have yet"
                ),
            );
        }
        let shell = spec.env.shell.clone().unwrap_or_else(|| "/bin/sh".into());
        let session = match runtime.open_shell(&container, &shell).await {
            Ok(s) => s,
            Err(e) => return Work::Failed("CLIENT_ERROR".into(), e.to_string()),
        };
        self.shell = Some(session);
        // The session's starting point: the source directory, the source variables, and the
        // buildspec's variables (which project and StartBuild variables override).
        let mut setup = vec![format!("cd {}", quote(&layout.src_dir))];
        for (k, v) in &layout.variables {
            setup.push(format!("export {k}={}", quote(v)));
        }
        for (k, v) in &spec.env.variables {
            if !self.job.variables.iter().any(|(n, _, _)| n == k) {
                setup.push(format!("export {k}={}", quote(v)));
            }
        }
        self.environment_script = setup.join("\n");
        setup.extend(cache_script(
            &self.job,
            &spec.cache_paths,
            CacheStep::Restore,
        ));
        let script = setup.join("\n");
        self.spec = Some(spec);
        self.layout = Some(layout);
        match self.run_quiet(&script).await {
            Ok(0) => Work::Done,
            Ok(code) => Work::Failed(
                "CLIENT_ERROR".into(),
                format!("Setting up the build environment failed with exit status {code}"),
            ),
            Err(e) => Work::Failed("CLIENT_ERROR".into(), e),
        }
    }

    /// Runs a command whose output goes to the log, without the "Running command" line.
    async fn run_quiet(&mut self, command: &str) -> Result<i64, String> {
        let Some(shell) = self.shell.as_mut() else {
            return Err("the build's shell session is gone".into());
        };
        let log = &mut self.log;
        let mut out = |l: OutputLine| log.line(l.text);
        let r = shell.run(command, &mut out).await;
        self.log.flush();
        r.map_err(|e| e.to_string())
    }

    async fn commands(&mut self, phase: Phase) -> Work {
        let Some(name) = phase.buildspec_name() else {
            return Work::Done;
        };
        let Some(p) = self.spec.as_ref().and_then(|s| s.phase(name)).cloned() else {
            if phase == Phase::PostBuild {
                self.read_exported().await;
            }
            return Work::Done;
        };
        if phase == Phase::PostBuild && self.outcomes.iter().any(|o| o.status() != "SUCCEEDED") {
            // Also for a session opened later (the previous one may have ended).
            self.environment_script
                .push_str("\nexport CODEBUILD_BUILD_SUCCEEDING=0");
            if self.shell.is_some() {
                let _ = self.run_quiet("export CODEBUILD_BUILD_SUCCEEDING=0").await;
            }
        }
        let mut failure: Option<(String, String)> = None;
        for cmd in &p.commands {
            self.log.agent(format!("Running command {cmd}"));
            match self.run_command(cmd).await {
                Ok(0) => {}
                Ok(code) => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: exit status {code}"),
                    ));
                    break;
                }
                Err(e) => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: {e}"),
                    ));
                    break;
                }
            }
        }
        for cmd in &p.finally {
            self.log.agent(format!("Running command {cmd}"));
            match self.run_command(cmd).await {
                Ok(0) => {}
                Ok(code) if failure.is_none() => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: exit status {code}"),
                    ));
                }
                Err(e) if failure.is_none() => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: {e}"),
                    ));
                }
                _ => {}
            }
        }
        if phase == Phase::PostBuild {
            self.read_exported().await;
        }
        match failure {
            None => Work::Done,
            Some((code, msg)) => Work::Failed(code, msg),
        }
    }

    /// Runs one buildspec command; a session that died is reopened (its state is lost, as it
    /// would be on AWS when the shell exits).
    async fn run_command(&mut self, cmd: &str) -> Result<i64, String> {
        if self.shell.is_none() {
            self.reopen_shell().await?;
        }
        let result = self.run_quiet(cmd).await;
        match result {
            Err(_) => self.shell = None,
            // A command that fails may have ended the shell itself (`exit 3`): a no-op tells.
            Ok(code) if code != 0 => {
                if self.run_quiet(":").await.is_err() {
                    self.shell = None;
                    self.log.agent(
                        "The shell session ended; the next commands run in a new one (variables \
                         exported by earlier commands are gone)",
                    );
                }
            }
            Ok(_) => {}
        }
        result
    }

    async fn reopen_shell(&mut self) -> Result<(), String> {
        let (Some(runtime), Some(container)) = (
            self.runner.runtime.clone(),
            self.container.as_ref().map(|c| c.id().to_string()),
        ) else {
            return Err("the build container is gone".into());
        };
        let shell = self
            .spec
            .as_ref()
            .and_then(|s| s.env.shell.clone())
            .unwrap_or_else(|| "/bin/sh".into());
        let session = runtime
            .open_shell(&container, &shell)
            .await
            .map_err(|e| e.to_string())?;
        self.shell = Some(session);
        let setup = self.environment_script.clone();
        if !setup.is_empty() {
            let _ = self.run_quiet(&setup).await;
        }
        Ok(())
    }

    /// The buildspec's `exported-variables`, as of the end of POST_BUILD.
    async fn read_exported(&mut self) {
        let names = self
            .spec
            .as_ref()
            .map(|s| s.env.exported_variables.clone())
            .unwrap_or_default();
        if names.is_empty() {
            return;
        }
        if self.shell.is_none() && self.reopen_shell().await.is_err() {
            return;
        }
        let mut values = Vec::new();
        for name in names {
            let Some(shell) = self.shell.as_mut() else {
                break;
            };
            match shell.read_var(&name).await {
                Ok(v) => values.push((name, v.unwrap_or_default())),
                Err(e) => {
                    tracing::debug!("reading exported variable {name} failed: {e}");
                    values.push((name, String::new()));
                }
            }
        }
        self.modify(|b| {
            b.exported_environment_variables = values
                .into_iter()
                .map(|(name, value)| {
                    crate::services::codebuild::model::ExportedEnvironmentVariable { name, value }
                })
                .collect()
        });
    }

    /// Saves the buildspec's cache paths into the project's cache volume (before the
    /// artifacts are uploaded, as CodeBuild does).
    async fn save_cache(&mut self) {
        let paths = self
            .spec
            .as_ref()
            .map(|s| s.cache_paths.clone())
            .unwrap_or_default();
        let script = cache_script(&self.job, &paths, CacheStep::Save).join("\n");
        if script.is_empty() || self.container.is_none() {
            return;
        }
        if self.shell.is_none() && self.reopen_shell().await.is_err() {
            return;
        }
        self.log.agent("Saving the cache");
        if let Err(e) = self.run_quiet(&script).await {
            self.log.agent(format!("Saving the cache failed: {e}"));
        }
    }

    async fn upload(&mut self) -> Work {
        self.save_cache().await;
        let (Some(runtime), Some(container), Some(layout)) = (
            self.runner.runtime.clone(),
            self.container.as_ref().map(|c| c.id().to_string()),
            self.layout.as_ref(),
        ) else {
            return Work::Done;
        };
        let spec = self.spec.as_ref().and_then(|s| s.artifacts.clone());
        match upload::run(
            self.runner,
            &self.job,
            runtime.as_ref(),
            &container,
            &layout.src_dir,
            spec.as_ref(),
        )
        .await
        {
            Ok(result) => {
                self.modify(|b| {
                    b.artifacts = result.primary;
                    b.secondary_artifacts = result.secondary;
                });
                Work::Done
            }
            Err((code, msg)) => Work::Failed(code, msg),
        }
    }

    async fn finalize(&mut self) -> Work {
        self.shell = None;
        if let Some(c) = self.container.take() {
            if let Err(e) = c.remove().await {
                tracing::warn!(build = %self.job.build_id, "removing the build container failed: {e}");
            }
        }
        let work = self
            .runner
            .config
            .work_dir
            .join(sanitize(&self.job.build_id));
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(work)).await;
        Work::Done
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CacheStep {
    Restore,
    Save,
}

/// Shell lines that restore or save cache paths. Each path's directory (the part before the
/// first glob character; relative paths are relative to the source directory) is kept in the
/// cache volume under its hex-encoded name.
fn cache_script(job: &BuildJob, paths: &[String], step: CacheStep) -> Vec<String> {
    if job.cache_paths_volume.is_none() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for p in paths {
        let cut = p.find(['*', '?', '[']).unwrap_or(p.len());
        let dir = p[..cut].trim_end_matches('/');
        if dir.is_empty() || dir.split('/').any(|c| c == "..") {
            continue;
        }
        let key: String = dir.bytes().map(|b| format!("{b:02x}")).collect();
        let slot = format!("{CACHE_MOUNT}/{key}");
        let dir = if dir.starts_with('/') {
            quote(dir)
        } else {
            format!("\"$CODEBUILD_SRC_DIR\"/{}", quote(dir))
        };
        lines.push(match step {
            CacheStep::Restore => format!(
                "if [ -d {slot} ]; then mkdir -p {dir} && cp -a {slot}/. {dir}/; fi"
            ),
            CacheStep::Save => format!(
                "if [ -d {dir} ]; then rm -rf {slot} && mkdir -p {slot} && cp -a {dir}/. {slot}/; fi"
            ),
        });
    }
    lines
}

/// Where the project's cache volume is mounted in build containers.
const CACHE_MOUNT: &str = "/codebuild/local-cache";

async fn wait_stop(stop: &mut watch::Receiver<Option<StopReason>>) -> Outcome {
    loop {
        if stop.borrow().is_some() {
            return Outcome::Stopped;
        }
        if stop.changed().await.is_err() {
            // The runner went away: treat as a stop.
            std::future::pending::<()>().await;
        }
    }
}

/// A single-quoted shell word.
pub(super) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A name safe for container names and paths.
pub(super) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
