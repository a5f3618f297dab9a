//! One deployment, start to end: checks what simfra can deploy, finds the targets, unpacks
//! the revision on the host, then runs the targets' lifecycles as many at a time as the
//! configuration allows (`plan::Fleet`), and records the outcome. Returns whether an automatic
//! rollback is due.

use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use super::events::{self, Scope};
use super::target::{self, Revision, TargetRef};
use super::{bundle, DeployRunner, StopSignal};
use crate::protocol::{AwsEnum, Timestamp};
use crate::services::codedeploy::appspec;
use crate::services::codedeploy::model::{
    AutoRollbackEvent, ComputePlatform, DeploymentStatus, DeploymentType, ErrorCode,
    ErrorInformation, InstanceTarget, LifecycleEvent as WireEvent, LifecycleEventStatus,
    RevisionLocationType, TargetStatus,
};
use crate::services::codedeploy::plan::{Fleet, Verdict};
use crate::services::codedeploy::state::DeploymentRecord;

/// How the deployment ends before any target ran.
fn fail(runner: &DeployRunner, d: &DeploymentRecord, code: ErrorCode, message: impl Into<String>) {
    let message = message.into();
    let _ = runner
        .state
        .modify_deployment(&d.account, &d.region, &d.info.deployment_id, |d| {
            d.info.status = DeploymentStatus::Failed;
            d.info.error_information = Some(ErrorInformation::new(code, message));
            d.info.complete_time = Some(Timestamp::now());
        });
}

fn rolls_back(d: &DeploymentRecord, runner: &DeployRunner, on: AutoRollbackEvent) -> bool {
    let config = d.info.auto_rollback_configuration.clone().or_else(|| {
        runner
            .state
            .group_by_id(&d.account, &d.region, &d.group_id)
            .and_then(|g| g.info.auto_rollback_configuration)
    });
    config.is_some_and(|c| c.enabled == Some(true) && c.rolls_back_on(&on))
}

pub(super) async fn run(
    runner: &Arc<DeployRunner>,
    account: &str,
    region: &str,
    id: &str,
    mut stop: watch::Receiver<StopSignal>,
) -> bool {
    let Some(d) = runner.state.deployment(account, region, id) else {
        return false;
    };
    let scope_group_id = d.group_id.clone();
    let scope = Scope {
        account,
        region,
        application: &d.info.application_name,
        group: &d.info.deployment_group_name,
        group_id: &scope_group_id,
        deployment_id: id,
    };
    if let Some(rollback) = *stop.borrow() {
        stopped(runner, &d, &scope);
        return rollback;
    }
    let _ = runner.state.modify_deployment(account, region, id, |d| {
        d.info.status = DeploymentStatus::InProgress;
        d.info.start_time = Some(Timestamp::now());
    });
    runner.bus.publish(events::deployment(&scope, "START"));

    if d.info.compute_platform != ComputePlatform::Server {
        fail(runner, &d, ErrorCode::InternalError, format!(
            "{} deployments are not supported by simfra yet: they need the {} service, which simfra does not have",
            d.info.compute_platform.as_str(),
            if d.info.compute_platform == ComputePlatform::Lambda { "Lambda" } else { "ECS" }
        ));
        return end(runner, &d, &scope);
    }
    if d.info.deployment_style.deployment_type == Some(DeploymentType::BlueGreen) {
        fail(runner, &d, ErrorCode::InternalError, "Blue/green deployments are not supported by simfra yet: use an in-place deployment group");
        return end(runner, &d, &scope);
    }
    let Some(rt) = runner.runtime.clone() else {
        let why = match &runner.config.docker_unavailable {
            Some(why) => format!("Server deployments install into Docker containers, and Docker cannot be used: {why}"),
            None => "Server deployments install into Docker containers: start simfra with SIMFRA_DOCKER=true and a reachable Docker daemon to run them".to_string(),
        };
        fail(runner, &d, ErrorCode::InternalError, &why);
        return end(runner, &d, &scope);
    };
    let revision = d.info.revision.clone().unwrap_or_default();
    let s3 = match (
        revision.revision_type.as_ref(),
        revision.s3_location.clone(),
    ) {
        (Some(RevisionLocationType::S3), Some(s3)) => s3,
        (t, _) => {
            let kind = t
                .map(|t| t.as_str().to_string())
                .unwrap_or_else(|| "none".into());
            fail(runner, &d, ErrorCode::InvalidRevision, format!(
                "The revision type {kind} is not supported by simfra yet: deploy an S3 revision (zip, tar or tgz)"
            ));
            return end(runner, &d, &scope);
        }
    };

    // The targets.
    let Some(group) = runner.state.group_by_id(account, region, &d.group_id) else {
        fail(
            runner,
            &d,
            ErrorCode::DeploymentGroupMissing,
            "The deployment group was deleted",
        );
        return end(runner, &d, &scope);
    };
    let found = match target::discover(runner, rt.as_ref(), account, region, &group).await {
        Ok(t) => t,
        Err(e) => {
            fail(
                runner,
                &d,
                ErrorCode::InternalError,
                format!("The targets could not be listed: {e}"),
            );
            return end(runner, &d, &scope);
        }
    };
    let rule = runner
        .state
        .config(account, region, &d.info.deployment_config_name)
        .and_then(|c| c.minimum_healthy_hosts)
        .unwrap_or_default();
    let mut fleet = match Fleet::new(found.len(), &rule) {
        Ok(f) => f,
        Err(e) => {
            let _ = runner.state.modify_deployment(account, region, id, |d| {
                d.info.status = DeploymentStatus::Failed;
                d.info.error_information = Some(e.error_information());
                d.info.complete_time = Some(Timestamp::now());
            });
            return end(runner, &d, &scope);
        }
    };
    let now = Timestamp::now();
    let order = appspec::server_in_place_order();
    let _ = runner.state.modify_deployment(account, region, id, |d| {
        d.targets = found
            .iter()
            .map(|t| InstanceTarget {
                deployment_id: id.to_string(),
                target_id: t.id.clone(),
                target_arn: t.arn.clone(),
                status: TargetStatus::Pending,
                last_updated_at: now,
                lifecycle_events: order
                    .iter()
                    .map(|e| WireEvent {
                        lifecycle_event_name: e.as_str().to_string(),
                        status: LifecycleEventStatus::Pending,
                        ..Default::default()
                    })
                    .collect(),
                instance_label: None,
            })
            .collect();
    });

    // The revision, unpacked on the host once for every target.
    let work = runner.config.work_dir.join(super::sanitize(id));
    let objects = runner.objects.clone();
    let (bucket, key) = (
        s3.bucket.clone().unwrap_or_default(),
        s3.key.clone().unwrap_or_default(),
    );
    let version = s3.version.clone();
    let bundle_type = s3
        .bundle_type
        .as_ref()
        .map(|b| b.as_str().to_string())
        .unwrap_or_else(|| "zip".into());
    let dir = work.join("bundle");
    let archive = target::archive_dir(&d.group_id, id);
    let fetched = tokio::task::spawn_blocking(move || {
        let files = bundle::fetch(
            objects.as_ref(),
            &bucket,
            &key,
            version.as_deref(),
            &bundle_type,
            &dir,
        )?;
        let text = ["appspec.yml", "appspec.yaml"]
            .iter()
            .find_map(|n| std::fs::read_to_string(dir.join(n)).ok())
            .ok_or_else(|| bundle::BundleError {
                code: "INVALID_REVISION",
                message: "The AppSpec file (appspec.yml) is missing from the root of the revision"
                    .into(),
            })?;
        let spec = appspec::parse(&text).map_err(|e| bundle::BundleError {
            code: "INVALID_REVISION",
            message: e.message,
        })?;
        let tar = bundle::tar_dir(&dir, &archive)?;
        Ok::<_, bundle::BundleError>((files, spec, tar))
    })
    .await
    .unwrap_or_else(|e| {
        Err(bundle::BundleError {
            code: "INVALID_REVISION",
            message: format!("unpacking the revision stopped unexpectedly: {e}"),
        })
    });
    let revision = Arc::new(match fetched {
        Ok((files, spec, tar)) => Revision::Ready {
            files,
            spec: Box::new(spec),
            tar,
            s3: s3.clone(),
        },
        Err(e) => Revision::Broken(e.message),
    });

    // The targets, as many at a time as the configuration allows.
    let mut running = FuturesUnordered::new();
    let mut stop_rollback: Option<bool> = None;
    loop {
        for i in fleet.next_batch() {
            let t: TargetRef = found[i].clone();
            let runner = runner.clone();
            let revision = revision.clone();
            let d = d.clone();
            let rt = rt.clone();
            running.push(async move {
                let ok = target::run(&runner, rt.as_ref(), &d, i, &t, &revision).await;
                (i, ok)
            });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((i, ok)) = running.next() => fleet.report(i, ok),
            r = wait_stop(&mut stop) => {
                stop_rollback = Some(r);
                fleet.stop();
                break;
            }
        }
    }
    // Targets cut short by a stop: their running event failed; the untouched are Skipped.
    drop(running);
    let statuses = fleet.statuses();
    let now = Timestamp::now();
    let _ = runner.state.modify_deployment(account, region, id, |d| {
        for (i, t) in d.targets.iter_mut().enumerate() {
            let status = statuses.get(i).cloned().unwrap_or(TargetStatus::Skipped);
            if t.status == TargetStatus::InProgress || status == TargetStatus::Skipped {
                for e in &mut t.lifecycle_events {
                    match e.status {
                        LifecycleEventStatus::InProgress => {
                            e.status = LifecycleEventStatus::Failed;
                            e.end_time = Some(now);
                        }
                        LifecycleEventStatus::Pending => e.status = LifecycleEventStatus::Skipped,
                        _ => {}
                    }
                }
                t.status = if t.status == TargetStatus::InProgress {
                    TargetStatus::Failed
                } else {
                    TargetStatus::Skipped
                };
                t.last_updated_at = now;
            }
        }
    });
    let _ = std::fs::remove_dir_all(&work);
    if stop_rollback.is_some() {
        stopped(runner, &d, &scope);
        return stop_rollback.unwrap_or(false)
            || rolls_back(&d, runner, AutoRollbackEvent::DeploymentStopOnRequest);
    }
    let _ = runner.state.modify_deployment(account, region, id, |d| {
        match fleet.verdict() {
            Verdict::Succeeded => d.info.status = DeploymentStatus::Succeeded,
            Verdict::Failed(e) => {
                d.info.status = DeploymentStatus::Failed;
                d.info.error_information = Some(e.error_information());
            }
            Verdict::Stopped | Verdict::Running => d.info.status = DeploymentStatus::Stopped,
        }
        d.info.complete_time = Some(Timestamp::now());
    });
    end(runner, &d, &scope)
}

/// Records a stop (manual, or the server shutting down).
fn stopped(runner: &DeployRunner, d: &DeploymentRecord, scope: &Scope<'_>) {
    let _ = runner
        .state
        .modify_deployment(&d.account, &d.region, &d.info.deployment_id, |d| {
            d.info.status = DeploymentStatus::Stopped;
            d.info.error_information = Some(ErrorInformation::new(
                ErrorCode::ManualStop,
                "The deployment was stopped by a user",
            ));
            d.info.complete_time = Some(Timestamp::now());
        });
    runner.bus.publish(events::deployment(scope, "STOP"));
}

/// Publishes the end and says whether an automatic rollback is due.
fn end(runner: &DeployRunner, d: &DeploymentRecord, scope: &Scope<'_>) -> bool {
    let Some(now) = runner
        .state
        .deployment(&d.account, &d.region, &d.info.deployment_id)
    else {
        return false;
    };
    match now.info.status {
        DeploymentStatus::Succeeded => {
            runner.bus.publish(events::deployment(scope, "SUCCESS"));
            false
        }
        _ => {
            runner.bus.publish(events::deployment(scope, "FAILURE"));
            rolls_back(&now, runner, AutoRollbackEvent::DeploymentFailure)
        }
    }
}

async fn wait_stop(stop: &mut watch::Receiver<StopSignal>) -> bool {
    loop {
        if let Some(r) = *stop.borrow() {
            return r;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
