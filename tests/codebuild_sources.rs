//! CodeBuild sources and environment with real Docker (skipped with a message when there is no
//! daemon or test image; a failure under `CI=true`): an S3 zip source and one that is not a
//! zip, a CodeCommit source at a branch and at a commit, the cache kept between builds of a
//! project, the Docker socket only for privileged builds, and 100 MiB of output.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, CacheMode, CacheType, ComputeType, EnvironmentType, ProjectArtifacts,
    ProjectCache, ProjectEnvironment, ProjectSource, SourceType, StatusType,
};
use aws_sdk_codebuild::Client;
use aws_sdk_s3::primitives::ByteStream;
use common::docker::{docker_available, TEST_IMAGE};
use simfra::server::TestServer;

const ROLE: &str = "arn:aws:iam::000000000000:role/build";

fn server() -> TestServer {
    common::docker::server()
}

fn environment(privileged: bool) -> ProjectEnvironment {
    ProjectEnvironment::builder()
        .r#type(EnvironmentType::LinuxContainer)
        .image(TEST_IMAGE)
        .compute_type(ComputeType::BuildGeneral1Small)
        .privileged_mode(privileged)
        .build()
        .unwrap()
}

fn no_artifacts() -> ProjectArtifacts {
    ProjectArtifacts::builder()
        .r#type(ArtifactsType::NoArtifacts)
        .build()
        .unwrap()
}

async fn create(cb: &Client, name: &str, source: ProjectSource, privileged: bool) {
    cb.create_project()
        .name(name)
        .source(source)
        .artifacts(no_artifacts())
        .environment(environment(privileged))
        .service_role(ROLE)
        .send()
        .await
        .expect("project created");
}

fn inline(spec: &str) -> ProjectSource {
    ProjectSource::builder()
        .r#type(SourceType::NoSource)
        .buildspec(spec)
        .build()
        .unwrap()
}

async fn run(cb: &Client, name: &str, version: Option<&str>) -> aws_sdk_codebuild::types::Build {
    let id = cb
        .start_build()
        .project_name(name)
        .set_source_version(version.map(str::to_string))
        .send()
        .await
        .unwrap()
        .build_value()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let b = cb
            .batch_get_builds()
            .ids(&id)
            .send()
            .await
            .unwrap()
            .builds()[0]
            .clone();
        if b.build_complete() {
            return b;
        }
        assert!(Instant::now() < deadline, "build {id} did not complete");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The build's log lines (the newest page when `head` is false).
async fn log(server: &TestServer, b: &aws_sdk_codebuild::types::Build, head: bool) -> Vec<String> {
    let l = b.logs().unwrap();
    common::logs(server)
        .get_log_events()
        .log_group_name(l.group_name().unwrap())
        .log_stream_name(l.stream_name().unwrap())
        .start_from_head(head)
        .send()
        .await
        .unwrap()
        .events()
        .iter()
        .map(|e| e.message().unwrap_or_default().to_string())
        .collect()
}

fn phase<'a>(
    b: &'a aws_sdk_codebuild::types::Build,
    name: &str,
) -> &'a aws_sdk_codebuild::types::BuildPhase {
    b.phases()
        .iter()
        .find(|p| p.phase_type().unwrap().as_str() == name)
        .unwrap_or_else(|| panic!("no phase {name}"))
}

const PRINT_SOURCE: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - cat hello.txt\n      - echo \"resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_and_codecommit_sources_land_in_the_source_directory() {
    if !docker_available() {
        return;
    }
    let server = server();
    let cb = common::codebuild(&server);
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("src").send().await.unwrap();
    let zipped = common::zip_files(&[
        ("hello.txt", "hello from s3"),
        ("buildspec.yml", PRINT_SOURCE),
    ]);
    s3.put_object()
        .bucket("src")
        .key("app.zip")
        .body(ByteStream::from(zipped))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("src")
        .key("not-a-zip")
        .body(ByteStream::from_static(b"plain text"))
        .send()
        .await
        .unwrap();
    let s3_source = |key: &str| {
        ProjectSource::builder()
            .r#type(SourceType::S3)
            .location(format!("src/{key}"))
            .build()
            .unwrap()
    };
    create(&cb, "from-s3", s3_source("app.zip"), false).await;
    create(&cb, "not-zip", s3_source("not-a-zip"), false).await;

    let b = run(&cb, "from-s3", None).await;
    let lines = log(&server, &b, true).await.join("\n");
    assert_eq!(b.build_status(), Some(&StatusType::Succeeded), "{lines}");
    assert!(lines.contains("hello from s3"), "{lines}");

    let b = run(&cb, "not-zip", None).await;
    assert_eq!(b.build_status(), Some(&StatusType::Failed));
    let p = phase(&b, "DOWNLOAD_SOURCE");
    assert_eq!(p.phase_status(), Some(&StatusType::Failed));
    assert_eq!(p.contexts()[0].status_code(), Some("CLIENT_ERROR"));

    // CodeCommit: the branch head by default, a commit when sourceVersion names one.
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("app")
        .send()
        .await
        .unwrap();
    let put = |body: &'static str, parent: Option<String>| {
        let cc = cc.clone();
        async move {
            cc.put_file()
                .repository_name("app")
                .branch_name("main")
                .file_path("hello.txt")
                .file_content(aws_sdk_codecommit::primitives::Blob::new(body.as_bytes()))
                .set_parent_commit_id(parent)
                .commit_message("hello")
                .send()
                .await
                .unwrap()
                .commit_id
        }
    };
    let first = put("first version", None).await;
    let second = put("second version", Some(first.clone())).await;
    let location = format!("{}/v1/repos/app", server.url());
    create(
        &cb,
        "from-git",
        ProjectSource::builder()
            .r#type(SourceType::Codecommit)
            .location(location)
            .buildspec(PRINT_SOURCE)
            .build()
            .unwrap(),
        false,
    )
    .await;
    let b = run(&cb, "from-git", None).await;
    let lines = log(&server, &b, true).await.join("\n");
    assert_eq!(b.build_status(), Some(&StatusType::Succeeded), "{lines}");
    assert!(lines.contains("second version"), "{lines}");
    assert!(lines.contains(&format!("resolved={second}")), "{lines}");
    assert_eq!(b.resolved_source_version(), Some(second.as_str()));

    let b = run(&cb, "from-git", Some(&first)).await;
    let lines = log(&server, &b, true).await.join("\n");
    assert!(lines.contains("first version"), "{lines}");
    assert_eq!(b.resolved_source_version(), Some(first.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_survives_between_builds_and_the_socket_is_only_for_privileged_builds() {
    if !docker_available() {
        return;
    }
    let server = server();
    let cb = common::codebuild(&server);
    let name = format!("cached-{}", std::process::id());
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - if [ -f /root/.cache/app/marker ]; then echo cache-hit; else echo cache-miss; fi\n      - mkdir -p /root/.cache/app && date > /root/.cache/app/marker\n      - if [ -S /var/run/docker.sock ]; then echo socket-present; else echo socket-absent; fi\ncache:\n  paths:\n    - '/root/.cache/app/**/*'\n";
    cb.create_project()
        .name(&name)
        .source(inline(spec))
        .artifacts(no_artifacts())
        .environment(environment(false))
        .cache(
            ProjectCache::builder()
                .r#type(CacheType::Local)
                .modes(CacheMode::LocalCustomCache)
                .build()
                .unwrap(),
        )
        .service_role(ROLE)
        .send()
        .await
        .unwrap();
    let first = run(&cb, &name, None).await;
    let second = run(&cb, &name, None).await;
    let l1 = log(&server, &first, true).await.join("\n");
    let l2 = log(&server, &second, true).await.join("\n");
    // The project's cache volume goes with the test.
    let volumes = Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", "name=simfra-cache-"])
        .output()
        .unwrap();
    for v in String::from_utf8_lossy(&volumes.stdout).split_whitespace() {
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f", v])
            .output();
    }
    assert_eq!(first.build_status(), Some(&StatusType::Succeeded), "{l1}");
    assert!(l1.contains("cache-miss"), "{l1}");
    assert!(l2.contains("cache-hit"), "{l2}");
    assert!(l1.contains("socket-absent"), "{l1}");

    create(
        &cb,
        "privileged",
        inline("version: 0.2\nphases:\n  build:\n    commands:\n      - test -S /var/run/docker.sock && echo socket-present\n"),
        true,
    )
    .await;
    let b = run(&cb, "privileged", None).await;
    let lines = log(&server, &b, true).await.join("\n");
    assert_eq!(b.build_status(), Some(&StatusType::Succeeded), "{lines}");
    assert!(lines.contains("socket-present"), "{lines}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_mib_of_output_is_logged_and_the_server_keeps_serving() {
    if !docker_available() {
        return;
    }
    let server = server();
    let cb = common::codebuild(&server);
    // 102,400 lines of 1,024 characters: 100 MiB.
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - head -c 104857600 /dev/zero | tr '\\000' 'x' | fold -w 1024\n      - echo done-printing\n";
    create(&cb, "loud", inline(spec), false).await;
    let started = Instant::now();
    let b = run(&cb, "loud", None).await;
    let took = started.elapsed();
    assert_eq!(
        b.build_status(),
        Some(&StatusType::Succeeded),
        "took {took:?}"
    );
    let tail = log(&server, &b, false).await;
    assert!(
        tail.iter().any(|l| l == "done-printing"),
        "{:?}",
        &tail[tail.len().saturating_sub(5)..]
    );
    let x_lines: Vec<&String> = tail.iter().filter(|l| l.starts_with('x')).collect();
    assert!(!x_lines.is_empty());
    assert!(x_lines.iter().all(|l| l.len() == 1024));
    let streams = common::logs(&server)
        .describe_log_streams()
        .log_group_name("/aws/codebuild/loud")
        .send()
        .await
        .unwrap();
    assert_eq!(streams.log_streams().len(), 1);
    // The server still answers.
    cb.list_projects().send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secondary_sources_have_their_own_directories_and_a_missing_buildspec_fails() {
    if !docker_available() {
        return;
    }
    let server = server();
    let cb = common::codebuild(&server);
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("src").send().await.unwrap();
    for (key, files) in [
        ("main.zip", vec![("main.txt", "main source")]),
        ("lib.zip", vec![("lib.txt", "library source")]),
        ("nospec.zip", vec![("readme.txt", "no buildspec here")]),
    ] {
        s3.put_object()
            .bucket("src")
            .key(key)
            .body(ByteStream::from(common::zip_files(&files)))
            .send()
            .await
            .unwrap();
    }
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - cat main.txt\n      - cat \"$CODEBUILD_SRC_DIR_lib/lib.txt\"\n";
    cb.create_project()
        .name("two-sources")
        .source(
            ProjectSource::builder()
                .r#type(SourceType::S3)
                .location("src/main.zip")
                .buildspec(spec)
                .build()
                .unwrap(),
        )
        .secondary_sources(
            ProjectSource::builder()
                .r#type(SourceType::S3)
                .location("src/lib.zip")
                .source_identifier("lib")
                .build()
                .unwrap(),
        )
        .artifacts(no_artifacts())
        .environment(environment(false))
        .service_role(ROLE)
        .send()
        .await
        .unwrap();
    let b = run(&cb, "two-sources", None).await;
    let lines = log(&server, &b, true).await.join("\n");
    assert_eq!(b.build_status(), Some(&StatusType::Succeeded), "{lines}");
    assert!(lines.contains("main source"), "{lines}");
    assert!(lines.contains("library source"), "{lines}");

    // No buildspec in the source and none inline: YAML_FILE_ERROR in DOWNLOAD_SOURCE.
    create(
        &cb,
        "no-spec",
        ProjectSource::builder()
            .r#type(SourceType::S3)
            .location("src/nospec.zip")
            .build()
            .unwrap(),
        false,
    )
    .await;
    let b = run(&cb, "no-spec", None).await;
    assert_eq!(b.build_status(), Some(&StatusType::Failed));
    let p = phase(&b, "DOWNLOAD_SOURCE");
    assert_eq!(p.phase_status(), Some(&StatusType::Failed));
    let ctx = &p.contexts()[0];
    assert_eq!(ctx.status_code(), Some("YAML_FILE_ERROR"));
    assert!(
        ctx.message()
            .unwrap()
            .contains("buildspec.yml: no such file or directory"),
        "{ctx:?}"
    );
}
