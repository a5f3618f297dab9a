//! Applications: CreateApplication (compute platform Server by default), GetApplication,
//! UpdateApplication (rename), DeleteApplication (with its deployment groups),
//! ListApplications, BatchGetApplications.

use super::paging::{page, PAGE};
use crate::protocol::{RequestContext, Timestamp};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::AppRecord;
use crate::services::codedeploy::{validate, CodeDeploy};

/// BatchGetApplications takes up to 100 names.
const BATCH_MAX: usize = 100;

pub fn create(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: CreateApplicationInput,
) -> Result<CreateApplicationOutput> {
    validate::application_name(&input.application_name)?;
    let platform = input.compute_platform.unwrap_or_default();
    validate::compute_platform(&platform)?;
    let tags = input.tags.unwrap_or_default();
    validate::resource_tags(&tags)?;
    let id = uuid::Uuid::new_v4().to_string();
    svc.state.create_application(AppRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        info: ApplicationInfo {
            application_id: id.clone(),
            application_name: input.application_name,
            create_time: Timestamp::now(),
            linked_to_git_hub: false,
            git_hub_account_name: None,
            compute_platform: platform,
        },
        tags,
    })?;
    Ok(CreateApplicationOutput { application_id: id })
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ApplicationNameInput,
) -> Result<GetApplicationOutput> {
    validate::application_name(&input.application_name)?;
    let app =
        svc.state
            .require_application(&ctx.account_id, &ctx.region, &input.application_name)?;
    Ok(GetApplicationOutput {
        application: app.info,
    })
}

pub fn update(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: UpdateApplicationInput,
) -> Result<Empty> {
    let name = input.application_name.unwrap_or_default();
    validate::application_name(&name)?;
    let Some(new) = input.new_application_name else {
        svc.state
            .require_application(&ctx.account_id, &ctx.region, &name)?;
        return Ok(Empty {});
    };
    validate::application_name(&new)?;
    svc.state
        .rename_application(&ctx.account_id, &ctx.region, &name, &new)?;
    Ok(Empty {})
}

/// Deleting a missing application is no error (the model declares none).
pub fn delete(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ApplicationNameInput,
) -> Result<Empty> {
    validate::application_name(&input.application_name)?;
    svc.state
        .delete_application(&ctx.account_id, &ctx.region, &input.application_name)?;
    Ok(Empty {})
}

pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: NextTokenInput,
) -> Result<ListApplicationsOutput> {
    let names = svc
        .state
        .applications(&ctx.account_id, &ctx.region)
        .into_iter()
        .map(|a| (a.info.application_name.clone(), a.info.application_name))
        .collect();
    let (applications, next_token) = page(names, input.next_token.as_deref(), PAGE)?;
    Ok(ListApplicationsOutput {
        applications,
        next_token,
    })
}

/// Every name must be an existing application (ApplicationDoesNotExistException otherwise).
pub fn batch_get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetApplicationsInput,
) -> Result<BatchGetApplicationsOutput> {
    let names = input.application_names.unwrap_or_default();
    if names.is_empty() {
        return Err(E::new(
            Code::ApplicationNameRequired,
            "At least one application name is required",
        ));
    }
    if names.len() > BATCH_MAX {
        return Err(E::new(
            Code::BatchLimitExceeded,
            format!("At most {BATCH_MAX} application names can be given"),
        ));
    }
    let mut applications_info = Vec::new();
    for n in &names {
        validate::application_name(n)?;
        let app = svc
            .state
            .require_application(&ctx.account_id, &ctx.region, n)?;
        applications_info.push(app.info);
    }
    Ok(BatchGetApplicationsOutput { applications_info })
}
