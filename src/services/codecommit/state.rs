//! Repository metadata in memory, written through to the store, and where each repository's
//! bare git directory lives: `<blob root>/codecommit/<account>/<region>/<repository id>`.
//! Directories are named by id (a UUID we made), never by the user's repository name.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::errors::{Code, CodeCommitError as E, Result};
use super::git;
use crate::protocol::Timestamp;
use crate::store::{Batch, Store};

const TABLE: &str = "codecommit.repositories";

/// One repository's metadata, as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RepoRecord {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub description: Option<String>,
    pub default_branch: Option<String>,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub kms_key_id: Option<String>,
}

impl RepoRecord {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:codecommit:{}:{}:{}",
            self.region, self.account, self.name
        )
    }

    fn store_key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.id)
    }
}

type Key = (String, String, String);

fn key(account: &str, region: &str, name: &str) -> Key {
    (account.to_string(), region.to_string(), name.to_string())
}

/// A path segment made of an account or region: kept as-is when it is plain, hex-encoded
/// otherwise (a region comes from the client's signature and is not trusted in a path).
fn segment(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        s.to_string()
    } else {
        format!(
            "x{}",
            s.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        )
    }
}

pub struct State {
    store: Arc<Store>,
    root: PathBuf,
    repos: RwLock<BTreeMap<Key, RepoRecord>>,
    /// One lock per repository id: ref changes are observed (before/after) under it.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl State {
    pub fn load(store: Arc<Store>) -> Result<State> {
        let root = store.blob_root().join("codecommit");
        let mut repos = BTreeMap::new();
        for (_, r) in store.load::<RepoRecord>(TABLE)? {
            repos.insert(key(&r.account, &r.region, &r.name), r);
        }
        Ok(State {
            store,
            root,
            repos: RwLock::new(repos),
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The directory that holds the account's repositories in a region (git's project root).
    pub fn region_dir(&self, account: &str, region: &str) -> PathBuf {
        self.root.join(segment(account)).join(segment(region))
    }

    pub fn dir(&self, r: &RepoRecord) -> PathBuf {
        self.region_dir(&r.account, &r.region).join(&r.id)
    }

    pub fn lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_string()).or_default().clone()
    }

    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<RepoRecord> {
        let repos = self.repos.read().unwrap_or_else(|p| p.into_inner());
        repos.get(&key(account, region, name)).cloned()
    }

    /// Like [`State::get`], with AWS's error for a missing repository.
    pub fn require(&self, account: &str, region: &str, name: &str) -> Result<RepoRecord> {
        self.get(account, region, name)
            .ok_or_else(|| E::repository_missing(name))
    }

    pub fn list(&self, account: &str, region: &str) -> Vec<RepoRecord> {
        let repos = self.repos.read().unwrap_or_else(|p| p.into_inner());
        repos
            .values()
            .filter(|r| r.account == account && r.region == region)
            .cloned()
            .collect()
    }

    /// Creates the record and its bare repository.
    pub fn create(&self, record: RepoRecord) -> Result<RepoRecord> {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        let k = key(&record.account, &record.region, &record.name);
        if repos.contains_key(&k) {
            return Err(E::new(
                Code::RepositoryNameExists,
                format!("Repository named {} already exists", record.name),
            ));
        }
        let dir = self.dir(&record);
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| E::Internal(format!("creating {}: {e}", parent.display())))?;
        }
        git::init_bare(&dir)?;
        let mut batch = Batch::new();
        batch.put(TABLE, record.store_key(), &record);
        if let Err(e) = self.store.apply(batch) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        repos.insert(k, record.clone());
        Ok(record)
    }

    /// Writes a changed record through (its name is unchanged).
    pub fn update(&self, record: &RepoRecord) -> Result<()> {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        let k = key(&record.account, &record.region, &record.name);
        if !repos.contains_key(&k) {
            return Err(E::repository_missing(&record.name));
        }
        let mut batch = Batch::new();
        batch.put(TABLE, record.store_key(), record);
        self.store.apply(batch)?;
        repos.insert(k, record.clone());
        Ok(())
    }

    /// Applies `f` to the current record of a repository and writes it through.
    pub fn modify(
        &self,
        account: &str,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut RepoRecord) -> Result<()>,
    ) -> Result<RepoRecord> {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        let k = key(account, region, name);
        let mut record = repos
            .get(&k)
            .cloned()
            .ok_or_else(|| E::repository_missing(name))?;
        f(&mut record)?;
        let mut batch = Batch::new();
        batch.put(TABLE, record.store_key(), &record);
        self.store.apply(batch)?;
        repos.insert(k, record.clone());
        Ok(record)
    }

    pub fn rename(&self, account: &str, region: &str, old: &str, new: &str) -> Result<()> {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        if old != new && repos.contains_key(&key(account, region, new)) {
            return Err(E::new(
                Code::RepositoryNameExists,
                format!("Repository named {new} already exists"),
            ));
        }
        let mut record = repos
            .get(&key(account, region, old))
            .cloned()
            .ok_or_else(|| E::repository_missing(old))?;
        record.name = new.to_string();
        record.last_modified = Timestamp::now();
        let mut batch = Batch::new();
        batch.put(TABLE, record.store_key(), &record);
        self.store.apply(batch)?;
        repos.remove(&key(account, region, old));
        repos.insert(key(account, region, new), record);
        Ok(())
    }

    /// Deletes the record and the repository's files; the deleted record, if there was one.
    pub fn delete(&self, account: &str, region: &str, name: &str) -> Result<Option<RepoRecord>> {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        let Some(record) = repos.get(&key(account, region, name)).cloned() else {
            return Ok(None);
        };
        let mut batch = Batch::new();
        batch.delete(TABLE, record.store_key());
        self.store.apply(batch)?;
        repos.remove(&key(account, region, name));
        let _ = std::fs::remove_dir_all(self.dir(&record));
        Ok(Some(record))
    }

    /// Forgets every repository (the store and blob directory are wiped by the caller).
    pub fn reset(&self) {
        let mut repos = self.repos.write().unwrap_or_else(|p| p.into_inner());
        repos.clear();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn untrusted_segments_are_encoded() {
        assert_eq!(segment("us-east-1"), "us-east-1");
        assert_eq!(segment("000000000000"), "000000000000");
        assert_eq!(segment("../x"), "x2e2e2f78");
        assert_eq!(segment(""), "x");
    }
}
