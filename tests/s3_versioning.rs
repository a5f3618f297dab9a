//! S3 versioning through the Rust SDK: version ids on every write, reads and deletes by
//! version id, delete markers, the `null` version, Suspended, ListObjectVersions.

mod common;
mod s3_support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use s3_support::{get, put, status};

async fn set_versioning(s3: &aws_sdk_s3::Client, bucket: &str, st: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(st).build())
        .send()
        .await
        .unwrap();
}

async fn put_v(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_string)
}

async fn get_v(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, v: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .version_id(v)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn versions_delete_markers_and_reads_by_id() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("vers").send().await.unwrap();
    // Written before versioning: the null version.
    assert_eq!(put_v(&s3, "vers", "k", b"v0").await, None);
    set_versioning(&s3, "vers", BucketVersioningStatus::Enabled).await;
    let v1 = put_v(&s3, "vers", "k", b"v1").await.unwrap();
    let v2 = put_v(&s3, "vers", "k", b"v2").await.unwrap();
    assert_ne!(v1, v2);
    assert!(
        v1.len() >= 32
            && v1
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );

    assert_eq!(get(&s3, "vers", "k").await, b"v2");
    assert_eq!(get_v(&s3, "vers", "k", &v1).await, b"v1");
    assert_eq!(get_v(&s3, "vers", "k", "null").await, b"v0");
    let got = s3
        .get_object()
        .bucket("vers")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_id(), Some(v2.as_str()));
    let head = s3
        .head_object()
        .bucket("vers")
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.version_id(), Some(v1.as_str()));
    assert_eq!(head.content_length(), Some(2));

    // A delete without a version id writes a delete marker.
    let del = s3
        .delete_object()
        .bucket("vers")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_string();
    let err = s3
        .get_object()
        .bucket("vers")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.headers().get("x-amz-delete-marker"), Some("true"));
    assert_eq!(get_v(&s3, "vers", "k", &v2).await, b"v2");
    let err = s3
        .get_object()
        .bucket("vers")
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 405);
    let listed = s3.list_objects_v2().bucket("vers").send().await.unwrap();
    assert!(listed.contents().is_empty());

    let versions = s3
        .list_object_versions()
        .bucket("vers")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, vec![v2.as_str(), v1.as_str(), "null"]);
    assert!(versions
        .versions()
        .iter()
        .all(|v| v.is_latest() == Some(false)));
    assert_eq!(versions.delete_markers().len(), 1);
    assert_eq!(
        versions.delete_markers()[0].version_id(),
        Some(marker.as_str())
    );
    assert_eq!(versions.delete_markers()[0].is_latest(), Some(true));

    // Deleting the marker brings the object back; deleting a version removes it for good.
    let del = s3
        .delete_object()
        .bucket("vers")
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(get(&s3, "vers", "k").await, b"v2");
    s3.delete_object()
        .bucket("vers")
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "vers", "k").await, b"v1");
    let err = s3
        .get_object()
        .bucket("vers")
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchVersion"));
    assert_eq!(status(&err), 404);
    let err = s3
        .get_object()
        .bucket("vers")
        .key("k")
        .version_id("not a version id")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArgument"));

    // The bucket is not empty while versions remain.
    let err = s3.delete_bucket().bucket("vers").send().await.unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"));
}

#[tokio::test]
async fn suspended_versioning_overwrites_the_null_version() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("susp").send().await.unwrap();
    set_versioning(&s3, "susp", BucketVersioningStatus::Enabled).await;
    let v1 = put_v(&s3, "susp", "k", b"one").await.unwrap();
    set_versioning(&s3, "susp", BucketVersioningStatus::Suspended).await;
    assert_eq!(
        put_v(&s3, "susp", "k", b"two").await.as_deref(),
        Some("null")
    );
    assert_eq!(
        put_v(&s3, "susp", "k", b"three").await.as_deref(),
        Some("null")
    );
    let versions = s3
        .list_object_versions()
        .bucket("susp")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, vec!["null", v1.as_str()]);
    assert_eq!(get(&s3, "susp", "k").await, b"three");
    let del = s3
        .delete_object()
        .bucket("susp")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(del.version_id(), Some("null"));
    let versions = s3
        .list_object_versions()
        .bucket("susp")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    assert_eq!(versions.delete_markers().len(), 1);
}

#[tokio::test]
async fn list_object_versions_pages_and_prefixes() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("pages").send().await.unwrap();
    set_versioning(&s3, "pages", BucketVersioningStatus::Enabled).await;
    for k in ["a/1", "a/2", "b"] {
        for i in 0..3 {
            put(&s3, "pages", k, format!("{k}{i}").as_bytes()).await;
        }
    }
    let mut seen = 0;
    let mut key_marker: Option<String> = None;
    let mut vid_marker: Option<String> = None;
    loop {
        let page = s3
            .list_object_versions()
            .bucket("pages")
            .max_keys(4)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(vid_marker.clone())
            .send()
            .await
            .unwrap();
        seen += page.versions().len();
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        vid_marker = page.next_version_id_marker().map(str::to_string);
    }
    assert_eq!(seen, 9);
    let grouped = s3
        .list_object_versions()
        .bucket("pages")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(grouped.common_prefixes()[0].prefix(), Some("a/"));
    assert_eq!(grouped.versions().len(), 3);
    let prefixed = s3
        .list_object_versions()
        .bucket("pages")
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.versions().len(), 6);
}
