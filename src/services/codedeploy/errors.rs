//! CodeDeploy's one error table: every exception shape of the service model (2014-10-06), each a
//! client error (HTTP 400, as the model declares no other status), plus our own faults
//! (`InternalFailure`, 500). Handlers build errors with [`CodeDeployError::new`] and a message;
//! the code is the model's name, exactly.

use crate::protocol::ApiError;

macro_rules! codes {
    ($($variant:ident = $wire:literal,)+) => {
        /// A modelled CodeDeploy exception.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)+
        }

        impl Code {
            /// Every code, in the model's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The exception's name on the wire (`__type`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)+
                }
            }
        }
    };
}

codes! {
    AlarmsLimitExceeded = "AlarmsLimitExceededException",
    ApplicationAlreadyExists = "ApplicationAlreadyExistsException",
    ApplicationDoesNotExist = "ApplicationDoesNotExistException",
    ApplicationLimitExceeded = "ApplicationLimitExceededException",
    ApplicationNameRequired = "ApplicationNameRequiredException",
    ArnNotSupported = "ArnNotSupportedException",
    BatchLimitExceeded = "BatchLimitExceededException",
    BucketNameFilterRequired = "BucketNameFilterRequiredException",
    DeploymentAlreadyCompleted = "DeploymentAlreadyCompletedException",
    DeploymentAlreadyStarted = "DeploymentAlreadyStartedException",
    DeploymentConfigAlreadyExists = "DeploymentConfigAlreadyExistsException",
    DeploymentConfigDoesNotExist = "DeploymentConfigDoesNotExistException",
    DeploymentConfigInUse = "DeploymentConfigInUseException",
    DeploymentConfigLimitExceeded = "DeploymentConfigLimitExceededException",
    DeploymentConfigNameRequired = "DeploymentConfigNameRequiredException",
    DeploymentDoesNotExist = "DeploymentDoesNotExistException",
    DeploymentGroupAlreadyExists = "DeploymentGroupAlreadyExistsException",
    DeploymentGroupDoesNotExist = "DeploymentGroupDoesNotExistException",
    DeploymentGroupLimitExceeded = "DeploymentGroupLimitExceededException",
    DeploymentGroupNameRequired = "DeploymentGroupNameRequiredException",
    DeploymentIdRequired = "DeploymentIdRequiredException",
    DeploymentIsNotInReadyState = "DeploymentIsNotInReadyStateException",
    DeploymentLimitExceeded = "DeploymentLimitExceededException",
    DeploymentNotStarted = "DeploymentNotStartedException",
    DeploymentTargetDoesNotExist = "DeploymentTargetDoesNotExistException",
    DeploymentTargetIdRequired = "DeploymentTargetIdRequiredException",
    DeploymentTargetListSizeExceeded = "DeploymentTargetListSizeExceededException",
    DescriptionTooLong = "DescriptionTooLongException",
    ECSServiceMappingLimitExceeded = "ECSServiceMappingLimitExceededException",
    GitHubAccountTokenDoesNotExist = "GitHubAccountTokenDoesNotExistException",
    GitHubAccountTokenNameRequired = "GitHubAccountTokenNameRequiredException",
    IamArnRequired = "IamArnRequiredException",
    IamSessionArnAlreadyRegistered = "IamSessionArnAlreadyRegisteredException",
    IamUserArnAlreadyRegistered = "IamUserArnAlreadyRegisteredException",
    IamUserArnRequired = "IamUserArnRequiredException",
    InstanceDoesNotExist = "InstanceDoesNotExistException",
    InstanceIdRequired = "InstanceIdRequiredException",
    InstanceLimitExceeded = "InstanceLimitExceededException",
    InstanceNameAlreadyRegistered = "InstanceNameAlreadyRegisteredException",
    InstanceNameRequired = "InstanceNameRequiredException",
    InstanceNotRegistered = "InstanceNotRegisteredException",
    InvalidAlarmConfig = "InvalidAlarmConfigException",
    InvalidApplicationName = "InvalidApplicationNameException",
    InvalidArn = "InvalidArnException",
    InvalidAutoRollbackConfig = "InvalidAutoRollbackConfigException",
    InvalidAutoScalingGroup = "InvalidAutoScalingGroupException",
    InvalidBlueGreenDeploymentConfiguration = "InvalidBlueGreenDeploymentConfigurationException",
    InvalidBucketNameFilter = "InvalidBucketNameFilterException",
    InvalidComputePlatform = "InvalidComputePlatformException",
    InvalidDeployedStateFilter = "InvalidDeployedStateFilterException",
    InvalidDeploymentConfigName = "InvalidDeploymentConfigNameException",
    InvalidDeploymentGroupName = "InvalidDeploymentGroupNameException",
    InvalidDeploymentId = "InvalidDeploymentIdException",
    InvalidDeploymentInstanceType = "InvalidDeploymentInstanceTypeException",
    InvalidDeploymentStatus = "InvalidDeploymentStatusException",
    InvalidDeploymentStyle = "InvalidDeploymentStyleException",
    InvalidDeploymentTargetId = "InvalidDeploymentTargetIdException",
    InvalidDeploymentWaitType = "InvalidDeploymentWaitTypeException",
    InvalidEC2TagCombination = "InvalidEC2TagCombinationException",
    InvalidEC2Tag = "InvalidEC2TagException",
    InvalidECSService = "InvalidECSServiceException",
    InvalidExternalId = "InvalidExternalIdException",
    InvalidFileExistsBehavior = "InvalidFileExistsBehaviorException",
    InvalidGitHubAccountToken = "InvalidGitHubAccountTokenException",
    InvalidGitHubAccountTokenName = "InvalidGitHubAccountTokenNameException",
    InvalidIamSessionArn = "InvalidIamSessionArnException",
    InvalidIamUserArn = "InvalidIamUserArnException",
    InvalidIgnoreApplicationStopFailuresValue = "InvalidIgnoreApplicationStopFailuresValueException",
    InvalidInput = "InvalidInputException",
    InvalidInstanceId = "InvalidInstanceIdException",
    InvalidInstanceName = "InvalidInstanceNameException",
    InvalidInstanceStatus = "InvalidInstanceStatusException",
    InvalidInstanceType = "InvalidInstanceTypeException",
    InvalidKeyPrefixFilter = "InvalidKeyPrefixFilterException",
    InvalidLifecycleEventHookExecutionId = "InvalidLifecycleEventHookExecutionIdException",
    InvalidLifecycleEventHookExecutionStatus = "InvalidLifecycleEventHookExecutionStatusException",
    InvalidLoadBalancerInfo = "InvalidLoadBalancerInfoException",
    InvalidMinimumHealthyHostValue = "InvalidMinimumHealthyHostValueException",
    InvalidNextToken = "InvalidNextTokenException",
    InvalidOnPremisesTagCombination = "InvalidOnPremisesTagCombinationException",
    InvalidOperation = "InvalidOperationException",
    InvalidRegistrationStatus = "InvalidRegistrationStatusException",
    InvalidRevision = "InvalidRevisionException",
    InvalidRole = "InvalidRoleException",
    InvalidSortBy = "InvalidSortByException",
    InvalidSortOrder = "InvalidSortOrderException",
    InvalidTag = "InvalidTagException",
    InvalidTagFilter = "InvalidTagFilterException",
    InvalidTagsToAdd = "InvalidTagsToAddException",
    InvalidTarget = "InvalidTargetException",
    InvalidTargetFilterName = "InvalidTargetFilterNameException",
    InvalidTargetGroupPair = "InvalidTargetGroupPairException",
    InvalidTargetInstances = "InvalidTargetInstancesException",
    InvalidTimeRange = "InvalidTimeRangeException",
    InvalidTrafficRoutingConfiguration = "InvalidTrafficRoutingConfigurationException",
    InvalidTriggerConfig = "InvalidTriggerConfigException",
    InvalidUpdateOutdatedInstancesOnlyValue = "InvalidUpdateOutdatedInstancesOnlyValueException",
    InvalidZonalDeploymentConfiguration = "InvalidZonalDeploymentConfigurationException",
    LifecycleEventAlreadyCompleted = "LifecycleEventAlreadyCompletedException",
    LifecycleHookLimitExceeded = "LifecycleHookLimitExceededException",
    MultipleIamArnsProvided = "MultipleIamArnsProvidedException",
    OperationNotSupported = "OperationNotSupportedException",
    ResourceArnRequired = "ResourceArnRequiredException",
    ResourceValidation = "ResourceValidationException",
    RevisionDoesNotExist = "RevisionDoesNotExistException",
    RevisionRequired = "RevisionRequiredException",
    RoleRequired = "RoleRequiredException",
    TagLimitExceeded = "TagLimitExceededException",
    TagRequired = "TagRequiredException",
    TagSetListLimitExceeded = "TagSetListLimitExceededException",
    Throttling = "ThrottlingException",
    TriggerTargetsLimitExceeded = "TriggerTargetsLimitExceededException",
    UnsupportedActionForDeploymentType = "UnsupportedActionForDeploymentTypeException",
}

/// One CodeDeploy error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeDeployError {
    Api(Code, String),
    Internal(String),
}

pub type Result<T> = std::result::Result<T, CodeDeployError>;

impl CodeDeployError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        CodeDeployError::Api(code, message.into())
    }

    /// The wire code.
    pub fn code(&self) -> &'static str {
        match self {
            CodeDeployError::Api(c, _) => c.as_str(),
            CodeDeployError::Internal(_) => "InternalFailure",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CodeDeployError::Api(_, m) | CodeDeployError::Internal(m) => m,
        }
    }

    pub fn application_missing(name: &str) -> Self {
        Self::new(
            Code::ApplicationDoesNotExist,
            format!("No application found for name: {name}"),
        )
    }

    pub fn group_missing(application: &str, group: &str) -> Self {
        Self::new(
            Code::DeploymentGroupDoesNotExist,
            format!("No Deployment Group found for name: {group} in application {application}"),
        )
    }

    pub fn config_missing(name: &str) -> Self {
        Self::new(
            Code::DeploymentConfigDoesNotExist,
            format!("No deployment configuration found for name: {name}"),
        )
    }

    pub fn deployment_missing(id: &str) -> Self {
        Self::new(
            Code::DeploymentDoesNotExist,
            format!("The deployment {id} could not be found"),
        )
    }

    pub fn instance_not_registered(name: &str) -> Self {
        Self::new(
            Code::InstanceNotRegistered,
            format!("The on-premises instance {name} is not registered"),
        )
    }
}

impl std::fmt::Display for CodeDeployError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for CodeDeployError {}

impl From<CodeDeployError> for ApiError {
    fn from(e: CodeDeployError) -> Self {
        match e {
            CodeDeployError::Api(c, m) => ApiError::client(c.as_str(), m),
            CodeDeployError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<crate::store::StoreError> for CodeDeployError {
    fn from(e: crate::store::StoreError) -> Self {
        CodeDeployError::Internal(format!("persisting the change failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_every_model_exception_once() {
        let names: std::collections::HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::ALL.len(), 113);
        assert!(names.iter().all(|n| n.ends_with("Exception")));
    }

    #[test]
    fn errors_render_as_client_errors_with_the_model_name() {
        let e: ApiError = CodeDeployError::application_missing("shop").into();
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "ApplicationDoesNotExistException");
        assert!(e.message.contains("shop"));
        let e: ApiError = CodeDeployError::new(Code::InvalidEC2Tag, "x").into();
        assert_eq!(e.code, "InvalidEC2TagException");
        let e: ApiError = CodeDeployError::Internal("boom".into()).into();
        assert_eq!(e.status, 500);
    }
}
