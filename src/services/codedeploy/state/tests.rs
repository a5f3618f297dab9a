//! The state's rules and its persistence: records survive a reload, names and IAM ARNs stay
//! unique, renames and deletions carry over to groups and revisions, and the runner's surface
//! (modify_deployment, group history, instance containers) writes through.

use super::*;
use crate::services::codedeploy::errors::Code;

const A: &str = "000000000000";
const R: &str = "us-east-1";

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("simfra-codedeploy-state-{}", uuid::Uuid::new_v4()))
}

fn memory() -> State {
    State::load(Arc::new(Store::memory().unwrap())).unwrap()
}

fn app(state: &State, name: &str) -> AppRecord {
    let rec = AppRecord {
        account: A.into(),
        region: R.into(),
        info: ApplicationInfo {
            application_id: uuid::Uuid::new_v4().to_string(),
            application_name: name.into(),
            create_time: Timestamp::now(),
            ..Default::default()
        },
        tags: Vec::new(),
    };
    state.create_application(rec.clone()).unwrap();
    rec
}

fn group(state: &State, app: &AppRecord, name: &str, config: &str) -> GroupRecord {
    let rec = GroupRecord {
        account: A.into(),
        region: R.into(),
        application_id: app.info.application_id.clone(),
        info: DeploymentGroupInfo {
            application_name: app.info.application_name.clone(),
            deployment_group_id: uuid::Uuid::new_v4().to_string(),
            deployment_group_name: name.into(),
            deployment_config_name: config.into(),
            ..Default::default()
        },
        tags: Vec::new(),
    };
    state.create_group(rec.clone()).unwrap();
    rec
}

fn deployment(g: &GroupRecord, id: &str, at: i64) -> DeploymentRecord {
    DeploymentRecord {
        account: A.into(),
        region: R.into(),
        info: DeploymentInfo {
            application_name: g.info.application_name.clone(),
            deployment_group_name: g.info.deployment_group_name.clone(),
            deployment_id: id.into(),
            revision: Some(RevisionLocation::s3("bucket", "app.zip", BundleType::Zip)),
            create_time: Timestamp(at),
            ..Default::default()
        },
        group_id: g.info.deployment_group_id.clone(),
        application_id: g.application_id.clone(),
        targets: Vec::new(),
    }
}

fn instance(name: &str, user: &str) -> InstanceRecord {
    InstanceRecord {
        account: A.into(),
        region: R.into(),
        info: InstanceInfo {
            instance_name: name.into(),
            iam_user_arn: Some(user.into()),
            instance_arn: instance_arn(R, A, name),
            register_time: Timestamp::now(),
            ..Default::default()
        },
        container: None,
    }
}

#[test]
fn records_survive_a_reload() {
    let dir = temp_dir();
    let (group_id, first) = {
        let state = State::load(Arc::new(Store::open(&dir).unwrap())).unwrap();
        let a = app(&state, "shop");
        let g = group(&state, &a, "prod", "CodeDeployDefault.OneAtATime");
        state
            .register_instance(instance("web-1", "arn:aws:iam::000000000000:user/a"))
            .unwrap();
        state
            .set_instance_container(A, R, "web-1", Some("c-1".into()))
            .unwrap();
        let d = state
            .insert_deployment(deployment(&g, "d-AAAAAAAAA", 1_000))
            .unwrap();
        state
            .modify_deployment(A, R, "d-AAAAAAAAA", |d| {
                d.info.status = DeploymentStatus::Succeeded;
                d.targets.push(InstanceTarget {
                    target_id: "web-1".into(),
                    status: TargetStatus::Succeeded,
                    ..Default::default()
                });
            })
            .unwrap();
        state.record_group_history(A, R, "d-AAAAAAAAA").unwrap();
        (g.info.deployment_group_id, d.info.create_time)
    };
    let state = State::load(Arc::new(Store::open(&dir).unwrap())).unwrap();
    assert!(state.application(A, R, "shop").is_some());
    let g = state.group(A, R, "shop", "prod").unwrap();
    assert_eq!(g.info.deployment_group_id, group_id);
    assert_eq!(
        g.info
            .last_successful_deployment
            .clone()
            .unwrap()
            .deployment_id
            .as_deref(),
        Some("d-AAAAAAAAA")
    );
    assert!(g.info.target_revision.is_some());
    let i = state.instance(A, R, "web-1").unwrap();
    assert_eq!(i.container.as_deref(), Some("c-1"));
    let d = state.deployment(A, R, "d-AAAAAAAAA").unwrap();
    assert_eq!(d.info.create_time, first);
    assert_eq!(d.info.deployment_overview.succeeded, 1);
    let revs = state.revisions(A, R, &g.application_id);
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].info.deployment_groups, vec!["prod".to_string()]);
    assert!(revs[0].info.first_used_time.is_some());
    // A deployment created after the restart is still the newest.
    let later = state
        .insert_deployment(deployment(&g, "d-BBBBBBBBB", 0))
        .unwrap();
    assert!(later.info.create_time > first);
    drop(state);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deployments_created_in_one_millisecond_keep_their_order() {
    let state = memory();
    let a = app(&state, "shop");
    let g = group(&state, &a, "prod", "CodeDeployDefault.OneAtATime");
    let one = state
        .insert_deployment(deployment(&g, "d-AAAAAAAAA", 5_000))
        .unwrap();
    let two = state
        .insert_deployment(deployment(&g, "d-BBBBBBBBB", 5_000))
        .unwrap();
    assert!(two.info.create_time > one.info.create_time);
    let e = state.insert_deployment(deployment(&g, "d-AAAAAAAAA", 5_000));
    assert!(e.is_err(), "ids are unique");
    let g = state
        .group_by_id(A, R, &g.info.deployment_group_id)
        .unwrap();
    let attempted = g.info.last_attempted_deployment.unwrap();
    assert_eq!(attempted.deployment_id.as_deref(), Some("d-BBBBBBBBB"));
    assert_eq!(attempted.status, Some(DeploymentStatus::Created));
}

#[test]
fn renaming_an_application_keeps_its_groups_and_deleting_it_removes_them() {
    let state = memory();
    let a = app(&state, "shop");
    group(&state, &a, "prod", "CodeDeployDefault.OneAtATime");
    app(&state, "taken");
    let e = state.rename_application(A, R, "shop", "taken").unwrap_err();
    assert_eq!(e.code(), "ApplicationAlreadyExistsException");
    state.rename_application(A, R, "shop", "store").unwrap();
    assert!(state.application(A, R, "shop").is_none());
    let g = state.group(A, R, "store", "prod").unwrap();
    assert_eq!(g.info.application_name, "store");
    state
        .register_revision(
            A,
            R,
            &a.info.application_id,
            RevisionLocation::s3("b", "k", BundleType::Zip),
            None,
        )
        .unwrap();
    assert!(state.delete_application(A, R, "store").unwrap());
    assert!(!state.delete_application(A, R, "store").unwrap());
    assert!(state.groups(A, R, &a.info.application_id).is_empty());
    assert!(state.revisions(A, R, &a.info.application_id).is_empty());
}

#[test]
fn groups_are_unique_per_application_and_rename_into_free_names() {
    let state = memory();
    let a = app(&state, "shop");
    let g = group(&state, &a, "prod", "CodeDeployDefault.OneAtATime");
    group(&state, &a, "test", "CodeDeployDefault.OneAtATime");
    let mut dup = g.clone();
    dup.info.deployment_group_id = "other".into();
    let e = state.create_group(dup).unwrap_err();
    assert_eq!(e.code(), "DeploymentGroupAlreadyExistsException");
    let mut renamed = g.clone();
    renamed.info.deployment_group_name = "test".into();
    let e = state.replace_group("prod", renamed.clone()).unwrap_err();
    assert_eq!(e.code(), "DeploymentGroupAlreadyExistsException");
    renamed.info.deployment_group_name = "live".into();
    state.replace_group("prod", renamed).unwrap();
    assert!(state.group(A, R, "shop", "prod").is_none());
    assert!(state.group(A, R, "shop", "live").is_some());
}

#[test]
fn instance_names_and_iam_arns_are_registered_once() {
    let state = memory();
    let user = "arn:aws:iam::000000000000:user/a";
    state.register_instance(instance("web-1", user)).unwrap();
    let e = state.register_instance(instance("web-1", "arn:aws:iam::000000000000:user/b"));
    assert_eq!(
        e.unwrap_err().code(),
        "InstanceNameAlreadyRegisteredException"
    );
    let e = state.register_instance(instance("web-2", user));
    assert_eq!(
        e.unwrap_err().code(),
        "IamUserArnAlreadyRegisteredException"
    );
    assert!(state.deregister_instance(A, R, "web-1").unwrap());
    assert!(!state.deregister_instance(A, R, "web-1").unwrap());
    let gone = state.instance(A, R, "web-1").unwrap();
    assert!(
        gone.info.deregister_time.is_some(),
        "kept with its deregisterTime"
    );
    state.register_instance(instance("web-2", user)).unwrap();
    state
        .register_instance(instance("web-1", "arn:aws:iam::000000000000:user/c"))
        .unwrap();
    assert!(state.instance(A, R, "web-1").unwrap().is_registered());
    let e = state
        .set_instance_container(A, R, "nope", None)
        .unwrap_err();
    assert_eq!(e.code(), "InstanceNotRegisteredException");
}

#[test]
fn configurations_in_use_or_predefined_cannot_be_deleted() {
    let state = memory();
    let custom = ConfigRecord {
        account: A.into(),
        region: R.into(),
        info: DeploymentConfigInfo {
            deployment_config_id: "id".into(),
            deployment_config_name: "Quarter".into(),
            ..Default::default()
        },
        tags: Vec::new(),
    };
    state.create_config(custom.clone()).unwrap();
    assert_eq!(
        state.create_config(custom).unwrap_err().code(),
        "DeploymentConfigAlreadyExistsException"
    );
    let a = app(&state, "shop");
    let g = group(&state, &a, "prod", "Quarter");
    let e = state.delete_config(A, R, "Quarter").unwrap_err();
    assert_eq!(
        e,
        E::Api(Code::DeploymentConfigInUse, e.message().to_string())
    );
    let e = state
        .delete_config(A, R, builtins::DEFAULT_SERVER)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidOperationException");
    state.delete_group(A, R, &g.application_id, "prod").unwrap();
    state.delete_config(A, R, "Quarter").unwrap();
    state.delete_config(A, R, "Quarter").unwrap();
    assert!(state.config(A, R, "Quarter").is_none());
    assert!(state.config(A, R, builtins::DEFAULT_SERVER).is_some());
}

#[test]
fn unfinished_deployments_are_the_ones_still_running() {
    let state = memory();
    let a = app(&state, "shop");
    let g = group(&state, &a, "prod", "CodeDeployDefault.OneAtATime");
    state
        .insert_deployment(deployment(&g, "d-AAAAAAAAA", 1))
        .unwrap();
    state
        .insert_deployment(deployment(&g, "d-BBBBBBBBB", 2))
        .unwrap();
    state
        .modify_deployment(A, R, "d-AAAAAAAAA", |d| {
            d.info.status = DeploymentStatus::Failed
        })
        .unwrap();
    let left: Vec<String> = state
        .unfinished_deployments()
        .into_iter()
        .map(|d| d.info.deployment_id)
        .collect();
    assert_eq!(left, vec!["d-BBBBBBBBB".to_string()]);
    let e = state
        .modify_deployment(A, R, "d-CCCCCCCCC", |_| {})
        .unwrap_err();
    assert_eq!(e.code(), "DeploymentDoesNotExistException");
    state.reset();
    assert!(state.deployments(A, R).is_empty());
}
