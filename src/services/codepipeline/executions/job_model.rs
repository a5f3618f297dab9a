//! Wire types of the job worker operations (botocore `codepipeline` 2015-07-09): PollForJobs,
//! AcknowledgeJob, GetJobDetails, PutJobSuccessResult, PutJobFailureResult and their
//! ThirdParty variants, and the conversion of the engine's job data into AWS's `JobData`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_enum;
use crate::clock::Timestamp;
use crate::engine::jobs;
use crate::engine::records::ArtifactLocation as Location;
use crate::services::codepipeline::model::{ActionCategory, ActionOwner, ActionTypeId};

aws_enum!(FailureType {
    JobFailed = "JobFailed",
    ConfigurationError = "ConfigurationError",
    PermissionError = "PermissionError",
    RevisionOutOfSync = "RevisionOutOfSync",
    RevisionUnavailable = "RevisionUnavailable",
    SystemUnavailable = "SystemUnavailable",
});

// ---- inputs ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollForJobsInput {
    pub action_type_id: ActionTypeId,
    pub max_batch_size: Option<i64>,
    pub query_param: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollForThirdPartyJobsInput {
    pub action_type_id: ActionTypeId,
    pub max_batch_size: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeJobInput {
    pub job_id: String,
    pub nonce: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeThirdPartyJobInput {
    pub job_id: String,
    pub nonce: String,
    pub client_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetJobDetailsInput {
    pub job_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetThirdPartyJobDetailsInput {
    pub job_id: String,
    pub client_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentRevision {
    pub revision: String,
    pub change_identifier: String,
    pub created: Option<Timestamp>,
    pub revision_summary: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetails {
    pub summary: Option<String>,
    pub external_execution_id: Option<String>,
    pub percent_complete: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutJobSuccessResultInput {
    pub job_id: String,
    pub current_revision: Option<CurrentRevision>,
    pub continuation_token: Option<String>,
    pub execution_details: Option<ExecutionDetails>,
    pub output_variables: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutThirdPartyJobSuccessResultInput {
    pub job_id: String,
    pub client_token: String,
    pub current_revision: Option<CurrentRevision>,
    pub continuation_token: Option<String>,
    pub execution_details: Option<ExecutionDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureDetails {
    #[serde(rename = "type")]
    pub failure_type: FailureType,
    pub message: String,
    pub external_execution_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutJobFailureResultInput {
    pub job_id: String,
    pub failure_details: FailureDetails,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutThirdPartyJobFailureResultInput {
    pub job_id: String,
    pub client_token: String,
    pub failure_details: FailureDetails,
}

// ---- outputs -----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionConfiguration {
    pub configuration: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageContext {
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionContext {
    pub name: String,
    pub action_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineContext {
    pub pipeline_name: String,
    pub stage: StageContext,
    pub action: ActionContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_execution_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct S3ArtifactLocation {
    pub bucket_name: String,
    pub object_key: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(rename = "type")]
    pub location_type: &'static str,
    pub s3_location: S3ArtifactLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub name: String,
    pub location: ArtifactLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsSessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// `JobData` and `ThirdPartyJobData` (the same members; `encryptionKey` is never set since
/// simfra's artifact store does not encrypt).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobData {
    pub action_type_id: ActionTypeId,
    pub action_configuration: ActionConfiguration,
    pub pipeline_context: PipelineContext,
    pub input_artifacts: Vec<Artifact>,
    pub output_artifacts: Vec<Artifact>,
    pub artifact_credentials: AwsSessionCredentials,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
}

fn artifacts(list: &[Location]) -> Vec<Artifact> {
    list.iter()
        .map(|a| Artifact {
            name: a.name.clone(),
            location: ArtifactLocation {
                location_type: "S3",
                s3_location: S3ArtifactLocation {
                    bucket_name: a.bucket.clone(),
                    object_key: a.key.clone(),
                },
            },
        })
        .collect()
}

impl JobData {
    /// The wire form of a job's data. Partner jobs carry no `pipelineArn` nor
    /// `pipelineExecutionId` (the model's note on `PipelineContext`).
    pub fn of(d: &jobs::JobData, kind: jobs::JobKind) -> Self {
        let custom = kind == jobs::JobKind::Custom;
        JobData {
            action_type_id: ActionTypeId {
                category: ActionCategory::parse(&d.action_type.category),
                owner: ActionOwner::parse(&d.action_type.owner),
                provider: d.action_type.provider.clone(),
                version: d.action_type.version.clone(),
            },
            action_configuration: ActionConfiguration {
                configuration: d.configuration.clone(),
            },
            pipeline_context: PipelineContext {
                pipeline_name: d.pipeline_name.clone(),
                stage: StageContext {
                    name: d.stage.clone(),
                },
                action: ActionContext {
                    name: d.action.clone(),
                    action_execution_id: d.action_execution_id.clone(),
                },
                pipeline_arn: custom.then(|| d.pipeline_arn.clone()),
                pipeline_execution_id: custom.then(|| d.pipeline_execution_id.clone()),
            },
            input_artifacts: artifacts(&d.input_artifacts),
            output_artifacts: artifacts(&d.output_artifacts),
            artifact_credentials: AwsSessionCredentials {
                access_key_id: d.credentials.access_key_id.clone(),
                secret_access_key: d.credentials.secret_access_key.clone(),
                session_token: d.credentials.session_token.clone(),
            },
            continuation_token: d.continuation_token.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: String,
    pub data: JobData,
    pub nonce: String,
    pub account_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollForJobsOutput {
    pub jobs: Vec<Job>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThirdPartyJob {
    pub client_id: String,
    pub job_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollForThirdPartyJobsOutput {
    pub jobs: Vec<ThirdPartyJob>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeJobOutput {
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetails {
    pub id: String,
    pub data: JobData,
    pub account_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetJobDetailsOutput {
    pub job_details: JobDetails,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThirdPartyJobDetails {
    pub id: String,
    pub data: JobData,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetThirdPartyJobDetailsOutput {
    pub job_details: ThirdPartyJobDetails,
}
