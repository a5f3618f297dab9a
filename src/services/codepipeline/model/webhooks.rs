//! Webhooks (the V1 way for a third-party source host to start a pipeline).

use serde::{Deserialize, Serialize};

use super::pipeline::Tag;
use crate::aws_enum;
use crate::protocol::Timestamp;

aws_enum!(WebhookAuthenticationType {
    GithubHmac = "GITHUB_HMAC",
    Ip = "IP",
    Unauthenticated = "UNAUTHENTICATED",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDefinition {
    pub name: String,
    pub target_pipeline: String,
    pub target_action: String,
    pub filters: Vec<WebhookFilterRule>,
    pub authentication: WebhookAuthenticationType,
    pub authentication_configuration: WebhookAuthConfiguration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFilterRule {
    pub json_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_equals: Option<String>,
}

/// The model spells these two members in PascalCase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAuthConfiguration {
    #[serde(
        default,
        rename = "AllowedIPRange",
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_ip_range: Option<String>,
    #[serde(
        default,
        rename = "SecretToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_token: Option<String>,
}

/// A webhook as `PutWebhook` and `ListWebhooks` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListWebhookItem {
    pub definition: WebhookDefinition,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_triggered: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}
