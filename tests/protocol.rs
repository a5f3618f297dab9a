//! Protocol-level behaviour shared by every JSON service: routing by `X-Amz-Target`, the AWS
//! error shape, body decoding and the body limit, the request context, the admin endpoints, and
//! that nothing a client sends produces a 500 or stops the server from serving.
//!
//! Most checks run against a "probe" router that registers operations of its own, so the
//! protocol layer is tested apart from any service. The checks that go through a real service
//! use `CodePipeline_20150709.ListPipelines` and every operation the real router registers.

mod common;

use std::sync::Arc;

use common::RawResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use simfra::protocol::{ApiError, JsonService, RequestContext, Router};
use simfra::server::TestServer;
use simfra::Settings;

/// Prefixes that are routed but whose services are not built yet.
const PENDING: [(&str, &str, &str); 5] = [
    ("CodeBuild_20161006", "codebuild", "BatchGetBuilds"),
    ("CodeCommit_20150413", "codecommit", "GetRepository"),
    ("CodeDeploy_20141006", "codedeploy", "GetApplication"),
    ("AWSEvents", "events", "PutEvents"),
    ("Logs_20140328", "logs", "GetLogEvents"),
];

const SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/codepipeline/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";

/// Asserts the JSON 1.1 error shape: status, `__type`, a non-empty `message`, the request id
/// and `X-Amzn-ErrorType` headers, and the JSON 1.1 content type.
#[track_caller]
fn assert_aws_error(r: &RawResponse, status: u16, code: &str) -> String {
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert_eq!(r.status, status, "unexpected status; body: {text}");
    assert_eq!(r.header("X-Amzn-ErrorType"), Some(code), "body: {text}");
    assert!(
        r.header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()),
        "no x-amzn-RequestId header"
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-amz-json-1.1"),
        "body: {text}"
    );
    let v: Value = serde_json::from_slice(&r.body).expect("error body is JSON");
    assert_eq!(v["__type"], code, "body: {text}");
    let message = v["message"].as_str().unwrap_or_default().to_string();
    assert!(!message.is_empty(), "error without a message: {text}");
    message
}

/// The server still answers after whatever came before.
#[track_caller]
fn assert_serving(server: &TestServer) {
    let r = common::raw(server, "GET", "/_simfra/health", &[], b"");
    assert_eq!(r.status, 200, "the server stopped serving");
}

/// A JSON 1.1 call with the headers botocore sends, and a chosen content type.
fn call(server: &TestServer, target: &str, content_type: &str, body: &[u8]) -> RawResponse {
    common::raw(
        server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target),
            ("Content-Type", content_type),
            ("X-Amz-Date", "20261128T135441Z"),
            ("Authorization", SIGNED),
        ],
        body,
    )
}

// ---------------------------------------------------------------------------------------------
// The probe router: operations that exist only to exercise the protocol layer.

const PROBE: &str = "Probe_20260101";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EchoInput {
    name: Option<String>,
    max_results: Option<i64>,
}

#[derive(Deserialize)]
struct RequiredInput {
    name: String,
}

fn probe_router(settings: &Settings) -> Router {
    let mut router = Router::new(
        &settings.region,
        &settings.account_id,
        settings.max_body_bytes,
        false,
    );
    router.add_json(
        JsonService::new(PROBE, "probe")
            .op(
                "Echo",
                |ctx: &RequestContext, input: EchoInput| -> Result<Value, ApiError> {
                    Ok(json!({
                        "name": input.name,
                        "maxResults": input.max_results,
                        "region": ctx.region,
                        "accountId": ctx.account_id,
                        "callerArn": ctx.caller_arn(),
                        "accessKey": ctx.access_key,
                        "signingService": ctx.signing_service,
                    }))
                },
            )
            .op(
                "Required",
                |_: &RequestContext, input: RequiredInput| -> Result<Value, ApiError> {
                    Ok(json!({ "name": input.name }))
                },
            )
            .op(
                "Panic",
                |_: &RequestContext, _: EchoInput| -> Result<Value, ApiError> {
                    panic!("the probe handler panics on purpose")
                },
            )
            .op_async("PanicLater", |_: RequestContext, _: EchoInput| async move {
                tokio::task::yield_now().await;
                if true {
                    panic!("the probe handler panics on purpose, after an await");
                }
                Ok::<Value, ApiError>(json!({}))
            })
            .not_yet("Later", "the probe's later work"),
    );
    // A service whose prefix is known and whose operations the CLI can name.
    router.add_json(JsonService::new("CodeBuild_20161006", "codebuild").op(
        "ListProjects",
        |_: &RequestContext, _: EchoInput| -> Result<Value, ApiError> {
            Err(ApiError::validation("the probe refuses every ListProjects"))
        },
    ));
    router
}

fn probe_with(settings: Settings) -> TestServer {
    let router = Arc::new(probe_router(&settings));
    TestServer::start_with_router(settings, router).expect("probe server starts")
}

fn probe() -> TestServer {
    probe_with(Settings::for_tests())
}

fn probe_call(server: &TestServer, op: &str, body: &[u8]) -> RawResponse {
    call(
        server,
        &format!("{PROBE}.{op}"),
        "application/x-amz-json-1.1",
        body,
    )
}

// ---------------------------------------------------------------------------------------------
// Admin endpoints.

#[test]
fn health_reports_services_pid_and_defaults() {
    let server = common::start();
    let r = common::raw(&server, "GET", "/_simfra/health", &[], b"");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["pid"], std::process::id());
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["account_id"], "000000000000");
    assert_eq!(v["docker"]["enabled"], false);
    assert_eq!(v["services"]["codepipeline"], "running");
    for (_, name, _) in PENDING {
        assert!(
            v["services"][name].is_string(),
            "health does not list {name}: {v}"
        );
    }
    let head = common::raw(&server, "HEAD", "/_simfra/health", &[], b"");
    assert_eq!(head.status, 200);
}

#[test]
fn reset_wipes_and_admin_paths_are_strict() {
    let server = common::start();
    let r = common::raw(&server, "POST", "/_simfra/reset", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["reset"], true);

    assert_eq!(
        common::raw(&server, "GET", "/_simfra/reset", &[], b"").status,
        405
    );
    assert_eq!(
        common::raw(&server, "POST", "/_simfra/health", &[], b"").status,
        405
    );
    let r = common::raw(&server, "GET", "/_simfra/nope", &[], b"");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());
    assert_serving(&server);
}

// ---------------------------------------------------------------------------------------------
// Routing.

#[test]
fn pending_services_answer_unknown_operation() {
    let server = common::start();
    let health = common::raw(&server, "GET", "/_simfra/health", &[], b"").json();
    for (prefix, name, real_op) in PENDING {
        // An operation no service will ever have.
        let r = call(
            &server,
            &format!("{prefix}.NoSuchOperation"),
            "application/x-amz-json-1.1",
            b"{}",
        );
        let message = assert_aws_error(&r, 400, "UnknownOperationException");
        assert!(message.contains("NoSuchOperation"), "{message}");
        // A real operation of the service, while the service is still pending.
        if health["services"][name] == "not implemented yet" {
            let r = call(
                &server,
                &format!("{prefix}.{real_op}"),
                "application/x-amz-json-1.1",
                b"{}",
            );
            assert_aws_error(&r, 400, "UnknownOperationException");
        }
        assert_serving(&server);
    }
}

#[test]
fn unknown_targets_of_every_shape() {
    let server = common::start();
    for target in [
        "Nonsense",
        "",
        ".",
        ".ListPipelines",
        "CodePipeline_20150709.",
        "CodePipeline_20150709.NoSuchOperation",
        "CodePipeline_20150709.listPipelines",
        "NoSuchService_20200101.ListThings",
        "CodePipeline_20150709.ListPipelines.Extra",
    ] {
        let r = call(&server, target, "application/x-amz-json-1.1", b"{}");
        assert_aws_error(&r, 400, "UnknownOperationException");
    }
    assert_serving(&server);
}

#[test]
fn request_without_target_or_signature_gets_an_aws_error() {
    let server = common::start();
    for (method, path, body) in [
        ("POST", "/", &b"{}"[..]),
        ("DELETE", "/", &b""[..]),
        ("GET", "/some-bucket/some/key", &b""[..]),
        ("PUT", "/x", &b"data"[..]),
    ] {
        let r = common::raw(&server, method, path, &[], body);
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert!(
            (400..500).contains(&r.status),
            "{method} {path}: status {} ({text})",
            r.status
        );
        // Either AWS error form: JSON 1.1 (`__type`) or S3's XML (`<Code>`).
        let json_code = serde_json::from_slice::<Value>(&r.body)
            .ok()
            .and_then(|v| v["__type"].as_str().map(str::to_string));
        let xml_code = text.contains("<Error>") && text.contains("<Code>");
        assert!(
            json_code.is_some() || xml_code,
            "{method} {path}: not an AWS error: {text}"
        );
        assert!(
            r.header("x-amzn-RequestId").is_some() || r.header("x-amz-request-id").is_some(),
            "{method} {path}: no request id"
        );
    }
    assert_serving(&server);
}

#[test]
fn every_response_has_its_own_request_id() {
    let server = probe();
    let ids: std::collections::HashSet<String> = (0..5)
        .map(|_| {
            probe_call(&server, "Echo", b"{}")
                .header("x-amzn-RequestId")
                .expect("request id")
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 5);
}

// ---------------------------------------------------------------------------------------------
// Bodies.

#[test]
fn malformed_json_is_serialization_exception() {
    let server = probe();
    for body in [
        &b"{"[..],
        b"{\"name\":",
        b"{\"name\": \"x\",}",
        b"{\"name\": \"x\"} trailing",
        b"{\"name\": \"x\"}}",
        b"nul",
        b"{'name': 'x'}",
        b"\xff\xfe{}",
        b"{\"name\": \"\xff\"}",
        b"{\"name\": 5}",
        b"{\"maxResults\": \"ten\"}",
        b"{\"maxResults\": 1.5}",
        b"{\"maxResults\": 99999999999999999999999}",
        b"[1, 2]",
        b"42",
        b"\"a string\"",
    ] {
        let r = probe_call(&server, "Echo", body);
        assert_aws_error(&r, 400, "SerializationException");
    }
    // Nesting far deeper than any stack: refused in a known member, skipped (as every unknown
    // member is) or refused in an unknown one; never a crash.
    let deep = |member: &str| {
        format!(
            "{{\"{member}\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
    };
    let r = probe_call(&server, "Echo", deep("name").as_bytes());
    assert_aws_error(&r, 400, "SerializationException");
    let r = probe_call(&server, "Echo", deep("unknownMember").as_bytes());
    if r.status != 200 {
        assert_aws_error(&r, 400, "SerializationException");
    }
    assert_serving(&server);
}

#[test]
fn missing_required_member_is_validation_exception() {
    let server = probe();
    for body in [&b"{}"[..], b"", b"{\"name\": null}", b"{\"other\": 1}"] {
        let r = probe_call(&server, "Required", body);
        let message = assert_aws_error(&r, 400, "ValidationException");
        assert!(
            message.contains("'name'") && message.contains("Member must not be null"),
            "{message}"
        );
    }
}

#[test]
fn empty_body_is_an_empty_object() {
    let server = probe();
    for body in [&b""[..], b"  \r\n", b"{}"] {
        let r = probe_call(&server, "Echo", body);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["name"], Value::Null);
    }
    // No Content-Length and no body at all.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Amz-Target: {PROBE}.Echo\r\n\r\n",
        server.addr
    );
    assert_eq!(common::raw_bytes(&server, head.as_bytes()).status, 200);
}

#[test]
fn unknown_members_are_ignored() {
    let server = probe();
    let r = probe_call(
        &server,
        "Echo",
        br#"{"name":"a","brandNewMember":{"deep":[1,2,{"x":null}]}}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "a");
}

#[test]
fn content_types_json_1_0_1_1_and_none_are_accepted() {
    let server = probe();
    for content_type in [
        "application/x-amz-json-1.1",
        "application/x-amz-json-1.0",
        "application/json",
    ] {
        let r = call(
            &server,
            &format!("{PROBE}.Echo"),
            content_type,
            br#"{"name":"n","maxResults":7}"#,
        );
        assert_eq!(r.status, 200, "{content_type}");
        assert_eq!(
            r.header("Content-Type"),
            Some("application/x-amz-json-1.1"),
            "{content_type}"
        );
        assert_eq!(r.json()["maxResults"], 7);
    }
    let r = common::raw(
        &server,
        "POST",
        "/",
        &[("X-Amz-Target", &format!("{PROBE}.Echo"))],
        br#"{"name":"n"}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "n");
}

#[test]
fn body_over_the_limit_is_413_and_the_server_keeps_serving() {
    let mut settings = Settings::for_tests();
    settings.max_body_bytes = 1024;
    let server = probe_with(settings);

    // A declared length over the limit is refused before the body is sent.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Amz-Target: {PROBE}.Echo\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1073741824\r\n\r\n",
        server.addr
    );
    let r = common::raw_bytes(&server, head.as_bytes());
    let message = assert_aws_error(&r, 413, "RequestEntityTooLargeException");
    assert!(message.contains("1024"), "{message}");
    assert_serving(&server);

    // A chunked body with no declared length is cut off once it passes the limit.
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Amz-Target: {PROBE}.Echo\r\nContent-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    )
    .into_bytes();
    for _ in 0..3 {
        req.extend_from_slice(format!("{:x}\r\n{}\r\n", 600, " ".repeat(600)).as_bytes());
    }
    let r = common::raw_bytes(&server, &req);
    assert_aws_error(&r, 413, "RequestEntityTooLargeException");
    assert_serving(&server);

    // Exactly at the limit is fine.
    let body = format!("{{\"name\":\"{}\"}}", "a".repeat(1024 - 11));
    assert_eq!(body.len(), 1024);
    let r = probe_call(&server, "Echo", body.as_bytes());
    assert_eq!(r.status, 200);
    // One byte over is not.
    let body = format!("{{\"name\":\"{}\"}}", "a".repeat(1024 - 10));
    let r = probe_call(&server, "Echo", body.as_bytes());
    assert_aws_error(&r, 413, "RequestEntityTooLargeException");
    assert_serving(&server);
}

// ---------------------------------------------------------------------------------------------
// The request context.

#[test]
fn region_comes_from_the_signature_and_the_caller_is_the_account_root() {
    let server = probe();
    let echo = |auth: Option<&str>| -> Value {
        let mut headers = vec![("X-Amz-Target", "Probe_20260101.Echo")];
        if let Some(a) = auth {
            headers.push(("Authorization", a));
        }
        let r = common::raw(&server, "POST", "/", &headers, b"{}");
        assert_eq!(r.status, 200);
        r.json()
    };

    let v = echo(Some(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/eu-west-1/codepipeline/aws4_request, SignedHeaders=host, Signature=00",
    ));
    assert_eq!(v["region"], "eu-west-1");
    assert_eq!(v["accountId"], "000000000000");
    assert_eq!(v["callerArn"], "arn:aws:iam::000000000000:root");
    assert_eq!(v["accessKey"], "AKIDEXAMPLE");
    assert_eq!(v["signingService"], "codepipeline");

    // A 12-digit access key id names the account.
    let v = echo(Some(
        "AWS4-HMAC-SHA256 Credential=123456789012/20261128/ap-south-1/codebuild/aws4_request,SignedHeaders=host,Signature=00",
    ));
    assert_eq!(v["region"], "ap-south-1");
    assert_eq!(v["accountId"], "123456789012");
    assert_eq!(v["callerArn"], "arn:aws:iam::123456789012:root");

    // Unsigned, or signed with something that is not SigV4: the configured defaults.
    for auth in [
        None,
        Some("Basic Zm9vOmJhcg=="),
        Some("AWS4-HMAC-SHA256 garbage"),
    ] {
        let v = echo(auth);
        assert_eq!(v["region"], "us-east-1", "{auth:?}");
        assert_eq!(v["accountId"], "000000000000", "{auth:?}");
        assert_eq!(v["accessKey"], Value::Null, "{auth:?}");
    }
}

#[test]
fn configured_region_and_account_are_the_defaults() {
    let mut settings = Settings::for_tests();
    settings.region = "eu-central-1".into();
    settings.account_id = "111122223333".into();
    let server = probe_with(settings);
    let r = common::raw(
        &server,
        "POST",
        "/",
        &[("X-Amz-Target", "Probe_20260101.Echo")],
        b"",
    );
    let v = r.json();
    assert_eq!(v["region"], "eu-central-1");
    assert_eq!(v["callerArn"], "arn:aws:iam::111122223333:root");
}

// ---------------------------------------------------------------------------------------------
// Faults.

#[test]
fn a_panicking_handler_is_an_aws_500_and_the_server_keeps_serving() {
    let server = probe();
    // More panics than there are workers: none of them may take a worker down.
    for op in ["Panic", "PanicLater", "Panic", "PanicLater", "Panic"] {
        let r = probe_call(&server, op, b"{}");
        let message = assert_aws_error(&r, 500, "InternalFailure");
        assert!(
            !message.contains("on purpose"),
            "leaks the panic: {message}"
        );
        let r = probe_call(&server, "Echo", b"{\"name\":\"after\"}");
        assert_eq!(r.status, 200, "the server stopped serving after a panic");
    }
}

#[test]
fn not_yet_operations_say_what_is_missing() {
    let server = probe();
    let r = probe_call(&server, "Later", b"{}");
    let message = assert_aws_error(&r, 400, "UnknownOperationException");
    assert!(message.contains("the probe's later work"), "{message}");
}

/// Garbage sent to every operation the real server registers: always a 4xx AWS error, never a
/// 500, and the server keeps serving. Grows with every operation the services add.
#[test]
fn garbage_to_every_registered_operation_is_a_client_error() {
    let settings = Settings::for_tests();
    let router = simfra::server::build_router(&settings).expect("router builds");
    let mut targets: Vec<String> = router
        .json_services()
        .flat_map(|s| {
            s.operations()
                .map(move |op| format!("{}.{op}", s.target_prefix))
        })
        .collect();
    targets.sort();
    drop(router);

    let server = common::start_with(settings);
    // Never valid JSON for any operation: always a client error.
    let broken: [&[u8]; 6] = [
        b"{",
        b"{\"name\":",
        b"[1,2",
        b"{} {}",
        b"\xff\xfe\x00",
        b"{\"name\": \"unterminated}",
    ];
    // Valid JSON with members of the wrong type: a client error for every operation that has
    // such a member, ignored (as unknown members are) by the others.
    let mistyped: [&[u8]; 4] = [
        b"\"text\"",
        b"{\"name\":5,\"pipeline\":5,\"pipelineName\":5,\"stageName\":5,\"actionName\":5,\"maxResults\":\"x\",\"nextToken\":5,\"tags\":5,\"tagKeys\":5,\"resourceArn\":5,\"jobId\":5,\"id\":5,\"category\":5,\"provider\":5,\"version\":\"x\",\"webhook\":5,\"webhookName\":5,\"actionOwnerFilter\":5,\"regionFilter\":5,\"actionType\":5,\"type\":5,\"filter\":5,\"projectName\":5,\"repositoryName\":5}",
        b"{\"pipeline\":{\"name\":5,\"stages\":{\"a\":1}},\"tags\":[{\"key\":[]}],\"webhook\":{\"filters\":7}}",
        b"{\"pipeline\":{\"name\":\"p\",\"roleArn\":\"r\",\"stages\":[{\"name\":\"s\",\"actions\":[{\"name\":\"a\",\"actionTypeId\":7}]}]}}",
    ];
    for target in &targets {
        for (body, must_fail) in broken
            .iter()
            .map(|b| (b, true))
            .chain(mistyped.iter().map(|b| (b, false)))
        {
            let r = call(&server, target, "application/x-amz-json-1.1", body);
            let mut text = String::from_utf8_lossy(&r.body).to_string();
            text.truncate(300);
            let what = format!(
                "{target} with {:?}: status {} ({text})",
                String::from_utf8_lossy(body),
                r.status
            );
            if !must_fail && r.status == 200 {
                continue;
            }
            assert!((400..500).contains(&r.status), "{what}");
            assert!(r.header("X-Amzn-ErrorType").is_some(), "{what}");
        }
    }
    assert_serving(&server);
}

// ---------------------------------------------------------------------------------------------
// Through a real service (CodePipeline's ListPipelines).

#[test]
fn list_pipelines_decodes_like_every_operation() {
    let server = common::start();
    let target = "CodePipeline_20150709.ListPipelines";

    let r = call(
        &server,
        target,
        "application/x-amz-json-1.1",
        b"{\"maxResults\":",
    );
    assert_aws_error(&r, 400, "SerializationException");

    for body in [&b""[..], b"{}"] {
        let r = call(&server, target, "application/x-amz-json-1.1", body);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.json()["pipelines"].is_array(), "{:?}", r.json());
    }
    let r = call(&server, target, "application/x-amz-json-1.0", b"{}");
    assert_eq!(r.status, 200);
    assert!(r.json()["pipelines"].is_array());
    assert_serving(&server);
}

// ---------------------------------------------------------------------------------------------
// The AWS CLI reads our errors.

#[test]
fn the_cli_reads_error_codes_and_messages() {
    let server = probe();
    let out = common::cli(&server.url(), &["codebuild", "list-projects"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(ValidationException)")
            && stderr.contains("the probe refuses every ListProjects"),
        "{stderr}"
    );
    // The CLI's retries for 5xx would show here as a slow call; 400 is not retried.
    let out = common::cli(&server.url(), &["codebuild", "list-builds"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(UnknownOperationException)"), "{stderr}");
    assert!(stderr.contains("ListBuilds"), "{stderr}");
}
