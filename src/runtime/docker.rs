//! [`ContainerRuntime`] on a real Docker daemon, through the Engine API on its unix socket
//! (bollard). It owns the translation of the runtime model into API calls: containers kept
//! alive by a tiny `sh` loop (the image's ENTRYPOINT and CMD are ignored, as CodeBuild does),
//! shell sessions as `docker exec` processes fed through their stdin (`docker/shell.rs`), and
//! archives in and out. It does not decide what runs in a container, or when to remove it:
//! that is the caller's.

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::{
    BoxFuture, ContainerRuntime, ContainerSpec, Labelled, RuntimeError, ShellSession, MANAGED_LABEL,
};

mod shell;

use shell::DockerShell;

/// The default socket when `DOCKER_HOST` names no unix socket.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Seconds an API request may take to answer (streams that follow are not limited).
const REQUEST_TIMEOUT_SECS: u64 = 120;
/// The keep-alive that replaces the image's ENTRYPOINT: any POSIX `sh` runs it, and it exits
/// at once on SIGTERM.
const KEEP_ALIVE: &str = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";
/// Starts the requested shell when the image has it, else `/bin/sh`.
const SHELL_FALLBACK: &str = "if command -v \"$1\" >/dev/null 2>&1; then exec \"$1\"; fi; \
     echo \"simfra: $1 is not in this image; using /bin/sh\" >&2; exec /bin/sh";

/// The Docker Engine API client (unix socket only).
pub struct Docker {
    client: bollard::Docker,
    socket: String,
    /// Set once the API version has been agreed with the daemon (an older daemon refuses
    /// bollard's default version).
    negotiated: tokio::sync::OnceCell<()>,
}

/// Whether this process can open the daemon's socket at `path`: the reason, in words a user
/// can act on, when it cannot (the usual one in a container: the socket's group is not one of
/// the process's groups).
pub fn check_socket_access(path: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let gid = std::fs::metadata(path).map(|m| m.gid()).ok();
            let me = format!("uid {}", own_ids().0);
            Err(match gid {
                Some(gid) => format!(
                    "permission denied on the Docker socket {path}: it belongs to group {gid}, \
                     which this process ({me}) is not in. Run simfra with that group \
                     (`docker run --group-add {gid}`, compose `group_add: [\"{gid}\"]`, or \
                     DOCKER_GID={gid} with simfra's compose file)"
                ),
                None => format!("permission denied on the Docker socket {path} ({me})"),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "the Docker socket {path} does not exist (mount it into simfra's container with \
             `-v /var/run/docker.sock:/var/run/docker.sock`, or set DOCKER_HOST=unix://...)"
        )),
        Err(e) => Err(format!("the Docker socket {path} cannot be opened: {e}")),
    }
}

/// This process's real user and group ids, read from `/proc/self/status`.
fn own_ids() -> (u32, u32) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Uid:"), field("Gid:"))
}

impl Docker {
    /// A client for the socket `DOCKER_HOST` names when it is `unix://...`, else
    /// `/var/run/docker.sock`. Nothing is sent yet: [`ContainerRuntime::ping`] proves the
    /// daemon answers. Fails only when the socket file does not exist.
    pub fn connect() -> Result<Docker, RuntimeError> {
        Docker::connect_socket(&Docker::socket_from_env())
    }

    /// The socket `DOCKER_HOST` names when it is `unix://...`, else `/var/run/docker.sock`.
    pub fn socket_from_env() -> String {
        std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
            .unwrap_or_else(|| DEFAULT_SOCKET.to_string())
    }

    /// A client for the unix socket at `path`.
    pub fn connect_socket(path: &str) -> Result<Docker, RuntimeError> {
        let client = bollard::Docker::connect_with_unix(
            path,
            REQUEST_TIMEOUT_SECS,
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|e| classify("connect", e))?;
        Ok(Docker {
            client,
            socket: path.to_string(),
            negotiated: tokio::sync::OnceCell::new(),
        })
    }

    /// The socket this client talks to (the one mounted into `docker_socket` containers).
    pub fn socket_path(&self) -> &str {
        &self.socket
    }

    /// The client, once the API version is agreed (retried after a failure).
    async fn api(&self, op: &'static str) -> Result<&bollard::Docker, RuntimeError> {
        self.negotiated
            .get_or_try_init(|| async {
                // The version is shared between clones: negotiating a clone sets ours.
                self.client
                    .clone()
                    .negotiate_version()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(op, e))
            })
            .await?;
        Ok(&self.client)
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        const OP: &str = "create container";
        let api = self.api(OP).await?;
        let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
        labels.insert(MANAGED_LABEL.to_string(), "true".to_string());
        let mut binds: Vec<String> = spec
            .volumes
            .iter()
            .map(|(volume, path)| format!("{volume}:{path}"))
            .collect();
        if spec.docker_socket {
            binds.push(format!("{}:/var/run/docker.sock", self.socket));
        }
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), KEEP_ALIVE.into()]),
            cmd: Some(Vec::new()),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(labels),
            working_dir: spec.working_dir.clone(),
            host_config: Some(HostConfig {
                binds: (!binds.is_empty()).then_some(binds),
                privileged: Some(spec.privileged),
                network_mode: spec.network.clone(),
                extra_hosts: (!spec.extra_hosts.is_empty()).then(|| spec.extra_hosts.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let base = container_name(&spec.name);
        let mut name = base.clone();
        for attempt in 0.. {
            let options = CreateContainerOptionsBuilder::new().name(&name).build();
            match api.create_container(Some(options), body.clone()).await {
                Ok(created) => return Ok(created.id),
                Err(BollardError::DockerResponseServerError {
                    status_code: 409, ..
                }) if attempt < 5 => name = format!("{base}-{}", random_hex(6)),
                Err(BollardError::DockerResponseServerError {
                    status_code: 404,
                    message,
                }) if message.to_ascii_lowercase().contains("no such image") => {
                    return Err(RuntimeError::ImageUnavailable {
                        image: spec.image.clone(),
                        message,
                    })
                }
                Err(BollardError::DockerResponseServerError {
                    status_code,
                    message,
                }) => {
                    return Err(RuntimeError::Failed {
                        op: OP,
                        message: format!("{message} (HTTP {status_code})"),
                    })
                }
                Err(e) => return Err(classify(OP, e)),
            }
        }
        unreachable!("the loop returns")
    }

    /// Runs `cmd` to completion in the container (no stdin); returns its exit code and
    /// output. For small housekeeping commands.
    async fn exec_once(&self, id: &str, cmd: Vec<String>) -> Result<(i64, String), RuntimeError> {
        const OP: &str = "exec";
        let api = self.api(OP).await?;
        let exec = api
            .create_exec(
                id,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(cmd),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| container_error(OP, e))?;
        let mut output = String::new();
        if let StartExecResults::Attached { output: mut s, .. } = api
            .start_exec(&exec.id, None)
            .await
            .map_err(|e| container_error(OP, e))?
        {
            while let Some(item) = s.next().await {
                let item = item.map_err(|e| classify(OP, e))?;
                output.push_str(&String::from_utf8_lossy(&item.into_bytes()));
            }
        }
        let inspected = api
            .inspect_exec(&exec.id)
            .await
            .map_err(|e| container_error(OP, e))?;
        Ok((inspected.exit_code.unwrap_or(-1), output))
    }
}

impl ContainerRuntime for Docker {
    fn ping(&self) -> BoxFuture<'_, Result<(), RuntimeError>> {
        Box::pin(async move {
            let api = self.api("ping").await?;
            api.ping().await.map_err(|e| classify("ping", e))?;
            Ok(())
        })
    }

    fn ensure_image<'a>(&'a self, image: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "inspect image";
            let api = self.api(OP).await?;
            match api.inspect_image(image).await {
                Ok(_) => return Ok(()),
                Err(BollardError::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(classify(OP, e)),
            }
            let reference = with_default_tag(image);
            let options = CreateImageOptionsBuilder::new()
                .from_image(&reference)
                .build();
            let mut pull = api.create_image(Some(options), None, None);
            let unavailable = |detail: String| RuntimeError::ImageUnavailable {
                image: image.to_string(),
                message: format!(
                    "it is not present locally and no registry answered the pull ({detail})"
                ),
            };
            loop {
                // A pull that stops making progress (a registry that never answers) ends.
                let next =
                    tokio::time::timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS), pull.next());
                match next.await {
                    Ok(None) => break,
                    Ok(Some(Ok(_))) => {}
                    Err(_) => return Err(unavailable("the pull made no progress".into())),
                    Ok(Some(Err(e))) => {
                        let e = classify("pull image", e);
                        if matches!(e, RuntimeError::Unavailable { .. }) {
                            return Err(e);
                        }
                        return Err(unavailable(error_message(&e)));
                    }
                }
            }
            match api.inspect_image(image).await {
                Ok(_) => Ok(()),
                Err(e) => Err(unavailable(classify(OP, e).to_string())),
            }
        })
    }

    fn start_container(&self, spec: ContainerSpec) -> BoxFuture<'_, Result<String, RuntimeError>> {
        Box::pin(async move {
            let id = self.create(&spec).await?;
            let api = self.api("start container").await?;
            if let Err(e) = api.start_container(&id, None).await {
                // Leave nothing behind: a container that never started is of no use.
                let _ = self.remove(&id).await;
                return Err(match e {
                    BollardError::DockerResponseServerError {
                        status_code,
                        message,
                    } => RuntimeError::Failed {
                        op: "start container",
                        message: format!("{message} (HTTP {status_code})"),
                    },
                    e => classify("start container", e),
                });
            }
            Ok(id)
        })
    }

    fn open_shell<'a>(
        &'a self,
        id: &'a str,
        shell: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn ShellSession>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "exec";
            let api = self.api(OP).await?;
            let cmd: Vec<String> = if shell == "/bin/sh" || shell == "sh" || shell.is_empty() {
                vec!["/bin/sh".into()]
            } else {
                vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    SHELL_FALLBACK.into(),
                    "sh".into(),
                    shell.into(),
                ]
            };
            let exec = api
                .create_exec(
                    id,
                    CreateExecOptions {
                        attach_stdin: Some(true),
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        tty: Some(false),
                        cmd: Some(cmd),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| container_error(OP, e))?;
            match api
                .start_exec(&exec.id, None)
                .await
                .map_err(|e| container_error(OP, e))?
            {
                StartExecResults::Attached { output, input } => {
                    let session = DockerShell::new(api.clone(), id, exec.id, input, output);
                    Ok(Box::new(session) as Box<dyn ShellSession>)
                }
                StartExecResults::Detached => Err(RuntimeError::Failed {
                    op: OP,
                    message: "the exec started detached".into(),
                }),
            }
        })
    }

    fn put_archive<'a>(
        &'a self,
        id: &'a str,
        dir: &'a str,
        tar: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "put archive";
            let api = self.api(OP).await?;
            let tar = bytes::Bytes::from(tar);
            for attempt in 0..2 {
                let options = UploadToContainerOptionsBuilder::new().path(dir).build();
                let result = api
                    .upload_to_container(id, Some(options), bollard::body_full(tar.clone()))
                    .await;
                match result {
                    Ok(()) => return Ok(()),
                    // The directory is missing: create it, once.
                    Err(BollardError::DockerResponseServerError {
                        status_code: 404,
                        message,
                    }) if attempt == 0 && !is_no_such_container(&message) => {
                        let (code, output) = self
                            .exec_once(
                                id,
                                vec!["mkdir".into(), "-p".into(), "--".into(), dir.into()],
                            )
                            .await?;
                        if code != 0 {
                            return Err(RuntimeError::Failed {
                                op: OP,
                                message: format!("mkdir -p {dir} failed: {}", output.trim()),
                            });
                        }
                    }
                    Err(e) => return Err(container_error(OP, e)),
                }
            }
            Err(RuntimeError::Failed {
                op: OP,
                message: format!("{dir} does not exist in the container"),
            })
        })
    }

    fn get_archive<'a>(
        &'a self,
        id: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "get archive";
            let api = self.api(OP).await?;
            let options = DownloadFromContainerOptionsBuilder::new()
                .path(path)
                .build();
            let mut stream = api.download_from_container(id, Some(options));
            let mut tar = Vec::new();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => tar.extend_from_slice(&bytes),
                    Err(BollardError::DockerResponseServerError {
                        status_code: 404,
                        message,
                    }) if !is_no_such_container(&message) => return Ok(None),
                    Err(e) => return Err(container_error(OP, e)),
                }
            }
            Ok(Some(tar))
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "remove container";
            let api = self.api(OP).await?;
            let options = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            match api.remove_container(id, Some(options)).await {
                Ok(()) => Ok(()),
                // Gone already, or being removed by another call.
                Err(BollardError::DockerResponseServerError {
                    status_code: 404 | 409,
                    ..
                }) => Ok(()),
                Err(e) => Err(classify(OP, e)),
            }
        })
    }

    fn list<'a>(
        &'a self,
        label: (&'a str, &'a str),
    ) -> BoxFuture<'a, Result<Vec<Labelled>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "list containers";
            let api = self.api(OP).await?;
            let labels = vec![
                format!("{MANAGED_LABEL}=true"),
                format!("{}={}", label.0, label.1),
            ];
            let filters = HashMap::from([("label".to_string(), labels)]);
            let options = ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filters)
                .build();
            let containers = api
                .list_containers(Some(options))
                .await
                .map_err(|e| classify(OP, e))?;
            Ok(containers
                .into_iter()
                .filter_map(|c| {
                    let labels = c.labels.unwrap_or_default().into_iter().collect();
                    c.id.map(|id| (id, labels))
                })
                .collect())
        })
    }

    fn running(&self) -> BoxFuture<'_, Result<Vec<Labelled>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "list containers";
            let api = self.api(OP).await?;
            let options = ListContainersOptionsBuilder::new().all(false).build();
            let containers = api
                .list_containers(Some(options))
                .await
                .map_err(|e| classify(OP, e))?;
            Ok(containers
                .into_iter()
                .filter_map(|c| {
                    let labels = c.labels.unwrap_or_default().into_iter().collect();
                    c.id.map(|id| (id, labels))
                })
                .collect())
        })
    }

    fn reap<'a>(
        &'a self,
        label: Option<(&'a str, &'a str)>,
    ) -> BoxFuture<'a, Result<usize, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "list containers";
            let api = self.api(OP).await?;
            let mut labels = vec![format!("{MANAGED_LABEL}=true")];
            if let Some((k, v)) = label {
                labels.push(format!("{k}={v}"));
            }
            let filters = HashMap::from([("label".to_string(), labels)]);
            let options = ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filters)
                .build();
            let containers = api
                .list_containers(Some(options))
                .await
                .map_err(|e| classify(OP, e))?;
            let mut removed = 0;
            for id in containers.into_iter().filter_map(|c| c.id) {
                self.remove(&id).await?;
                removed += 1;
            }
            Ok(removed)
        })
    }
}

/// The API error as a runtime error (404 meaning the container is gone).
fn container_error(op: &'static str, e: BollardError) -> RuntimeError {
    match e {
        BollardError::DockerResponseServerError {
            status_code: 404 | 409,
            message,
        } => RuntimeError::ContainerGone { op, message },
        e => classify(op, e),
    }
}

/// Connection-level failures are `Unavailable`; a 404 is `ContainerGone`; the rest `Failed`.
fn classify(op: &'static str, e: BollardError) -> RuntimeError {
    let message = error_chain(&e);
    match e {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => RuntimeError::ContainerGone { op, message },
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => RuntimeError::Failed {
            op,
            message: format!("{message} (HTTP {status_code})"),
        },
        BollardError::SocketNotFoundError(path) => RuntimeError::Unavailable {
            op,
            message: format!("no Docker socket at {path}"),
        },
        BollardError::HyperLegacyError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::IOError { .. }
        | BollardError::RequestTimeoutError => RuntimeError::Unavailable { op, message },
        _ => RuntimeError::Failed { op, message },
    }
}

/// An error with its sources (hyper's own messages say little without them).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

fn error_message(e: &RuntimeError) -> String {
    match e {
        RuntimeError::Unavailable { message, .. }
        | RuntimeError::ImageUnavailable { message, .. }
        | RuntimeError::ContainerGone { message, .. }
        | RuntimeError::Failed { message, .. } => message.clone(),
    }
}

fn is_no_such_container(message: &str) -> bool {
    message.to_ascii_lowercase().contains("no such container")
}

/// `name` made acceptable to Docker (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`); a generated one if empty.
fn container_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '.' | '-' => c,
            _ => '-',
        })
        .collect();
    let cleaned = cleaned.trim_start_matches(['_', '.', '-']);
    if cleaned.is_empty() {
        format!("simfra-{}", random_hex(8))
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// `image` with `:latest` when it names neither tag nor digest (a pull without a tag would
/// fetch every tag).
fn with_default_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

fn random_hex(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_references() {
        assert_eq!(container_name("proj:build/1"), "proj-build-1");
        assert!(container_name("::").starts_with("simfra-"));
        assert_eq!(with_default_tag("alpine"), "alpine:latest");
        assert_eq!(
            with_default_tag("localhost:5000/a"),
            "localhost:5000/a:latest"
        );
        assert_eq!(with_default_tag("a/b:1"), "a/b:1");
        assert_eq!(with_default_tag("a@sha256:00"), "a@sha256:00");
    }
}
