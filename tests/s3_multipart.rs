//! S3 multipart uploads through the Rust SDK: create, upload parts (and part copies),
//! complete with S3's ETag, order and size rules, abort, ListParts, ListMultipartUploads,
//! composite and full-object checksums.

mod common;
mod s3_support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
};
use s3_support::{get, pattern, put, status};
use simfra::services::s3::checksum::{hex, md5};

const MIB: usize = 1024 * 1024;

async fn upload_part(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    id: &str,
    n: i32,
    body: &[u8],
) -> CompletedPart {
    let out = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap();
    CompletedPart::builder()
        .part_number(n)
        .e_tag(out.e_tag().unwrap())
        .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
        .build()
}

fn completion(parts: Vec<CompletedPart>) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build()
}

#[tokio::test]
async fn upload_complete_and_read_back() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("mpu").send().await.unwrap();
    let create = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .content_type("application/x-big")
        .metadata("kind", "multipart")
        .send()
        .await
        .unwrap();
    let id = create.upload_id().unwrap().to_string();
    let p1 = pattern(5 * MIB, 1);
    let p2 = pattern(5 * MIB, 2);
    let p3 = pattern(1234, 3);
    let parts = vec![
        upload_part(&s3, "mpu", "big/object.bin", &id, 1, &p1).await,
        upload_part(&s3, "mpu", "big/object.bin", &id, 2, &p2).await,
        upload_part(&s3, "mpu", "big/object.bin", &id, 3, &p3).await,
    ];

    let listed = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<_> = listed.parts().iter().map(|p| p.size().unwrap()).collect();
    assert_eq!(sizes, vec![5 * MIB as i64, 5 * MIB as i64, 1234]);
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(uploads.uploads()[0].upload_id(), Some(id.as_str()));
    assert_eq!(uploads.uploads()[0].key(), Some("big/object.bin"));

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .multipart_upload(completion(parts))
        .send()
        .await
        .unwrap();
    let mut md5s = Vec::new();
    for p in [&p1, &p2, &p3] {
        md5s.extend_from_slice(&md5(p));
    }
    let expected = format!("\"{}-3\"", hex(&md5(&md5s)));
    assert_eq!(done.e_tag(), Some(expected.as_str()));

    let mut whole = p1.clone();
    whole.extend_from_slice(&p2);
    whole.extend_from_slice(&p3);
    assert_eq!(get(&s3, "mpu", "big/object.bin").await, whole);
    let head = s3
        .head_object()
        .bucket("mpu")
        .key("big/object.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(expected.as_str()));
    assert_eq!(head.content_type(), Some("application/x-big"));
    assert_eq!(head.metadata().unwrap()["kind"], "multipart");
    // Reading one part.
    let part2 = s3
        .get_object()
        .bucket("mpu")
        .key("big/object.bin")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(part2.parts_count(), Some(3));
    assert_eq!(
        part2.body.collect().await.unwrap().into_bytes().to_vec(),
        p2
    );

    // The upload is gone.
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());
    let err = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchUpload"));
    assert_eq!(status(&err), 404);
}

#[tokio::test]
async fn completion_rules() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("rules").send().await.unwrap();
    let id = s3
        .create_multipart_upload()
        .bucket("rules")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let small1 = upload_part(&s3, "rules", "k", &id, 1, b"too small").await;
    let small2 = upload_part(&s3, "rules", "k", &id, 2, b"last").await;
    let complete = |parts: Vec<CompletedPart>| {
        s3.complete_multipart_upload()
            .bucket("rules")
            .key("k")
            .upload_id(&id)
            .multipart_upload(completion(parts))
            .send()
    };
    let err = complete(vec![small2.clone(), small1.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidPartOrder"));
    let err = complete(vec![small1.clone(), small2.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("EntityTooSmall"));
    let missing = CompletedPart::builder()
        .part_number(7)
        .e_tag("\"00\"")
        .build();
    let err = complete(vec![missing]).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidPart"));
    let wrong_etag = CompletedPart::builder()
        .part_number(1)
        .e_tag("\"ffffffffffffffffffffffffffffffff\"")
        .build();
    let err = complete(vec![wrong_etag]).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidPart"));
    // Nothing became visible.
    let err = s3
        .head_object()
        .bucket("rules")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    // A single small part is fine: it is the last one.
    let done = complete(vec![small1]).await.unwrap();
    assert!(done.e_tag().unwrap().ends_with("-1\""));
    assert_eq!(get(&s3, "rules", "k").await, b"too small");

    let err = s3
        .upload_part()
        .bucket("rules")
        .key("k")
        .upload_id("no-such-upload")
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchUpload"));
    let id2 = s3
        .create_multipart_upload()
        .bucket("rules")
        .key("k2")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let err = s3
        .upload_part()
        .bucket("rules")
        .key("k2")
        .upload_id(&id2)
        .part_number(10001)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArgument"));
}

#[tokio::test]
async fn abort_discards_the_parts() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("abort").send().await.unwrap();
    let id = s3
        .create_multipart_upload()
        .bucket("abort")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    upload_part(&s3, "abort", "k", &id, 1, b"part").await;
    s3.abort_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let err = s3
        .abort_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchUpload"));
    let err = s3
        .complete_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completion(vec![CompletedPart::builder()
            .part_number(1)
            .e_tag("\"x\"")
            .build()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchUpload"));
    // An empty bucket again: deletable.
    s3.delete_bucket().bucket("abort").send().await.unwrap();
}

#[tokio::test]
async fn upload_part_copy() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("pcopy").send().await.unwrap();
    let src = pattern(6 * MIB, 9);
    put(&s3, "pcopy", "source", &src).await;
    let id = s3
        .create_multipart_upload()
        .bucket("pcopy")
        .key("dest")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let mut parts = Vec::new();
    for (n, range) in [(1, "bytes=0-5242879"), (2, "bytes=5242880-6291455")] {
        let out = s3
            .upload_part_copy()
            .bucket("pcopy")
            .key("dest")
            .upload_id(&id)
            .part_number(n)
            .copy_source("pcopy/source")
            .copy_source_range(range)
            .send()
            .await
            .unwrap();
        let etag = out.copy_part_result().unwrap().e_tag().unwrap().to_string();
        parts.push(CompletedPart::builder().part_number(n).e_tag(etag).build());
    }
    let err = s3
        .upload_part_copy()
        .bucket("pcopy")
        .key("dest")
        .upload_id(&id)
        .part_number(3)
        .copy_source("pcopy/source")
        .copy_source_range("bytes=0-99999999")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArgument"));
    s3.complete_multipart_upload()
        .bucket("pcopy")
        .key("dest")
        .upload_id(&id)
        .multipart_upload(completion(parts))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "pcopy", "dest").await, src);
}

#[tokio::test]
async fn composite_and_full_object_checksums() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("mpsum").send().await.unwrap();
    for kind in [ChecksumType::Composite, ChecksumType::FullObject] {
        let key = format!("k-{}", kind.as_str());
        let id = s3
            .create_multipart_upload()
            .bucket("mpsum")
            .key(&key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .checksum_type(kind.clone())
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_string();
        let p1 = pattern(5 * MIB, 5);
        let p2 = pattern(100, 6);
        let mut parts = Vec::new();
        for (n, body) in [(1, &p1), (2, &p2)] {
            let out = s3
                .upload_part()
                .bucket("mpsum")
                .key(&key)
                .upload_id(&id)
                .part_number(n)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(ByteStream::from(body.clone()))
                .send()
                .await
                .unwrap();
            assert!(out.checksum_crc32().is_some());
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .e_tag(out.e_tag().unwrap())
                    .checksum_crc32(out.checksum_crc32().unwrap())
                    .build(),
            );
        }
        let done = s3
            .complete_multipart_upload()
            .bucket("mpsum")
            .key(&key)
            .upload_id(&id)
            .multipart_upload(completion(parts))
            .send()
            .await
            .unwrap();
        let sum = done.checksum_crc32().unwrap().to_string();
        assert_eq!(
            sum.ends_with("-2"),
            kind == ChecksumType::Composite,
            "{sum}"
        );
        // The SDK skips validating composite checksums and validates full-object ones.
        let got = s3
            .get_object()
            .bucket("mpsum")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(got.checksum_crc32(), Some(sum.as_str()));
        let data = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(data.len(), 5 * MIB + 100);
    }
}
