//! Action types (`ActionType` as `ListActionTypes`/`CreateCustomActionType` show them, and
//! `ActionTypeDeclaration` of `GetActionType`/`UpdateActionType`) and rule types.

use serde::{Deserialize, Serialize};

use super::pipeline::{ActionTypeId, RuleTypeId};
use crate::aws_enum;

aws_enum!(ActionConfigurationPropertyType {
    String = "String",
    Number = "Number",
    Boolean = "Boolean",
});

aws_enum!(ExecutorType {
    JobWorker = "JobWorker",
    Lambda = "Lambda",
});

/// An action type as listed by `ListActionTypes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionType {
    pub id: ActionTypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ActionTypeSettings>,
    #[serde(default)]
    pub action_configuration_properties: Vec<ActionConfigurationProperty>,
    pub input_artifact_details: ArtifactDetails,
    pub output_artifact_details: ArtifactDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party_configuration_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_url_template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionConfigurationProperty {
    pub name: String,
    pub required: bool,
    pub key: bool,
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queryable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub property_type: Option<ActionConfigurationPropertyType>,
}

impl ActionConfigurationProperty {
    pub fn is_queryable(&self) -> bool {
        self.queryable == Some(true)
    }
}

/// How many artifacts an action (or rule) type takes or produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactDetails {
    pub minimum_count: i64,
    pub maximum_count: i64,
}

impl ArtifactDetails {
    pub const fn new(minimum_count: i64, maximum_count: i64) -> Self {
        ArtifactDetails {
            minimum_count,
            maximum_count,
        }
    }
}

/// The full description of an action type (`GetActionType`, `UpdateActionType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeDeclaration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub executor: ActionTypeExecutor,
    pub id: ActionTypeIdentifier,
    pub input_artifact_details: ArtifactDetails,
    pub output_artifact_details: ArtifactDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<ActionTypePermissions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<ActionTypeProperty>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<ActionTypeUrls>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeExecutor {
    pub configuration: ExecutorConfiguration,
    #[serde(rename = "type")]
    pub executor_type: ExecutorType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_statements_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_timeout: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_executor_configuration: Option<LambdaExecutorConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_worker_executor_configuration: Option<JobWorkerExecutorConfiguration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaExecutorConfiguration {
    pub lambda_function_arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobWorkerExecutorConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_accounts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_service_principals: Option<Vec<String>>,
}

/// `ActionTypeIdentifier`: its `owner` is a pattern (`AWS|ThirdParty`), not an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTypeIdentifier {
    pub category: super::pipeline::ActionCategory,
    pub owner: String,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypePermissions {
    pub allowed_accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeProperty {
    pub name: String,
    pub optional: bool,
    pub key: bool,
    pub no_echo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queryable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeUrls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_url_template: Option<String>,
}

/// A rule type as listed by `ListRuleTypes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleType {
    pub id: RuleTypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ActionTypeSettings>,
    #[serde(default)]
    pub rule_configuration_properties: Vec<ActionConfigurationProperty>,
    pub input_artifact_details: ArtifactDetails,
}
