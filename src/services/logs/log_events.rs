//! Thin handlers for events: PutLogEvents (AWS's batch rules, rejected too-old/too-new events),
//! GetLogEvents (one stream, paged both ways with `f/`/`b/` tokens) and FilterLogEvents (a
//! group's streams merged in time order, with filter patterns; the merge is in `search.rs`).

use std::sync::Arc;

use super::errors::{LogsError as E, Result};
use super::filter::FilterPattern;
use super::handlers::{blocking, group_ref, sequence_token};
use super::model::*;
use super::paging::{event_token, parse_event_token, Direction};
use super::search::{search, Search, SCAN_BYTES};
use super::storage::{Key, Take};
use super::{now_ms, validate, Logs};
use crate::protocol::validate::{member, Violations};
use crate::protocol::{JsonService, RequestContext};

/// The most a response carries: 1 MiB of messages (26 bytes counted per event) and 10,000
/// events, as AWS.
pub const MAX_RESPONSE_BYTES: usize = 1_048_576;
pub const MAX_EVENTS: usize = 10_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

pub fn register(json: JsonService, svc: &Arc<Logs>) -> JsonService {
    let j = blocking(json, "PutLogEvents", svc, put_log_events);
    let j = blocking(j, "GetLogEvents", svc, get_log_events);
    blocking(j, "FilterLogEvents", svc, filter_log_events)
}

/// Where a batch is cut: events `[0, old)` are too old or expired, `[new, len)` too new.
pub fn rejected(
    times: &[i64],
    now: i64,
    retention_days: Option<i32>,
) -> (usize, usize, RejectedLogEventsInfo) {
    let too_old = times.partition_point(|t| *t < now - 14 * DAY_MS);
    let expired = retention_days
        .map(|d| times.partition_point(|t| *t < now - i64::from(d) * DAY_MS))
        .unwrap_or(0);
    let too_new = times.partition_point(|t| *t <= now + 2 * HOUR_MS);
    let info = RejectedLogEventsInfo {
        too_new_log_event_start_index: (too_new < times.len()).then_some(too_new as i32),
        too_old_log_event_end_index: (too_old > 0).then_some(too_old as i32),
        expired_log_event_end_index: (expired > 0).then_some(expired as i32),
    };
    (too_old.max(expired).min(too_new), too_new, info)
}

fn put_log_events(
    svc: &Logs,
    ctx: &RequestContext,
    input: PutLogEventsInput,
) -> Result<PutLogEventsOutput> {
    let mut v = Violations::new();
    validate::group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::stream_name(&mut v, "logStreamName", input.log_stream_name.as_deref());
    let present = input.log_events.is_some().then_some(());
    let events = input.log_events.unwrap_or_default();
    if v.required("logEvents", &present) {
        v.list_len("logEvents", events.len(), 1, 10_000);
    }
    for (i, e) in events.iter().enumerate() {
        let at = member("logEvents", i);
        v.required(&format!("{at}.timestamp"), &e.timestamp);
        validate::time(&mut v, &format!("{at}.timestamp"), e.timestamp);
        if v.required(&format!("{at}.message"), &e.message) {
            v.length(
                &format!("{at}.message"),
                e.message.as_deref().unwrap_or_default(),
                1,
                usize::MAX,
            );
        }
    }
    validate::token(&mut v, "sequenceToken", input.sequence_token.as_deref());
    validate::check(v)?;
    let times: Vec<i64> = events
        .iter()
        .map(|e| e.timestamp.unwrap_or_default())
        .collect();
    if times.windows(2).any(|w| w[1] < w[0]) {
        return Err(E::invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let size: usize = events
        .iter()
        .map(|e| e.message.as_deref().map_or(0, str::len) + 26)
        .sum();
    if size > MAX_RESPONSE_BYTES {
        return Err(E::invalid(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_RESPONSE_BYTES}"
        )));
    }
    let group = input.log_group_name.unwrap_or_default();
    let stream = input.log_stream_name.unwrap_or_default();
    let (g, s) = svc
        .state
        .stream(&ctx.account_id, &ctx.region, &group, &stream)?;
    let now = now_ms();
    let (from, to, info) = rejected(&times, now, g.retention_in_days);
    if to > from && times[to - 1] - times[from] > DAY_MS {
        return Err(E::invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours."));
    }
    let batch: Vec<(i64, &str)> = events[from..to.max(from)]
        .iter()
        .map(|e| {
            (
                e.timestamp.unwrap_or_default(),
                e.message.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    s.events.append(&batch, now)?;
    let count = s.events.stats()?.count;
    Ok(PutLogEventsOutput {
        next_sequence_token: sequence_token(count),
        rejected_log_events_info: (info != RejectedLogEventsInfo::default()).then_some(info),
    })
}

fn get_log_events(
    svc: &Logs,
    ctx: &RequestContext,
    input: GetLogEventsInput,
) -> Result<GetLogEventsOutput> {
    let mut v = Violations::new();
    validate::optional_group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    validate::stream_name(&mut v, "logStreamName", input.log_stream_name.as_deref());
    validate::time(&mut v, "startTime", input.start_time);
    validate::time(&mut v, "endTime", input.end_time);
    validate::limit(&mut v, "limit", input.limit, MAX_EVENTS as i64);
    validate::token(&mut v, "nextToken", input.next_token.as_deref());
    validate::check(v)?;
    let (account, region, group) = group_ref(
        ctx,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let token = input
        .next_token
        .as_deref()
        .map(parse_event_token)
        .transpose()?;
    let (_, s) = svc.state.stream(
        &account,
        &region,
        &group,
        input.log_stream_name.as_deref().unwrap_or_default(),
    )?;
    let lo = input.start_time.map_or(Key::MIN, Key::at);
    let hi = input.end_time.map_or(Key::MAX, Key::at);
    // The window read, and whether it is read from its end (the newest events first).
    let (a, b, from_end) = match token {
        Some((Direction::Forward, at)) => (lo.max(at), hi, false),
        Some((Direction::Backward, at)) => (lo, hi.min(at), true),
        None => (lo, hi, !input.start_from_head.unwrap_or(false)),
    };
    let take = Take {
        from_end,
        max_events: input.limit.map_or(MAX_EVENTS, |l| l as usize),
        max_bytes: MAX_RESPONSE_BYTES,
    };
    let records = s.events.range(a, b.max(a), take)?.read()?;
    let (forward, backward) = match (records.first(), records.last()) {
        (Some(first), Some(last)) => (last.key.after(), first.key),
        // Nothing more this way: the token given comes back, which ends a client's paging.
        _ => match token {
            Some((Direction::Backward, _)) => (b, b),
            _ if from_end => (a, b),
            _ => (a, a),
        },
    };
    let events = records
        .into_iter()
        .map(|r| OutputLogEvent {
            timestamp: r.key.ts,
            message: r.message,
            ingestion_time: r.ingestion,
        })
        .collect();
    Ok(GetLogEventsOutput {
        events,
        next_forward_token: event_token(Direction::Forward, forward),
        next_backward_token: event_token(Direction::Backward, backward),
    })
}

fn filter_log_events(
    svc: &Logs,
    ctx: &RequestContext,
    input: FilterLogEventsInput,
) -> Result<FilterLogEventsOutput> {
    let mut v = Violations::new();
    validate::optional_group_name(&mut v, "logGroupName", input.log_group_name.as_deref());
    if let Some(names) = &input.log_stream_names {
        v.list_len("logStreamNames", names.len(), 1, 100);
        for (i, n) in names.iter().enumerate() {
            validate::stream_name(&mut v, &member("logStreamNames", i), Some(n));
        }
    }
    validate::optional_stream_name(
        &mut v,
        "logStreamNamePrefix",
        input.log_stream_name_prefix.as_deref(),
    );
    validate::time(&mut v, "startTime", input.start_time);
    validate::time(&mut v, "endTime", input.end_time);
    if let Some(p) = &input.filter_pattern {
        v.length("filterPattern", p, 0, 1024);
    }
    validate::limit(&mut v, "limit", input.limit, MAX_EVENTS as i64);
    validate::token(&mut v, "nextToken", input.next_token.as_deref());
    validate::check(v)?;
    if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
        return Err(E::invalid(
            "Cannot specify both logStreamNames and logStreamNamePrefix.",
        ));
    }
    let pattern = FilterPattern::parse(input.filter_pattern.as_deref().unwrap_or_default())?;
    let resume = input
        .next_token
        .as_deref()
        .map(super::paging::parse_filter_token)
        .transpose()?;
    let (account, region, group) = group_ref(
        ctx,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let (_, streams) = svc.state.streams(&account, &region, &group)?;
    let streams = streams
        .into_iter()
        .filter(
            |s| match (&input.log_stream_names, &input.log_stream_name_prefix) {
                (Some(names), _) => names.contains(&s.record.name),
                (None, Some(prefix)) => s.record.name.starts_with(prefix.as_str()),
                (None, None) => true,
            },
        )
        .collect();
    search(Search {
        streams,
        lo: input.start_time.map_or(Key::MIN, Key::at),
        // FilterLogEvents' end time is inclusive (GetLogEvents' is not).
        hi: input
            .end_time
            .map_or(Key::MAX, |t| Key::at(t.saturating_add(1))),
        pattern,
        resume,
        max_events: input.limit.map_or(MAX_EVENTS, |l| l as usize),
        max_bytes: MAX_RESPONSE_BYTES,
        scan_bytes: SCAN_BYTES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_old_expired_and_too_new_events_are_cut_off() {
        let now = 100 * DAY_MS;
        let times = [
            now - 20 * DAY_MS,
            now - 10 * DAY_MS,
            now - 2 * DAY_MS,
            now,
            now + 3 * HOUR_MS,
        ];
        let (from, to, info) = rejected(&times, now, None);
        assert_eq!((from, to), (1, 4));
        assert_eq!(info.too_old_log_event_end_index, Some(1));
        assert_eq!(info.too_new_log_event_start_index, Some(4));
        assert_eq!(info.expired_log_event_end_index, None);
        let (from, to, info) = rejected(&times, now, Some(7));
        assert_eq!((from, to), (2, 4));
        assert_eq!(info.expired_log_event_end_index, Some(2));
        let (from, to, info) = rejected(&[now - 1, now], now, Some(1));
        assert_eq!((from, to), (0, 2));
        assert_eq!(info, RejectedLogEventsInfo::default());
    }
}
