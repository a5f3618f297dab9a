//! EventBridge delivery end to end: engine events and PutEvents matched by rules and
//! delivered to HTTP endpoints (API destinations served by the test), to other buses, and to
//! pipelines (also on a schedule); slow targets do not hold up others; failures are recorded.

mod codepipeline_support;
mod common;

use std::time::Duration;

use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, PipelineDeclaration};
use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType,
    CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
    DeadLetterConfig, InputTransformer, PutEventsRequestEntry, RetryPolicy, Target,
};
use codepipeline_support::{action, stage, store, type_id, ROLE};
use serde_json::Value;
use simfra::server::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// One request a test listener received.
#[derive(Debug)]
struct Received {
    head: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A loopback HTTP listener: answers 200 (or, if `hang`, never answers) and reports requests.
async fn listener(hang: bool) -> (u16, mpsc::UnboundedReceiver<Received>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let split = loop {
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..split]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_string())
                    })
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < split + 4 + len {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&buf[split + 4..]).to_string();
                let _ = tx.send(Received { head, body });
                if hang {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                } else {
                    let _ = sock
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                }
            });
        }
    });
    (port, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>, within: Duration) -> Received {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("the endpoint received a request in time")
        .expect("listener alive")
}

/// An API destination at `url` through an API-key connection; returns its ARN.
async fn destination(ev: &aws_sdk_eventbridge::Client, name: &str, url: &str) -> String {
    let conn = match ev.describe_connection().name("hooks").send().await {
        Ok(c) => c.connection_arn().unwrap().to_string(),
        Err(_) => ev
            .create_connection()
            .name("hooks")
            .authorization_type(ConnectionAuthorizationType::ApiKey)
            .auth_parameters(
                CreateConnectionAuthRequestParameters::builder()
                    .api_key_auth_parameters(
                        CreateConnectionApiKeyAuthRequestParameters::builder()
                            .api_key_name("x-api-key")
                            .api_key_value("s3cret")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .connection_arn()
            .unwrap()
            .to_string(),
    };
    ev.create_api_destination()
        .name(name)
        .connection_arn(conn)
        .invocation_endpoint(url)
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .unwrap()
        .api_destination_arn()
        .unwrap()
        .to_string()
}

/// A pipeline whose S3 source bucket does not exist: every execution fails in its source.
fn broken_pipeline(name: &str) -> PipelineDeclaration {
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage(
            "Source",
            vec![action(
                "Source",
                type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
                &[
                    ("S3Bucket", "no-such-bucket"),
                    ("S3ObjectKey", "app.zip"),
                    ("PollForSourceChanges", "false"),
                ],
                &[],
                &["Out"],
            )],
        ))
        .stages(stage(
            "Deploy",
            vec![action(
                "Deploy",
                type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
                &[("BucketName", "site"), ("Extract", "true")],
                &["Out"],
                &[],
            )],
        ))
        .build()
        .unwrap()
}

fn entry(source: &str, detail_type: &str, detail: &str) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .source(source)
        .detail_type(detail_type)
        .detail(detail)
        .build()
}

/// Waits until the pipeline has an execution triggered by `rule_arn`.
async fn await_rule_execution(server: &TestServer, pipeline: &str, rule_arn: &str) {
    let cp = common::codepipeline(server);
    for _ in 0..100 {
        let list = cp
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .send()
            .await
            .unwrap();
        let found = list.pipeline_execution_summaries().iter().any(|s| {
            s.trigger().is_some_and(|t| {
                t.trigger_type().map(|t| t.as_str()) == Some("CloudWatchEvent")
                    && t.trigger_detail() == Some(rule_arn)
            })
        });
        if found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no execution of {pipeline} was started by {rule_arn}");
}

fn inspect(server: &TestServer, op: &str) -> Value {
    let r = common::raw_json(server, &format!("SimfraEvents.{op}"), b"{}");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_pipeline_is_delivered_to_an_http_endpoint() {
    let server = common::start();
    let ev = common::events(&server);
    let (port, mut rx) = listener(false).await;
    let dest = destination(&ev, "alerts", &format!("http://127.0.0.1:{port}/alerts")).await;
    ev.put_rule()
        .name("pipeline-failed")
        .event_pattern(
            r#"{"source":["aws.codepipeline"],"detail-type":["CodePipeline Pipeline Execution State Change"],"detail":{"state":["FAILED"]}}"#,
        )
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("pipeline-failed")
        .targets(
            Target::builder()
                .id("alerts")
                .arn(&dest)
                .input_transformer(
                    InputTransformer::builder()
                        .input_paths_map("pipeline", "$.detail.pipeline")
                        .input_paths_map("state", "$.detail.state")
                        .input_template(
                            r#"{"text": "<pipeline> is <state>", "pipeline": <pipeline>, "rule": "<aws.events.rule-name>"}"#,
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .targets(
            Target::builder()
                .id("log")
                .arn("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/pipeline-failures")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Creating the pipeline starts its first execution, which fails in the source.
    common::codepipeline(&server)
        .create_pipeline()
        .pipeline(broken_pipeline("broken"))
        .send()
        .await
        .unwrap();
    let got = next(&mut rx, Duration::from_secs(30)).await;
    assert!(
        got.head.starts_with("POST /alerts HTTP/1.1"),
        "{}",
        got.head
    );
    assert!(
        got.head.to_ascii_lowercase().contains("x-api-key: s3cret"),
        "{}",
        got.head
    );
    assert_eq!(
        got.json(),
        serde_json::json!({"text": "broken is FAILED", "pipeline": "broken", "rule": "pipeline-failed"})
    );
    // The delivery is recorded once the endpoint has answered.
    let mut deliveries = Value::Null;
    for _ in 0..50 {
        deliveries = inspect(&server, "ListDeliveries");
        if deliveries["Deliveries"][0]["Status"] == "DELIVERED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = &deliveries["Deliveries"][0];
    assert_eq!(d["Status"], "DELIVERED", "{deliveries}");
    assert_eq!(
        d["RuleArn"],
        "arn:aws:events:us-east-1:000000000000:rule/pipeline-failed"
    );
    // The same event went to the log group as a log event (the whole event, untransformed).
    let logs = common::logs(&server);
    let mut messages = Vec::new();
    for _ in 0..50 {
        if let Ok(out) = logs
            .filter_log_events()
            .log_group_name("/aws/events/pipeline-failures")
            .send()
            .await
        {
            messages = out
                .events()
                .iter()
                .map(|e| e.message().unwrap_or_default().to_string())
                .collect();
            if !messages.is_empty() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    let logged: Value = serde_json::from_str(&messages[0]).unwrap();
    assert_eq!(
        logged["detail-type"],
        "CodePipeline Pipeline Execution State Change"
    );
    assert_eq!(logged["detail"]["pipeline"], "broken");
    assert_eq!(logged["detail"]["state"], "FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_events_are_routed_through_another_bus() {
    let server = common::start();
    let ev = common::events(&server);
    let (port, mut rx) = listener(false).await;
    let dest = destination(
        &ev,
        "big-orders",
        &format!("http://127.0.0.1:{port}/orders"),
    )
    .await;
    let bus = ev
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap()
        .event_bus_arn()
        .unwrap()
        .to_string();
    ev.put_rule()
        .name("to-orders")
        .event_pattern(r#"{"source":["com.shop"]}"#)
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("to-orders")
        .targets(Target::builder().id("bus").arn(&bus).build().unwrap())
        .send()
        .await
        .unwrap();
    ev.put_rule()
        .name("big")
        .event_bus_name("orders")
        .event_pattern(
            r#"{"detail-type":["Order Placed"],"detail":{"total":[{"numeric":[">",100]}]}}"#,
        )
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("big")
        .event_bus_name("orders")
        .targets(
            Target::builder()
                .id("hook")
                .arn(&dest)
                .input_path("$.detail")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let out = ev
        .put_events()
        .entries(entry(
            "com.shop",
            "Order Placed",
            r#"{"order":"a","total":50}"#,
        ))
        .entries(entry(
            "com.shop",
            "Order Placed",
            r#"{"order":"b","total":150}"#,
        ))
        .entries(entry(
            "com.other",
            "Order Placed",
            r#"{"order":"c","total":999}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    let got = next(&mut rx, Duration::from_secs(10)).await;
    assert_eq!(got.json(), serde_json::json!({"order":"b","total":150}));
    // Nothing else matches.
    assert!(tokio::time::timeout(Duration::from_millis(500), rx.recv())
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_starts_a_pipeline() {
    let server = common::start();
    let ev = common::events(&server);
    common::codepipeline(&server)
        .create_pipeline()
        .pipeline(broken_pipeline("deploy-me"))
        .send()
        .await
        .unwrap();
    let rule_arn = ev
        .put_rule()
        .name("on-release")
        .event_pattern(r#"{"source":["com.release"],"detail":{"app":["shop"]}}"#)
        .send()
        .await
        .unwrap()
        .rule_arn()
        .unwrap()
        .to_string();
    ev.put_targets()
        .rule("on-release")
        .targets(
            Target::builder()
                .id("pipeline")
                .arn("arn:aws:codepipeline:us-east-1:000000000000:deploy-me")
                .role_arn("arn:aws:iam::000000000000:role/events")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ev.put_events()
        .entries(entry("com.release", "Release", r#"{"app":"shop"}"#))
        .send()
        .await
        .unwrap();
    await_rule_execution(&server, "deploy-me", &rule_arn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_starts_a_pipeline() {
    let mut settings = simfra::Settings::for_tests();
    settings.events_minute_millis = 300;
    let server = common::start_with(settings);
    let ev = common::events(&server);
    common::codepipeline(&server)
        .create_pipeline()
        .pipeline(broken_pipeline("nightly"))
        .send()
        .await
        .unwrap();
    let rule_arn = ev
        .put_rule()
        .name("tick")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .unwrap()
        .rule_arn()
        .unwrap()
        .to_string();
    ev.put_targets()
        .rule("tick")
        .targets(
            Target::builder()
                .id("p")
                .arn("arn:aws:codepipeline:us-east-1:000000000000:nightly")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    await_rule_execution(&server, "nightly", &rule_arn).await;
    ev.disable_rule().name("tick").send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_targets_do_not_stall_others_and_failures_are_recorded() {
    let server = common::start();
    let ev = common::events(&server);
    let (good_port, mut good) = listener(false).await;
    let (hang_port, mut hanging) = listener(true).await;
    // A port nobody listens on.
    let refused_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let good_arn = destination(&ev, "good", &format!("http://127.0.0.1:{good_port}/")).await;
    let hang_arn = destination(&ev, "hang", &format!("http://127.0.0.1:{hang_port}/")).await;
    let refused_arn =
        destination(&ev, "refused", &format!("http://127.0.0.1:{refused_port}/")).await;
    let tls_arn = destination(&ev, "tls", "https://127.0.0.1:1/").await;
    ev.put_rule()
        .name("fan-out")
        .event_pattern(r#"{"source":["com.fan"]}"#)
        .send()
        .await
        .unwrap();
    let no_retry = RetryPolicy::builder().maximum_retry_attempts(0).build();
    let t = |id: &str, arn: &str| {
        Target::builder()
            .id(id)
            .arn(arn)
            .retry_policy(no_retry.clone())
            .build()
            .unwrap()
    };
    ev.put_targets()
        .rule("fan-out")
        .targets(t("hang", &hang_arn))
        .targets(t("good", &good_arn))
        .targets(
            Target::builder()
                .id("refused")
                .arn(&refused_arn)
                .retry_policy(no_retry.clone())
                .dead_letter_config(
                    DeadLetterConfig::builder()
                        .arn("arn:aws:sqs:us-east-1:000000000000:dlq")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .targets(t("tls", &tls_arn))
        .targets(t(
            "lambda",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
        ))
        .send()
        .await
        .unwrap();
    ev.put_events()
        .entries(entry("com.fan", "Fan", r#"{"n":1}"#))
        .send()
        .await
        .unwrap();
    // The good endpoint hears the event at once, though another endpoint never answers.
    let got = next(&mut good, Duration::from_secs(3)).await;
    assert_eq!(got.json()["detail"], serde_json::json!({"n": 1}));
    let _ = next(&mut hanging, Duration::from_secs(3)).await;

    // The hanging endpoint times out (5 s) and joins the dead letters.
    let mut dead = Value::Null;
    for _ in 0..100 {
        dead = inspect(&server, "ListDeadLetters");
        if dead["DeadLetters"].as_array().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let letters = dead["DeadLetters"].as_array().unwrap();
    let by_id = |id: &str| {
        letters
            .iter()
            .find(|l| l["TargetId"] == id)
            .unwrap_or_else(|| panic!("no dead letter for {id}: {dead}"))
    };
    let refused = by_id("refused");
    assert_eq!(
        refused["DeadLetterArn"],
        "arn:aws:sqs:us-east-1:000000000000:dlq"
    );
    assert_eq!(refused["Event"]["source"], "com.fan");
    assert!(by_id("tls")["Reason"].as_str().unwrap().contains("https"));
    assert!(by_id("hang")["Reason"]
        .as_str()
        .unwrap()
        .contains("did not answer"));
    let deliveries = inspect(&server, "ListDeliveries");
    let lambda = deliveries["Deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["TargetId"] == "lambda")
        .expect("the lambda delivery is recorded");
    assert_eq!(lambda["Status"], "NOT_DELIVERED");
    assert!(lambda["Detail"].as_str().unwrap().contains("lambda"));
}
