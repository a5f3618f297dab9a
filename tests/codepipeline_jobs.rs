//! Job workers for custom (owner Custom) and partner (owner ThirdParty) actions, written with
//! the official SDK as a real worker would be: poll, acknowledge, fetch the input artifact
//! from S3 with the job's credentials, upload the output, answer. Also continuation tokens,
//! failures, the protocol's errors, abandoned actions and the action timeout.

mod codepipeline_jobs_support;
mod codepipeline_support;
mod common;

use std::time::Duration;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, CurrentRevision, ExecutionDetails, FailureDetails, FailureType,
    PipelineExecutionStatus,
};
use codepipeline_jobs_support::*;
use codepipeline_support::{code, type_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_action_runs_through_a_job_worker() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let exec = create(&cp, built_pipeline("built", "alpha")).await;
    let job = next_job(&cp, "alpha").await;
    // Dispatched: another poll does not get it; other projects and a missing queryParam do not.
    let poll = |project: Option<&str>| {
        let mut req = cp.poll_for_jobs().action_type_id(builder_type());
        if let Some(p) = project {
            req = req.query_param("ProjectName", p);
        }
        req.send()
    };
    assert!(poll(Some("alpha")).await.unwrap().jobs().is_empty());
    assert!(poll(Some("beta")).await.unwrap().jobs().is_empty());
    assert_eq!(code(&poll(None).await.unwrap_err()), "ValidationException");

    let data = job.data().unwrap();
    assert_eq!(job.account_id(), Some("000000000000"));
    assert_eq!(data.action_type_id(), Some(&builder_type()));
    let config = data
        .action_configuration()
        .unwrap()
        .configuration()
        .unwrap();
    assert_eq!(config["ProjectName"], "alpha");
    let ctx = data.pipeline_context().unwrap();
    assert_eq!(ctx.pipeline_name(), Some("built"));
    assert_eq!(ctx.stage().unwrap().name(), Some("Build"));
    assert_eq!(ctx.action().unwrap().name(), Some("Compile"));
    assert_eq!(ctx.pipeline_execution_id(), Some(exec.as_str()));
    assert_eq!(
        ctx.pipeline_arn(),
        Some("arn:aws:codepipeline:us-east-1:000000000000:built")
    );
    assert_eq!(data.input_artifacts()[0].name(), Some("SourceOutput"));
    assert_eq!(data.output_artifacts()[0].name(), Some("BuiltOutput"));
    assert_eq!(data.continuation_token(), None);
    let details = cp
        .get_job_details()
        .job_id(job.id().unwrap())
        .send()
        .await
        .unwrap();
    let details = details.job_details().unwrap();
    assert_eq!(details.id(), job.id());
    assert_eq!(details.data(), job.data());

    assert_eq!(ack(&cp, &job).await, "InProgress");
    build(&server, &job).await;
    succeed(&cp, &job, &[("Version", "1.2.3")], None).await;
    wait_status(&cp, "built", &exec, PipelineExecutionStatus::Succeeded).await;

    // The deploy used the worker's variable and its output artifact.
    let site = common::s3(&server);
    let built = get_object(&site, SITE_BUCKET, "releases/1.2.3/built.txt").await;
    assert_eq!(
        String::from_utf8(built).unwrap(),
        format!("built from {INDEX}")
    );
    let actions = cp
        .list_action_executions()
        .pipeline_name("built")
        .send()
        .await
        .unwrap();
    let compile = actions
        .action_execution_details()
        .iter()
        .find(|a| a.action_name() == Some("Compile"))
        .unwrap();
    let output = compile.output().unwrap();
    assert_eq!(output.output_variables().unwrap()["Version"], "1.2.3");
    let result = output.execution_result().unwrap();
    assert_eq!(result.external_execution_summary(), Some("built it"));
    assert_eq!(result.external_execution_id(), Some("build-42"));
    let ended = cp
        .put_job_success_result()
        .job_id(job.id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&ended), "InvalidJobStateException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_tokens_keep_the_action_running_with_new_jobs() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let exec = create(&cp, built_pipeline("stepwise", "beta")).await;
    let mut seen = Vec::new();
    for step in ["step-1", "step-2"] {
        let job = next_job(&cp, "beta").await;
        assert_eq!(ack(&cp, &job).await, "InProgress");
        if step == "step-1" {
            let both = cp
                .put_job_success_result()
                .job_id(job.id().unwrap())
                .continuation_token(step)
                .output_variables("Version", "x")
                .send()
                .await
                .unwrap_err();
            assert_eq!(code(&both), "ValidationException");
        }
        succeed(&cp, &job, &[], Some(step)).await;
        seen.push(job);
    }
    let last = next_job(&cp, "beta").await;
    assert_eq!(last.data().unwrap().continuation_token(), Some("step-2"));
    assert_eq!(seen[1].data().unwrap().continuation_token(), Some("step-1"));
    assert_eq!(
        status(&cp, "stepwise", &exec).await,
        PipelineExecutionStatus::InProgress
    );
    ack(&cp, &last).await;
    build(&server, &last).await;
    succeed(&cp, &last, &[("Version", "2.0")], None).await;
    seen.push(last);
    wait_status(&cp, "stepwise", &exec, PipelineExecutionStatus::Succeeded).await;

    // Three jobs, one action execution.
    let ids: std::collections::BTreeSet<_> = seen.iter().map(|j| j.id().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    let action_ids: std::collections::BTreeSet<_> = seen
        .iter()
        .map(|j| {
            let ctx = j.data().unwrap().pipeline_context().unwrap();
            ctx.action()
                .unwrap()
                .action_execution_id()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(action_ids.len(), 1);
    let actions = cp
        .list_action_executions()
        .pipeline_name("stepwise")
        .send()
        .await
        .unwrap();
    let compiles: Vec<_> = actions
        .action_execution_details()
        .iter()
        .filter(|a| a.action_name() == Some("Compile"))
        .collect();
    assert_eq!(compiles.len(), 1);
    assert_eq!(
        compiles[0].action_execution_id(),
        action_ids.iter().next().map(String::as_str)
    );
    let built = get_object(&common::s3(&server), SITE_BUCKET, "releases/2.0/built.txt").await;
    assert!(!built.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_result_fails_the_action_and_the_execution() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let exec = create(&cp, built_pipeline("broken", "gamma")).await;
    let job = next_job(&cp, "gamma").await;
    ack(&cp, &job).await;
    let fail = || {
        cp.put_job_failure_result()
            .job_id(job.id().unwrap())
            .failure_details(
                FailureDetails::builder()
                    .r#type(FailureType::JobFailed)
                    .message("compiler exploded")
                    .external_execution_id("build-7")
                    .build()
                    .unwrap(),
            )
            .send()
    };
    fail().await.unwrap();
    wait_status(&cp, "broken", &exec, PipelineExecutionStatus::Failed).await;
    let state = cp.get_pipeline_state().name("broken").send().await.unwrap();
    let build_stage = &state.stage_states()[1];
    let latest = build_stage.action_states()[0].latest_execution().unwrap();
    assert_eq!(latest.status().unwrap().as_str(), "Failed");
    let error = latest.error_details().unwrap();
    assert_eq!(error.code(), Some("JobFailed"));
    assert_eq!(error.message(), Some("compiler exploded"));
    assert_eq!(latest.external_execution_id(), Some("build-7"));
    assert_eq!(code(&fail().await.unwrap_err()), "InvalidJobStateException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_and_abandoned_actions() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    let err = cp
        .acknowledge_job()
        .job_id(unknown)
        .nonce("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "JobNotFoundException");
    let err = cp
        .get_job_details()
        .job_id(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "JobNotFoundException");
    let err = cp
        .put_job_success_result()
        .job_id(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "JobNotFoundException");
    let err = cp
        .get_job_details()
        .job_id("not-a-job")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    for t in [
        type_id(ActionCategory::Build, ActionOwner::Custom, "Nobody"),
        type_id(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"),
    ] {
        let err = cp
            .poll_for_jobs()
            .action_type_id(t)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ActionTypeNotFoundException");
    }

    let exec = create(&cp, built_pipeline("abandoned", "delta")).await;
    let job = next_job(&cp, "delta").await;
    let err = cp
        .acknowledge_job()
        .job_id(job.id().unwrap())
        .nonce("not-the-nonce")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNonceException");
    assert_eq!(ack(&cp, &job).await, "InProgress");
    // Acknowledging again is allowed.
    assert_eq!(ack(&cp, &job).await, "InProgress");
    cp.stop_pipeline_execution()
        .pipeline_name("abandoned")
        .pipeline_execution_id(&exec)
        .abandon(true)
        .send()
        .await
        .unwrap();
    wait_status(&cp, "abandoned", &exec, PipelineExecutionStatus::Stopped).await;
    let err = cp
        .put_job_success_result()
        .job_id(job.id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidJobStateException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_job_fails_its_action_at_the_action_timeout() {
    let mut settings = simfra::Settings::for_tests();
    settings.action_timeout_seconds = 1;
    let server = common::start_with(settings);
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let exec = create(&cp, built_pipeline("slow", "epsilon")).await;
    let job = next_job(&cp, "epsilon").await;
    ack(&cp, &job).await;
    wait_status(&cp, "slow", &exec, PipelineExecutionStatus::Failed).await;
    let err = cp
        .put_job_success_result()
        .job_id(job.id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidJobStateException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_jobs_round_trip_with_client_tokens() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let github = type_id(ActionCategory::Source, ActionOwner::ThirdParty, "GitHub");
    let exec = create(&cp, partner_pipeline()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let polled = loop {
        let out = cp
            .poll_for_third_party_jobs()
            .action_type_id(github.clone())
            .send()
            .await
            .unwrap();
        if let Some(job) = out.jobs().first() {
            break job.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no partner job");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (job_id, client_id) = (polled.job_id().unwrap(), polled.client_id().unwrap());
    // Partner jobs are not custom jobs.
    let err = cp
        .poll_for_jobs()
        .action_type_id(github.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ActionTypeNotFoundException");
    let err = cp
        .get_third_party_job_details()
        .job_id(job_id)
        .client_token("not-the-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidClientTokenException");

    let details = cp
        .get_third_party_job_details()
        .job_id(job_id)
        .client_token(client_id)
        .send()
        .await
        .unwrap();
    let details = details.job_details().unwrap();
    assert_eq!(details.id(), Some(job_id));
    let data = details.data().unwrap();
    let config = data
        .action_configuration()
        .unwrap()
        .configuration()
        .unwrap();
    assert_eq!(config["OAuthToken"], "partner-secret");
    let ctx = data.pipeline_context().unwrap();
    assert_eq!(ctx.pipeline_name(), Some("partner"));
    assert_eq!(ctx.pipeline_arn(), None);
    assert_eq!(ctx.pipeline_execution_id(), None);
    let status = cp
        .acknowledge_third_party_job()
        .job_id(job_id)
        .nonce(details.nonce().unwrap())
        .client_token(client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status().unwrap().as_str(), "InProgress");

    let s3 = s3_for_job(&server, data.artifact_credentials().unwrap());
    let out = data.output_artifacts()[0].location().unwrap();
    let out = out.s3_location().unwrap();
    s3.put_object()
        .bucket(out.bucket_name())
        .key(out.object_key())
        .body(zip_of(&[("index.html", "<h1>from the partner</h1>")]).into())
        .send()
        .await
        .unwrap();
    cp.put_third_party_job_success_result()
        .job_id(job_id)
        .client_token(client_id)
        .current_revision(
            CurrentRevision::builder()
                .revision("abc123")
                .change_identifier("abc123")
                .revision_summary("the partner's commit")
                .build()
                .unwrap(),
        )
        .execution_details(ExecutionDetails::builder().summary("fetched").build())
        .send()
        .await
        .unwrap();
    wait_status(&cp, "partner", &exec, PipelineExecutionStatus::Succeeded).await;
    let site = get_object(&common::s3(&server), SITE_BUCKET, "partner/index.html").await;
    assert_eq!(
        String::from_utf8(site).unwrap(),
        "<h1>from the partner</h1>"
    );
    let execution = cp
        .get_pipeline_execution()
        .pipeline_name("partner")
        .pipeline_execution_id(&exec)
        .send()
        .await
        .unwrap();
    let revisions = execution.pipeline_execution().unwrap().artifact_revisions();
    assert_eq!(revisions[0].revision_id(), Some("abc123"));
    let err = cp
        .put_third_party_job_failure_result()
        .job_id(job_id)
        .client_token(client_id)
        .failure_details(
            FailureDetails::builder()
                .r#type(FailureType::JobFailed)
                .message("too late")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidJobStateException");
}
