//! Webhooks: put (create or replace), list, delete, and the third-party registration flag.
//!
//! Decision: the URL handed out is local, `http://<Host header>/_simfra/webhooks/<uuid>`,
//! under simfra's own path prefix so that it can never collide with an S3 path-style bucket
//! (a bucket named `webhooks` would). A new UUID is minted when a webhook is created;
//! PutWebhook on an existing webhook keeps its URL, and deleting then re-creating it changes
//! the URL, as AWS documents. Serving POSTs to that URL belongs to the execution engine
//! ([`State::webhook_by_id`] finds the webhook).

use std::ops::Bound;

use super::{key, RegionData, State, WebhookRecord, WEBHOOKS};
use crate::protocol::Timestamp;
use crate::services::codepipeline::arn;
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{ListWebhookItem, Tag, WebhookDefinition};
use crate::services::codepipeline::paging;
use crate::services::codepipeline::validate::structure::MASK;
use crate::services::codepipeline::validate::{check_tags, merge_tags, resources};
use crate::store::Batch;

impl WebhookRecord {
    /// As PutWebhook and ListWebhooks show it: the secret token redacted.
    pub fn item(&self) -> ListWebhookItem {
        let mut definition = self.definition.clone();
        if definition
            .authentication_configuration
            .secret_token
            .is_some()
        {
            definition.authentication_configuration.secret_token = Some(MASK.to_string());
        }
        ListWebhookItem {
            definition,
            url: self.url.clone(),
            error_message: None,
            error_code: None,
            last_triggered: self.last_triggered,
            arn: Some(self.arn.clone()),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
        }
    }
}

fn webhook_not_found(name: &str) -> CodePipelineError {
    CodePipelineError::WebhookNotFound(format!("Webhook '{name}' does not exist"))
}

impl State {
    /// PutWebhook after the model constraints passed.
    pub fn put_webhook(
        &self,
        account: &str,
        region: &str,
        host: &str,
        mut definition: WebhookDefinition,
        tags: Vec<Tag>,
    ) -> Result<ListWebhookItem> {
        let _gate = self.gate();
        resources::webhook_authentication(&definition)?;
        let record = {
            let data = self.read();
            let empty = RegionData::default();
            let rd = data.region(account, region).unwrap_or(&empty);
            let pipeline = rd
                .pipelines
                .get(&definition.target_pipeline)
                .and_then(|p| p.latest())
                .ok_or_else(|| CodePipelineError::PipelineNotFound {
                    account: account.to_string(),
                    name: definition.target_pipeline.clone(),
                })?;
            // Decision: the target must be a source action of the pipeline; otherwise
            // ValidationException (PutWebhook declares nothing closer).
            let action = pipeline
                .stored
                .stages
                .first()
                .and_then(|s| {
                    s.actions
                        .iter()
                        .find(|a| a.name == definition.target_action)
                })
                .ok_or_else(|| {
                    CodePipelineError::Validation(format!(
                        "Pipeline '{}' has no source action named '{}'",
                        definition.target_pipeline, definition.target_action
                    ))
                })?;
            let keys: Vec<&str> = action
                .configuration
                .iter()
                .flat_map(|c| c.keys().map(String::as_str))
                .collect();
            resources::webhook_filters(&definition, &keys)?;
            check_tags(&tags)?;
            let existing = rd.webhooks.get(&definition.name);
            // A redacted token sent back keeps the stored one.
            if definition
                .authentication_configuration
                .secret_token
                .as_deref()
                == Some(MASK)
            {
                if let Some(stored) = existing.and_then(|e| {
                    e.definition
                        .authentication_configuration
                        .secret_token
                        .clone()
                }) {
                    definition.authentication_configuration.secret_token = Some(stored);
                }
            }
            match existing {
                Some(e) => WebhookRecord {
                    definition,
                    tags: merge_tags(&e.tags, &tags)?,
                    ..e.clone()
                },
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    WebhookRecord {
                        account: account.to_string(),
                        region: region.to_string(),
                        url: format!("http://{host}/_simfra/webhooks/{id}"),
                        arn: arn::webhook(region, account, &definition.name),
                        id,
                        definition,
                        tags: merge_tags(&[], &tags)?,
                        registered: false,
                        last_triggered: None,
                    }
                }
            }
        };
        let name = record.definition.name.clone();
        let mut batch = Batch::new();
        batch.put(WEBHOOKS, key(account, region, &name), &record);
        self.store.apply(batch)?;
        let item = record.item();
        self.write()
            .region_mut(account, region)
            .webhooks
            .insert(name, record);
        Ok(item)
    }

    /// One page of ListWebhooks, in name order.
    pub fn list_webhooks(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<ListWebhookItem>, Option<String>) {
        let data = self.read();
        let Some(rd) = data.region(account, region) else {
            return (Vec::new(), None);
        };
        let start = match after {
            Some(name) => Bound::Excluded(name),
            None => Bound::Unbounded,
        };
        let items = rd
            .webhooks
            .range::<str, _>((start, Bound::Unbounded))
            .map(|(name, w)| (name.as_str(), w.item()));
        paging::page(items, max)
    }

    /// DeleteWebhook: idempotent, as AWS documents.
    pub fn delete_webhook(&self, account: &str, region: &str, name: &str) -> Result<()> {
        let _gate = self.gate();
        let exists = self
            .read()
            .region(account, region)
            .is_some_and(|rd| rd.webhooks.contains_key(name));
        if !exists {
            return Ok(());
        }
        let mut batch = Batch::new();
        batch.delete(WEBHOOKS, key(account, region, name));
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .webhooks
            .remove(name);
        Ok(())
    }

    /// Register/DeregisterWebhookWithThirdParty. Decision: there is no third party to call
    /// locally (AWS would create the hook on GitHub); the call checks the webhook exists and
    /// records whether it is registered, so tools that call it work unchanged.
    pub fn set_webhook_registered(
        &self,
        account: &str,
        region: &str,
        name: &str,
        registered: bool,
    ) -> Result<()> {
        let _gate = self.gate();
        let mut record = self
            .read()
            .region(account, region)
            .and_then(|rd| rd.webhooks.get(name))
            .cloned()
            .ok_or_else(|| webhook_not_found(name))?;
        if record.registered == registered {
            return Ok(());
        }
        record.registered = registered;
        let mut batch = Batch::new();
        batch.put(WEBHOOKS, key(account, region, name), &record);
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .webhooks
            .insert(name.to_string(), record);
        Ok(())
    }

    /// The webhook a local webhook URL names (the engine serves the URL).
    pub fn webhook_by_id(&self, id: &str) -> Option<WebhookRecord> {
        self.read()
            .all_regions()
            .flat_map(|rd| rd.webhooks.values())
            .find(|w| w.id == id)
            .cloned()
    }

    /// Records that a webhook started its pipeline (`lastTriggered`).
    pub fn webhook_triggered(&self, account: &str, region: &str, name: &str) -> Result<()> {
        let _gate = self.gate();
        let mut record = self
            .read()
            .region(account, region)
            .and_then(|rd| rd.webhooks.get(name))
            .cloned()
            .ok_or_else(|| webhook_not_found(name))?;
        record.last_triggered = Some(Timestamp::now());
        let mut batch = Batch::new();
        batch.put(WEBHOOKS, key(account, region, name), &record);
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .webhooks
            .insert(name.to_string(), record);
        Ok(())
    }
}
