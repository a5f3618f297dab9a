//! The built-in catalogue: action types owned by AWS (and the one classic ThirdParty source,
//! GitHub v1) and the stage-condition rule types. Every region offers the same catalogue.
//!
//! For each type it knows the artifact bounds and the configuration properties; pipeline
//! validation enforces them (reference table 2.4). A "strict" type also refuses configuration
//! keys it does not declare; a few providers with long optional-key lists are not strict (only
//! their required keys are checked) so that valid declarations are never refused for a key
//! this table does not list. Custom action types are not here: they live in the state.

use super::model::{
    ActionCategory, ActionConfigurationProperty, ActionConfigurationPropertyType, ActionOwner,
    ActionType, ActionTypeDeclaration, ActionTypeExecutor, ActionTypeId, ActionTypeIdentifier,
    ActionTypeProperty, ActionTypeSettings, ActionTypeUrls, ArtifactDetails, ExecutorConfiguration,
    ExecutorType, JobWorkerExecutorConfiguration, RuleCategory, RuleOwner, RuleType, RuleTypeId,
};

/// One configuration property of a built-in type.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub required: bool,
    pub key: bool,
    pub secret: bool,
    pub description: &'static str,
}

const fn req(name: &'static str, description: &'static str) -> Prop {
    Prop {
        name,
        required: true,
        key: true,
        secret: false,
        description,
    }
}

const fn opt(name: &'static str, description: &'static str) -> Prop {
    Prop {
        name,
        required: false,
        key: false,
        secret: false,
        description,
    }
}

const fn secret(name: &'static str, description: &'static str) -> Prop {
    Prop {
        name,
        required: true,
        key: false,
        secret: true,
        description,
    }
}

/// A built-in action type (version `1`).
#[derive(Debug)]
pub struct Builtin {
    pub owner: &'static str,
    pub category: &'static str,
    pub provider: &'static str,
    pub inputs: (i64, i64),
    pub outputs: (i64, i64),
    pub properties: &'static [Prop],
    /// Refuses configuration keys outside `properties`.
    pub strict: bool,
    pub entity_url: Option<&'static str>,
    pub execution_url: Option<&'static str>,
    pub description: &'static str,
}

const fn builtin(
    category: &'static str,
    provider: &'static str,
    inputs: (i64, i64),
    outputs: (i64, i64),
    properties: &'static [Prop],
    description: &'static str,
) -> Builtin {
    Builtin {
        owner: "AWS",
        category,
        provider,
        inputs,
        outputs,
        properties,
        strict: true,
        entity_url: None,
        execution_url: None,
        description,
    }
}

const CODEBUILD_PROPS: &[Prop] = &[
    req("ProjectName", "The CodeBuild project to run"),
    opt(
        "PrimarySource",
        "The input artifact used as the primary source",
    ),
    opt(
        "EnvironmentVariables",
        "JSON list of environment variables for the build",
    ),
    opt("BatchEnabled", "Runs a batch build"),
    opt(
        "CombineArtifacts",
        "Combines the artifacts of a batch build",
    ),
];

const CODEBUILD_ENTITY: &str =
    "https://console.aws.amazon.com/codebuild/home?#/projects/{Config:ProjectName}/view";
const CODEBUILD_EXECUTION: &str =
    "https://console.aws.amazon.com/codebuild/home?#/builds/{ExternalExecutionId}/view/new";

static BUILTINS: &[Builtin] = &[
    builtin(
        "Source",
        "S3",
        (0, 0),
        (1, 1),
        &[
            req("S3Bucket", "The versioned bucket holding the source object"),
            req("S3ObjectKey", "The key of the source zip"),
            opt("PollForSourceChanges", "Poll the object for changes (default true)"),
            opt("AllowOverrideForS3ObjectKey", "Let StartPipelineExecution override the key"),
        ],
        "A zip object in an S3 bucket",
    ),
    Builtin {
        entity_url: Some("https://console.aws.amazon.com/codecommit/home#/repository/{Config:RepositoryName}/browse/{Config:BranchName}/--/"),
        ..builtin(
            "Source",
            "CodeCommit",
            (0, 0),
            (1, 1),
            &[
                req("RepositoryName", "The CodeCommit repository"),
                req("BranchName", "The branch to follow"),
                opt("PollForSourceChanges", "Poll the branch for changes (default true)"),
                opt("OutputArtifactFormat", "CODE_ZIP (default) or CODEBUILD_CLONE_REF"),
            ],
            "A branch of a CodeCommit repository",
        )
    },
    builtin(
        "Source",
        "ECR",
        (0, 0),
        (1, 1),
        &[
            req("RepositoryName", "The ECR repository"),
            opt("ImageTag", "The image tag to follow (default latest)"),
        ],
        "An image in an ECR repository",
    ),
    builtin(
        "Source",
        "CodeStarSourceConnection",
        (0, 0),
        (1, 1),
        &[
            req("ConnectionArn", "The connection to the repository host"),
            req("FullRepositoryId", "owner/name of the repository"),
            req("BranchName", "The branch to follow"),
            opt("OutputArtifactFormat", "CODE_ZIP (default) or CODEBUILD_CLONE_REF"),
            opt("DetectChanges", "Start the pipeline on new commits (default true)"),
        ],
        "A repository reached through a connection (GitHub, Bitbucket, GitLab)",
    ),
    Builtin {
        entity_url: Some(CODEBUILD_ENTITY),
        execution_url: Some(CODEBUILD_EXECUTION),
        ..builtin("Build", "CodeBuild", (1, 5), (0, 5), CODEBUILD_PROPS, "A CodeBuild build")
    },
    Builtin {
        entity_url: Some(CODEBUILD_ENTITY),
        execution_url: Some(CODEBUILD_EXECUTION),
        ..builtin("Test", "CodeBuild", (1, 5), (0, 5), CODEBUILD_PROPS, "A CodeBuild test run")
    },
    builtin(
        "Build",
        "ECRBuildAndPublish",
        (1, 1),
        (0, 0),
        &[
            req("ECRRepositoryName", "The repository to push to"),
            opt("DockerFilePath", "Directory of the Dockerfile"),
            opt("ImageTags", "Comma-separated tags"),
            opt("RegistryType", "private (default) or public"),
        ],
        "Builds an image and pushes it to ECR",
    ),
    builtin(
        "Approval",
        "Manual",
        (0, 0),
        (0, 0),
        &[
            opt("CustomData", "Text shown to the reviewer"),
            opt("ExternalEntityLink", "A URL for the reviewer"),
            opt("NotificationArn", "SNS topic notified when the approval is pending"),
        ],
        "Waits for PutApprovalResult",
    ),
    builtin(
        "Deploy",
        "S3",
        (1, 1),
        (0, 0),
        &[
            req("BucketName", "The bucket to deploy to"),
            req("Extract", "true to unzip the artifact, false to upload it as one object"),
            opt("ObjectKey", "The key (required when Extract is false)"),
            opt("KMSEncryptionKeyARN", "KMS key for the uploaded objects"),
            opt("CannedACL", "Canned ACL of the uploaded objects"),
            opt("CacheControl", "Cache-Control of the uploaded objects"),
        ],
        "Copies the artifact to an S3 bucket",
    ),
    Builtin {
        entity_url: Some("https://console.aws.amazon.com/codedeploy/home#/applications/{Config:ApplicationName}/deploymentGroups/{Config:DeploymentGroupName}"),
        execution_url: Some("https://console.aws.amazon.com/codedeploy/home#/deployments/{ExternalExecutionId}"),
        ..builtin(
            "Deploy",
            "CodeDeploy",
            (1, 1),
            (0, 0),
            &[
                req("ApplicationName", "The CodeDeploy application"),
                req("DeploymentGroupName", "The deployment group"),
            ],
            "A CodeDeploy deployment",
        )
    },
    builtin(
        "Deploy",
        "CloudFormation",
        (0, 10),
        (0, 1),
        &[
            req("ActionMode", "CREATE_UPDATE, DELETE_ONLY, REPLACE_ON_FAILURE, CHANGE_SET_REPLACE, CHANGE_SET_EXECUTE"),
            req("StackName", "The stack"),
            opt("ChangeSetName", "The change set (change set modes)"),
            opt("TemplatePath", "ArtifactName::path of the template"),
            opt("TemplateConfiguration", "ArtifactName::path of a configuration file"),
            opt("Capabilities", "Comma-separated IAM capabilities"),
            opt("RoleArn", "The role CloudFormation assumes"),
            opt("ParameterOverrides", "JSON object of parameter values"),
            opt("OutputFileName", "File receiving the stack outputs"),
        ],
        "Creates, updates or deletes a CloudFormation stack",
    ),
    Builtin {
        strict: false,
        ..builtin(
            "Deploy",
            "CloudFormationStackSet",
            (1, 10),
            (0, 0),
            &[
                req("StackSetName", "The stack set"),
                req("TemplatePath", "ArtifactName::path of the template"),
                req("DeploymentTargets", "Accounts or organizational units"),
                req("Regions", "Comma-separated regions"),
            ],
            "Creates or updates a CloudFormation stack set",
        )
    },
    Builtin {
        strict: false,
        ..builtin(
            "Deploy",
            "CloudFormationStackInstances",
            (0, 10),
            (0, 0),
            &[
                req("StackSetName", "The stack set"),
                req("DeploymentTargets", "Accounts or organizational units"),
                req("Regions", "Comma-separated regions"),
            ],
            "Adds stack instances to a stack set",
        )
    },
    builtin(
        "Deploy",
        "ECS",
        (1, 1),
        (0, 0),
        &[
            req("ClusterName", "The ECS cluster"),
            req("ServiceName", "The ECS service"),
            opt("FileName", "Image definitions file (default imagedefinitions.json)"),
            opt("DeploymentTimeout", "Minutes to wait for the deployment"),
        ],
        "A rolling update of an ECS service",
    ),
    Builtin {
        strict: false,
        ..builtin(
            "Deploy",
            "CodeDeployToECS",
            (1, 5),
            (0, 0),
            &[
                req("ApplicationName", "The CodeDeploy application"),
                req("DeploymentGroupName", "The deployment group"),
                req("TaskDefinitionTemplateArtifact", "Artifact holding the task definition"),
                req("AppSpecTemplateArtifact", "Artifact holding the AppSpec file"),
                opt("TaskDefinitionTemplatePath", "Path of the task definition"),
                opt("AppSpecTemplatePath", "Path of the AppSpec file"),
            ],
            "A blue/green ECS deployment through CodeDeploy",
        )
    },
    builtin(
        "Deploy",
        "ElasticBeanstalk",
        (1, 1),
        (0, 0),
        &[
            req("ApplicationName", "The Elastic Beanstalk application"),
            req("EnvironmentName", "The environment"),
        ],
        "Deploys to an Elastic Beanstalk environment",
    ),
    Builtin {
        strict: false,
        ..builtin(
            "Deploy",
            "AppConfig",
            (1, 1),
            (0, 0),
            &[
                req("Application", "The AppConfig application"),
                req("Environment", "The environment"),
                req("ConfigurationProfile", "The configuration profile"),
                req("InputArtifactConfigurationPath", "Path of the configuration in the artifact"),
                opt("DeploymentStrategy", "The deployment strategy"),
            ],
            "Deploys an AppConfig configuration",
        )
    },
    Builtin {
        entity_url: Some("https://console.aws.amazon.com/lambda/home#/functions/{Config:FunctionName}"),
        ..builtin(
            "Invoke",
            "Lambda",
            (0, 5),
            (0, 5),
            &[
                req("FunctionName", "The function to invoke"),
                opt("UserParameters", "A string passed to the function"),
            ],
            "Invokes a Lambda function as a job worker",
        )
    },
    builtin(
        "Invoke",
        "StepFunctions",
        (0, 1),
        (0, 1),
        &[
            req("StateMachineArn", "The state machine"),
            opt("ExecutionNamePrefix", "Prefix of the execution name"),
            opt("InputType", "Literal (default) or FilePath"),
            opt("Input", "The input, or the path of a file holding it"),
        ],
        "Starts a Step Functions execution",
    ),
    // The Commands action takes its shell commands in the `commands` member, not in
    // configuration; the configuration picks the build environment (AWS's action reference:
    // 1-10 inputs, 0-1 output). The values are checked when the action runs, as on AWS.
    builtin(
        "Compute",
        "Commands",
        (1, 10),
        (0, 1),
        &[
            opt("EnvironmentType", "LINUX_CONTAINER (default) or WINDOWS_SERVER_2022_CONTAINER"),
            opt("ComputeType", "BUILD_GENERAL1_SMALL (default), _MEDIUM or _LARGE"),
            opt("VpcId", "The VPC the commands run in"),
            opt("Subnets", "The VPC's subnets"),
            opt("SecurityGroupIds", "The VPC's security groups"),
        ],
        "Runs shell commands in a build container (V2 pipelines)",
    ),
    Builtin {
        owner: "ThirdParty",
        entity_url: Some("https://github.com/{Config:Owner}/{Config:Repo}/tree/{Config:Branch}"),
        ..builtin(
            "Source",
            "GitHub",
            (0, 0),
            (1, 1),
            &[
                req("Owner", "The repository owner"),
                req("Repo", "The repository name"),
                req("Branch", "The branch to follow"),
                secret("OAuthToken", "A GitHub token (masked in GetPipeline)"),
                opt("PollForSourceChanges", "Poll the branch for changes (default true)"),
            ],
            "A GitHub branch (version 1 integration, OAuth token)",
        )
    },
];

/// Every built-in action type.
pub fn builtin_action_types() -> &'static [Builtin] {
    BUILTINS
}

/// The built-in type with this id (owners AWS and ThirdParty), if any.
pub fn find_builtin(
    owner: &str,
    category: &str,
    provider: &str,
    version: &str,
) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| {
        b.owner == owner && b.category == category && b.provider == provider && version == "1"
    })
}

fn to_property(p: &Prop) -> ActionConfigurationProperty {
    ActionConfigurationProperty {
        name: p.name.to_string(),
        required: p.required,
        key: p.key,
        secret: p.secret,
        queryable: Some(false),
        description: Some(p.description.to_string()),
        property_type: Some(ActionConfigurationPropertyType::String),
    }
}

impl Builtin {
    pub fn id(&self) -> ActionTypeId {
        ActionTypeId {
            category: ActionCategory::parse(self.category),
            owner: ActionOwner::parse(self.owner),
            provider: self.provider.to_string(),
            version: "1".to_string(),
        }
    }

    /// As `ListActionTypes` shows it.
    pub fn action_type(&self) -> ActionType {
        let settings = (self.entity_url.is_some() || self.execution_url.is_some()).then(|| {
            ActionTypeSettings {
                third_party_configuration_url: None,
                entity_url_template: self.entity_url.map(str::to_string),
                execution_url_template: self.execution_url.map(str::to_string),
                revision_url_template: None,
            }
        });
        ActionType {
            id: self.id(),
            settings,
            action_configuration_properties: self.properties.iter().map(to_property).collect(),
            input_artifact_details: ArtifactDetails::new(self.inputs.0, self.inputs.1),
            output_artifact_details: ArtifactDetails::new(self.outputs.0, self.outputs.1),
        }
    }

    /// As `GetActionType` shows it. Built-in types are run by CodePipeline itself, which is
    /// its own job worker: the executor is a `JobWorker` polled by the service principal.
    pub fn declaration(&self) -> ActionTypeDeclaration {
        ActionTypeDeclaration {
            description: Some(self.description.to_string()),
            executor: ActionTypeExecutor {
                configuration: ExecutorConfiguration {
                    lambda_executor_configuration: None,
                    job_worker_executor_configuration: Some(JobWorkerExecutorConfiguration {
                        polling_accounts: None,
                        polling_service_principals: Some(vec![
                            "codepipeline.amazonaws.com".to_string()
                        ]),
                    }),
                },
                executor_type: ExecutorType::JobWorker,
                policy_statements_template: None,
                job_timeout: None,
            },
            id: ActionTypeIdentifier {
                category: ActionCategory::parse(self.category),
                owner: self.owner.to_string(),
                provider: self.provider.to_string(),
                version: "1".to_string(),
            },
            input_artifact_details: ArtifactDetails::new(self.inputs.0, self.inputs.1),
            output_artifact_details: ArtifactDetails::new(self.outputs.0, self.outputs.1),
            permissions: None,
            properties: Some(
                self.properties
                    .iter()
                    .map(|p| ActionTypeProperty {
                        name: p.name.to_string(),
                        optional: !p.required,
                        key: p.key,
                        no_echo: p.secret,
                        queryable: Some(false),
                        description: Some(p.description.to_string()),
                    })
                    .collect(),
            ),
            urls: (self.entity_url.is_some() || self.execution_url.is_some()).then(|| {
                ActionTypeUrls {
                    configuration_url: None,
                    entity_url_template: self.entity_url.map(str::to_string),
                    execution_url_template: self.execution_url.map(str::to_string),
                    revision_url_template: None,
                }
            }),
        }
    }

    pub fn rules(&self) -> ActionTypeRules {
        ActionTypeRules {
            inputs: ArtifactDetails::new(self.inputs.0, self.inputs.1),
            outputs: ArtifactDetails::new(self.outputs.0, self.outputs.1),
            properties: self.properties.iter().map(to_property).collect(),
            strict: self.strict,
        }
    }
}

/// What pipeline validation needs to know of an action type, whoever provides it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionTypeRules {
    pub inputs: ArtifactDetails,
    pub outputs: ArtifactDetails,
    pub properties: Vec<ActionConfigurationProperty>,
    pub strict: bool,
}

impl ActionTypeRules {
    /// A custom action type: its declared properties are the whole configuration.
    pub fn from_action_type(t: &ActionType) -> Self {
        ActionTypeRules {
            inputs: t.input_artifact_details,
            outputs: t.output_artifact_details,
            properties: t.action_configuration_properties.clone(),
            strict: true,
        }
    }

    /// A ThirdParty type described by `UpdateActionType`.
    pub fn from_declaration(d: &ActionTypeDeclaration) -> Self {
        ActionTypeRules {
            inputs: d.input_artifact_details,
            outputs: d.output_artifact_details,
            properties: d
                .properties
                .iter()
                .flatten()
                .map(|p| ActionConfigurationProperty {
                    name: p.name.clone(),
                    required: !p.optional,
                    key: p.key,
                    secret: p.no_echo,
                    queryable: p.queryable,
                    description: p.description.clone(),
                    property_type: None,
                })
                .collect(),
            strict: true,
        }
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.properties.iter().any(|p| p.secret && p.name == key)
    }
}

/// A built-in rule type (owner AWS, category Rule, version 1).
#[derive(Debug)]
pub struct BuiltinRule {
    pub provider: &'static str,
    pub properties: &'static [Prop],
    pub inputs: (i64, i64),
    /// The rule takes `commands` instead of configuration.
    pub needs_commands: bool,
}

static RULES: &[BuiltinRule] = &[
    BuiltinRule {
        provider: "VariableCheck",
        properties: &[
            req("Variable", "The #{...} expression to test"),
            req("Value", "The value to compare with"),
            req("Operator", "EQ, NE, CONTAINS or MATCHES"),
        ],
        inputs: (0, 0),
        needs_commands: false,
    },
    BuiltinRule {
        provider: "DeploymentWindow",
        properties: &[
            req("Cron", "Cron expression of the allowed windows"),
            opt("TimeZone", "Time zone of the expression (default UTC)"),
        ],
        inputs: (0, 0),
        needs_commands: false,
    },
    BuiltinRule {
        provider: "LambdaInvoke",
        properties: &[
            req("FunctionName", "The function deciding the rule"),
            opt("UserParameters", "A string passed to the function"),
        ],
        inputs: (0, 1),
        needs_commands: false,
    },
    BuiltinRule {
        provider: "CloudWatchAlarm",
        properties: &[
            req("AlarmName", "The alarm to watch"),
            opt("AlarmStates", "States that fail the rule (default ALARM)"),
            opt("WaitTime", "Minutes to keep watching"),
        ],
        inputs: (0, 0),
        needs_commands: false,
    },
    BuiltinRule {
        provider: "Commands",
        properties: &[],
        inputs: (0, 10),
        needs_commands: true,
    },
];

/// The operators of the `VariableCheck` rule.
pub const VARIABLE_CHECK_OPERATORS: &[&str] = &["EQ", "NE", "CONTAINS", "MATCHES"];

pub fn rule_types() -> &'static [BuiltinRule] {
    RULES
}

/// The rule type a declaration names; owner and version default to AWS and 1.
pub fn find_rule(id: &RuleTypeId) -> Option<&'static BuiltinRule> {
    if id.category != RuleCategory::Rule
        || id.owner.as_ref().is_some_and(|o| *o != RuleOwner::Aws)
        || id.version.as_deref().is_some_and(|v| v != "1")
    {
        return None;
    }
    RULES.iter().find(|r| r.provider == id.provider)
}

impl BuiltinRule {
    pub fn rule_type(&self) -> RuleType {
        RuleType {
            id: RuleTypeId {
                category: RuleCategory::Rule,
                owner: Some(RuleOwner::Aws),
                provider: self.provider.to_string(),
                version: Some("1".to_string()),
            },
            settings: None,
            rule_configuration_properties: self.properties.iter().map(to_property).collect(),
            input_artifact_details: ArtifactDetails::new(self.inputs.0, self.inputs.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_providers_of_table_2_4() {
        for (owner, category, provider) in [
            ("AWS", "Source", "S3"),
            ("AWS", "Source", "CodeCommit"),
            ("AWS", "Source", "ECR"),
            ("AWS", "Source", "CodeStarSourceConnection"),
            ("AWS", "Build", "CodeBuild"),
            ("AWS", "Test", "CodeBuild"),
            ("AWS", "Deploy", "CodeDeploy"),
            ("AWS", "Deploy", "S3"),
            ("AWS", "Approval", "Manual"),
            ("AWS", "Invoke", "Lambda"),
            ("AWS", "Compute", "Commands"),
        ] {
            assert!(
                find_builtin(owner, category, provider, "1").is_some(),
                "{owner}/{category}/{provider}"
            );
        }
        assert!(find_builtin("AWS", "Build", "CodeBuild", "2").is_none());
        let cb = find_builtin("AWS", "Build", "CodeBuild", "1").unwrap();
        assert_eq!((cb.inputs, cb.outputs), ((1, 5), (0, 5)));
    }

    #[test]
    fn ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for b in builtin_action_types() {
            assert!(seen.insert((b.owner, b.category, b.provider)));
            assert!(b.id().category.to_string() == b.category);
        }
    }

    #[test]
    fn rule_types_of_reference_3_11() {
        let names: Vec<_> = rule_types().iter().map(|r| r.provider).collect();
        assert_eq!(
            names,
            [
                "VariableCheck",
                "DeploymentWindow",
                "LambdaInvoke",
                "CloudWatchAlarm",
                "Commands"
            ]
        );
    }
}
