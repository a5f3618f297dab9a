//! EventBridge API through the official SDK: rules, targets, buses, tags, PutEvents,
//! TestEventPattern, connections and API destinations, and the errors of each.

mod common;

use aws_sdk_eventbridge::types::{
    ConnectionAuthorizationType, CreateConnectionApiKeyAuthRequestParameters,
    CreateConnectionAuthRequestParameters, InputTransformer, PutEventsRequestEntry, RuleState, Tag,
    Target,
};
use aws_sdk_eventbridge::Client;

fn code<E, R>(e: &aws_sdk_eventbridge::error::SdkError<E, R>) -> String
where
    E: aws_sdk_eventbridge::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("no service error")
        .to_string()
}

fn message<E, R>(e: &aws_sdk_eventbridge::error::SdkError<E, R>) -> String
where
    E: aws_sdk_eventbridge::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.message())
        .unwrap_or_default()
        .to_string()
}

fn target(id: &str, arn: &str) -> Target {
    Target::builder().id(id).arn(arn).build().unwrap()
}

const PATTERN: &str = r#"{"source":["com.shop"]}"#;

async fn put_rule(ev: &Client, name: &str) -> String {
    ev.put_rule()
        .name(name)
        .event_pattern(PATTERN)
        .send()
        .await
        .unwrap()
        .rule_arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn rules_lifecycle() {
    let server = common::start();
    let ev = common::events(&server);
    let arn = put_rule(&ev, "orders-created").await;
    assert_eq!(
        arn,
        "arn:aws:events:us-east-1:000000000000:rule/orders-created"
    );
    let d = ev
        .describe_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_pattern(), Some(PATTERN));
    assert_eq!(d.state(), Some(&RuleState::Enabled));
    assert_eq!(d.event_bus_name(), Some("default"));

    // Upsert keeps the rule; disable / enable flip its state.
    ev.put_rule()
        .name("orders-created")
        .event_pattern(PATTERN)
        .description("changed")
        .state(RuleState::Disabled)
        .send()
        .await
        .unwrap();
    let d = ev
        .describe_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
    assert_eq!(d.description(), Some("changed"));
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    ev.enable_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
    let d = ev
        .describe_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
    assert_eq!(d.state(), Some(&RuleState::Enabled));
    ev.disable_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();

    // Listing with a prefix and pagination.
    for i in 0..3 {
        put_rule(&ev, &format!("page-{i}")).await;
    }
    let all = ev.list_rules().name_prefix("page-").send().await.unwrap();
    assert_eq!(all.rules().len(), 3);
    let first = ev
        .list_rules()
        .name_prefix("page-")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.rules().len(), 2);
    let next = ev
        .list_rules()
        .name_prefix("page-")
        .limit(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.rules().len(), 1);
    assert!(next.next_token().is_none());

    // Targets block deletion.
    ev.put_targets()
        .rule("orders-created")
        .targets(target(
            "t1",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
        ))
        .send()
        .await
        .unwrap();
    let e = ev
        .delete_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(message(&e), "Rule can't be deleted since it has targets.");
    ev.remove_targets()
        .rule("orders-created")
        .ids("t1")
        .send()
        .await
        .unwrap();
    ev.delete_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
    let e = ev
        .describe_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // Deleting what does not exist is not an error.
    ev.delete_rule()
        .name("orders-created")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn rule_errors() {
    let server = common::start();
    let ev = common::events(&server);
    let e = ev
        .put_rule()
        .name("bad")
        .event_pattern(r#"{"source":"x"}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidEventPatternException");
    assert!(
        message(&e).starts_with("Event pattern is not valid. Reason: "),
        "{}",
        message(&e)
    );
    let e = ev
        .put_rule()
        .name("bad")
        .event_pattern("{not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidEventPatternException");
    let e = ev.put_rule().name("neither").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = ev
        .put_rule()
        .name("bad name!")
        .event_pattern(PATTERN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert!(
        message(&e).contains("regular expression pattern"),
        "{}",
        message(&e)
    );
    let e = ev
        .put_rule()
        .name("s")
        .schedule_expression("rate(5 seconds)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = ev
        .put_rule()
        .name("r")
        .event_pattern(PATTERN)
        .event_bus_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let e = ev.enable_rule().name("missing").send().await.unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let e = ev
        .list_targets_by_rule()
        .rule("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let ok = ev
        .put_rule()
        .name("sched")
        .schedule_expression("cron(0 10 * * ? *)")
        .send()
        .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn targets() {
    let server = common::start();
    let ev = common::events(&server);
    put_rule(&ev, "r").await;
    let lambda = "arn:aws:lambda:us-east-1:000000000000:function:f";
    let out = ev
        .put_targets()
        .rule("r")
        .targets(target("a", lambda))
        .targets(
            Target::builder()
                .id("b")
                .arn("arn:aws:codepipeline:us-east-1:000000000000:shop")
                .role_arn("arn:aws:iam::000000000000:role/events")
                .input_transformer(
                    InputTransformer::builder()
                        .input_paths_map("s", "$.source")
                        .input_template(r#"{"from": <s>}"#)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    let list = ev.list_targets_by_rule().rule("r").send().await.unwrap();
    assert_eq!(list.targets().len(), 2);
    let b = list.targets().iter().find(|t| t.id() == "b").unwrap();
    assert_eq!(
        b.input_transformer().unwrap().input_template(),
        r#"{"from": <s>}"#
    );
    let names = ev
        .list_rule_names_by_target()
        .target_arn(lambda)
        .send()
        .await
        .unwrap();
    assert_eq!(names.rule_names(), ["r"]);

    // Five targets at most: the sixth fails as an entry.
    let mut req = ev.put_targets().rule("r");
    for i in 0..4 {
        req = req.targets(target(&format!("x{i}"), lambda));
    }
    let out = req.send().await.unwrap();
    assert_eq!(out.failed_entry_count(), 1);
    assert_eq!(
        out.failed_entries()[0].error_code(),
        Some("LimitExceededException")
    );

    // Bad inputs are rejected.
    let e = ev
        .put_targets()
        .rule("r")
        .targets(
            Target::builder()
                .id("c")
                .arn(lambda)
                .input("{nope")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = ev
        .put_targets()
        .rule("r")
        .targets(
            Target::builder()
                .id("c")
                .arn(lambda)
                .input("{}")
                .input_path("$.detail")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = ev
        .put_targets()
        .rule("r")
        .targets(target("c", "not-an-arn"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = ev
        .put_targets()
        .rule("missing")
        .targets(target("c", lambda))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");

    // Removing an unknown id is a failed entry, not an error.
    let out = ev
        .remove_targets()
        .rule("r")
        .ids("a")
        .ids("zzz")
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 1);
    assert_eq!(out.failed_entries()[0].target_id(), Some("zzz"));
}

#[tokio::test]
async fn put_events_and_test_event_pattern() {
    let server = common::start();
    let ev = common::events(&server);
    let entry = |source: &str, detail: &str| {
        PutEventsRequestEntry::builder()
            .source(source)
            .detail_type("Order Placed")
            .detail(detail)
            .build()
    };
    let out = ev
        .put_events()
        .entries(entry("com.shop", r#"{"id":1}"#))
        .entries(entry("aws.codepipeline", r#"{"id":2}"#))
        .entries(entry("com.shop", "not json"))
        .entries(
            PutEventsRequestEntry::builder()
                .source("com.shop")
                .detail_type("Order Placed")
                .detail(r#"{"id":3}"#)
                .event_bus_name("nope")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 3);
    let e = out.entries();
    assert!(e[0].event_id().is_some());
    assert_eq!(e[1].error_code(), Some("NotAuthorizedForSourceException"));
    assert_eq!(e[2].error_code(), Some("MalformedDetail"));
    assert_eq!(e[3].error_code(), Some("ResourceNotFoundException"));

    // 256 KB in all.
    let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(200 * 1024));
    let err = ev
        .put_events()
        .entries(entry("com.shop", &big))
        .entries(entry("com.shop", &big))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    let event = r#"{"id":"1","account":"000000000000","source":"com.shop","time":"2026-01-01T00:00:00Z","region":"us-east-1","detail-type":"Order Placed","resources":[],"detail":{"total":42}}"#;
    let yes = ev
        .test_event_pattern()
        .event_pattern(r#"{"detail":{"total":[{"numeric":[">",40]}]}}"#)
        .event(event)
        .send()
        .await
        .unwrap();
    assert!(yes.result());
    let no = ev
        .test_event_pattern()
        .event_pattern(r#"{"detail":{"total":[{"numeric":["<",40]}]}}"#)
        .event(event)
        .send()
        .await
        .unwrap();
    assert!(!no.result());
    let e = ev
        .test_event_pattern()
        .event_pattern(r#"{"detail":{"total":[{"numeric":["<","x"]}]}}"#)
        .event(event)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidEventPatternException");
    let e = ev
        .test_event_pattern()
        .event_pattern(PATTERN)
        .event(r#"{"source":"com.shop"}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
}

#[tokio::test]
async fn buses_and_tags() {
    let server = common::start();
    let ev = common::events(&server);
    let d = ev.describe_event_bus().send().await.unwrap();
    assert_eq!(d.name(), Some("default"));
    let arn = ev
        .create_event_bus()
        .name("orders")
        .tags(Tag::builder().key("team").value("shop").build().unwrap())
        .send()
        .await
        .unwrap()
        .event_bus_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        arn,
        "arn:aws:events:us-east-1:000000000000:event-bus/orders"
    );
    let e = ev
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceAlreadyExistsException");
    let list = ev.list_event_buses().send().await.unwrap();
    let names: Vec<_> = list.event_buses().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["default", "orders"]);
    let d = ev.describe_event_bus().name(&arn).send().await.unwrap();
    assert_eq!(d.name(), Some("orders"));

    // Rules on a custom bus.
    let rule_arn = ev
        .put_rule()
        .name("r")
        .event_bus_name("orders")
        .event_pattern(PATTERN)
        .send()
        .await
        .unwrap()
        .rule_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        rule_arn,
        "arn:aws:events:us-east-1:000000000000:rule/orders/r"
    );
    assert!(ev.describe_rule().name("r").send().await.is_err());
    assert!(ev
        .describe_rule()
        .name("r")
        .event_bus_name("orders")
        .send()
        .await
        .is_ok());

    // Tags on buses and rules.
    let tags = ev
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    ev.tag_resource()
        .resource_arn(&rule_arn)
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = ev
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "k");
    ev.untag_resource()
        .resource_arn(&rule_arn)
        .tag_keys("k")
        .send()
        .await
        .unwrap();
    let tags = ev
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
    let e = ev
        .list_tags_for_resource()
        .resource_arn("arn:aws:events:us-east-1:000000000000:rule/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");

    // Deleting a bus deletes its rules; the default bus cannot be deleted.
    ev.delete_event_bus().name("orders").send().await.unwrap();
    let e = ev
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let e = ev
        .delete_event_bus()
        .name("default")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
}

#[tokio::test]
async fn connections_and_api_destinations() {
    let server = common::start();
    let ev = common::events(&server);
    let conn = ev
        .create_connection()
        .name("hooks")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-api-key")
                        .api_key_value("secret")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let conn_arn = conn.connection_arn().unwrap().to_string();
    assert!(conn_arn.starts_with("arn:aws:events:us-east-1:000000000000:connection/hooks/"));
    let d = ev.describe_connection().name("hooks").send().await.unwrap();
    let key = d
        .auth_parameters()
        .unwrap()
        .api_key_auth_parameters()
        .unwrap();
    assert_eq!(key.api_key_name(), Some("x-api-key"));
    let dest = ev
        .create_api_destination()
        .name("hook")
        .connection_arn(&conn_arn)
        .invocation_endpoint("http://127.0.0.1:9/hook")
        .http_method(aws_sdk_eventbridge::types::ApiDestinationHttpMethod::Post)
        .send()
        .await
        .unwrap();
    assert!(dest
        .api_destination_arn()
        .unwrap()
        .contains(":api-destination/hook/"));
    let d = ev
        .describe_api_destination()
        .name("hook")
        .send()
        .await
        .unwrap();
    assert_eq!(d.invocation_endpoint(), Some("http://127.0.0.1:9/hook"));
    assert_eq!(
        ev.list_api_destinations()
            .send()
            .await
            .unwrap()
            .api_destinations()
            .len(),
        1
    );
    assert_eq!(
        ev.list_connections()
            .send()
            .await
            .unwrap()
            .connections()
            .len(),
        1
    );
    let e = ev
        .create_api_destination()
        .name("other")
        .connection_arn("arn:aws:events:us-east-1:000000000000:connection/none/0000")
        .invocation_endpoint("http://x/")
        .http_method(aws_sdk_eventbridge::types::ApiDestinationHttpMethod::Post)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    ev.delete_api_destination()
        .name("hook")
        .send()
        .await
        .unwrap();
    let e = ev
        .describe_api_destination()
        .name("hook")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    ev.delete_connection().name("hooks").send().await.unwrap();
    let e = ev
        .describe_connection()
        .name("hooks")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // Operations not built answer clearly.
    let e = ev.list_archives().send().await.unwrap_err();
    assert!(
        message(&e).contains("not implemented in simfra"),
        "{}",
        message(&e)
    );
}

#[tokio::test]
async fn rules_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = simfra::Settings::for_tests();
    settings.data_dir = Some(dir.path().to_path_buf());
    {
        let server = common::start_with(settings.clone());
        let ev = common::events(&server);
        ev.create_event_bus().name("orders").send().await.unwrap();
        ev.put_rule()
            .name("r")
            .event_bus_name("orders")
            .event_pattern(PATTERN)
            .send()
            .await
            .unwrap();
        ev.put_targets()
            .rule("r")
            .event_bus_name("orders")
            .targets(target("t", "arn:aws:sqs:us-east-1:000000000000:q"))
            .send()
            .await
            .unwrap();
        server.stop();
    }
    let server = common::start_with(settings);
    let ev = common::events(&server);
    let d = ev
        .describe_rule()
        .name("r")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(d.event_pattern(), Some(PATTERN));
    let t = ev
        .list_targets_by_rule()
        .rule("r")
        .event_bus_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(t.targets()[0].id(), "t");
}
