//! The real `git` client against CodeCommit's smart HTTP endpoint: clone, push, fetch, shallow
//! clones, protocol v2, API commits seen by `git pull`, rejected non-fast-forward pushes,
//! unknown and deleted repositories, concurrent pushes, and gzip-encoded requests.

mod common;

use common::git::{git, git_out};

use std::time::Duration;

use aws_sdk_codecommit::primitives::Blob;

fn url(server: &simfra::server::TestServer, repo: &str) -> String {
    // Credentials in the URL are accepted and ignored.
    format!("http://user:secret@{}/v1/repos/{repo}", server.addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_push_clone_again_and_compare() {
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("site")
        .send()
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let u = url(&server, "site");

    // An empty repository clones (with a warning) and takes a push.
    git(root, &["clone", &u, "a"]);
    let a = root.join("a");
    std::fs::create_dir_all(a.join("src")).unwrap();
    std::fs::write(a.join("index.html"), "<h1>hi</h1>\n").unwrap();
    std::fs::write(a.join("src/app.js"), "console.log(1)\n").unwrap();
    git(&a, &["add", "."]);
    git(&a, &["commit", "-m", "first"]);
    git(&a, &["push", "origin", "main"]);
    let head = git(&a, &["rev-parse", "HEAD"]);

    git(&a, &["checkout", "-b", "feature"]);
    std::fs::write(a.join("feature.txt"), "f\n").unwrap();
    git(&a, &["add", "."]);
    git(&a, &["commit", "-m", "feature work"]);
    git(&a, &["push", "origin", "feature"]);
    let feature = git(&a, &["rev-parse", "HEAD"]);

    // The API sees both branches and the default branch.
    let list = cc
        .list_branches()
        .repository_name("site")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.branches(),
        &["feature".to_string(), "main".to_string()]
    );
    let repo = cc
        .get_repository()
        .repository_name("site")
        .send()
        .await
        .unwrap();
    assert_eq!(
        repo.repository_metadata().unwrap().default_branch(),
        Some("main")
    );
    let b = cc
        .get_branch()
        .repository_name("site")
        .branch_name("feature")
        .send()
        .await
        .unwrap();
    assert_eq!(b.branch().unwrap().commit_id(), Some(feature.as_str()));

    // A second clone (protocol v2) holds the same tree.
    git(root, &["clone", &u, "b"]);
    let b = root.join("b");
    assert_eq!(git(&b, &["rev-parse", "HEAD"]), head);
    assert_eq!(
        std::fs::read_to_string(b.join("src/app.js")).unwrap(),
        "console.log(1)\n"
    );
    assert_eq!(
        git(&a, &["rev-parse", "main^{tree}"]),
        git(&b, &["rev-parse", "HEAD^{tree}"])
    );
    // A shallow clone of the other branch.
    git(
        root,
        &["clone", "--depth", "1", "--branch", "feature", &u, "c"],
    );
    assert_eq!(git(&root.join("c"), &["rev-parse", "HEAD"]), feature);
    // Protocol v0 still works.
    git(root, &["-c", "protocol.version=0", "clone", &u, "d"]);
    assert_eq!(git(&root.join("d"), &["rev-parse", "HEAD"]), head);

    // An API commit is seen by `git pull`.
    let put = cc
        .put_file()
        .repository_name("site")
        .branch_name("main")
        .file_path("from-api.txt")
        .file_content(Blob::new("written by the API\n"))
        .parent_commit_id(&head)
        .commit_message("api commit")
        .send()
        .await
        .unwrap();
    git(&b, &["pull", "--ff-only", "origin", "main"]);
    assert_eq!(git(&b, &["rev-parse", "HEAD"]), put.commit_id());
    assert_eq!(
        std::fs::read_to_string(b.join("from-api.txt")).unwrap(),
        "written by the API\n"
    );

    // A non-fast-forward push is rejected and the branch is unchanged.
    git(&a, &["checkout", "main"]);
    std::fs::write(a.join("index.html"), "<h1>diverged</h1>\n").unwrap();
    git(&a, &["commit", "-am", "diverge"]);
    let out = git_out(&a, &["push", "origin", "main"]);
    assert!(!out.status.success(), "a non-fast-forward push must fail");
    let b_main = cc
        .get_branch()
        .repository_name("site")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    assert_eq!(b_main.branch().unwrap().commit_id(), Some(put.commit_id()));

    // The server's repository is consistent.
    let mirror = root.join("mirror");
    git(root, &["clone", "--mirror", &u, mirror.to_str().unwrap()]);
    git(&mirror, &["fsck", "--full", "--strict"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_repositories_are_not_found() {
    let server = common::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = git_out(tmp.path(), &["clone", &url(&server, "ghost"), "x"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found") || err.contains("404"), "{err}");

    std::fs::create_dir_all(tmp.path().join("w")).unwrap();
    let w = tmp.path().join("w");
    git(&w, &["init", "-q"]);
    std::fs::write(w.join("a"), "a").unwrap();
    git(&w, &["add", "."]);
    git(&w, &["commit", "-qm", "a"]);
    let out = git_out(&w, &["push", &url(&server, "ghost"), "main"]);
    assert!(!out.status.success());

    // Raw requests outside git's smart protocol are refused, not served by S3.
    let r = common::raw(&server, "GET", "/v1/repos/ghost/info/refs", &[], b"");
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_to_one_branch_one_wins() {
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("race")
        .send()
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let u = url(&server, "race");
    git(&root, &["clone", &u, "seed"]);
    let seed = root.join("seed");
    std::fs::write(seed.join("a"), "a").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-qm", "seed"]);
    git(&seed, &["push", "-q", "origin", "main"]);
    for n in ["x", "y"] {
        git(&root, &["clone", "-q", &u, n]);
        let d = root.join(n);
        std::fs::write(d.join(n), n).unwrap();
        git(&d, &["add", "."]);
        git(&d, &["commit", "-qm", n]);
    }
    let handles: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|n| {
            let d = root.join(n);
            std::thread::spawn(move || git_out(&d, &["push", "origin", "main"]).status.success())
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(wins, 1);
    let head = cc
        .get_branch()
        .repository_name("race")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    let head = head.branch().unwrap().commit_id().unwrap().to_string();
    let x = git(&root.join("x"), &["rev-parse", "HEAD"]);
    let y = git(&root.join("y"), &["rev-parse", "HEAD"]);
    assert!(head == x || head == y);
    // No corruption: the server's repository checks clean.
    let mirror = root.join("mirror");
    git(&root, &["clone", "--mirror", &u, mirror.to_str().unwrap()]);
    git(&mirror, &["fsck", "--full", "--strict"]);
    assert_eq!(git(&mirror, &["rev-parse", "main"]), head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_repository_takes_no_push() {
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("gone")
        .send()
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("w");
    std::fs::create_dir_all(&w).unwrap();
    git(&w, &["init", "-q"]);
    std::fs::write(w.join("a"), "a").unwrap();
    git(&w, &["add", "."]);
    git(&w, &["commit", "-qm", "a"]);
    let u = url(&server, "gone");
    git(&w, &["push", "-q", &u, "main"]);
    cc.delete_repository()
        .repository_name("gone")
        .send()
        .await
        .unwrap();

    std::fs::write(w.join("b"), "b").unwrap();
    git(&w, &["add", "."]);
    git(&w, &["commit", "-qm", "b"]);
    let out = git_out(&w, &["push", &u, "main"]);
    assert!(
        !out.status.success(),
        "a push to a deleted repository fails"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found") || err.contains("404"), "{err}");
    let out = git_out(tmp.path(), &["clone", &u, "c"]);
    assert!(
        !out.status.success(),
        "a deleted repository cannot be cloned"
    );

    // A new repository of the same name starts empty: nothing of the old one comes back.
    cc.create_repository()
        .repository_name("gone")
        .send()
        .await
        .unwrap();
    assert_eq!(git(&w, &["ls-remote", &u]), "");
    let branches = cc
        .list_branches()
        .repository_name("gone")
        .send()
        .await
        .unwrap();
    assert!(branches.branches().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_encoded_negotiations_are_inflated() {
    use std::io::Write;
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("gz")
        .send()
        .await
        .unwrap();
    let put = cc
        .put_file()
        .repository_name("gz")
        .branch_name("main")
        .file_path("a.txt")
        .file_content(Blob::new("a\n"))
        .send()
        .await
        .unwrap();
    let want = format!("want {}\n", put.commit_id());
    let mut request = format!("{:04x}{want}0000", want.len() + 4);
    request.push_str("0009done\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(request.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let r = common::raw(
        &server,
        "POST",
        "/v1/repos/gz/git-upload-pack",
        &[
            ("Content-Type", "application/x-git-upload-pack-request"),
            ("Content-Encoding", "gzip"),
            ("User-Agent", "git/2.47.0"),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-git-upload-pack-result")
    );
    assert!(r.body.starts_with(b"0008NAK\n"));
    assert!(r.body.windows(4).any(|w| w == b"PACK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_publish_their_ref_changes() {
    use aws_sdk_eventbridge::types::Target;
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("evented")
        .send()
        .await
        .unwrap();
    let ev = common::events(&server);
    ev.put_rule()
        .name("codecommit-changes")
        .event_pattern(r#"{"source":["aws.codecommit"],"detail":{"repositoryName":["evented"]}}"#)
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("codecommit-changes")
        .targets(
            Target::builder()
                .id("log")
                .arn("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/codecommit")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("w");
    std::fs::create_dir_all(&w).unwrap();
    git(&w, &["init", "-q"]);
    let u = url(&server, "evented");
    std::fs::write(w.join("a"), "a").unwrap();
    git(&w, &["add", "."]);
    git(&w, &["commit", "-qm", "a"]);
    let first = git(&w, &["rev-parse", "HEAD"]);
    git(&w, &["push", "-q", &u, "main", "main:feature"]);
    std::fs::write(w.join("a"), "b").unwrap();
    git(&w, &["commit", "-qam", "b"]);
    let second = git(&w, &["rev-parse", "HEAD"]);
    git(&w, &["push", "-q", &u, "main", ":feature"]);
    // A rejected push changes nothing and publishes nothing.
    git(&w, &["reset", "-q", "--hard", &first]);
    std::fs::write(w.join("c"), "c").unwrap();
    git(&w, &["add", "."]);
    git(&w, &["commit", "-qm", "c"]);
    assert!(!git_out(&w, &["push", &u, "main"]).status.success());

    let logs = common::logs(&server);
    let mut events: Vec<serde_json::Value> = Vec::new();
    for _ in 0..100 {
        if let Ok(out) = logs
            .filter_log_events()
            .log_group_name("/aws/events/codecommit")
            .send()
            .await
        {
            events = out
                .events()
                .iter()
                .map(|e| serde_json::from_str(e.message().unwrap_or_default()).unwrap())
                .collect();
            if events.len() >= 4 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut seen: Vec<(String, String, String, String)> = events
        .iter()
        .map(|e| {
            assert_eq!(e["source"], "aws.codecommit");
            assert_eq!(e["detail-type"], "CodeCommit Repository State Change");
            let d = &e["detail"];
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (
                s("event"),
                s("referenceName"),
                s("commitId"),
                s("oldCommitId"),
            )
        })
        .collect();
    seen.sort();
    let want = |e: &str, r: &str, c: &str, o: &str| {
        (e.to_string(), r.to_string(), c.to_string(), o.to_string())
    };
    assert_eq!(
        seen,
        vec![
            want("referenceCreated", "feature", &first, ""),
            want("referenceCreated", "main", &first, ""),
            want("referenceDeleted", "feature", "", &first),
            want("referenceUpdated", "main", &second, &first),
        ]
    );
}
