//! The Docker runtime against a real daemon and the locally built test image
//! (`tests/images/build.sh`). Skips with a message when either is missing, fails under
//! `CI=true`. Every container carries `simfra.test=<test>-<pid>`; a drop guard removes them
//! with the CLI even when an assertion fails.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::docker::{docker_available, TEST_IMAGE};
use simfra::runtime::docker::Docker;
use simfra::runtime::{
    ContainerGuard, ContainerRuntime, ContainerSpec, OutputLine, RuntimeError, ShellSession,
    Stream, MANAGED_LABEL,
};

/// Removes a test's containers (and volumes) with the CLI when dropped, panics included.
struct Cleanup {
    label: String,
    volumes: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label=simfra.test={}", self.label);
        let ids = docker(&["ps", "-aq", "--filter", &filter]);
        for id in ids.split_whitespace() {
            docker(&["rm", "-f", "-v", id]);
        }
        for v in &self.volumes {
            docker(&["volume", "rm", "-f", v]);
        }
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The runtime, a spec labelled for `test`, and the cleanup guard.
fn setup(test: &str) -> (Arc<Docker>, ContainerSpec, Cleanup) {
    let label = format!("{test}-{}", std::process::id());
    let spec = ContainerSpec {
        name: format!("simfra-test-{label}"),
        image: TEST_IMAGE.into(),
        env: vec![("GREETING".into(), "hello world".into())],
        labels: BTreeMap::from([("simfra.test".to_string(), label.clone())]),
        working_dir: Some("/src".into()),
        ..Default::default()
    };
    let runtime = Arc::new(Docker::connect().expect("the Docker socket"));
    let cleanup = Cleanup {
        label,
        volumes: Vec::new(),
    };
    (runtime, spec, cleanup)
}

/// Runs a command; returns its status and (stream, text) lines.
async fn run(
    shell: &mut Box<dyn ShellSession>,
    command: &str,
) -> (Result<i64, RuntimeError>, Vec<(Stream, String)>) {
    let mut lines = Vec::new();
    let status = shell
        .run(command, &mut |l: OutputLine| lines.push((l.stream, l.text)))
        .await;
    (status, lines)
}

fn stdout(lines: &[(Stream, String)]) -> Vec<&str> {
    lines
        .iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, t)| t.as_str())
        .collect()
}

fn stderr(lines: &[(Stream, String)]) -> Vec<&str> {
    lines
        .iter()
        .filter(|(s, _)| *s == Stream::Stderr)
        .map(|(_, t)| t.as_str())
        .collect()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn untar(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(data);
    let mut files = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        files.push((path, content));
    }
    files
}

fn managed_containers(label: &str) -> Vec<String> {
    let filter = format!("label=simfra.test={label}");
    let managed = format!("label={MANAGED_LABEL}");
    docker(&["ps", "-aq", "--filter", &managed, "--filter", &filter])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_session_keeps_its_state_and_streams_its_output() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("session");
    rt.ping().await.unwrap();
    let id = rt.start_container(spec).await.unwrap();
    let guard = ContainerGuard::new(rt.clone(), id.clone());
    rt.put_archive(&id, "/src/in", tar_of(&[("hello.txt", b"hi there\n")]))
        .await
        .unwrap();
    let mut sh = rt.open_shell(&id, "bash").await.unwrap();

    let (status, lines) = run(&mut sh, "pwd; echo \"$GREETING\"").await;
    assert_eq!(
        (status, stdout(&lines)),
        (Ok(0), vec!["/src", "hello world"])
    );
    let (status, lines) = run(&mut sh, "cd in && cat hello.txt").await;
    assert_eq!((status, stdout(&lines)), (Ok(0), vec!["hi there"]));
    let (_, lines) = run(&mut sh, "pwd").await;
    assert_eq!(stdout(&lines), ["/src/in"], "cd carries over");

    run(&mut sh, "export FOO=bar\nBAR='b z'").await.0.unwrap();
    let (_, lines) = run(&mut sh, "echo \"$FOO-$BAR\"").await;
    assert_eq!(stdout(&lines), ["bar-b z"], "variables carry over");

    let (status, lines) = run(&mut sh, "ls /nonexistent").await;
    assert_eq!(status, Ok(2));
    assert!(stderr(&lines)[0].contains("No such file"), "{lines:?}");
    assert_eq!(run(&mut sh, "false").await.0, Ok(1));

    let (status, lines) = run(&mut sh, "printf 'no newline'; printf ' x' >&2").await;
    assert_eq!(status, Ok(0));
    assert_eq!(
        (stdout(&lines), stderr(&lines)),
        (vec!["no newline"], vec![" x"])
    );

    // Commands get no stdin (a `cat` does not eat the session's input).
    let (status, lines) = run(&mut sh, "cat; read x; echo \"read=$?\"").await;
    assert_eq!((status, stdout(&lines)), (Ok(0), vec!["read=1"]));

    // Quoting cannot escape the wrapping: an unbalanced quote is a syntax error (bash keeps
    // the session), a here-document works.
    let (status, _) = run(&mut sh, "echo \"unbalanced").await;
    assert_eq!(status, Ok(2));
    let (_, lines) = run(&mut sh, "cat <<'EOF'\n$HOME }\nEOF").await;
    assert_eq!(stdout(&lines), ["$HOME }"]);

    // Output arrives while the command runs.
    let started = Instant::now();
    let mut seen = Vec::new();
    let status = sh
        .run("echo a; sleep 2; echo b", &mut |l| {
            seen.push((l.text, started.elapsed()))
        })
        .await;
    assert_eq!(status, Ok(0));
    assert_eq!(seen.len(), 2);
    assert!(seen[0].1 < Duration::from_secs(1), "a came late: {seen:?}");
    assert!(seen[1].1 >= Duration::from_secs(2), "{seen:?}");

    // A line longer than 256 KiB arrives in pieces.
    let (_, lines) = run(&mut sh, "head -c 600000 /dev/zero | tr '\\0' x; echo").await;
    let sizes: Vec<usize> = lines.iter().map(|(_, t)| t.len()).collect();
    assert_eq!(sizes, [262144, 262144, 75712]);
    guard.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_ends_the_session_with_its_status() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("exit");
    let id = rt.start_container(spec).await.unwrap();
    let guard = ContainerGuard::new(rt.clone(), id.clone());
    let mut sh = rt.open_shell(&id, "/bin/sh").await.unwrap();
    let (status, lines) = run(&mut sh, "echo bye\nexit 5\necho never").await;
    assert_eq!((status, stdout(&lines)), (Ok(5), vec!["bye"]));
    let later = run(&mut sh, "true").await.0;
    assert!(
        matches!(later, Err(RuntimeError::Failed { .. })),
        "{later:?}"
    );

    // dash leaves on a syntax error: that is the command's status too.
    let mut sh = rt.open_shell(&id, "/bin/sh").await.unwrap();
    assert_eq!(run(&mut sh, "echo \"unbalanced").await.0, Ok(2));

    // A shell the image lacks falls back to /bin/sh, saying so.
    let mut sh = rt.open_shell(&id, "zsh").await.unwrap();
    let (status, lines) = run(&mut sh, "echo ok").await;
    assert_eq!((status, stdout(&lines)), (Ok(0), vec!["ok"]));
    assert!(stderr(&lines)[0].contains("zsh"), "{lines:?}");
    guard.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_var_returns_any_value_and_tells_unset() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("readvar");
    let id = rt.start_container(spec).await.unwrap();
    let guard = ContainerGuard::new(rt.clone(), id.clone());
    let mut sh = rt.open_shell(&id, "bash").await.unwrap();
    run(
        &mut sh,
        "V=\"one\ntwo 'single' \\\"double\\\" \\$x é\n\"; EMPTY=",
    )
    .await
    .0
    .unwrap();
    let value = sh.read_var("V").await.unwrap();
    assert_eq!(
        value.as_deref(),
        Some("one\ntwo 'single' \"double\" $x é\n")
    );
    assert_eq!(sh.read_var("EMPTY").await, Ok(Some(String::new())));
    assert_eq!(sh.read_var("UNSET_ONE").await, Ok(None));
    assert_eq!(
        sh.read_var("GREETING").await,
        Ok(Some("hello world".into()))
    );
    assert!(sh.read_var("not a name").await.is_err());
    guard.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_come_out_of_the_container() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("archive");
    let id = rt.start_container(spec).await.unwrap();
    let guard = ContainerGuard::new(rt.clone(), id.clone());
    let mut sh = rt.open_shell(&id, "sh").await.unwrap();
    run(&mut sh, "mkdir -p out/sub && echo data > out/sub/f.txt")
        .await
        .0
        .unwrap();
    let file = rt.get_archive(&id, "/src/out/sub/f.txt").await.unwrap();
    assert_eq!(
        untar(&file.unwrap()),
        [("f.txt".to_string(), b"data\n".to_vec())]
    );
    let dir = untar(&rt.get_archive(&id, "/src/out").await.unwrap().unwrap());
    let names: Vec<&str> = dir.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["out/", "out/sub/", "out/sub/f.txt"]);
    assert_eq!(rt.get_archive(&id, "/src/missing").await, Ok(None));
    guard.remove().await.unwrap();
    let after = rt.get_archive(&id, "/src/out").await;
    assert!(
        matches!(after, Err(RuntimeError::ContainerGone { .. })),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_is_applied() {
    if !docker_available() {
        return;
    }
    let (rt, mut spec, mut cleanup) = setup("spec");
    let volume = format!("simfra-test-vol-{}", std::process::id());
    cleanup.volumes.push(volume.clone());
    spec.volumes = vec![(volume.clone(), "/cache".into())];
    spec.docker_socket = true;
    spec.extra_hosts = vec!["simfra-host:10.1.2.3".into()];
    spec.labels.insert("owner".into(), "build-1".into());
    let id = rt.start_container(spec.clone()).await.unwrap();
    let first = ContainerGuard::new(rt.clone(), id.clone());
    let mut sh = rt.open_shell(&id, "bash").await.unwrap();
    let script = "test -S /var/run/docker.sock && echo socket\n\
                  grep -c simfra-host /etc/hosts\n\
                  echo kept > /cache/k";
    let (status, lines) = run(&mut sh, script).await;
    assert_eq!((status, stdout(&lines)), (Ok(0), vec!["socket", "1"]));
    let labels = docker(&["inspect", "-f", "{{json .Config.Labels}}", &id]);
    assert!(labels.contains("\"owner\":\"build-1\""), "{labels}");
    assert!(labels.contains("\"simfra.managed\":\"true\""), "{labels}");

    // Same name again: the runtime picks another; the named volume is shared.
    let second = rt.start_container(spec).await.unwrap();
    let second = ContainerGuard::new(rt.clone(), second);
    let mut sh2 = rt.open_shell(second.id(), "bash").await.unwrap();
    let (_, lines) = run(&mut sh2, "cat /cache/k").await;
    assert_eq!(stdout(&lines), ["kept"]);
    first.remove().await.unwrap();
    second.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_unavailable_quickly() {
    if !docker_available() {
        return;
    }
    let (rt, mut spec, _cleanup) = setup("image");
    rt.ensure_image(TEST_IMAGE).await.unwrap();
    let missing = "simfra-test/does-not-exist:1";
    let result = tokio::time::timeout(Duration::from_secs(120), rt.ensure_image(missing))
        .await
        .expect("ensure_image returns");
    match result {
        Err(RuntimeError::ImageUnavailable { image, message }) => {
            assert_eq!(image, missing);
            assert!(message.contains("not present locally"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    spec.image = missing.into();
    let started = rt.start_container(spec).await;
    assert!(
        matches!(started, Err(RuntimeError::ImageUnavailable { .. })),
        "{started:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_reap_and_the_guard_leave_nothing() {
    if !docker_available() {
        return;
    }
    let (rt, spec, cleanup) = setup("reap");
    let a = rt.start_container(spec.clone()).await.unwrap();
    rt.remove(&a).await.unwrap();
    rt.remove(&a).await.unwrap();
    rt.start_container(spec.clone()).await.unwrap();
    rt.start_container(spec.clone()).await.unwrap();
    assert_eq!(managed_containers(&cleanup.label).len(), 2);
    let reaped = rt.reap(Some(("simfra.test", &cleanup.label))).await;
    assert_eq!(reaped, Ok(2));
    assert!(managed_containers(&cleanup.label).is_empty());

    // The guard removes its container when dropped.
    let id = rt.start_container(spec).await.unwrap();
    let runtime: Arc<dyn ContainerRuntime> = rt.clone();
    drop(ContainerGuard::new(runtime, id));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !managed_containers(&cleanup.label).is_empty() {
        assert!(Instant::now() < deadline, "the guard did not remove it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_container_ends_the_running_command() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("gone");
    let id = rt.start_container(spec).await.unwrap();
    let mut sh = rt.open_shell(&id, "sh").await.unwrap();
    let task = tokio::spawn(async move { run(&mut sh, "echo started; sleep 60").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    rt.remove(&id).await.unwrap();
    let (status, lines) = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the command ends")
        .unwrap();
    assert!(
        matches!(status, Err(RuntimeError::ContainerGone { .. })),
        "{status:?}"
    );
    assert_eq!(stdout(&lines), ["started"]);
    let again = rt.open_shell(&id, "sh").await;
    assert!(matches!(again, Err(RuntimeError::ContainerGone { .. })));
}

/// Peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_mebibytes_of_output_stream_through() {
    if !docker_available() {
        return;
    }
    let (rt, spec, _cleanup) = setup("big");
    let id = rt.start_container(spec).await.unwrap();
    let guard = ContainerGuard::new(rt.clone(), id.clone());
    let mut sh = rt.open_shell(&id, "sh").await.unwrap();
    let before = peak_rss_kib();
    let (mut count, mut bytes, mut bad) = (0usize, 0usize, 0usize);
    // 1 Mi lines of 20 bytes: 20 MiB.
    let status = sh
        .run(
            "yes 0123456789abcdefghi | head -n 1048576",
            &mut |l: OutputLine| {
                count += 1;
                bytes += l.text.len() + 1;
                if l.text != "0123456789abcdefghi" {
                    bad += 1;
                }
            },
        )
        .await;
    assert_eq!(status, Ok(0));
    assert_eq!((count, bytes, bad), (1 << 20, 20 << 20, 0));
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
    guard.remove().await.unwrap();
}

#[tokio::test]
async fn a_missing_socket_is_unavailable() {
    match Docker::connect_socket("/nonexistent/docker.sock") {
        Err(RuntimeError::Unavailable { op, .. }) => assert_eq!(op, "connect"),
        other => panic!("{:?}", other.err()),
    }
}
