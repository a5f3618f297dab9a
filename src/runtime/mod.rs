//! The container runtime: the small port through which builds (and later deployment hooks)
//! run in containers. `docker.rs` implements it with the Docker Engine API; `fake.rs` is a
//! scripted stand-in for fast, deterministic tests.
//!
//! The model is the one a build agent needs: start a long-lived container from an image (its
//! ENTRYPOINT ignored; the container just keeps itself alive), copy files in and out as tar
//! streams, and open *shell sessions* in it: one shell process per session, fed one command at
//! a time, whose working directory and variables carry over from command to command. Output
//! arrives line by line while the command runs. Every container carries the `simfra.managed`
//! label so that [`ContainerRuntime::reap`] can remove what a crashed server left behind, and
//! [`ContainerGuard`] removes a container on every path out of the code that owns it.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub mod docker;
pub mod fake;
pub mod network;
pub mod thread;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A container id with its labels.
pub type Labelled = (String, BTreeMap<String, String>);

/// The label every simfra container carries.
pub const MANAGED_LABEL: &str = "simfra.managed";

/// What went wrong, naming the runtime operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The daemon cannot be reached (not running, socket missing, connection lost).
    #[error("the Docker daemon is not reachable ({op}): {message}")]
    Unavailable { op: &'static str, message: String },
    /// The image is not present locally and could not be pulled.
    #[error("the image {image} is not available locally and could not be pulled: {message}")]
    ImageUnavailable { image: String, message: String },
    /// The container is gone (removed, or it stopped on its own).
    #[error("the container is gone ({op}): {message}")]
    ContainerGone { op: &'static str, message: String },
    /// Any other failure of an operation.
    #[error("{op} failed: {message}")]
    Failed { op: &'static str, message: String },
}

/// Which stream an output line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of output (without its line ending). Very long lines arrive in pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    pub stream: Stream,
    pub text: String,
}

/// A container to create and start.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// Container name (unique; the runtime may add a suffix).
    pub name: String,
    pub image: String,
    /// Environment of the container (and of every shell session in it).
    pub env: Vec<(String, String)>,
    /// Labels besides [`MANAGED_LABEL`], which is always added.
    pub labels: BTreeMap<String, String>,
    pub working_dir: Option<String>,
    /// Mount the Docker socket into the container (`privilegedMode` builds only).
    pub docker_socket: bool,
    /// Run privileged (`privilegedMode` builds only).
    pub privileged: bool,
    /// Named volumes to mount: (volume name, path in the container). Created when missing.
    pub volumes: Vec<(String, String)>,
    /// A network to attach the container to (None: the daemon's default bridge).
    pub network: Option<String>,
    /// `host:ip` entries for /etc/hosts (e.g. `host.docker.internal:host-gateway`).
    pub extra_hosts: Vec<String>,
}

/// The label naming the server process that started a container: its pid and the process's
/// start time, so that a later process with the same pid is told apart, and where the pid
/// means something (`@host`, or `@<container id>` for a simfra that runs in a container: pids
/// of another pid namespace cannot be checked in this one).
pub const OWNER_LABEL: &str = "simfra.owner";

/// `pid:start time@scope` of a running process of this pid namespace (None when it does not
/// run).
pub fn process_tag(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let start = rest.split_whitespace().nth(19)?;
    Some(format!("{pid}:{start}@{}", own_scope()))
}

/// `host`, or the id of the container this process runs in.
fn own_scope() -> &'static str {
    static SCOPE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCOPE.get_or_init(|| network::own_container_id().unwrap_or_else(|| "host".to_string()))
}

/// Whether the server process named by a container's owner label may still run. `running`
/// holds the ids of the running containers: an owner in another container lives as long as
/// that container runs. An owner on the host, seen from a container, cannot be checked and
/// counts as alive (the host's simfra reaps its own leftovers).
pub fn owner_alive(labels: &BTreeMap<String, String>, running: &[String]) -> bool {
    let Some(tag) = labels.get(OWNER_LABEL) else {
        return false;
    };
    let (proc_part, scope) = tag.split_once('@').unwrap_or((tag.as_str(), "host"));
    if scope == own_scope() {
        let Some(pid) = proc_part
            .split(':')
            .next()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return false;
        };
        return process_tag(pid).as_deref() == Some(tag.as_str());
    }
    if scope == "host" {
        return true;
    }
    running.iter().any(|id| id.starts_with(scope))
}

/// The container runtime port.
pub trait ContainerRuntime: Send + Sync {
    /// Checks that the daemon answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), RuntimeError>>;
    /// Makes sure the image is present: uses a local one, else tries to pull it.
    fn ensure_image<'a>(&'a self, image: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// Creates and starts a container that stays up (the image's ENTRYPOINT and CMD are
    /// replaced by a keep-alive) until it is removed. Returns its id.
    fn start_container(&self, spec: ContainerSpec) -> BoxFuture<'_, Result<String, RuntimeError>>;
    /// Opens a shell session (`shell` is e.g. `/bin/sh` or `bash`) in a running container.
    fn open_shell<'a>(
        &'a self,
        id: &'a str,
        shell: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn ShellSession>, RuntimeError>>;
    /// Extracts a tar archive into `dir` in the container (created when missing).
    fn put_archive<'a>(
        &'a self,
        id: &'a str,
        dir: &'a str,
        tar: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// A tar archive of `path` in the container (the archive's top entry is the path's last
    /// component, as the Docker API returns it). `Ok(None)` when the path does not exist.
    fn get_archive<'a>(
        &'a self,
        id: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, RuntimeError>>;
    /// Kills and removes a container (and its anonymous volumes). Removing a container that
    /// is already gone is not an error.
    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// The containers carrying [`MANAGED_LABEL`] and `label=value`, with their labels.
    fn list<'a>(
        &'a self,
        label: (&'a str, &'a str),
    ) -> BoxFuture<'a, Result<Vec<Labelled>, RuntimeError>>;
    /// Every running container (simfra's or not), with its labels: the candidates for
    /// deployment targets.
    fn running(&self) -> BoxFuture<'_, Result<Vec<Labelled>, RuntimeError>>;
    /// Removes every container carrying [`MANAGED_LABEL`] and, when given, `label=value`;
    /// returns how many were removed.
    fn reap<'a>(
        &'a self,
        label: Option<(&'a str, &'a str)>,
    ) -> BoxFuture<'a, Result<usize, RuntimeError>>;
}

/// One shell process in a container, fed one command at a time.
pub trait ShellSession: Send {
    /// Runs one command (it may span several lines) in the session with stdin closed. Output
    /// lines are handed to `out` as they arrive. Returns the command's exit status. When the
    /// command ends the shell itself (`exit 3`, `set -e`, a syntax error in a POSIX `sh`),
    /// the shell's exit status is the command's (`Ok(3)`) and every later call on the session
    /// fails with [`RuntimeError::Failed`]: open a new session. When the container went away
    /// during the command, [`RuntimeError::ContainerGone`].
    fn run<'a>(
        &'a mut self,
        command: &'a str,
        out: &'a mut (dyn FnMut(OutputLine) + Send),
    ) -> BoxFuture<'a, Result<i64, RuntimeError>>;
    /// The value of a shell variable in this session (None when unset).
    fn read_var<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, RuntimeError>>;
}

/// Removes its container when dropped, whatever path the owner leaves by (success, failure,
/// cancellation, panic). Removal runs on the current tokio runtime, or on a fresh thread when
/// there is none.
pub struct ContainerGuard {
    runtime: Arc<dyn ContainerRuntime>,
    id: Option<String>,
}

impl ContainerGuard {
    pub fn new(runtime: Arc<dyn ContainerRuntime>, id: String) -> Self {
        ContainerGuard {
            runtime,
            id: Some(id),
        }
    }

    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    /// Removes the container now and waits for it.
    pub async fn remove(mut self) -> Result<(), RuntimeError> {
        match self.id.take() {
            Some(id) => self.runtime.remove(&id).await,
            None => Ok(()),
        }
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let runtime = self.runtime.clone();
        let work = async move {
            if let Err(e) = runtime.remove(&id).await {
                tracing::warn!(container = %id, "removing a container failed: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(work);
            }
            Err(_) => {
                std::thread::spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(work);
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(tag: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(OWNER_LABEL.to_string(), tag.to_string())])
    }

    #[test]
    fn an_owner_is_alive_while_its_process_or_container_runs() {
        let me = process_tag(std::process::id()).unwrap();
        assert!(me.ends_with(&format!("@{}", own_scope())));
        assert!(owner_alive(&owner(&me), &[]));
        // The same pid with another start time is another process: gone.
        let (pid, _) = me.split_once(':').unwrap();
        let other = format!("{pid}:1@{}", own_scope());
        assert!(!owner_alive(&owner(&other), &[]));
        assert!(!owner_alive(&BTreeMap::new(), &[]));
        // An owner in another container lives as long as that container runs.
        let c = "ab".repeat(32);
        let tag = format!("1:5@{c}");
        assert!(owner_alive(&owner(&tag), std::slice::from_ref(&c)));
        assert!(!owner_alive(&owner(&tag), &["cd".repeat(32)]));
    }
}
