//! CodeBuild wire types (`CodeBuild_20161006`), named and shaped as the service model has them.
//! The same structs serve requests and responses; absent members are omitted.

use serde::{Deserialize, Serialize};

use crate::protocol::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SourceAuth {
    pub r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSource {
    pub r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_clone_depth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_submodules_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buildspec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<SourceAuth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_build_status: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_status_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_ssl: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identifier: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSourceVersion {
    pub source_identifier: String,
    pub source_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectArtifacts {
    pub r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packaging: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_artifact_name: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_owner_access: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectEnvironment {
    pub r#type: String,
    pub image: String,
    pub compute_type: String,
    #[serde(default)]
    pub environment_variables: Vec<EnvironmentVariable>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged_mode: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_credential: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_credentials_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_configuration: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_server: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectCache {
    pub r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchLogsConfig {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct S3LogsConfig {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_owner_access: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LogsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logs: Option<CloudWatchLogsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_logs: Option<S3LogsConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBadge {
    pub badge_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge_request_url: Option<String>,
}

/// A project, as stored and as BatchGetProjects returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub name: String,
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub source: ProjectSource,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_sources: Vec<ProjectSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_source_versions: Vec<ProjectSourceVersion>,
    pub artifacts: ProjectArtifacts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_artifacts: Vec<ProjectArtifacts>,
    pub cache: ProjectCache,
    pub environment: ProjectEnvironment,
    pub service_role: String,
    pub timeout_in_minutes: i64,
    pub queued_timeout_in_minutes: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    pub badge: ProjectBadge,
    pub logs_config: LogsConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_system_locations: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_batch_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_build_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_visibility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_retry_limit: Option<i64>,
}

/// CreateProject and UpdateProject (in UpdateProject everything but `name` is optional; the
/// handler checks CreateProject's required members).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInput {
    pub name: String,
    pub description: Option<String>,
    pub source: Option<ProjectSource>,
    pub secondary_sources: Option<Vec<ProjectSource>>,
    pub source_version: Option<String>,
    pub secondary_source_versions: Option<Vec<ProjectSourceVersion>>,
    pub artifacts: Option<ProjectArtifacts>,
    pub secondary_artifacts: Option<Vec<ProjectArtifacts>>,
    pub cache: Option<ProjectCache>,
    pub environment: Option<ProjectEnvironment>,
    pub service_role: Option<String>,
    pub timeout_in_minutes: Option<i64>,
    pub queued_timeout_in_minutes: Option<i64>,
    pub encryption_key: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub vpc_config: Option<serde_json::Value>,
    pub badge_enabled: Option<bool>,
    pub logs_config: Option<LogsConfig>,
    pub file_system_locations: Option<Vec<serde_json::Value>>,
    pub build_batch_config: Option<serde_json::Value>,
    pub concurrent_build_limit: Option<i64>,
    pub auto_retry_limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectOutput {
    pub project: Project,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameInput {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamesInput {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetProjectsOutput {
    pub projects: Vec<Project>,
    pub projects_not_found: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListProjectsInput {
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListProjectsOutput {
    pub projects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PhaseContext {
    pub status_code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BuildPhase {
    pub phase_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase_status: Option<String>,
    pub start_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_in_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<PhaseContext>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BuildArtifacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256sum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5sum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_artifact_name: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_identifier: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LogsLocation {
    pub group_name: String,
    pub stream_name: String,
    pub deep_link: String,
    pub cloud_watch_logs_arn: String,
    pub cloud_watch_logs: CloudWatchLogsConfig,
    pub s3_logs: S3LogsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExportedEnvironmentVariable {
    pub name: String,
    pub value: String,
}

/// A build, as stored and as BatchGetBuilds returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    pub id: String,
    pub arn: String,
    pub build_number: i64,
    pub start_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    pub current_phase: String,
    pub build_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_source_version: Option<String>,
    pub project_name: String,
    pub phases: Vec<BuildPhase>,
    pub source: ProjectSource,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_sources: Vec<ProjectSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_source_versions: Vec<ProjectSourceVersion>,
    pub artifacts: BuildArtifacts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_artifacts: Vec<BuildArtifacts>,
    pub cache: ProjectCache,
    pub environment: ProjectEnvironment,
    pub service_role: String,
    pub logs: LogsLocation,
    pub timeout_in_minutes: i64,
    pub queued_timeout_in_minutes: i64,
    pub build_complete: bool,
    pub initiator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exported_environment_variables: Vec<ExportedEnvironmentVariable>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StartBuildInput {
    pub project_name: String,
    pub secondary_sources_override: Option<Vec<ProjectSource>>,
    pub secondary_sources_version_override: Option<Vec<ProjectSourceVersion>>,
    pub source_version: Option<String>,
    pub artifacts_override: Option<ProjectArtifacts>,
    pub secondary_artifacts_override: Option<Vec<ProjectArtifacts>>,
    pub environment_variables_override: Option<Vec<EnvironmentVariable>>,
    pub source_type_override: Option<String>,
    pub source_location_override: Option<String>,
    pub source_auth_override: Option<SourceAuth>,
    pub git_clone_depth_override: Option<i64>,
    pub buildspec_override: Option<String>,
    pub insecure_ssl_override: Option<bool>,
    pub environment_type_override: Option<String>,
    pub image_override: Option<String>,
    pub compute_type_override: Option<String>,
    pub certificate_override: Option<String>,
    pub cache_override: Option<ProjectCache>,
    pub service_role_override: Option<String>,
    pub privileged_mode_override: Option<bool>,
    pub timeout_in_minutes_override: Option<i64>,
    pub queued_timeout_in_minutes_override: Option<i64>,
    pub encryption_key_override: Option<String>,
    pub idempotency_token: Option<String>,
    pub logs_config_override: Option<LogsConfig>,
    pub image_pull_credentials_type_override: Option<String>,
    pub debug_session_enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOutput {
    pub build: Build,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdInput {
    pub id: Option<String>,
    pub idempotency_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdsInput {
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetBuildsOutput {
    pub builds: Vec<Build>,
    pub builds_not_found: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildNotDeleted {
    pub id: String,
    pub status_code: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchDeleteBuildsOutput {
    pub builds_deleted: Vec<String>,
    pub builds_not_deleted: Vec<BuildNotDeleted>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListBuildsInput {
    pub project_name: Option<String>,
    pub sort_order: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBuildsOutput {
    pub ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Empty {}
