//! Unit tests of the validation rules: one per row of the reference's table 2.3 (the
//! quota and name rows need the state and are tested there), plus the defaults AWS fills in
//! and the masking of secrets.

use serde_json::{json, Value};

use super::shape;
use super::structure::{self, Context, MASK};
use crate::protocol::validate::Violations;
use crate::services::codepipeline::catalog::ActionTypeRules;
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::*;

const REGION: &str = "us-east-1";

fn source(name: &str, out: &str) -> Value {
    json!({
        "name": name,
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": "app", "BranchName": "main"},
        "outputArtifacts": [{"name": out}]
    })
}

fn build(name: &str, input: &str, out: Option<&str>) -> Value {
    let outs: Vec<Value> = out.map(|o| json!({"name": o})).into_iter().collect();
    json!({
        "name": name,
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "configuration": {"ProjectName": "app"},
        "inputArtifacts": [{"name": input}],
        "outputArtifacts": outs
    })
}

/// A valid two-stage pipeline: CodeCommit source, CodeBuild build.
fn base() -> Value {
    json!({
        "name": "orders",
        "roleArn": "arn:aws:iam::123456789012:role/pipeline",
        "artifactStore": {"type": "S3", "location": "orders-artifacts"},
        "stages": [
            {"name": "Source", "actions": [source("Src", "SourceOut")]},
            {"name": "Build", "actions": [build("Compile", "SourceOut", Some("BuildOut"))]}
        ]
    })
}

/// A custom type with a secret and a queryable property.
fn custom_rules() -> ActionTypeRules {
    ActionTypeRules {
        inputs: ArtifactDetails::new(0, 1),
        outputs: ArtifactDetails::new(0, 1),
        properties: vec![
            ActionConfigurationProperty {
                name: "Project".into(),
                required: true,
                key: true,
                secret: false,
                queryable: Some(true),
                description: None,
                property_type: None,
            },
            ActionConfigurationProperty {
                name: "Token".into(),
                required: false,
                key: false,
                secret: true,
                queryable: None,
                description: None,
                property_type: None,
            },
        ],
        strict: true,
    }
}

fn lookup(id: &ActionTypeId) -> Option<ActionTypeRules> {
    if id.owner == ActionOwner::Custom {
        return (id.provider == "Worker" && id.version == "1").then(custom_rules);
    }
    crate::services::codepipeline::catalog::find_builtin(
        id.owner.as_str(),
        id.category.as_str(),
        &id.provider,
        &id.version,
    )
    .map(|b| b.rules())
}

use crate::protocol::AwsEnum;

fn decl(v: Value) -> PipelineDeclaration {
    serde_json::from_value(v).expect("the test declaration decodes")
}

/// Shape, then every rule, as CreatePipeline runs them (version 1).
fn run(v: Value) -> Result<PipelineDeclaration> {
    run_with(v, None)
}

fn run_with(v: Value, previous: Option<&PipelineDeclaration>) -> Result<PipelineDeclaration> {
    let p = decl(v);
    let mut violations = Violations::new();
    shape::pipeline(&mut violations, &p, "pipeline");
    violations.finish()?;
    let cx = Context {
        region: REGION,
        action_type: &lookup,
        previous,
    };
    let version = previous.map_or(1, |p| p.version_number() + 1);
    structure::check(
        p,
        &cx,
        version,
        previous.and_then(|p| p.pipeline_type.as_ref()),
    )
}

#[track_caller]
fn fails(v: Value, code: &str) -> String {
    match run(v) {
        Ok(_) => panic!("expected {code}, the declaration was accepted"),
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            e.to_string()
        }
    }
}

fn stage_actions(v: &mut Value, stage: usize) -> &mut Vec<Value> {
    v["stages"][stage]["actions"].as_array_mut().unwrap()
}

// ---- defaults -----------------------------------------------------------------------------

#[test]
fn defaults_are_filled_as_aws_fills_them() {
    let mut v = base();
    v["version"] = json!(7);
    let p = run(v).unwrap();
    assert_eq!(p.version, Some(1), "the caller's version is ignored");
    assert_eq!(p.execution_mode, Some(ExecutionMode::Superseded));
    assert_eq!(p.pipeline_type, Some(PipelineType::V1));
    let build = &p.stages[1].actions[0];
    assert_eq!(build.run_order, Some(1));
    let source = &p.stages[0].actions[0];
    assert!(source.input_artifacts.is_empty());
    let wire = serde_json::to_value(&p).unwrap();
    assert_eq!(wire["stages"][0]["actions"][0]["inputArtifacts"], json!([]));
    assert_eq!(
        wire["stages"][1]["actions"][0]["outputArtifacts"][0]["name"],
        "BuildOut"
    );
}

#[test]
fn missing_configuration_is_echoed_as_empty_map() {
    let mut v = base();
    stage_actions(&mut v, 1).push(json!({
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "runOrder": 2
    }));
    let p = run(v).unwrap();
    let wire = serde_json::to_value(&p).unwrap();
    let approve = &wire["stages"][1]["actions"][1];
    assert_eq!(approve["configuration"], json!({}));
    assert_eq!(approve["inputArtifacts"], json!([]));
    assert_eq!(approve["outputArtifacts"], json!([]));
}

#[test]
fn update_bumps_the_version_and_keeps_the_type() {
    let mut v2 = base();
    v2["pipelineType"] = json!("V2");
    let first = run(v2).unwrap();
    let second = run_with(base(), Some(&first)).unwrap();
    assert_eq!(second.version, Some(2));
    assert_eq!(second.pipeline_type, Some(PipelineType::V2));
}

// ---- 1. model constraints ------------------------------------------------------------------

#[test]
fn model_constraints_are_one_validation_exception_with_member_paths() {
    let mut v = base();
    v["name"] = json!("my pipe");
    v["stages"][1]["actions"][0]["runOrder"] = json!(1000);
    v["executionMode"] = json!("SOMETIMES");
    let msg = fails(v, "ValidationException");
    assert!(msg.starts_with("3 validation errors detected: "), "{msg}");
    assert!(msg.contains("Value 'my pipe' at 'pipeline.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+"), "{msg}");
    assert!(msg.contains("Value '1000' at 'pipeline.stages.2.member.actions.1.member.runOrder' failed to satisfy constraint: Member must have value less than or equal to 999"), "{msg}");
    assert!(
        msg.contains("Member must satisfy enum value set: [QUEUED, SUPERSEDED, PARALLEL]"),
        "{msg}"
    );
}

#[test]
fn role_arn_and_store_location_patterns() {
    let mut v = base();
    v["roleArn"] = json!("arn:aws:iam::12345:role/x");
    v["artifactStore"]["location"] = json!("ab");
    let msg = fails(v, "ValidationException");
    assert!(msg.contains("'pipeline.roleArn'"), "{msg}");
    assert!(msg.contains("'pipeline.artifactStore.location'"), "{msg}");
    assert!(super::is_role_arn(
        "arn:aws-us-gov:iam::123456789012:role/a/b"
    ));
    assert!(!super::is_role_arn("arn:aws:iam::123456789012:user/a"));
}

#[test]
fn configuration_values_follow_the_map_constraints() {
    let mut v = base();
    v["stages"][1]["actions"][0]["configuration"]["ProjectName"] = json!("");
    let msg = fails(v, "ValidationException");
    assert!(msg.contains("Map value must satisfy constraint"), "{msg}");
    assert!(
        msg.contains("'pipeline.stages.2.member.actions.1.member.configuration'"),
        "{msg}"
    );
}

// ---- 3. structure --------------------------------------------------------------------------

#[test]
fn neither_or_both_artifact_stores_is_invalid_structure() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("artifactStore");
    fails(v, "InvalidStructureException");
    let mut v = base();
    v["artifactStores"] = json!({REGION: {"type": "S3", "location": "orders-artifacts"}});
    fails(v, "InvalidStructureException");
}

#[test]
fn artifact_stores_must_cover_the_pipeline_and_action_regions() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("artifactStore");
    v["artifactStores"] = json!({"eu-west-1": {"type": "S3", "location": "eu-artifacts"}});
    let msg = fails(v.clone(), "InvalidStructureException");
    assert!(msg.contains("us-east-1"), "{msg}");
    v["artifactStores"][REGION] = json!({"type": "S3", "location": "orders-artifacts"});
    v["stages"][1]["actions"][0]["region"] = json!("ap-south-1");
    let msg = fails(v.clone(), "InvalidStructureException");
    assert!(msg.contains("ap-south-1"), "{msg}");
    v["stages"][1]["actions"][0]["region"] = json!("eu-west-1");
    run(v).unwrap();
    // A cross-region action with a single artifact store.
    let mut v = base();
    v["stages"][1]["actions"][0]["region"] = json!("eu-west-1");
    fails(v, "InvalidStructureException");
}

#[test]
fn fewer_than_two_stages_is_invalid_structure() {
    let mut v = base();
    v["stages"].as_array_mut().unwrap().pop();
    assert_eq!(
        fails(v, "InvalidStructureException"),
        "Pipeline has only 1 stage(s). There should be a minimum of 2 stages in a pipeline"
    );
}

#[test]
fn more_than_fifty_stages_is_invalid_structure() {
    let mut v = base();
    let stages = v["stages"].as_array_mut().unwrap();
    for i in 0..50 {
        let mut a = build(&format!("B{i}"), "SourceOut", None);
        a["name"] = json!(format!("B{i}"));
        stages.push(json!({"name": format!("S{i}"), "actions": [a]}));
    }
    fails(v, "InvalidStructureException");
}

#[test]
fn first_stage_with_a_non_source_action_is_invalid_structure() {
    let mut v = base();
    stage_actions(&mut v, 0).push(build("Early", "SourceOut", None));
    assert_eq!(
        fails(v, "InvalidStructureException"),
        "Pipeline should start with a stage that only contains source actions"
    );
}

#[test]
fn source_action_outside_the_first_stage_is_invalid_structure() {
    let mut v = base();
    stage_actions(&mut v, 1).push(source("Late", "Other"));
    fails(v, "InvalidStructureException");
}

#[test]
fn only_source_actions_is_invalid_structure() {
    let mut v = base();
    v["stages"][1]["actions"] = json!([source("Src2", "Out2")]);
    fails(v, "InvalidStructureException");
}

#[test]
fn the_role_is_never_assumed() {
    // AWS answers InvalidStructureException when it cannot assume the role; locally any role
    // that matches the model's pattern is accepted.
    let mut v = base();
    v["roleArn"] = json!("arn:aws:iam::999999999999:role/does-not-exist");
    run(v).unwrap();
}

#[test]
fn input_not_produced_earlier_is_invalid_structure() {
    let mut v = base();
    v["stages"][1]["actions"][0]["inputArtifacts"] = json!([{"name": "Nowhere"}]);
    fails(v, "InvalidStructureException");
    // Produced in the same stage with the same runOrder: not earlier.
    let mut v = base();
    stage_actions(&mut v, 1).push(build("Test", "BuildOut", None));
    fails(v.clone(), "InvalidStructureException");
    v["stages"][1]["actions"][1]["runOrder"] = json!(2);
    run(v).unwrap();
}

#[test]
fn duplicate_output_artifact_is_invalid_structure() {
    let mut v = base();
    let mut dup = build("Other", "SourceOut", Some("BuildOut"));
    dup["runOrder"] = json!(2);
    stage_actions(&mut v, 1).push(dup);
    fails(v, "InvalidStructureException");
}

#[test]
fn rollback_in_parallel_mode_is_invalid_structure() {
    let mut v = base();
    v["pipelineType"] = json!("V2");
    v["executionMode"] = json!("PARALLEL");
    v["stages"][1]["onFailure"] = json!({"result": "ROLLBACK"});
    fails(v, "InvalidStructureException");
}

#[test]
fn trigger_on_a_non_git_source_is_invalid_structure() {
    let mut v = base();
    v["stages"][0]["actions"][0] = json!({
        "name": "Src",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip"},
        "outputArtifacts": [{"name": "SourceOut"}]
    });
    v["triggers"] = json!([{
        "providerType": "CodeStarSourceConnection",
        "gitConfiguration": {"sourceActionName": "Src", "push": [{"branches": {"includes": ["main"]}}]}
    }]);
    fails(v, "InvalidStructureException");
}

#[test]
fn trigger_filter_combinations_are_validation() {
    let mut v = base();
    v["triggers"] = json!([{
        "providerType": "CodeStarSourceConnection",
        "gitConfiguration": {"sourceActionName": "Src", "push": [{
            "tags": {"includes": ["v*"]}, "branches": {"includes": ["main"]}
        }]}
    }]);
    fails(v.clone(), "ValidationException");
    v["triggers"][0]["gitConfiguration"]["push"][0] = json!({"branches": {"includes": ["main"]}});
    let p = run(v).unwrap();
    assert_eq!(p.pipeline_type, Some(PipelineType::V2));
}

#[test]
fn more_than_three_push_filters_is_validation() {
    let mut v = base();
    let filter = json!({"branches": {"includes": ["main"]}});
    v["triggers"] = json!([{
        "providerType": "CodeStarSourceConnection",
        "gitConfiguration": {"sourceActionName": "Src", "push": [filter, filter, filter, filter]}
    }]);
    let msg = fails(v, "ValidationException");
    assert!(msg.contains("gitConfiguration.push"), "{msg}");
}

// ---- pipeline type -------------------------------------------------------------------------

#[test]
fn v2_features_on_an_explicit_v1_pipeline_are_validation() {
    for (member, value) in [
        ("executionMode", json!("QUEUED")),
        ("variables", json!([{"name": "env", "defaultValue": "dev"}])),
    ] {
        let mut v = base();
        v["pipelineType"] = json!("V1");
        v[member] = value;
        fails(v, "ValidationException");
    }
    let mut v = base();
    v["pipelineType"] = json!("V1");
    v["stages"][1]["beforeEntry"] = json!({"conditions": [{"result": "FAIL", "rules": [{
        "name": "Check",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "VariableCheck", "version": "1"},
        "configuration": {"Variable": "#{codepipeline.PipelineExecutionId}", "Value": "x", "Operator": "NE"}
    }]}]});
    fails(v.clone(), "ValidationException");
    // Omitted: the pipeline becomes V2.
    v.as_object_mut().unwrap().remove("pipelineType");
    assert_eq!(run(v).unwrap().pipeline_type, Some(PipelineType::V2));
}

// ---- 4. stages -----------------------------------------------------------------------------

#[test]
fn duplicate_stage_names_are_invalid_stage_declaration() {
    let mut v = base();
    let mut extra = json!({"name": "Build", "actions": [build("Again", "SourceOut", None)]});
    extra["actions"][0]["name"] = json!("Again");
    v["stages"].as_array_mut().unwrap().push(extra);
    fails(v, "InvalidStageDeclarationException");
}

#[test]
fn stage_without_actions_is_invalid_stage_declaration() {
    let mut v = base();
    v["stages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Empty", "actions": []}));
    fails(v, "InvalidStageDeclarationException");
}

#[test]
fn stage_with_more_than_fifty_actions_is_invalid_stage_declaration() {
    let mut v = base();
    let actions = stage_actions(&mut v, 1);
    for i in 0..50 {
        actions.push(json!({
            "name": format!("Approve{i}"),
            "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
        }));
    }
    fails(v, "InvalidStageDeclarationException");
}

#[test]
fn blockers_are_invalid_blocker_declaration() {
    let mut v = base();
    v["stages"][1]["blockers"] = json!([{"name": "b", "type": "Schedule"}]);
    fails(v, "InvalidBlockerDeclarationException");
}

#[test]
fn condition_results_per_hook_are_checked() {
    let rule = json!({
        "name": "Window",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "DeploymentWindow", "version": "1"},
        "configuration": {"Cron": "0 0 9 ? * MON-FRI *", "TimeZone": "UTC+02:00"}
    });
    let mut v = base();
    v["pipelineType"] = json!("V2");
    v["stages"][1]["beforeEntry"] =
        json!({"conditions": [{"result": "ROLLBACK", "rules": [rule]}]});
    fails(v.clone(), "InvalidStageDeclarationException");
    v["stages"][1]["beforeEntry"]["conditions"][0]["result"] = json!("SKIP");
    run(v.clone()).unwrap();
    // Deployment windows: the cron expression and the time zone are checked.
    let window = |cron: &str, zone: &str| {
        let mut w = v.clone();
        w["stages"][1]["beforeEntry"]["conditions"][0]["rules"][0]["configuration"] =
            json!({"Cron": cron, "TimeZone": zone});
        w
    };
    let msg = fails(
        window("0 9 ? * MON-FRI *", "UTC"),
        "InvalidStageDeclarationException",
    );
    assert!(msg.contains("invalid deployment window"), "{msg}");
    let msg = fails(
        window("0 0 9 ? * MON-FRI *", "Mars/Olympus"),
        "InvalidStageDeclarationException",
    );
    assert!(msg.contains("not a time zone simfra knows"), "{msg}");
    run(window("0 0 9 ? * MON-FRI *", "America/New_York")).unwrap();
    run(window("0 0 9 ? * MON-FRI *", "#{variables.zone}")).unwrap();
    // A rule type that does not exist.
    v["stages"][1]["beforeEntry"]["conditions"][0]["rules"][0]["ruleTypeId"]["provider"] =
        json!("Nope");
    fails(v, "InvalidStageDeclarationException");
}

// ---- 5. actions ----------------------------------------------------------------------------

#[test]
fn duplicate_action_names_in_a_stage_are_invalid_action_declaration() {
    let mut v = base();
    let mut dup = build("Compile", "SourceOut", None);
    dup["runOrder"] = json!(2);
    stage_actions(&mut v, 1).push(dup);
    fails(v, "InvalidActionDeclarationException");
}

#[test]
fn unknown_action_type_is_invalid_action_declaration() {
    let mut v = base();
    v["stages"][1]["actions"][0]["actionTypeId"]["provider"] = json!("Foo");
    v["stages"][1]["actions"][0]["name"] = json!("Build");
    assert_eq!(
        fails(v, "InvalidActionDeclarationException"),
        "ActionType (Category: 'Build', Provider: 'Foo', Owner: 'AWS', Version: '1') in action 'Build' is not available in region 'US_EAST_1'"
    );
}

#[test]
fn missing_required_configuration_is_invalid_action_declaration() {
    let mut v = base();
    v["stages"][0]["actions"][0]["configuration"] = json!({"RepositoryName": "app"});
    v["stages"][0]["actions"][0]["name"] = json!("Source");
    assert_eq!(
        fails(v, "InvalidActionDeclarationException"),
        "Action configuration for action 'Source' is missing required configuration 'BranchName'"
    );
}

#[test]
fn unknown_configuration_key_is_invalid_action_declaration() {
    let mut v = base();
    v["stages"][1]["actions"][0]["configuration"]["Colour"] = json!("blue");
    let msg = fails(v, "InvalidActionDeclarationException");
    assert!(msg.contains("'Colour'"), "{msg}");
}

#[test]
fn artifact_counts_outside_the_provider_bounds_are_invalid_action_declaration() {
    // CodeBuild takes 1-5 inputs.
    let mut v = base();
    v["stages"][1]["actions"][0]["inputArtifacts"] = json!([]);
    fails(v, "InvalidActionDeclarationException");
    // A CodeCommit source produces exactly one output.
    let mut v = base();
    v["stages"][0]["actions"][0]["outputArtifacts"] = json!([{"name": "A"}, {"name": "B"}]);
    v["stages"][1]["actions"][0]["inputArtifacts"] = json!([{"name": "A"}]);
    fails(v, "InvalidActionDeclarationException");
}

#[test]
fn custom_action_types_bring_their_own_rules() {
    let custom = |config: Value| {
        json!({
            "name": "Worker",
            "actionTypeId": {"category": "Build", "owner": "Custom", "provider": "Worker", "version": "1"},
            "configuration": config,
            "inputArtifacts": [{"name": "SourceOut"}]
        })
    };
    let mut v = base();
    v["stages"][1]["actions"] = json!([custom(json!({"Project": "p1"}))]);
    run(v.clone()).unwrap();
    v["stages"][1]["actions"] = json!([custom(json!({}))]);
    fails(v.clone(), "InvalidActionDeclarationException");
    // Queryable values: at most 20 letters, digits, '_' or '-'.
    v["stages"][1]["actions"] = json!([custom(json!({"Project": "has spaces"}))]);
    fails(v.clone(), "InvalidActionDeclarationException");
    v["stages"][1]["actions"][0]["actionTypeId"]["version"] = json!("2");
    fails(v, "InvalidActionDeclarationException");
}

#[test]
fn namespace_reused_is_invalid_action_declaration() {
    let mut v = base();
    v["stages"][0]["actions"][0]["namespace"] = json!("SourceVariables");
    v["stages"][1]["actions"][0]["namespace"] = json!("SourceVariables");
    assert_eq!(
        fails(v, "InvalidActionDeclarationException"),
        "Namespaces must be unique across the pipeline definition. The following occur more than once in the pipeline. StageName=[Build], ActionName=[Compile], Namespace=[SourceVariables]"
    );
}

#[test]
fn namespace_equal_to_an_artifact_name_is_invalid_action_declaration() {
    let mut v = base();
    v["stages"][1]["actions"][0]["namespace"] = json!("SourceOut");
    fails(v, "InvalidActionDeclarationException");
}

#[test]
fn references_to_unknown_or_later_namespaces_are_invalid_action_declaration() {
    let mut v = base();
    v["stages"][1]["actions"][0]["configuration"]["EnvironmentVariables"] =
        json!("[{\"name\":\"C\",\"value\":\"#{Src.CommitId}\"}]");
    fails(v.clone(), "InvalidActionDeclarationException");
    v["stages"][0]["actions"][0]["namespace"] = json!("Src");
    run(v.clone()).unwrap();
    // The producer runs after the consumer.
    let mut v = base();
    v["stages"][1]["actions"][0]["namespace"] = json!("BuildVars");
    v["stages"][0]["actions"][0]["configuration"]["BranchName"] = json!("#{BuildVars.X}");
    fails(v, "InvalidActionDeclarationException");
    // Pipeline variables must be declared.
    let mut v = base();
    v["stages"][1]["actions"][0]["configuration"]["ProjectName"] = json!("#{variables.env}");
    fails(v.clone(), "InvalidActionDeclarationException");
    v["variables"] = json!([{"name": "env", "defaultValue": "dev"}]);
    run(v).unwrap();
}

#[test]
fn commands_action_without_commands_is_invalid_action_declaration() {
    let mut v = base();
    v["pipelineType"] = json!("V2");
    v["stages"][1]["actions"] = json!([{
        "name": "Run",
        "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
        "inputArtifacts": [{"name": "SourceOut"}]
    }]);
    assert_eq!(
        fails(v.clone(), "InvalidActionDeclarationException"),
        "Action Run must have a non-empty commands field"
    );
    v["stages"][1]["actions"][0]["commands"] = json!(["make test"]);
    run(v).unwrap();
}

#[test]
fn cross_region_source_action_is_invalid_action_declaration() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("artifactStore");
    v["artifactStores"] = json!({
        REGION: {"type": "S3", "location": "orders-artifacts"},
        "eu-west-1": {"type": "S3", "location": "eu-artifacts"}
    });
    v["stages"][0]["actions"][0]["region"] = json!("eu-west-1");
    fails(v, "InvalidActionDeclarationException");
}

// ---- secrets -------------------------------------------------------------------------------

fn github_pipeline(token: &str) -> Value {
    let mut v = base();
    v["stages"][0]["actions"][0] = json!({
        "name": "Src",
        "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
        "configuration": {"Owner": "me", "Repo": "app", "Branch": "main", "OAuthToken": token},
        "outputArtifacts": [{"name": "SourceOut"}]
    });
    v
}

#[test]
fn secrets_are_masked_and_kept_on_update() {
    let first = run(github_pipeline("ghp_secret")).unwrap();
    let masked = structure::mask_secrets(&first, &lookup).expect("a secret to mask");
    let config = masked.stages[0].actions[0].configuration.as_ref().unwrap();
    assert_eq!(config["OAuthToken"], MASK);
    assert_eq!(config["Owner"], "me");
    let second = run_with(github_pipeline(MASK), Some(&first)).unwrap();
    let config = second.stages[0].actions[0].configuration.as_ref().unwrap();
    assert_eq!(config["OAuthToken"], "ghp_secret");
    let err = run(github_pipeline(MASK)).unwrap_err();
    assert!(matches!(
        err,
        CodePipelineError::InvalidActionDeclaration(_)
    ));
}

#[test]
fn variable_references_are_parsed() {
    assert_eq!(
        structure::variable_references("a #{Ns.Var} b #{x} #{codepipeline.PipelineExecutionId}"),
        vec![("Ns", "Var"), ("codepipeline", "PipelineExecutionId")]
    );
}

#[test]
fn tag_keys_are_checked_without_byte_slicing() {
    use super::check_tag_keys;
    assert!(check_tag_keys(["é:x-long-key"].into_iter()).is_ok());
    assert!(check_tag_keys(["aé"].into_iter()).is_ok());
    let e = check_tag_keys(["AWS:cost"].into_iter()).unwrap_err();
    assert_eq!(e.code(), "InvalidTagsException");
    let e = check_tag_keys(["a", "a"].into_iter()).unwrap_err();
    assert_eq!(e.code(), "InvalidTagsException");
}

#[path = "tests_commands.rs"]
mod commands;
