//! S3 bucket operations through the Rust SDK: create (with and without a location constraint,
//! re-creation rules, invalid names), head, list, delete (not empty), location, versioning,
//! tagging, notification configuration.

mod common;
mod s3_support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    EventBridgeConfiguration, NotificationConfiguration, Tag, Tagging, VersioningConfiguration,
};
use s3_support::status;

#[tokio::test]
async fn create_head_list_delete() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("alpha").send().await.unwrap();
    let out = s3
        .create_bucket()
        .bucket("beta-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.location(), Some("/beta-eu"));

    let head = s3.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let head = s3.head_bucket().bucket("beta-eu").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("eu-west-1"));

    let loc = s3
        .get_bucket_location()
        .bucket("beta-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );
    let loc = s3
        .get_bucket_location()
        .bucket("alpha")
        .send()
        .await
        .unwrap();
    assert!(loc
        .location_constraint()
        .is_none_or(|l| l.as_str().is_empty()));

    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, vec!["alpha", "beta-eu"]);
    assert!(list.buckets()[0].creation_date().is_some());
    assert!(list.owner().is_some());

    s3.delete_bucket().bucket("alpha").send().await.unwrap();
    let err = s3.head_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(status(&err), 404);
    let err = s3.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"));
    assert_eq!(status(&err), 404);
}

#[tokio::test]
async fn recreation_rules_and_invalid_names() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("again").send().await.unwrap();
    // us-east-1: re-creating your own bucket answers 200.
    s3.create_bucket().bucket("again").send().await.unwrap();
    s3.create_bucket()
        .bucket("again-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let err = s3
        .create_bucket()
        .bucket("again-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BucketAlreadyOwnedByYou"));
    assert_eq!(status(&err), 409);

    for bad in [
        "ab",
        "Upper-Case",
        "under_score",
        "a..b",
        "192.168.1.1",
        "-dash",
    ] {
        let err = s3.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidBucketName"), "{bad}");
        assert_eq!(status(&err), 400, "{bad}");
    }
}

#[tokio::test]
async fn delete_refuses_a_non_empty_bucket() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("full").send().await.unwrap();
    s3.put_object()
        .bucket("full")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"));
    assert_eq!(status(&err), 409);
    s3.delete_object()
        .bucket("full")
        .key("k")
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("full").send().await.unwrap();
}

#[tokio::test]
async fn versioning_configuration() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("ver").send().await.unwrap();
    let v = s3
        .get_bucket_versioning()
        .bucket("ver")
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), None);
    for st in [
        BucketVersioningStatus::Enabled,
        BucketVersioningStatus::Suspended,
    ] {
        s3.put_bucket_versioning()
            .bucket("ver")
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(st.clone())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let v = s3
            .get_bucket_versioning()
            .bucket("ver")
            .send()
            .await
            .unwrap();
        assert_eq!(v.status(), Some(&st));
    }
    let err = s3
        .get_bucket_versioning()
        .bucket("nope-nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"));
}

#[tokio::test]
async fn bucket_tagging() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("tags").send().await.unwrap();
    let err = s3
        .get_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchTagSet"));
    assert_eq!(status(&err), 404);
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("team").value("ci").build().unwrap())
        .tag_set(
            Tag::builder()
                .key("env")
                .value("dev & test")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("tags")
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_tagging().bucket("tags").send().await.unwrap();
    let pairs: Vec<_> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, vec![("team", "ci"), ("env", "dev & test")]);
    s3.delete_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .unwrap();
    let err = s3
        .get_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchTagSet"));

    let dup = Tagging::builder()
        .tag_set(Tag::builder().key("a").value("1").build().unwrap())
        .tag_set(Tag::builder().key("a").value("2").build().unwrap())
        .build()
        .unwrap();
    let err = s3
        .put_bucket_tagging()
        .bucket("tags")
        .tagging(dup)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidTag"));
}

#[tokio::test]
async fn eventbridge_notification_switch() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("notes").send().await.unwrap();
    let n = s3
        .get_bucket_notification_configuration()
        .bucket("notes")
        .send()
        .await
        .unwrap();
    assert!(n.event_bridge_configuration().is_none());
    s3.put_bucket_notification_configuration()
        .bucket("notes")
        .notification_configuration(
            NotificationConfiguration::builder()
                .event_bridge_configuration(EventBridgeConfiguration::builder().build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let n = s3
        .get_bucket_notification_configuration()
        .bucket("notes")
        .send()
        .await
        .unwrap();
    assert!(n.event_bridge_configuration().is_some());
    s3.put_bucket_notification_configuration()
        .bucket("notes")
        .notification_configuration(NotificationConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    let n = s3
        .get_bucket_notification_configuration()
        .bucket("notes")
        .send()
        .await
        .unwrap();
    assert!(n.event_bridge_configuration().is_none());
}

#[tokio::test]
async fn unsupported_bucket_operations_are_not_implemented() {
    let server = common::start();
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("plain").send().await.unwrap();
    let err = s3
        .get_bucket_policy()
        .bucket("plain")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotImplemented"));
    assert_eq!(status(&err), 501);
    assert!(err.message().unwrap_or("").contains("not implemented"));
}
