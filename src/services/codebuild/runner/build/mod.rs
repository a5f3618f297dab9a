//! One build, phase by phase. The order of phases comes from the pure state machine in
//! `phases.rs`; this file does each phase's work and records it: the phase list, statuses and
//! contexts in the build record, the events on the bus, the agent's lines in the log.
//!
//! All commands of a build run in one shell session in the container (buildspec 0.2), so the
//! working directory and exported variables carry over from phase to phase. A stop or the
//! timeout interrupts whatever is running (the container is removed at once), and the build
//! goes through FINALIZING to COMPLETED as on AWS.

mod commands;
mod environment;

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
    /// A build of a Commands action: no `aws.codebuild` events (AWS runs it outside the
    /// account's CodeBuild).
    managed: bool,
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
    let managed = runner
        .state
        .is_managed(&job.account, &job.region, &job.build_id);
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
        managed,
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

    fn publish(&self, event: crate::bus::Event) {
        if !self.managed {
            self.runner.bus.publish(event);
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
                self.publish(events::phase_change(
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
            self.publish(events::state_change(
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
            self.publish(events::state_change(
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
