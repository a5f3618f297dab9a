//! Projects and builds in memory, written through to the store. Builds are keyed by their id
//! (`project:uuid`); each project keeps its build-number counter (which survives deleting the
//! project's builds, as on AWS). Builds of a pipeline's Commands action are stored here too
//! (the runner runs them like any build) but marked `managed`: the CodeBuild API does not show
//! them, as AWS runs them on compute the pipeline manages, outside the account's builds.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::errors::{Code, CodeBuildError as E, Result};
use super::model::{Build, Project};
use super::runner::BuildJob;
use crate::store::{Batch, Store};

const PROJECTS: &str = "codebuild.projects";
const BUILDS: &str = "codebuild.builds";
const COUNTERS: &str = "codebuild.counters";
/// The effective configuration each build ran with (RetryBuild runs it again).
const JOBS: &str = "codebuild.jobs";

/// (account, region, name-or-id)
pub type Key = (String, String, String);

pub fn key(account: &str, region: &str, name: &str) -> Key {
    (account.to_string(), region.to_string(), name.to_string())
}

fn store_key(k: &Key) -> String {
    format!("{}/{}/{}", k.0, k.1, k.2)
}

/// A stored project with where it lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProjectRecord {
    pub account: String,
    pub region: String,
    pub project: Project,
}

/// A stored build with where it lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BuildRecord {
    pub account: String,
    pub region: String,
    pub build: Build,
    /// A build of a Commands action (hidden from the CodeBuild API).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub managed: bool,
}

#[derive(Default)]
struct Inner {
    projects: BTreeMap<Key, ProjectRecord>,
    builds: BTreeMap<Key, BuildRecord>,
    /// Next build number per project (account, region, project name).
    counters: BTreeMap<Key, i64>,
    jobs: BTreeMap<Key, BuildJob>,
}

pub struct State {
    store: Arc<Store>,
    inner: RwLock<Inner>,
}

impl State {
    pub fn load(store: Arc<Store>) -> Result<State> {
        let mut inner = Inner::default();
        for (_, p) in store.load::<ProjectRecord>(PROJECTS)? {
            inner
                .projects
                .insert(key(&p.account, &p.region, &p.project.name), p);
        }
        for (_, b) in store.load::<BuildRecord>(BUILDS)? {
            inner
                .builds
                .insert(key(&b.account, &b.region, &b.build.id), b);
        }
        for (_, j) in store.load::<BuildJob>(JOBS)? {
            inner
                .jobs
                .insert(key(&j.account, &j.region, &j.build_id), j);
        }
        for (k, n) in store.load::<i64>(COUNTERS)? {
            let mut parts = k.splitn(3, '/');
            if let (Some(a), Some(r), Some(p)) = (parts.next(), parts.next(), parts.next()) {
                inner.counters.insert(key(a, r, p), n);
            }
        }
        Ok(State {
            store,
            inner: RwLock::new(inner),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn project(&self, account: &str, region: &str, name: &str) -> Option<Project> {
        self.read()
            .projects
            .get(&key(account, region, name))
            .map(|p| p.project.clone())
    }

    pub fn require_project(&self, account: &str, region: &str, name: &str) -> Result<Project> {
        self.project(account, region, name)
            .ok_or_else(|| E::project_missing(name))
    }

    pub fn projects(&self, account: &str, region: &str) -> Vec<Project> {
        self.read()
            .projects
            .values()
            .filter(|p| p.account == account && p.region == region)
            .map(|p| p.project.clone())
            .collect()
    }

    pub fn create_project(&self, account: &str, region: &str, project: Project) -> Result<()> {
        let mut inner = self.write();
        let k = key(account, region, &project.name);
        if inner.projects.contains_key(&k) {
            return Err(E::Api(
                Code::ResourceAlreadyExists,
                format!("Project already exists: {}", project.name),
            ));
        }
        let rec = ProjectRecord {
            account: account.into(),
            region: region.into(),
            project,
        };
        let mut batch = Batch::new();
        batch.put(PROJECTS, store_key(&k), &rec);
        self.store.apply(batch)?;
        inner.projects.insert(k, rec);
        Ok(())
    }

    pub fn update_project(&self, account: &str, region: &str, project: Project) -> Result<()> {
        let mut inner = self.write();
        let k = key(account, region, &project.name);
        if !inner.projects.contains_key(&k) {
            return Err(E::project_missing(&project.name));
        }
        let rec = ProjectRecord {
            account: account.into(),
            region: region.into(),
            project,
        };
        let mut batch = Batch::new();
        batch.put(PROJECTS, store_key(&k), &rec);
        self.store.apply(batch)?;
        inner.projects.insert(k, rec);
        Ok(())
    }

    /// Deletes a project (its builds stay, as on AWS). Deleting a missing project is no error.
    pub fn delete_project(&self, account: &str, region: &str, name: &str) -> Result<()> {
        let mut inner = self.write();
        let k = key(account, region, name);
        if inner.projects.contains_key(&k) {
            let mut batch = Batch::new();
            batch.delete(PROJECTS, store_key(&k));
            self.store.apply(batch)?;
            inner.projects.remove(&k);
        }
        Ok(())
    }

    /// The next build number of a project (1 for its first build), persisted.
    pub fn next_build_number(&self, account: &str, region: &str, project: &str) -> Result<i64> {
        let mut inner = self.write();
        let k = key(account, region, project);
        let n = inner.counters.get(&k).copied().unwrap_or(0) + 1;
        let mut batch = Batch::new();
        batch.put(COUNTERS, store_key(&k), &n);
        self.store.apply(batch)?;
        inner.counters.insert(k, n);
        Ok(n)
    }

    pub fn build(&self, account: &str, region: &str, id: &str) -> Option<Build> {
        self.read()
            .builds
            .get(&key(account, region, id))
            .map(|b| b.build.clone())
    }

    /// A build the CodeBuild API shows (not one of a Commands action).
    pub fn visible_build(&self, account: &str, region: &str, id: &str) -> Option<Build> {
        self.read()
            .builds
            .get(&key(account, region, id))
            .filter(|b| !b.managed)
            .map(|b| b.build.clone())
    }

    /// Whether a build is one of a Commands action.
    pub fn is_managed(&self, account: &str, region: &str, id: &str) -> bool {
        self.read()
            .builds
            .get(&key(account, region, id))
            .is_some_and(|b| b.managed)
    }

    /// The builds the CodeBuild API shows (those of Commands actions are left out).
    pub fn builds(&self, account: &str, region: &str) -> Vec<Build> {
        self.read()
            .builds
            .values()
            .filter(|b| b.account == account && b.region == region && !b.managed)
            .map(|b| b.build.clone())
            .collect()
    }

    /// Stores a new build.
    pub fn put_build(&self, account: &str, region: &str, build: &Build) -> Result<()> {
        self.insert_build(account, region, build, false)
    }

    /// Stores a new build of a Commands action.
    pub fn put_managed_build(&self, account: &str, region: &str, build: &Build) -> Result<()> {
        self.insert_build(account, region, build, true)
    }

    fn insert_build(
        &self,
        account: &str,
        region: &str,
        build: &Build,
        managed: bool,
    ) -> Result<()> {
        let mut inner = self.write();
        let k = key(account, region, &build.id);
        let rec = BuildRecord {
            account: account.into(),
            region: region.into(),
            build: build.clone(),
            managed,
        };
        let mut batch = Batch::new();
        batch.put(BUILDS, store_key(&k), &rec);
        self.store.apply(batch)?;
        inner.builds.insert(k, rec);
        Ok(())
    }

    /// Applies `f` to a stored build and writes it through; the changed build.
    pub fn modify_build(
        &self,
        account: &str,
        region: &str,
        id: &str,
        f: impl FnOnce(&mut Build),
    ) -> Result<Build> {
        let mut inner = self.write();
        let k = key(account, region, id);
        let rec = inner
            .builds
            .get_mut(&k)
            .ok_or_else(|| E::build_missing(id))?;
        let mut changed = rec.clone();
        f(&mut changed.build);
        let mut batch = Batch::new();
        batch.put(BUILDS, store_key(&k), &changed);
        self.store.apply(batch)?;
        *rec = changed;
        Ok(rec.build.clone())
    }

    /// Remembers the configuration a build runs with.
    pub fn put_job(&self, job: &BuildJob) -> Result<()> {
        let k = key(&job.account, &job.region, &job.build_id);
        let mut batch = Batch::new();
        batch.put(JOBS, store_key(&k), job);
        self.store.apply(batch)?;
        self.write().jobs.insert(k, job.clone());
        Ok(())
    }

    /// The configuration a build ran with.
    pub fn job(&self, account: &str, region: &str, id: &str) -> Option<BuildJob> {
        self.read().jobs.get(&key(account, region, id)).cloned()
    }

    pub fn delete_build(&self, account: &str, region: &str, id: &str) -> Result<bool> {
        let mut inner = self.write();
        let k = key(account, region, id);
        if !inner.builds.contains_key(&k) {
            return Ok(false);
        }
        let mut batch = Batch::new();
        batch.delete(BUILDS, store_key(&k));
        batch.delete(JOBS, store_key(&k));
        self.store.apply(batch)?;
        inner.builds.remove(&k);
        inner.jobs.remove(&k);
        Ok(true)
    }

    /// Every build that was still running, with where it lives (for recovery at start-up).
    pub fn unfinished(&self) -> Vec<BuildRecord> {
        self.read()
            .builds
            .values()
            .filter(|b| !b.build.build_complete)
            .cloned()
            .collect()
    }

    pub fn reset(&self) {
        *self.write() = Inner::default();
    }
}
