//! Builders shared by the CodePipeline API tests: declarations in the SDK's types, tags, and
//! a shorthand to read a typed service error.
#![allow(dead_code)]

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    InputArtifact, OutputArtifact, PipelineDeclaration, StageDeclaration, Tag,
};

pub const ROLE: &str = "arn:aws:iam::000000000000:role/pipeline";

pub fn type_id(category: ActionCategory, owner: ActionOwner, provider: &str) -> ActionTypeId {
    ActionTypeId::builder()
        .category(category)
        .owner(owner)
        .provider(provider)
        .version("1")
        .build()
        .unwrap()
}

pub fn action(
    name: &str,
    type_id: ActionTypeId,
    config: &[(&str, &str)],
    inputs: &[&str],
    outputs: &[&str],
) -> ActionDeclaration {
    let mut b = ActionDeclaration::builder()
        .name(name)
        .action_type_id(type_id);
    for (k, v) in config {
        b = b.configuration(*k, *v);
    }
    for i in inputs {
        b = b.input_artifacts(InputArtifact::builder().name(*i).build().unwrap());
    }
    for o in outputs {
        b = b.output_artifacts(OutputArtifact::builder().name(*o).build().unwrap());
    }
    b.build().unwrap()
}

pub fn codecommit_source(name: &str, out: &str) -> ActionDeclaration {
    action(
        name,
        type_id(ActionCategory::Source, ActionOwner::Aws, "CodeCommit"),
        &[("RepositoryName", "app"), ("BranchName", "main")],
        &[],
        &[out],
    )
}

/// A CodeCommit source of `repository`'s `main` whose artifact `out` is a clone reference
/// (`CODEBUILD_CLONE_REF`), started by hand only.
pub fn clone_ref_source(repository: &str, out: &str) -> ActionDeclaration {
    action(
        "Checkout",
        type_id(ActionCategory::Source, ActionOwner::Aws, "CodeCommit"),
        &[
            ("RepositoryName", repository),
            ("BranchName", "main"),
            ("OutputArtifactFormat", "CODEBUILD_CLONE_REF"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &[out],
    )
}

pub fn codebuild(name: &str, input: &str, project: &str) -> ActionDeclaration {
    action(
        name,
        type_id(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"),
        &[("ProjectName", project)],
        &[input],
        &[],
    )
}

pub fn stage(name: &str, actions: Vec<ActionDeclaration>) -> StageDeclaration {
    StageDeclaration::builder()
        .name(name)
        .set_actions(Some(actions))
        .build()
        .unwrap()
}

pub fn store() -> ArtifactStore {
    ArtifactStore::builder()
        .r#type(ArtifactStoreType::S3)
        .location("artifacts-bucket")
        .build()
        .unwrap()
}

/// A valid two-stage pipeline: CodeCommit source, CodeBuild build of `project`.
pub fn pipeline_with(name: &str, project: &str) -> PipelineDeclaration {
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![codecommit_source("Src", "SourceOut")]))
        .stages(stage(
            "Build",
            vec![codebuild("Compile", "SourceOut", project)],
        ))
        .build()
        .unwrap()
}

pub fn pipeline(name: &str) -> PipelineDeclaration {
    pipeline_with(name, "app-build")
}

/// The id of the pipeline's newest execution.
pub async fn latest_execution_id(cp: &aws_sdk_codepipeline::Client, pipeline: &str) -> String {
    cp.list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string()
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

/// The AWS error code of a failed SDK call (works for modelled and unmodelled errors).
pub fn code<E, R>(err: &aws_sdk_codepipeline::error::SdkError<E, R>) -> String
where
    E: aws_sdk_codepipeline::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<not a service error>")
        .to_string()
}
