//! EventBridge wire types (members are PascalCase) and the typed records kept as state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_enum;
use crate::protocol::Timestamp;

aws_enum!(RuleState {
    Enabled = "ENABLED",
    Disabled = "DISABLED",
    EnabledWithAllCloudtrailManagementEvents = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
});

aws_enum!(HttpMethod {
    Post = "POST",
    Get = "GET",
    Head = "HEAD",
    Options = "OPTIONS",
    Put = "PUT",
    Patch = "PATCH",
    Delete = "DELETE",
});

aws_enum!(AuthorizationType {
    Basic = "BASIC",
    OauthClientCredentials = "OAUTH_CLIENT_CREDENTIALS",
    ApiKey = "API_KEY",
});

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct InputTransformer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_paths_map: Option<BTreeMap<String, String>>,
    pub input_template: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct HttpParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_parameter_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<BTreeMap<String, String>>,
}

/// A rule target. Parameters of target kinds simfra does not run (ECS, Batch, Kinesis, ...)
/// are kept as the client sent them and echoed by ListTargetsByRule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_parameters: Option<HttpParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    /// Parameters simfra stores but does not act on.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

// ------------------------------------------------------------------ records (state)

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleRecord {
    pub account: String,
    pub region: String,
    pub bus: String,
    pub name: String,
    pub arn: String,
    pub event_pattern: Option<String>,
    pub schedule_expression: Option<String>,
    pub state: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub targets: Vec<Target>,
    pub tags: Vec<Tag>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BusRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BasicAuth {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ApiKeyAuth {
    pub api_key_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionParameter {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_value_secret: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionHttpParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_parameters: Option<Vec<ConnectionParameter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<Vec<ConnectionParameter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_parameters: Option<Vec<ConnectionParameter>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AuthParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth_parameters: Option<BasicAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_auth_parameters: Option<ApiKeyAuth>,
    /// OAuth client credentials: stored, not used (delivery through them fails clearly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o_auth_parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_http_parameters: Option<ConnectionHttpParameters>,
}

impl AuthParameters {
    /// The parameters as Describe shows them: secrets left out.
    pub fn redacted(&self) -> AuthParameters {
        let strip = |ps: &Option<Vec<ConnectionParameter>>| {
            ps.as_ref().map(|v| {
                v.iter()
                    .map(|p| ConnectionParameter {
                        key: p.key.clone(),
                        value: if p.is_value_secret == Some(true) {
                            None
                        } else {
                            p.value.clone()
                        },
                        is_value_secret: p.is_value_secret,
                    })
                    .collect()
            })
        };
        AuthParameters {
            basic_auth_parameters: self.basic_auth_parameters.as_ref().map(|b| BasicAuth {
                username: b.username.clone(),
                password: None,
            }),
            api_key_auth_parameters: self.api_key_auth_parameters.as_ref().map(|k| ApiKeyAuth {
                api_key_name: k.api_key_name.clone(),
                api_key_value: None,
            }),
            o_auth_parameters: self.o_auth_parameters.as_ref().map(|o| {
                let mut o = o.clone();
                if let Some(c) = o
                    .get_mut("ClientParameters")
                    .and_then(|c| c.as_object_mut())
                {
                    c.remove("ClientSecret");
                }
                o
            }),
            invocation_http_parameters: self.invocation_http_parameters.as_ref().map(|h| {
                ConnectionHttpParameters {
                    header_parameters: strip(&h.header_parameters),
                    query_string_parameters: strip(&h.query_string_parameters),
                    body_parameters: strip(&h.body_parameters),
                }
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub authorization_type: String,
    pub auth: AuthParameters,
    pub created_ms: i64,
    pub modified_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiDestinationRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub connection_arn: String,
    pub endpoint: String,
    pub method: String,
    pub rate_limit: Option<i64>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

// ------------------------------------------------------------------ requests / responses

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRuleInput {
    pub name: String,
    pub schedule_expression: Option<String>,
    pub event_pattern: Option<String>,
    pub state: Option<RuleState>,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub event_bus_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRuleOutput {
    pub rule_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleRef {
    pub name: String,
    pub event_bus_name: Option<String>,
    #[serde(default)]
    pub force: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleView {
    pub name: String,
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub event_bus_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRulesInput {
    pub name_prefix: Option<String>,
    pub event_bus_name: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRulesOutput {
    pub rules: Vec<RuleView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTargetsInput {
    pub rule: String,
    pub event_bus_name: Option<String>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct FailedEntry {
    pub target_id: String,
    pub error_code: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailedEntriesOutput {
    pub failed_entry_count: usize,
    pub failed_entries: Vec<FailedEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTargetsInput {
    pub rule: String,
    pub event_bus_name: Option<String>,
    pub ids: Vec<String>,
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTargetsByRuleInput {
    pub rule: String,
    pub event_bus_name: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTargetsByRuleOutput {
    pub targets: Vec<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRuleNamesByTargetInput {
    pub target_arn: String,
    pub event_bus_name: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRuleNamesByTargetOutput {
    pub rule_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsEntry {
    pub time: Option<Timestamp>,
    pub source: Option<String>,
    pub resources: Option<Vec<String>>,
    pub detail_type: Option<String>,
    pub detail: Option<String>,
    pub event_bus_name: Option<String>,
    pub trace_header: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsInput {
    pub entries: Vec<PutEventsEntry>,
    pub endpoint_id: Option<String>,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsResultEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsOutput {
    pub failed_entry_count: usize,
    pub entries: Vec<PutEventsResultEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEventPatternInput {
    pub event_pattern: String,
    pub event: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEventPatternOutput {
    pub result: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEventBusInput {
    pub name: String,
    pub event_source_name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEventBusOutput {
    pub event_bus_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BusRef {
    pub name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BusView {
    pub name: String,
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEventBusesInput {
    pub name_prefix: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEventBusesOutput {
    pub event_buses: Vec<BusView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateConnectionInput {
    pub name: String,
    pub description: Option<String>,
    pub authorization_type: AuthorizationType,
    pub auth_parameters: AuthParameters,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionOutput {
    pub connection_arn: String,
    pub connection_state: String,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameRef {
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionView {
    pub connection_arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub connection_state: String,
    pub authorization_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_parameters: Option<AuthParameters>,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
    pub last_authorized_time: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListConnectionsInput {
    pub name_prefix: Option<String>,
    pub connection_state: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListConnectionsOutput {
    pub connections: Vec<ConnectionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiDestinationInput {
    pub name: String,
    pub description: Option<String>,
    pub connection_arn: Option<String>,
    pub invocation_endpoint: Option<String>,
    pub http_method: Option<HttpMethod>,
    pub invocation_rate_limit_per_second: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiDestinationOutput {
    pub api_destination_arn: String,
    pub api_destination_state: String,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiDestinationView {
    pub api_destination_arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub api_destination_state: String,
    pub connection_arn: String,
    pub invocation_endpoint: String,
    pub http_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation_rate_limit_per_second: Option<i64>,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListApiDestinationsInput {
    pub name_prefix: Option<String>,
    pub connection_arn: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListApiDestinationsOutput {
    pub api_destinations: Vec<ApiDestinationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Empty {}
