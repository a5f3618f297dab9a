//! The job worker of the job-worker tests, written with the official SDK: buckets and zips,
//! the custom action type and pipelines, and a worker's steps (poll, acknowledge, build with
//! the job's S3 credentials, answer).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionConfigurationProperty, ActionConfigurationPropertyType, ActionOwner,
    ActionTypeId, ArtifactDetails, AwsSessionCredentials, ExecutionDetails, Job,
    PipelineDeclaration, PipelineExecutionStatus,
};
use aws_sdk_codepipeline::Client;
use simfra::server::TestServer;

use crate::codepipeline_support::{action, stage, store, type_id, ROLE};
use crate::common;

pub const SOURCE_BUCKET: &str = "jobs-source";
pub const SITE_BUCKET: &str = "jobs-site";
pub const INDEX: &str = "<h1>hello</h1>";

pub fn temp_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("simfra-jobs-{nanos:x}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A zip of the given files.
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let dir = temp_dir();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    for (name, body) in files {
        std::fs::write(dir.join("src").join(name), body).unwrap();
    }
    simfra::archive::zip_dir(&dir.join("src"), &dir.join("out.zip")).unwrap();
    let bytes = std::fs::read(dir.join("out.zip")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// The files of a zip, by name.
pub fn unzip(bytes: Vec<u8>) -> BTreeMap<String, String> {
    let dir = temp_dir();
    let names = simfra::archive::unzip_from(std::io::Cursor::new(bytes), &dir).unwrap();
    let files = names
        .iter()
        .map(|n| {
            let body = std::fs::read_to_string(dir.join(n)).unwrap();
            (n.to_string_lossy().into_owned(), body)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    files
}

/// The versioned source bucket with `app.zip` and the deploy bucket.
pub async fn seed_buckets(server: &TestServer) {
    let s3 = common::s3(server);
    for b in [SOURCE_BUCKET, SITE_BUCKET] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket(SOURCE_BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(SOURCE_BUCKET)
        .key("app.zip")
        .body(zip_of(&[("index.html", INDEX)]).into())
        .send()
        .await
        .unwrap();
}

/// An S3 client signing with a job's artifact credentials.
pub fn s3_for_job(server: &TestServer, creds: &AwsSessionCredentials) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&common::sdk_config(&server.url()))
        .credentials_provider(Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "job",
        ))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub async fn get_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).send().await;
    let out = out.unwrap_or_else(|e| panic!("s3://{bucket}/{key}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub fn builder_type() -> ActionTypeId {
    type_id(ActionCategory::Build, ActionOwner::Custom, "MyBuilder")
}

/// CreateCustomActionType: Build / MyBuilder / 1 with a queryable `ProjectName`.
pub async fn create_builder_type(cp: &Client) {
    let property = ActionConfigurationProperty::builder()
        .name("ProjectName")
        .required(true)
        .key(true)
        .secret(false)
        .queryable(true)
        .r#type(ActionConfigurationPropertyType::String)
        .build()
        .unwrap();
    let one = ArtifactDetails::builder()
        .minimum_count(1)
        .maximum_count(1)
        .build();
    cp.create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("MyBuilder")
        .version("1")
        .configuration_properties(property)
        .input_artifact_details(one.clone())
        .output_artifact_details(one)
        .send()
        .await
        .unwrap();
}

pub fn s3_source() -> aws_sdk_codepipeline::types::ActionDeclaration {
    action(
        "Source",
        type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
        &[
            ("S3Bucket", SOURCE_BUCKET),
            ("S3ObjectKey", "app.zip"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &["SourceOutput"],
    )
}

pub fn s3_deploy(input: &str, key: &str) -> aws_sdk_codepipeline::types::ActionDeclaration {
    action(
        "Deploy",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[
            ("BucketName", SITE_BUCKET),
            ("Extract", "true"),
            ("ObjectKey", key),
        ],
        &[input],
        &[],
    )
}

/// S3 source -> MyBuilder (namespace BuildVars) -> S3 deploy under `releases/#{BuildVars.Version}`.
pub fn built_pipeline(name: &str, project: &str) -> PipelineDeclaration {
    let mut compile = action(
        "Compile",
        builder_type(),
        &[("ProjectName", project)],
        &["SourceOutput"],
        &["BuiltOutput"],
    );
    compile.namespace = Some("BuildVars".into());
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![s3_source()]))
        .stages(stage("Build", vec![compile]))
        .stages(stage(
            "Deploy",
            vec![s3_deploy("BuiltOutput", "releases/#{BuildVars.Version}")],
        ))
        .build()
        .unwrap()
}

/// Creates the pipeline; returns the id of the execution CreatePipeline started.
pub async fn create(cp: &Client, decl: PipelineDeclaration) -> String {
    let name = decl.name().to_string();
    cp.create_pipeline().pipeline(decl).send().await.unwrap();
    let list = cp
        .list_pipeline_executions()
        .pipeline_name(&name)
        .send()
        .await
        .unwrap();
    list.pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string()
}

/// Polls (test side only) until `f` holds; the server itself never polls.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn status(cp: &Client, pipeline: &str, id: &str) -> PipelineExecutionStatus {
    cp.get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(id)
        .send()
        .await
        .unwrap()
        .pipeline_execution()
        .unwrap()
        .status()
        .unwrap()
        .clone()
}

pub async fn wait_status(cp: &Client, pipeline: &str, id: &str, want: PipelineExecutionStatus) {
    eventually(&format!("{id} to be {want:?}"), || async {
        status(cp, pipeline, id).await == want
    })
    .await;
}

/// The worker's poll loop: the next job of MyBuilder for `project`.
pub async fn next_job(cp: &Client, project: &str) -> Job {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let out = cp
            .poll_for_jobs()
            .action_type_id(builder_type())
            .max_batch_size(1)
            .query_param("ProjectName", project)
            .send()
            .await
            .unwrap();
        if let Some(job) = out.jobs().first() {
            return job.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no job for {project}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn ack(cp: &Client, job: &Job) -> String {
    cp.acknowledge_job()
        .job_id(job.id().unwrap())
        .nonce(job.nonce().unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .unwrap()
        .as_str()
        .to_string()
}

/// Reads the job's input artifact and uploads `built.txt` (made from it) as its output.
pub async fn build(server: &TestServer, job: &Job) {
    let data = job.data().unwrap();
    let s3 = s3_for_job(server, data.artifact_credentials().unwrap());
    let input = data.input_artifacts()[0].location().unwrap();
    let input = input.s3_location().unwrap();
    let files = unzip(get_object(&s3, input.bucket_name(), input.object_key()).await);
    assert_eq!(files["index.html"], INDEX);
    let output = data.output_artifacts()[0].location().unwrap();
    let output = output.s3_location().unwrap();
    s3.put_object()
        .bucket(output.bucket_name())
        .key(output.object_key())
        .body(zip_of(&[("built.txt", &format!("built from {INDEX}"))]).into())
        .send()
        .await
        .unwrap();
}

pub async fn succeed(cp: &Client, job: &Job, vars: &[(&str, &str)], token: Option<&str>) {
    let mut req = cp
        .put_job_success_result()
        .job_id(job.id().unwrap())
        .set_continuation_token(token.map(String::from))
        .execution_details(
            ExecutionDetails::builder()
                .summary("built it")
                .external_execution_id("build-42")
                .percent_complete(100)
                .build(),
        );
    for (k, v) in vars {
        req = req.output_variables(*k, *v);
    }
    req.send().await.unwrap();
}

/// ThirdParty / Source / GitHub / 1 (the catalogue's partner source) -> S3 deploy.
pub fn partner_pipeline() -> PipelineDeclaration {
    let source = action(
        "Source",
        type_id(ActionCategory::Source, ActionOwner::ThirdParty, "GitHub"),
        &[
            ("Owner", "octo"),
            ("Repo", "site"),
            ("Branch", "main"),
            ("OAuthToken", "partner-secret"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &["SourceOutput"],
    );
    PipelineDeclaration::builder()
        .name("partner")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source]))
        .stages(stage("Deploy", vec![s3_deploy("SourceOutput", "partner")]))
        .build()
        .unwrap()
}
