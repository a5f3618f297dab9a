//! Application revisions: RegisterApplicationRevision, GetApplicationRevision,
//! ListApplicationRevisions (filters on bucket, key prefix and deployed state; sorted by
//! register, first-used or last-used time) and BatchGetApplicationRevisions. CreateDeployment
//! registers its revision too (state `insert_deployment`), with its first- and last-used
//! times and the groups it went to.

use super::paging::{newest_first, oldest_first, page, PAGE};
use crate::protocol::{AwsEnum, RequestContext};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::{AppRecord, RevisionRecord};
use crate::services::codedeploy::{validate, CodeDeploy};

/// BatchGetApplicationRevisions takes up to 25 revisions.
const BATCH_MAX: usize = 25;

fn app(svc: &CodeDeploy, ctx: &RequestContext, name: &str) -> Result<AppRecord> {
    validate::application_name(name)?;
    svc.state
        .require_application(&ctx.account_id, &ctx.region, name)
}

fn required(r: Option<RevisionLocation>) -> Result<RevisionLocation> {
    r.ok_or_else(|| E::new(Code::RevisionRequired, "A revision is required"))
}

/// A revision valid for the application's compute platform.
fn check(app: &AppRecord, r: &RevisionLocation) -> Result<()> {
    if app.info.compute_platform == ComputePlatform::Server {
        validate::server_revision(r)
    } else {
        validate::revision(r)
    }
}

pub fn register(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: RegisterApplicationRevisionInput,
) -> Result<Empty> {
    validate::application_name(&input.application_name)?;
    let revision = required(input.revision)?;
    validate::revision(&revision)?;
    validate::description(input.description.as_deref())?;
    let app = app(svc, ctx, &input.application_name)?;
    check(&app, &revision)?;
    svc.state.register_revision(
        &ctx.account_id,
        &ctx.region,
        &app.info.application_id,
        revision,
        input.description,
    )?;
    Ok(Empty {})
}

fn require_revision(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    app: &AppRecord,
    r: &RevisionLocation,
) -> Result<RevisionRecord> {
    svc.state
        .revision(&ctx.account_id, &ctx.region, &app.info.application_id, r)
        .ok_or_else(|| {
            E::new(
                Code::RevisionDoesNotExist,
                format!(
                    "No application revision found for application {} at that location",
                    app.info.application_name
                ),
            )
        })
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: GetApplicationRevisionInput,
) -> Result<GetApplicationRevisionOutput> {
    validate::application_name(&input.application_name)?;
    let revision = required(input.revision)?;
    validate::revision(&revision)?;
    let app = app(svc, ctx, &input.application_name)?;
    let rec = require_revision(svc, ctx, &app, &revision)?;
    Ok(GetApplicationRevisionOutput {
        application_name: app.info.application_name,
        revision: rec.location,
        revision_info: rec.info,
    })
}

fn enum_error<T: AwsEnum>(code: Code, member: &str, v: &T) -> E {
    E::new(
        code,
        format!(
            "{member} '{}' is invalid: use one of [{}]",
            v.as_str(),
            T::VALUES.join(", ")
        ),
    )
}

pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListApplicationRevisionsInput,
) -> Result<ListApplicationRevisionsOutput> {
    if let Some(s) = input.sort_by.as_ref().filter(|s| !s.is_known()) {
        return Err(enum_error(Code::InvalidSortBy, "sortBy", s));
    }
    if let Some(s) = input.sort_order.as_ref().filter(|s| !s.is_known()) {
        return Err(enum_error(Code::InvalidSortOrder, "sortOrder", s));
    }
    if let Some(d) = input.deployed.as_ref().filter(|d| !d.is_known()) {
        return Err(enum_error(Code::InvalidDeployedStateFilter, "deployed", d));
    }
    let bucket = input.s3_bucket.filter(|b| !b.is_empty());
    let prefix = input.s3_key_prefix.filter(|p| !p.is_empty());
    if prefix.is_some() && bucket.is_none() {
        return Err(E::new(
            Code::BucketNameFilterRequired,
            "s3KeyPrefix needs s3Bucket",
        ));
    }
    let app = app(svc, ctx, &input.application_name)?;
    let descending = input.sort_order == Some(SortOrder::Descending);
    let items = svc
        .state
        .revisions(&ctx.account_id, &ctx.region, &app.info.application_id)
        .into_iter()
        .filter(|r| {
            let s3 = r.location.s3_location.as_ref();
            let b = s3.and_then(|s| s.bucket.as_deref());
            let k = s3.and_then(|s| s.key.as_deref()).unwrap_or_default();
            bucket.as_deref().is_none_or(|want| b == Some(want))
                && prefix.as_deref().is_none_or(|p| k.starts_with(p))
        })
        .filter(|r| match input.deployed {
            Some(ListStateFilterAction::Include) => r.info.first_used_time.is_some(),
            Some(ListStateFilterAction::Exclude) => r.info.first_used_time.is_none(),
            _ => true,
        })
        .map(|r| {
            let at = match input.sort_by {
                Some(ApplicationRevisionSortBy::FirstUsedTime) => r.info.first_used_time,
                Some(ApplicationRevisionSortBy::LastUsedTime) => r.info.last_used_time,
                _ => Some(r.info.register_time),
            }
            .map_or(0, |t| t.millis());
            let tie = r.location.identity();
            let k = if descending {
                newest_first(at, &tie)
            } else {
                oldest_first(at, &tie)
            };
            (k, r.location)
        })
        .collect::<Vec<_>>();
    let mut items = items;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (revisions, next_token) = page(items, input.next_token.as_deref(), PAGE)?;
    Ok(ListApplicationRevisionsOutput {
        revisions,
        next_token,
    })
}

/// Revisions that are not registered are named in `errorMessage`.
pub fn batch_get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetApplicationRevisionsInput,
) -> Result<BatchGetApplicationRevisionsOutput> {
    validate::application_name(&input.application_name)?;
    let wanted = input.revisions.unwrap_or_default();
    if wanted.is_empty() {
        return Err(E::new(
            Code::RevisionRequired,
            "At least one revision is required",
        ));
    }
    if wanted.len() > BATCH_MAX {
        return Err(E::new(
            Code::BatchLimitExceeded,
            format!("At most {BATCH_MAX} revisions can be given"),
        ));
    }
    wanted.iter().try_for_each(validate::revision)?;
    let app = app(svc, ctx, &input.application_name)?;
    let mut revisions = Vec::new();
    let mut missing = 0;
    for r in &wanted {
        match require_revision(svc, ctx, &app, r) {
            Ok(rec) => revisions.push(RevisionInfo {
                revision_location: rec.location,
                generic_revision_info: rec.info,
            }),
            Err(_) => missing += 1,
        }
    }
    Ok(BatchGetApplicationRevisionsOutput {
        application_name: app.info.application_name,
        error_message: (missing > 0).then(|| {
            format!("{missing} of the requested revisions are not registered with this application")
        }),
        revisions,
    })
}
