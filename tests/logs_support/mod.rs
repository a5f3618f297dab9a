//! Helpers shared by the CloudWatch Logs test files: times in epoch ms, events, error details,
//! and one-line creation of groups, streams and events through the SDK.
#![allow(dead_code)]

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

/// A log group's ARN in the test account and region.
pub fn group_arn(name: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}")
}

pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_millis() as i64
}

pub fn event(ts: i64, message: &str) -> InputLogEvent {
    let e = InputLogEvent::builder().timestamp(ts).message(message);
    e.build().unwrap()
}

/// The error code and message of a call that must fail.
pub fn err<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> (String, String) {
    let e = r.err().expect("the call fails");
    let code = e.code().unwrap_or_default().to_string();
    (code, e.message().unwrap_or_default().to_string())
}

/// The error code of a call that must fail.
pub fn code<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> String {
    err(r).0
}

pub async fn group(c: &Client, name: &str) {
    c.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .unwrap();
}

pub async fn stream(c: &Client, group: &str, name: &str) {
    let req = c.create_log_stream().log_group_name(group);
    req.log_stream_name(name).send().await.unwrap();
}

pub async fn put(c: &Client, group: &str, stream: &str, events: Vec<InputLogEvent>) {
    let req = c
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream);
    req.set_log_events(Some(events)).send().await.unwrap();
}

/// The messages of events, in order.
pub fn messages<'a, T: 'a>(
    events: impl IntoIterator<Item = &'a T>,
    f: impl Fn(&'a T) -> Option<&'a str>,
) -> Vec<String> {
    events
        .into_iter()
        .filter_map(f)
        .map(str::to_string)
        .collect()
}
