//! Typed S3 records: buckets, object versions, multipart uploads and parts, checksums, tags.
//!
//! These are both the in-memory state and the rows written through to the store (tables
//! `s3.buckets`, `s3.objects`, `s3.uploads`, `s3.parts`); object bytes live apart, in files
//! named by [`BlobId`]s (see `storage.rs`), never by keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Store tables.
pub const T_BUCKETS: &str = "s3.buckets";
pub const T_OBJECTS: &str = "s3.objects";
pub const T_UPLOADS: &str = "s3.uploads";
pub const T_PARTS: &str = "s3.parts";

/// The version id of objects written while a bucket is not versioned (or suspended).
pub const NULL_VERSION: &str = "null";

/// The name of an object's bytes on disk: a random id, unrelated to the key.
pub type BlobId = String;

/// The versioning state of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Versioning {
    /// Never enabled: no `Status` in GetBucketVersioning, no version ids in responses.
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

impl Versioning {
    /// Whether responses carry `x-amz-version-id` (once versioning was ever turned on).
    pub fn shows_versions(self) -> bool {
        self != Versioning::Unversioned
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    pub region: String,
    /// The owning account.
    pub account: String,
    /// Epoch milliseconds.
    pub created: i64,
    pub versioning: Versioning,
    /// `None`: no tag set (GetBucketTagging answers NoSuchTagSet).
    pub tags: Option<Vec<Tag>>,
    /// `<EventBridgeConfiguration/>` is on: object events are published.
    pub eventbridge: bool,
}

/// A checksum algorithm of the `x-amz-checksum-*` family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// Parses `CRC32`, `crc32c`, ... (the SDKs differ in case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.wire_name().eq_ignore_ascii_case(s.trim()))
    }

    /// `CRC32`, as in `x-amz-checksum-algorithm`.
    pub fn wire_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// `x-amz-checksum-crc32`.
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// `ChecksumCRC32`, the XML element name.
    pub fn xml_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
            ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
            ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
            ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
            ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// Whether a full-object checksum of a multipart upload can be computed (the CRCs).
    pub fn supports_full_object(self) -> bool {
        matches!(
            self,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        )
    }
}

/// `x-amz-checksum-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumType {
    FullObject,
    Composite,
}

impl ChecksumType {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "FULL_OBJECT" => Some(ChecksumType::FullObject),
            "COMPOSITE" => Some(ChecksumType::Composite),
            _ => None,
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            ChecksumType::FullObject => "FULL_OBJECT",
            ChecksumType::Composite => "COMPOSITE",
        }
    }
}

/// A verified checksum of an object or part: base64 of the digest, with `-N` for a
/// composite checksum of N parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub value: String,
    pub kind: ChecksumType,
}

/// Content headers stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// Orders every write in the service (store key, event `sequencer`).
    pub seq: u64,
    pub bucket: String,
    pub key: String,
    /// A random token, or `null` for writes while unversioned or suspended.
    pub version_id: String,
    pub delete_marker: bool,
    /// The bytes on disk; `None` for delete markers.
    pub blob: Option<BlobId>,
    pub size: u64,
    /// Hex MD5 of the content, or `<hex md5 of part md5s>-N` for multipart objects (no quotes).
    pub etag: String,
    /// Epoch milliseconds.
    pub last_modified: i64,
    pub headers: ContentHeaders,
    /// User metadata (`x-amz-meta-*`), names in lower case without the prefix.
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<Tag>,
    pub checksum: Option<Checksum>,
    /// Part sizes of a multipart object, in part order; empty otherwise.
    pub parts: Vec<u64>,
}

impl ObjectVersion {
    /// The ETag as sent on the wire, quoted.
    pub fn quoted_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    pub fn is_null_version(&self) -> bool {
        self.version_id == NULL_VERSION
    }
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    /// Epoch milliseconds.
    pub initiated: i64,
    pub headers: ContentHeaders,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<Tag>,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    pub checksum_type: Option<ChecksumType>,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    pub bucket: String,
    pub upload_id: String,
    pub part_number: u32,
    pub blob: BlobId,
    pub size: u64,
    /// Hex MD5 of the part (no quotes).
    pub etag: String,
    pub last_modified: i64,
    pub checksum: Option<Checksum>,
}

/// Store keys: buckets by name; versions, uploads and parts under `<bucket>/` so that a
/// bucket's rows go with one prefix delete.
pub fn object_row(bucket: &str, seq: u64) -> String {
    format!("{bucket}/{seq:020}")
}

pub fn upload_row(bucket: &str, upload_id: &str) -> String {
    format!("{bucket}/{upload_id}")
}

pub fn part_row(bucket: &str, upload_id: &str, part_number: u32) -> String {
    format!("{bucket}/{upload_id}/{part_number:05}")
}

pub fn parts_prefix(bucket: &str, upload_id: &str) -> String {
    format!("{bucket}/{upload_id}/")
}
