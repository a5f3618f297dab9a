//! Multipart uploads in the domain: create, upload parts, complete (S3's order and size rules,
//! the `"<md5 of part md5s>-N"` ETag, composite or full-object checksums), abort, list parts.
//!
//! Completing concatenates the part files into one new blob outside the lock (a kernel-side
//! copy unless a full-object checksum has to be computed), then stores the version and drops
//! the upload in one batch.

use crate::store::Batch;

use super::checksum::{b64, b64_decode, hex, hex_decode, md5, BodyDigests, Hasher};
use super::errors::{ErrorCode, S3Error};
use super::events::Origin;
use super::model::{
    part_row, parts_prefix, upload_row, Checksum, ChecksumAlgorithm, ChecksumType, ObjectVersion,
    PartRecord, UploadRecord, Versioning, T_PARTS, T_UPLOADS,
};
use super::service::{now_millis, NewVersion, ObjectStore, PutOptions, WritePrecondition};
use super::state::UploadState;
use super::storage::WrittenBlob;
use super::validate::{self, MIN_PART_SIZE};

/// One `<Part>` of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// Without quotes.
    pub etag: String,
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
}

/// What a CompleteMultipartUpload request asks.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub parts: Vec<CompletedPart>,
    /// A whole-object checksum the client sent (FULL_OBJECT uploads).
    pub full_checksum: Option<(ChecksumAlgorithm, String)>,
    pub precondition: WritePrecondition,
}

/// An upload id: long, random, URL-safe.
fn new_upload_id() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

impl ObjectStore {
    /// CreateMultipartUpload.
    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        opts: PutOptions,
        checksum_algorithm: Option<ChecksumAlgorithm>,
        checksum_type: Option<ChecksumType>,
    ) -> Result<UploadRecord, S3Error> {
        validate::object_key(key)?;
        if let (Some(a), Some(ChecksumType::FullObject)) = (checksum_algorithm, checksum_type) {
            if !a.supports_full_object() {
                return Err(S3Error::invalid_request(format!(
                    "The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.",
                    a.wire_name()
                )));
            }
        }
        if checksum_type.is_some() && checksum_algorithm.is_none() {
            return Err(S3Error::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ));
        }
        let record = UploadRecord {
            upload_id: new_upload_id(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            initiated: now_millis(),
            headers: opts.headers,
            metadata: opts.metadata,
            tags: opts.tags,
            checksum_algorithm,
            checksum_type: checksum_algorithm.map(|a| {
                checksum_type.unwrap_or(if a == ChecksumAlgorithm::Crc64Nvme {
                    ChecksumType::FullObject
                } else {
                    ChecksumType::Composite
                })
            }),
        };
        let mut state = self.write();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let mut batch = Batch::new();
        batch.put(T_UPLOADS, upload_row(bucket, &record.upload_id), &record);
        self.apply(batch)?;
        b.uploads.insert(
            record.upload_id.clone(),
            UploadState {
                record: record.clone(),
                parts: Default::default(),
            },
        );
        Ok(record)
    }

    /// The upload's record (to know its checksum algorithm before a part streams in).
    pub fn upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadRecord, S3Error> {
        self.read_bucket(bucket, |b| {
            b.uploads
                .get(upload_id)
                .filter(|u| u.record.key == key)
                .map(|u| u.record.clone())
        })?
        .ok_or_else(|| S3Error::no_such_upload(upload_id))
    }

    /// UploadPart / UploadPartCopy: stores (or replaces) one part.
    pub fn commit_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        blob: WrittenBlob,
        checksum: Option<Checksum>,
    ) -> Result<PartRecord, S3Error> {
        let size = blob.size();
        let etag = blob
            .digests
            .md5
            .map(|m| hex(&m))
            .ok_or_else(|| S3Error::internal("a part was received without its MD5"))?;
        let id = blob.commit()?;
        let part = PartRecord {
            bucket: bucket.to_string(),
            upload_id: upload_id.to_string(),
            part_number,
            blob: id.clone(),
            size,
            etag,
            last_modified: now_millis(),
            checksum,
        };
        let stored = (|| {
            let mut state = self.write();
            let b = state
                .buckets
                .get_mut(bucket)
                .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
            let u = b
                .uploads
                .get_mut(upload_id)
                .filter(|u| u.record.key == key)
                .ok_or_else(|| S3Error::no_such_upload(upload_id))?;
            let mut batch = Batch::new();
            batch.put(T_PARTS, part_row(bucket, upload_id, part_number), &part);
            self.apply(batch)?;
            Ok(u.parts.insert(part_number, part.clone()))
        })();
        match stored {
            Ok(old) => {
                if let Some(old) = old {
                    self.blobs().remove(&old.blob);
                }
                Ok(part)
            }
            Err(e) => {
                self.blobs().remove(&id);
                Err(e)
            }
        }
    }

    /// AbortMultipartUpload.
    pub fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), S3Error> {
        let mut state = self.write();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        if b.uploads.get(upload_id).is_none_or(|u| u.record.key != key) {
            return Err(S3Error::no_such_upload(upload_id));
        }
        let mut batch = Batch::new();
        batch
            .delete(T_UPLOADS, upload_row(bucket, upload_id))
            .delete_prefix(T_PARTS, parts_prefix(bucket, upload_id));
        self.apply(batch)?;
        let removed = b.uploads.remove(upload_id);
        drop(state);
        for p in removed.into_iter().flat_map(|u| u.parts.into_values()) {
            self.blobs().remove(&p.blob);
        }
        Ok(())
    }

    /// ListParts: the upload and its parts in part order.
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(UploadRecord, Vec<PartRecord>), S3Error> {
        self.read_bucket(bucket, |b| {
            b.uploads
                .get(upload_id)
                .filter(|u| u.record.key == key)
                .map(|u| (u.record.clone(), u.parts.values().cloned().collect()))
        })?
        .ok_or_else(|| S3Error::no_such_upload(upload_id))
    }

    /// CompleteMultipartUpload; blocking: the parts are copied into one blob.
    pub fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        completion: Completion,
        origin: &Origin,
    ) -> Result<(ObjectVersion, Versioning), S3Error> {
        let Completion {
            parts: requested,
            full_checksum,
            precondition,
        } = completion;
        // Snapshot the upload and open its part files under the read lock.
        let (upload, chosen) = {
            let state = self.read();
            let b = state
                .buckets
                .get(bucket)
                .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
            let u = b
                .uploads
                .get(upload_id)
                .filter(|u| u.record.key == key)
                .ok_or_else(|| S3Error::no_such_upload(upload_id))?;
            let chosen = choose_parts(u, &requested)?;
            let mut opened = Vec::with_capacity(chosen.len());
            for p in chosen {
                let file = self.blobs().open_blob(&p.blob)?;
                opened.push((p, file));
            }
            (u.record.clone(), opened)
        };

        let algorithm = upload.checksum_algorithm;
        let full_object =
            upload.checksum_type == Some(ChecksumType::FullObject) || full_checksum.is_some();
        let mut digest_algs = Vec::new();
        if full_object {
            if let Some(a) = algorithm.or(full_checksum.as_ref().map(|(a, _)| *a)) {
                digest_algs.push(a);
            }
        }
        let part_checksums: Option<Vec<String>> = algorithm.and_then(|a| {
            chosen
                .iter()
                .map(|(p, _)| {
                    p.checksum
                        .as_ref()
                        .filter(|c| c.algorithm == a)
                        .map(|c| c.value.clone())
                })
                .collect()
        });
        let mut w = self
            .blobs()
            .create(BodyDigests::without_md5(&digest_algs))?;
        let mut md5s = Vec::with_capacity(chosen.len() * 16);
        let mut sizes = Vec::with_capacity(chosen.len());
        for (p, mut file) in chosen {
            w.append_file(&mut file, p.size)?;
            md5s.extend(hex_decode(&p.etag).unwrap_or_default());
            sizes.push(p.size);
        }
        let blob = w.finish()?;
        let n = sizes.len();
        let etag = format!("{}-{n}", hex(&md5(&md5s)));

        let checksum = if full_object {
            match digest_algs.first() {
                Some(a) => {
                    let computed = blob.digests.checksum(*a).unwrap_or_default().to_string();
                    if let Some((fa, sent)) = &full_checksum {
                        if fa == a && sent != &computed {
                            return Err(S3Error::with_message(
                                ErrorCode::BadDigest,
                                format!(
                                    "The {} you specified did not match the calculated checksum.",
                                    a.wire_name().to_lowercase()
                                ),
                            ));
                        }
                    }
                    Some(Checksum {
                        algorithm: *a,
                        value: computed,
                        kind: ChecksumType::FullObject,
                    })
                }
                None => None,
            }
        } else {
            algorithm.and_then(|a| composite_checksum(a, part_checksums.as_deref()?, n))
        };

        let size: u64 = sizes.iter().sum();
        let id = blob.commit()?;
        let new = NewVersion {
            blob: id,
            size,
            etag,
            parts: sizes,
            opts: PutOptions {
                headers: upload.headers,
                metadata: upload.metadata,
                tags: upload.tags,
                checksum,
                precondition,
            },
        };
        self.write_version(
            bucket,
            key,
            new,
            Some(upload_id),
            origin,
            "CompleteMultipartUpload",
        )
    }
}

/// The parts a completion names, checked against S3's rules.
fn choose_parts(u: &UploadState, requested: &[CompletedPart]) -> Result<Vec<PartRecord>, S3Error> {
    if requested.is_empty() {
        return Err(S3Error::with_message(
            ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema: at least one part must be specified",
        ));
    }
    let mut chosen: Vec<PartRecord> = Vec::with_capacity(requested.len());
    for (i, r) in requested.iter().enumerate() {
        if i > 0 && r.part_number <= requested[i - 1].part_number {
            return Err(S3Error::new(ErrorCode::InvalidPartOrder));
        }
        let invalid = || {
            S3Error::new(ErrorCode::InvalidPart)
                .detail("UploadId", u.record.upload_id.clone())
                .detail("PartNumber", r.part_number.to_string())
                .detail("ETag", r.etag.clone())
        };
        let p = u.parts.get(&r.part_number).ok_or_else(invalid)?;
        if p.etag != r.etag.trim_matches('"') {
            return Err(invalid());
        }
        for (a, value) in &r.checksums {
            if let Some(c) = p.checksum.as_ref().filter(|c| c.algorithm == *a) {
                if &c.value != value {
                    return Err(invalid());
                }
            }
        }
        chosen.push(p.clone());
    }
    let last = chosen.len() - 1;
    for (i, p) in chosen.iter().enumerate() {
        if i < last && p.size < MIN_PART_SIZE {
            return Err(S3Error::new(ErrorCode::EntityTooSmall)
                .detail("ProposedSize", p.size.to_string())
                .detail("MinSizeAllowed", MIN_PART_SIZE.to_string())
                .detail("PartNumber", p.part_number.to_string())
                .detail("ETag", p.etag.clone()));
        }
    }
    Ok(chosen)
}

/// A composite checksum: the checksum of the concatenated binary part checksums, `-N`.
fn composite_checksum(
    algorithm: ChecksumAlgorithm,
    parts: &[String],
    n: usize,
) -> Option<Checksum> {
    if parts.len() != n {
        return None;
    }
    let mut h = Hasher::new(algorithm);
    for p in parts {
        h.update(&b64_decode(p)?);
    }
    Some(Checksum {
        algorithm,
        value: format!("{}-{n}", b64(&h.finish())),
        kind: ChecksumType::Composite,
    })
}
