//! The `aws.codebuild` events a build publishes on the bus: `CodeBuild Build State Change` at
//! its start and its end, `CodeBuild Build Phase Change` for every finished phase (reference
//! 11.3). Numbers in `additional-information` are floats, as AWS sends them.

use serde_json::{json, Value};

use crate::bus::Event;
use crate::services::codebuild::model::{Build, BuildPhase};

fn start_time_text(b: &Build) -> String {
    chrono::DateTime::from_timestamp_millis(b.start_time.0)
        .unwrap_or_default()
        .format("%b %-d, %Y %-I:%M:%S %p")
        .to_string()
}

fn phase_json(p: &BuildPhase) -> Value {
    let mut v = json!({ "phase-type": p.phase_type, "start-time": start(p) });
    if let Some(s) = &p.phase_status {
        v["phase-status"] = s.clone().into();
    }
    if let Some(e) = p.end_time {
        v["end-time"] = chrono::DateTime::from_timestamp_millis(e.0)
            .unwrap_or_default()
            .format("%b %-d, %Y %-I:%M:%S %p")
            .to_string()
            .into();
    }
    if let Some(d) = p.duration_in_seconds {
        v["duration-in-seconds"] = (d as f64).into();
    }
    if let Some(c) = &p.contexts {
        v["phase-context"] = c
            .iter()
            .map(|c| format!("{}: {}", c.status_code, c.message))
            .collect::<Vec<_>>()
            .into();
    }
    v
}

fn start(p: &BuildPhase) -> String {
    chrono::DateTime::from_timestamp_millis(p.start_time.0)
        .unwrap_or_default()
        .format("%b %-d, %Y %-I:%M:%S %p")
        .to_string()
}

fn additional(b: &Build) -> Value {
    let mut v = json!({
        "build-complete": b.build_complete,
        "build-number": b.build_number as f64,
        "initiator": b.initiator,
        "build-start-time": start_time_text(b),
        "timeout-in-minutes": b.timeout_in_minutes as f64,
        "queued-timeout-in-minutes": b.queued_timeout_in_minutes as f64,
        "source": { "type": b.source.r#type },
        "environment": {
            "image": b.environment.image,
            "privileged-mode": b.environment.privileged_mode.unwrap_or(false),
            "compute-type": b.environment.compute_type,
            "type": b.environment.r#type,
            "environment-variables": b.environment.environment_variables.iter()
                .map(|e| json!({"name": e.name, "type": e.r#type.as_deref().unwrap_or("PLAINTEXT"), "value": e.value}))
                .collect::<Vec<_>>(),
        },
        "logs": {
            "group-name": b.logs.group_name,
            "stream-name": b.logs.stream_name,
            "deep-link": b.logs.deep_link,
        },
        "phases": b.phases.iter().map(phase_json).collect::<Vec<_>>(),
    });
    if let Some(l) = &b.source.location {
        v["source"]["location"] = l.clone().into();
    }
    if let Some(s) = &b.source_version {
        v["source-version"] = s.clone().into();
    }
    if let Some(l) = &b.artifacts.location {
        v["artifact"] = json!({ "location": l });
        if let Some(m) = &b.artifacts.md5sum {
            v["artifact"]["md5sum"] = m.clone().into();
        }
        if let Some(s) = &b.artifacts.sha256sum {
            v["artifact"]["sha256sum"] = s.clone().into();
        }
    }
    v
}

/// `CodeBuild Build State Change` with the build's current status.
pub fn state_change(account: &str, region: &str, b: &Build) -> Event {
    let mut detail = json!({
        "build-status": b.build_status,
        "project-name": b.project_name,
        "build-id": b.arn,
        "additional-information": additional(b),
        "current-phase": b.current_phase,
        "current-phase-context": "[]",
        "version": "1",
    });
    if let Some(ctx) = b.phases.iter().rev().find_map(|p| p.contexts.as_ref()) {
        detail["current-phase-context"] = format!(
            "[{}]",
            ctx.iter()
                .map(|c| format!("{}: {}", c.status_code, c.message))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into();
    }
    Event::new(
        "aws.codebuild",
        "CodeBuild Build State Change",
        account,
        region,
        vec![b.arn.clone()],
        detail,
    )
}

/// `CodeBuild Build Phase Change` for a finished phase.
pub fn phase_change(account: &str, region: &str, b: &Build, p: &BuildPhase) -> Event {
    let context = p
        .contexts
        .as_ref()
        .map(|c| {
            format!(
                "[{}]",
                c.iter()
                    .map(|c| format!("{}: {}", c.status_code, c.message))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_else(|| "[]".into());
    let detail = json!({
        "completed-phase": p.phase_type,
        "completed-phase-status": p.phase_status,
        "completed-phase-context": context,
        "completed-phase-start": start(p),
        "completed-phase-end": p.end_time.map(|e| chrono::DateTime::from_timestamp_millis(e.0)
            .unwrap_or_default().format("%b %-d, %Y %-I:%M:%S %p").to_string()),
        "completed-phase-duration-seconds": p.duration_in_seconds.unwrap_or(0) as f64,
        "project-name": b.project_name,
        "build-id": b.arn,
        "additional-information": additional(b),
        "version": "1",
    });
    Event::new(
        "aws.codebuild",
        "CodeBuild Build Phase Change",
        account,
        region,
        vec![b.arn.clone()],
        detail,
    )
}
