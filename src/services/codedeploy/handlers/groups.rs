//! Deployment groups: CreateDeploymentGroup (a service role is required; the configuration
//! defaults to `CodeDeployDefault.OneAtATime`, the style to in-place without traffic control),
//! GetDeploymentGroup, UpdateDeploymentGroup (partial; `newDeploymentGroupName` renames),
//! DeleteDeploymentGroup, ListDeploymentGroups, BatchGetDeploymentGroups. Alarms, triggers,
//! load balancers and blue/green settings are validated and stored as given (the runner runs
//! in-place deployments only).

use super::paging::{page, PAGE};
use crate::protocol::{AwsEnum, RequestContext};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::{builtins, AppRecord, GroupRecord};
use crate::services::codedeploy::{validate, CodeDeploy};

const BATCH_MAX: usize = 100;

/// The configuration a group of a platform gets when none is named.
fn default_config(platform: &ComputePlatform) -> String {
    match platform {
        ComputePlatform::Lambda => format!("{}LambdaAllAtOnce", builtins::PREFIX),
        ComputePlatform::Ecs => format!("{}ECSAllAtOnce", builtins::PREFIX),
        _ => builtins::DEFAULT_SERVER.to_string(),
    }
}

/// The style a group of a platform gets when none is given: Lambda and ECS deployments are
/// always blue/green with traffic control.
fn default_style(platform: &ComputePlatform) -> DeploymentStyle {
    match platform {
        ComputePlatform::Server => DeploymentStyle::in_place(),
        _ => DeploymentStyle {
            deployment_type: Some(DeploymentType::BlueGreen),
            deployment_option: Some(DeploymentOption::WithTrafficControl),
        },
    }
}

/// Validates the settings a request gives and copies them into the group.
fn apply(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    info: &mut DeploymentGroupInfo,
    s: GroupSettings,
) -> Result<()> {
    if let Some(name) = s.deployment_config_name {
        validate::config_name(&name)?;
        let config = svc
            .state
            .config(&ctx.account_id, &ctx.region, &name)
            .ok_or_else(|| E::config_missing(&name))?;
        if config.compute_platform != info.compute_platform {
            return Err(E::new(
                Code::InvalidDeploymentConfigName,
                format!(
                    "The deployment configuration {name} is for the {} compute platform; this deployment group's is {}",
                    config.compute_platform, info.compute_platform
                ),
            ));
        }
        info.deployment_config_name = name;
    }
    if let Some(role) = s.service_role_arn {
        validate::service_role(Some(&role))?;
        info.service_role_arn = role;
    }
    if let Some(f) = s.ec2_tag_filters {
        validate::tag_filters(&f, "ec2TagFilters", Code::InvalidEC2Tag)?;
        info.ec2_tag_filters = f;
    }
    if let Some(set) = s.ec2_tag_set {
        validate::tag_set(&set.ec2_tag_set_list, "ec2TagSet", Code::InvalidEC2Tag)?;
        info.ec2_tag_set = Some(set).filter(|s| !s.ec2_tag_set_list.is_empty());
    }
    if let Some(f) = s.on_premises_instance_tag_filters {
        validate::tag_filters(&f, "onPremisesInstanceTagFilters", Code::InvalidTag)?;
        info.on_premises_instance_tag_filters = f;
    }
    if let Some(set) = s.on_premises_tag_set {
        validate::tag_set(
            &set.on_premises_tag_set_list,
            "onPremisesTagSet",
            Code::InvalidTag,
        )?;
        info.on_premises_tag_set = Some(set).filter(|s| !s.on_premises_tag_set_list.is_empty());
    }
    if let Some(groups) = s.auto_scaling_groups {
        if let Some(name) = groups.first() {
            return Err(E::new(
                Code::InvalidAutoScalingGroup,
                format!("The Auto Scaling group {name} does not exist: simfra has no Auto Scaling groups (use on-premises instance tag filters)"),
            ));
        }
        info.auto_scaling_groups = Vec::new();
    }
    if let Some(t) = s.trigger_configurations {
        validate::triggers(&t)?;
        info.trigger_configurations = t;
    }
    if let Some(mut a) = s.alarm_configuration {
        validate::alarms(&a)?;
        a.enabled.get_or_insert(false);
        a.ignore_poll_alarm_failure.get_or_insert(false);
        a.alarms.get_or_insert_with(Vec::new);
        info.alarm_configuration = a;
    }
    if let Some(r) = s.auto_rollback_configuration {
        validate::auto_rollback(&r)?;
        info.auto_rollback_configuration = Some(r);
    }
    if let Some(o) = s.outdated_instances_strategy {
        if !o.is_known() {
            return Err(E::new(
                Code::InvalidInput,
                format!("outdatedInstancesStrategy '{o}' is invalid: use UPDATE or IGNORE"),
            ));
        }
        info.outdated_instances_strategy = Some(o);
    }
    if let Some(style) = s.deployment_style {
        validate::deployment_style(&style)?;
        let default = default_style(&info.compute_platform);
        info.deployment_style = DeploymentStyle {
            deployment_type: style.deployment_type.or(default.deployment_type),
            deployment_option: style.deployment_option.or(default.deployment_option),
        };
    }
    if let Some(bg) = s.blue_green_deployment_configuration {
        validate::blue_green(&bg)?;
        info.blue_green_deployment_configuration = Some(bg);
    }
    if let Some(lb) = s.load_balancer_info {
        info.load_balancer_info = Some(lb).filter(|l| !l.is_empty());
    }
    if let Some(e) = s.ecs_services {
        info.ecs_services = e;
    }
    if let Some(t) = s.termination_hook_enabled {
        info.termination_hook_enabled = t;
    }
    check_combinations(info)
}

/// Rules between members, checked on the group as it will be stored.
fn check_combinations(info: &DeploymentGroupInfo) -> Result<()> {
    if !info.ec2_tag_filters.is_empty() && info.ec2_tag_set.is_some() {
        return Err(E::new(
            Code::InvalidEC2TagCombination,
            "ec2TagFilters and ec2TagSet cannot both be used in one deployment group",
        ));
    }
    if !info.on_premises_instance_tag_filters.is_empty() && info.on_premises_tag_set.is_some() {
        return Err(E::new(
            Code::InvalidOnPremisesTagCombination,
            "onPremisesInstanceTagFilters and onPremisesTagSet cannot both be used in one deployment group",
        ));
    }
    if info.deployment_style.deployment_option == Some(DeploymentOption::WithTrafficControl)
        && info.load_balancer_info.is_none()
        && info.compute_platform == ComputePlatform::Server
    {
        return Err(E::new(
            Code::InvalidLoadBalancerInfo,
            "A deployment with traffic control needs loadBalancerInfo (a load balancer or target group)",
        ));
    }
    Ok(())
}

fn names(application: &str, group: &str) -> Result<()> {
    validate::application_name(application)?;
    validate::group_name(group)
}

fn app(svc: &CodeDeploy, ctx: &RequestContext, name: &str) -> Result<AppRecord> {
    svc.state
        .require_application(&ctx.account_id, &ctx.region, name)
}

fn require_group(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    application: &str,
    group: &str,
) -> Result<GroupRecord> {
    app(svc, ctx, application)?;
    svc.state
        .group(&ctx.account_id, &ctx.region, application, group)
        .ok_or_else(|| E::group_missing(application, group))
}

pub fn create(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: CreateDeploymentGroupInput,
) -> Result<CreateDeploymentGroupOutput> {
    names(&input.application_name, &input.deployment_group_name)?;
    validate::service_role(input.settings.service_role_arn.as_deref())?;
    let tags = input.tags.unwrap_or_default();
    validate::resource_tags(&tags)?;
    let app = app(svc, ctx, &input.application_name)?;
    let platform = app.info.compute_platform.clone();
    let id = uuid::Uuid::new_v4().to_string();
    let mut info = DeploymentGroupInfo {
        application_name: app.info.application_name.clone(),
        deployment_group_id: id.clone(),
        deployment_group_name: input.deployment_group_name,
        deployment_config_name: default_config(&platform),
        alarm_configuration: AlarmConfiguration {
            enabled: Some(false),
            ignore_poll_alarm_failure: Some(false),
            alarms: Some(Vec::new()),
        },
        deployment_style: default_style(&platform),
        outdated_instances_strategy: Some(OutdatedInstancesStrategy::Update),
        compute_platform: platform,
        ..Default::default()
    };
    apply(svc, ctx, &mut info, input.settings)?;
    svc.state.create_group(GroupRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        application_id: app.info.application_id,
        info,
        tags,
    })?;
    Ok(CreateDeploymentGroupOutput {
        deployment_group_id: id,
    })
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: GroupNameInput,
) -> Result<GetDeploymentGroupOutput> {
    names(&input.application_name, &input.deployment_group_name)?;
    let g = require_group(
        svc,
        ctx,
        &input.application_name,
        &input.deployment_group_name,
    )?;
    Ok(GetDeploymentGroupOutput {
        deployment_group_info: g.info,
    })
}

pub fn update(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: UpdateDeploymentGroupInput,
) -> Result<HooksOutput> {
    names(
        &input.application_name,
        &input.current_deployment_group_name,
    )?;
    let mut rec = require_group(
        svc,
        ctx,
        &input.application_name,
        &input.current_deployment_group_name,
    )?;
    if let Some(new) = input.new_deployment_group_name {
        validate::group_name(&new)?;
        rec.info.deployment_group_name = new;
    }
    apply(svc, ctx, &mut rec.info, input.settings)?;
    svc.state
        .replace_group(&input.current_deployment_group_name, rec)?;
    Ok(HooksOutput::default())
}

/// Deleting a missing group (or a group of a missing application) is no error.
pub fn delete(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: GroupNameInput,
) -> Result<HooksOutput> {
    names(&input.application_name, &input.deployment_group_name)?;
    if let Some(app) = svc
        .state
        .application(&ctx.account_id, &ctx.region, &input.application_name)
    {
        svc.state.delete_group(
            &ctx.account_id,
            &ctx.region,
            &app.info.application_id,
            &input.deployment_group_name,
        )?;
    }
    Ok(HooksOutput::default())
}

pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListDeploymentGroupsInput,
) -> Result<ListDeploymentGroupsOutput> {
    validate::application_name(&input.application_name)?;
    let app = app(svc, ctx, &input.application_name)?;
    let groups = svc
        .state
        .groups(&ctx.account_id, &ctx.region, &app.info.application_id)
        .into_iter()
        .map(|g| {
            let n = g.info.deployment_group_name;
            (n.clone(), n)
        })
        .collect();
    let (deployment_groups, next_token) = page(groups, input.next_token.as_deref(), PAGE)?;
    Ok(ListDeploymentGroupsOutput {
        application_name: app.info.application_name,
        deployment_groups,
        next_token,
    })
}

/// Groups that do not exist are named in `errorMessage`.
pub fn batch_get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetDeploymentGroupsInput,
) -> Result<BatchGetDeploymentGroupsOutput> {
    validate::application_name(&input.application_name)?;
    let names = input.deployment_group_names.unwrap_or_default();
    if names.is_empty() {
        return Err(E::new(
            Code::DeploymentGroupNameRequired,
            "At least one deployment group name is required",
        ));
    }
    if names.len() > BATCH_MAX {
        return Err(E::new(
            Code::BatchLimitExceeded,
            format!("At most {BATCH_MAX} deployment group names can be given"),
        ));
    }
    names.iter().try_for_each(|n| validate::group_name(n))?;
    app(svc, ctx, &input.application_name)?;
    let mut deployment_groups_info = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match svc
            .state
            .group(&ctx.account_id, &ctx.region, &input.application_name, &n)
        {
            Some(g) => deployment_groups_info.push(g.info),
            None => missing.push(n),
        }
    }
    Ok(BatchGetDeploymentGroupsOutput {
        deployment_groups_info,
        error_message: (!missing.is_empty()).then(|| {
            format!(
                "Deployment groups not found in application {}: {}",
                input.application_name,
                missing.join(", ")
            )
        }),
    })
}
