//! [`ObjectStore`]: the S3 domain, and the handle other services use without HTTP (the
//! pipeline artifact store, CodeBuild, CodeDeploy).
//!
//! It owns the metadata lock, the write-through to the store, the blob directories and the
//! event hooks. Every write follows one order: bytes complete and verified in a temporary file,
//! renamed into place, the metadata change stored, then made visible in memory, then replaced
//! blobs unlinked and events published. Readers open a version's file while holding the read
//! lock, so a concurrent overwrite (which unlinks only after taking the write lock) can never
//! pull the file from under them.
//!
//! The methods block on file I/O: async callers with large objects run them on a blocking
//! thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::Engine;

use crate::store::{Batch, Store};

use super::checksum::hex;
use super::errors::{ErrorCode, S3Error};
use super::events::{EventHook, Origin, S3Event};
use super::model::{
    object_row, parts_prefix, upload_row, BlobId, BucketRecord, Checksum, ContentHeaders,
    ObjectVersion, Tag, Versioning, NULL_VERSION, T_BUCKETS, T_OBJECTS, T_PARTS, T_UPLOADS,
};
use super::state::{BucketState, State};
use super::storage::{BlobStore, WrittenBlob};
use super::validate;

/// A clonable handle to the S3 service's buckets and objects.
#[derive(Clone)]
pub struct ObjectStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: RwLock<State>,
    store: Arc<Store>,
    blobs: BlobStore,
    hooks: RwLock<Vec<EventHook>>,
    default_region: String,
    default_account: String,
}

/// What a write stores besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    pub headers: ContentHeaders,
    /// User metadata, names without `x-amz-meta-` (stored in lower case).
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<Tag>,
    /// A checksum verified against the bytes (or computed for them).
    pub checksum: Option<Checksum>,
    pub precondition: WritePrecondition,
}

/// Conditional writes: `If-None-Match: *` (only if absent), `If-Match: <etag>`.
#[derive(Debug, Clone, Default)]
pub struct WritePrecondition {
    pub if_none_match_any: bool,
    pub if_match: Option<String>,
}

/// The result of DeleteObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version removed or the delete marker created (none on unversioned buckets).
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

/// The bytes and identity of a version about to be stored.
pub(super) struct NewVersion {
    pub blob: BlobId,
    pub size: u64,
    pub etag: String,
    pub parts: Vec<u64>,
    pub opts: PutOptions,
}

/// A fresh version id: 32 URL-safe characters.
fn new_version_id() -> String {
    let mut bytes = [0u8; 24];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..8]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a client-sent version id could be one of ours (else S3 answers InvalidArgument).
fn plausible_version_id(id: &str) -> bool {
    id == NULL_VERSION
        || (!id.is_empty()
            && id.len() <= 1024
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.+/=".contains(&b)))
}

pub(super) fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether an `If-Match`/`If-None-Match` list names this ETag (or is `*`).
pub(super) fn etag_matches(condition: &str, etag: &str) -> bool {
    condition
        .split(',')
        .map(|c| c.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|c| c == "*" || c == etag)
}

impl ObjectStore {
    /// Loads the buckets and objects from the store and opens the blob directories; blobs no
    /// record references (a crash between the two) are removed.
    pub fn open(
        store: Arc<Store>,
        default_region: &str,
        default_account: &str,
    ) -> Result<Self, String> {
        let state = State::load(&store).map_err(|e| format!("loading S3 metadata: {e}"))?;
        let blobs = BlobStore::open(store.blob_root())
            .map_err(|e| format!("opening the S3 blob directory: {e}"))?;
        let removed = blobs.collect_garbage(&state.referenced_blobs());
        if removed > 0 {
            tracing::info!(removed, "removed S3 blobs that no record references");
        }
        Ok(ObjectStore {
            inner: Arc::new(Inner {
                state: RwLock::new(state),
                store,
                blobs,
                hooks: RwLock::new(Vec::new()),
                default_region: default_region.to_string(),
                default_account: default_account.to_string(),
            }),
        })
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn default_region(&self) -> &str {
        &self.inner.default_region
    }

    pub fn default_account(&self) -> &str {
        &self.inner.default_account
    }

    /// Registers a hook called with every event of buckets that have EventBridge on.
    pub fn on_event(&self, hook: EventHook) {
        self.inner
            .hooks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(hook);
    }

    pub(super) fn emit(&self, events: Vec<S3Event>) {
        if events.is_empty() {
            return;
        }
        let hooks = self.inner.hooks.read().unwrap_or_else(|p| p.into_inner());
        for e in &events {
            for h in hooks.iter() {
                h(e);
            }
        }
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn apply(&self, batch: Batch) -> Result<(), S3Error> {
        Ok(self.inner.store.apply(batch)?)
    }

    /// Forgets every bucket and blob (the store itself is wiped by the admin reset).
    pub fn reset(&self) {
        let mut state = self.write();
        *state = State::default();
        self.inner.blobs.clear();
    }

    pub(super) fn internal_origin(&self, account: &str) -> Origin {
        Origin {
            request_id: uuid::Uuid::new_v4().to_string(),
            account: account.to_string(),
            source_ip: "127.0.0.1".into(),
        }
    }

    // ----- buckets -----

    /// Creates a bucket in `region` for `account`. `Ok(false)`: the caller already owned it in
    /// us-east-1, where S3 answers a re-creation with 200.
    pub fn create_bucket(&self, name: &str, region: &str, account: &str) -> Result<bool, S3Error> {
        validate::bucket_name(name)?;
        let mut state = self.write();
        if let Some(existing) = state.buckets.get(name) {
            let r = &existing.record;
            if r.account != account {
                return Err(S3Error::new(ErrorCode::BucketAlreadyExists).detail("BucketName", name));
            }
            if r.region == "us-east-1" && region == "us-east-1" {
                return Ok(false);
            }
            return Err(S3Error::new(ErrorCode::BucketAlreadyOwnedByYou).detail("BucketName", name));
        }
        let record = BucketRecord {
            name: name.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            created: now_millis(),
            versioning: Versioning::Unversioned,
            tags: None,
            eventbridge: false,
        };
        let mut batch = Batch::new();
        batch.put(T_BUCKETS, name, &record);
        self.apply(batch)?;
        state
            .buckets
            .insert(name.to_string(), BucketState::new(record));
        Ok(true)
    }

    /// A bucket's record, or NoSuchBucket.
    pub fn bucket(&self, name: &str) -> Result<BucketRecord, S3Error> {
        self.read()
            .buckets
            .get(name)
            .map(|b| b.record.clone())
            .ok_or_else(|| S3Error::no_such_bucket(name))
    }

    /// The buckets of an account, by name.
    pub fn list_buckets(&self, account: &str) -> Vec<BucketRecord> {
        self.read()
            .buckets
            .values()
            .filter(|b| b.record.account == account)
            .map(|b| b.record.clone())
            .collect()
    }

    /// Deletes an empty bucket (in-progress multipart uploads go with it).
    pub fn delete_bucket(&self, name: &str) -> Result<(), S3Error> {
        let mut state = self.write();
        let b = state
            .buckets
            .get(name)
            .ok_or_else(|| S3Error::no_such_bucket(name))?;
        if b.has_objects() {
            return Err(S3Error::new(ErrorCode::BucketNotEmpty).detail("BucketName", name));
        }
        let part_blobs: Vec<BlobId> = b
            .uploads
            .values()
            .flat_map(|u| u.parts.values().map(|p| p.blob.clone()))
            .collect();
        let prefix = format!("{name}/");
        let mut batch = Batch::new();
        batch
            .delete(T_BUCKETS, name)
            .delete_prefix(T_OBJECTS, prefix.clone())
            .delete_prefix(T_UPLOADS, prefix.clone())
            .delete_prefix(T_PARTS, prefix);
        self.apply(batch)?;
        state.buckets.remove(name);
        drop(state);
        for id in part_blobs {
            self.inner.blobs.remove(&id);
        }
        Ok(())
    }

    /// Changes a bucket's record (versioning, tags, notifications).
    pub fn update_bucket(
        &self,
        name: &str,
        change: impl FnOnce(&mut BucketRecord) -> Result<(), S3Error>,
    ) -> Result<BucketRecord, S3Error> {
        let mut state = self.write();
        let b = state
            .buckets
            .get_mut(name)
            .ok_or_else(|| S3Error::no_such_bucket(name))?;
        let mut record = b.record.clone();
        change(&mut record)?;
        let mut batch = Batch::new();
        batch.put(T_BUCKETS, name, &record);
        self.apply(batch)?;
        b.record = record.clone();
        Ok(record)
    }

    /// Runs `f` on a bucket's state under the read lock (listings).
    pub fn read_bucket<R>(
        &self,
        name: &str,
        f: impl FnOnce(&BucketState) -> R,
    ) -> Result<R, S3Error> {
        let state = self.read();
        let b = state
            .buckets
            .get(name)
            .ok_or_else(|| S3Error::no_such_bucket(name))?;
        Ok(f(b))
    }

    // ----- objects -----

    /// Stores a received body as the new version of `key`.
    pub fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        blob: WrittenBlob,
        opts: PutOptions,
        origin: &Origin,
        reason: &str,
    ) -> Result<(ObjectVersion, Versioning), S3Error> {
        validate::object_key(key)?;
        let size = blob.size();
        let etag = blob
            .digests
            .md5
            .map(|m| hex(&m))
            .ok_or_else(|| S3Error::internal("a body was received without its MD5"))?;
        let id = blob.commit()?;
        let new = NewVersion {
            blob: id,
            size,
            etag,
            parts: Vec::new(),
            opts,
        };
        self.write_version(bucket, key, new, None, origin, reason)
    }

    /// Stores a version whose blob is in place. With `upload_id`, the multipart upload is
    /// removed in the same batch (its part blobs are unlinked afterwards).
    pub(super) fn write_version(
        &self,
        bucket: &str,
        key: &str,
        new: NewVersion,
        upload_id: Option<&str>,
        origin: &Origin,
        reason: &str,
    ) -> Result<(ObjectVersion, Versioning), S3Error> {
        let blob = new.blob.clone();
        let result = self.write_version_inner(bucket, key, new, upload_id, origin, reason);
        if result.is_err() {
            self.inner.blobs.remove(&blob);
        }
        let (version, versioning, unlink, event) = result?;
        for id in unlink {
            self.inner.blobs.remove(&id);
        }
        self.emit(event.into_iter().collect());
        Ok((version, versioning))
    }

    #[allow(clippy::type_complexity)]
    fn write_version_inner(
        &self,
        bucket: &str,
        key: &str,
        new: NewVersion,
        upload_id: Option<&str>,
        origin: &Origin,
        reason: &str,
    ) -> Result<(ObjectVersion, Versioning, Vec<BlobId>, Option<S3Event>), S3Error> {
        let mut state = self.write();
        let seq = state.seq();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let current = b.current(key).filter(|v| !v.delete_marker);
        let pre = &new.opts.precondition;
        if pre.if_none_match_any && current.is_some() {
            return Err(S3Error::precondition_failed("If-None-Match"));
        }
        if let Some(cond) = &pre.if_match {
            match current {
                Some(v) if etag_matches(cond, &v.etag) => {}
                Some(_) => return Err(S3Error::precondition_failed("If-Match")),
                None => return Err(S3Error::no_such_key(key)),
            }
        }
        let mut batch = Batch::new();
        let mut unlink = Vec::new();
        if let Some(id) = upload_id {
            let upload = b
                .uploads
                .get(id)
                .filter(|u| u.record.key == key)
                .ok_or_else(|| S3Error::no_such_upload(id))?;
            unlink.extend(upload.parts.values().map(|p| p.blob.clone()));
            batch
                .delete(T_UPLOADS, upload_row(bucket, id))
                .delete_prefix(T_PARTS, parts_prefix(bucket, id));
        }
        let versioning = b.record.versioning;
        let version_id = if versioning == Versioning::Enabled {
            new_version_id()
        } else {
            NULL_VERSION.to_string()
        };
        let replaced = b.replaced_by_write(key);
        let version = ObjectVersion {
            seq,
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id,
            delete_marker: false,
            blob: Some(new.blob),
            size: new.size,
            etag: new.etag,
            last_modified: now_millis(),
            headers: new.opts.headers,
            metadata: new.opts.metadata,
            tags: new.opts.tags,
            checksum: new.opts.checksum,
            parts: new.parts,
        };
        batch.put(T_OBJECTS, object_row(bucket, seq), &version);
        for r in &replaced {
            batch.delete(T_OBJECTS, object_row(bucket, r.seq));
            unlink.extend(r.blob.clone());
        }
        self.apply(batch)?;
        if let Some(id) = upload_id {
            b.uploads.remove(id);
        }
        b.insert(version.clone(), &replaced);
        let event = b
            .record
            .eventbridge
            .then(|| S3Event::created(&version, &b.record.region, origin, reason));
        Ok((version, versioning, unlink, event))
    }

    /// A version's record (the current one without `version_id`), with S3's errors for missing
    /// keys, versions and delete markers.
    pub fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(ObjectVersion, Versioning), S3Error> {
        let state = self.read();
        let b = state
            .buckets
            .get(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let v = lookup(b, key, version_id)?;
        Ok((v.clone(), b.record.versioning))
    }

    /// A version's record and its bytes, opened under the lock.
    pub fn open_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(ObjectVersion, Versioning, File), S3Error> {
        let state = self.read();
        let b = state
            .buckets
            .get(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let v = lookup(b, key, version_id)?;
        let id = v
            .blob
            .as_deref()
            .ok_or_else(|| S3Error::internal("an object version without bytes"))?;
        let file = self.inner.blobs.open_blob(id)?;
        Ok((v.clone(), b.record.versioning, file))
    }

    /// DeleteObject: removes a version, or writes a delete marker on versioned buckets.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        origin: &Origin,
    ) -> Result<DeleteOutcome, S3Error> {
        if let Some(id) = version_id {
            if !plausible_version_id(id) {
                return Err(S3Error::invalid_argument(
                    "Invalid version id specified",
                    "versionId",
                    id,
                ));
            }
        }
        let mut state = self.write();
        let seq = state.seq();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let versioning = b.record.versioning;
        let mut batch = Batch::new();
        let (outcome, removed, marker) = match version_id {
            Some(id) => {
                let Some(v) = b.version(key, id).cloned() else {
                    // Deleting a version that does not exist is a successful no-op.
                    return Ok(DeleteOutcome {
                        version_id: Some(id.to_string()),
                        delete_marker: false,
                    });
                };
                batch.delete(T_OBJECTS, object_row(bucket, v.seq));
                let outcome = DeleteOutcome {
                    version_id: Some(id.to_string()),
                    delete_marker: v.delete_marker,
                };
                (outcome, vec![v], None)
            }
            None if versioning == Versioning::Unversioned => {
                let removed = b.replaced_by_write(key);
                for r in &removed {
                    batch.delete(T_OBJECTS, object_row(bucket, r.seq));
                }
                let outcome = DeleteOutcome {
                    version_id: None,
                    delete_marker: false,
                };
                (outcome, removed, None)
            }
            None => {
                let replaced = b.replaced_by_write(key);
                let marker = ObjectVersion {
                    seq,
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    version_id: if versioning == Versioning::Enabled {
                        new_version_id()
                    } else {
                        NULL_VERSION.to_string()
                    },
                    delete_marker: true,
                    blob: None,
                    size: 0,
                    etag: String::new(),
                    last_modified: now_millis(),
                    headers: ContentHeaders::default(),
                    metadata: BTreeMap::new(),
                    tags: Vec::new(),
                    checksum: None,
                    parts: Vec::new(),
                };
                batch.put(T_OBJECTS, object_row(bucket, seq), &marker);
                for r in &replaced {
                    batch.delete(T_OBJECTS, object_row(bucket, r.seq));
                }
                let outcome = DeleteOutcome {
                    version_id: Some(marker.version_id.clone()),
                    delete_marker: true,
                };
                (outcome, replaced, Some(marker))
            }
        };
        self.apply(batch)?;
        let mut events = Vec::new();
        let region = b.record.region.clone();
        match &marker {
            Some(m) => b.insert(m.clone(), &removed),
            None => {
                for r in &removed {
                    b.remove(key, r.seq);
                }
            }
        }
        if b.record.eventbridge {
            match &marker {
                Some(m) => events.push(S3Event::deleted(m, &region, origin)),
                None => events.extend(removed.iter().map(|r| S3Event::deleted(r, &region, origin))),
            }
        }
        drop(state);
        for r in &removed {
            if let Some(id) = &r.blob {
                self.inner.blobs.remove(id);
            }
        }
        self.emit(events);
        Ok(outcome)
    }

    /// Replaces the tags of a version (the current one without `version_id`).
    pub fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<ObjectVersion, S3Error> {
        validate::tags(&tags, 10)?;
        let mut state = self.write();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        let mut v = lookup(b, key, version_id)?.clone();
        v.tags = tags;
        let mut batch = Batch::new();
        batch.put(T_OBJECTS, object_row(bucket, v.seq), &v);
        self.apply(batch)?;
        b.replace(v.clone());
        Ok(v)
    }
}

/// Finds the version a read names, with S3's answers for what is not there.
pub(super) fn lookup<'a>(
    b: &'a BucketState,
    key: &str,
    version_id: Option<&str>,
) -> Result<&'a ObjectVersion, S3Error> {
    let show = b.record.versioning.shows_versions();
    match version_id {
        None => match b.current(key) {
            None => Err(S3Error::no_such_key(key)),
            Some(v) if v.delete_marker => {
                let mut e = S3Error::no_such_key(key).header("x-amz-delete-marker", "true");
                if show {
                    e = e.header("x-amz-version-id", v.version_id.clone());
                }
                Err(e)
            }
            Some(v) => Ok(v),
        },
        Some(id) => {
            if !plausible_version_id(id) {
                return Err(S3Error::invalid_argument(
                    "Invalid version id specified",
                    "versionId",
                    id,
                ));
            }
            match b.version(key, id) {
                None => Err(S3Error::no_such_version(key, id)),
                Some(v) if v.delete_marker => Err(S3Error::new(ErrorCode::MethodNotAllowed)
                    .detail("Method", "GET")
                    .detail("ResourceType", "DeleteMarker")
                    .header("x-amz-delete-marker", "true")
                    .header("x-amz-version-id", v.version_id.clone())),
                Some(v) => Ok(v),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_are_url_safe_tokens() {
        let a = new_version_id();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, new_version_id());
        assert!(plausible_version_id(&a));
        assert!(!plausible_version_id("not a version"));
    }

    #[test]
    fn internal_api_round_trip() {
        let store = Arc::new(Store::memory().unwrap());
        let s3 = ObjectStore::open(store, "us-east-1", "000000000000").unwrap();
        s3.ensure_bucket("artifacts").unwrap();
        s3.ensure_bucket("artifacts").unwrap();
        let v = s3
            .put_object_bytes("artifacts", "p/a/1", b"zipbytes", PutOptions::default())
            .unwrap();
        assert_eq!(v.etag, hex(&super::super::checksum::md5(b"zipbytes")));
        let (_, data) = s3.get_object_bytes("artifacts", "p/a/1", None).unwrap();
        assert_eq!(data, b"zipbytes");
        let listed = s3.list_objects("artifacts", "p/").unwrap();
        assert_eq!(listed.len(), 1);
        s3.remove_object("artifacts", "p/a/1").unwrap();
        assert_eq!(
            s3.head_object("artifacts", "p/a/1", None).unwrap_err().code,
            ErrorCode::NoSuchKey
        );
    }
}
