//! Thin handlers for log groups and log streams: create, describe, delete; the registration
//! of every handler of the service. Handlers run on a blocking thread: describing streams may
//! build indexes from event files, and events are read from files.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::{LogsError as E, Result};
use super::model::*;
use super::paging::{list_token, parse_list_token};
use super::state::GroupRecord;
use super::{group_record, now_ms, validate, Logs};
use crate::protocol::validate::Violations;
use crate::protocol::{JsonService, RequestContext};

type Handler<I, O> = fn(&Logs, &RequestContext, I) -> Result<O>;

/// Registers an operation that runs `f` on a blocking thread.
pub(crate) fn blocking<I, O>(
    json: JsonService,
    name: &'static str,
    svc: &Arc<Logs>,
    f: Handler<I, O>,
) -> JsonService
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
{
    let svc = svc.clone();
    json.op_async(name, move |ctx: RequestContext, input: I| {
        let svc = svc.clone();
        async move {
            tokio::task::spawn_blocking(move || f(&svc, &ctx, input))
                .await
                .map_err(|e| E::Internal(format!("the request stopped unexpectedly: {e}")))?
        }
    })
}

pub fn register(json: JsonService, svc: &Arc<Logs>) -> JsonService {
    let j = json;
    let j = blocking(j, "CreateLogGroup", svc, create_log_group);
    let j = blocking(j, "DescribeLogGroups", svc, describe_log_groups);
    let j = blocking(j, "DeleteLogGroup", svc, delete_log_group);
    let j = blocking(j, "CreateLogStream", svc, create_log_stream);
    let j = blocking(j, "DescribeLogStreams", svc, describe_log_streams);
    blocking(j, "DeleteLogStream", svc, delete_log_stream)
}

/// The group a request names by `logGroupName` or `logGroupIdentifier` (a name or an ARN):
/// (account, region, name). The name itself is validated by the caller.
pub(crate) fn group_ref(
    ctx: &RequestContext,
    name: Option<&str>,
    identifier: Option<&str>,
) -> Result<(String, String, String)> {
    let here = |n: &str| Ok((ctx.account_id.clone(), ctx.region.clone(), n.to_string()));
    match (name, identifier) {
        (Some(_), Some(_)) => Err(E::invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => here(n),
        (None, Some(id)) if id.starts_with("arn:") => {
            let (region, account, name) = validate::parse_group_arn(id)
                .ok_or_else(|| E::invalid(format!("The log group identifier '{id}' is neither a log group name nor a log group ARN.")))?;
            Ok((account.to_string(), region.to_string(), name.to_string()))
        }
        (None, Some(id)) => {
            let mut v = Violations::new();
            validate::group_name(&mut v, "logGroupIdentifier", Some(id));
            validate::check(v)?;
            here(id)
        }
        (None, None) => Err(E::invalid(
            "Either logGroupName or logGroupIdentifier must be specified.",
        )),
    }
}

const CLASSES: &[&str] = &["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

fn class(v: &mut Violations, class: Option<&str>) {
    if let Some(c) = class.filter(|c| !CLASSES.contains(c)) {
        v.push(
            c,
            "logGroupClass",
            &format!(
                "Member must satisfy enum value set: [{}]",
                CLASSES.join(", ")
            ),
        );
    }
}

fn create_log_group(svc: &Logs, ctx: &RequestContext, input: CreateLogGroupInput) -> Result<Empty> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    if let Some(k) = &input.kms_key_id {
        v.length("kmsKeyId", k, 0, 256);
    }
    if let Some(tags) = &input.tags {
        v.list_len("tags", tags.len(), 1, 50);
        validate::tags(&mut v, "tags", tags);
    }
    class(&mut v, input.log_group_class.as_deref());
    validate::check(v)?;
    let name = input.log_group_name.unwrap_or_default();
    validate::not_reserved(&name)?;
    let tags = input.tags.unwrap_or_default();
    validate::no_system_tags(&tags)?;
    let mut record = group_record(&ctx.account_id, &ctx.region, &name, now_ms());
    record.tags = tags;
    record.kms_key_id = input.kms_key_id;
    record.class = input.log_group_class.unwrap_or_else(|| "STANDARD".into());
    record.deletion_protection = input.deletion_protection_enabled.unwrap_or(false);
    svc.state.create_group(record)?;
    Ok(Empty {})
}

fn describe_log_groups(
    svc: &Logs,
    ctx: &RequestContext,
    input: DescribeLogGroupsInput,
) -> Result<DescribeLogGroupsOutput> {
    let mut v = Violations::new();
    validate::optional_group_name(
        &mut v,
        "logGroupNamePrefix",
        input.log_group_name_prefix.as_deref(),
    );
    if let Some(p) = &input.log_group_name_pattern {
        v.length("logGroupNamePattern", p, 0, 512);
        v.pattern(
            "logGroupNamePattern",
            p,
            |s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_/#".contains(c))
            },
            "[\\.\\-_/#A-Za-z0-9]*",
        );
    }
    validate::limit(&mut v, "limit", input.limit, 50);
    validate::token(&mut v, "nextToken", input.next_token.as_deref());
    class(&mut v, input.log_group_class.as_deref());
    if let Some(ids) = &input.log_group_identifiers {
        v.list_len("logGroupIdentifiers", ids.len(), 1, 50);
    }
    validate::check(v)?;
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(E::invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let after = input
        .next_token
        .as_deref()
        .map(parse_list_token)
        .transpose()?;
    let wanted: Option<Vec<String>> = input.log_group_identifiers.map(|ids| {
        ids.iter()
            .map(|id| match validate::parse_group_arn(id) {
                Some((_, _, name)) => name.to_string(),
                None => id.clone(),
            })
            .collect()
    });
    let pattern = input
        .log_group_name_pattern
        .as_deref()
        .filter(|p| !p.is_empty());
    let limit = input.limit.unwrap_or(50) as usize;
    let mut matching = svc
        .state
        .groups(&ctx.account_id, &ctx.region)
        .into_iter()
        .filter(|(g, _)| after.as_ref().is_none_or(|a| g.name > *a))
        .filter(|(g, _)| {
            input
                .log_group_name_prefix
                .as_ref()
                .is_none_or(|p| g.name.starts_with(p.as_str()))
        })
        .filter(|(g, _)| pattern.is_none_or(|p| g.name.contains(p)))
        .filter(|(g, _)| input.log_group_class.as_ref().is_none_or(|c| g.class == *c))
        .filter(|(g, _)| wanted.as_ref().is_none_or(|w| w.contains(&g.name)));
    let page: Vec<(GroupRecord, u64)> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    let next_token = match (more, page.last()) {
        (true, Some((g, _))) => Some(list_token(&g.name)),
        _ => None,
    };
    let log_groups = page
        .into_iter()
        .map(|(g, bytes)| {
            // With a name pattern AWS returns only the name, the creation time and the ARN.
            let full = pattern.is_none();
            LogGroup {
                log_group_name: g.name.clone(),
                creation_time: g.created,
                arn: g.arn_star(),
                retention_in_days: g.retention_in_days.filter(|_| full),
                metric_filter_count: full.then_some(0),
                stored_bytes: full.then_some(bytes),
                kms_key_id: g.kms_key_id.clone().filter(|_| full),
                log_group_class: full.then(|| g.class.clone()),
                log_group_arn: full.then(|| g.arn()),
                deletion_protection_enabled: full.then_some(g.deletion_protection),
            }
        })
        .collect();
    Ok(DescribeLogGroupsOutput {
        log_groups,
        next_token,
    })
}

fn delete_log_group(svc: &Logs, ctx: &RequestContext, input: LogGroupNameInput) -> Result<Empty> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::check(v)?;
    let name = input.log_group_name.unwrap_or_default();
    svc.state
        .delete_group(&ctx.account_id, &ctx.region, &name)?;
    Ok(Empty {})
}

fn stream_names(input: &StreamNameInput) -> Result<(&str, &str)> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::stream_name(&mut v, "logStreamName", input.log_stream_name.as_deref());
    validate::check(v)?;
    Ok((
        input.log_group_name.as_deref().unwrap_or_default(),
        input.log_stream_name.as_deref().unwrap_or_default(),
    ))
}

fn create_log_stream(svc: &Logs, ctx: &RequestContext, input: StreamNameInput) -> Result<Empty> {
    let (group, stream) = stream_names(&input)?;
    svc.state
        .create_stream(&ctx.account_id, &ctx.region, group, stream, now_ms())?;
    Ok(Empty {})
}

fn delete_log_stream(svc: &Logs, ctx: &RequestContext, input: StreamNameInput) -> Result<Empty> {
    let (group, stream) = stream_names(&input)?;
    svc.state
        .delete_stream(&ctx.account_id, &ctx.region, group, stream)?;
    Ok(Empty {})
}

const ORDERS: &[&str] = &["LogStreamName", "LastEventTime"];

fn describe_log_streams(
    svc: &Logs,
    ctx: &RequestContext,
    input: DescribeLogStreamsInput,
) -> Result<DescribeLogStreamsOutput> {
    let mut v = Violations::new();
    validate::optional_group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::optional_stream_name(
        &mut v,
        "logStreamNamePrefix",
        input.log_stream_name_prefix.as_deref(),
    );
    if let Some(o) = input.order_by.as_deref().filter(|o| !ORDERS.contains(o)) {
        v.push(
            o,
            "orderBy",
            &format!(
                "Member must satisfy enum value set: [{}]",
                ORDERS.join(", ")
            ),
        );
    }
    validate::limit(&mut v, "limit", input.limit, 50);
    validate::token(&mut v, "nextToken", input.next_token.as_deref());
    validate::check(v)?;
    let by_time = input.order_by.as_deref() == Some("LastEventTime");
    if by_time && input.log_stream_name_prefix.is_some() {
        return Err(E::invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let (account, region, name) = group_ref(
        ctx,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let (group, streams) = svc.state.streams(&account, &region, &name)?;
    let prefix = input.log_stream_name_prefix.as_deref().unwrap_or_default();
    // Sort keys: (last event time, 0 for a stream without events; name). A stream deleted
    // meanwhile counts as empty here and is left out below.
    let mut keyed: Vec<((i64, String), _)> = Vec::new();
    for s in streams
        .into_iter()
        .filter(|s| s.record.name.starts_with(prefix))
    {
        let last = || s.events.stats().ok().and_then(|st| st.last_ts);
        let t = if by_time { last().unwrap_or(0) } else { 0 };
        keyed.push(((t, s.record.name.clone()), s));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let descending = input.descending.unwrap_or(false);
    if descending {
        keyed.reverse();
    }
    if let Some(token) = &input.next_token {
        let raw = parse_list_token(token)?;
        let (t, n) = raw.split_once(' ').ok_or_else(E::bad_token)?;
        let after = (t.parse::<i64>().map_err(|_| E::bad_token())?, n.to_string());
        keyed.retain(|(k, _)| if descending { *k < after } else { *k > after });
    }
    let limit = input.limit.unwrap_or(50) as usize;
    let next_token = (keyed.len() > limit).then(|| {
        let (t, n) = &keyed[limit - 1].0;
        list_token(&format!("{t} {n}"))
    });
    let mut log_streams = Vec::new();
    for (_, s) in keyed.into_iter().take(limit) {
        let Ok(stats) = s.events.stats() else {
            continue;
        };
        log_streams.push(LogStream {
            log_stream_name: s.record.name.clone(),
            creation_time: s.record.created,
            first_event_timestamp: stats.first_ts,
            last_event_timestamp: stats.last_ts,
            last_ingestion_time: stats.last_ingestion,
            upload_sequence_token: sequence_token(stats.count),
            arn: s.arn(&group),
            stored_bytes: 0,
        });
    }
    Ok(DescribeLogStreamsOutput {
        log_streams,
        next_token,
    })
}

/// A sequence token as AWS still hands them out (ignored when sent back).
pub(crate) fn sequence_token(count: u64) -> String {
    format!("4963{:052}", count + 1)
}
