//! Tags of pipelines, custom action types and webhooks, found by ARN.
//!
//! Decision: the resource is looked up in the account and region the ARN names (not the
//! caller's region), so an ARN taken from any response always finds its resource.

use super::{custom_key, key, State, CUSTOM_ACTION_TYPES, PIPELINES, WEBHOOKS};
use crate::services::codepipeline::arn::{Resource, ResourceArn};
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::Tag;
use crate::store::Batch;

fn not_found(arn: &str) -> CodePipelineError {
    CodePipelineError::ResourceNotFound(format!("The resource with ARN '{arn}' was not found"))
}

impl State {
    /// The tags of a resource.
    pub fn tags(&self, arn: &ResourceArn, arn_text: &str) -> Result<Vec<Tag>> {
        let data = self.read();
        let rd = data
            .region(&arn.account, &arn.region)
            .ok_or_else(|| not_found(arn_text))?;
        let tags = match &arn.resource {
            Resource::Pipeline(name) => rd.pipelines.get(name).map(|p| &p.record.tags),
            Resource::CustomActionType {
                category,
                provider,
                version,
            } => rd
                .custom_types
                .get(&custom_key(category, provider, version))
                .filter(|r| !r.deleted)
                .map(|r| &r.tags),
            Resource::Webhook(name) => rd.webhooks.get(name).map(|w| &w.tags),
        };
        tags.cloned().ok_or_else(|| not_found(arn_text))
    }

    /// Replaces a resource's tags with `change(current)`, persisted first.
    pub fn retag(
        &self,
        arn: &ResourceArn,
        arn_text: &str,
        change: impl FnOnce(&[Tag]) -> Result<Vec<Tag>>,
    ) -> Result<()> {
        let _gate = self.gate();
        let (a, r) = (arn.account.as_str(), arn.region.as_str());
        let mut batch = Batch::new();
        match &arn.resource {
            Resource::Pipeline(name) => {
                let mut record = {
                    let data = self.read();
                    let p = data
                        .region(a, r)
                        .and_then(|rd| rd.pipelines.get(name))
                        .ok_or_else(|| not_found(arn_text))?;
                    p.record.clone()
                };
                record.tags = change(&record.tags)?;
                batch.put(PIPELINES, key(a, r, name), &record);
                self.store.apply(batch)?;
                if let Some(p) = self.write().region_mut(a, r).pipelines.get_mut(name) {
                    p.record = record;
                }
            }
            Resource::CustomActionType {
                category,
                provider,
                version,
            } => {
                let k = custom_key(category, provider, version);
                let mut record = {
                    let data = self.read();
                    data.region(a, r)
                        .and_then(|rd| rd.custom_types.get(&k))
                        .filter(|t| !t.deleted)
                        .cloned()
                        .ok_or_else(|| not_found(arn_text))?
                };
                record.tags = change(&record.tags)?;
                batch.put(CUSTOM_ACTION_TYPES, key(a, r, &k), &record);
                self.store.apply(batch)?;
                self.write().region_mut(a, r).custom_types.insert(k, record);
            }
            Resource::Webhook(name) => {
                let mut record = {
                    let data = self.read();
                    data.region(a, r)
                        .and_then(|rd| rd.webhooks.get(name))
                        .cloned()
                        .ok_or_else(|| not_found(arn_text))?
                };
                record.tags = change(&record.tags)?;
                batch.put(WEBHOOKS, key(a, r, name), &record);
                self.store.apply(batch)?;
                self.write()
                    .region_mut(a, r)
                    .webhooks
                    .insert(name.clone(), record);
            }
        }
        Ok(())
    }
}
