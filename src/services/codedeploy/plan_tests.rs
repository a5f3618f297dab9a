use super::super::model::MinimumHealthyHostsType;
use super::*;
use ErrorCode::{HealthConstraints, HealthConstraintsInvalid, NoInstances};

fn rule(r#type: MinimumHealthyHostsType, value: i64) -> MinimumHealthyHosts {
    MinimumHealthyHosts {
        r#type: Some(r#type),
        value: Some(value),
    }
}

fn host_count(value: i64) -> MinimumHealthyHosts {
    rule(MinimumHealthyHostsType::HostCount, value)
}

fn fleet_percent(value: i64) -> MinimumHealthyHosts {
    rule(MinimumHealthyHostsType::FleetPercent, value)
}

/// `CodeDeployDefault.one_at_a_time()`, as AWS reports it.
fn one_at_a_time() -> MinimumHealthyHosts {
    rule(MinimumHealthyHostsType::MostConcurrency, 1)
}

fn fleet(n: usize, rule: MinimumHealthyHosts) -> Fleet {
    Fleet::new(n, &rule).expect("a valid fleet")
}

/// Runs a deployment to the end: `fails` are the targets whose deployment fails. Returns the
/// batches as they were started (targets that report in the same round start the next batch
/// together) and the verdict.
fn run(n: usize, rule: MinimumHealthyHosts, fails: &[usize]) -> (Vec<Vec<usize>>, Verdict, Fleet) {
    let mut f = fleet(n, rule);
    let mut batches = Vec::new();
    loop {
        let batch = f.next_batch();
        if batch.is_empty() {
            break;
        }
        for &t in &batch {
            f.report(t, !fails.contains(&t));
        }
        batches.push(batch);
    }
    let verdict = f.verdict();
    (batches, verdict, f)
}

fn failed(v: &Verdict) -> ErrorCode {
    match v {
        Verdict::Failed(e) => e.code.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn minimums() {
    let minimum = |n, rule: MinimumHealthyHosts| Fleet::new(n, &rule).map(|f| f.minimum());
    // FLEET_PERCENT rounds up: 40% of nine is four, 50% of nine five.
    assert_eq!(minimum(9, fleet_percent(40)), Ok(4));
    assert_eq!(minimum(9, fleet_percent(50)), Ok(5));
    assert_eq!(minimum(10, fleet_percent(50)), Ok(5));
    assert_eq!(minimum(10, fleet_percent(1)), Ok(1));
    assert_eq!(minimum(10, fleet_percent(0)), Ok(0));
    assert_eq!(minimum(9, host_count(6)), Ok(6));
    // OneAtATime: all but one.
    assert_eq!(minimum(9, one_at_a_time()), Ok(8));
    assert_eq!(minimum(1, one_at_a_time()), Ok(0));
}

#[test]
fn the_guides_batch_sizes() {
    // "nine instances, HOST_COUNT of six: deploy to up to three instances at a time".
    assert_eq!(fleet(9, host_count(6)).batch_size(), 3);
    // "FLEET_PERCENT of 40: deploy to up to five instances at a time".
    assert_eq!(fleet(9, fleet_percent(40)).batch_size(), 5);
    // HalfAtATime of nine: four at a time.
    assert_eq!(fleet(9, fleet_percent(50)).batch_size(), 4);
    assert_eq!(fleet(10, host_count(9)).batch_size(), 1);
    assert_eq!(fleet(10, host_count(0)).batch_size(), 10);
    assert_eq!(fleet(10, one_at_a_time()).batch_size(), 1);
}

#[test]
fn one_at_a_time_all_succeed() {
    let (batches, verdict, f) = run(3, one_at_a_time(), &[]);
    assert_eq!(batches, [vec![0], vec![1], vec![2]]);
    assert_eq!(verdict, Verdict::Succeeded);
    assert!(f.skipped().is_empty());
}

#[test]
fn one_at_a_time_fails_on_the_first_target() {
    let (batches, verdict, f) = run(3, one_at_a_time(), &[0]);
    assert_eq!(batches, [vec![0]]);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert_eq!(f.skipped(), [1, 2]);
    assert_eq!(
        f.statuses(),
        [
            TargetStatus::Failed,
            TargetStatus::Skipped,
            TargetStatus::Skipped
        ]
    );
}

#[test]
fn one_at_a_time_fails_on_a_middle_target() {
    let (batches, verdict, f) = run(4, one_at_a_time(), &[2]);
    assert_eq!(batches, [vec![0], vec![1], vec![2]]);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert_eq!(f.skipped(), [3]);
}

#[test]
fn one_at_a_time_succeeds_when_only_the_last_target_fails() {
    let (batches, verdict, f) = run(3, one_at_a_time(), &[2]);
    assert_eq!(batches.len(), 3);
    assert_eq!(verdict, Verdict::Succeeded);
    assert_eq!(f.status(2), Some(TargetStatus::Failed));
}

#[test]
fn one_target_must_succeed() {
    assert_eq!(run(1, one_at_a_time(), &[]).1, Verdict::Succeeded);
    assert_eq!(failed(&run(1, one_at_a_time(), &[0]).1), HealthConstraints);
    assert_eq!(run(1, host_count(0), &[]).1, Verdict::Succeeded);
    assert_eq!(failed(&run(1, host_count(0), &[0]).1), HealthConstraints);
    // HalfAtATime rounds 50% of one target up to one: nothing may go offline.
    let e = Fleet::new(1, &fleet_percent(50)).unwrap_err();
    assert_eq!(e.code, HealthConstraintsInvalid);
}

#[test]
fn half_at_a_time() {
    // Nine targets: four at a time, five must succeed.
    let (batches, verdict, _) = run(9, fleet_percent(50), &[]);
    assert_eq!(batches, [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8]]);
    assert_eq!(verdict, Verdict::Succeeded);

    // Four failures in the first batch use up every spare target: fail, five skipped.
    let (batches, verdict, f) = run(9, fleet_percent(50), &[0, 1, 2, 3]);
    assert_eq!(batches, [vec![0, 1, 2, 3]]);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert_eq!(f.skipped(), [4, 5, 6, 7, 8]);

    // One failure shrinks the next batch to three.
    let (batches, verdict, _) = run(9, fleet_percent(50), &[1]);
    assert_eq!(batches, [vec![0, 1, 2, 3], vec![4, 5, 6], vec![7, 8]]);
    assert_eq!(verdict, Verdict::Succeeded);

    // Four failures, the last of them on the last target: five succeeded, enough.
    let (_, verdict, _) = run(9, fleet_percent(50), &[0, 4, 6, 8]);
    assert_eq!(verdict, Verdict::Succeeded);
}

#[test]
fn all_at_once() {
    let (batches, verdict, _) = run(5, host_count(0), &[]);
    assert_eq!(batches, [vec![0, 1, 2, 3, 4]]);
    assert_eq!(verdict, Verdict::Succeeded);
    // One success is enough.
    assert_eq!(run(5, host_count(0), &[0, 1, 2, 3]).1, Verdict::Succeeded);
    // Every target failed.
    let (_, verdict, f) = run(5, host_count(0), &[0, 1, 2, 3, 4]);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert!(f.skipped().is_empty());
}

#[test]
fn the_guides_host_count_examples() {
    // Minimum 9 of 10: one at a time; any failure but the last fails the deployment.
    let (batches, verdict, f) = run(10, host_count(9), &[4]);
    assert_eq!(batches.len(), 5);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert_eq!(f.skipped(), [5, 6, 7, 8, 9]);
    assert_eq!(run(10, host_count(9), &[9]).1, Verdict::Succeeded);

    // Minimum 8 of 10: two at a time; a second failure fails it, unless on the last target.
    let (batches, verdict, _) = run(10, host_count(8), &[0, 1]);
    assert_eq!(batches, [vec![0, 1]]);
    assert_eq!(failed(&verdict), HealthConstraints);
    let (batches, verdict, _) = run(10, host_count(8), &[0]);
    assert_eq!(batches[0], [0, 1]);
    assert!(batches[1..].iter().all(|b| b.len() == 1), "{batches:?}");
    assert_eq!(verdict, Verdict::Succeeded);
    assert_eq!(run(10, host_count(8), &[3, 9]).1, Verdict::Succeeded);
    assert_eq!(
        failed(&run(10, host_count(8), &[3, 8]).1),
        HealthConstraints
    );
}

#[test]
fn custom_fleet_percent() {
    // 40% of 9 = 4 healthy: five at a time, five failures allowed only at the very end.
    let (batches, verdict, _) = run(9, fleet_percent(40), &[]);
    assert_eq!(batches, [vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8]]);
    assert_eq!(verdict, Verdict::Succeeded);
    let (_, verdict, f) = run(9, fleet_percent(40), &[0, 1, 2, 3, 4]);
    assert_eq!(failed(&verdict), HealthConstraints);
    assert_eq!(f.skipped(), [5, 6, 7, 8]);
}

#[test]
fn impossible_minimums_fail_before_starting() {
    // "95% of 10 rounds up to 10 ... the overall deployment immediately fails".
    let e = Fleet::new(10, &fleet_percent(95)).unwrap_err();
    assert_eq!(e.code, HealthConstraintsInvalid);
    assert_eq!(e.error_information().code, Some(HealthConstraintsInvalid));
    assert_eq!(e.error_information().message, Some(e.message.clone()));
    assert!(
        e.message.contains("healthy instances (10)"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("in the deployment (10)"),
        "{}",
        e.message
    );
    assert_eq!(
        Fleet::new(3, &host_count(3)).unwrap_err().code,
        HealthConstraintsInvalid
    );
    assert_eq!(
        Fleet::new(3, &host_count(7)).unwrap_err().code,
        HealthConstraintsInvalid
    );
    assert_eq!(
        Fleet::new(0, &one_at_a_time()).unwrap_err().code,
        NoInstances
    );
}

#[test]
fn batches_wait_for_reports() {
    let mut f = fleet(4, fleet_percent(50));
    assert_eq!(f.next_batch(), [0, 1]);
    assert!(f.next_batch().is_empty(), "the batch is full");
    f.report(0, true);
    assert_eq!(f.next_batch(), [2], "a slot freed");
    assert_eq!(f.verdict(), Verdict::Running);
    f.report(1, true);
    f.report(2, true);
    assert_eq!(f.next_batch(), [3]);
    f.report(3, true);
    assert!(f.next_batch().is_empty());
    assert_eq!(f.verdict(), Verdict::Succeeded);
}

#[test]
fn targets_in_progress_may_report_after_a_failure() {
    let mut f = fleet(6, host_count(4));
    assert_eq!(f.next_batch(), [0, 1]);
    f.report(0, false);
    assert_eq!(f.verdict(), Verdict::Running, "one spare left");
    f.report(1, false);
    assert_eq!(failed(&f.verdict()), HealthConstraints);
    assert!(f.next_batch().is_empty());

    let mut f = fleet(6, host_count(4));
    assert_eq!(f.next_batch(), [0, 1]);
    f.report(0, false);
    f.report(1, true);
    assert_eq!(f.next_batch(), [2]);
    f.report(2, false);
    assert_eq!(failed(&f.verdict()), HealthConstraints);
    assert_eq!(f.skipped(), [3, 4, 5]);
}

#[test]
fn stray_reports_are_ignored() {
    let mut f = fleet(2, one_at_a_time());
    f.report(1, false); // never started
    f.report(7, false); // no such target
    assert_eq!(f.status(1), Some(TargetStatus::Pending));
    assert_eq!(f.next_batch(), [0]);
    f.report(0, true);
    f.report(0, false); // already reported
    assert_eq!(f.status(0), Some(TargetStatus::Succeeded));
    assert_eq!(f.status(9), None);
}

#[test]
fn stop_skips_what_has_not_started() {
    let mut f = fleet(3, one_at_a_time());
    assert_eq!(f.next_batch(), [0]);
    f.stop();
    assert_eq!(f.verdict(), Verdict::Stopped);
    assert!(f.next_batch().is_empty());
    f.report(0, true);
    assert_eq!(f.verdict(), Verdict::Stopped);
    assert_eq!(f.skipped(), [1, 2]);
    assert_eq!(
        f.statuses(),
        [
            TargetStatus::Succeeded,
            TargetStatus::Skipped,
            TargetStatus::Skipped
        ]
    );
    // A finished deployment cannot be stopped.
    let (_, _, mut done) = run(1, one_at_a_time(), &[]);
    done.stop();
    assert_eq!(done.verdict(), Verdict::Succeeded);
}
