//! Delivery: the task that takes events (from the internal bus, PutEvents, other buses and
//! schedules), matches them against the enabled rules of their bus, and delivers to each
//! matching rule's targets, each delivery in its own task so that a slow or hanging target
//! never holds up another.
//!
//! Targets simfra delivers to: CodePipeline pipelines (StartPipelineExecution, trigger
//! `CloudWatchEvent`, detail = rule ARN), event buses, and API destinations (HTTP). Every other
//! target ARN is accepted by PutTargets and each delivery to it is recorded as NOT_DELIVERED
//! with the reason. Every delivery is recorded in a bounded log; a delivery that finally fails
//! (after the target's RetryPolicy) becomes a dead letter. Both are read with the
//! `SimfraEvents.ListDeliveries` / `SimfraEvents.ListDeadLetters` operations.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::http_client;
use super::model::{ApiDestinationRecord, ConnectionRecord, Target};
use super::schedule::Schedule;
use super::state::{bus_key, rule_key, RuleEntry};
use super::transform;
use super::Events;
use crate::bus::Event;

/// Starts a pipeline for a rule target (implemented by CodePipeline, wired at start-up).
pub trait PipelineStarter: Send + Sync {
    /// Starts an execution with trigger `CloudWatchEvent` and detail `rule_arn`; returns the
    /// execution id, or why it could not start.
    fn start_pipeline(
        &self,
        account: &str,
        region: &str,
        name: &str,
        rule_arn: &str,
    ) -> Result<String, String>;
}

/// Starts a CodeBuild build for a rule target (implemented by CodeBuild, wired at start-up).
pub trait BuildStarter: Send + Sync {
    /// Starts a build of `project`; `input` is what the target delivers (its `Input`, or the
    /// transformed or whole event), read as StartBuild parameters where it is a JSON object.
    /// Returns the build id, or why it could not start.
    fn start_build(
        &self,
        account: &str,
        region: &str,
        project: &str,
        input: &str,
    ) -> Result<String, String>;
}

/// Writes an event into a CloudWatch Logs log group (implemented by Logs, wired at start-up).
pub trait LogSink: Send + Sync {
    /// Appends `message` as one log event to `group`, in the stream `stream` (created when
    /// missing, like the group). Returns why it could not.
    fn write(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
        message: &str,
    ) -> Result<(), String>;
}

/// Buses an event may be forwarded through before delivery stops (loops between buses).
const MAX_HOPS: u8 = 5;
/// How long an API destination may take to answer (AWS: 5 seconds).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// Kept deliveries and dead letters (oldest dropped first).
const LOG_CAPACITY: usize = 1000;

/// Work for the delivery task.
pub enum Command {
    /// Match an event against the rules of a bus.
    Dispatch {
        account: String,
        region: String,
        bus: String,
        event: Arc<Value>,
        hops: u8,
    },
    /// A rule was put, enabled, disabled or deleted: (re)arm or disarm its schedule.
    Reschedule(String),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryRecord {
    pub time: String,
    pub event_id: String,
    pub rule_arn: String,
    pub target_id: String,
    pub target_arn: String,
    /// DELIVERED, FAILED or NOT_DELIVERED (a target kind simfra does not run).
    pub status: &'static str,
    pub attempts: u32,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetter {
    pub time: String,
    pub event_id: String,
    pub rule_arn: String,
    pub target_id: String,
    pub target_arn: String,
    /// The target's DeadLetterConfig ARN, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_arn: Option<String>,
    pub reason: String,
    pub attempts: u32,
    pub event: Value,
}

#[derive(Default)]
pub struct DeliveryLog {
    deliveries: Mutex<VecDeque<DeliveryRecord>>,
    dead_letters: Mutex<VecDeque<DeadLetter>>,
}

impl DeliveryLog {
    fn push<T>(q: &Mutex<VecDeque<T>>, item: T) {
        let mut q = q.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= LOG_CAPACITY {
            q.pop_front();
        }
        q.push_back(item);
    }

    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead_letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.dead_letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

fn now_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The delivery task: runs until both of its inputs are closed.
pub async fn run(
    events: Arc<Events>,
    mut bus: mpsc::Receiver<Arc<Event>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut schedules: HashMap<String, tokio::task::AbortHandle> = HashMap::new();
    for rule in events.state.scheduled_rules() {
        let r = &rule.record;
        let key = rule_key(&r.account, &r.region, &r.bus, &r.name);
        arm(&events, &mut schedules, key);
    }
    let mut bus_open = true;
    loop {
        tokio::select! {
            received = bus.recv(), if bus_open => match received {
                Some(event) => match serde_json::to_value(&*event) {
                    Ok(value) => dispatch(&events, &event.account, &event.region, "default", Arc::new(value), 0),
                    Err(e) => tracing::error!("an event could not be encoded: {e}"),
                },
                None => bus_open = false,
            },
            cmd = commands.recv() => match cmd {
                Some(Command::Dispatch { account, region, bus, event, hops }) => {
                    dispatch(&events, &account, &region, &bus, event, hops)
                }
                Some(Command::Reschedule(key)) => arm(&events, &mut schedules, key),
                None => break,
            },
        }
    }
}

/// Matches one event against the enabled rules of a bus and starts the deliveries.
pub fn dispatch(
    events: &Arc<Events>,
    account: &str,
    region: &str,
    bus: &str,
    event: Arc<Value>,
    hops: u8,
) {
    let Some(rules) = events.state.active_rules(&bus_key(account, region, bus)) else {
        return;
    };
    for rule in rules.iter() {
        if rule.pattern.as_ref().is_some_and(|p| p.matches(&event)) {
            deliver_to_rule(events, rule, &event, hops);
        }
    }
}

fn deliver_to_rule(events: &Arc<Events>, rule: &Arc<RuleEntry>, event: &Arc<Value>, hops: u8) {
    for target in &rule.record.targets {
        let events = events.clone();
        let rule = rule.clone();
        let target = target.clone();
        let event = event.clone();
        tokio::spawn(async move {
            deliver(&events, &rule, &target, &event, hops).await;
        });
    }
}

/// Arms (or disarms) the schedule of one rule.
fn arm(
    events: &Arc<Events>,
    schedules: &mut HashMap<String, tokio::task::AbortHandle>,
    key: String,
) {
    if let Some(h) = schedules.remove(&key) {
        h.abort();
    }
    schedules.retain(|_, h| !h.is_finished());
    let mut parts = key.splitn(4, '|');
    let (Some(account), Some(region), Some(bus), Some(name)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Some(rule) = events.state.rule(account, region, bus, name) else {
        return;
    };
    let Some(expr) = rule.record.schedule_expression.clone() else {
        return;
    };
    if !rule.enabled() {
        return;
    }
    let Ok(schedule) = Schedule::parse(&expr) else {
        return;
    };
    let events2 = events.clone();
    let (account, region, bus, name) = (
        account.to_string(),
        region.to_string(),
        bus.to_string(),
        name.to_string(),
    );
    let handle = tokio::spawn(async move {
        let created = chrono::DateTime::from_timestamp_millis(rule.record.created_ms)
            .unwrap_or_else(chrono::Utc::now);
        loop {
            let Some(delay) = schedule.next_delay(chrono::Utc::now(), created, events2.minute)
            else {
                return;
            };
            tokio::time::sleep(delay).await;
            // The rule as it is now (its targets may have changed since it was armed).
            let Some(rule) = events2.state.rule(&account, &region, &bus, &name) else {
                return;
            };
            if !rule.enabled() {
                return;
            }
            let r = &rule.record;
            let event = Event::new(
                "aws.events",
                "Scheduled Event",
                &r.account,
                &r.region,
                vec![r.arn.clone()],
                Value::Object(Default::default()),
            );
            match serde_json::to_value(&event) {
                Ok(v) => deliver_to_rule(&events2, &rule, &Arc::new(v), 0),
                Err(e) => tracing::error!("a scheduled event could not be encoded: {e}"),
            }
        }
    });
    schedules.insert(key, handle.abort_handle());
}

/// The outcome of one attempt.
enum Outcome {
    Delivered(String),
    /// Not retried: simfra does not run this kind of target.
    NotDelivered(String),
    Failed {
        reason: String,
        retryable: bool,
    },
}

async fn deliver(
    events: &Arc<Events>,
    rule: &RuleEntry,
    target: &Target,
    event: &Arc<Value>,
    hops: u8,
) {
    let r = &rule.record;
    let event_id = event
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let record = |status: &'static str, attempts: u32, detail: String| DeliveryRecord {
        time: now_text(),
        event_id: event_id.clone(),
        rule_arn: r.arn.clone(),
        target_id: target.id.clone(),
        target_arn: target.arn.clone(),
        status,
        attempts,
        detail,
    };
    let ctx = transform::Context {
        rule_arn: &r.arn,
        rule_name: &r.name,
        ingestion_time: event
            .get("time")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    };
    let payload = transform::payload(target, event, &ctx);
    let retry = target.retry_policy.clone().unwrap_or_default();
    let max_retries = retry.maximum_retry_attempts.unwrap_or(185).clamp(0, 185) as u32;
    let max_age = Duration::from_secs(
        retry
            .maximum_event_age_in_seconds
            .unwrap_or(86_400)
            .clamp(60, 86_400) as u64,
    );
    let started = Instant::now();
    let mut attempts = 0u32;
    let mut backoff = events.retry_base;
    let final_reason = loop {
        attempts += 1;
        let outcome = match &payload {
            Ok(body) => attempt(events, rule, target, event, body, hops).await,
            Err(reason) => Outcome::Failed {
                reason: reason.clone(),
                retryable: false,
            },
        };
        match outcome {
            Outcome::Delivered(detail) => {
                DeliveryLog::push(
                    &events.log.deliveries,
                    record("DELIVERED", attempts, detail),
                );
                return;
            }
            Outcome::NotDelivered(reason) => {
                DeliveryLog::push(
                    &events.log.deliveries,
                    record("NOT_DELIVERED", attempts, reason),
                );
                return;
            }
            Outcome::Failed { reason, retryable } => {
                let out_of_time = started.elapsed() + backoff > max_age;
                if !retryable || attempts > max_retries || out_of_time {
                    break reason;
                }
                tracing::debug!(target = %target.arn, "delivery attempt {attempts} failed, retrying: {reason}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    };
    tracing::info!(rule = %r.arn, target = %target.arn, "delivery failed: {final_reason}");
    DeliveryLog::push(
        &events.log.deliveries,
        record("FAILED", attempts, final_reason.clone()),
    );
    DeliveryLog::push(
        &events.log.dead_letters,
        DeadLetter {
            time: now_text(),
            event_id: event_id.clone(),
            rule_arn: r.arn.clone(),
            target_id: target.id.clone(),
            target_arn: target.arn.clone(),
            dead_letter_arn: target
                .dead_letter_config
                .as_ref()
                .and_then(|d| d.arn.clone()),
            reason: final_reason,
            attempts,
            event: (**event).clone(),
        },
    );
}

/// The parts of an ARN: (service, region, account, resource).
pub fn split_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let mut p = arn.splitn(6, ':');
    if p.next()? != "arn" {
        return None;
    }
    let _partition = p.next()?;
    let service = p.next()?;
    let region = p.next()?;
    let account = p.next()?;
    let resource = p.next()?;
    Some((service, region, account, resource))
}

async fn attempt(
    events: &Arc<Events>,
    rule: &RuleEntry,
    target: &Target,
    event: &Arc<Value>,
    body: &str,
    hops: u8,
) -> Outcome {
    let Some((service, region, account, resource)) = split_arn(&target.arn) else {
        return Outcome::Failed {
            reason: format!("{} is not an ARN", target.arn),
            retryable: false,
        };
    };
    match service {
        "codepipeline" => {
            let Some(starter) = events.starter.get() else {
                return Outcome::NotDelivered("CodePipeline is not wired to EventBridge in this server".into());
            };
            match starter.start_pipeline(account, region, resource, &rule.record.arn) {
                Ok(id) => Outcome::Delivered(format!("started pipeline execution {id}")),
                Err(reason) => Outcome::Failed { reason, retryable: true },
            }
        }
        "codebuild" if resource.starts_with("project/") => {
            let Some(starter) = events.build_starter.get() else {
                return Outcome::NotDelivered("CodeBuild is not wired to EventBridge in this server".into());
            };
            match starter.start_build(account, region, &resource["project/".len()..], body) {
                Ok(id) => Outcome::Delivered(format!("started build {id}")),
                Err(reason) => Outcome::Failed { reason, retryable: false },
            }
        }
        "logs" if resource.starts_with("log-group:") => {
            let Some(sink) = events.log_sink.get() else {
                return Outcome::NotDelivered("CloudWatch Logs is not wired to EventBridge in this server".into());
            };
            // `log-group:<name>` or `log-group:<name>:*`; the stream is named after the event.
            let group = resource["log-group:".len()..].trim_end_matches(":*");
            let stream = event
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("events")
                .to_string();
            match sink.write(account, region, group, &stream, body) {
                Ok(()) => Outcome::Delivered(format!("written to log group {group}")),
                Err(reason) => Outcome::Failed { reason, retryable: false },
            }
        }
        "events" if resource.starts_with("event-bus/") => {
            let bus = &resource["event-bus/".len()..];
            if !events.state.bus_exists(account, region, bus) {
                return Outcome::Failed {
                    reason: format!("the event bus {} does not exist", target.arn),
                    retryable: false,
                };
            }
            if hops + 1 >= MAX_HOPS {
                return Outcome::Failed {
                    reason: format!("the event passed through {MAX_HOPS} buses; stopped to break a loop"),
                    retryable: false,
                };
            }
            events.send(Command::Dispatch {
                account: account.to_string(),
                region: region.to_string(),
                bus: bus.to_string(),
                event: event.clone(),
                hops: hops + 1,
            });
            Outcome::Delivered(format!("forwarded to event bus {bus}"))
        }
        "events" if resource.starts_with("api-destination/") => {
            let Some(dest) = events.state.destination_by_arn(&target.arn) else {
                return Outcome::Failed {
                    reason: format!("the API destination {} does not exist", target.arn),
                    retryable: false,
                };
            };
            let Some(conn) = events.state.connection_by_arn(&dest.connection_arn) else {
                return Outcome::Failed {
                    reason: format!("the connection {} of the API destination does not exist", dest.connection_arn),
                    retryable: false,
                };
            };
            http_delivery(&dest, &conn, target, body).await
        }
        other => Outcome::NotDelivered(format!(
            "simfra does not run {other} targets yet: the event was matched and recorded, not delivered"
        )),
    }
}

async fn http_delivery(
    dest: &ApiDestinationRecord,
    conn: &ConnectionRecord,
    target: &Target,
    body: &str,
) -> Outcome {
    use base64::Engine as _;
    let params = target.http_parameters.clone().unwrap_or_default();
    // `*` in the endpoint takes the PathParameterValues in order.
    let mut url = String::new();
    let mut values = params.path_parameter_values.iter().flatten();
    for c in dest.endpoint.chars() {
        match c {
            '*' => url.push_str(values.next().map(String::as_str).unwrap_or("*")),
            c => url.push(c),
        }
    }
    let mut headers: Vec<(String, String)> = vec![
        (
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        ),
        (
            "User-Agent".into(),
            "Amazon/EventBridge/ApiDestinations".into(),
        ),
    ];
    let mut query: Vec<(String, String)> = Vec::new();
    if let Some(h) = &conn.auth.invocation_http_parameters {
        for p in h.header_parameters.iter().flatten() {
            headers.push((p.key.clone(), p.value.clone().unwrap_or_default()));
        }
        for p in h.query_string_parameters.iter().flatten() {
            query.push((p.key.clone(), p.value.clone().unwrap_or_default()));
        }
    }
    match conn.authorization_type.as_str() {
        "BASIC" => {
            if let Some(b) = &conn.auth.basic_auth_parameters {
                let token = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    b.username,
                    b.password.clone().unwrap_or_default()
                ));
                headers.push(("Authorization".into(), format!("Basic {token}")));
            }
        }
        "API_KEY" => {
            if let Some(k) = &conn.auth.api_key_auth_parameters {
                headers.push((
                    k.api_key_name.clone(),
                    k.api_key_value.clone().unwrap_or_default(),
                ));
            }
        }
        other => {
            return Outcome::Failed {
                reason: format!(
                    "connections with authorization type {other} are not supported by simfra"
                ),
                retryable: false,
            }
        }
    }
    for (k, v) in params.header_parameters.iter().flatten() {
        headers.push((k.clone(), v.clone()));
    }
    for (k, v) in params.query_string_parameters.iter().flatten() {
        query.push((k.clone(), v.clone()));
    }
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        url.push_str(&q.join("&"));
    }
    let send_body = !matches!(dest.method.as_str(), "GET" | "HEAD");
    let req = http_client::Request {
        method: &dest.method,
        url: &url,
        headers,
        body: if send_body {
            body.as_bytes().to_vec()
        } else {
            Vec::new()
        },
    };
    match http_client::send(req, HTTP_TIMEOUT).await {
        Ok(status) if (200..300).contains(&status) => {
            Outcome::Delivered(format!("{} {url} answered {status}", dest.method))
        }
        Ok(status) => Outcome::Failed {
            reason: format!("{} {url} answered {status}", dest.method),
            // AWS retries 401, 407, 409, 429 and 5xx.
            retryable: matches!(status, 401 | 407 | 409 | 429) || status >= 500,
        },
        Err(f) => Outcome::Failed {
            reason: f.reason,
            retryable: f.retryable,
        },
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
