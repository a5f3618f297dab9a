//! The `aws.codedeploy` events a deployment publishes on the bus (reference 11.4):
//! `CodeDeploy Deployment State-change Notification` when it starts and ends, and `CodeDeploy
//! Instance State-change Notification` when a target starts and ends.

use serde_json::json;

use crate::bus::Event;

/// Where a deployment runs, as its events name it.
pub struct Scope<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub application: &'a str,
    pub group: &'a str,
    pub group_id: &'a str,
    pub deployment_id: &'a str,
}

impl Scope<'_> {
    fn resources(&self) -> Vec<String> {
        vec![
            format!(
                "arn:aws:codedeploy:{}:{}:application:{}",
                self.region, self.account, self.application
            ),
            format!(
                "arn:aws:codedeploy:{}:{}:deploymentgroup:{}/{}",
                self.region, self.account, self.application, self.group
            ),
        ]
    }
}

/// `state`: START, SUCCESS, FAILURE or STOP.
pub fn deployment(scope: &Scope<'_>, state: &str) -> Event {
    Event::new(
        "aws.codedeploy",
        "CodeDeploy Deployment State-change Notification",
        scope.account,
        scope.region,
        scope.resources(),
        json!({
            "region": scope.region,
            "deploymentId": scope.deployment_id,
            "instanceGroupId": scope.group_id,
            "deploymentGroup": scope.group,
            "state": state,
            "application": scope.application,
        }),
    )
}

/// `state`: START, SUCCESS, FAILURE or STOP, for one target.
pub fn instance(scope: &Scope<'_>, instance_arn: &str, instance_id: &str, state: &str) -> Event {
    let mut resources = vec![instance_arn.to_string()];
    resources.extend(scope.resources());
    Event::new(
        "aws.codedeploy",
        "CodeDeploy Instance State-change Notification",
        scope.account,
        scope.region,
        resources,
        json!({
            "instanceId": instance_id,
            "region": scope.region,
            "state": state,
            "application": scope.application,
            "deploymentId": scope.deployment_id,
            "instanceGroupId": scope.group_id,
            "deploymentGroup": scope.group,
        }),
    )
}
