//! CodeDeploy's state in memory, written through to the store before it is visible (a restart
//! with `SIMFRA_DATA_DIR` loses nothing): applications, deployment groups (under their
//! application's id, so that renaming an application keeps them), custom deployment
//! configurations (the predefined ones are in `builtins.rs`), on-premises instances, application
//! revisions and deployments with their per-target detail.
//!
//! This module owns the records and the runner's surface (`deployment`, `modify_deployment`,
//! `group`, `set_group_history`, `config`, `instances`, `set_instance_container`, ...); the
//! resources' own mutations are in `resources.rs`. It knows nothing of HTTP.

pub mod builtins;
mod instances;
mod resources;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

use super::errors::{CodeDeployError as E, Result};
use super::model::*;
use crate::protocol::Timestamp;
use crate::store::{Batch, Store};

const APPLICATIONS: &str = "codedeploy.applications";
const GROUPS: &str = "codedeploy.groups";
const CONFIGS: &str = "codedeploy.configs";
const INSTANCES: &str = "codedeploy.instances";
const REVISIONS: &str = "codedeploy.revisions";
const DEPLOYMENTS: &str = "codedeploy.deployments";

/// (account, region, name or id)
type Key = (String, String, String);
/// (account, region, application id, group name or revision identity)
type AppKey = (String, String, String, String);

fn key(account: &str, region: &str, name: &str) -> Key {
    (account.into(), region.into(), name.into())
}

fn app_key(account: &str, region: &str, app_id: &str, name: &str) -> AppKey {
    (account.into(), region.into(), app_id.into(), name.into())
}

/// The store key of a record: `account/region/id`.
fn store_key(account: &str, region: &str, id: &str) -> String {
    format!("{account}/{region}/{id}")
}

/// An application with where it lives and its tags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppRecord {
    pub account: String,
    pub region: String,
    pub info: ApplicationInfo,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A deployment group, under its application's id, with its tags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub account: String,
    pub region: String,
    pub application_id: String,
    pub info: DeploymentGroupInfo,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A custom deployment configuration with its tags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConfigRecord {
    pub account: String,
    pub region: String,
    pub info: DeploymentConfigInfo,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An on-premises instance (tags in `info.tags`) and the container the runner gave it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceRecord {
    pub account: String,
    pub region: String,
    pub info: InstanceInfo,
    /// Set by the runner: the container that plays this instance.
    #[serde(default)]
    pub container: Option<String>,
}

impl InstanceRecord {
    pub fn is_registered(&self) -> bool {
        self.info.deregister_time.is_none()
    }
}

/// A revision registered with an application (explicitly or by a deployment).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RevisionRecord {
    pub account: String,
    pub region: String,
    pub application_id: String,
    pub location: RevisionLocation,
    pub info: GenericRevisionInfo,
}

/// A deployment: what GetDeployment shows, and per target what the runner records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeploymentRecord {
    pub account: String,
    pub region: String,
    pub info: DeploymentInfo,
    /// The group's id (stable across renames of the group and its application).
    pub group_id: String,
    pub application_id: String,
    /// Per-target detail the runner writes (status, lifecycle events, diagnostics).
    #[serde(default)]
    pub targets: Vec<InstanceTarget>,
}

#[derive(Default)]
struct Inner {
    /// by (account, region, application name)
    apps: BTreeMap<Key, AppRecord>,
    /// by (account, region, application id, group name)
    groups: BTreeMap<AppKey, GroupRecord>,
    /// custom configurations by (account, region, name)
    configs: BTreeMap<Key, ConfigRecord>,
    /// by (account, region, instance name)
    instances: BTreeMap<Key, InstanceRecord>,
    /// by (account, region, application id, revision identity)
    revisions: BTreeMap<AppKey, RevisionRecord>,
    /// by (account, region, deployment id)
    deployments: BTreeMap<Key, DeploymentRecord>,
    /// The newest deployment's createTime: each new one is later (newest-first listing stays
    /// well ordered even for deployments created in the same millisecond).
    last_create: i64,
}

pub struct State {
    store: Arc<Store>,
    inner: RwLock<Inner>,
}

/// The store key of a revision: its identity hashed (identities hold any characters).
fn revision_store_key(r: &RevisionRecord) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(r.location.identity().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}/{}/{}/{hex}", r.account, r.region, r.application_id)
}

impl State {
    /// Loads every record from the store (nothing in memory-only mode).
    pub fn load(store: Arc<Store>) -> Result<State> {
        let mut inner = Inner::default();
        for (_, a) in store.load::<AppRecord>(APPLICATIONS)? {
            inner
                .apps
                .insert(key(&a.account, &a.region, &a.info.application_name), a);
        }
        for (_, g) in store.load::<GroupRecord>(GROUPS)? {
            let k = app_key(
                &g.account,
                &g.region,
                &g.application_id,
                &g.info.deployment_group_name,
            );
            inner.groups.insert(k, g);
        }
        for (_, c) in store.load::<ConfigRecord>(CONFIGS)? {
            inner.configs.insert(
                key(&c.account, &c.region, &c.info.deployment_config_name),
                c,
            );
        }
        for (_, i) in store.load::<InstanceRecord>(INSTANCES)? {
            inner
                .instances
                .insert(key(&i.account, &i.region, &i.info.instance_name), i);
        }
        for (_, r) in store.load::<RevisionRecord>(REVISIONS)? {
            let k = app_key(
                &r.account,
                &r.region,
                &r.application_id,
                &r.location.identity(),
            );
            inner.revisions.insert(k, r);
        }
        for (_, d) in store.load::<DeploymentRecord>(DEPLOYMENTS)? {
            inner.last_create = inner.last_create.max(d.info.create_time.millis());
            inner
                .deployments
                .insert(key(&d.account, &d.region, &d.info.deployment_id), d);
        }
        Ok(State {
            store,
            inner: RwLock::new(inner),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets everything in memory (`/_simfra/reset`; the store is wiped by the router).
    pub fn reset(&self) {
        *self.write() = Inner::default();
    }

    // --- Deployments (the runner's surface) ---

    pub fn deployment(&self, account: &str, region: &str, id: &str) -> Option<DeploymentRecord> {
        self.read()
            .deployments
            .get(&key(account, region, id))
            .cloned()
    }

    /// Every deployment of an account and region.
    pub fn deployments(&self, account: &str, region: &str) -> Vec<DeploymentRecord> {
        self.read()
            .deployments
            .values()
            .filter(|d| d.account == account && d.region == region)
            .cloned()
            .collect()
    }

    /// Every deployment not yet Succeeded, Failed or Stopped, in every account and region
    /// (what the runner resumes or fails after a restart).
    pub fn unfinished_deployments(&self) -> Vec<DeploymentRecord> {
        self.read()
            .deployments
            .values()
            .filter(|d| !d.info.status.is_terminal())
            .cloned()
            .collect()
    }

    /// Applies `f` to a deployment and writes it through; the changed record. The deployment
    /// overview is recomputed from the targets when there are any.
    pub fn modify_deployment(
        &self,
        account: &str,
        region: &str,
        id: &str,
        f: impl FnOnce(&mut DeploymentRecord),
    ) -> Result<DeploymentRecord> {
        let mut inner = self.write();
        let k = key(account, region, id);
        let rec = inner
            .deployments
            .get_mut(&k)
            .ok_or_else(|| E::deployment_missing(id))?;
        let mut changed = rec.clone();
        f(&mut changed);
        if !changed.targets.is_empty() {
            changed.info.deployment_overview = DeploymentOverview::of(&changed.targets);
        }
        let mut batch = Batch::new();
        batch.put(DEPLOYMENTS, store_key(account, region, id), &changed);
        self.store.apply(batch)?;
        *rec = changed;
        Ok(rec.clone())
    }

    /// Stores a new deployment (its createTime made later than every earlier one's), makes its
    /// revision the group's target revision and its last attempted deployment, and records the
    /// revision's use: all in one write. The stored record.
    pub fn insert_deployment(&self, mut rec: DeploymentRecord) -> Result<DeploymentRecord> {
        let mut inner = self.write();
        let id = rec.info.deployment_id.clone();
        let k = key(&rec.account, &rec.region, &id);
        if inner.deployments.contains_key(&k) {
            return Err(E::Internal(format!("deployment id {id} is taken")));
        }
        let created = rec.info.create_time.millis().max(inner.last_create + 1);
        rec.info.create_time = Timestamp(created);
        let mut batch = Batch::new();
        batch.put(DEPLOYMENTS, store_key(&rec.account, &rec.region, &id), &rec);
        let group = inner
            .groups
            .iter()
            .find(|(_, g)| {
                g.account == rec.account
                    && g.region == rec.region
                    && g.info.deployment_group_id == rec.group_id
            })
            .map(|(k, g)| (k.clone(), g.clone()));
        let mut new_group = None;
        if let Some((gk, mut g)) = group {
            g.info.target_revision = rec.info.revision.clone();
            g.info.last_attempted_deployment = Some(last_info(&rec.info));
            batch.put(
                GROUPS,
                store_key(&g.account, &g.region, &g.info.deployment_group_id),
                &g,
            );
            new_group = Some((gk, g));
        }
        let mut new_revision = None;
        if let Some(location) = &rec.info.revision {
            let rk = app_key(
                &rec.account,
                &rec.region,
                &rec.application_id,
                &location.identity(),
            );
            let mut r = inner.revisions.get(&rk).cloned().unwrap_or(RevisionRecord {
                account: rec.account.clone(),
                region: rec.region.clone(),
                application_id: rec.application_id.clone(),
                location: location.clone(),
                info: GenericRevisionInfo {
                    register_time: Timestamp(created),
                    ..Default::default()
                },
            });
            r.info.first_used_time.get_or_insert(Timestamp(created));
            r.info.last_used_time = Some(Timestamp(created));
            if !r
                .info
                .deployment_groups
                .contains(&rec.info.deployment_group_name)
            {
                r.info
                    .deployment_groups
                    .push(rec.info.deployment_group_name.clone());
            }
            batch.put(REVISIONS, revision_store_key(&r), &r);
            new_revision = Some((rk, r));
        }
        self.store.apply(batch)?;
        inner.last_create = created;
        if let Some((gk, g)) = new_group {
            inner.groups.insert(gk, g);
        }
        if let Some((rk, r)) = new_revision {
            inner.revisions.insert(rk, r);
        }
        inner.deployments.insert(k, rec.clone());
        Ok(rec)
    }

    // --- Groups (the runner's surface) ---

    /// A group by its application's and its own name.
    pub fn group(
        &self,
        account: &str,
        region: &str,
        application: &str,
        group: &str,
    ) -> Option<GroupRecord> {
        let inner = self.read();
        let app = inner.apps.get(&key(account, region, application))?;
        inner
            .groups
            .get(&app_key(account, region, &app.info.application_id, group))
            .cloned()
    }

    pub fn group_by_id(&self, account: &str, region: &str, group_id: &str) -> Option<GroupRecord> {
        self.read()
            .groups
            .values()
            .find(|g| {
                g.account == account && g.region == region && g.info.deployment_group_id == group_id
            })
            .cloned()
    }

    /// Sets a group's last attempted and/or last successful deployment (`None` leaves one as
    /// it is). A group deleted meanwhile is no error.
    pub fn set_group_history(
        &self,
        account: &str,
        region: &str,
        group_id: &str,
        last_attempted: Option<LastDeploymentInfo>,
        last_successful: Option<LastDeploymentInfo>,
    ) -> Result<()> {
        let mut inner = self.write();
        let Some(g) = inner.groups.values_mut().find(|g| {
            g.account == account && g.region == region && g.info.deployment_group_id == group_id
        }) else {
            return Ok(());
        };
        let mut changed = g.clone();
        if let Some(a) = last_attempted {
            changed.info.last_attempted_deployment = Some(a);
        }
        if let Some(s) = last_successful {
            changed.info.last_successful_deployment = Some(s);
        }
        let mut batch = Batch::new();
        batch.put(GROUPS, store_key(account, region, group_id), &changed);
        self.store.apply(batch)?;
        *g = changed;
        Ok(())
    }

    /// Records a deployment's current state in its group's history: always as the last
    /// attempted deployment, and as the last successful one when it Succeeded.
    pub fn record_group_history(&self, account: &str, region: &str, id: &str) -> Result<()> {
        let d = self
            .deployment(account, region, id)
            .ok_or_else(|| E::deployment_missing(id))?;
        let last = last_info(&d.info);
        let ok = (d.info.status == DeploymentStatus::Succeeded).then(|| last.clone());
        self.set_group_history(account, region, &d.group_id, Some(last), ok)
    }

    // --- Configurations and instances (the runner's surface) ---

    /// A deployment configuration, predefined or custom.
    pub fn config(&self, account: &str, region: &str, name: &str) -> Option<DeploymentConfigInfo> {
        builtins::get(name).or_else(|| {
            self.read()
                .configs
                .get(&key(account, region, name))
                .map(|c| c.info.clone())
        })
    }

    /// Every on-premises instance of an account and region, registered or not.
    pub fn instances(&self, account: &str, region: &str) -> Vec<InstanceRecord> {
        self.read()
            .instances
            .values()
            .filter(|i| i.account == account && i.region == region)
            .cloned()
            .collect()
    }

    /// Every on-premises instance, in every account and region (the runner's start-up).
    pub fn all_instances(&self) -> Vec<InstanceRecord> {
        self.read().instances.values().cloned().collect()
    }

    pub fn instance(&self, account: &str, region: &str, name: &str) -> Option<InstanceRecord> {
        self.read()
            .instances
            .get(&key(account, region, name))
            .cloned()
    }

    /// Records the container that plays an instance (`None`: it has none).
    pub fn set_instance_container(
        &self,
        account: &str,
        region: &str,
        name: &str,
        container: Option<String>,
    ) -> Result<()> {
        self.modify_instance(account, region, name, |i| i.container = container)
            .map(|_| ())
    }
}

/// A deployment as a group's history shows it.
pub fn last_info(d: &DeploymentInfo) -> LastDeploymentInfo {
    LastDeploymentInfo {
        deployment_id: Some(d.deployment_id.clone()),
        status: Some(d.status.clone()),
        end_time: d.complete_time,
        create_time: Some(d.create_time),
    }
}

#[cfg(test)]
mod tests;
