//! Running one lifecycle event's hook scripts in a target container, as the CodeDeploy agent
//! does: each script from the revision's directory, with the agent's environment variables,
//! its `timeout` and `runas`, in a subshell (so one script's `cd` or variables do not leak into
//! the next); the diagnostics AWS shows (`errorCode`, `scriptName`, `message`, `logTail`).

use std::collections::VecDeque;

use crate::runtime::{OutputLine, ShellSession};

/// The last bytes of a script's output AWS keeps in `logTail`.
const LOG_TAIL_BYTES: usize = 2048;
/// Exit statuses the wrapper uses to report a missing or non-executable script.
const MISSING: i64 = 201;
const NOT_EXECUTABLE: i64 = 202;

/// One hook script to run.
#[derive(Debug, Clone)]
pub struct Script {
    pub location: String,
    pub timeout_seconds: u32,
    pub runas: Option<String>,
}

/// How a lifecycle event ended, in AWS's `Diagnostics` terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// `Success`, `ScriptMissing`, `ScriptNotExecutable`, `ScriptTimedOut`, `ScriptFailed` or
    /// `UnknownError`.
    pub error_code: String,
    pub script_name: String,
    pub message: String,
    pub log_tail: String,
}

impl Diagnostics {
    pub fn success(message: &str) -> Self {
        Diagnostics {
            error_code: "Success".into(),
            script_name: String::new(),
            message: message.into(),
            log_tail: String::new(),
        }
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        Diagnostics {
            error_code: "UnknownError".into(),
            script_name: String::new(),
            message: message.into(),
            log_tail: String::new(),
        }
    }

    pub fn ok(&self) -> bool {
        self.error_code == "Success"
    }
}

/// A single-quoted shell word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The command that runs one script: in a subshell, from the revision's directory, with the
/// environment, under `timeout` when the image has it, as `runas` when given.
fn command(archive_dir: &str, script: &Script, env: &[(String, String)]) -> String {
    let loc = script.location.trim_start_matches('/');
    let path = quote(loc);
    let exports: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={}; ", quote(v)))
        .collect();
    let run = match &script.runas {
        Some(user) => format!(
            "su -s /bin/sh {} -c {}",
            quote(user),
            quote(&format!("./{loc}"))
        ),
        None => format!("./{path}"),
    };
    let t = script.timeout_seconds.max(1);
    format!(
        "( cd {dir} || exit {MISSING}; [ -f {path} ] || exit {MISSING}; [ -x {path} ] || exit {NOT_EXECUTABLE}; {exports}\
         if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL {t} {run}; else exec {run}; fi ) 2>&1",
        dir = quote(archive_dir),
    )
}

/// Runs the scripts of one lifecycle event in order; stops at the first that fails.
pub async fn run(
    shell: &mut dyn ShellSession,
    archive_dir: &str,
    scripts: &[Script],
    env: &[(String, String)],
) -> Diagnostics {
    if scripts.is_empty() {
        return Diagnostics::success("");
    }
    let mut all_tail = String::new();
    for script in scripts {
        let mut tail: VecDeque<u8> = VecDeque::new();
        let mut out = |l: OutputLine| {
            tail.extend(l.text.as_bytes());
            tail.push_back(b'\n');
            while tail.len() > LOG_TAIL_BYTES {
                tail.pop_front();
            }
        };
        let started = std::time::Instant::now();
        // The script's own timeout is enforced in the container; this one only guards against
        // an image without `timeout` (a few seconds' grace).
        let limit = std::time::Duration::from_secs(u64::from(script.timeout_seconds.max(1)) + 5);
        let cmd = command(archive_dir, script, env);
        let result = tokio::time::timeout(limit, shell.run(&cmd, &mut out)).await;
        let tail_text = String::from_utf8_lossy(&tail.into_iter().collect::<Vec<u8>>()).to_string();
        all_tail = tail_text.clone();
        let user = script.runas.as_deref().unwrap_or("root");
        let fail = |code: &str, message: String| Diagnostics {
            error_code: code.into(),
            script_name: script.location.clone(),
            message,
            log_tail: tail_text.clone(),
        };
        let timed_out = |elapsed: std::time::Duration| {
            elapsed.as_secs() >= u64::from(script.timeout_seconds.max(1))
        };
        match result {
            Err(_) => {
                return fail(
                    "ScriptTimedOut",
                    format!("Script at specified location: {} failed to complete in {} seconds", script.location, script.timeout_seconds),
                )
            }
            Ok(Err(e)) => return fail("UnknownError", format!("The script could not run: {e}")),
            Ok(Ok(0)) => {}
            Ok(Ok(MISSING)) => {
                return fail(
                    "ScriptMissing",
                    format!("Script does not exist at specified location: {archive_dir}/{}", script.location.trim_start_matches('/')),
                )
            }
            Ok(Ok(NOT_EXECUTABLE)) => {
                return fail(
                    "ScriptNotExecutable",
                    format!("Script at specified location: {} is not executable", script.location),
                )
            }
            Ok(Ok(137)) if timed_out(started.elapsed()) => {
                return fail(
                    "ScriptTimedOut",
                    format!("Script at specified location: {} failed to complete in {} seconds", script.location, script.timeout_seconds),
                )
            }
            Ok(Ok(code)) => {
                return fail(
                    "ScriptFailed",
                    format!("Script at specified location: {} run as user {user} failed with exit code {code}", script.location),
                )
            }
        }
    }
    Diagnostics {
        log_tail: all_tail,
        ..Diagnostics::success("Succeeded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_checks_the_script_and_sets_the_environment() {
        let s = Script {
            location: "scripts/start.sh".into(),
            timeout_seconds: 30,
            runas: None,
        };
        let env = vec![(
            "LIFECYCLE_EVENT".to_string(),
            "ApplicationStart".to_string(),
        )];
        let c = command("/opt/d/archive", &s, &env);
        assert!(c.contains("cd '/opt/d/archive'"), "{c}");
        assert!(c.contains("[ -x 'scripts/start.sh' ] || exit 202"), "{c}");
        assert!(
            c.contains("export LIFECYCLE_EVENT='ApplicationStart';"),
            "{c}"
        );
        assert!(c.contains("timeout -s KILL 30 ./'scripts/start.sh'"), "{c}");
        let s = Script {
            runas: Some("app".into()),
            ..s
        };
        assert!(command("/d", &s, &[]).contains("su -s /bin/sh 'app' -c './scripts/start.sh'"));
    }

    #[test]
    fn commands_run_for_real_in_a_host_shell() {
        // The generated command is plain sh: check it against the host's shell.
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hook.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\necho \"event=$LIFECYCLE_EVENT\"\nexit 3\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = Script {
            location: "hook.sh".into(),
            timeout_seconds: 10,
            runas: None,
        };
        let env = vec![("LIFECYCLE_EVENT".to_string(), "ValidateService".to_string())];
        let c = command(dir.path().to_str().unwrap(), &s, &env);
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&c)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "event=ValidateService\n"
        );
        let missing = Script {
            location: "nope.sh".into(),
            ..s
        };
        let c = command(dir.path().to_str().unwrap(), &missing, &[]);
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&c)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(MISSING as i32));
    }
}
