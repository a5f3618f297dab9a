//! Thin handlers for a log group's settings: tags (the current `TagResource` family, which
//! names a group by ARN, and the deprecated `TagLogGroup` family, by name), retention policies
//! (kept and applied at ingestion; stored events are not expired) and deletion protection.

use std::sync::Arc;

use super::errors::{LogsError as E, Result};
use super::handlers::{blocking, group_ref};
use super::model::*;
use super::state::GroupRecord;
use super::{validate, Logs};
use crate::protocol::validate::Violations;
use crate::protocol::{JsonService, RequestContext};

pub fn register(json: JsonService, svc: &Arc<Logs>) -> JsonService {
    let j = blocking(json, "PutRetentionPolicy", svc, put_retention_policy);
    let j = blocking(j, "DeleteRetentionPolicy", svc, delete_retention_policy);
    let j = blocking(
        j,
        "PutLogGroupDeletionProtection",
        svc,
        put_deletion_protection,
    );
    let j = blocking(j, "TagResource", svc, tag_resource);
    let j = blocking(j, "UntagResource", svc, untag_resource);
    let j = blocking(j, "ListTagsForResource", svc, list_tags_for_resource);
    let j = blocking(j, "TagLogGroup", svc, tag_log_group);
    let j = blocking(j, "UntagLogGroup", svc, untag_log_group);
    blocking(j, "ListTagsLogGroup", svc, list_tags_log_group)
}

/// The group a tagging request names by ARN.
fn group_by_arn(svc: &Logs, arn: Option<&str>) -> Result<GroupRecord> {
    let mut v = Violations::new();
    if v.required("resourceArn", &arn) {
        v.length("resourceArn", arn.unwrap_or_default(), 1, 1011);
    }
    validate::check(v)?;
    let arn = arn.unwrap_or_default();
    let (region, account, name) = validate::parse_group_arn(arn)
        .ok_or_else(|| E::invalid(format!("The resource ARN '{arn}' is not a log group ARN; only log groups can be tagged in simfra.")))?;
    svc.state.group(account, region, name)
}

fn put_retention_policy(
    svc: &Logs,
    ctx: &RequestContext,
    input: PutRetentionPolicyInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    v.required("retentionInDays", &input.retention_in_days);
    validate::check(v)?;
    let days = input.retention_in_days.unwrap_or_default();
    validate::retention(days)?;
    let name = input.log_group_name.unwrap_or_default();
    svc.state
        .modify_group(&ctx.account_id, &ctx.region, &name, |g| {
            g.retention_in_days = Some(days as i32);
            Ok(())
        })?;
    Ok(Empty {})
}

fn delete_retention_policy(
    svc: &Logs,
    ctx: &RequestContext,
    input: LogGroupNameInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::check(v)?;
    let name = input.log_group_name.unwrap_or_default();
    svc.state
        .modify_group(&ctx.account_id, &ctx.region, &name, |g| {
            g.retention_in_days = None;
            Ok(())
        })?;
    Ok(Empty {})
}

fn put_deletion_protection(
    svc: &Logs,
    ctx: &RequestContext,
    input: PutLogGroupDeletionProtectionInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    v.required("logGroupIdentifier", &input.log_group_identifier);
    v.required(
        "deletionProtectionEnabled",
        &input.deletion_protection_enabled,
    );
    validate::check(v)?;
    let (account, region, name) = group_ref(ctx, None, input.log_group_identifier.as_deref())?;
    svc.state.modify_group(&account, &region, &name, |g| {
        g.deletion_protection = input.deletion_protection_enabled.unwrap_or(false);
        Ok(())
    })?;
    Ok(Empty {})
}

/// Merges `tags` into a group's tags (at most 50 in all).
fn add_tags(svc: &Logs, g: &GroupRecord, tags: Option<Tags>) -> Result<()> {
    let mut v = Violations::new();
    if v.required("tags", &tags) {
        let tags = tags.as_ref().map(|t| t.len()).unwrap_or_default();
        v.list_len("tags", tags, 1, 50);
    }
    let tags = tags.unwrap_or_default();
    validate::tags(&mut v, "tags", &tags);
    validate::check(v)?;
    validate::no_system_tags(&tags)?;
    svc.state
        .modify_group(&g.account, &g.region, &g.name, |rec| {
            rec.tags.extend(tags);
            match rec.tags.len() > 50 {
                true => Err(validate::too_many_tags(&rec.arn())),
                false => Ok(()),
            }
        })?;
    Ok(())
}

fn remove_tags(svc: &Logs, g: &GroupRecord, keys: &[String]) -> Result<()> {
    svc.state
        .modify_group(&g.account, &g.region, &g.name, |rec| {
            for k in keys {
                rec.tags.remove(k);
            }
            Ok(())
        })?;
    Ok(())
}

fn tag_resource(svc: &Logs, _ctx: &RequestContext, input: TagResourceInput) -> Result<Empty> {
    let g = group_by_arn(svc, input.resource_arn.as_deref())?;
    add_tags(svc, &g, input.tags)?;
    Ok(Empty {})
}

fn untag_resource(svc: &Logs, _ctx: &RequestContext, input: UntagResourceInput) -> Result<Empty> {
    let mut v = Violations::new();
    if v.required("tagKeys", &input.tag_keys) {
        v.list_len(
            "tagKeys",
            input.tag_keys.as_ref().map(Vec::len).unwrap_or_default(),
            0,
            50,
        );
    }
    validate::check(v)?;
    let g = group_by_arn(svc, input.resource_arn.as_deref())?;
    remove_tags(svc, &g, &input.tag_keys.unwrap_or_default())?;
    Ok(Empty {})
}

fn list_tags_for_resource(
    svc: &Logs,
    _ctx: &RequestContext,
    input: ResourceArnInput,
) -> Result<TagsOutput> {
    let g = group_by_arn(svc, input.resource_arn.as_deref())?;
    Ok(TagsOutput { tags: g.tags })
}

fn named_group(svc: &Logs, ctx: &RequestContext, name: Option<&str>) -> Result<GroupRecord> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", name);
    validate::check(v)?;
    svc.state
        .group(&ctx.account_id, &ctx.region, name.unwrap_or_default())
}

fn tag_log_group(svc: &Logs, ctx: &RequestContext, input: TagLogGroupInput) -> Result<Empty> {
    let g = named_group(svc, ctx, input.log_group_name.as_deref())?;
    add_tags(svc, &g, input.tags)?;
    Ok(Empty {})
}

fn untag_log_group(svc: &Logs, ctx: &RequestContext, input: UntagLogGroupInput) -> Result<Empty> {
    let mut v = Violations::new();
    if v.required("tags", &input.tags) {
        v.list_len(
            "tags",
            input.tags.as_ref().map(Vec::len).unwrap_or_default(),
            1,
            usize::MAX,
        );
    }
    validate::check(v)?;
    let g = named_group(svc, ctx, input.log_group_name.as_deref())?;
    remove_tags(svc, &g, &input.tags.unwrap_or_default())?;
    Ok(Empty {})
}

fn list_tags_log_group(
    svc: &Logs,
    ctx: &RequestContext,
    input: LogGroupNameInput,
) -> Result<TagsOutput> {
    let g = named_group(svc, ctx, input.log_group_name.as_deref())?;
    Ok(TagsOutput { tags: g.tags })
}
