//! S3 object events in EventBridge's shape (`source: aws.s3`, detail-types `Object Created` and
//! `Object Deleted`), produced when a bucket has `<EventBridgeConfiguration/>` on.
//!
//! There is no coupling to an event bus here: the service keeps a list of hooks
//! ([`EventHook`], registered with `ObjectStore::on_event`) and calls each with every event,
//! after the change is stored and outside any lock. Start-up connects the hooks to the
//! internal bus; tests register their own.

use std::sync::Arc;

use serde::Serialize;

use super::model::ObjectVersion;

/// A callback receiving every S3 event; it must not block (hand the event on and return).
pub type EventHook = Arc<dyn Fn(&S3Event) + Send + Sync>;

/// One event in EventBridge's envelope.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct S3Event {
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub account: String,
    /// `2026-01-03T00:00:12Z`, second precision.
    pub time: String,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: ObjectEventDetail,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectEventDetail {
    pub version: String,
    pub bucket: BucketRef,
    pub object: ObjectRef,
    #[serde(rename = "request-id")]
    pub request_id: String,
    pub requester: String,
    #[serde(rename = "source-ip-address")]
    pub source_ip_address: String,
    /// `PutObject`, `CopyObject`, `CompleteMultipartUpload`, `DeleteObject`.
    pub reason: String,
    /// Object Deleted only: `Permanently Deleted` or `Delete Marker Created`.
    #[serde(rename = "deletion-type", skip_serializing_if = "Option::is_none")]
    pub deletion_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BucketRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectRef {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Only for buckets with versioning on.
    #[serde(rename = "version-id", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub sequencer: String,
}

/// Who caused the event and through which request.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub request_id: String,
    pub account: String,
    pub source_ip: String,
}

impl S3Event {
    /// `Object Created` for a new version.
    pub fn created(v: &ObjectVersion, region: &str, origin: &Origin, reason: &str) -> Self {
        Self::build(
            "Object Created",
            v,
            region,
            origin,
            reason,
            None,
            Some(v.size),
            Some(v.etag.clone()),
        )
    }

    /// `Object Deleted` for a removed version or a new delete marker.
    pub fn deleted(v: &ObjectVersion, region: &str, origin: &Origin) -> Self {
        let deletion = if v.delete_marker {
            "Delete Marker Created"
        } else {
            "Permanently Deleted"
        };
        Self::build(
            "Object Deleted",
            v,
            region,
            origin,
            "DeleteObject",
            Some(deletion.to_string()),
            None,
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        detail_type: &str,
        v: &ObjectVersion,
        region: &str,
        origin: &Origin,
        reason: &str,
        deletion_type: Option<String>,
        size: Option<u64>,
        etag: Option<String>,
    ) -> Self {
        S3Event {
            version: "0".into(),
            id: uuid::Uuid::new_v4().to_string(),
            detail_type: detail_type.into(),
            source: "aws.s3".into(),
            account: origin.account.clone(),
            time: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            region: region.into(),
            resources: vec![format!("arn:aws:s3:::{}", v.bucket)],
            detail: ObjectEventDetail {
                version: "0".into(),
                bucket: BucketRef {
                    name: v.bucket.clone(),
                },
                object: ObjectRef {
                    key: v.key.clone(),
                    size,
                    etag,
                    version_id: (!v.is_null_version()).then(|| v.version_id.clone()),
                    sequencer: format!("{:016X}", v.seq),
                },
                request_id: origin.request_id.clone(),
                requester: origin.account.clone(),
                source_ip_address: origin.source_ip.clone(),
                reason: reason.into(),
                deletion_type,
            },
        }
    }
}
