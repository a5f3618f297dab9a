//! Unit tests of the job queue: dispatch, re-dispatch after the dispatch timeout, results,
//! continuation jobs, invalidation, and the protocol's refusals.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;
use crate::engine::records::ArtifactLocation;

const TIMEOUT: Duration = Duration::from_secs(30);

fn custom_type() -> ActionTypeSpec {
    ActionTypeSpec {
        category: "Build".into(),
        owner: "Custom".into(),
        provider: "MyBuilder".into(),
        version: "1".into(),
    }
}

fn data(action_execution_id: &str, project: &str) -> JobData {
    JobData {
        action_type: custom_type(),
        configuration: BTreeMap::from([("ProjectName".to_string(), project.to_string())]),
        pipeline_name: "p".into(),
        stage: "Build".into(),
        action: "Compile".into(),
        action_execution_id: action_execution_id.into(),
        pipeline_arn: "arn:aws:codepipeline:us-east-1:000000000000:p".into(),
        pipeline_execution_id: "e".into(),
        input_artifacts: vec![],
        output_artifacts: vec![ArtifactLocation {
            name: "Built".into(),
            bucket: "b".into(),
            key: "p/Built/abcdefg".into(),
        }],
        credentials: JobCredentials {
            access_key_id: "000000000000".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
        },
        continuation_token: None,
    }
}

/// Reports an action received, in order.
type Seen = Arc<Mutex<Vec<String>>>;

fn start(q: &JobQueue, kind: JobKind, action: &str, project: &str) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let id = q.start_action(NewAction {
        kind,
        account: "000000000000".into(),
        region: "us-east-1".into(),
        client_id: "client-1".into(),
        data: data(action, project),
        sink: Box::new(move |r| {
            log.lock().unwrap().push(match r {
                ProviderReport::Progress(p) => format!("progress {:?}", p.summary),
                ProviderReport::Succeeded(s) => format!("succeeded {:?}", s.output_variables),
                ProviderReport::Failed(e) => format!("failed {} {}", e.code, e.message),
            })
        }),
    });
    (id, seen)
}

fn poll(q: &JobQueue, max: usize, query: Option<(&str, &str)>, now: Instant) -> Vec<Dispatched> {
    let t = custom_type();
    q.poll_at(
        JobKind::Custom,
        "000000000000",
        "us-east-1",
        &t,
        max,
        query,
        now,
    )
}

fn ack(q: &JobQueue, id: &str, nonce: &str) -> Result<JobStatus, JobError> {
    q.acknowledge(
        JobKind::Custom,
        "000000000000",
        "us-east-1",
        id,
        nonce,
        None,
    )
}

fn succeed(q: &JobQueue, id: &str, r: JobSuccess) -> Result<(), JobError> {
    q.succeed(JobKind::Custom, "000000000000", "us-east-1", id, None, r)
}

#[test]
fn a_job_is_dispatched_once_then_acknowledged_and_answered() {
    let q = JobQueue::new(TIMEOUT);
    let (id, seen) = start(&q, JobKind::Custom, "a1", "alpha");
    let now = Instant::now();
    let got = poll(&q, 5, None, now);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, id);
    assert_eq!(got[0].data.configuration["ProjectName"], "alpha");
    // Dispatched: not handed out again before the dispatch timeout.
    assert!(poll(&q, 5, None, now + Duration::from_secs(1)).is_empty());
    assert_eq!(
        ack(&q, &id, "wrong"),
        Err(JobError::InvalidNonce(id.clone()))
    );
    assert_eq!(ack(&q, &id, &got[0].nonce), Ok(JobStatus::InProgress));
    // Acknowledging twice answers the current status.
    assert_eq!(ack(&q, &id, &got[0].nonce), Ok(JobStatus::InProgress));
    // Acknowledged jobs are never re-dispatched.
    assert!(poll(&q, 5, None, now + TIMEOUT * 2).is_empty());
    let vars = BTreeMap::from([("Version".to_string(), "1.2".to_string())]);
    succeed(
        &q,
        &id,
        JobSuccess {
            output_variables: vars,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["succeeded {\"Version\": \"1.2\"}"]
    );
    assert!(matches!(
        succeed(&q, &id, JobSuccess::default()),
        Err(JobError::InvalidState(_))
    ));
    assert_eq!(ack(&q, &id, &got[0].nonce), Ok(JobStatus::Succeeded));
}

#[test]
fn an_unacknowledged_job_is_dispatched_again_after_the_timeout() {
    let q = JobQueue::new(TIMEOUT);
    let (id, _) = start(&q, JobKind::Custom, "a1", "alpha");
    let now = Instant::now();
    let first = poll(&q, 1, None, now).remove(0);
    assert!(poll(&q, 1, None, now + TIMEOUT - Duration::from_millis(1)).is_empty());
    let second = poll(&q, 1, None, now + TIMEOUT).remove(0);
    assert_eq!(second.id, id);
    assert_ne!(second.nonce, first.nonce);
    // The first worker lost the job: its nonce is no longer the job's.
    assert_eq!(
        ack(&q, &id, &first.nonce),
        Err(JobError::InvalidNonce(id.clone()))
    );
    assert_eq!(ack(&q, &id, &second.nonce), Ok(JobStatus::InProgress));
}

#[test]
fn polls_take_the_oldest_matching_jobs_up_to_the_batch_size() {
    let q = JobQueue::new(TIMEOUT);
    let (a, _) = start(&q, JobKind::Custom, "a1", "alpha");
    let (b, _) = start(&q, JobKind::Custom, "a2", "beta");
    let (c, _) = start(&q, JobKind::Custom, "a3", "alpha");
    let now = Instant::now();
    let betas = poll(&q, 5, Some(("ProjectName", "beta")), now);
    assert_eq!(betas.iter().map(|j| &j.id).collect::<Vec<_>>(), [&b]);
    let one = poll(&q, 1, Some(("ProjectName", "alpha")), now);
    assert_eq!(one[0].id, a);
    let rest = poll(&q, 5, None, now);
    assert_eq!(rest.iter().map(|j| &j.id).collect::<Vec<_>>(), [&c]);
    // Another kind, account or type sees none of them.
    let t = custom_type();
    assert!(q
        .poll_at(
            JobKind::ThirdParty,
            "000000000000",
            "us-east-1",
            &t,
            5,
            None,
            now + TIMEOUT
        )
        .is_empty());
    assert!(q
        .poll_at(
            JobKind::Custom,
            "111111111111",
            "us-east-1",
            &t,
            5,
            None,
            now + TIMEOUT
        )
        .is_empty());
}

#[test]
fn a_continuation_token_queues_a_new_job_for_the_same_action() {
    let q = JobQueue::new(TIMEOUT);
    let (first, seen) = start(&q, JobKind::Custom, "a1", "alpha");
    let now = Instant::now();
    poll(&q, 1, None, now);
    assert!(matches!(
        succeed(
            &q,
            &first,
            JobSuccess {
                continuation_token: Some("t".into()),
                output_variables: BTreeMap::from([("k".into(), "v".into())]),
                ..Default::default()
            }
        ),
        Err(JobError::Validation(_))
    ));
    succeed(
        &q,
        &first,
        JobSuccess {
            continuation_token: Some("step-1".into()),
            summary: Some("half way".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let next = poll(&q, 1, None, now).remove(0);
    assert_ne!(next.id, first);
    assert_eq!(next.data.continuation_token.as_deref(), Some("step-1"));
    assert_eq!(next.data.action_execution_id, "a1");
    succeed(&q, &next.id, JobSuccess::default()).unwrap();
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["progress Some(\"half way\")", "succeeded {}"]
    );
}

#[test]
fn a_failure_fails_the_action_with_its_type_and_message() {
    let q = JobQueue::new(TIMEOUT);
    let (id, seen) = start(&q, JobKind::Custom, "a1", "alpha");
    q.fail(
        JobKind::Custom,
        "000000000000",
        "us-east-1",
        &id,
        None,
        JobFailure {
            code: "ConfigurationError".into(),
            message: "no such project".into(),
            external_execution_id: None,
        },
    )
    .unwrap();
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["failed ConfigurationError no such project"]
    );
    assert!(poll(&q, 5, None, Instant::now()).is_empty());
}

#[test]
fn cancelling_the_action_invalidates_its_jobs() {
    let q = JobQueue::new(TIMEOUT);
    let (id, seen) = start(&q, JobKind::Custom, "a1", "alpha");
    let (other, _) = start(&q, JobKind::Custom, "a2", "alpha");
    q.cancel_action("a1");
    let now = Instant::now();
    let left = poll(&q, 5, None, now);
    assert_eq!(left.iter().map(|j| &j.id).collect::<Vec<_>>(), [&other]);
    assert!(matches!(
        succeed(&q, &id, JobSuccess::default()),
        Err(JobError::InvalidState(_))
    ));
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(
        ack(&q, "00000000-0000-0000-0000-000000000000", "1"),
        Err(JobError::NotFound(
            "00000000-0000-0000-0000-000000000000".into()
        ))
    );
    q.clear();
    assert!(q.is_empty());
}

#[test]
fn partner_jobs_need_their_client_token() {
    let q = JobQueue::new(TIMEOUT);
    let (id, _) = start(&q, JobKind::ThirdParty, "a1", "alpha");
    let region = "us-east-1";
    let account = "000000000000";
    let t = custom_type();
    let got = q.poll(JobKind::ThirdParty, account, region, &t, 1, None);
    assert_eq!(got[0].client_id, "client-1");
    let details = |token| q.details(JobKind::ThirdParty, account, region, &id, token);
    assert_eq!(
        details(Some("other")).unwrap_err(),
        JobError::InvalidClientToken(id.clone())
    );
    assert_eq!(
        details(None).unwrap_err(),
        JobError::InvalidClientToken(id.clone())
    );
    let view = details(Some("client-1")).unwrap();
    assert_eq!(view.nonce.as_deref(), Some(got[0].nonce.as_str()));
    // A partner job is not a custom job.
    assert_eq!(
        q.details(JobKind::Custom, account, region, &id, None)
            .unwrap_err(),
        JobError::NotFound(id.clone())
    );
}

#[test]
fn output_variables_are_limited_in_size() {
    let q = JobQueue::new(TIMEOUT);
    let (id, _) = start(&q, JobKind::Custom, "a1", "alpha");
    let big = "x".repeat(MAX_OUTPUT_VARIABLES_BYTES);
    let r = JobSuccess {
        output_variables: BTreeMap::from([("k".to_string(), big)]),
        ..Default::default()
    };
    assert_eq!(
        succeed(&q, &id, r),
        Err(JobError::OutputVariablesTooLarge(id.clone()))
    );
}
