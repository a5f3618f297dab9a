//! Protocol-level behaviour shared by every JSON service.

mod common;

#[test]
fn health_answers() {
    let server = common::start();
    let r = common::raw(&server, "GET", "/_simfra/health", &[], b"");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["services"]["codepipeline"], "running");
}

#[test]
fn unknown_target_is_unknown_operation() {
    let server = common::start();
    let r = common::raw_json(&server, "CodeBuild_20161006.NoSuchThing", b"{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    assert!(r.header("x-amzn-RequestId").is_some());
    let r = common::raw_json(&server, "Nonsense", b"{}");
    assert_eq!(r.json()["__type"], "UnknownOperationException");
}
