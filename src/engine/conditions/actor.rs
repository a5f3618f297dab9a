//! The condition actor: one evaluation of one stage condition. It runs the condition's rules in
//! order, recording each rule execution (store first), and reports `ConditionFinished` to its
//! execution when a rule fails or all succeeded. Each rule's verdict arrives as a message
//! (`RuleEvaluated`). A rule that waits (a closed deployment window) stays InProgress and is
//! evaluated again by a timer set for the moment its window opens, never by polling; a timer
//! set for its deadline fails it. A `Commands` rule starts a build (`commands.rs`) whose end
//! the build service reports with the same message; the build id is recorded at once. A
//! `StopCondition` (an override or a stop) abandons the rule in progress and ends the actor
//! without a report; a build still running is stopped then, at the rule's deadline, and when
//! the actor ends for any other reason.
//!
//! After a restart the actor re-attaches to the evaluation: rules that already succeeded are
//! not run again, a rule that was waiting continues with its execution id and deadline. A
//! `Commands` rule whose build was running is abandoned (its build stopped) and runs again as
//! a new rule execution, as an action that was running does.
//!
//! Decision: a rule's timeout (`timeoutInMinutes`) defaults to the engine's rule timeout
//! (`SIMFRA_RULE_TIMEOUT_SECONDS`, 7 days: as long as a manual approval waits), so that a
//! deployment window closed over a long weekend holds the execution rather than failing it.

use std::time::Duration;

use actix::prelude::*;

use super::commands::{self, RuleRun};
use super::rules::{self, Verdict};
use super::{ConditionExecutionStatus, ConditionKind, RuleExecutionStatus};
use crate::clock::Timestamp;
use crate::engine::execution::ExecutionActor;
use crate::engine::messages::{ConditionFinished, RuleEvaluated, StopCondition};
use crate::engine::providers::RunningBuild;
use crate::engine::records::{ArtifactLocation, ErrorDetails, RuleRecord};
use crate::engine::spec::{PipelineKey, RuleSpec};
use crate::engine::variables::{self, Scope};
use crate::engine::Shared;

/// The longest a single timer waits before the rule is evaluated again (the window is
/// recomputed from the wall clock then).
const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What a condition evaluation starts with.
pub struct ConditionStart {
    pub key: PipelineKey,
    pub execution_id: String,
    pub pipeline_version: i64,
    pub stage: String,
    pub kind: ConditionKind,
    /// The evaluation's id (`ConditionRun::id`).
    pub run: String,
    pub rules: Vec<RuleSpec>,
    /// The variables the rules' `#{...}` references resolve against.
    pub scope: Scope,
    /// The artifacts available to the rules' input artifacts.
    pub artifacts: Vec<ArtifactLocation>,
    /// Rule executions of this evaluation from before a restart, oldest first.
    pub prior: Vec<RuleRecord>,
}

pub struct ConditionActor {
    shared: Shared,
    execution: Addr<ExecutionActor>,
    start: ConditionStart,
    /// The rule being evaluated (an index into `start.rules`).
    index: usize,
    current: Option<RuleRecord>,
    /// Why the current rule cannot be evaluated (an unresolvable reference).
    start_error: Option<String>,
    /// The build of the current `Commands` rule while it runs.
    build: Option<RunningBuild>,
    done: bool,
}

impl ConditionActor {
    pub fn new(shared: Shared, execution: Addr<ExecutionActor>, start: ConditionStart) -> Self {
        ConditionActor {
            shared,
            execution,
            start,
            index: 0,
            current: None,
            start_error: None,
            build: None,
            done: false,
        }
    }

    fn persist(&mut self) {
        let Some(rec) = self.current.as_mut() else {
            return;
        };
        rec.last_update_time = Timestamp::now();
        self.shared.records.put_rule(rec);
    }

    fn timeout(&self, rule: &RuleSpec) -> Duration {
        rule.timeout_in_minutes
            .map(|m| Duration::from_secs(m.max(1) as u64 * 60))
            .unwrap_or(self.shared.config.rule_timeout)
    }

    fn new_record(&mut self, rule: &RuleSpec) -> RuleRecord {
        let now = Timestamp::now();
        let resolved = match variables::resolve(&rule.configuration, &self.start.scope) {
            Ok(r) => r,
            Err(message) => {
                self.start_error = Some(message);
                rule.configuration.clone()
            }
        };
        let input_artifacts = rule
            .input_artifacts
            .iter()
            .filter_map(|name| self.start.artifacts.iter().find(|a| &a.name == name))
            .cloned()
            .collect();
        RuleRecord {
            key: self.start.key.clone(),
            pipeline_execution_id: self.start.execution_id.clone(),
            id: uuid::Uuid::new_v4().to_string(),
            pipeline_version: self.start.pipeline_version,
            stage: self.start.stage.clone(),
            condition: self.start.kind,
            condition_run: self.start.run.clone(),
            rule: rule.name.clone(),
            start_time: now,
            last_update_time: now,
            status: RuleExecutionStatus::InProgress,
            summary: None,
            token: Some(uuid::Uuid::new_v4().to_string()),
            updated_by: None,
            external_execution_id: None,
            external_execution_url: None,
            error_details: None,
            rule_type: rule.rule_type.clone(),
            configuration: rule.configuration.clone(),
            resolved_configuration: resolved,
            role_arn: rule.role_arn.clone(),
            region: rule
                .region
                .clone()
                .unwrap_or_else(|| self.start.key.region.clone()),
            input_artifacts,
        }
    }

    /// Moves to the next rule that has not succeeded yet, or reports the condition met.
    fn next(&mut self, ctx: &mut Context<Self>) {
        while let Some(rule) = self.start.rules.get(self.index).cloned() {
            let prior = self
                .start
                .prior
                .iter()
                .rev()
                .find(|r| r.rule == rule.name)
                .cloned();
            self.start_error = None;
            let record = match prior {
                Some(p) if p.status == RuleExecutionStatus::Succeeded => {
                    self.index += 1;
                    continue;
                }
                // A build that ran before the restart is not waited for: it runs again.
                Some(p)
                    if p.status == RuleExecutionStatus::InProgress
                        && p.rule_type.provider == commands::PROVIDER =>
                {
                    self.abandon_interrupted(p);
                    let r = self.new_record(&rule);
                    self.current = Some(r);
                    self.persist();
                    self.current.take().expect("set above")
                }
                // Re-attached after a restart: same execution id, same deadline.
                Some(p) if p.status == RuleExecutionStatus::InProgress => p,
                _ => {
                    let r = self.new_record(&rule);
                    self.current = Some(r);
                    self.persist();
                    self.current.take().expect("set above")
                }
            };
            let elapsed = Timestamp::now().millis() - record.start_time.millis();
            let left = self
                .timeout(&rule)
                .saturating_sub(Duration::from_millis(elapsed.max(0) as u64));
            let id = record.id.clone();
            self.current = Some(record);
            let minutes = self.timeout(&rule).as_secs() / 60;
            ctx.run_later(left, move |act, ctx| act.timed_out(&id, minutes, ctx));
            self.evaluate(ctx);
            return;
        }
        let n = self.start.rules.len();
        self.finish(
            ConditionExecutionStatus::Succeeded,
            format!("{n} rule{} succeeded", if n == 1 { "" } else { "s" }),
            ctx,
        );
    }

    /// Evaluates the current rule; its verdict arrives as a message.
    fn evaluate(&mut self, ctx: &mut Context<Self>) {
        let Some(rec) = &self.current else { return };
        if self.start_error.is_none() && rec.rule_type.provider == commands::PROVIDER {
            self.start_commands(ctx);
            return;
        }
        let verdict = match &self.start_error {
            Some(message) => Verdict::Failed {
                summary: message.clone(),
                error: Some(rules::RuleError {
                    code: "ConfigurationError",
                    message: message.clone(),
                }),
            },
            None => rules::evaluate(
                &rec.rule_type.provider,
                &rec.configuration,
                &rec.resolved_configuration,
                chrono::Utc::now(),
            ),
        };
        ctx.notify(RuleEvaluated {
            rule_execution_id: rec.id.clone(),
            verdict,
        });
    }

    /// Starts the build of the current `Commands` rule; its end arrives as `RuleEvaluated`.
    fn start_commands(&mut self, ctx: &mut Context<Self>) {
        let Some(rec) = &self.current else { return };
        let id = rec.id.clone();
        let fail = |summary: String, code: &'static str| Verdict::Failed {
            error: Some(rules::RuleError {
                code,
                message: summary.clone(),
            }),
            summary,
        };
        let Some(builds) = self.shared.providers.rule_builds().cloned() else {
            ctx.notify(RuleEvaluated {
                rule_execution_id: id,
                verdict: fail(
                    "simfra has no build service to run Commands rules on here".into(),
                    "ConfigurationError",
                ),
            });
            return;
        };
        let rule = &self.start.rules[self.index];
        let request = commands::request(
            RuleRun {
                key: &self.start.key,
                stage: &self.start.stage,
                rule: &rule.name,
                rule_execution_id: &id,
            },
            &rule.commands,
            &rule.input_artifacts,
            &self.start.artifacts,
            &self.start.scope,
        );
        let request = match request {
            Ok(r) => r,
            Err(message) => {
                ctx.notify(RuleEvaluated {
                    rule_execution_id: id,
                    verdict: fail(message, "ConfigurationError"),
                });
                return;
            }
        };
        let (account, region) = (request.account.clone(), request.region.clone());
        let me = ctx.address();
        let ended = id.clone();
        let started = builds.start_commands(
            request,
            Box::new(move |result| {
                me.do_send(RuleEvaluated {
                    rule_execution_id: ended,
                    verdict: commands::verdict(&result),
                })
            }),
        );
        match started {
            Ok(s) => {
                if let Some(rec) = self.current.as_mut() {
                    rec.external_execution_id = Some(s.build_id.clone());
                    rec.external_execution_url = Some(s.log.url).filter(|u| !u.is_empty());
                }
                self.persist();
                self.build = Some(RunningBuild {
                    builds,
                    account,
                    region,
                    build_id: s.build_id,
                });
            }
            Err(e) => ctx.notify(RuleEvaluated {
                rule_execution_id: id,
                verdict: fail(format!("The commands could not start: {e}"), "JobFailed"),
            }),
        }
    }

    /// Stops the current rule's build, if one runs.
    fn stop_build(&mut self) {
        if let Some(b) = self.build.take() {
            b.stop();
        }
    }

    /// A `Commands` rule execution that was running when simfra stopped: abandoned, its build
    /// stopped (if it still runs).
    fn abandon_interrupted(&mut self, mut prior: RuleRecord) {
        if let (Some(builds), Some(build_id)) = (
            self.shared.providers.rule_builds(),
            prior.external_execution_id.as_deref(),
        ) {
            builds.stop_build(&self.start.key.account, &self.start.key.region, build_id);
        }
        prior.status = RuleExecutionStatus::Abandoned;
        prior.summary = Some(
            "simfra stopped while the commands ran; they run again as a new rule execution".into(),
        );
        prior.last_update_time = Timestamp::now();
        self.shared.records.put_rule(&prior);
    }

    fn timed_out(&mut self, id: &str, minutes: u64, ctx: &mut Context<Self>) {
        if self.done || self.current.as_ref().is_none_or(|r| r.id != id) {
            return;
        }
        self.stop_build();
        let summary = match minutes {
            0 => "The rule did not succeed within its timeout".to_string(),
            m => format!("The rule did not succeed within its timeout of {m} minutes"),
        };
        self.fail_rule(summary, None, ctx);
    }

    fn fail_rule(&mut self, summary: String, error: Option<ErrorDetails>, ctx: &mut Context<Self>) {
        let status = if error.is_some() {
            ConditionExecutionStatus::Errored
        } else {
            ConditionExecutionStatus::Failed
        };
        let name = match self.current.as_mut() {
            Some(rec) => {
                rec.status = RuleExecutionStatus::Failed;
                rec.summary = Some(summary.clone());
                rec.error_details = error;
                rec.rule.clone()
            }
            None => String::new(),
        };
        self.persist();
        self.current = None;
        self.finish(status, format!("Rule {name} failed: {summary}"), ctx);
    }

    fn finish(
        &mut self,
        status: ConditionExecutionStatus,
        summary: String,
        ctx: &mut Context<Self>,
    ) {
        self.done = true;
        self.execution.do_send(ConditionFinished {
            run: self.start.run.clone(),
            status,
            summary: Some(summary),
        });
        ctx.stop();
    }
}

impl Actor for ConditionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.next(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        // Whatever ended the actor, no build of it runs on.
        self.stop_build();
    }
}

impl Handler<RuleEvaluated> for ConditionActor {
    type Result = ();

    fn handle(&mut self, msg: RuleEvaluated, ctx: &mut Context<Self>) {
        if self.done
            || self
                .current
                .as_ref()
                .is_none_or(|r| r.id != msg.rule_execution_id)
        {
            return;
        }
        // A build's end: nothing left to stop.
        self.build = None;
        match msg.verdict {
            Verdict::Succeeded { summary } => {
                if let Some(rec) = self.current.as_mut() {
                    rec.status = RuleExecutionStatus::Succeeded;
                    rec.summary = Some(summary);
                }
                self.persist();
                self.current = None;
                self.index += 1;
                self.next(ctx);
            }
            Verdict::Failed { summary, error } => {
                let error = error.map(|e| ErrorDetails {
                    code: e.code.to_string(),
                    message: e.message,
                });
                self.fail_rule(summary, error, ctx);
            }
            Verdict::WaitUntil { at, summary } => {
                if self.current.as_ref().and_then(|r| r.summary.as_ref()) != Some(&summary) {
                    if let Some(rec) = self.current.as_mut() {
                        rec.summary = Some(summary);
                    }
                    self.persist();
                }
                let wait = (at - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(MAX_WAIT);
                let id = msg.rule_execution_id;
                ctx.run_later(wait, move |act, ctx| {
                    if !act.done && act.current.as_ref().is_some_and(|r| r.id == id) {
                        act.evaluate(ctx);
                    }
                });
            }
        }
    }
}

impl Handler<StopCondition> for ConditionActor {
    type Result = ();

    fn handle(&mut self, msg: StopCondition, ctx: &mut Context<Self>) {
        if self.done {
            return;
        }
        self.done = true;
        self.stop_build();
        if let Some(rec) = self.current.as_mut() {
            rec.status = RuleExecutionStatus::Abandoned;
            rec.summary = Some(msg.summary);
            if msg.by.is_some() {
                rec.updated_by = msg.by;
            }
        }
        self.persist();
        ctx.stop();
    }
}
