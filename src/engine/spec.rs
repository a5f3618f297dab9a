//! What the engine needs to know of a pipeline declaration. The CodePipeline service converts
//! its (validated) declaration into this; the engine never sees wire types.

use std::collections::BTreeMap;

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
    /// The declared `onFailure` result (without rules: rules are not evaluated yet).
    #[serde(default)]
    pub on_failure: Option<super::status::FailurePolicy>,
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
    pub configuration: BTreeMap<String, String>,
    pub input_artifacts: Vec<String>,
    pub output_artifacts: Vec<String>,
    pub namespace: Option<String>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub timeout_in_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VariableSpec {
    pub name: String,
    pub default_value: Option<String>,
}
