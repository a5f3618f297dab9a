//! The pipeline declaration (`PipelineDeclaration` and everything it contains) and the
//! pipeline's metadata and summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_enum;
use crate::protocol::Timestamp;

aws_enum!(
    /// What an action does; the first stage holds only `Source` actions.
    ActionCategory {
        Source = "Source",
        Build = "Build",
        Deploy = "Deploy",
        Test = "Test",
        Invoke = "Invoke",
        Approval = "Approval",
        Compute = "Compute",
    }
);

aws_enum!(
    /// Who provides an action type.
    ActionOwner {
        Aws = "AWS",
        ThirdParty = "ThirdParty",
        Custom = "Custom",
    }
);

aws_enum!(
    /// How a pipeline handles several executions.
    ExecutionMode {
        Queued = "QUEUED",
        Superseded = "SUPERSEDED",
        Parallel = "PARALLEL",
    }
);

aws_enum!(PipelineType { V1 = "V1", V2 = "V2" });
aws_enum!(ArtifactStoreType { S3 = "S3" });
aws_enum!(EncryptionKeyType { Kms = "KMS" });
aws_enum!(BlockerType { Schedule = "Schedule" });

aws_enum!(
    /// The model's `Result`: what a stage condition does when it engages.
    ConditionResult {
        Rollback = "ROLLBACK",
        Fail = "FAIL",
        Retry = "RETRY",
        Skip = "SKIP",
    }
);

aws_enum!(StageRetryMode {
    FailedActions = "FAILED_ACTIONS",
    AllActions = "ALL_ACTIONS",
});
aws_enum!(RuleCategory { Rule = "Rule" });
aws_enum!(RuleOwner { Aws = "AWS" });
aws_enum!(EnvironmentVariableType {
    Plaintext = "PLAINTEXT",
    SecretsManager = "SECRETS_MANAGER",
});
aws_enum!(PipelineTriggerProviderType {
    CodeStarSourceConnection = "CodeStarSourceConnection",
});
aws_enum!(GitPullRequestEventType {
    Open = "OPEN",
    Updated = "UPDATED",
    Closed = "CLOSED",
});

/// Action configuration (`ActionConfigurationMap`, `RuleConfigurationMap`): a sorted list
/// with a map's JSON, since a map node has room for eleven entries and most actions set three.
pub type Configuration = crate::engine::small_map::SmallMap<String>;

/// A pipeline: its stages, artifact store(s), mode, type, variables and triggers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineDeclaration {
    pub name: String,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_store: Option<ArtifactStore>,
    /// Keyed by region name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_stores: Option<BTreeMap<String, ArtifactStore>>,
    pub stages: Vec<StageDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<ExecutionMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_type: Option<PipelineType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<PipelineVariableDeclaration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<PipelineTriggerDeclaration>>,
}

impl PipelineDeclaration {
    /// The stored version (always set once the service accepted the declaration).
    pub fn version_number(&self) -> i64 {
        self.version.unwrap_or(1)
    }

    /// Every action with the index of its stage.
    pub fn actions(&self) -> impl Iterator<Item = (usize, &StageDeclaration, &ActionDeclaration)> {
        self.stages
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.actions.iter().map(move |a| (i, s, a)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactStore {
    #[serde(rename = "type")]
    pub store_type: ArtifactStoreType,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<EncryptionKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptionKey {
    pub id: String,
    #[serde(rename = "type")]
    pub key_type: EncryptionKeyType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageDeclaration {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<BlockerDeclaration>>,
    pub actions: Vec<ActionDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<FailureConditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<SuccessConditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_entry: Option<BeforeEntryConditions>,
}

impl StageDeclaration {
    pub fn has_conditions(&self) -> bool {
        self.on_failure.is_some() || self.on_success.is_some() || self.before_entry.is_some()
    }
}

/// Reserved by AWS; declaring one is `InvalidBlockerDeclarationException`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockerDeclaration {
    pub name: String,
    #[serde(rename = "type")]
    pub blocker_type: BlockerType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDeclaration {
    pub name: String,
    pub action_type_id: ActionTypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_order: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<String>>,
    #[serde(default)]
    pub output_artifacts: Vec<OutputArtifact>,
    #[serde(default)]
    pub input_artifacts: Vec<InputArtifact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_variables: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_variables: Option<Vec<EnvironmentVariable>>,
}

impl PipelineDeclaration {
    /// Gives back the spare room the decoder left in the declaration's lists: a stored
    /// declaration lives as long as its pipeline, and a list decoded from JSON has room for
    /// four entries where it holds one or two.
    pub fn shrink_to_fit(&mut self) {
        self.stages.shrink_to_fit();
        for stage in &mut self.stages {
            stage.actions.shrink_to_fit();
            if let Some(b) = &mut stage.blockers {
                b.shrink_to_fit();
            }
            for action in &mut stage.actions {
                action.output_artifacts.shrink_to_fit();
                action.input_artifacts.shrink_to_fit();
                for list in [&mut action.commands, &mut action.output_variables]
                    .into_iter()
                    .flatten()
                {
                    list.shrink_to_fit();
                }
                if let Some(e) = &mut action.environment_variables {
                    e.shrink_to_fit();
                }
            }
        }
        if let Some(v) = &mut self.variables {
            v.shrink_to_fit();
        }
        if let Some(t) = &mut self.triggers {
            t.shrink_to_fit();
        }
    }
}

impl ActionDeclaration {
    /// `runOrder`, 1 when absent.
    pub fn run_order(&self) -> i64 {
        self.run_order.unwrap_or(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionTypeId {
    pub category: ActionCategory,
    pub owner: ActionOwner,
    pub provider: String,
    pub version: String,
}

impl ActionTypeId {
    pub fn is_source(&self) -> bool {
        self.category == ActionCategory::Source
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputArtifact {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputArtifact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub variable_type: Option<EnvironmentVariableType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ConditionResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_configuration: Option<RetryConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_mode: Option<StageRetryMode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessConditions {
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeforeEntryConditions {
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ConditionResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<RuleDeclaration>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleDeclaration {
    pub name: String,
    pub rule_type_id: RuleTypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_artifacts: Option<Vec<InputArtifact>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTypeId {
    pub category: RuleCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<RuleOwner>,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineVariableDeclaration {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineTriggerDeclaration {
    pub provider_type: PipelineTriggerProviderType,
    pub git_configuration: GitConfiguration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitConfiguration {
    pub source_action_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<Vec<GitPushFilter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<Vec<GitPullRequestFilter>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitPushFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<GitFilterCriteria>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitPullRequestFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<GitPullRequestEventType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<GitFilterCriteria>,
}

/// `GitTagFilterCriteria`, `GitBranchFilterCriteria` and `GitFilePathFilterCriteria`: the same
/// shape (1-8 glob patterns of 1-255 characters on each side).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitFilterCriteria {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excludes: Option<Vec<String>>,
}

/// `GetPipeline`'s `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineMetadata {
    pub pipeline_arn: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_disabled_at: Option<Timestamp>,
}

/// One item of `ListPipelines`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSummary {
    pub name: String,
    pub version: i64,
    pub pipeline_type: PipelineType,
    pub execution_mode: ExecutionMode,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}
