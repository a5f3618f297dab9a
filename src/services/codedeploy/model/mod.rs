//! CodeDeploy wire types (`CodeDeploy_20141006`), named and shaped as the service model has
//! them: the string enums here, the shared structures in `common.rs`, the resources
//! (applications, groups, configurations, instances, revisions) in `resources.rs`, deployments
//! and their targets in `deployments.rs`, and each operation's input and output in `io.rs`
//! (resources) and `deployment_io.rs` (deployments, targets, tags).
//! The same structs serve requests, responses and the stored records; absent members are
//! omitted on the wire.

pub mod common;
pub mod deployment_io;
pub mod deployments;
pub mod io;
pub mod resources;

pub use common::*;
pub use deployment_io::*;
pub use deployments::*;
pub use io::*;
pub use resources::*;

use crate::aws_enum;

aws_enum!(ComputePlatform {
    Server = "Server",
    Lambda = "Lambda",
    Ecs = "ECS",
});

aws_enum!(DeploymentStatus {
    Created = "Created",
    Queued = "Queued",
    InProgress = "InProgress",
    Baking = "Baking",
    Succeeded = "Succeeded",
    Failed = "Failed",
    Stopped = "Stopped",
    Ready = "Ready",
});

impl DeploymentStatus {
    /// Succeeded, Failed or Stopped: the deployment will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    }
}

aws_enum!(DeploymentCreator {
    User = "user",
    Autoscaling = "autoscaling",
    CodeDeployRollback = "codeDeployRollback",
    CodeDeploy = "CodeDeploy",
    CodeDeployAutoUpdate = "CodeDeployAutoUpdate",
    CloudFormation = "CloudFormation",
    CloudFormationRollback = "CloudFormationRollback",
    AutoscalingTermination = "autoscalingTermination",
});

aws_enum!(DeploymentType {
    InPlace = "IN_PLACE",
    BlueGreen = "BLUE_GREEN",
});

aws_enum!(DeploymentOption {
    WithTrafficControl = "WITH_TRAFFIC_CONTROL",
    WithoutTrafficControl = "WITHOUT_TRAFFIC_CONTROL",
});

aws_enum!(FileExistsBehavior {
    Disallow = "DISALLOW",
    Overwrite = "OVERWRITE",
    Retain = "RETAIN",
});

aws_enum!(RevisionLocationType {
    S3 = "S3",
    GitHub = "GitHub",
    String = "String",
    AppSpecContent = "AppSpecContent",
});

aws_enum!(BundleType {
    Tar = "tar",
    Tgz = "tgz",
    Zip = "zip",
    Yaml = "YAML",
    Json = "JSON",
});

aws_enum!(
    /// A target's status (`TargetStatus`; the older `InstanceStatus` has the same values).
    TargetStatus {
        Pending = "Pending",
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Skipped = "Skipped",
        StatusUnknown = "Unknown",
        Ready = "Ready",
    }
);

/// The older name of [`TargetStatus`] (ListDeploymentInstances, InstanceSummary).
pub type InstanceStatus = TargetStatus;

aws_enum!(LifecycleEventStatus {
    Pending = "Pending",
    InProgress = "InProgress",
    Succeeded = "Succeeded",
    Failed = "Failed",
    Skipped = "Skipped",
    StatusUnknown = "Unknown",
});

aws_enum!(LifecycleErrorCode {
    Success = "Success",
    ScriptMissing = "ScriptMissing",
    ScriptNotExecutable = "ScriptNotExecutable",
    ScriptTimedOut = "ScriptTimedOut",
    ScriptFailed = "ScriptFailed",
    UnknownError = "UnknownError",
});

aws_enum!(ErrorCode {
    AgentIssue = "AGENT_ISSUE",
    AlarmActive = "ALARM_ACTIVE",
    ApplicationMissing = "APPLICATION_MISSING",
    AutoscalingValidationError = "AUTOSCALING_VALIDATION_ERROR",
    AutoScalingConfiguration = "AUTO_SCALING_CONFIGURATION",
    AutoScalingIamRolePermissions = "AUTO_SCALING_IAM_ROLE_PERMISSIONS",
    CodedeployResourceCannotBeFound = "CODEDEPLOY_RESOURCE_CANNOT_BE_FOUND",
    CustomerApplicationUnhealthy = "CUSTOMER_APPLICATION_UNHEALTHY",
    DeploymentGroupMissing = "DEPLOYMENT_GROUP_MISSING",
    EcsUpdateError = "ECS_UPDATE_ERROR",
    ElasticLoadBalancingInvalid = "ELASTIC_LOAD_BALANCING_INVALID",
    ElbInvalidInstance = "ELB_INVALID_INSTANCE",
    HealthConstraints = "HEALTH_CONSTRAINTS",
    HealthConstraintsInvalid = "HEALTH_CONSTRAINTS_INVALID",
    HookExecutionFailure = "HOOK_EXECUTION_FAILURE",
    IamRoleMissing = "IAM_ROLE_MISSING",
    IamRolePermissions = "IAM_ROLE_PERMISSIONS",
    InternalError = "INTERNAL_ERROR",
    InvalidEcsService = "INVALID_ECS_SERVICE",
    InvalidLambdaConfiguration = "INVALID_LAMBDA_CONFIGURATION",
    InvalidLambdaFunction = "INVALID_LAMBDA_FUNCTION",
    InvalidRevision = "INVALID_REVISION",
    ManualStop = "MANUAL_STOP",
    MissingBlueGreenDeploymentConfiguration = "MISSING_BLUE_GREEN_DEPLOYMENT_CONFIGURATION",
    MissingElbInformation = "MISSING_ELB_INFORMATION",
    MissingGithubToken = "MISSING_GITHUB_TOKEN",
    NoEc2Subscription = "NO_EC2_SUBSCRIPTION",
    NoInstances = "NO_INSTANCES",
    OverMaxInstances = "OVER_MAX_INSTANCES",
    ResourceLimitExceeded = "RESOURCE_LIMIT_EXCEEDED",
    RevisionMissing = "REVISION_MISSING",
    Throttled = "THROTTLED",
    Timeout = "TIMEOUT",
    CloudformationStackFailure = "CLOUDFORMATION_STACK_FAILURE",
});

aws_enum!(AutoRollbackEvent {
    DeploymentFailure = "DEPLOYMENT_FAILURE",
    DeploymentStopOnAlarm = "DEPLOYMENT_STOP_ON_ALARM",
    DeploymentStopOnRequest = "DEPLOYMENT_STOP_ON_REQUEST",
});

aws_enum!(
    /// `MOST_CONCURRENCY` is not in the model's enum, but it is what AWS documents (and shows
    /// in its GetDeploymentConfig example) for the built-in `CodeDeployDefault.OneAtATime`:
    /// value 1, one instance at a time. It cannot be set by CreateDeploymentConfig.
    MinimumHealthyHostsType {
        HostCount = "HOST_COUNT",
        FleetPercent = "FLEET_PERCENT",
        MostConcurrency = "MOST_CONCURRENCY",
    }
);

aws_enum!(
    /// `TagFilterType` and `EC2TagFilterType` (the same values).
    TagFilterType {
        KeyOnly = "KEY_ONLY",
        ValueOnly = "VALUE_ONLY",
        KeyAndValue = "KEY_AND_VALUE",
    }
);

aws_enum!(TrafficRoutingType {
    TimeBasedCanary = "TimeBasedCanary",
    TimeBasedLinear = "TimeBasedLinear",
    AllAtOnce = "AllAtOnce",
});

aws_enum!(
    /// `TargetLabel` and the older `InstanceType` (the same values).
    TargetLabel {
        Blue = "Blue",
        Green = "Green",
    }
);

aws_enum!(DeploymentTargetType {
    InstanceTarget = "InstanceTarget",
    LambdaTarget = "LambdaTarget",
    EcsTarget = "ECSTarget",
    CloudFormationTarget = "CloudFormationTarget",
});

aws_enum!(TriggerEventType {
    DeploymentStart = "DeploymentStart",
    DeploymentSuccess = "DeploymentSuccess",
    DeploymentFailure = "DeploymentFailure",
    DeploymentStop = "DeploymentStop",
    DeploymentRollback = "DeploymentRollback",
    DeploymentReady = "DeploymentReady",
    InstanceStart = "InstanceStart",
    InstanceSuccess = "InstanceSuccess",
    InstanceFailure = "InstanceFailure",
    InstanceReady = "InstanceReady",
});

aws_enum!(OutdatedInstancesStrategy {
    Update = "UPDATE",
    Ignore = "IGNORE",
});

aws_enum!(RegistrationStatus {
    Registered = "Registered",
    Deregistered = "Deregistered",
});

aws_enum!(StopStatus {
    Pending = "Pending",
    Succeeded = "Succeeded",
});

aws_enum!(ApplicationRevisionSortBy {
    RegisterTime = "registerTime",
    FirstUsedTime = "firstUsedTime",
    LastUsedTime = "lastUsedTime",
});

aws_enum!(SortOrder {
    Ascending = "ascending",
    Descending = "descending",
});

aws_enum!(ListStateFilterAction {
    Include = "include",
    Exclude = "exclude",
    Ignore = "ignore",
});

aws_enum!(InstanceAction {
    Terminate = "TERMINATE",
    KeepAlive = "KEEP_ALIVE",
});

aws_enum!(DeploymentReadyAction {
    ContinueDeployment = "CONTINUE_DEPLOYMENT",
    StopDeployment = "STOP_DEPLOYMENT",
});

aws_enum!(GreenFleetProvisioningAction {
    DiscoverExisting = "DISCOVER_EXISTING",
    CopyAutoScalingGroup = "COPY_AUTO_SCALING_GROUP",
});

aws_enum!(DeploymentWaitType {
    ReadyWait = "READY_WAIT",
    TerminationWait = "TERMINATION_WAIT",
});

/// `arn:aws:codedeploy:{region}:{account}:application:{name}`
pub fn application_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codedeploy:{region}:{account}:application:{name}")
}

/// `arn:aws:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}`
pub fn group_arn(region: &str, account: &str, application: &str, group: &str) -> String {
    format!("arn:aws:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}")
}

/// `arn:aws:codedeploy:{region}:{account}:deploymentconfig:{name}`
pub fn config_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codedeploy:{region}:{account}:deploymentconfig:{name}")
}

/// An on-premises instance: `arn:aws:codedeploy:{region}:{account}:instance/{name}`.
pub fn instance_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codedeploy:{region}:{account}:instance/{name}")
}

macro_rules! default_variant {
    ($($ty:ident => $variant:ident),+ $(,)?) => {
        $(impl Default for $ty {
            fn default() -> Self {
                $ty::$variant
            }
        })+
    };
}

default_variant!(
    ComputePlatform => Server,
    DeploymentStatus => Created,
    DeploymentCreator => User,
    FileExistsBehavior => Disallow,
    TargetStatus => Pending,
    LifecycleEventStatus => Pending,
    LifecycleErrorCode => Success,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AwsEnum;

    #[test]
    fn enums_use_the_model_spellings() {
        assert_eq!(ComputePlatform::Ecs.as_str(), "ECS");
        assert_eq!(DeploymentCreator::User.as_str(), "user");
        assert_eq!(TargetStatus::StatusUnknown.as_str(), "Unknown");
        assert_eq!(TargetStatus::parse("Unknown"), TargetStatus::StatusUnknown);
        assert_eq!(
            serde_json::to_string(&DeploymentTargetType::EcsTarget).unwrap(),
            "\"ECSTarget\""
        );
        assert!(DeploymentStatus::Stopped.is_terminal());
        assert!(!DeploymentStatus::Created.is_terminal());
        assert_eq!(ErrorCode::VALUES.len(), 34);
    }
}
