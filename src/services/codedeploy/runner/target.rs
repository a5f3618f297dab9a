//! One target's lifecycle, as the CodeDeploy agent runs it inside the instance (here: a shell
//! session in the target's container): ApplicationStop (the previous revision's scripts),
//! DownloadBundle (the revision copied to
//! `/opt/codedeploy-agent/deployment-root/<group id>/<deployment id>/deployment-archive`),
//! BeforeInstall, Install (the AppSpec's `files` and `permissions`), AfterInstall,
//! ApplicationStart, ValidateService. Each event's status, times and diagnostics go into the
//! deployment's record as they happen; the first failure skips the rest.

use std::sync::Arc;

use super::events::{self, Scope};
use super::hooks::{self, Diagnostics, Script};
use super::{targets, DeployRunner};
use crate::protocol::Timestamp;
use crate::runtime::{ContainerRuntime, OutputLine, ShellSession};
use crate::services::codedeploy::appspec::{self, AppSpec, LifecycleEvent};
use crate::services::codedeploy::install::{self, Install};
use crate::services::codedeploy::model::{
    DeploymentStatus, Diagnostics as WireDiagnostics, LifecycleErrorCode, LifecycleEventStatus,
    S3Location, TargetStatus,
};
use crate::services::codedeploy::state::{DeploymentRecord, GroupRecord};

/// A deployment target: an instance id, its ARN, and the container that plays it.
#[derive(Debug, Clone)]
pub struct TargetRef {
    pub id: String,
    pub arn: String,
    pub container: String,
}

/// The revision as every target gets it.
pub enum Revision {
    Ready {
        files: Vec<String>,
        spec: Box<AppSpec>,
        tar: Vec<u8>,
        s3: S3Location,
    },
    /// It could not be fetched, unpacked or read: why.
    Broken(String),
}

/// The targets of a group: labelled running containers ("EC2 instances") and registered
/// on-premises instances that have a container, matched by the group's tag filters.
pub async fn discover(
    runner: &DeployRunner,
    rt: &dyn ContainerRuntime,
    account: &str,
    region: &str,
    group: &GroupRecord,
) -> Result<Vec<TargetRef>, String> {
    let g = &group.info;
    let mut out = Vec::new();
    let ec2_set: Vec<_> = g
        .ec2_tag_set
        .as_ref()
        .map(|s| s.ec2_tag_set_list.clone())
        .unwrap_or_default();
    if !g.ec2_tag_filters.is_empty() || !ec2_set.is_empty() {
        let mut running = rt.running().await.map_err(|e| e.to_string())?;
        running.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, labels) in running {
            let tags = targets::ec2_tags(&labels);
            if !tags.is_empty() && targets::selected(&g.ec2_tag_filters, &ec2_set, &tags) {
                let iid = targets::instance_id(&id);
                out.push(TargetRef {
                    arn: format!("arn:aws:ec2:{region}:{account}:instance/{iid}"),
                    id: iid,
                    container: id,
                });
            }
        }
    }
    let onprem_set: Vec<_> = g
        .on_premises_tag_set
        .as_ref()
        .map(|s| s.on_premises_tag_set_list.clone())
        .unwrap_or_default();
    if !g.on_premises_instance_tag_filters.is_empty() || !onprem_set.is_empty() {
        for i in runner.state.instances(account, region) {
            let Some(container) = i.container.clone().filter(|_| i.is_registered()) else {
                continue;
            };
            if targets::selected(
                &g.on_premises_instance_tag_filters,
                &onprem_set,
                &i.info.tags,
            ) {
                out.push(TargetRef {
                    id: i.info.instance_name.clone(),
                    arn: i.info.instance_arn.clone(),
                    container,
                });
            }
        }
    }
    Ok(out)
}

pub fn archive_dir(group_id: &str, deployment_id: &str) -> String {
    format!("/opt/codedeploy-agent/deployment-root/{group_id}/{deployment_id}/deployment-archive")
}

/// The last deployment of this group that succeeded on this target.
fn previous(runner: &DeployRunner, d: &DeploymentRecord, target: &str) -> Option<String> {
    runner
        .state
        .deployments(&d.account, &d.region)
        .into_iter()
        .filter(|p| {
            p.group_id == d.group_id
                && p.info.deployment_id != d.info.deployment_id
                && p.targets
                    .iter()
                    .any(|t| t.target_id == target && t.status == TargetStatus::Succeeded)
        })
        .max_by_key(|p| p.info.create_time)
        .map(|p| p.info.deployment_id)
}

/// A small file out of the container (None when it is not there).
async fn read_file(rt: &dyn ContainerRuntime, container: &str, path: &str) -> Option<String> {
    let tar = rt.get_archive(container, path).await.ok()??;
    let mut archive = tar::Archive::new(&tar[..]);
    let mut entry = archive.entries().ok()?.next()?.ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).ok()?;
    Some(text)
}

struct Run<'a> {
    runner: &'a DeployRunner,
    d: &'a DeploymentRecord,
    index: usize,
}

impl Run<'_> {
    fn update(&self, f: impl FnOnce(&mut crate::services::codedeploy::model::InstanceTarget)) {
        let i = self.index;
        let _ = self.runner.state.modify_deployment(
            &self.d.account,
            &self.d.region,
            &self.d.info.deployment_id,
            |d| {
                if let Some(t) = d.targets.get_mut(i) {
                    f(t);
                    t.last_updated_at = Timestamp::now();
                }
            },
        );
    }

    fn begin(&self, event: LifecycleEvent) {
        self.update(|t| {
            if let Some(e) = t
                .lifecycle_events
                .iter_mut()
                .find(|e| e.lifecycle_event_name == event.as_str())
            {
                e.status = LifecycleEventStatus::InProgress;
                e.start_time = Some(Timestamp::now());
            }
        });
    }

    /// Records how an event ended; after a failure every later event is Skipped.
    fn end(&self, event: LifecycleEvent, diag: &Diagnostics) {
        let ok = diag.ok();
        self.update(|t| {
            let mut after = false;
            for e in t.lifecycle_events.iter_mut() {
                if e.lifecycle_event_name == event.as_str() {
                    e.status = if ok {
                        LifecycleEventStatus::Succeeded
                    } else {
                        LifecycleEventStatus::Failed
                    };
                    e.end_time = Some(Timestamp::now());
                    e.diagnostics = Some(WireDiagnostics {
                        error_code: LifecycleErrorCode::parse(&diag.error_code),
                        script_name: diag.script_name.clone(),
                        message: diag.message.clone(),
                        log_tail: diag.log_tail.clone(),
                    });
                    after = true;
                } else if after && !ok {
                    e.status = LifecycleEventStatus::Skipped;
                }
            }
            if !ok {
                t.status = TargetStatus::Failed;
            }
        });
    }
}

/// Runs the whole lifecycle on one target; true when it succeeded.
pub async fn run(
    runner: &Arc<DeployRunner>,
    rt: &dyn ContainerRuntime,
    d: &DeploymentRecord,
    index: usize,
    t: &TargetRef,
    revision: &Revision,
) -> bool {
    let run = Run { runner, d, index };
    let scope = Scope {
        account: &d.account,
        region: &d.region,
        application: &d.info.application_name,
        group: &d.info.deployment_group_name,
        group_id: &d.group_id,
        deployment_id: &d.info.deployment_id,
    };
    run.update(|t| t.status = TargetStatus::InProgress);
    runner
        .bus
        .publish(events::instance(&scope, &t.arn, &t.id, "START"));
    let ok = lifecycle(&run, rt, t, revision).await;
    if ok {
        run.update(|t| t.status = TargetStatus::Succeeded);
    }
    runner.bus.publish(events::instance(
        &scope,
        &t.arn,
        &t.id,
        if ok { "SUCCESS" } else { "FAILURE" },
    ));
    ok
}

async fn lifecycle(
    run: &Run<'_>,
    rt: &dyn ContainerRuntime,
    t: &TargetRef,
    revision: &Revision,
) -> bool {
    let d = run.d;
    let dir = archive_dir(&d.group_id, &d.info.deployment_id);
    let mut shell = match rt.open_shell(&t.container, "/bin/sh").await {
        Ok(s) => s,
        Err(e) => {
            let first = LifecycleEvent::ApplicationStop;
            run.begin(first);
            run.end(
                first,
                &Diagnostics::unknown(format!("The target's container cannot be reached: {e}")),
            );
            return false;
        }
    };
    let prev = previous(run.runner, d, &t.id);
    let prev_dir = prev.as_ref().map(|p| archive_dir(&d.group_id, p));
    let mut prev_spec = None;
    let mut prev_record = Vec::new();
    if let Some(pd) = &prev_dir {
        for name in ["appspec.yml", "appspec.yaml"] {
            if let Some(text) = read_file(rt, &t.container, &format!("{pd}/{name}")).await {
                prev_spec = appspec::parse(&text).ok();
                break;
            }
        }
        if let Some(text) = read_file(rt, &t.container, &install::record_path(pd)).await {
            prev_record = install::parse_record(&text);
        }
    }
    let env_for = |event: LifecycleEvent| -> Vec<(String, String)> {
        let mut env = vec![
            ("LIFECYCLE_EVENT".to_string(), event.as_str().to_string()),
            ("DEPLOYMENT_ID".to_string(), d.info.deployment_id.clone()),
            (
                "APPLICATION_NAME".to_string(),
                d.info.application_name.clone(),
            ),
            (
                "DEPLOYMENT_GROUP_NAME".to_string(),
                d.info.deployment_group_name.clone(),
            ),
            ("DEPLOYMENT_GROUP_ID".to_string(), d.group_id.clone()),
        ];
        if let Revision::Ready { s3, .. } = revision {
            env.push((
                "BUNDLE_BUCKET".into(),
                s3.bucket.clone().unwrap_or_default(),
            ));
            env.push(("BUNDLE_KEY".into(), s3.key.clone().unwrap_or_default()));
            env.push((
                "BUNDLE_VERSION".into(),
                s3.version.clone().unwrap_or_default(),
            ));
            env.push(("BUNDLE_ETAG".into(), s3.e_tag.clone().unwrap_or_default()));
        }
        // Not set by AWS's agent (hooks there reach AWS itself): here it points the AWS CLI
        // and SDKs in a hook at simfra, as in builds.
        if let Some(url) = run.runner.config.endpoint.as_ref().and_then(|e| e.get()) {
            env.push(("AWS_ENDPOINT_URL".into(), url));
        }
        env
    };
    for &event in appspec::server_in_place_order() {
        if d.info.status == DeploymentStatus::Stopped {
            return false;
        }
        run.begin(event);
        let diag = match event {
            LifecycleEvent::ApplicationStop => {
                let diag = match (&prev_spec, &prev_dir) {
                    (Some(spec), Some(pd)) => {
                        let scripts = scripts(spec, event);
                        hooks::run(shell.as_mut(), pd, &scripts, &env_for(event)).await
                    }
                    _ => Diagnostics::success("No earlier revision on this instance"),
                };
                if !diag.ok() && d.info.ignore_application_stop_failures {
                    Diagnostics::success(&format!(
                        "The failure was ignored (ignoreApplicationStopFailures): {}",
                        diag.message
                    ))
                } else {
                    diag
                }
            }
            LifecycleEvent::DownloadBundle => match revision {
                Revision::Broken(why) => Diagnostics::unknown(why.clone()),
                Revision::Ready { tar, .. } => {
                    match rt.put_archive(&t.container, "/", tar.clone()).await {
                        Ok(()) => Diagnostics::success("Succeeded"),
                        Err(e) => Diagnostics::unknown(format!(
                            "The revision could not be copied to the instance: {e}"
                        )),
                    }
                }
            },
            LifecycleEvent::Install => match revision {
                Revision::Broken(why) => Diagnostics::unknown(why.clone()),
                Revision::Ready { files, spec, .. } => {
                    install_step(shell.as_mut(), d, spec, &dir, files, &prev_record).await
                }
            },
            other => match revision {
                Revision::Broken(why) => Diagnostics::unknown(why.clone()),
                Revision::Ready { spec, .. } => {
                    let scripts = scripts(spec, other);
                    hooks::run(shell.as_mut(), &dir, &scripts, &env_for(other)).await
                }
            },
        };
        run.end(event, &diag);
        if !diag.ok() {
            return false;
        }
    }
    true
}

fn scripts(spec: &AppSpec, event: LifecycleEvent) -> Vec<Script> {
    spec.hooks_for(event)
        .iter()
        .map(|h| Script {
            location: h.location.clone(),
            timeout_seconds: h.timeout_seconds,
            runas: h.runas.clone(),
        })
        .collect()
}

async fn install_step(
    shell: &mut dyn ShellSession,
    d: &DeploymentRecord,
    spec: &AppSpec,
    dir: &str,
    files: &[String],
    previously_installed: &[String],
) -> Diagnostics {
    let req = Install {
        appspec: spec,
        archive_dir: dir,
        file_exists_behavior: d.info.file_exists_behavior.clone(),
        bundle_files: files,
        previously_installed,
        root_prefix: "",
    };
    let lines = match install::install_script(&req) {
        Ok(l) => l,
        Err(e) => return Diagnostics::unknown(e.message),
    };
    let script = format!("( set -e\n{}\n) 2>&1", lines.join("\n"));
    let mut output = Vec::new();
    let mut out = |l: OutputLine| {
        output.push(l.text);
        if output.len() > 50 {
            output.remove(0);
        }
    };
    match shell.run(&script, &mut out).await {
        Ok(0) => Diagnostics::success("Succeeded"),
        Ok(code) => Diagnostics {
            error_code: "UnknownError".into(),
            script_name: String::new(),
            message: output
                .last()
                .cloned()
                .unwrap_or_else(|| format!("Installing the files failed with exit status {code}")),
            log_tail: output.join("\n"),
        },
        Err(e) => Diagnostics::unknown(format!("Installing the files failed: {e}")),
    }
}
