//! Deployment configurations: CreateDeploymentConfig (Server configurations need
//! `minimumHealthyHosts`; Lambda and ECS ones a `trafficRoutingConfig`), GetDeploymentConfig
//! and ListDeploymentConfigs (the predefined `CodeDeployDefault.*` ones included),
//! DeleteDeploymentConfig (not the predefined ones, not one a group uses).

use super::paging::{page, PAGE};
use crate::protocol::{AwsEnum, RequestContext, Timestamp};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::{builtins, ConfigRecord};
use crate::services::codedeploy::{validate, CodeDeploy};

fn invalid_hosts(message: impl Into<String>) -> E {
    E::new(Code::InvalidMinimumHealthyHostValue, message)
}

fn invalid_routing(message: impl Into<String>) -> E {
    E::new(Code::InvalidTrafficRoutingConfiguration, message)
}

fn minimum_healthy_hosts(m: &MinimumHealthyHosts) -> Result<()> {
    let value = m
        .value
        .ok_or_else(|| invalid_hosts("minimumHealthyHosts.value is required"))?;
    match &m.r#type {
        Some(MinimumHealthyHostsType::HostCount) if value >= 0 => Ok(()),
        Some(MinimumHealthyHostsType::FleetPercent) if (0..=100).contains(&value) => Ok(()),
        Some(MinimumHealthyHostsType::HostCount | MinimumHealthyHostsType::FleetPercent) => {
            Err(invalid_hosts(format!(
                "The minimum healthy hosts value {value} is invalid: HOST_COUNT takes 0 or more, FLEET_PERCENT 0 to 100"
            )))
        }
        other => Err(invalid_hosts(format!(
            "The minimum healthy hosts type '{}' is invalid: use HOST_COUNT or FLEET_PERCENT",
            other.as_ref().map_or("null", |t| t.as_str())
        ))),
    }
}

fn traffic_routing(t: &TrafficRoutingConfig) -> Result<()> {
    let percent_ok = |p: Option<i64>| p.is_some_and(|p| (1..=99).contains(&p));
    let interval_ok = |i: Option<i64>| i.is_some_and(|i| i >= 1);
    match &t.r#type {
        Some(TrafficRoutingType::AllAtOnce) => Ok(()),
        Some(TrafficRoutingType::TimeBasedCanary) => match &t.time_based_canary {
            Some(c) if percent_ok(c.canary_percentage) && interval_ok(c.canary_interval) => Ok(()),
            _ => Err(invalid_routing(
                "A TimeBasedCanary configuration needs timeBasedCanary with canaryPercentage (1-99) and canaryInterval (minutes)",
            )),
        },
        Some(TrafficRoutingType::TimeBasedLinear) => match &t.time_based_linear {
            Some(l) if percent_ok(l.linear_percentage) && interval_ok(l.linear_interval) => Ok(()),
            _ => Err(invalid_routing(
                "A TimeBasedLinear configuration needs timeBasedLinear with linearPercentage (1-99) and linearInterval (minutes)",
            )),
        },
        other => Err(invalid_routing(format!(
            "The traffic routing type '{}' is invalid: use AllAtOnce, TimeBasedCanary or TimeBasedLinear",
            other.as_ref().map_or("null", |t| t.as_str())
        ))),
    }
}

fn zonal(z: &ZonalConfig) -> Result<()> {
    let negative = z
        .first_zone_monitor_duration_in_seconds
        .is_some_and(|s| s < 0)
        || z.monitor_duration_in_seconds.is_some_and(|s| s < 0);
    if negative {
        return Err(E::new(
            Code::InvalidZonalDeploymentConfiguration,
            "Zonal monitor durations cannot be negative",
        ));
    }
    if let Some(m) = &z.minimum_healthy_hosts_per_zone {
        minimum_healthy_hosts(m).map_err(|e| {
            E::new(
                Code::InvalidZonalDeploymentConfiguration,
                e.message().to_string(),
            )
        })?;
    }
    Ok(())
}

pub fn create(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: CreateDeploymentConfigInput,
) -> Result<CreateDeploymentConfigOutput> {
    let name = input.deployment_config_name;
    validate::config_name(&name)?;
    if name.starts_with(builtins::PREFIX) && !builtins::is_builtin(&name) {
        return Err(E::new(
            Code::InvalidDeploymentConfigName,
            format!(
                "The prefix {} is reserved for predefined deployment configurations",
                builtins::PREFIX
            ),
        ));
    }
    let platform = input.compute_platform.unwrap_or_default();
    validate::compute_platform(&platform)?;
    match platform {
        ComputePlatform::Server => {
            let m = input
                .minimum_healthy_hosts
                .as_ref()
                .ok_or_else(|| invalid_hosts("minimum healthy hosts argument is missing"))?;
            minimum_healthy_hosts(m)?;
            if let Some(t) = &input.traffic_routing_config {
                if t.r#type != Some(TrafficRoutingType::AllAtOnce) {
                    return Err(invalid_routing(
                        "An EC2/On-premises deployment configuration cannot shift traffic over time",
                    ));
                }
            }
        }
        _ => {
            if input.minimum_healthy_hosts.is_some() {
                return Err(invalid_hosts(format!(
                    "minimumHealthyHosts applies to EC2/On-premises configurations, not {platform}"
                )));
            }
            let t = input.traffic_routing_config.as_ref().ok_or_else(|| {
                invalid_routing(format!(
                    "A {platform} deployment configuration needs trafficRoutingConfig"
                ))
            })?;
            traffic_routing(t)?;
            if input.zonal_config.is_some() {
                return Err(E::new(
                    Code::InvalidZonalDeploymentConfiguration,
                    "zonalConfig applies to EC2/On-premises configurations only",
                ));
            }
        }
    }
    if let Some(z) = &input.zonal_config {
        zonal(z)?;
    }
    let id = uuid::Uuid::new_v4().to_string();
    svc.state.create_config(ConfigRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        info: DeploymentConfigInfo {
            deployment_config_id: id.clone(),
            deployment_config_name: name,
            minimum_healthy_hosts: input.minimum_healthy_hosts,
            create_time: Timestamp::now(),
            compute_platform: platform,
            traffic_routing_config: input.traffic_routing_config,
            zonal_config: input.zonal_config,
        },
        tags: Vec::new(),
    })?;
    Ok(CreateDeploymentConfigOutput {
        deployment_config_id: id,
    })
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ConfigNameInput,
) -> Result<GetDeploymentConfigOutput> {
    validate::config_name(&input.deployment_config_name)?;
    let info = svc
        .state
        .config(&ctx.account_id, &ctx.region, &input.deployment_config_name)
        .ok_or_else(|| E::config_missing(&input.deployment_config_name))?;
    Ok(GetDeploymentConfigOutput {
        deployment_config_info: info,
    })
}

/// The custom configurations (by name), then the predefined ones.
pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: NextTokenInput,
) -> Result<ListDeploymentConfigsOutput> {
    let custom = svc
        .state
        .custom_config_names(&ctx.account_id, &ctx.region)
        .into_iter()
        .map(|n| (format!("0|{n}"), n));
    let predefined = builtins::names()
        .enumerate()
        .map(|(i, n)| (format!("1|{i:03}"), n));
    let items = custom.chain(predefined).collect();
    let (deployment_configs_list, next_token) = page(items, input.next_token.as_deref(), PAGE)?;
    Ok(ListDeploymentConfigsOutput {
        deployment_configs_list,
        next_token,
    })
}

pub fn delete(svc: &CodeDeploy, ctx: &RequestContext, input: ConfigNameInput) -> Result<Empty> {
    validate::config_name(&input.deployment_config_name)?;
    svc.state
        .delete_config(&ctx.account_id, &ctx.region, &input.deployment_config_name)?;
    Ok(Empty {})
}
