//! Job workers: thin handlers of PollForJobs, AcknowledgeJob, GetJobDetails,
//! PutJobSuccessResult, PutJobFailureResult (custom actions, owner `Custom`) and their
//! ThirdParty variants (partner actions), over the engine's job queue (`engine::jobs`). The
//! queue owns the protocol's rules; these handlers check the request's shape and that the
//! polled action type exists, and shape the answer.
//!
//! Decisions where AWS leaves room (also in the README):
//! - A partner's client token is its client id: simfra has no partner registration that
//!   would pair them otherwise. The client id is stable for one action of one pipeline.
//! - Acknowledging again with the right nonce is allowed and answers the job's status.
//! - A result is accepted for any job that has not ended, acknowledged or not.
//! - PollForJobs for a type that is not owned by `Custom` (and PollForThirdPartyJobs for one
//!   not owned by `ThirdParty`) answers ActionTypeNotFoundException.
//! - `maxBatchSize` defaults to 1 and has no upper bound.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::job_model::*;
use super::model::Empty;
use super::Executions;
use crate::engine::jobs::{JobFailure, JobKind, JobRevision, JobSuccess};
use crate::engine::spec::ActionTypeSpec;
use crate::protocol::validate::{CharClass, Violations};
use crate::protocol::{AwsEnum, JsonService, RequestContext};
use crate::services::codepipeline::errors::CodePipelineError as E;
use crate::services::codepipeline::model::{ActionOwner, ActionTypeId};
use crate::services::codepipeline::validate::resources::action_type_id_shape;

const QUERYABLE_VALUE: CharClass = CharClass::new("[a-zA-Z0-9_-]+", "_-");
const VARIABLE_KEY: CharClass = CharClass::new("[A-Za-z0-9@\\-_]+", "@-_");
const UUID_PATTERN: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

fn finish(v: Violations) -> Result<(), E> {
    v.finish().map_err(|e| E::Validation(e.message))
}

fn label(t: &ActionTypeId) -> String {
    format!(
        "(Category: '{}', Owner: '{}', Provider: '{}', Version: '{}')",
        t.category, t.owner, t.provider, t.version
    )
}

fn spec_of(t: &ActionTypeId) -> ActionTypeSpec {
    ActionTypeSpec {
        category: t.category.as_str().to_string(),
        owner: t.owner.as_str().to_string(),
        provider: t.provider.clone(),
        version: t.version.clone(),
    }
}

/// The `actionTypeId` and `maxBatchSize` of a poll; returns the batch size.
fn poll_shape(v: &mut Violations, t: &ActionTypeId, max: Option<i64>) -> usize {
    action_type_id_shape(v, "actionTypeId.", &t.category, &t.provider, &t.version);
    v.enumeration("actionTypeId.owner", &t.owner);
    match max {
        Some(n) => {
            v.range("maxBatchSize", n, 1, i64::MAX);
            n.max(1) as usize
        }
        None => 1,
    }
}

fn custom_job_id(v: &mut Violations, id: &str) {
    v.pattern(
        "jobId",
        id,
        |s| s.len() == 36 && uuid::Uuid::parse_str(s).is_ok(),
        UUID_PATTERN,
    );
}

fn partner_job(v: &mut Violations, id: &str, client_token: &str) {
    v.length("jobId", id, 1, 512);
    v.length("clientToken", client_token, 1, 256);
}

fn success_shape(
    v: &mut Violations,
    revision: Option<&CurrentRevision>,
    token: Option<&String>,
    details: Option<&ExecutionDetails>,
) {
    if let Some(r) = revision {
        v.length("currentRevision.revision", &r.revision, 1, 1500);
        v.length(
            "currentRevision.changeIdentifier",
            &r.change_identifier,
            1,
            100,
        );
        if let Some(s) = &r.revision_summary {
            v.length("currentRevision.revisionSummary", s, 1, 2048);
        }
    }
    if let Some(t) = token {
        v.length("continuationToken", t, 1, 2048);
    }
    if let Some(d) = details {
        if let Some(s) = &d.summary {
            v.length("executionDetails.summary", s, 1, 2048);
        }
        if let Some(id) = &d.external_execution_id {
            v.length("executionDetails.externalExecutionId", id, 1, 1500);
        }
        if let Some(p) = d.percent_complete {
            v.range("executionDetails.percentComplete", p, 0, 100);
        }
    }
}

fn failure_shape(v: &mut Violations, f: &FailureDetails) {
    v.enumeration("failureDetails.type", &f.failure_type);
    v.length("failureDetails.message", &f.message, 1, 5000);
    if let Some(id) = &f.external_execution_id {
        v.length("failureDetails.externalExecutionId", id, 1, 1500);
    }
}

fn success(
    revision: Option<CurrentRevision>,
    continuation_token: Option<String>,
    details: Option<ExecutionDetails>,
    output_variables: BTreeMap<String, String>,
) -> JobSuccess {
    let details = details.unwrap_or_default();
    JobSuccess {
        revision: revision.map(|r| JobRevision {
            revision: r.revision,
            change_identifier: r.change_identifier,
            created: r.created,
            summary: r.revision_summary,
        }),
        continuation_token,
        summary: details.summary,
        external_execution_id: details.external_execution_id,
        percent_complete: details.percent_complete,
        output_variables,
    }
}

fn failure(f: FailureDetails) -> JobFailure {
    JobFailure {
        code: f.failure_type.as_str().to_string(),
        message: f.message,
        external_execution_id: f.external_execution_id,
    }
}

// ---- custom actions ----------------------------------------------------------------------------

pub fn poll_for_jobs(
    ex: &Executions,
    ctx: &RequestContext,
    input: PollForJobsInput,
) -> Result<PollForJobsOutput, E> {
    let mut v = Violations::new();
    let t = &input.action_type_id;
    let max = poll_shape(&mut v, t, input.max_batch_size);
    let query = input.query_param.unwrap_or_default();
    v.list_len("queryParam", query.len(), 0, 1);
    for (k, value) in &query {
        v.length("queryParam", k, 1, 50);
        v.name("queryParam", value, 1, 50, QUERYABLE_VALUE);
    }
    finish(v)?;
    if t.owner != ActionOwner::Custom {
        return Err(E::ActionTypeNotFound(format!(
            "PollForJobs is only for action types owned by Custom, not {} (partner actions \
             use PollForThirdPartyJobs)",
            label(t)
        )));
    }
    let declared = ex
        .cp
        .custom_action_type(
            &ctx.account_id,
            &ctx.region,
            &t.category,
            &t.provider,
            &t.version,
        )
        .ok_or_else(|| E::ActionTypeNotFound(format!("ActionType {} does not exist", label(t))))?;
    let queryable = declared
        .action_configuration_properties
        .iter()
        .find(|p| p.is_queryable());
    let filter = match (queryable, query.iter().next()) {
        (None, None) => None,
        (Some(p), Some((k, value))) if *k == p.name => Some((k.as_str(), value.as_str())),
        (None, Some(_)) => {
            return Err(E::Validation(format!(
                "The action type {} has no queryable property: queryParam must be empty",
                label(t)
            )))
        }
        (Some(p), _) => {
            return Err(E::Validation(format!(
                "The action type {} has the queryable property '{}': queryParam must give its \
                 value (and only it)",
                label(t),
                p.name
            )))
        }
    };
    let jobs = ex.engine.jobs().poll(
        JobKind::Custom,
        &ctx.account_id,
        &ctx.region,
        &spec_of(t),
        max,
        filter,
    );
    Ok(PollForJobsOutput {
        jobs: jobs
            .into_iter()
            .map(|j| Job {
                data: JobData::of(&j.data, JobKind::Custom),
                id: j.id,
                nonce: j.nonce,
                account_id: j.account,
            })
            .collect(),
    })
}

pub fn acknowledge_job(
    ex: &Executions,
    ctx: &RequestContext,
    input: AcknowledgeJobInput,
) -> Result<AcknowledgeJobOutput, E> {
    let mut v = Violations::new();
    custom_job_id(&mut v, &input.job_id);
    v.length("nonce", &input.nonce, 1, 50);
    finish(v)?;
    let status = ex.engine.jobs().acknowledge(
        JobKind::Custom,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        &input.nonce,
        None,
    )?;
    Ok(AcknowledgeJobOutput {
        status: status.as_str(),
    })
}

pub fn get_job_details(
    ex: &Executions,
    ctx: &RequestContext,
    input: GetJobDetailsInput,
) -> Result<GetJobDetailsOutput, E> {
    let mut v = Violations::new();
    custom_job_id(&mut v, &input.job_id);
    finish(v)?;
    let job = ex.engine.jobs().details(
        JobKind::Custom,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        None,
    )?;
    Ok(GetJobDetailsOutput {
        job_details: JobDetails {
            data: JobData::of(&job.data, JobKind::Custom),
            id: job.id,
            account_id: job.account,
        },
    })
}

pub fn put_job_success_result(
    ex: &Executions,
    ctx: &RequestContext,
    input: PutJobSuccessResultInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    custom_job_id(&mut v, &input.job_id);
    success_shape(
        &mut v,
        input.current_revision.as_ref(),
        input.continuation_token.as_ref(),
        input.execution_details.as_ref(),
    );
    let variables = input.output_variables.unwrap_or_default();
    for k in variables.keys() {
        v.name("outputVariables", k, 1, usize::MAX, VARIABLE_KEY);
    }
    finish(v)?;
    ex.engine.jobs().succeed(
        JobKind::Custom,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        None,
        success(
            input.current_revision,
            input.continuation_token,
            input.execution_details,
            variables,
        ),
    )?;
    Ok(Empty {})
}

pub fn put_job_failure_result(
    ex: &Executions,
    ctx: &RequestContext,
    input: PutJobFailureResultInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    custom_job_id(&mut v, &input.job_id);
    failure_shape(&mut v, &input.failure_details);
    finish(v)?;
    ex.engine.jobs().fail(
        JobKind::Custom,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        None,
        failure(input.failure_details),
    )?;
    Ok(Empty {})
}

// ---- partner actions ---------------------------------------------------------------------------

pub fn poll_for_third_party_jobs(
    ex: &Executions,
    ctx: &RequestContext,
    input: PollForThirdPartyJobsInput,
) -> Result<PollForThirdPartyJobsOutput, E> {
    let mut v = Violations::new();
    let t = &input.action_type_id;
    let max = poll_shape(&mut v, t, input.max_batch_size);
    finish(v)?;
    if t.owner != ActionOwner::ThirdParty {
        return Err(E::ActionTypeNotFound(format!(
            "PollForThirdPartyJobs is only for action types owned by ThirdParty, not {} \
             (custom actions use PollForJobs)",
            label(t)
        )));
    }
    // The catalogue's partner types and those described with UpdateActionType.
    ex.cp.state().get_action_type(
        &ctx.account_id,
        &ctx.region,
        &t.category,
        "ThirdParty",
        &t.provider,
        &t.version,
    )?;
    let jobs = ex.engine.jobs().poll(
        JobKind::ThirdParty,
        &ctx.account_id,
        &ctx.region,
        &spec_of(t),
        max,
        None,
    );
    Ok(PollForThirdPartyJobsOutput {
        jobs: jobs
            .into_iter()
            .map(|j| ThirdPartyJob {
                client_id: j.client_id,
                job_id: j.id,
            })
            .collect(),
    })
}

pub fn acknowledge_third_party_job(
    ex: &Executions,
    ctx: &RequestContext,
    input: AcknowledgeThirdPartyJobInput,
) -> Result<AcknowledgeJobOutput, E> {
    let mut v = Violations::new();
    partner_job(&mut v, &input.job_id, &input.client_token);
    v.length("nonce", &input.nonce, 1, 50);
    finish(v)?;
    let status = ex.engine.jobs().acknowledge(
        JobKind::ThirdParty,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        &input.nonce,
        Some(&input.client_token),
    )?;
    Ok(AcknowledgeJobOutput {
        status: status.as_str(),
    })
}

pub fn get_third_party_job_details(
    ex: &Executions,
    ctx: &RequestContext,
    input: GetThirdPartyJobDetailsInput,
) -> Result<GetThirdPartyJobDetailsOutput, E> {
    let mut v = Violations::new();
    partner_job(&mut v, &input.job_id, &input.client_token);
    finish(v)?;
    let job = ex.engine.jobs().details(
        JobKind::ThirdParty,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        Some(&input.client_token),
    )?;
    Ok(GetThirdPartyJobDetailsOutput {
        job_details: ThirdPartyJobDetails {
            data: JobData::of(&job.data, JobKind::ThirdParty),
            id: job.id,
            nonce: job.nonce,
        },
    })
}

pub fn put_third_party_job_success_result(
    ex: &Executions,
    ctx: &RequestContext,
    input: PutThirdPartyJobSuccessResultInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    partner_job(&mut v, &input.job_id, &input.client_token);
    success_shape(
        &mut v,
        input.current_revision.as_ref(),
        input.continuation_token.as_ref(),
        input.execution_details.as_ref(),
    );
    finish(v)?;
    ex.engine.jobs().succeed(
        JobKind::ThirdParty,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        Some(&input.client_token),
        success(
            input.current_revision,
            input.continuation_token,
            input.execution_details,
            BTreeMap::new(),
        ),
    )?;
    Ok(Empty {})
}

pub fn put_third_party_job_failure_result(
    ex: &Executions,
    ctx: &RequestContext,
    input: PutThirdPartyJobFailureResultInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    partner_job(&mut v, &input.job_id, &input.client_token);
    failure_shape(&mut v, &input.failure_details);
    finish(v)?;
    ex.engine.jobs().fail(
        JobKind::ThirdParty,
        &ctx.account_id,
        &ctx.region,
        &input.job_id,
        Some(&input.client_token),
        failure(input.failure_details),
    )?;
    Ok(Empty {})
}

/// Registers the ten job worker operations (replacing their "not yet" entries).
pub fn register(mut json: JsonService, ex: &Arc<Executions>) -> JsonService {
    macro_rules! ops {
        ($($name:literal => $handler:path),+ $(,)?) => {$(
            let e = ex.clone();
            json = json.op($name, move |ctx, input| $handler(&e, ctx, input));
        )+};
    }
    ops!(
        "PollForJobs" => poll_for_jobs,
        "AcknowledgeJob" => acknowledge_job,
        "GetJobDetails" => get_job_details,
        "PutJobSuccessResult" => put_job_success_result,
        "PutJobFailureResult" => put_job_failure_result,
        "PollForThirdPartyJobs" => poll_for_third_party_jobs,
        "AcknowledgeThirdPartyJob" => acknowledge_third_party_job,
        "GetThirdPartyJobDetails" => get_third_party_job_details,
        "PutThirdPartyJobSuccessResult" => put_third_party_job_success_result,
        "PutThirdPartyJobFailureResult" => put_third_party_job_failure_result,
    );
    json
}
