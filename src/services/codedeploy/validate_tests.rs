//! Validation rules and the exception each broken rule answers.
use super::*;

fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn names_have_their_required_and_invalid_exceptions() {
    assert_eq!(
        code(application_name("")),
        "ApplicationNameRequiredException"
    );
    assert_eq!(
        code(application_name(&"a".repeat(101))),
        "InvalidApplicationNameException"
    );
    assert!(application_name(&"a".repeat(100)).is_ok());
    assert_eq!(code(group_name("")), "DeploymentGroupNameRequiredException");
    assert_eq!(
        code(config_name("x\u{1}")),
        "InvalidDeploymentConfigNameException"
    );
    assert_eq!(code(instance_name("a b")), "InvalidInstanceNameException");
    assert!(instance_name("web-1.example_2@x").is_ok());
}

#[test]
fn deployment_ids_have_aws_format() {
    for _ in 0..200 {
        let id = new_deployment_id();
        assert!(is_deployment_id(&id), "{id}");
    }
    assert!(deployment_id("d-ABCDEF123").is_ok());
    assert_eq!(code(deployment_id("")), "DeploymentIdRequiredException");
    for bad in ["d-abcdef123", "d-ABC", "x-ABCDEF123", "d-ABCDEF1234"] {
        assert_eq!(
            code(deployment_id(bad)),
            "InvalidDeploymentIdException",
            "{bad}"
        );
    }
}

#[test]
fn roles_and_iam_arns() {
    assert_eq!(code(service_role(None)), "RoleRequiredException");
    assert_eq!(code(service_role(Some("role"))), "InvalidRoleException");
    assert!(service_role(Some("arn:aws:iam::123456789012:role/cd")).is_ok());
    assert!(iam_user_arn("arn:aws:iam::123456789012:user/op").is_ok());
    assert_eq!(
        code(iam_user_arn("arn:aws:iam::1:user/op")),
        "InvalidIamUserArnException"
    );
    assert!(iam_session_arn("arn:aws:sts::123456789012:assumed-role/r/s").is_ok());
    assert_eq!(
        code(iam_session_arn("nope")),
        "InvalidIamSessionArnException"
    );
}

#[test]
fn tag_filters_need_what_their_type_names() {
    let f = |k: Option<&str>, v: Option<&str>, t: &str| TagFilter {
        key: k.map(Into::into),
        value: v.map(Into::into),
        r#type: Some(TagFilterType::parse(t)),
    };
    assert!(tag_filters(&[f(Some("k"), None, "KEY_ONLY")], "f", Code::InvalidTag).is_ok());
    let e = tag_filters(
        &[f(None, Some("v"), "KEY_AND_VALUE")],
        "f",
        Code::InvalidEC2Tag,
    );
    assert_eq!(code(e), "InvalidEC2TagException");
    let e = tag_filters(&[f(Some("k"), None, "SOME")], "f", Code::InvalidTagFilter);
    assert_eq!(code(e), "InvalidTagFilterException");
    let four = vec![vec![]; 4];
    assert_eq!(
        code(tag_set(&four, "s", Code::InvalidTag)),
        "TagSetListLimitExceededException"
    );
}

#[test]
fn revisions_and_settings() {
    let s3 = RevisionLocation::s3("b", "k", BundleType::Zip);
    assert!(server_revision(&s3).is_ok());
    let yaml = RevisionLocation::s3("b", "k", BundleType::Yaml);
    assert_eq!(code(server_revision(&yaml)), "InvalidRevisionException");
    assert_eq!(
        code(revision(&RevisionLocation::default())),
        "InvalidRevisionException"
    );
    let on = AutoRollbackConfiguration {
        enabled: Some(true),
        events: Some(vec![]),
    };
    assert_eq!(
        code(auto_rollback(&on)),
        "InvalidAutoRollbackConfigException"
    );
    let style = DeploymentStyle {
        deployment_type: Some(DeploymentType::parse("SIDEWAYS")),
        deployment_option: None,
    };
    assert_eq!(
        code(deployment_style(&style)),
        "InvalidDeploymentStyleException"
    );
    assert_eq!(
        code(description(Some(&"x".repeat(300)))),
        "DescriptionTooLongException"
    );
    let tags = vec![Tag {
        key: Some("aws:x".into()),
        value: None,
    }];
    assert_eq!(code(resource_tags(&tags)), "InvalidTagsToAddException");
}
