//! The action actor: one provider run of one action. It resolves the action's configuration,
//! assigns its output artifact locations, records every status change (store first, then
//! event), and reports `ActionFinished` to its stage. Cancellable (abandon) and timed out by a
//! timer, never by polling.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::prelude::*;

use super::events;
use super::messages::*;
use super::providers::{ActionJob, Reporter, RunningAction};
use super::records::{ActionRecord, ArtifactLocation, ErrorDetails};
use super::small_map::SmallMap;
use super::status::ActionExecutionStatus;
use super::Shared;
use crate::clock::Timestamp;

pub struct ActionActor {
    shared: Shared,
    stage: Addr<super::stage::StageActor>,
    job: ActionJob,
    record: ActionRecord,
    /// Set when the action could not even start (unresolvable variable, missing artifact).
    start_error: Option<ErrorDetails>,
    run: Option<Box<dyn RunningAction>>,
    done: bool,
    /// True when re-attached to a record that already exists (after a restart).
    resumed: bool,
}

/// 7 characters of `[A-Za-z0-9]` for artifact keys.
fn random7() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[..7]
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// `{pipeline[:20]}/{artifact[:10]}/{random7}`, as the artifact store names artifacts.
pub fn artifact_key(pipeline: &str, artifact: &str) -> String {
    let p: String = pipeline.chars().take(20).collect();
    let a: String = artifact.chars().take(10).collect();
    format!("{p}/{a}/{}", random7())
}

impl ActionActor {
    /// A fresh run. `inputs` are the artifacts available to the action; `scope` its variables.
    pub fn new(
        shared: Shared,
        stage: Addr<super::stage::StageActor>,
        mut job: ActionJob,
        inputs: &[ArtifactLocation],
        scope: &super::variables::Scope,
        pipeline_version: i64,
    ) -> Self {
        let spec = job.action.clone();
        let now = Timestamp::now();
        let mut start_error = None;
        let resolved = match super::variables::resolve(&spec.configuration, scope) {
            Ok(r) => r,
            Err(message) => {
                start_error = Some(ErrorDetails {
                    code: "ConfigurationError".into(),
                    message,
                });
                spec.configuration.clone()
            }
        };
        // A Commands action's commands and variable values take references too.
        if let Some(commands) = &spec.commands {
            match commands.resolve(scope) {
                Ok(r) => job.action.commands = Some(r),
                Err(message) if start_error.is_none() => {
                    start_error = Some(ErrorDetails {
                        code: "ConfigurationError".into(),
                        message,
                    })
                }
                Err(_) => {}
            }
        }
        let mut input_artifacts = Vec::new();
        for name in &spec.input_artifacts {
            match inputs.iter().find(|a| &a.name == name) {
                Some(a) => input_artifacts.push(a.clone()),
                None if start_error.is_none() => {
                    start_error = Some(ErrorDetails {
                        code: "JobFailed".into(),
                        message: format!("The input artifact {name} was not produced by an earlier action of this execution"),
                    })
                }
                None => {}
            }
        }
        let output_artifacts: Vec<ArtifactLocation> = spec
            .output_artifacts
            .iter()
            .map(|name| ArtifactLocation {
                name: name.clone(),
                bucket: job.artifact_bucket.clone(),
                key: artifact_key(&job.key.name, name),
            })
            .collect();
        job.configuration = resolved.to_btree();
        job.input_artifacts = input_artifacts.clone();
        job.output_artifacts = output_artifacts.clone();
        let record = ActionRecord {
            key: job.key.clone(),
            pipeline_execution_id: job.pipeline_execution_id.clone(),
            id: job.action_execution_id.clone(),
            pipeline_version,
            stage: job.stage.clone(),
            action: spec.name.clone(),
            start_time: now,
            last_update_time: now,
            status: ActionExecutionStatus::InProgress,
            summary: None,
            token: None,
            updated_by: None,
            external_execution_id: None,
            external_execution_url: None,
            log_stream_arn: None,
            percent_complete: None,
            error_details: None,
            action_type: spec.action_type.clone(),
            configuration: spec.configuration.clone(),
            // Kept only when it differs from the declared one (see `ActionRecord::resolved`).
            resolved_configuration: if resolved == spec.configuration {
                SmallMap::default()
            } else {
                resolved
            },
            role_arn: spec.role_arn.clone(),
            region: spec
                .region
                .clone()
                .unwrap_or_else(|| job.key.region.clone()),
            namespace: spec.namespace.clone(),
            input_artifacts,
            output_artifacts: Vec::new(),
            output_variables: BTreeMap::new(),
            current_revision: None,
        };
        // Outputs are published with the record only when the action succeeds.
        let mut actor = ActionActor {
            shared,
            stage,
            job,
            record,
            start_error,
            run: None,
            done: false,
            resumed: false,
        };
        actor.job.output_artifacts = output_artifacts;
        actor
    }

    /// Re-attaches to an action that was running when the server stopped (same execution id
    /// and, for approvals, the same token).
    pub fn resume(
        shared: Shared,
        stage: Addr<super::stage::StageActor>,
        mut job: ActionJob,
        record: ActionRecord,
    ) -> Self {
        job.action_execution_id = record.id.clone();
        job.configuration = record.resolved().to_btree();
        job.input_artifacts = record.input_artifacts.clone();
        job.resume_token = record.token.clone();
        ActionActor {
            shared,
            stage,
            job,
            record,
            start_error: None,
            run: None,
            done: false,
            resumed: true,
        }
    }

    fn timeout(&self) -> Duration {
        let t = &self.job.action.action_type;
        let configured = self
            .job
            .action
            .timeout_in_minutes
            .filter(|_| t.provider == "Manual")
            .map(|m| Duration::from_secs(m.max(1) as u64 * 60));
        let default = match (t.category.as_str(), t.provider.as_str()) {
            ("Approval", _) => self.shared.config.approval_timeout,
            _ => self.shared.config.action_timeout,
        };
        configured.unwrap_or(default)
    }

    fn persist(&mut self) {
        self.record.last_update_time = Timestamp::now();
        self.shared.records.put_action(&self.record);
    }

    fn finish(&mut self, status: ActionExecutionStatus, ctx: &mut Context<Self>) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(mut run) = self.run.take() {
            if status == ActionExecutionStatus::Abandoned || self.record.error_details.is_some() {
                run.cancel();
            }
        }
        // The token stays on the record (hidden once the action ended) so that a second answer
        // is told the approval was already completed rather than that the token is unknown.
        self.record.status = status;
        if status == ActionExecutionStatus::Succeeded {
            self.record.output_artifacts = self.job.output_artifacts.clone();
        }
        self.persist();
        events::action(&self.shared.bus, &self.record, status.event_state());
        self.shared.supervisor.do_send(ActionLive {
            action_execution_id: self.record.id.clone(),
            addr: None,
        });
        self.stage.do_send(ActionFinished {
            action: self.record.action.clone(),
            status,
            record: self.record.clone(),
        });
        ctx.stop();
    }

    fn fail(&mut self, err: ErrorDetails, ctx: &mut Context<Self>) {
        self.record
            .summary
            .get_or_insert_with(|| err.message.clone());
        self.record.error_details = Some(err);
        self.finish(ActionExecutionStatus::Failed, ctx);
    }
}

impl Actor for ActionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.shared.supervisor.do_send(ActionLive {
            action_execution_id: self.record.id.clone(),
            addr: Some(ctx.address()),
        });
        if !self.resumed {
            self.persist();
            events::action(&self.shared.bus, &self.record, "STARTED");
        }
        if let Some(err) = self.start_error.take() {
            self.fail(err, ctx);
            return;
        }
        let provider = self.shared.providers.get(&self.job.action);
        let reporter = Reporter::new(ctx.address().recipient());
        self.run = Some(provider.start(self.job.clone(), reporter));
        let timeout = self.timeout();
        ctx.run_later(timeout, move |act, ctx| {
            let what = if act.job.action.action_type.provider == "Manual" {
                "The approval request expired without an answer"
            } else {
                "The action did not finish within its time limit"
            };
            act.fail(
                ErrorDetails {
                    code: "JobFailed".into(),
                    message: what.into(),
                },
                ctx,
            );
        });
    }
}

impl Handler<ProviderReport> for ActionActor {
    type Result = ();

    fn handle(&mut self, msg: ProviderReport, ctx: &mut Context<Self>) {
        if self.done {
            return;
        }
        match msg {
            ProviderReport::Progress(p) => {
                if p.summary.is_some() {
                    self.record.summary = p.summary;
                }
                if p.token.is_some() {
                    self.record.token = p.token;
                }
                if p.external_execution_id.is_some() {
                    self.record.external_execution_id = p.external_execution_id;
                }
                if p.external_execution_url.is_some() {
                    self.record.external_execution_url = p.external_execution_url;
                }
                if p.log_stream_arn.is_some() {
                    self.record.log_stream_arn = p.log_stream_arn;
                }
                if p.percent_complete.is_some() {
                    self.record.percent_complete = p.percent_complete;
                }
                self.persist();
            }
            ProviderReport::Succeeded(s) => {
                if s.summary.is_some() {
                    self.record.summary = s.summary;
                }
                if s.external_execution_id.is_some() {
                    self.record.external_execution_id = s.external_execution_id;
                }
                if s.external_execution_url.is_some() {
                    self.record.external_execution_url = s.external_execution_url;
                }
                if s.updated_by.is_some() {
                    self.record.updated_by = s.updated_by;
                }
                self.record.output_variables = s.output_variables;
                self.record.current_revision = s.revision;
                self.finish(ActionExecutionStatus::Succeeded, ctx);
            }
            ProviderReport::Failed(err) => self.fail(err, ctx),
        }
    }
}

impl Handler<Abandon> for ActionActor {
    type Result = ();

    fn handle(&mut self, _: Abandon, ctx: &mut Context<Self>) {
        self.finish(ActionExecutionStatus::Abandoned, ctx);
    }
}

impl Handler<ApprovalResult> for ActionActor {
    type Result = Result<Timestamp, super::errors::EngineError>;

    fn handle(&mut self, msg: ApprovalResult, ctx: &mut Context<Self>) -> Self::Result {
        use super::errors::EngineError;
        if self.done || self.record.status != ActionExecutionStatus::InProgress {
            return Err(EngineError::ApprovalAlreadyCompleted(
                "The approval request has already been answered".into(),
            ));
        }
        if self.record.token.as_deref() != Some(msg.token.as_str()) {
            return Err(EngineError::InvalidApprovalToken(format!(
                "The approval token {} is not valid for action {} in stage {}",
                msg.token, self.record.action, self.record.stage
            )));
        }
        let now = Timestamp::now();
        self.record.summary = msg.summary.clone();
        self.record.updated_by = Some(msg.by);
        if msg.approved {
            self.finish(ActionExecutionStatus::Succeeded, ctx);
        } else {
            self.fail(
                ErrorDetails {
                    code: "JobFailed".into(),
                    message: msg.summary.unwrap_or_else(|| "Rejected".into()),
                },
                ctx,
            );
        }
        Ok(now)
    }
}
