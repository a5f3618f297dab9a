//! Running the buildspec's commands in the build's shell session: each phase's `commands` and
//! `finally`, a session that ended replaced by a new one, the exported variables read at the
//! end of POST_BUILD, and the cache paths saved to and restored from the project's volume.

use super::*;

impl Exec<'_> {
    /// Runs a command whose output goes to the log, without the "Running command" line.
    pub(super) async fn run_quiet(&mut self, command: &str) -> Result<i64, String> {
        let Some(shell) = self.shell.as_mut() else {
            return Err("the build's shell session is gone".into());
        };
        let log = &mut self.log;
        let mut out = |l: OutputLine| log.line(l.text);
        let r = shell.run(command, &mut out).await;
        self.log.flush();
        r.map_err(|e| e.to_string())
    }

    pub(super) async fn commands(&mut self, phase: Phase) -> Work {
        let Some(name) = phase.buildspec_name() else {
            return Work::Done;
        };
        let Some(p) = self.spec.as_ref().and_then(|s| s.phase(name)).cloned() else {
            if phase == Phase::PostBuild {
                self.read_exported().await;
            }
            return Work::Done;
        };
        if phase == Phase::PostBuild && self.outcomes.iter().any(|o| o.status() != "SUCCEEDED") {
            // Also for a session opened later (the previous one may have ended).
            self.environment_script
                .push_str("\nexport CODEBUILD_BUILD_SUCCEEDING=0");
            if self.shell.is_some() {
                let _ = self.run_quiet("export CODEBUILD_BUILD_SUCCEEDING=0").await;
            }
        }
        let mut failure: Option<(String, String)> = None;
        for cmd in &p.commands {
            self.log.agent(format!("Running command {cmd}"));
            match self.run_command(cmd).await {
                Ok(0) => {}
                Ok(code) => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: exit status {code}"),
                    ));
                    break;
                }
                Err(e) => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: {e}"),
                    ));
                    break;
                }
            }
        }
        for cmd in &p.finally {
            self.log.agent(format!("Running command {cmd}"));
            match self.run_command(cmd).await {
                Ok(0) => {}
                Ok(code) if failure.is_none() => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: exit status {code}"),
                    ));
                }
                Err(e) if failure.is_none() => {
                    failure = Some((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: {e}"),
                    ));
                }
                _ => {}
            }
        }
        if phase == Phase::PostBuild {
            self.read_exported().await;
        }
        match failure {
            None => Work::Done,
            Some((code, msg)) => Work::Failed(code, msg),
        }
    }

    /// Runs one buildspec command; a session that died is reopened (its state is lost, as it
    /// would be on AWS when the shell exits).
    pub(super) async fn run_command(&mut self, cmd: &str) -> Result<i64, String> {
        if self.shell.is_none() {
            self.reopen_shell().await?;
        }
        let result = self.run_quiet(cmd).await;
        match result {
            Err(_) => self.shell = None,
            // A command that fails may have ended the shell itself (`exit 3`): a no-op tells.
            Ok(code) if code != 0 => {
                if self.run_quiet(":").await.is_err() {
                    self.shell = None;
                    self.log.agent(
                        "The shell session ended; the next commands run in a new one (variables \
                         exported by earlier commands are gone)",
                    );
                }
            }
            Ok(_) => {}
        }
        result
    }

    pub(super) async fn reopen_shell(&mut self) -> Result<(), String> {
        let (Some(runtime), Some(container)) = (
            self.runner.runtime.clone(),
            self.container.as_ref().map(|c| c.id().to_string()),
        ) else {
            return Err("the build container is gone".into());
        };
        let shell = self
            .spec
            .as_ref()
            .and_then(|s| s.env.shell.clone())
            .unwrap_or_else(|| "/bin/sh".into());
        let session = runtime
            .open_shell(&container, &shell)
            .await
            .map_err(|e| e.to_string())?;
        self.shell = Some(session);
        let setup = self.environment_script.clone();
        if !setup.is_empty() {
            let _ = self.run_quiet(&setup).await;
        }
        Ok(())
    }

    /// The buildspec's `exported-variables`, as of the end of POST_BUILD.
    pub(super) async fn read_exported(&mut self) {
        let names = self
            .spec
            .as_ref()
            .map(|s| s.env.exported_variables.clone())
            .unwrap_or_default();
        if names.is_empty() {
            return;
        }
        if self.shell.is_none() && self.reopen_shell().await.is_err() {
            return;
        }
        let mut values = Vec::new();
        for name in names {
            let Some(shell) = self.shell.as_mut() else {
                break;
            };
            match shell.read_var(&name).await {
                Ok(v) => values.push((name, v.unwrap_or_default())),
                Err(e) => {
                    tracing::debug!("reading exported variable {name} failed: {e}");
                    values.push((name, String::new()));
                }
            }
        }
        self.modify(|b| {
            b.exported_environment_variables = values
                .into_iter()
                .map(|(name, value)| {
                    crate::services::codebuild::model::ExportedEnvironmentVariable { name, value }
                })
                .collect()
        });
    }

    /// Saves the buildspec's cache paths into the project's cache volume (before the
    /// artifacts are uploaded, as CodeBuild does).
    pub(super) async fn save_cache(&mut self) {
        let paths = self
            .spec
            .as_ref()
            .map(|s| s.cache_paths.clone())
            .unwrap_or_default();
        let script = cache_script(&self.job, &paths, CacheStep::Save).join("\n");
        if script.is_empty() || self.container.is_none() {
            return;
        }
        if self.shell.is_none() && self.reopen_shell().await.is_err() {
            return;
        }
        self.log.agent("Saving the cache");
        if let Err(e) = self.run_quiet(&script).await {
            self.log.agent(format!("Saving the cache failed: {e}"));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum CacheStep {
    Restore,
    Save,
}

/// Shell lines that restore or save cache paths. Each path's directory (the part before the
/// first glob character; relative paths are relative to the source directory) is kept in the
/// cache volume under its hex-encoded name.
pub(super) fn cache_script(job: &BuildJob, paths: &[String], step: CacheStep) -> Vec<String> {
    if job.cache_paths_volume.is_none() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for p in paths {
        let cut = p.find(['*', '?', '[']).unwrap_or(p.len());
        let dir = p[..cut].trim_end_matches('/');
        if dir.is_empty() || dir.split('/').any(|c| c == "..") {
            continue;
        }
        let key: String = dir.bytes().map(|b| format!("{b:02x}")).collect();
        let slot = format!("{CACHE_MOUNT}/{key}");
        let dir = if dir.starts_with('/') {
            quote(dir)
        } else {
            format!("\"$CODEBUILD_SRC_DIR\"/{}", quote(dir))
        };
        lines.push(match step {
            CacheStep::Restore => format!(
                "if [ -d {slot} ]; then mkdir -p {dir} && cp -a {slot}/. {dir}/; fi"
            ),
            CacheStep::Save => format!(
                "if [ -d {dir} ]; then rm -rf {slot} && mkdir -p {slot} && cp -a {dir}/. {slot}/; fi"
            ),
        });
    }
    lines
}

/// Where the project's cache volume is mounted in build containers.
pub(super) const CACHE_MOUNT: &str = "/codebuild/local-cache";
