//! CloudWatch Logs at build-log scale and across restarts: 200k lines appended one by one
//! through the internal API (as CodeBuild streams a build's output) and read back through the
//! SDK page by page, in order; events, tags and deletions surviving `kill -9` of the real
//! binary with `SIMFRA_DATA_DIR`.

mod common;
mod logs_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::Client;
use logs_support::*;
use simfra::protocol::Router;
use simfra::server::TestServer;
use simfra::store::Store;
use simfra::Settings;

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_thousand_appended_lines_read_back_in_pages() {
    let settings = Settings::for_tests();
    let (region, account) = (&settings.region, &settings.account_id);
    let mut router = Router::new(region, account, settings.max_body_bytes, false);
    let store = Arc::new(Store::memory().unwrap());
    let logs = simfra::services::logs::register(&mut router, &settings, store).unwrap();
    let server = TestServer::start_with_router(settings, Arc::new(router)).unwrap();
    let c = common::logs(&server);
    let (g, s) = ("/aws/codebuild/big", "build-1");
    const LINES: usize = 200_000;
    let start = Instant::now();
    let base = now_ms() - 3_600_000;
    tokio::task::spawn_blocking(move || {
        for i in 0..LINES {
            let line = format!("line {i:06} of a long build log, padded to look like one");
            let ts = base + (i / 100) as i64;
            logs.append(ACCOUNT, REGION, g, s, &[(ts, line)]).unwrap();
        }
    })
    .await
    .unwrap();
    let appended = start.elapsed();

    let read_start = Instant::now();
    let get = || c.get_log_events().log_group_name(g).log_stream_name(s);
    let mut pages = get().start_from_head(true).into_paginator().send();
    let (mut count, mut page_count) = (0usize, 0usize);
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        for e in page.events() {
            let want = format!("line {count:06} of");
            assert!(
                e.message().unwrap().starts_with(&want),
                "event {count}: {e:?}"
            );
            count += 1;
        }
    }
    assert_eq!(count, LINES);
    assert!(page_count > 10, "pages hold at most 1 MiB: {page_count}");
    let read = read_start.elapsed();

    // The newest events first, then the page before them.
    let tail = get().limit(100).send().await.unwrap();
    assert!(tail.events()[99]
        .message()
        .unwrap()
        .starts_with("line 199999"));
    let back = tail.next_backward_token().unwrap();
    let before = get().limit(100).next_token(back).send().await.unwrap();
    assert!(before.events()[99]
        .message()
        .unwrap()
        .starts_with("line 199899"));
    // One matching line found in the whole stream.
    let filter = c
        .filter_log_events()
        .log_group_name(g)
        .filter_pattern("\"line 123456\"");
    let found = filter.into_paginator().send().try_collect().await.unwrap();
    assert_eq!(found.iter().map(|p| p.events().len()).sum::<usize>(), 1);
    eprintln!(
        "appended {LINES} lines in {appended:?}; read them in {page_count} pages in {read:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(180),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn events_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::process::Simfra::start(dir.path());
    let c = Client::new(&common::sdk_config(&first.url()));
    let create = c
        .create_log_group()
        .log_group_name("durable")
        .tags("k", "v");
    create.send().await.unwrap();
    stream(&c, "durable", "s").await;
    stream(&c, "durable", "gone").await;
    let now = now_ms() - 10_000;
    let events = (0..50).map(|i| event(now + i, &format!("kept {i}")));
    put(&c, "durable", "s", events.collect()).await;
    put(&c, "durable", "gone", vec![event(now, "deleted")]).await;
    let del = c
        .delete_log_stream()
        .log_group_name("durable")
        .log_stream_name("gone");
    del.send().await.unwrap();
    first.kill_9();

    let second = common::process::Simfra::start(dir.path());
    let c = Client::new(&common::sdk_config(&second.url()));
    let get = || {
        c.get_log_events()
            .log_group_name("durable")
            .log_stream_name("s")
    };
    let got = get().start_from_head(true).send().await.unwrap();
    let want: Vec<String> = (0..50).map(|i| format!("kept {i}")).collect();
    assert_eq!(messages(got.events(), |e| e.message()), want);
    let streams = c
        .describe_log_streams()
        .log_group_name("durable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        messages(streams.log_streams(), |s| s.log_stream_name()),
        ["s"]
    );
    assert_eq!(
        streams.log_streams()[0].last_event_timestamp(),
        Some(now + 49)
    );
    let tags = c
        .list_tags_for_resource()
        .resource_arn(group_arn("durable"))
        .send()
        .await;
    let tags = tags.unwrap();
    assert_eq!(tags.tags().unwrap().get("k").map(String::as_str), Some("v"));
    // Appending after the restart continues the same stream; tokens from before still work.
    let token = got.next_forward_token().unwrap().to_string();
    put(&c, "durable", "s", vec![event(now + 100, "after restart")]).await;
    let next = get().next_token(token).send().await.unwrap();
    assert_eq!(messages(next.events(), |e| e.message()), ["after restart"]);
}
