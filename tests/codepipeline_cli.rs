//! The same control-plane flows driven by the AWS CLI (v1, botocore), including the example
//! pipeline of simfra's guide, accepted as written there.

mod common;

use serde_json::{json, Value};

/// The example of the guide ("Create a Pipeline"), byte for byte as users save it.
const GUIDE_PIPELINE: &str = r#"{
"pipeline": {
"name": "my-pipeline",
"roleArn": "arn:aws:iam::000000000000:role/codepipeline-role",
"pipelineType": "V2",
"executionMode": "QUEUED",
"stages": [
{
"name": "Source",
"actions": [
{
"name": "CodeCommitSource",
"actionTypeId": {
"category": "Source",
"owner": "AWS",
"provider": "CodeCommit",
"version": "1"
},
"outputArtifacts": [
{ "name": "SourceOutput" }
],
"configuration": {
"RepositoryName": "my-app",
"BranchName": "main"
},
"runOrder": 1
}
]
},
{
"name": "Build",
"actions": [
{
"name": "CodeBuild",
"actionTypeId": {
"category": "Build",
"owner": "AWS",
"provider": "CodeBuild",
"version": "1"
},
"inputArtifacts": [
{ "name": "SourceOutput" }
],
"outputArtifacts": [
{ "name": "BuildOutput" }
],
"configuration": {
"ProjectName": "my-build"
},
"runOrder": 1
}
]
},
{
"name": "Deploy",
"actions": [
{
"name": "CodeDeploy",
"actionTypeId": {
"category": "Deploy",
"owner": "AWS",
"provider": "CodeDeploy",
"version": "1"
},
"inputArtifacts": [
{ "name": "BuildOutput" }
],
"configuration": {
"ApplicationName": "my-app",
"DeploymentGroupName": "prod"
},
"runOrder": 1
}
]
}
],
"artifactStore": {
"type": "S3",
"location": "my-pipeline-artifacts"
}
}
}
"#;

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    format!("file://{}", path.display())
}

#[test]
fn the_guide_pipeline_through_the_cli() {
    let server = common::start();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "pipeline.json", GUIDE_PIPELINE);

    let created = common::cli_json(
        &url,
        &[
            "codepipeline",
            "create-pipeline",
            "--cli-input-json",
            &input,
        ],
    );
    let p = &created["pipeline"];
    assert_eq!(p["name"], "my-pipeline");
    assert_eq!(p["version"], 1);
    assert_eq!(p["pipelineType"], "V2");
    assert_eq!(p["executionMode"], "QUEUED");
    assert_eq!(p["stages"][2]["actions"][0]["outputArtifacts"], json!([]));

    let got = common::cli_json(
        &url,
        &["codepipeline", "get-pipeline", "--name", "my-pipeline"],
    );
    assert_eq!(
        got["metadata"]["pipelineArn"],
        "arn:aws:codepipeline:us-east-1:000000000000:my-pipeline"
    );
    // CLI v1 prints timestamps as they arrived (epoch seconds) unless configured otherwise.
    let created = &got["metadata"]["created"];
    assert!(created.is_number() || created.is_string(), "{created}");

    // Round trip: what get-pipeline printed, edited, goes back through update-pipeline.
    let mut declaration = got["pipeline"].clone();
    declaration["stages"][1]["actions"][0]["configuration"]["ProjectName"] = json!("my-build-v2");
    let update = write(
        &dir,
        "update.json",
        &json!({ "pipeline": declaration }).to_string(),
    );
    let updated = common::cli_json(
        &url,
        &[
            "codepipeline",
            "update-pipeline",
            "--cli-input-json",
            &update,
        ],
    );
    assert_eq!(updated["pipeline"]["version"], 2);

    let v1 = common::cli_json(
        &url,
        &[
            "codepipeline",
            "get-pipeline",
            "--name",
            "my-pipeline",
            "--pipeline-version",
            "1",
        ],
    );
    assert_eq!(
        v1["pipeline"]["stages"][1]["actions"][0]["configuration"]["ProjectName"],
        "my-build"
    );

    let listed = common::cli_json(&url, &["codepipeline", "list-pipelines"]);
    let summaries = listed["pipelines"].as_array().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0]["version"], 2);

    // The same file again: the name is taken.
    let out = common::cli(
        &url,
        &[
            "codepipeline",
            "create-pipeline",
            "--cli-input-json",
            &input,
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PipelineNameInUseException"));

    common::cli_json(
        &url,
        &["codepipeline", "delete-pipeline", "--name", "my-pipeline"],
    );
    let out = common::cli(
        &url,
        &["codepipeline", "get-pipeline", "--name", "my-pipeline"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PipelineNotFoundException"), "{stderr}");
}

#[test]
fn list_pipelines_paginates_through_the_cli() {
    let server = common::start();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        let doc = GUIDE_PIPELINE.replace("my-pipeline\"", &format!("pipe-{i}\""));
        let input = write(&dir, &format!("p{i}.json"), &doc);
        common::cli_json(
            &url,
            &[
                "codepipeline",
                "create-pipeline",
                "--cli-input-json",
                &input,
            ],
        );
    }
    // The CLI follows nextToken by itself, two at a time.
    let all = common::cli_json(
        &url,
        &["codepipeline", "list-pipelines", "--page-size", "2"],
    );
    let names: Vec<&str> = all["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pipe-0", "pipe-1", "pipe-2", "pipe-3", "pipe-4"]);
}

#[test]
fn tags_types_and_webhooks_through_the_cli() {
    let server = common::start();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "pipeline.json", GUIDE_PIPELINE);
    common::cli_json(
        &url,
        &[
            "codepipeline",
            "create-pipeline",
            "--cli-input-json",
            &input,
        ],
    );
    let arn = "arn:aws:codepipeline:us-east-1:000000000000:my-pipeline";
    common::cli_json(
        &url,
        &[
            "codepipeline",
            "tag-resource",
            "--resource-arn",
            arn,
            "--tags",
            "key=team,value=shop",
            "key=env,value=dev",
        ],
    );
    common::cli_json(
        &url,
        &[
            "codepipeline",
            "untag-resource",
            "--resource-arn",
            arn,
            "--tag-keys",
            "env",
        ],
    );
    let tags = common::cli_json(
        &url,
        &[
            "codepipeline",
            "list-tags-for-resource",
            "--resource-arn",
            arn,
        ],
    );
    assert_eq!(tags["tags"], json!([{"key": "team", "value": "shop"}]));

    let types = common::cli_json(&url, &["codepipeline", "list-action-types"]);
    assert!(types["actionTypes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"]["provider"] == "CodeDeploy"));
    let rules = common::cli_json(&url, &["codepipeline", "list-rule-types"]);
    assert_eq!(rules["ruleTypes"].as_array().unwrap().len(), 5);

    let custom = common::cli_json(
        &url,
        &[
            "codepipeline",
            "create-custom-action-type",
            "--category",
            "Test",
            "--provider",
            "Checker",
            "--action-version",
            "1",
            "--input-artifact-details",
            "minimumCount=1,maximumCount=1",
            "--output-artifact-details",
            "minimumCount=0,maximumCount=0",
        ],
    );
    assert_eq!(custom["actionType"]["id"]["owner"], "Custom");
    common::cli_json(
        &url,
        &[
            "codepipeline",
            "delete-custom-action-type",
            "--category",
            "Test",
            "--provider",
            "Checker",
            "--action-version",
            "1",
        ],
    );

    let webhook = json!({
        "webhook": {
            "name": "gh",
            "targetPipeline": "my-pipeline",
            "targetAction": "CodeCommitSource",
            "filters": [{"jsonPath": "$.ref", "matchEquals": "refs/heads/{BranchName}"}],
            "authentication": "GITHUB_HMAC",
            "authenticationConfiguration": {"SecretToken": "s3cret"}
        }
    });
    let hook_file = write(&dir, "webhook.json", &webhook.to_string());
    let put = common::cli_json(
        &url,
        &[
            "codepipeline",
            "put-webhook",
            "--cli-input-json",
            &hook_file,
        ],
    );
    assert!(put["webhook"]["url"]
        .as_str()
        .unwrap()
        .contains("/_simfra/webhooks/"));
    common::cli_json(
        &url,
        &[
            "codepipeline",
            "register-webhook-with-third-party",
            "--webhook-name",
            "gh",
        ],
    );
    let hooks: Value = common::cli_json(&url, &["codepipeline", "list-webhooks"]);
    assert_eq!(hooks["webhooks"].as_array().unwrap().len(), 1);
    common::cli_json(&url, &["codepipeline", "delete-webhook", "--name", "gh"]);
    let hooks: Value = common::cli_json(&url, &["codepipeline", "list-webhooks"]);
    assert!(hooks["webhooks"].as_array().unwrap().is_empty());
}
