//! The deployment configurations AWS predefines in every account: three for EC2/on-premises
//! (Server), nine for Lambda and five for ECS. They cannot be created, changed or deleted.
//!
//! Values as AWS publishes them: `CodeDeployDefault.OneAtATime` answers a minimum healthy hosts
//! type of `MOST_CONCURRENCY` with value 1 (the GetDeploymentConfig example of the API
//! reference, with id `00000000-0000-0000-0000-000000000001`), `HalfAtATime` is
//! `FLEET_PERCENT` 50 and `AllAtOnce` `HOST_COUNT` 0. The Lambda and ECS ones shift traffic as
//! their names say. The other ids and the creation time are fixed values of ours.

use crate::protocol::Timestamp;
use crate::services::codedeploy::model::{
    ComputePlatform, DeploymentConfigInfo, MinimumHealthyHosts, MinimumHealthyHostsType,
    TimeBasedCanary, TimeBasedLinear, TrafficRoutingConfig, TrafficRoutingType,
};

/// The prefix of every predefined configuration's name.
pub const PREFIX: &str = "CodeDeployDefault.";

/// The configuration a Server deployment group uses when none is named.
pub const DEFAULT_SERVER: &str = "CodeDeployDefault.OneAtATime";

/// When the predefined configurations were "created" (the API reference's example time).
const CREATED: Timestamp = Timestamp(1_446_744_188_711);

enum Rule {
    Hosts(MinimumHealthyHostsType, i64),
    AllAtOnce,
    Canary(i64, i64),
    Linear(i64, i64),
}

const TABLE: &[(&str, ComputePlatform, Rule)] = &[
    (
        "OneAtATime",
        ComputePlatform::Server,
        Rule::Hosts(MinimumHealthyHostsType::MostConcurrency, 1),
    ),
    (
        "HalfAtATime",
        ComputePlatform::Server,
        Rule::Hosts(MinimumHealthyHostsType::FleetPercent, 50),
    ),
    (
        "AllAtOnce",
        ComputePlatform::Server,
        Rule::Hosts(MinimumHealthyHostsType::HostCount, 0),
    ),
    ("LambdaAllAtOnce", ComputePlatform::Lambda, Rule::AllAtOnce),
    (
        "LambdaCanary10Percent5Minutes",
        ComputePlatform::Lambda,
        Rule::Canary(10, 5),
    ),
    (
        "LambdaCanary10Percent10Minutes",
        ComputePlatform::Lambda,
        Rule::Canary(10, 10),
    ),
    (
        "LambdaCanary10Percent15Minutes",
        ComputePlatform::Lambda,
        Rule::Canary(10, 15),
    ),
    (
        "LambdaCanary10Percent30Minutes",
        ComputePlatform::Lambda,
        Rule::Canary(10, 30),
    ),
    (
        "LambdaLinear10PercentEvery1Minute",
        ComputePlatform::Lambda,
        Rule::Linear(10, 1),
    ),
    (
        "LambdaLinear10PercentEvery2Minutes",
        ComputePlatform::Lambda,
        Rule::Linear(10, 2),
    ),
    (
        "LambdaLinear10PercentEvery3Minutes",
        ComputePlatform::Lambda,
        Rule::Linear(10, 3),
    ),
    (
        "LambdaLinear10PercentEvery10Minutes",
        ComputePlatform::Lambda,
        Rule::Linear(10, 10),
    ),
    ("ECSAllAtOnce", ComputePlatform::Ecs, Rule::AllAtOnce),
    (
        "ECSCanary10Percent5Minutes",
        ComputePlatform::Ecs,
        Rule::Canary(10, 5),
    ),
    (
        "ECSCanary10Percent15Minutes",
        ComputePlatform::Ecs,
        Rule::Canary(10, 15),
    ),
    (
        "ECSLinear10PercentEvery1Minutes",
        ComputePlatform::Ecs,
        Rule::Linear(10, 1),
    ),
    (
        "ECSLinear10PercentEvery3Minutes",
        ComputePlatform::Ecs,
        Rule::Linear(10, 3),
    ),
];

fn info(index: usize) -> DeploymentConfigInfo {
    let (suffix, platform, rule) = &TABLE[index];
    let routing = |r: TrafficRoutingConfig| Some(r);
    let (hosts, traffic) = match rule {
        Rule::Hosts(t, v) => (
            Some(MinimumHealthyHosts {
                r#type: Some(t.clone()),
                value: Some(*v),
            }),
            None,
        ),
        Rule::AllAtOnce => (
            None,
            routing(TrafficRoutingConfig {
                r#type: Some(TrafficRoutingType::AllAtOnce),
                ..Default::default()
            }),
        ),
        Rule::Canary(p, m) => (
            None,
            routing(TrafficRoutingConfig {
                r#type: Some(TrafficRoutingType::TimeBasedCanary),
                time_based_canary: Some(TimeBasedCanary {
                    canary_percentage: Some(*p),
                    canary_interval: Some(*m),
                }),
                ..Default::default()
            }),
        ),
        Rule::Linear(p, m) => (
            None,
            routing(TrafficRoutingConfig {
                r#type: Some(TrafficRoutingType::TimeBasedLinear),
                time_based_linear: Some(TimeBasedLinear {
                    linear_percentage: Some(*p),
                    linear_interval: Some(*m),
                }),
                ..Default::default()
            }),
        ),
    };
    DeploymentConfigInfo {
        deployment_config_id: format!("00000000-0000-0000-0000-{:012}", index + 1),
        deployment_config_name: format!("{PREFIX}{suffix}"),
        minimum_healthy_hosts: hosts,
        create_time: CREATED,
        compute_platform: platform.clone(),
        traffic_routing_config: traffic,
        zonal_config: None,
    }
}

/// A predefined configuration by name.
pub fn get(name: &str) -> Option<DeploymentConfigInfo> {
    let suffix = name.strip_prefix(PREFIX)?;
    TABLE.iter().position(|(s, _, _)| *s == suffix).map(info)
}

pub fn is_builtin(name: &str) -> bool {
    get(name).is_some()
}

/// Every predefined configuration's name, in the table's order.
pub fn names() -> impl Iterator<Item = String> {
    TABLE.iter().map(|(s, _, _)| format!("{PREFIX}{s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_configurations_as_aws_publishes_them() {
        let one = get(DEFAULT_SERVER).unwrap();
        assert_eq!(
            one.deployment_config_id,
            "00000000-0000-0000-0000-000000000001"
        );
        let json = serde_json::to_value(&one).unwrap();
        assert_eq!(json["minimumHealthyHosts"]["type"], "MOST_CONCURRENCY");
        assert_eq!(json["minimumHealthyHosts"]["value"], 1);
        assert_eq!(json["computePlatform"], "Server");
        assert_eq!(json["createTime"], 1446744188.711);
        let half = get("CodeDeployDefault.HalfAtATime").unwrap();
        assert_eq!(half.minimum_healthy_hosts.unwrap().value, Some(50));
        let canary = get("CodeDeployDefault.ECSCanary10Percent15Minutes").unwrap();
        assert_eq!(canary.compute_platform, ComputePlatform::Ecs);
        let json = serde_json::to_value(&canary).unwrap();
        assert_eq!(
            json["trafficRoutingConfig"]["timeBasedCanary"]["canaryInterval"],
            15
        );
        assert!(get("CodeDeployDefault.Nope").is_none());
        assert!(get("OneAtATime").is_none());
        assert_eq!(names().count(), 17);
    }
}
