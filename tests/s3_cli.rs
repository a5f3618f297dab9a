//! S3 through the AWS CLI (botocore + s3transfer): `mb`, `cp` both ways (small and a 40 MiB
//! multipart file, byte for byte), `sync` of a tree, `ls --recursive`, `rm --recursive`, and
//! `s3api list-object-versions`.

mod common;
mod s3_support;

use std::path::Path;

use s3_support::pattern;

/// Runs a CLI command that prints text (the `s3` commands), panicking with stderr on failure.
fn aws(url: &str, args: &[&str]) -> String {
    let out = common::cli(url, args);
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

#[test]
fn cli_copy_sync_list_remove() {
    let server = common::start();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let out = aws(&url, &["s3", "mb", "s3://cli-bucket"]);
    assert!(out.contains("make_bucket: cli-bucket"), "{out}");

    // A small file, both ways.
    let small = d.join("small.txt");
    write(&small, b"hello from the CLI\n");
    aws(
        &url,
        &[
            "s3",
            "cp",
            "--no-progress",
            small.to_str().unwrap(),
            "s3://cli-bucket/docs/small.txt",
        ],
    );
    let back = d.join("small-back.txt");
    aws(
        &url,
        &[
            "s3",
            "cp",
            "--no-progress",
            "s3://cli-bucket/docs/small.txt",
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&back).unwrap(), b"hello from the CLI\n");

    // 40 MiB: the CLI switches to a multipart upload and ranged downloads.
    let big_data = pattern(40 * 1024 * 1024, 7);
    let big = d.join("big.bin");
    write(&big, &big_data);
    aws(
        &url,
        &[
            "s3",
            "cp",
            "--no-progress",
            big.to_str().unwrap(),
            "s3://cli-bucket/big/big.bin",
        ],
    );
    let head = common::cli_json(
        &url,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "big/big.bin",
        ],
    );
    assert!(
        head["ETag"].as_str().unwrap().contains('-'),
        "multipart ETag: {head}"
    );
    assert_eq!(head["ContentLength"], 40 * 1024 * 1024);
    let big_back = d.join("big-back.bin");
    aws(
        &url,
        &[
            "s3",
            "cp",
            "--no-progress",
            "s3://cli-bucket/big/big.bin",
            big_back.to_str().unwrap(),
        ],
    );
    assert!(
        std::fs::read(&big_back).unwrap() == big_data,
        "40 MiB round trip differs"
    );
    drop(big_data);

    // sync of a tree.
    let tree = d.join("tree");
    let files = [
        "a.txt",
        "sub/b.txt",
        "sub/deeper/c.txt",
        "with space/d e.txt",
        "plus+sign.txt",
    ];
    for (i, f) in files.iter().enumerate() {
        write(&tree.join(f), format!("file {i}: {f}").as_bytes());
    }
    aws(
        &url,
        &[
            "s3",
            "sync",
            "--no-progress",
            tree.to_str().unwrap(),
            "s3://cli-bucket/tree",
        ],
    );
    let listing = aws(&url, &["s3", "ls", "--recursive", "s3://cli-bucket/"]);
    for f in files {
        assert!(listing.contains(&format!("tree/{f}")), "{f} in {listing}");
    }
    assert!(listing.contains("docs/small.txt"));
    assert!(listing.contains("big/big.bin"));
    // A second sync has nothing to do; syncing back reproduces the tree.
    let again = aws(
        &url,
        &[
            "s3",
            "sync",
            "--no-progress",
            tree.to_str().unwrap(),
            "s3://cli-bucket/tree",
        ],
    );
    assert!(again.trim().is_empty(), "{again}");
    let tree_back = d.join("tree-back");
    aws(
        &url,
        &[
            "s3",
            "sync",
            "--no-progress",
            "s3://cli-bucket/tree",
            tree_back.to_str().unwrap(),
        ],
    );
    for f in files {
        assert_eq!(
            std::fs::read(tree.join(f)).unwrap(),
            std::fs::read(tree_back.join(f)).unwrap(),
            "{f}"
        );
    }

    // rm --recursive empties the prefix.
    let removed = aws(&url, &["s3", "rm", "--recursive", "s3://cli-bucket/tree"]);
    assert_eq!(removed.matches("delete:").count(), files.len(), "{removed}");
    let listing = aws(&url, &["s3", "ls", "--recursive", "s3://cli-bucket/"]);
    assert!(!listing.contains("tree/"), "{listing}");
    aws(&url, &["s3", "rm", "--recursive", "s3://cli-bucket/"]);
    aws(&url, &["s3", "rb", "s3://cli-bucket"]);
}

#[test]
fn cli_list_object_versions() {
    let server = common::start();
    let url = server.url();
    common::cli_json(
        &url,
        &["s3api", "create-bucket", "--bucket", "cli-versions"],
    );
    common::cli_json(
        &url,
        &[
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            "cli-versions",
            "--versioning-configuration",
            "Status=Enabled",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    let mut ids = Vec::new();
    for i in 0..2 {
        std::fs::write(&f, format!("version {i}")).unwrap();
        let out = common::cli_json(
            &url,
            &[
                "s3api",
                "put-object",
                "--bucket",
                "cli-versions",
                "--key",
                "k",
                "--body",
                f.to_str().unwrap(),
            ],
        );
        ids.push(out["VersionId"].as_str().unwrap().to_string());
    }
    common::cli_json(
        &url,
        &[
            "s3api",
            "delete-object",
            "--bucket",
            "cli-versions",
            "--key",
            "k",
        ],
    );
    let v = common::cli_json(
        &url,
        &["s3api", "list-object-versions", "--bucket", "cli-versions"],
    );
    let listed: Vec<_> = v["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["VersionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, vec![ids[1].clone(), ids[0].clone()]);
    assert_eq!(v["DeleteMarkers"].as_array().unwrap().len(), 1);
    assert_eq!(v["DeleteMarkers"][0]["IsLatest"], true);
    let out = dir.path().join("old");
    common::cli_json(
        &url,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "cli-versions",
            "--key",
            "k",
            "--version-id",
            &ids[0],
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"version 0");
}
