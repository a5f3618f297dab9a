//! The S3 metadata held in memory: buckets, each key's versions (newest first), multipart
//! uploads and their parts; loaded from the store at start-up and written through to it.
//!
//! This module owns the shape of the state and the rules that only touch metadata (which
//! version a write replaces, what is current, what a bucket still holds). Locking, blobs and
//! events are the caller's (`service.rs`).

use std::collections::{BTreeMap, HashSet};

use crate::store::{Store, StoreError};

use super::model::{
    BucketRecord, ObjectVersion, PartRecord, UploadRecord, Versioning, NULL_VERSION, T_BUCKETS,
    T_OBJECTS, T_PARTS, T_UPLOADS,
};

/// Everything the S3 service knows, apart from object bytes.
#[derive(Debug, Default)]
pub struct State {
    pub buckets: BTreeMap<String, BucketState>,
    /// The next write sequence number.
    pub next_seq: u64,
}

#[derive(Debug)]
pub struct BucketState {
    pub record: BucketRecord,
    /// Key -> versions, newest first (the first is the current one).
    pub objects: BTreeMap<String, Vec<ObjectVersion>>,
    pub uploads: BTreeMap<String, UploadState>,
}

#[derive(Debug, Clone)]
pub struct UploadState {
    pub record: UploadRecord,
    pub parts: BTreeMap<u32, PartRecord>,
}

impl BucketState {
    pub fn new(record: BucketRecord) -> Self {
        BucketState {
            record,
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }

    /// The current version of a key (possibly a delete marker).
    pub fn current(&self, key: &str) -> Option<&ObjectVersion> {
        self.objects.get(key).and_then(|v| v.first())
    }

    pub fn version(&self, key: &str, version_id: &str) -> Option<&ObjectVersion> {
        self.objects
            .get(key)
            .and_then(|vs| vs.iter().find(|v| v.version_id == version_id))
    }

    /// Whether any version or delete marker remains (DeleteBucket refuses then).
    pub fn has_objects(&self) -> bool {
        !self.objects.is_empty()
    }

    /// The versions a new write of `key` replaces: the `null` version, unless versioning is
    /// enabled (then nothing is replaced; the new version goes on top).
    pub fn replaced_by_write(&self, key: &str) -> Vec<ObjectVersion> {
        if self.record.versioning == Versioning::Enabled {
            return Vec::new();
        }
        self.objects
            .get(key)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v.version_id == NULL_VERSION)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Puts `version` on top of its key, dropping the versions listed in `replaced`.
    pub fn insert(&mut self, version: ObjectVersion, replaced: &[ObjectVersion]) {
        let versions = self.objects.entry(version.key.clone()).or_default();
        versions.retain(|v| !replaced.iter().any(|r| r.seq == v.seq));
        versions.insert(0, version);
    }

    /// Removes one version (by sequence number); the key goes when its last version does.
    pub fn remove(&mut self, key: &str, seq: u64) {
        if let Some(versions) = self.objects.get_mut(key) {
            versions.retain(|v| v.seq != seq);
            if versions.is_empty() {
                self.objects.remove(key);
            }
        }
    }

    /// Replaces a version record in place (tags changed).
    pub fn replace(&mut self, version: ObjectVersion) {
        if let Some(v) = self
            .objects
            .get_mut(&version.key)
            .and_then(|vs| vs.iter_mut().find(|v| v.seq == version.seq))
        {
            *v = version;
        }
    }
}

impl State {
    /// Loads every record from the store (nothing in memory mode).
    pub fn load(store: &Store) -> Result<State, StoreError> {
        let mut state = State::default();
        for (_, record) in store.load::<BucketRecord>(T_BUCKETS)? {
            state
                .buckets
                .insert(record.name.clone(), BucketState::new(record));
        }
        let mut max_seq = 0;
        // Rows are keyed `<bucket>/<seq>`, so they load oldest first within a bucket; each
        // newer version goes on top.
        for (_, v) in store.load::<ObjectVersion>(T_OBJECTS)? {
            max_seq = max_seq.max(v.seq);
            if let Some(b) = state.buckets.get_mut(&v.bucket) {
                b.objects.entry(v.key.clone()).or_default().insert(0, v);
            }
        }
        for versions in state
            .buckets
            .values_mut()
            .flat_map(|b| b.objects.values_mut())
        {
            versions.sort_by_key(|v| std::cmp::Reverse(v.seq));
        }
        for (_, u) in store.load::<UploadRecord>(T_UPLOADS)? {
            if let Some(b) = state.buckets.get_mut(&u.bucket) {
                b.uploads.insert(
                    u.upload_id.clone(),
                    UploadState {
                        record: u,
                        parts: BTreeMap::new(),
                    },
                );
            }
        }
        for (_, p) in store.load::<PartRecord>(T_PARTS)? {
            if let Some(u) = state
                .buckets
                .get_mut(&p.bucket)
                .and_then(|b| b.uploads.get_mut(&p.upload_id))
            {
                u.parts.insert(p.part_number, p);
            }
        }
        state.next_seq = max_seq + 1;
        Ok(state)
    }

    /// Hands out the next write sequence number.
    pub fn seq(&mut self) -> u64 {
        let s = self.next_seq.max(1);
        self.next_seq = s + 1;
        s
    }

    /// Every blob id a record references (start-up garbage collection keeps these).
    pub fn referenced_blobs(&self) -> HashSet<&str> {
        let mut ids = HashSet::new();
        for b in self.buckets.values() {
            for v in b.objects.values().flatten() {
                if let Some(id) = &v.blob {
                    ids.insert(id.as_str());
                }
            }
            for u in b.uploads.values() {
                for p in u.parts.values() {
                    ids.insert(p.blob.as_str());
                }
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::s3::model::ContentHeaders;

    fn version(seq: u64, key: &str, vid: &str) -> ObjectVersion {
        ObjectVersion {
            seq,
            bucket: "b".into(),
            key: key.into(),
            version_id: vid.into(),
            delete_marker: false,
            blob: None,
            size: 0,
            etag: String::new(),
            last_modified: 0,
            headers: ContentHeaders::default(),
            metadata: Default::default(),
            tags: vec![],
            checksum: None,
            parts: vec![],
        }
    }

    fn bucket(versioning: Versioning) -> BucketState {
        BucketState::new(BucketRecord {
            name: "b".into(),
            region: "us-east-1".into(),
            account: "000000000000".into(),
            created: 0,
            versioning,
            tags: None,
            eventbridge: false,
        })
    }

    #[test]
    fn unversioned_writes_replace_the_null_version() {
        let mut b = bucket(Versioning::Unversioned);
        b.insert(version(1, "k", NULL_VERSION), &[]);
        let replaced = b.replaced_by_write("k");
        assert_eq!(replaced.len(), 1);
        b.insert(version(2, "k", NULL_VERSION), &replaced);
        assert_eq!(b.objects["k"].len(), 1);
        assert_eq!(b.current("k").unwrap().seq, 2);
    }

    #[test]
    fn versioned_and_suspended_writes() {
        let mut b = bucket(Versioning::Enabled);
        b.insert(version(1, "k", NULL_VERSION), &[]);
        b.insert(version(2, "k", "v2"), &b.replaced_by_write("k"));
        assert_eq!(b.objects["k"].len(), 2);
        b.record.versioning = Versioning::Suspended;
        let replaced = b.replaced_by_write("k");
        assert_eq!(replaced[0].seq, 1);
        b.insert(version(3, "k", NULL_VERSION), &replaced);
        let ids: Vec<_> = b.objects["k"].iter().map(|v| v.seq).collect();
        assert_eq!(ids, vec![3, 2]);
        assert_eq!(b.version("k", "v2").unwrap().seq, 2);
        b.remove("k", 3);
        b.remove("k", 2);
        assert!(!b.has_objects());
    }
}
