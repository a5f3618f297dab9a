//! Helpers of the CodeDeploy API tests: error codes, and an application with a deployment
//! group ready for deployments.

use aws_sdk_codedeploy::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_codedeploy::types::{
    BundleType, MinimumHealthyHosts, MinimumHealthyHostsType, RevisionLocation,
    RevisionLocationType, S3Location, Tag, TagFilter, TagFilterType,
};
use aws_sdk_codedeploy::Client;

pub const ROLE: &str = "arn:aws:iam::000000000000:role/codedeploy";
pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

/// The service error code of a failed call ("none" when the call did not fail with one).
pub fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("none")
        .to_string()
}

/// The code of a call that must fail.
pub fn err_code<
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
>(
    r: Result<T, SdkError<E, R>>,
) -> String {
    code(&r.expect_err("the call must fail"))
}

pub fn s3_revision(bucket: &str, key: &str, bundle: BundleType) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket(bucket)
                .key(key)
                .bundle_type(bundle)
                .build(),
        )
        .build()
}

pub fn on_premises_filter(key: &str, value: &str) -> TagFilter {
    TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(TagFilterType::KeyAndValue)
        .build()
}

pub async fn create_app(cd: &Client, name: &str) -> String {
    cd.create_application()
        .application_name(name)
        .send()
        .await
        .expect("application created")
        .application_id()
        .expect("an application id")
        .to_string()
}

/// An application with a deployment group `prod` selecting on-premises instances tagged
/// `env=prod`.
pub async fn create_app_and_group(cd: &Client, app: &str) -> String {
    create_app(cd, app).await;
    cd.create_deployment_group()
        .application_name(app)
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .on_premises_instance_tag_filters(on_premises_filter("env", "prod"))
        .send()
        .await
        .expect("deployment group created")
        .deployment_group_id()
        .expect("a group id")
        .to_string()
}

pub fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

pub fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

pub fn percent(v: i32) -> MinimumHealthyHosts {
    MinimumHealthyHosts::builder()
        .r#type(MinimumHealthyHostsType::FleetPercent)
        .value(v)
        .build()
}
