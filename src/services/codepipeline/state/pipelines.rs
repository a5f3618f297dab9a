//! Pipelines: create, update (a new version each time, every version kept), delete, read and
//! list.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use serde::Serialize;

use super::{
    key, PipelineEntry, PipelineRecord, RegionData, State, VersionEntry, PIPELINES,
    PIPELINE_VERSIONS,
};
use crate::protocol::Timestamp;
use crate::services::codepipeline::arn;
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{
    ActionTypeId, PipelineDeclaration, PipelineMetadata, PipelineSummary, Tag,
};
use crate::services::codepipeline::paging;
use crate::services::codepipeline::validate::{check_tags, merge_tags, structure};
use crate::store::Batch;

/// What CreatePipeline produced: the stored declaration (for the engine), the one shown to
/// the caller, the metadata and the tags.
#[derive(Debug, Clone)]
pub struct CreatedPipeline {
    pub stored: Arc<PipelineDeclaration>,
    pub shown: Arc<PipelineDeclaration>,
    pub metadata: PipelineMetadata,
    pub tags: Vec<Tag>,
}

/// A version row as written (borrowing what memory already holds).
#[derive(Serialize)]
struct VersionRow<'a> {
    account: &'a str,
    region: &'a str,
    declaration: &'a PipelineDeclaration,
}

fn version_key(account: &str, region: &str, name: &str, version: i64) -> String {
    key(account, region, &format!("{name}/{version:010}"))
}

fn not_found(account: &str, name: &str) -> CodePipelineError {
    CodePipelineError::PipelineNotFound {
        account: account.to_string(),
        name: name.to_string(),
    }
}

impl State {
    /// CreatePipeline after the model constraints passed: the name, every rule of the
    /// declaration, the tags and the quota, then version 1 is stored.
    pub fn create_pipeline(
        &self,
        account: &str,
        region: &str,
        declaration: PipelineDeclaration,
        tags: Vec<Tag>,
    ) -> Result<CreatedPipeline> {
        let _gate = self.gate();
        let (record, entry) = {
            let data = self.read();
            let empty = RegionData::default();
            let rd = data.region(account, region).unwrap_or(&empty);
            if rd.pipelines.contains_key(&declaration.name) {
                // Decision (12.1): the model's PipelineNameInUseException, not the
                // InvalidStructureException some emulations answer.
                return Err(CodePipelineError::PipelineNameInUse {
                    account: account.to_string(),
                    name: declaration.name,
                });
            }
            let lookup = |id: &ActionTypeId| rd.action_type_rules(id);
            let cx = structure::Context {
                region,
                action_type: &lookup,
                previous: None,
            };
            let declaration = structure::check(declaration, &cx, 1, None)?;
            check_tags(&tags)?;
            let tags = merge_tags(&[], &tags)?;
            if rd.pipelines.len() >= self.limits.pipelines {
                return Err(CodePipelineError::LimitExceeded(format!(
                    "Account '{account}' has reached the limit of {} pipelines in region '{region}'",
                    self.limits.pipelines
                )));
            }
            let now = Timestamp::now();
            let record = PipelineRecord {
                account: account.to_string(),
                region: region.to_string(),
                name: declaration.name.clone(),
                arn: arn::pipeline(region, account, &declaration.name),
                created: now,
                updated: now,
                latest_version: 1,
                tags,
            };
            (record, rd.version_entry(declaration))
        };
        let mut batch = Batch::new();
        batch
            .put(PIPELINES, key(account, region, &record.name), &record)
            .put(
                PIPELINE_VERSIONS,
                version_key(account, region, &record.name, 1),
                &VersionRow {
                    account,
                    region,
                    declaration: &entry.stored,
                },
            );
        self.store.apply(batch)?;
        let created = CreatedPipeline {
            stored: entry.stored.clone(),
            shown: entry.shown.clone(),
            metadata: record.metadata(),
            tags: record.tags.clone(),
        };
        let mut data = self.write();
        data.region_mut(account, region).pipelines.insert(
            record.name.clone(),
            PipelineEntry {
                record,
                versions: BTreeMap::from([(1, entry)]),
            },
        );
        Ok(created)
    }

    /// UpdatePipeline: the full declaration becomes version previous + 1.
    ///
    /// Decision (12.3): the model declares no not-found error for UpdatePipeline; a missing
    /// pipeline is answered with PipelineNotFoundException (the code every other operation
    /// uses for it; SDKs surface it as an unmodelled error that still carries the code).
    pub fn update_pipeline(
        &self,
        account: &str,
        region: &str,
        declaration: PipelineDeclaration,
    ) -> Result<VersionEntry> {
        let _gate = self.gate();
        let (record, entry) = {
            let data = self.read();
            let name = declaration.name.clone();
            let rd = data
                .region(account, region)
                .ok_or_else(|| not_found(account, &name))?;
            let current = rd
                .pipelines
                .get(&name)
                .ok_or_else(|| not_found(account, &name))?;
            let latest = current.latest().ok_or_else(|| not_found(account, &name))?;
            let version = current.record.latest_version + 1;
            let lookup = |id: &ActionTypeId| rd.action_type_rules(id);
            let cx = structure::Context {
                region,
                action_type: &lookup,
                previous: Some(&latest.stored),
            };
            let declaration = structure::check(
                declaration,
                &cx,
                version,
                latest.stored.pipeline_type.as_ref(),
            )?;
            let mut record = current.record.clone();
            record.latest_version = version;
            record.updated = Timestamp::now().max(record.updated);
            (record, rd.version_entry(declaration))
        };
        let mut batch = Batch::new();
        batch
            .put(PIPELINES, key(account, region, &record.name), &record)
            .put(
                PIPELINE_VERSIONS,
                version_key(account, region, &record.name, record.latest_version),
                &VersionRow {
                    account,
                    region,
                    declaration: &entry.stored,
                },
            );
        self.store.apply(batch)?;
        let mut data = self.write();
        if let Some(p) = data
            .region_mut(account, region)
            .pipelines
            .get_mut(&record.name)
        {
            p.versions.insert(record.latest_version, entry.clone());
            p.record = record;
        }
        Ok(entry)
    }

    /// DeletePipeline: idempotent (the model declares no not-found error). Returns whether a
    /// pipeline was deleted.
    pub fn delete_pipeline(&self, account: &str, region: &str, name: &str) -> Result<bool> {
        let _gate = self.gate();
        let exists = self
            .read()
            .region(account, region)
            .is_some_and(|rd| rd.pipelines.contains_key(name));
        if !exists {
            return Ok(false);
        }
        let mut batch = Batch::new();
        batch
            .delete(PIPELINES, key(account, region, name))
            .delete_prefix(PIPELINE_VERSIONS, key(account, region, &format!("{name}/")));
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .pipelines
            .remove(name);
        Ok(true)
    }

    /// GetPipeline: the latest version or the one asked for, as shown (secrets masked).
    pub fn get_pipeline(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: Option<i64>,
    ) -> Result<(Arc<PipelineDeclaration>, PipelineMetadata)> {
        let data = self.read();
        let p = data
            .region(account, region)
            .and_then(|rd| rd.pipelines.get(name))
            .ok_or_else(|| not_found(account, name))?;
        let wanted = version.unwrap_or(p.record.latest_version);
        let v =
            p.versions
                .get(&wanted)
                .ok_or_else(|| CodePipelineError::PipelineVersionNotFound {
                    name: name.to_string(),
                    version: wanted,
                })?;
        Ok((v.shown.clone(), p.record.metadata()))
    }

    /// One page of ListPipelines, in name order, after the pipeline named `after`.
    pub fn list_pipelines(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<PipelineSummary>, Option<String>) {
        let data = self.read();
        let Some(rd) = data.region(account, region) else {
            return (Vec::new(), None);
        };
        let start = match after {
            Some(name) => Bound::Excluded(name),
            None => Bound::Unbounded,
        };
        let items = rd
            .pipelines
            .range::<str, _>((start, Bound::Unbounded))
            .filter_map(|(name, p)| {
                let latest = p.latest()?;
                Some((
                    name.as_str(),
                    PipelineSummary {
                        name: name.clone(),
                        version: p.record.latest_version,
                        pipeline_type: latest.stored.pipeline_type.clone()?,
                        execution_mode: latest.stored.execution_mode.clone()?,
                        created: p.record.created,
                        updated: p.record.updated,
                    },
                ))
            });
        paging::page(items, max)
    }

    /// The latest stored declaration (secrets included) and metadata: the engine's read.
    pub fn pipeline(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<(Arc<PipelineDeclaration>, PipelineMetadata)> {
        let data = self.read();
        let p = data.region(account, region)?.pipelines.get(name)?;
        Some((p.latest()?.stored.clone(), p.record.metadata()))
    }

    /// One stored version (the engine runs the version an execution started with).
    pub fn pipeline_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: i64,
    ) -> Option<Arc<PipelineDeclaration>> {
        let data = self.read();
        let p = data.region(account, region)?.pipelines.get(name)?;
        Some(p.versions.get(&version)?.stored.clone())
    }
}
