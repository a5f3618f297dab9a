//! The Commands action's declaration: its members' model limits (ValidationException), the
//! rules AWS's action reference states (InvalidActionDeclarationException) and what it accepts.

use super::*;

/// `base()` with its build stage running a Commands action instead.
fn with_commands(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    let mut action = json!({
        "name": "Run",
        "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
        "inputArtifacts": [{"name": "SourceOut"}],
        "commands": ["make test"]
    });
    f(&mut action);
    v["stages"][1]["actions"] = json!([action]);
    v
}

fn commands(n: usize) -> Value {
    json!((0..n).map(|i| format!("echo {i}")).collect::<Vec<_>>())
}

#[test]
fn a_full_commands_action_is_accepted_and_makes_the_pipeline_v2() {
    let v = with_commands(|a| {
        a["commands"] = commands(50);
        a["commands"][0] = json!("x".repeat(1000));
        a["outputVariables"] = json!((0..15).map(|i| format!("V{i}")).collect::<Vec<_>>());
        a["environmentVariables"] = json!([
            {"name": "STAGE", "value": "#{codepipeline.PipelineExecutionId}"},
            {"name": "TOKEN", "value": "secret-id", "type": "SECRETS_MANAGER"}
        ]);
        a["outputArtifacts"] = json!([{"name": "RunOut", "files": ["**/"]}]);
        a["configuration"] = json!({
            "EnvironmentType": "LINUX_CONTAINER",
            "ComputeType": "BUILD_GENERAL1_MEDIUM",
            "VpcId": "vpc-1",
            "Subnets": "subnet-1",
            "SecurityGroupIds": "sg-1"
        });
        a["namespace"] = json!("RunVars");
    });
    let p = run(v).unwrap();
    assert_eq!(p.pipeline_type, Some(PipelineType::V2));
    let a = &p.stages[1].actions[0];
    assert_eq!(a.commands.as_ref().unwrap().len(), 50);
    assert_eq!(
        a.output_artifacts[0].files.as_deref(),
        Some(&["**/".to_string()][..])
    );
}

#[test]
fn missing_or_empty_commands_are_refused() {
    let v = with_commands(|a| {
        a.as_object_mut().unwrap().remove("commands");
    });
    assert_eq!(
        fails(v, "InvalidActionDeclarationException"),
        "Action Run must have a non-empty commands field"
    );
    // An empty list breaks the model's minimum first.
    let msg = fails(
        with_commands(|a| a["commands"] = json!([])),
        "ValidationException",
    );
    assert!(msg.contains("commands"), "{msg}");
    let msg = fails(
        with_commands(|a| a["commands"] = json!([""])),
        "ValidationException",
    );
    assert!(msg.contains("commands"), "{msg}");
}

#[test]
fn too_many_or_too_long_commands_are_validation_errors() {
    let msg = fails(
        with_commands(|a| a["commands"] = commands(51)),
        "ValidationException",
    );
    assert!(msg.contains("commands"), "{msg}");
    let msg = fails(
        with_commands(|a| a["commands"] = json!(["x".repeat(1001)])),
        "ValidationException",
    );
    assert!(msg.contains("commands"), "{msg}");
}

#[test]
fn multi_line_commands_are_refused() {
    let v = with_commands(|a| a["commands"] = json!(["echo a\necho b"]));
    let msg = fails(v, "InvalidActionDeclarationException");
    assert!(msg.contains("multi-line"), "{msg}");
}

#[test]
fn member_limits_are_validation_errors() {
    let too_many_vars = with_commands(|a| {
        a["outputVariables"] = json!((0..16).map(|i| format!("V{i}")).collect::<Vec<_>>())
    });
    assert!(fails(too_many_vars, "ValidationException").contains("outputVariables"));
    let too_many_files = with_commands(|a| {
        a["outputArtifacts"] = json!([{"name": "RunOut", "files": (0..11).map(|i| format!("f{i}")).collect::<Vec<_>>()}])
    });
    assert!(fails(too_many_files, "ValidationException").contains("files"));
    let bad_name =
        with_commands(|a| a["environmentVariables"] = json!([{"name": "NOT-VALID", "value": "x"}]));
    assert!(fails(bad_name, "ValidationException").contains("environmentVariables"));
    let too_many_env = with_commands(|a| {
        a["environmentVariables"] = json!((0..11)
            .map(|i| json!({"name": format!("V{i}"), "value": "x"}))
            .collect::<Vec<_>>())
    });
    assert!(fails(too_many_env, "ValidationException").contains("environmentVariables"));
}

#[test]
fn artifact_bounds_and_unknown_configuration_are_refused() {
    let no_input = with_commands(|a| a["inputArtifacts"] = json!([]));
    assert!(fails(no_input, "InvalidActionDeclarationException").contains("0 input artifacts"));
    let two_outputs =
        with_commands(|a| a["outputArtifacts"] = json!([{"name": "A"}, {"name": "B"}]));
    assert!(fails(two_outputs, "InvalidActionDeclarationException").contains("2 output artifacts"));
    let unknown = with_commands(|a| a["configuration"] = json!({"Image": "ubuntu"}));
    assert!(fails(unknown, "InvalidActionDeclarationException").contains("'Image'"));
}

#[test]
fn commands_need_a_v2_pipeline() {
    let mut v = with_commands(|_| {});
    v["pipelineType"] = json!("V1");
    let msg = fails(v, "ValidationException");
    assert!(msg.contains("the Commands action (action 'Run')"), "{msg}");
}

#[test]
fn references_in_commands_must_name_an_earlier_namespace() {
    let v = with_commands(|a| a["commands"] = json!(["echo #{Nope.X}"]));
    fails(v, "InvalidActionDeclarationException");
    let mut v = with_commands(|a| a["commands"] = json!(["echo #{SourceVars.CommitId}"]));
    v["stages"][0]["actions"][0]["namespace"] = json!("SourceVars");
    run(v).unwrap();
}
