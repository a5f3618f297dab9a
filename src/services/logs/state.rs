//! Log groups and log streams: their metadata in memory, written through to the store (tables
//! `logs.groups` and `logs.streams`, keyed by ids we make), and each stream's [`EventFile`] at
//! `<blob root>/logs/<stream id>.events` (named by id, never by the user's names).
//!
//! Events are not in the store: they live in the event files (`storage.rs`), whose indexes are
//! built when a stream is first used after start-up. Lock order: the groups map, then a
//! stream's event file, never the other way round; event files are only locked after the map's
//! lock was released.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::errors::{Code, LogsError as E, Result};
use super::model::Tags;
use super::storage::{EventFile, Files};
use crate::store::{Batch, Store};

const GROUPS: &str = "logs.groups";
const STREAMS: &str = "logs.streams";
/// Event files kept open at once (the rest are opened when used).
const OPEN_FILES: usize = 256;
/// Index entries (16 bytes each) kept in memory across all streams: 128 MiB, the indexes of
/// about 600 MiB of build logs of 80-character lines.
const INDEX_BUDGET: usize = 8 << 20;

/// One log group's metadata, as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    pub name: String,
    /// Epoch milliseconds.
    pub created: i64,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub class: String,
    #[serde(default)]
    pub deletion_protection: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl GroupRecord {
    /// `logGroupArn`, and the ARN tagging operations take.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}",
            self.region, self.account, self.name
        )
    }

    /// `arn` as DescribeLogGroups shows it, with AWS's trailing `:*`.
    pub fn arn_star(&self) -> String {
        format!("{}:*", self.arn())
    }
}

/// One log stream's metadata, as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StreamRecord {
    pub id: String,
    pub group_id: String,
    pub name: String,
    /// Epoch milliseconds.
    pub created: i64,
}

/// A log stream: its metadata and its events.
pub struct Stream {
    pub record: StreamRecord,
    pub events: EventFile,
}

impl Stream {
    pub fn arn(&self, group: &GroupRecord) -> String {
        format!("{}:log-stream:{}", group.arn(), self.record.name)
    }
}

struct Group {
    record: GroupRecord,
    streams: BTreeMap<String, Arc<Stream>>,
}

type GroupKey = (String, String, String);

fn key(account: &str, region: &str, name: &str) -> GroupKey {
    (account.to_string(), region.to_string(), name.to_string())
}

fn protected(kind: &str, group: &str) -> E {
    E::new(
        Code::Validation,
        format!("Deletion protection is enabled on the log group {group}: the {kind} cannot be deleted until it is disabled."),
    )
}

pub struct State {
    store: Arc<Store>,
    root: PathBuf,
    files: Arc<Files>,
    groups: RwLock<BTreeMap<GroupKey, Group>>,
}

impl State {
    pub fn load(store: Arc<Store>) -> Result<State> {
        let root = store.blob_root().join("logs");
        std::fs::create_dir_all(&root)?;
        let files = Arc::new(Files::new(OPEN_FILES, INDEX_BUDGET));
        let mut by_id: BTreeMap<String, Group> = BTreeMap::new();
        for (_, record) in store.load::<GroupRecord>(GROUPS)? {
            let streams = BTreeMap::new();
            by_id.insert(record.id.clone(), Group { record, streams });
        }
        let mut known = HashSet::new();
        for (_, record) in store.load::<StreamRecord>(STREAMS)? {
            let Some(group) = by_id.get_mut(&record.group_id) else {
                continue;
            };
            let path = root.join(format!("{}.events", record.id));
            known.insert(path.clone());
            let stream = Stream {
                events: EventFile::new(path, files.clone()),
                record,
            };
            group
                .streams
                .insert(stream.record.name.clone(), Arc::new(stream));
        }
        // Files of streams whose deletion was recorded but not finished.
        for entry in std::fs::read_dir(&root)?.flatten() {
            if !known.contains(&entry.path()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let groups = by_id
            .into_values()
            .map(|g| (key(&g.record.account, &g.record.region, &g.record.name), g))
            .collect();
        Ok(State {
            store,
            root,
            files,
            groups: RwLock::new(groups),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<GroupKey, Group>> {
        self.groups.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<GroupKey, Group>> {
        self.groups.write().unwrap_or_else(|p| p.into_inner())
    }

    fn new_stream(&self, group: &GroupRecord, name: &str, now: i64) -> Stream {
        let id = uuid::Uuid::new_v4().to_string();
        Stream {
            events: EventFile::new(self.root.join(format!("{id}.events")), self.files.clone()),
            record: StreamRecord {
                id,
                group_id: group.id.clone(),
                name: name.to_string(),
                created: now,
            },
        }
    }

    pub fn create_group(&self, record: GroupRecord) -> Result<()> {
        let mut groups = self.write();
        let k = key(&record.account, &record.region, &record.name);
        if groups.contains_key(&k) {
            return Err(E::group_exists());
        }
        let mut batch = Batch::new();
        batch.put(GROUPS, record.id.clone(), &record);
        self.store.apply(batch)?;
        let streams = BTreeMap::new();
        groups.insert(k, Group { record, streams });
        Ok(())
    }

    pub fn group(&self, account: &str, region: &str, name: &str) -> Result<GroupRecord> {
        let groups = self.read();
        let g = groups.get(&key(account, region, name));
        g.map(|g| g.record.clone()).ok_or_else(E::group_missing)
    }

    /// The groups of an account in a region, in name order, with the bytes their streams hold.
    pub fn groups(&self, account: &str, region: &str) -> Vec<(GroupRecord, u64)> {
        let groups = self.read();
        let from = key(account, region, "");
        groups
            .range(from..)
            .take_while(|((a, r, _), _)| a == account && r == region)
            .map(|(_, g)| {
                let bytes = g.streams.values().map(|s| s.events.stored_bytes()).sum();
                (g.record.clone(), bytes)
            })
            .collect()
    }

    /// Applies `f` to a group's record and writes it through.
    pub fn modify_group(
        &self,
        account: &str,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut GroupRecord) -> Result<()>,
    ) -> Result<GroupRecord> {
        let mut groups = self.write();
        let g = groups
            .get_mut(&key(account, region, name))
            .ok_or_else(E::group_missing)?;
        let mut record = g.record.clone();
        f(&mut record)?;
        let mut batch = Batch::new();
        batch.put(GROUPS, record.id.clone(), &record);
        self.store.apply(batch)?;
        g.record = record.clone();
        Ok(record)
    }

    /// Deletes a group, its streams and their event files.
    pub fn delete_group(&self, account: &str, region: &str, name: &str) -> Result<()> {
        let removed = {
            let mut groups = self.write();
            let k = key(account, region, name);
            let g = groups.get(&k).ok_or_else(E::group_missing)?;
            if g.record.deletion_protection {
                return Err(protected("log group", name));
            }
            let mut batch = Batch::new();
            batch.delete(GROUPS, g.record.id.clone());
            for s in g.streams.values() {
                batch.delete(STREAMS, s.record.id.clone());
            }
            self.store.apply(batch)?;
            groups.remove(&k)
        };
        for s in removed.into_iter().flat_map(|g| g.streams.into_values()) {
            s.events.delete();
        }
        Ok(())
    }

    pub fn create_stream(
        &self,
        account: &str,
        region: &str,
        group: &str,
        name: &str,
        now: i64,
    ) -> Result<()> {
        let mut groups = self.write();
        let g = groups
            .get_mut(&key(account, region, group))
            .ok_or_else(E::group_missing)?;
        if g.streams.contains_key(name) {
            return Err(E::stream_exists());
        }
        let stream = self.new_stream(&g.record, name, now);
        let mut batch = Batch::new();
        batch.put(STREAMS, stream.record.id.clone(), &stream.record);
        self.store.apply(batch)?;
        g.streams.insert(name.to_string(), Arc::new(stream));
        Ok(())
    }

    pub fn stream(
        &self,
        account: &str,
        region: &str,
        group: &str,
        name: &str,
    ) -> Result<(GroupRecord, Arc<Stream>)> {
        let groups = self.read();
        let g = groups
            .get(&key(account, region, group))
            .ok_or_else(E::group_missing)?;
        let s = g.streams.get(name).ok_or_else(E::stream_missing)?;
        Ok((g.record.clone(), s.clone()))
    }

    /// A group and its streams, in name order.
    pub fn streams(
        &self,
        account: &str,
        region: &str,
        group: &str,
    ) -> Result<(GroupRecord, Vec<Arc<Stream>>)> {
        let groups = self.read();
        let g = groups
            .get(&key(account, region, group))
            .ok_or_else(E::group_missing)?;
        Ok((g.record.clone(), g.streams.values().cloned().collect()))
    }

    pub fn delete_stream(
        &self,
        account: &str,
        region: &str,
        group: &str,
        name: &str,
    ) -> Result<()> {
        let removed = {
            let mut groups = self.write();
            let g = groups
                .get_mut(&key(account, region, group))
                .ok_or_else(E::group_missing)?;
            let s = g.streams.get(name).ok_or_else(E::stream_missing)?;
            if g.record.deletion_protection {
                return Err(protected("log stream", group));
            }
            let mut batch = Batch::new();
            batch.delete(STREAMS, s.record.id.clone());
            self.store.apply(batch)?;
            g.streams.remove(name)
        };
        if let Some(s) = removed {
            s.events.delete();
        }
        Ok(())
    }

    /// The stream, created (with its group) when missing; `make_group` builds a new group's
    /// record. Group and stream are written in one batch.
    pub fn ensure(
        &self,
        account: &str,
        region: &str,
        group: &str,
        name: &str,
        now: i64,
        make_group: impl FnOnce() -> GroupRecord,
    ) -> Result<Arc<Stream>> {
        let found = {
            let groups = self.read();
            let g = groups.get(&key(account, region, group));
            g.and_then(|g| g.streams.get(name).cloned())
        };
        if let Some(s) = found {
            return Ok(s);
        }
        let mut groups = self.write();
        let k = key(account, region, group);
        let mut batch = Batch::new();
        let new_group = match groups.get(&k) {
            Some(g) => {
                if let Some(s) = g.streams.get(name) {
                    return Ok(s.clone());
                }
                None
            }
            None => {
                let record = make_group();
                batch.put(GROUPS, record.id.clone(), &record);
                Some(record)
            }
        };
        let record = match &new_group {
            Some(r) => r,
            None => &groups[&k].record,
        };
        let stream = Arc::new(self.new_stream(record, name, now));
        batch.put(STREAMS, stream.record.id.clone(), &stream.record);
        self.store.apply(batch)?;
        if let Some(record) = new_group {
            let streams = BTreeMap::new();
            groups.insert(k.clone(), Group { record, streams });
        }
        if let Some(g) = groups.get_mut(&k) {
            g.streams.insert(name.to_string(), stream.clone());
        }
        Ok(stream)
    }

    /// Forgets every group and stream and removes the event files (the store is wiped by the
    /// caller). Appends racing the reset fail as appends to a deleted stream do.
    pub fn reset(&self) {
        let all = std::mem::take(&mut *self.write());
        for s in all.into_values().flat_map(|g| g.streams.into_values()) {
            s.events.delete();
        }
        self.files.clear();
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = std::fs::create_dir_all(&self.root);
    }
}
