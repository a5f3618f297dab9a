//! Input and output of every control-plane operation.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::action_types::{
    ActionConfigurationProperty, ActionType, ActionTypeDeclaration, ActionTypeSettings,
    ArtifactDetails, RuleType,
};
use super::pipeline::{
    ActionCategory, ActionOwner, PipelineDeclaration, PipelineMetadata, PipelineSummary, RuleOwner,
    Tag,
};
use super::serialize_arc;
use super::webhooks::{ListWebhookItem, WebhookDefinition};

/// The output of operations the model gives no output shape (or an empty one): `{}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

#[derive(Debug, Deserialize)]
pub struct CreatePipelineInput {
    pub pipeline: PipelineDeclaration,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
pub struct CreatePipelineOutput {
    #[serde(serialize_with = "serialize_arc")]
    pub pipeline: Arc<PipelineDeclaration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Deserialize)]
pub struct GetPipelineInput {
    pub name: String,
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct GetPipelineOutput {
    #[serde(serialize_with = "serialize_arc")]
    pub pipeline: Arc<PipelineDeclaration>,
    pub metadata: PipelineMetadata,
}

#[derive(Debug, Deserialize)]
pub struct UpdatePipelineInput {
    pub pipeline: PipelineDeclaration,
}

#[derive(Debug, Serialize)]
pub struct UpdatePipelineOutput {
    #[serde(serialize_with = "serialize_arc")]
    pub pipeline: Arc<PipelineDeclaration>,
}

#[derive(Debug, Deserialize)]
pub struct DeletePipelineInput {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPipelinesInput {
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPipelinesOutput {
    pub pipelines: Vec<PipelineSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    pub resource_arn: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceInput {
    pub resource_arn: String,
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActionTypesInput {
    #[serde(default)]
    pub action_owner_filter: Option<ActionOwner>,
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub region_filter: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActionTypesOutput {
    pub action_types: Vec<ActionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCustomActionTypeInput {
    pub category: ActionCategory,
    pub provider: String,
    pub version: String,
    #[serde(default)]
    pub settings: Option<ActionTypeSettings>,
    #[serde(default)]
    pub configuration_properties: Option<Vec<ActionConfigurationProperty>>,
    pub input_artifact_details: ArtifactDetails,
    pub output_artifact_details: ArtifactDetails,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCustomActionTypeOutput {
    pub action_type: ActionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Deserialize)]
pub struct DeleteCustomActionTypeInput {
    pub category: ActionCategory,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub struct GetActionTypeInput {
    pub category: ActionCategory,
    pub owner: String,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetActionTypeOutput {
    pub action_type: ActionTypeDeclaration,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateActionTypeInput {
    pub action_type: ActionTypeDeclaration,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRuleTypesInput {
    #[serde(default)]
    pub rule_owner_filter: Option<RuleOwner>,
    #[serde(default)]
    pub region_filter: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRuleTypesOutput {
    pub rule_types: Vec<RuleType>,
}

#[derive(Debug, Deserialize)]
pub struct PutWebhookInput {
    pub webhook: WebhookDefinition,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
pub struct PutWebhookOutput {
    pub webhook: ListWebhookItem,
}

/// The model spells this operation's paging members in PascalCase.
#[derive(Debug, Deserialize)]
pub struct ListWebhooksInput {
    #[serde(default, rename = "NextToken")]
    pub next_token: Option<String>,
    #[serde(default, rename = "MaxResults")]
    pub max_results: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ListWebhooksOutput {
    pub webhooks: Vec<ListWebhookItem>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeleteWebhookInput {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookNameInput {
    #[serde(default)]
    pub webhook_name: Option<String>,
}
