//! CodeDeploy (`CodeDeploy_20141006`): applications, deployment groups, deployment
//! configurations, on-premises instances, application revisions and deployments, for the
//! EC2/On-premises (Server) compute platform.
//!
//! The API stores; it does not run. CreateDeployment stores a deployment as `Created` and hands
//! its id to the [`launcher::Launcher`] wired at start-up (the runner), which records targets,
//! lifecycle events and statuses in the state as it goes; StopDeployment asks the launcher to
//! stop. Without a launcher (`NoLauncher`) deployments stay `Created`.
//!
//! Layout: `handlers/` (operations, by domain), `model/` (wire types), `errors.rs` (the one
//! error table), `validate.rs`, `state/` (records, persistence, the runner's surface),
//! `launcher.rs` (the seam to the runner); what runs deployments is in `appspec.rs`, `plan.rs`,
//! `install.rs` and `runner/`.

pub mod appspec;
pub mod errors;
pub mod handlers;
pub mod install;
pub mod launcher;
pub mod model;
pub mod plan;
pub mod runner;
pub mod state;
pub mod validate;

use std::sync::{Arc, OnceLock};

use crate::protocol::{AwsEnum, JsonService, Router, ServiceHandle, Timestamp};
use crate::settings::Settings;
use crate::store::Store;

use errors::{Code, CodeDeployError as E, Result};
use launcher::{Launcher, NoLauncher};
use model::*;
use state::{DeploymentRecord, State};

/// What StopDeployment answers while the runner stops a deployment.
pub const STOP_PENDING: &str =
    "Stopping Pending. Stopping to schedule commands in the deployment instances";

pub struct CodeDeploy {
    pub state: Arc<State>,
    launcher: OnceLock<Arc<dyn Launcher>>,
}

impl CodeDeploy {
    pub fn new(state: Arc<State>) -> Self {
        CodeDeploy {
            state,
            launcher: OnceLock::new(),
        }
    }

    /// Wires the runner (once; a second call is ignored with a warning).
    pub fn set_launcher(&self, launcher: Arc<dyn Launcher>) {
        if self.launcher.set(launcher).is_err() {
            tracing::warn!("CodeDeploy's launcher was already set; the new one is ignored");
        }
    }

    /// The wired launcher, or one that runs nothing.
    pub fn launcher(&self) -> Arc<dyn Launcher> {
        self.launcher
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(NoLauncher))
    }

    /// CreateDeployment: validates the request against the application, group, configuration
    /// and revision, stores the deployment (`Created`, creator as given: `user` for API and
    /// pipeline calls, `codeDeployRollback` for automatic rollbacks), registers its revision's
    /// use, and asks the launcher to run it. The deployment's id.
    pub fn create_deployment(
        &self,
        account: &str,
        region: &str,
        input: CreateDeploymentInput,
        creator: &str,
    ) -> Result<String> {
        validate::application_name(&input.application_name)?;
        let group_name = input.deployment_group_name.clone().unwrap_or_default();
        validate::group_name(&group_name)?;
        if let Some(c) = &input.deployment_config_name {
            validate::config_name(c)?;
        }
        validate::description(input.description.as_deref())?;
        if let Some(f) = input
            .file_exists_behavior
            .as_ref()
            .filter(|f| !f.is_known())
        {
            return Err(E::new(
                Code::InvalidFileExistsBehavior,
                format!("fileExistsBehavior '{f}' is invalid: use DISALLOW, OVERWRITE or RETAIN"),
            ));
        }
        if let Some(r) = &input.auto_rollback_configuration {
            validate::auto_rollback(r)?;
        }
        if let Some(a) = &input.override_alarm_configuration {
            validate::alarms(a)?;
        }
        let app = self
            .state
            .require_application(account, region, &input.application_name)?;
        let group = self
            .state
            .group(account, region, &input.application_name, &group_name)
            .ok_or_else(|| E::group_missing(&input.application_name, &group_name))?;
        let platform = app.info.compute_platform.clone();
        let revision =
            match input
                .revision
                .clone()
                .or_else(|| group.info.target_revision.clone())
            {
                Some(r) => r,
                None => return Err(E::new(
                    Code::RevisionRequired,
                    "A revision is required: the deployment group has no target revision to deploy",
                )),
            };
        if platform == ComputePlatform::Server {
            validate::server_revision(&revision)?;
        } else {
            validate::revision(&revision)?;
        }
        if let Some(t) = &input.target_instances {
            if !group.info.deployment_style.is_blue_green() {
                return Err(E::new(
                    Code::InvalidTargetInstances,
                    "Target instances can only be specified for a blue/green deployment; this deployment group deploys in place",
                ));
            }
            let filters = t.tag_filters.as_deref().unwrap_or_default();
            validate::tag_filters(
                filters,
                "targetInstances.tagFilters",
                Code::InvalidTargetInstances,
            )?;
        }
        let config_name = input
            .deployment_config_name
            .clone()
            .unwrap_or_else(|| group.info.deployment_config_name.clone());
        let config = self
            .state
            .config(account, region, &config_name)
            .ok_or_else(|| E::config_missing(&config_name))?;
        if config.compute_platform != platform {
            return Err(E::new(
                Code::InvalidDeploymentConfigName,
                format!(
                    "The deployment configuration {config_name} is for the {} compute platform; application {} uses {platform}",
                    config.compute_platform, app.info.application_name
                ),
            ));
        }
        if platform != ComputePlatform::Server {
            if input.update_outdated_instances_only == Some(true) {
                return Err(E::new(
                    Code::InvalidUpdateOutdatedInstancesOnlyValue,
                    format!("updateOutdatedInstancesOnly must be false for {platform} deployments"),
                ));
            }
            if input.ignore_application_stop_failures == Some(true) {
                return Err(E::new(
                    Code::InvalidIgnoreApplicationStopFailuresValue,
                    format!(
                        "ignoreApplicationStopFailures must be false for {platform} deployments"
                    ),
                ));
            }
        }
        let id = loop {
            let id = validate::new_deployment_id();
            if self.state.deployment(account, region, &id).is_none() {
                break id;
            }
        };
        let previous_revision = group
            .info
            .last_successful_deployment
            .as_ref()
            .and_then(|l| l.deployment_id.as_deref())
            .and_then(|d| self.state.deployment(account, region, d))
            .and_then(|d| d.info.revision);
        let info = DeploymentInfo {
            application_name: app.info.application_name.clone(),
            deployment_group_name: group.info.deployment_group_name.clone(),
            deployment_config_name: config.deployment_config_name,
            deployment_id: id.clone(),
            previous_revision,
            revision: Some(revision),
            status: DeploymentStatus::Created,
            create_time: Timestamp::now(),
            description: input.description,
            creator: DeploymentCreator::parse(creator),
            ignore_application_stop_failures: input
                .ignore_application_stop_failures
                .unwrap_or(false),
            auto_rollback_configuration: input
                .auto_rollback_configuration
                .or_else(|| group.info.auto_rollback_configuration.clone()),
            update_outdated_instances_only: input.update_outdated_instances_only.unwrap_or(false),
            deployment_style: group.info.deployment_style.clone(),
            target_instances: input.target_instances,
            blue_green_deployment_configuration: group
                .info
                .blue_green_deployment_configuration
                .clone()
                .filter(|_| group.info.deployment_style.is_blue_green()),
            load_balancer_info: group.info.load_balancer_info.clone(),
            file_exists_behavior: input.file_exists_behavior.unwrap_or_default(),
            compute_platform: platform,
            override_alarm_configuration: input.override_alarm_configuration,
            ..Default::default()
        };
        self.state.insert_deployment(DeploymentRecord {
            account: account.into(),
            region: region.into(),
            info,
            group_id: group.info.deployment_group_id.clone(),
            application_id: app.info.application_id.clone(),
            targets: Vec::new(),
        })?;
        self.launcher().launch(account, region, &id);
        Ok(id)
    }

    /// StopDeployment: a finished deployment is DeploymentAlreadyCompletedException; one the
    /// runner has is stopped by it (answer `Pending`); one the runner does not have (never
    /// launched) is marked Stopped here (answer `Succeeded`).
    pub fn stop_deployment(
        &self,
        account: &str,
        region: &str,
        id: &str,
        auto_rollback: Option<bool>,
    ) -> Result<StopDeploymentOutput> {
        validate::deployment_id(id)?;
        let d = self
            .state
            .deployment(account, region, id)
            .ok_or_else(|| E::deployment_missing(id))?;
        let completed = || {
            E::new(
                Code::DeploymentAlreadyCompleted,
                format!("Deployment {id} has already completed"),
            )
        };
        if d.info.status.is_terminal() {
            return Err(completed());
        }
        if self
            .launcher()
            .stop(account, region, id, auto_rollback.unwrap_or(false))
        {
            return Ok(StopDeploymentOutput {
                status: StopStatus::Pending,
                status_message: STOP_PENDING.into(),
            });
        }
        let mut finished_meanwhile = false;
        self.state.modify_deployment(account, region, id, |d| {
            if d.info.status.is_terminal() {
                finished_meanwhile = true;
                return;
            }
            d.info.status = DeploymentStatus::Stopped;
            d.info.complete_time = Some(Timestamp::now());
            d.info.error_information = Some(ErrorInformation::new(
                ErrorCode::ManualStop,
                "The deployment was stopped by a StopDeployment request",
            ));
        })?;
        if finished_meanwhile {
            return Err(completed());
        }
        self.state.record_group_history(account, region, id)?;
        Ok(StopDeploymentOutput {
            status: StopStatus::Succeeded,
            status_message: "The deployment was stopped".into(),
        })
    }
}

struct Handle(Arc<CodeDeploy>);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "codedeploy"
    }
    fn state(&self) -> String {
        if self.0.launcher.get().is_some() {
            "running".into()
        } else {
            "running (no deployment runner wired: deployments stay Created)".into()
        }
    }
    fn reset(&self) {
        self.0.launcher().reset();
        self.0.state.reset();
    }
    fn shutdown(&self) {
        self.0.launcher().shutdown();
    }
}

/// The operation table.
pub fn service(svc: &Arc<CodeDeploy>) -> JsonService {
    let json = JsonService::new("CodeDeploy_20141006", "codedeploy");
    let json = handlers::register(json, svc);
    handlers::not_yet(json)
}

/// Loads the state and registers the service; the launcher is wired afterwards with
/// [`CodeDeploy::set_launcher`].
pub fn register(
    router: &mut Router,
    _settings: &Settings,
    store: Arc<Store>,
) -> std::result::Result<Arc<CodeDeploy>, String> {
    let state = State::load(store).map_err(|e| format!("loading CodeDeploy: {e}"))?;
    let svc = Arc::new(CodeDeploy::new(Arc::new(state)));
    router.add_json(service(&svc));
    router.add_service(Arc::new(Handle(svc.clone())));
    Ok(svc)
}
