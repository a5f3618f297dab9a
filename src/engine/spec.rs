//! What the engine needs to know of a pipeline declaration. The CodePipeline service converts
//! its (validated) declaration into this; the engine never sees wire types.

use super::small_map::SmallMap;
use serde::{Deserialize, Serialize};

/// A pipeline, identified by account, region and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PipelineKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl PipelineKey {
    pub fn new(account: &str, region: &str, name: &str) -> Self {
        PipelineKey {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:codepipeline:{}:{}:{}",
            self.region, self.account, self.name
        )
    }

    /// The prefix of every store key of this pipeline.
    pub fn store_prefix(&self) -> String {
        format!("{}/{}/{}/", self.account, self.region, self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionMode {
    #[serde(rename = "SUPERSEDED")]
    Superseded,
    #[serde(rename = "QUEUED")]
    Queued,
    #[serde(rename = "PARALLEL")]
    Parallel,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::Superseded => "SUPERSEDED",
            ExecutionMode::Queued => "QUEUED",
            ExecutionMode::Parallel => "PARALLEL",
        }
    }
}

/// One version of a pipeline, as the engine runs it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PipelineSpec {
    pub name: String,
    pub version: i64,
    pub role_arn: String,
    pub execution_mode: ExecutionMode,
    /// Whether this is a V2 pipeline (pipeline-level variables, stage rollback).
    pub v2: bool,
    /// The artifact store bucket of the pipeline's region.
    pub artifact_bucket: String,
    pub stages: Vec<StageSpec>,
    pub variables: Vec<VariableSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageSpec {
    pub name: String,
    pub actions: Vec<ActionSpec>,
    /// The declared `onFailure` result when it has no rules (it always engages).
    #[serde(default)]
    pub on_failure: Option<super::status::FailurePolicy>,
    /// The stage's conditions with rules (`beforeEntry`, `onSuccess`, and an `onFailure`
    /// whose result engages only when its rules are not all met).
    #[serde(default)]
    pub conditions: StageConditions,
}

/// The conditions of a stage, by hook; each holds one condition (the model allows one).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StageConditions {
    #[serde(default)]
    pub before_entry: Option<ConditionSpec>,
    #[serde(default)]
    pub on_success: Option<ConditionSpec>,
    #[serde(default)]
    pub on_failure: Option<ConditionSpec>,
}

impl StageConditions {
    pub fn get(&self, kind: super::conditions::ConditionKind) -> Option<&ConditionSpec> {
        use super::conditions::ConditionKind as K;
        match kind {
            K::BeforeEntry => self.before_entry.as_ref(),
            K::OnSuccess => self.on_success.as_ref(),
            K::OnFailure => self.on_failure.as_ref(),
        }
    }
}

/// One condition: its rules, evaluated in order, and the result that engages when they are
/// not all met.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConditionSpec {
    pub result: ConditionResult,
    pub rules: Vec<RuleSpec>,
}

/// What a condition does when it engages (the model's `Result`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum ConditionResult {
    Fail,
    Skip,
    Rollback,
    Retry(super::status::RetryMode),
}

/// A rule of a condition (`RuleDeclaration`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleSpec {
    pub name: String,
    /// Category `Rule`, owner `AWS`, the provider and version `1`.
    pub rule_type: ActionTypeSpec,
    pub configuration: SmallMap<String>,
    #[serde(default)]
    pub commands: Vec<String>,
    #[serde(default)]
    pub input_artifacts: Vec<String>,
    pub role_arn: Option<String>,
    pub region: Option<String>,
    pub timeout_in_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct ActionTypeSpec {
    pub category: String,
    pub owner: String,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionSpec {
    pub name: String,
    pub action_type: ActionTypeSpec,
    pub run_order: u32,
    pub configuration: SmallMap<String>,
    pub input_artifacts: Vec<String>,
    pub output_artifacts: Vec<String>,
    pub namespace: Option<String>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub timeout_in_minutes: Option<i64>,
    /// What only the Commands compute action declares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<CommandsSpec>,
}

/// The members of a Commands action (AWS / Compute / Commands) outside its configuration:
/// `commands`, `outputVariables`, `environmentVariables` and its output artifact's `files`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CommandsSpec {
    pub commands: Vec<String>,
    pub output_variables: Vec<String>,
    /// (name, value, type); the type is `PLAINTEXT` when the declaration omits it.
    pub environment_variables: Vec<(String, String, String)>,
    /// The output artifact's `files` (empty: every file).
    pub output_files: Vec<String>,
}

impl CommandsSpec {
    /// The commands and variable values with their `#{...}` references resolved; the error
    /// names the first reference that does not resolve.
    pub fn resolve(&self, scope: &super::variables::Scope) -> Result<CommandsSpec, String> {
        use super::variables::resolve_value;
        let commands = self
            .commands
            .iter()
            .map(|c| resolve_value(c, scope))
            .collect::<Result<_, _>>()?;
        let environment_variables = self
            .environment_variables
            .iter()
            .map(|(n, v, t)| resolve_value(v, scope).map(|v| (n.clone(), v, t.clone())))
            .collect::<Result<_, _>>()?;
        Ok(CommandsSpec {
            commands,
            environment_variables,
            ..self.clone()
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VariableSpec {
    pub name: String,
    pub default_value: Option<String>,
}
