//! CodeBuild build and test provider (AWS / Build or Test / CodeBuild).
//!
//! Starts a build of `ProjectName` with the action's input artifacts as its sources (the
//! primary one named by `PrimarySource`, required with several inputs), its output artifacts
//! as the build's artifacts, and `EnvironmentVariables` (a JSON list of `{name, value, type}`)
//! as overrides. The build id is the action's external execution id; when the build ends the
//! build service calls back and the action reports: succeeded iff the build SUCCEEDED, with
//! the buildspec's exported variables as the action's output variables. Abandoning the action
//! stops the build. `BatchEnabled=true` (batch builds) is not offered yet and fails clearly.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{
    ActionJob, ActionProgress, ActionSuccess, NothingToCancel, Provider, Reporter, RunningAction,
    RunningBuild,
};
use crate::engine::ports::{BuildRequest, BuildService};

pub struct CodeBuildAction {
    pub builds: Arc<dyn BuildService>,
}

#[derive(Deserialize)]
struct Variable {
    name: String,
    value: String,
    #[serde(default, rename = "type")]
    ty: Option<String>,
}

/// The action's configuration turned into a build request.
fn request(job: &ActionJob) -> Result<BuildRequest, String> {
    let project = job
        .configuration
        .get("ProjectName")
        .cloned()
        .ok_or("ProjectName is not set")?;
    if job
        .configuration
        .get("BatchEnabled")
        .is_some_and(|b| b.eq_ignore_ascii_case("true"))
    {
        return Err("BatchEnabled=true (batch builds) is not supported by simfra yet".into());
    }
    let variables = match job.configuration.get("EnvironmentVariables") {
        None => Vec::new(),
        Some(text) => serde_json::from_str::<Vec<Variable>>(text)
            .map_err(|e| format!("EnvironmentVariables is not a valid JSON list: {e}"))?
            .into_iter()
            .map(|v| (v.name, v.value, v.ty.unwrap_or_else(|| "PLAINTEXT".into())))
            .collect(),
    };
    let primary = match job.configuration.get("PrimarySource") {
        Some(name) => job
            .input_artifacts
            .iter()
            .position(|a| &a.name == name)
            .ok_or_else(|| format!("PrimarySource {name} is not one of the input artifacts"))?,
        None if job.input_artifacts.len() > 1 => {
            return Err(
                "PrimarySource is required when the action has several input \
                        artifacts"
                    .into(),
            )
        }
        None => 0,
    };
    let triple = |a: &crate::engine::records::ArtifactLocation| {
        (a.name.clone(), a.bucket.clone(), a.key.clone())
    };
    Ok(BuildRequest {
        account: job.key.account.clone(),
        region: job.key.region.clone(),
        pipeline: job.key.name.clone(),
        project,
        variables,
        inputs: job.input_artifacts.iter().map(triple).collect(),
        primary,
        outputs: job.output_artifacts.iter().map(triple).collect(),
        source_revision: job
            .input_artifacts
            .get(primary)
            .and_then(|a| job.input_revisions.get(&a.name))
            .filter(|r| r.as_str() != "null")
            .cloned(),
    })
}

impl Provider for CodeBuildAction {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let req = match request(&job) {
            Ok(r) => r,
            Err(msg) => {
                reporter.failed("ConfigurationError", msg);
                return Box::new(NothingToCancel);
            }
        };
        let (account, region) = (req.account.clone(), req.region.clone());
        let done_reporter = reporter.clone();
        let started = self.builds.start_build(
            req,
            Box::new(move |result| {
                if result.status == "SUCCEEDED" {
                    done_reporter.succeeded(ActionSuccess {
                        external_execution_id: Some(result.build_id.clone()),
                        output_variables: result.exported.into_iter().collect::<BTreeMap<_, _>>(),
                        ..Default::default()
                    });
                } else {
                    let message = match result.message() {
                        Some(m) => {
                            format!("Build {} ended {}: {m}", result.build_id, result.status)
                        }
                        None => format!("Build {} ended {}", result.build_id, result.status),
                    };
                    done_reporter.failed("JobFailed", message);
                }
            }),
        );
        match started {
            Ok(build_id) => {
                reporter.progress(ActionProgress {
                    external_execution_id: Some(build_id.clone()),
                    ..Default::default()
                });
                Box::new(RunningBuild {
                    builds: self.builds.clone(),
                    account,
                    region,
                    build_id,
                })
            }
            Err(e) => {
                reporter.failed("JobFailed", e.to_string());
                Box::new(NothingToCancel)
            }
        }
    }
}
