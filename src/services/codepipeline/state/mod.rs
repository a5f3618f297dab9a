//! The control plane's state: pipelines (every version), custom action types, updated
//! ThirdParty action type declarations and webhooks, per account and region.
//!
//! Everything lives in memory behind one `RwLock` (reads are lock-and-clone-an-`Arc`); the
//! store holds the same typed records and is read only at start-up. A mutation is serialized
//! by the write gate, validated against the current state, written to the store as one
//! `Batch`, and only then applied to memory: a failed write changes nothing, and no reader ever
//! sees a change the store does not hold.
//!
//! Store tables (keys are `account/region/...`; names never contain `/`):
//! `codepipeline.pipelines` (`PipelineRecord`), `codepipeline.pipeline_versions`
//! (`VersionRecord`, `.../name/0000000001`), `codepipeline.custom_action_types`,
//! `codepipeline.action_type_declarations`, `codepipeline.webhooks`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

use super::catalog::{self, ActionTypeRules};
use super::model::{
    ActionOwner, ActionType, ActionTypeDeclaration, ActionTypeId, PipelineDeclaration,
    PipelineMetadata, Tag, WebhookDefinition,
};
use super::validate::structure;
use crate::protocol::{AwsEnum, Timestamp};
use crate::store::{Store, StoreError};

mod action_types;
mod pipelines;
mod tags;
mod webhooks;

pub use pipelines::CreatedPipeline;

pub const PIPELINES: &str = "codepipeline.pipelines";
pub const PIPELINE_VERSIONS: &str = "codepipeline.pipeline_versions";
pub const CUSTOM_ACTION_TYPES: &str = "codepipeline.custom_action_types";
pub const ACTION_TYPE_DECLARATIONS: &str = "codepipeline.action_type_declarations";
pub const WEBHOOKS: &str = "codepipeline.webhooks";

/// Quotas AWS enforces per account and region.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub pipelines: usize,
    pub custom_action_types: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            pipelines: 1000,
            custom_action_types: 50,
        }
    }
}

/// A pipeline's identity and bookkeeping (`codepipeline.pipelines`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub latest_version: i64,
    pub tags: Vec<Tag>,
}

impl PipelineRecord {
    pub fn metadata(&self) -> PipelineMetadata {
        PipelineMetadata {
            pipeline_arn: self.arn.clone(),
            created: self.created,
            updated: self.updated,
            polling_disabled_at: None,
        }
    }
}

/// One version of a pipeline as accepted (defaults filled, secrets unmasked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub account: String,
    pub region: String,
    pub declaration: PipelineDeclaration,
}

/// A custom action type; deleted ones are kept (their id can only be restored as it was).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomActionTypeRecord {
    pub account: String,
    pub region: String,
    pub action_type: ActionType,
    pub deleted: bool,
    pub tags: Vec<Tag>,
}

/// A ThirdParty action type as `UpdateActionType` last described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclarationRecord {
    pub account: String,
    pub region: String,
    pub declaration: ActionTypeDeclaration,
}

/// A webhook and the local URL it answers on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub account: String,
    pub region: String,
    pub definition: WebhookDefinition,
    /// The UUID in the URL; a deleted and re-created webhook gets a new one.
    pub id: String,
    pub url: String,
    pub arn: String,
    pub tags: Vec<Tag>,
    /// Whether RegisterWebhookWithThirdParty was called (and not undone).
    pub registered: bool,
    #[serde(default)]
    pub last_triggered: Option<Timestamp>,
}

/// One version in memory: as stored, and as shown (secrets masked; the same `Arc` when the
/// pipeline has none).
#[derive(Debug, Clone)]
pub struct VersionEntry {
    pub stored: Arc<PipelineDeclaration>,
    pub shown: Arc<PipelineDeclaration>,
}

#[derive(Debug)]
pub struct PipelineEntry {
    pub record: PipelineRecord,
    pub versions: BTreeMap<i64, VersionEntry>,
}

impl PipelineEntry {
    pub fn latest(&self) -> Option<&VersionEntry> {
        self.versions.get(&self.record.latest_version)
    }
}

/// The state of one account in one region.
#[derive(Debug, Default)]
pub struct RegionData {
    pub pipelines: BTreeMap<String, PipelineEntry>,
    /// Keyed by `Category/Provider/Version`.
    pub custom_types: BTreeMap<String, CustomActionTypeRecord>,
    /// Keyed by `Owner/Category/Provider/Version`.
    pub declarations: BTreeMap<String, DeclarationRecord>,
    pub webhooks: BTreeMap<String, WebhookRecord>,
}

pub fn custom_key(category: &impl std::fmt::Display, provider: &str, version: &str) -> String {
    format!("{category}/{provider}/{version}")
}

pub fn declaration_key(
    owner: &str,
    category: &impl std::fmt::Display,
    provider: &str,
    version: &str,
) -> String {
    format!("{owner}/{category}/{provider}/{version}")
}

impl RegionData {
    /// What validation knows of an action type in this region.
    pub fn action_type_rules(&self, id: &ActionTypeId) -> Option<ActionTypeRules> {
        match id.owner {
            ActionOwner::Custom => self
                .custom_types
                .get(&custom_key(&id.category, &id.provider, &id.version))
                .filter(|r| !r.deleted)
                .map(|r| ActionTypeRules::from_action_type(&r.action_type)),
            ActionOwner::Aws | ActionOwner::ThirdParty => {
                let owner = id.owner.to_string();
                if let Some(d) = self.declarations.get(&declaration_key(
                    &owner,
                    &id.category,
                    &id.provider,
                    &id.version,
                )) {
                    return Some(ActionTypeRules::from_declaration(&d.declaration));
                }
                catalog::find_builtin(&owner, id.category.as_str(), &id.provider, &id.version)
                    .map(|b| b.rules())
            }
            ActionOwner::Unknown(_) => None,
        }
    }

    /// A version entry for a declaration accepted in this region.
    pub fn version_entry(&self, mut declaration: PipelineDeclaration) -> VersionEntry {
        let lookup = |id: &ActionTypeId| self.action_type_rules(id);
        declaration.shrink_to_fit();
        let stored = Arc::new(declaration);
        let shown = match structure::mask_secrets(&stored, &lookup) {
            Some(masked) => Arc::new(masked),
            None => stored.clone(),
        };
        VersionEntry { stored, shown }
    }
}

/// Every account's regions.
#[derive(Debug, Default)]
pub struct Data {
    accounts: HashMap<String, HashMap<String, RegionData>>,
}

impl Data {
    pub fn region(&self, account: &str, region: &str) -> Option<&RegionData> {
        self.accounts.get(account)?.get(region)
    }

    pub fn region_mut(&mut self, account: &str, region: &str) -> &mut RegionData {
        self.accounts
            .entry(account.to_string())
            .or_default()
            .entry(region.to_string())
            .or_default()
    }

    fn all_regions(&self) -> impl Iterator<Item = &RegionData> {
        self.accounts.values().flat_map(|r| r.values())
    }
}

/// The state, shared by the handlers and the engine's read API.
pub struct State {
    store: Arc<Store>,
    data: RwLock<Data>,
    /// Serializes mutations (validate, persist, apply) without blocking readers meanwhile.
    gate: Mutex<()>,
    limits: Limits,
}

impl State {
    /// Loads every record of the store (nothing when the store is in memory).
    pub fn load(store: Arc<Store>, limits: Limits) -> Result<Self, StoreError> {
        let mut data = Data::default();
        for (_, r) in store.load::<CustomActionTypeRecord>(CUSTOM_ACTION_TYPES)? {
            let key = custom_key(
                &r.action_type.id.category,
                &r.action_type.id.provider,
                &r.action_type.id.version,
            );
            data.region_mut(&r.account, &r.region)
                .custom_types
                .insert(key, r);
        }
        for (_, r) in store.load::<DeclarationRecord>(ACTION_TYPE_DECLARATIONS)? {
            let id = &r.declaration.id;
            let key = declaration_key(&id.owner, &id.category, &id.provider, &id.version);
            data.region_mut(&r.account, &r.region)
                .declarations
                .insert(key, r);
        }
        for (_, r) in store.load::<WebhookRecord>(WEBHOOKS)? {
            data.region_mut(&r.account, &r.region)
                .webhooks
                .insert(r.definition.name.clone(), r);
        }
        for (_, r) in store.load::<PipelineRecord>(PIPELINES)? {
            let name = r.name.clone();
            data.region_mut(&r.account, &r.region).pipelines.insert(
                name,
                PipelineEntry {
                    record: r,
                    versions: BTreeMap::new(),
                },
            );
        }
        for (key, r) in store.load::<VersionRecord>(PIPELINE_VERSIONS)? {
            let region = data.region_mut(&r.account, &r.region);
            let version = r.declaration.version_number();
            let name = r.declaration.name.clone();
            if !region.pipelines.contains_key(&name) {
                tracing::warn!(%key, "a stored pipeline version has no pipeline; ignored");
                continue;
            }
            let entry = region.version_entry(r.declaration);
            if let Some(p) = region.pipelines.get_mut(&name) {
                p.versions.insert(version, entry);
            }
        }
        for regions in data.accounts.values_mut() {
            for region in regions.values_mut() {
                region.pipelines.retain(|name, p| {
                    let ok = p.latest().is_some();
                    if !ok {
                        tracing::warn!(pipeline = %name, "a stored pipeline has no declaration; ignored");
                    }
                    ok
                });
            }
        }
        Ok(State {
            store,
            data: RwLock::new(data),
            gate: Mutex::new(()),
            limits,
        })
    }

    /// An empty state over an in-memory store (unit tests).
    #[cfg(test)]
    pub fn in_memory(limits: Limits) -> Self {
        Self::load(Arc::new(Store::memory().expect("memory store")), limits).expect("empty load")
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Data> {
        self.data.write().unwrap_or_else(|p| p.into_inner())
    }

    fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wipes memory (`/_simfra/reset`; the router wipes the store).
    pub fn reset(&self) {
        let _gate = self.gate();
        *self.write() = Data::default();
    }

    /// Counts for the health endpoint.
    pub fn pipeline_count(&self) -> usize {
        self.read().all_regions().map(|r| r.pipelines.len()).sum()
    }
}

/// `account/region/rest`: the key of a record in its table.
pub fn key(account: &str, region: &str, rest: &str) -> String {
    format!("{account}/{region}/{rest}")
}

#[cfg(test)]
mod tests;
