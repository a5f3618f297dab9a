//! The resources' own mutations: applications (create, rename, delete with their groups and
//! revisions), deployment groups, custom configurations and revisions (on-premises instances
//! are in `instances.rs`).
//! Each change is written to the store before it is visible; uniqueness rules that need the
//! whole state (names, IAM ARNs, a configuration in use) are checked under the write lock.

use super::*;
use crate::services::codedeploy::errors::Code;

impl State {
    // --- Applications ---

    pub fn application(&self, account: &str, region: &str, name: &str) -> Option<AppRecord> {
        self.read().apps.get(&key(account, region, name)).cloned()
    }

    pub fn require_application(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<AppRecord> {
        self.application(account, region, name)
            .ok_or_else(|| E::application_missing(name))
    }

    /// Every application of an account and region, by name.
    pub fn applications(&self, account: &str, region: &str) -> Vec<AppRecord> {
        self.read()
            .apps
            .values()
            .filter(|a| a.account == account && a.region == region)
            .cloned()
            .collect()
    }

    pub fn create_application(&self, rec: AppRecord) -> Result<()> {
        let mut inner = self.write();
        let k = key(&rec.account, &rec.region, &rec.info.application_name);
        if inner.apps.contains_key(&k) {
            return Err(E::new(
                Code::ApplicationAlreadyExists,
                format!(
                    "{} already exists in your account",
                    rec.info.application_name
                ),
            ));
        }
        let mut batch = Batch::new();
        batch.put(
            APPLICATIONS,
            store_key(&rec.account, &rec.region, &rec.info.application_id),
            &rec,
        );
        self.store.apply(batch)?;
        inner.apps.insert(k, rec);
        Ok(())
    }

    /// Applies `f` to an application (its name and id stay as they are).
    pub fn modify_application(
        &self,
        account: &str,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut AppRecord),
    ) -> Result<AppRecord> {
        let mut inner = self.write();
        let rec = inner
            .apps
            .get_mut(&key(account, region, name))
            .ok_or_else(|| E::application_missing(name))?;
        let mut changed = rec.clone();
        f(&mut changed);
        changed.info.application_name = rec.info.application_name.clone();
        changed.info.application_id = rec.info.application_id.clone();
        let mut batch = Batch::new();
        batch.put(
            APPLICATIONS,
            store_key(account, region, &changed.info.application_id),
            &changed,
        );
        self.store.apply(batch)?;
        *rec = changed;
        Ok(rec.clone())
    }

    /// Renames an application; its groups follow (they live under its id) and show the new
    /// name.
    pub fn rename_application(
        &self,
        account: &str,
        region: &str,
        old: &str,
        new: &str,
    ) -> Result<()> {
        let mut inner = self.write();
        let old_k = key(account, region, old);
        let new_k = key(account, region, new);
        let mut app = inner
            .apps
            .get(&old_k)
            .cloned()
            .ok_or_else(|| E::application_missing(old))?;
        if old == new {
            return Ok(());
        }
        if inner.apps.contains_key(&new_k) {
            return Err(E::new(
                Code::ApplicationAlreadyExists,
                format!("{new} already exists in your account"),
            ));
        }
        app.info.application_name = new.to_string();
        let app_id = app.info.application_id.clone();
        let mut batch = Batch::new();
        batch.put(APPLICATIONS, store_key(account, region, &app_id), &app);
        let mut groups = Vec::new();
        for (k, g) in inner.groups.iter() {
            if g.account == account && g.region == region && g.application_id == app_id {
                let mut g = g.clone();
                g.info.application_name = new.to_string();
                batch.put(
                    GROUPS,
                    store_key(account, region, &g.info.deployment_group_id),
                    &g,
                );
                groups.push((k.clone(), g));
            }
        }
        self.store.apply(batch)?;
        inner.apps.remove(&old_k);
        inner.apps.insert(new_k, app);
        for (k, g) in groups {
            inner.groups.insert(k, g);
        }
        Ok(())
    }

    /// Deletes an application with its deployment groups and registered revisions (its
    /// deployments stay readable). False when there was none.
    pub fn delete_application(&self, account: &str, region: &str, name: &str) -> Result<bool> {
        let mut inner = self.write();
        let k = key(account, region, name);
        let Some(app) = inner.apps.get(&k).cloned() else {
            return Ok(false);
        };
        let app_id = app.info.application_id;
        let mut batch = Batch::new();
        batch.delete(APPLICATIONS, store_key(account, region, &app_id));
        let groups: Vec<AppKey> = inner
            .groups
            .iter()
            .filter(|(_, g)| {
                g.account == account && g.region == region && g.application_id == app_id
            })
            .map(|(k, g)| {
                batch.delete(
                    GROUPS,
                    store_key(account, region, &g.info.deployment_group_id),
                );
                k.clone()
            })
            .collect();
        batch.delete_prefix(REVISIONS, format!("{account}/{region}/{app_id}/"));
        self.store.apply(batch)?;
        inner.apps.remove(&k);
        for g in groups {
            inner.groups.remove(&g);
        }
        inner
            .revisions
            .retain(|(a, r, id, _), _| !(a == account && r == region && *id == app_id));
        Ok(true)
    }

    // --- Deployment groups ---

    /// The groups of an application, by name.
    pub fn groups(&self, account: &str, region: &str, app_id: &str) -> Vec<GroupRecord> {
        self.read()
            .groups
            .values()
            .filter(|g| g.account == account && g.region == region && g.application_id == app_id)
            .cloned()
            .collect()
    }

    fn group_exists(inner: &Inner, rec: &GroupRecord, application: &str) -> Result<()> {
        let k = app_key(
            &rec.account,
            &rec.region,
            &rec.application_id,
            &rec.info.deployment_group_name,
        );
        if inner.groups.contains_key(&k) {
            return Err(E::new(
                Code::DeploymentGroupAlreadyExists,
                format!(
                    "Deployment Group already exists with name {} for application {application}",
                    rec.info.deployment_group_name
                ),
            ));
        }
        Ok(())
    }

    pub fn create_group(&self, rec: GroupRecord) -> Result<()> {
        let mut inner = self.write();
        Self::group_exists(&inner, &rec, &rec.info.application_name)?;
        let mut batch = Batch::new();
        batch.put(
            GROUPS,
            store_key(&rec.account, &rec.region, &rec.info.deployment_group_id),
            &rec,
        );
        self.store.apply(batch)?;
        let k = app_key(
            &rec.account,
            &rec.region,
            &rec.application_id,
            &rec.info.deployment_group_name,
        );
        inner.groups.insert(k, rec);
        Ok(())
    }

    /// Replaces a group, which was named `old_name` (a new name must be free).
    pub fn replace_group(&self, old_name: &str, rec: GroupRecord) -> Result<()> {
        let mut inner = self.write();
        let old_k = app_key(&rec.account, &rec.region, &rec.application_id, old_name);
        if !inner.groups.contains_key(&old_k) {
            return Err(E::group_missing(&rec.info.application_name, old_name));
        }
        if old_name != rec.info.deployment_group_name {
            Self::group_exists(&inner, &rec, &rec.info.application_name)?;
        }
        let mut batch = Batch::new();
        batch.put(
            GROUPS,
            store_key(&rec.account, &rec.region, &rec.info.deployment_group_id),
            &rec,
        );
        self.store.apply(batch)?;
        inner.groups.remove(&old_k);
        let k = app_key(
            &rec.account,
            &rec.region,
            &rec.application_id,
            &rec.info.deployment_group_name,
        );
        inner.groups.insert(k, rec);
        Ok(())
    }

    /// Deletes a group; false when there was none.
    pub fn delete_group(
        &self,
        account: &str,
        region: &str,
        app_id: &str,
        name: &str,
    ) -> Result<bool> {
        let mut inner = self.write();
        let k = app_key(account, region, app_id, name);
        let Some(g) = inner.groups.get(&k) else {
            return Ok(false);
        };
        let mut batch = Batch::new();
        batch.delete(
            GROUPS,
            store_key(account, region, &g.info.deployment_group_id),
        );
        self.store.apply(batch)?;
        inner.groups.remove(&k);
        Ok(true)
    }

    // --- Custom deployment configurations ---

    pub fn custom_config(&self, account: &str, region: &str, name: &str) -> Option<ConfigRecord> {
        self.read()
            .configs
            .get(&key(account, region, name))
            .cloned()
    }

    /// The names of the custom configurations, sorted.
    pub fn custom_config_names(&self, account: &str, region: &str) -> Vec<String> {
        self.read()
            .configs
            .values()
            .filter(|c| c.account == account && c.region == region)
            .map(|c| c.info.deployment_config_name.clone())
            .collect()
    }

    pub fn create_config(&self, rec: ConfigRecord) -> Result<()> {
        let mut inner = self.write();
        let name = rec.info.deployment_config_name.clone();
        let k = key(&rec.account, &rec.region, &name);
        if inner.configs.contains_key(&k) || builtins::is_builtin(&name) {
            return Err(E::new(
                Code::DeploymentConfigAlreadyExists,
                format!("A deployment configuration named {name} already exists"),
            ));
        }
        let mut batch = Batch::new();
        batch.put(CONFIGS, store_key(&rec.account, &rec.region, &name), &rec);
        self.store.apply(batch)?;
        inner.configs.insert(k, rec);
        Ok(())
    }

    pub fn modify_config(
        &self,
        account: &str,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut ConfigRecord),
    ) -> Result<ConfigRecord> {
        let mut inner = self.write();
        let rec = inner
            .configs
            .get_mut(&key(account, region, name))
            .ok_or_else(|| E::config_missing(name))?;
        let mut changed = rec.clone();
        f(&mut changed);
        changed.info.deployment_config_name = name.to_string();
        let mut batch = Batch::new();
        batch.put(CONFIGS, store_key(account, region, name), &changed);
        self.store.apply(batch)?;
        *rec = changed;
        Ok(rec.clone())
    }

    /// Deletes a custom configuration: a predefined one is InvalidOperationException, one that
    /// a deployment group uses DeploymentConfigInUseException, a missing one no error.
    pub fn delete_config(&self, account: &str, region: &str, name: &str) -> Result<()> {
        if builtins::is_builtin(name) {
            return Err(E::new(
                Code::InvalidOperation,
                format!("{name} is a predefined deployment configuration and cannot be deleted"),
            ));
        }
        let mut inner = self.write();
        let k = key(account, region, name);
        if !inner.configs.contains_key(&k) {
            return Ok(());
        }
        if let Some(g) = inner.groups.values().find(|g| {
            g.account == account && g.region == region && g.info.deployment_config_name == name
        }) {
            return Err(E::new(
                Code::DeploymentConfigInUse,
                format!(
                    "The deployment configuration {name} is in use by deployment group {} of application {}",
                    g.info.deployment_group_name, g.info.application_name
                ),
            ));
        }
        let mut batch = Batch::new();
        batch.delete(CONFIGS, store_key(account, region, name));
        self.store.apply(batch)?;
        inner.configs.remove(&k);
        Ok(())
    }

    // --- Revisions ---

    pub fn revision(
        &self,
        account: &str,
        region: &str,
        app_id: &str,
        location: &RevisionLocation,
    ) -> Option<RevisionRecord> {
        self.read()
            .revisions
            .get(&app_key(account, region, app_id, &location.identity()))
            .cloned()
    }

    /// The revisions of an application, in the order they were registered.
    pub fn revisions(&self, account: &str, region: &str, app_id: &str) -> Vec<RevisionRecord> {
        let mut out: Vec<RevisionRecord> = self
            .read()
            .revisions
            .values()
            .filter(|r| r.account == account && r.region == region && r.application_id == app_id)
            .cloned()
            .collect();
        out.sort_by_key(|r| r.info.register_time);
        out
    }

    /// Registers a revision (RegisterApplicationRevision). Registering it again updates its
    /// description and keeps the rest.
    pub fn register_revision(
        &self,
        account: &str,
        region: &str,
        app_id: &str,
        location: RevisionLocation,
        description: Option<String>,
    ) -> Result<()> {
        let mut inner = self.write();
        let k = app_key(account, region, app_id, &location.identity());
        let mut rec = inner.revisions.get(&k).cloned().unwrap_or(RevisionRecord {
            account: account.into(),
            region: region.into(),
            application_id: app_id.into(),
            location,
            info: GenericRevisionInfo {
                register_time: Timestamp::now(),
                ..Default::default()
            },
        });
        if description.is_some() {
            rec.info.description = description;
        }
        let mut batch = Batch::new();
        batch.put(REVISIONS, revision_store_key(&rec), &rec);
        self.store.apply(batch)?;
        inner.revisions.insert(k, rec);
        Ok(())
    }
}
