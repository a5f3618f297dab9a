//! S3 object operations through the Rust SDK: put/get/head/delete, metadata and content
//! headers, ranges, conditional reads, checksums and digests, copies, tagging, listings,
//! DeleteObjects, and the keys S3 accepts or refuses.

mod common;
mod s3_support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, Delete, MetadataDirective, ObjectIdentifier, Tag, Tagging,
};
use s3_support::{get, pattern, put, status};

async fn client_with_bucket(
    server: &simfra::server::TestServer,
    bucket: &str,
) -> aws_sdk_s3::Client {
    let s3 = common::s3(server);
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    s3
}

#[tokio::test]
async fn put_get_head_round_trip_with_metadata() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "objs").await;
    let body = pattern(10_000, 1);
    let put_out = s3
        .put_object()
        .bucket("objs")
        .key("dir/file.zip")
        .body(ByteStream::from(body.clone()))
        .content_type("application/zip")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"file.zip\"")
        .cache_control("max-age=60")
        .content_language("en")
        .metadata("codepipeline-artifact-revision-summary", "commit abc")
        .metadata("Mixed-Case", "v")
        .send()
        .await
        .unwrap();
    let md5 = format!("\"{:x}\"", md5_digest(&body));
    assert_eq!(put_out.e_tag(), Some(md5.as_str()));
    assert_eq!(put_out.version_id(), None);

    let got = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.zip")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(md5.as_str()));
    assert_eq!(got.content_type(), Some("application/zip"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"file.zip\"")
    );
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.content_language(), Some("en"));
    assert_eq!(got.content_length(), Some(10_000));
    assert!(got.last_modified().is_some());
    let meta = got.metadata().unwrap();
    assert_eq!(meta["codepipeline-artifact-revision-summary"], "commit abc");
    assert_eq!(meta["mixed-case"], "v");
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().to_vec(),
        body
    );

    let head = s3
        .head_object()
        .bucket("objs")
        .key("dir/file.zip")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(10_000));
    assert_eq!(head.e_tag(), Some(md5.as_str()));
    assert_eq!(head.content_type(), Some("application/zip"));

    // Response overrides (presigned downloads use them).
    let got = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.zip")
        .response_content_type("text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));

    // Empty objects and the default content type.
    put(&s3, "objs", "empty", b"").await;
    let got = s3
        .get_object()
        .bucket("objs")
        .key("empty")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(0));
    assert_eq!(got.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
}

fn md5_digest(data: &[u8]) -> u128 {
    u128::from_str_radix(
        &simfra::services::s3::checksum::hex(&simfra::services::s3::checksum::md5(data)),
        16,
    )
    .unwrap()
}

#[tokio::test]
async fn missing_things() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "miss").await;
    let err = s3
        .get_object()
        .bucket("miss")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
    assert_eq!(status(&err), 404);
    let err = s3
        .head_object()
        .bucket("miss")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    assert!(err.into_service_error().is_not_found());
    let err = s3
        .put_object()
        .bucket("no-such-bucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"));
    let err = s3
        .list_objects_v2()
        .bucket("no-such-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"));
    // Deleting what is not there succeeds.
    s3.delete_object()
        .bucket("miss")
        .key("nope")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn ranges() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "ranges").await;
    let body = pattern(3_000_000, 2);
    put(&s3, "ranges", "r", &body).await;
    for (range, first, last) in [
        ("bytes=0-9", 0usize, 9usize),
        ("bytes=2999990-", 2_999_990, 2_999_999),
        ("bytes=-5", 2_999_995, 2_999_999),
        ("bytes=100-2500000", 100, 2_500_000),
        ("bytes=10-99999999", 10, 2_999_999),
    ] {
        let got = s3
            .get_object()
            .bucket("ranges")
            .key("r")
            .range(range)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.content_range(),
            Some(format!("bytes {first}-{last}/3000000").as_str())
        );
        assert_eq!(got.content_length(), Some((last - first + 1) as i64));
        let data = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(&data[..], &body[first..=last], "{range}");
    }
    let err = s3
        .get_object()
        .bucket("ranges")
        .key("r")
        .range("bytes=3000000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRange"));
    assert_eq!(status(&err), 416);
}

#[tokio::test]
async fn conditional_reads() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "cond").await;
    let etag = put(&s3, "cond", "c", b"content").await;
    let past = aws_sdk_s3::primitives::DateTime::from_secs(1_000_000_000);
    let future = aws_sdk_s3::primitives::DateTime::from_secs(4_000_000_000);

    s3.get_object()
        .bucket("cond")
        .key("c")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("cond")
        .key("c")
        .if_match("\"0000\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    assert_eq!(err.code(), Some("PreconditionFailed"));
    let err = s3
        .get_object()
        .bucket("cond")
        .key("c")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 304);
    let err = s3
        .get_object()
        .bucket("cond")
        .key("c")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 304);
    s3.get_object()
        .bucket("cond")
        .key("c")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("cond")
        .key("c")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    // If-Match wins over a failing If-Unmodified-Since.
    s3.get_object()
        .bucket("cond")
        .key("c")
        .if_match(&etag)
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap();
    let err = s3
        .head_object()
        .bucket("cond")
        .key("c")
        .if_match("\"0000\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    // Conditional writes.
    let err = s3
        .put_object()
        .bucket("cond")
        .key("c")
        .if_none_match("*")
        .body(ByteStream::from_static(b"again"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
}

#[tokio::test]
async fn checksums_are_verified_stored_and_returned() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "sums").await;
    let body = pattern(200_000, 3);
    for (i, alg) in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc64Nvme,
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("k{i}");
        let out = s3
            .put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        let sent = [
            out.checksum_crc32(),
            out.checksum_crc32_c(),
            out.checksum_sha1(),
            out.checksum_sha256(),
            out.checksum_crc64_nvme(),
        ];
        assert!(sent[i].is_some(), "{alg:?} echoed");
        // The SDK validates the returned checksum against the bytes it reads.
        let got = s3
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let returned = [
            got.checksum_crc32(),
            got.checksum_crc32_c(),
            got.checksum_sha1(),
            got.checksum_sha256(),
            got.checksum_crc64_nvme(),
        ];
        assert_eq!(returned[i], sent[i], "{alg:?}");
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().to_vec(),
            body
        );
    }

    // A wrong checksum or Content-MD5 stores nothing.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"payload"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BadDigest"));
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"payload"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BadDigest"));
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5("not-base64!")
        .body(ByteStream::from_static(b"payload"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidDigest"));
    let err = s3
        .head_object()
        .bucket("sums")
        .key("bad")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    // A correct Content-MD5 is accepted.
    s3.put_object()
        .bucket("sums")
        .key("good")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn copy_object() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "src").await;
    s3.create_bucket().bucket("dst").send().await.unwrap();
    let body = pattern(70_000, 4);
    s3.put_object()
        .bucket("src")
        .key("a b/obj")
        .body(ByteStream::from(body.clone()))
        .content_type("text/x-source")
        .metadata("origin", "src")
        .tagging("t=1")
        .send()
        .await
        .unwrap();
    let out = s3
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/a%20b/obj")
        .send()
        .await
        .unwrap();
    let etag = out
        .copy_object_result()
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string();
    assert_eq!(etag, format!("\"{:x}\"", md5_digest(&body)));
    assert_eq!(get(&s3, "dst", "copy").await, body);
    let head = s3
        .head_object()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/x-source"));
    assert_eq!(head.metadata().unwrap()["origin"], "src");

    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("src/a%20b/obj")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/new")
        .metadata("fresh", "yes")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/new"));
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("fresh").map(String::as_str), Some("yes"));
    assert!(!meta.contains_key("origin"));

    let err = s3
        .copy_object()
        .bucket("src")
        .key("a b/obj")
        .copy_source("src/a%20b/obj")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRequest"));
    let err = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
    let err = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/a%20b/obj")
        .copy_source_if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
}

#[tokio::test]
async fn object_tagging() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "otags").await;
    s3.put_object()
        .bucket("otags")
        .key("k")
        .tagging("stage=build&owner=ci%20bot")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_tagging()
        .bucket("otags")
        .key("k")
        .send()
        .await
        .unwrap();
    let pairs: Vec<_> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, vec![("stage", "build"), ("owner", "ci bot")]);
    let head = s3
        .get_object()
        .bucket("otags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(head.tag_count(), Some(2));
    s3.put_object_tagging()
        .bucket("otags")
        .key("k")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("only").value("one").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_tagging()
        .bucket("otags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_set().len(), 1);
    s3.delete_object_tagging()
        .bucket("otags")
        .key("k")
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_tagging()
        .bucket("otags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(got.tag_set().is_empty());
    let many = (0..11)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join("&");
    let err = s3
        .put_object()
        .bucket("otags")
        .key("k2")
        .tagging(many)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidTag"));
    let err = s3
        .get_object_tagging()
        .bucket("otags")
        .key("none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
}

#[tokio::test]
async fn listings() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "list").await;
    let keys = [
        "a/1.txt",
        "a/2.txt",
        "a/b/3.txt",
        "c.txt",
        "d/4.txt",
        "d/5.txt",
        "e f+g.txt",
    ];
    for k in keys {
        put(&s3, "list", k, k.as_bytes()).await;
    }
    let all = s3.list_objects_v2().bucket("list").send().await.unwrap();
    let got: Vec<_> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, keys);
    assert_eq!(all.key_count(), Some(7));
    assert_eq!(all.contents()[0].size(), Some(7));
    assert!(all.contents()[0].e_tag().is_some());

    let delim = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let files: Vec<_> = delim.contents().iter().filter_map(|o| o.key()).collect();
    let dirs: Vec<_> = delim
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(files, vec!["c.txt", "e f+g.txt"]);
    assert_eq!(dirs, vec!["a/", "d/"]);

    let sub = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let files: Vec<_> = sub.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(files, vec!["a/1.txt", "a/2.txt"]);
    assert_eq!(sub.common_prefixes()[0].prefix(), Some("a/b/"));

    let after = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("c.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(after.contents()[0].key(), Some("d/4.txt"));

    // Pages of two, through continuation tokens.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("list")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, keys);

    // v1 with markers.
    let v1 = s3
        .list_objects()
        .bucket("list")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents().len(), 3);
    assert_eq!(v1.is_truncated(), Some(true));
    let v1b = s3
        .list_objects()
        .bucket("list")
        .marker(v1.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(v1b.contents()[0].key(), Some("c.txt"));
    assert_eq!(v1b.contents().len(), 4);

    // URL encoding, as the CLI asks for it.
    let enc = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("e ")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(enc.contents()[0].key(), Some("e%20f%2Bg.txt"));
}

#[tokio::test]
async fn delete_objects_in_one_request() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "bulk").await;
    for k in ["x/1", "x/2", "x/3"] {
        put(&s3, "bulk", k, b"d").await;
    }
    let ids = ["x/1", "x/2", "never-existed"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect::<Vec<_>>();
    let out = s3
        .delete_objects()
        .bucket("bulk")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 3);
    assert!(out.errors().is_empty());
    let left = s3.list_objects_v2().bucket("bulk").send().await.unwrap();
    let keys: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, vec!["x/3"]);
    let quiet = s3
        .delete_objects()
        .bucket("bulk")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("x/3").build().unwrap())
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(quiet.deleted().is_empty());
}

#[tokio::test]
async fn odd_keys_are_literal_and_bad_keys_refused() {
    let server = common::start();
    let s3 = client_with_bucket(&server, "keys").await;
    let odd = [
        "../../../../etc/passwd-simfra-test",
        "/absolute/path",
        "sp ace/ünïcödé/+plus?&=#",
        "a//double//slash",
        "./dot/../dotdot",
    ];
    for k in odd {
        put(&s3, "keys", k, k.as_bytes()).await;
        assert_eq!(get(&s3, "keys", k).await, k.as_bytes(), "{k}");
    }
    assert!(!std::path::Path::new("/etc/passwd-simfra-test").exists());
    let listed = s3.list_objects_v2().bucket("keys").send().await.unwrap();
    assert_eq!(listed.contents().len(), odd.len());

    let long = "k".repeat(1024);
    put(&s3, "keys", &long, b"ok").await;
    let too_long = "k".repeat(1025);
    let err = s3
        .put_object()
        .bucket("keys")
        .key(&too_long)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("KeyTooLongError"));
    assert_eq!(status(&err), 400);
}

#[tokio::test]
async fn streaming_upload_from_a_file() {
    // A file body streams: the SDK frames it as aws-chunked with a trailing checksum.
    let server = common::start();
    let s3 = client_with_bucket(&server, "stream").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    let data = pattern(3 * 1024 * 1024 + 5, 8);
    std::fs::write(&path, &data).unwrap();
    for alg in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32C] {
        let out = s3
            .put_object()
            .bucket("stream")
            .key("from-file")
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from_path(&path).await.unwrap())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert!(out.checksum_crc32().is_some() || out.checksum_crc32_c().is_some());
        let got = s3
            .get_object()
            .bucket("stream")
            .key("from-file")
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_encoding(), None);
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().to_vec(),
            data
        );
    }
}
