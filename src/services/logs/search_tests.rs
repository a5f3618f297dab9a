//! Search tests: streams merged in time order, patterns, stream selection, pages that resume
//! exactly where the last one stopped, and the scan budget.

use super::*;
use crate::services::logs::Logs;
use crate::store::Store;

const A: &str = "000000000000";
const R: &str = "us-east-1";

fn logs() -> Logs {
    let logs = Logs::new(Arc::new(Store::memory().unwrap())).unwrap();
    logs.append(
        A,
        R,
        "g",
        "b",
        &[
            (1, "b1 ERROR".into()),
            (3, "b3".into()),
            (5, "b5 ERROR".into()),
        ],
    )
    .unwrap();
    logs.append(
        A,
        R,
        "g",
        "a",
        &[(1, "a1".into()), (2, "a2 ERROR".into()), (5, "a5".into())],
    )
    .unwrap();
    logs
}

fn query(logs: &Logs, pattern: &str) -> Search {
    Search {
        streams: logs.state.streams(A, R, "g").unwrap().1,
        lo: Key::MIN,
        hi: Key::MAX,
        pattern: FilterPattern::parse(pattern).unwrap(),
        resume: None,
        max_events: 10_000,
        max_bytes: 1 << 20,
        scan_bytes: SCAN_BYTES,
    }
}

fn messages(out: &FilterLogEventsOutput) -> Vec<&str> {
    out.events.iter().map(|e| e.message.as_str()).collect()
}

#[test]
fn streams_are_merged_by_time_then_name() {
    let logs = logs();
    let out = search(query(&logs, "")).unwrap();
    assert_eq!(
        messages(&out),
        ["a1", "b1 ERROR", "a2 ERROR", "b3", "a5", "b5 ERROR"]
    );
    assert_eq!(out.next_token, None);
    assert!(out
        .searched_log_streams
        .iter()
        .all(|s| s.searched_completely));
    assert_eq!(out.searched_log_streams.len(), 2);
    let ids: std::collections::HashSet<&str> =
        out.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), 6, "event ids are distinct");
    assert_eq!(out.events[0].log_stream_name, "a");
}

#[test]
fn patterns_time_ranges_and_stream_selection() {
    let logs = logs();
    assert_eq!(
        messages(&search(query(&logs, "ERROR")).unwrap()),
        ["b1 ERROR", "a2 ERROR", "b5 ERROR"]
    );
    let mut q = query(&logs, "ERROR");
    q.lo = Key::at(2);
    q.hi = Key::at(5);
    assert_eq!(messages(&search(q).unwrap()), ["a2 ERROR"]);
    let mut q = query(&logs, "");
    q.streams.retain(|s| s.record.name == "b");
    assert_eq!(
        messages(&search(q).unwrap()),
        ["b1 ERROR", "b3", "b5 ERROR"]
    );
}

#[test]
fn pages_resume_where_the_last_one_stopped() {
    let logs = logs();
    let mut seen = Vec::new();
    let mut resume = None;
    for _ in 0..10 {
        let mut q = query(&logs, "");
        q.max_events = 4;
        q.resume = resume.take();
        let out = search(q).unwrap();
        seen.extend(out.events.iter().map(|e| e.message.clone()));
        match out.next_token {
            Some(t) => {
                resume = Some(crate::services::logs::paging::parse_filter_token(&t).unwrap())
            }
            None => break,
        }
    }
    assert_eq!(seen, ["a1", "b1 ERROR", "a2 ERROR", "b3", "a5", "b5 ERROR"]);
}

#[test]
fn the_scan_budget_answers_early_with_a_token() {
    let logs = logs();
    let mut q = query(&logs, "nothing-matches");
    q.scan_bytes = 1;
    let out = search(q).unwrap();
    assert!(out.events.is_empty());
    assert!(
        out.next_token.is_some(),
        "an empty page with a token: not finished"
    );
    assert!(out
        .searched_log_streams
        .iter()
        .any(|s| !s.searched_completely));
}
