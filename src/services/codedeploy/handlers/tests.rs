//! The handlers over an in-memory state with a recording launcher: what the launcher hears,
//! the deployment's record, the target views of what a runner wrote, stopping, and paging.

use std::sync::{Arc, Mutex};

use super::{applications, deployments, groups, instances, revisions, targets};
use crate::protocol::RequestContext;
use crate::protocol::Timestamp;
use crate::services::codedeploy::launcher::Launcher;
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::State;
use crate::services::codedeploy::CodeDeploy;
use crate::store::Store;

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    stops: bool,
}

impl Launcher for Recorder {
    fn launch(&self, _a: &str, _r: &str, id: &str) {
        self.calls.lock().unwrap().push(format!("launch {id}"));
    }
    fn stop(&self, _a: &str, _r: &str, id: &str, rollback: bool) -> bool {
        self.calls
            .lock()
            .unwrap()
            .push(format!("stop {id} {rollback}"));
        self.stops
    }
    fn instance_registered(&self, _a: &str, _r: &str, name: &str) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("registered {name}"));
    }
    fn instance_deregistered(&self, _a: &str, _r: &str, name: &str) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("deregistered {name}"));
    }
}

fn service(stops: bool) -> (CodeDeploy, Arc<Recorder>) {
    let state = State::load(Arc::new(Store::memory().unwrap())).unwrap();
    let svc = CodeDeploy::new(Arc::new(state));
    let rec = Arc::new(Recorder {
        stops,
        ..Default::default()
    });
    svc.set_launcher(rec.clone());
    (svc, rec)
}

fn ctx() -> RequestContext {
    RequestContext::internal("us-east-1", "000000000000")
}

fn setup(svc: &CodeDeploy) {
    let c = ctx();
    applications::create(
        svc,
        &c,
        CreateApplicationInput {
            application_name: "shop".into(),
            ..Default::default()
        },
    )
    .unwrap();
    groups::create(
        svc,
        &c,
        CreateDeploymentGroupInput {
            application_name: "shop".into(),
            deployment_group_name: "prod".into(),
            settings: GroupSettings {
                service_role_arn: Some("arn:aws:iam::000000000000:role/cd".into()),
                ..Default::default()
            },
            tags: None,
        },
    )
    .unwrap();
}

fn deploy(svc: &CodeDeploy) -> String {
    deployments::create(
        svc,
        &ctx(),
        CreateDeploymentInput {
            application_name: "shop".into(),
            deployment_group_name: Some("prod".into()),
            revision: Some(RevisionLocation::s3(
                "artifacts",
                "app.zip",
                BundleType::Zip,
            )),
            ..Default::default()
        },
    )
    .unwrap()
    .deployment_id
}

fn target(id: &str, name: &str, status: TargetStatus) -> InstanceTarget {
    InstanceTarget {
        deployment_id: id.into(),
        target_id: name.into(),
        target_arn: instance_arn("us-east-1", "000000000000", name),
        status,
        last_updated_at: Timestamp::now(),
        lifecycle_events: vec![LifecycleEvent {
            lifecycle_event_name: "ApplicationStart".into(),
            diagnostics: Some(Diagnostics {
                error_code: LifecycleErrorCode::ScriptFailed,
                script_name: "scripts/start.sh".into(),
                message: "Script at specified location: scripts/start.sh run as user root failed with exit code 1".into(),
                log_tail: "[stderr]boom".into(),
            }),
            status: LifecycleEventStatus::Failed,
            ..Default::default()
        }],
        instance_label: None,
    }
}

#[test]
fn a_deployment_is_stored_as_created_and_launched() {
    let (svc, rec) = service(false);
    setup(&svc);
    let id = deploy(&svc);
    assert!(crate::services::codedeploy::validate::is_deployment_id(&id));
    assert_eq!(*rec.calls.lock().unwrap(), vec![format!("launch {id}")]);
    let d = deployments::get(
        &svc,
        &ctx(),
        DeploymentIdInput {
            deployment_id: id.clone(),
        },
    )
    .unwrap()
    .deployment_info;
    assert_eq!(d.status, DeploymentStatus::Created);
    assert_eq!(d.creator, DeploymentCreator::User);
    assert_eq!(d.deployment_config_name, "CodeDeployDefault.OneAtATime");
    assert_eq!(d.file_exists_behavior, FileExistsBehavior::Disallow);
    assert_eq!(d.deployment_style, DeploymentStyle::in_place());
    assert_eq!(d.compute_platform, ComputePlatform::Server);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["deploymentOverview"]["Pending"], 0);
    assert!(json["createTime"].is_number());
    // The revision is registered with the application.
    let r = revisions::get(
        &svc,
        &ctx(),
        GetApplicationRevisionInput {
            application_name: "shop".into(),
            revision: Some(RevisionLocation::s3(
                "artifacts",
                "app.zip",
                BundleType::Zip,
            )),
        },
    )
    .unwrap();
    assert_eq!(r.revision_info.deployment_groups, vec!["prod".to_string()]);
    // Targets are not there before the deployment starts.
    let e = targets::list_targets(
        &svc,
        &ctx(),
        ListDeploymentTargetsInput {
            deployment_id: id,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "DeploymentNotStartedException");
}

#[test]
fn targets_show_what_the_runner_recorded() {
    let (svc, _) = service(false);
    setup(&svc);
    let id = deploy(&svc);
    svc.state
        .modify_deployment("000000000000", "us-east-1", &id, |d| {
            d.info.status = DeploymentStatus::InProgress;
            d.targets = vec![
                target(&id, "web-1", TargetStatus::Failed),
                target(&id, "web-2", TargetStatus::Succeeded),
            ];
        })
        .unwrap();
    let c = ctx();
    let d = deployments::get(
        &svc,
        &c,
        DeploymentIdInput {
            deployment_id: id.clone(),
        },
    )
    .unwrap();
    assert_eq!(d.deployment_info.deployment_overview.failed, 1);
    assert_eq!(d.deployment_info.deployment_overview.succeeded, 1);
    let failed = targets::list_targets(
        &svc,
        &c,
        ListDeploymentTargetsInput {
            deployment_id: id.clone(),
            target_filters: Some([("TargetStatus".to_string(), vec!["Failed".to_string()])].into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(failed.target_ids, vec!["web-1".to_string()]);
    let bad = targets::list_targets(
        &svc,
        &c,
        ListDeploymentTargetsInput {
            deployment_id: id.clone(),
            target_filters: Some([("Colour".to_string(), vec![])].into()),
            ..Default::default()
        },
    );
    assert_eq!(bad.unwrap_err().code(), "InvalidTargetFilterNameException");
    let got = targets::batch_get_targets(
        &svc,
        &c,
        BatchGetDeploymentTargetsInput {
            deployment_id: id.clone(),
            target_ids: Some(vec![
                "web-2".into(),
                instance_arn("us-east-1", "000000000000", "web-1"),
            ]),
        },
    )
    .unwrap();
    assert_eq!(got.deployment_targets.len(), 2);
    let one = targets::get_target(
        &svc,
        &c,
        GetDeploymentTargetInput {
            deployment_id: id.clone(),
            target_id: "web-1".into(),
        },
    )
    .unwrap()
    .deployment_target;
    let events = &one.instance_target.unwrap().lifecycle_events;
    assert_eq!(
        events[0].diagnostics.as_ref().unwrap().log_tail,
        "[stderr]boom"
    );
    let missing = targets::get_target(
        &svc,
        &c,
        GetDeploymentTargetInput {
            deployment_id: id.clone(),
            target_id: "web-9".into(),
        },
    );
    assert_eq!(
        missing.unwrap_err().code(),
        "DeploymentTargetDoesNotExistException"
    );
    let listed = targets::list_instances(
        &svc,
        &c,
        ListDeploymentInstancesInput {
            deployment_id: id.clone(),
            instance_status_filter: Some(vec![TargetStatus::Succeeded]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(listed.instances_list, vec!["web-2".to_string()]);
    let summary = targets::get_instance(
        &svc,
        &c,
        GetDeploymentInstanceInput {
            deployment_id: id.clone(),
            instance_id: "web-1".into(),
        },
    )
    .unwrap()
    .instance_summary;
    assert_eq!(summary.status, TargetStatus::Failed);
    let batch = targets::batch_get_instances(
        &svc,
        &c,
        BatchGetDeploymentInstancesInput {
            deployment_id: id,
            instance_ids: Some(vec!["web-1".into(), "web-9".into()]),
        },
    )
    .unwrap();
    assert_eq!(batch.instances_summary.len(), 1);
    assert!(batch.error_message.unwrap().contains("web-9"));
}

#[test]
fn stopping_asks_the_launcher_or_stops_a_deployment_it_does_not_run() {
    let (svc, rec) = service(true);
    setup(&svc);
    let id = deploy(&svc);
    let out = deployments::stop(
        &svc,
        &ctx(),
        StopDeploymentInput {
            deployment_id: id.clone(),
            auto_rollback_enabled: Some(true),
        },
    )
    .unwrap();
    assert_eq!(out.status, StopStatus::Pending);
    assert!(rec
        .calls
        .lock()
        .unwrap()
        .contains(&format!("stop {id} true")));

    let (svc, _) = service(false);
    setup(&svc);
    let id = deploy(&svc);
    let stop = |id: &str| {
        deployments::stop(
            &svc,
            &ctx(),
            StopDeploymentInput {
                deployment_id: id.into(),
                auto_rollback_enabled: None,
            },
        )
    };
    assert_eq!(stop(&id).unwrap().status, StopStatus::Succeeded);
    let d = svc
        .state
        .deployment("000000000000", "us-east-1", &id)
        .unwrap();
    assert_eq!(d.info.status, DeploymentStatus::Stopped);
    assert_eq!(
        d.info.error_information.unwrap().code,
        Some(ErrorCode::ManualStop)
    );
    assert_eq!(
        stop(&id).unwrap_err().code(),
        "DeploymentAlreadyCompletedException"
    );
    assert_eq!(
        stop("d-NOTHERE00").unwrap_err().code(),
        "DeploymentDoesNotExistException"
    );
    let g = svc
        .state
        .group("000000000000", "us-east-1", "shop", "prod")
        .unwrap();
    let last = g.info.last_attempted_deployment.unwrap();
    assert_eq!(last.status, Some(DeploymentStatus::Stopped));
    assert!(last.end_time.is_some());
}

#[test]
fn instance_registration_reaches_the_launcher() {
    let (svc, rec) = service(false);
    let c = ctx();
    instances::register(
        &svc,
        &c,
        RegisterOnPremisesInstanceInput {
            instance_name: "web-1".into(),
            iam_user_arn: Some("arn:aws:iam::000000000000:user/web".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let both = instances::register(
        &svc,
        &c,
        RegisterOnPremisesInstanceInput {
            instance_name: "web-2".into(),
            iam_user_arn: Some("arn:aws:iam::000000000000:user/x".into()),
            iam_session_arn: Some("arn:aws:sts::000000000000:assumed-role/r/s".into()),
        },
    );
    assert_eq!(both.unwrap_err().code(), "MultipleIamArnsProvidedException");
    let name = InstanceNameInput {
        instance_name: "web-1".into(),
    };
    instances::deregister(&svc, &c, name.clone()).unwrap();
    instances::deregister(&svc, &c, name).unwrap();
    assert_eq!(
        *rec.calls.lock().unwrap(),
        vec![
            "registered web-1".to_string(),
            "deregistered web-1".to_string()
        ]
    );
}

#[test]
fn deployments_list_newest_first_in_pages() {
    let (svc, _) = service(false);
    setup(&svc);
    let ids: Vec<String> = (0..105).map(|_| deploy(&svc)).collect();
    let list = |token: Option<String>| {
        deployments::list(
            &svc,
            &ctx(),
            ListDeploymentsInput {
                application_name: Some("shop".into()),
                deployment_group_name: Some("prod".into()),
                next_token: token,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let first = list(None);
    assert_eq!(first.deployments.len(), 100);
    assert_eq!(first.deployments[0], ids[104]);
    let second = list(first.next_token);
    assert_eq!(second.deployments.len(), 5);
    assert_eq!(second.deployments[4], ids[0]);
    assert!(second.next_token.is_none());
}
