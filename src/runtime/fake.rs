//! A scripted, in-memory [`ContainerRuntime`] for fast, deterministic tests of what drives
//! containers (CodeBuild). It keeps containers as records (the specs started, and which are
//! still there), files put in or "written" by commands, and runs commands through a tiny
//! interpreter instead of a shell. It is not a shell emulator: one command per line, words
//! split with `'...'`/`"..."` quoting and `$VAR`/`${VAR}` expansion, no pipes, `;` or `&&`.
//!
//! Commands: `echo WORDS`, `printf FORMAT ARGS` (`%s`, `%d`, `%%`, `\n`, `\t`), `export K=V` or
//! `K=V`, `cd DIR` (always succeeds), `true` and `:`, `false` (1), `fail-with N` (N), `exit N`
//! (ends the session: that command's status is N and later calls fail, as in the Docker runtime),
//! `sleep SECONDS` (a real sleep, cut short when the container is removed), `mkdir -p DIR`,
//! `write FILE WORDS` (a file with the words and a newline, readable through `get_archive`),
//! `cat FILE`; anything else prints `sh: CMD: not found` on stderr with status 127. A command's
//! status is its last line's.
//!
//! Knobs: [`FakeRuntime::set_down`] (every call `Unavailable`),
//! [`FakeRuntime::set_image_unavailable`], and [`FakeRuntime::wait_for_command`] to wait until
//! a command is running.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::{
    BoxFuture, ContainerRuntime, ContainerSpec, Labelled, OutputLine, RuntimeError, ShellSession,
    Stream,
};

/// The in-memory runtime (see the module docs).
#[derive(Default)]
pub struct FakeRuntime {
    state: Arc<Mutex<State>>,
    command_started: Arc<Notify>,
}

#[derive(Default)]
struct State {
    containers: BTreeMap<String, Container>,
    specs: Vec<ContainerSpec>,
    unavailable_images: BTreeSet<String>,
    down: bool,
    commands: Vec<String>,
    next_id: u64,
}

struct Container {
    name: String,
    spec: ContainerSpec,
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    /// Dropped on removal: a sleeping command notices and the session reports the container gone.
    _alive: watch::Sender<()>,
    alive: watch::Receiver<()>,
}

impl FakeRuntime {
    pub fn new() -> FakeRuntime {
        FakeRuntime::default()
    }

    /// Daemon down: every call fails with `Unavailable`.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// `ensure_image` and `start_container` of `image` fail with `ImageUnavailable`.
    pub fn set_image_unavailable(&self, image: &str) {
        self.lock().unavailable_images.insert(image.to_string());
    }

    /// Ids of the containers not removed yet.
    pub fn live_containers(&self) -> Vec<String> {
        self.lock().containers.keys().cloned().collect()
    }

    /// Every spec passed to `start_container`, in order.
    pub fn started_specs(&self) -> Vec<ContainerSpec> {
        self.lock().specs.clone()
    }

    /// Every command run in any session, in order.
    pub fn commands(&self) -> Vec<String> {
        self.lock().commands.clone()
    }

    /// A file's content in a live container.
    pub fn file(&self, id: &str, path: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        state
            .containers
            .get(id)?
            .files
            .get(&normalize("/", path))
            .cloned()
    }

    /// Waits until a command containing `needle` has started (returns at once if one has).
    pub async fn wait_for_command(&self, needle: &str) {
        loop {
            let notified = self.command_started.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().commands.iter().any(|c| c.contains(needle)) {
                return;
            }
            notified.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(&self, op: &'static str) -> Result<MutexGuard<'_, State>, RuntimeError> {
        let state = self.lock();
        if state.down {
            return Err(RuntimeError::Unavailable {
                op,
                message: "the fake daemon is down".into(),
            });
        }
        Ok(state)
    }
}

fn gone(op: &'static str, id: &str) -> RuntimeError {
    RuntimeError::ContainerGone {
        op,
        message: format!("no such container: {id}"),
    }
}

fn image_unavailable(image: &str) -> RuntimeError {
    RuntimeError::ImageUnavailable {
        image: image.to_string(),
        message: "it is not present locally and no registry answered the pull (fake)".into(),
    }
}

impl ContainerRuntime for FakeRuntime {
    fn ping(&self) -> BoxFuture<'_, Result<(), RuntimeError>> {
        Box::pin(async move { self.check("ping").map(|_| ()) })
    }

    fn ensure_image<'a>(&'a self, image: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            match self
                .check("inspect image")?
                .unavailable_images
                .contains(image)
            {
                true => Err(image_unavailable(image)),
                false => Ok(()),
            }
        })
    }

    fn start_container(&self, spec: ContainerSpec) -> BoxFuture<'_, Result<String, RuntimeError>> {
        Box::pin(async move {
            let mut state = self.check("create container")?;
            if state.unavailable_images.contains(&spec.image) {
                return Err(image_unavailable(&spec.image));
            }
            state.next_id += 1;
            let id = format!("fake-{}", state.next_id);
            let mut name = spec.name.clone();
            if state.containers.values().any(|c| c.name == name) {
                name = format!("{name}-{}", state.next_id);
            }
            let (tx, rx) = watch::channel(());
            let mut dirs = BTreeSet::from(["/".to_string()]);
            dirs.extend(spec.working_dir.clone());
            state.specs.push(spec.clone());
            let container = Container {
                name,
                spec,
                files: BTreeMap::new(),
                dirs,
                _alive: tx,
                alive: rx,
            };
            state.containers.insert(id.clone(), container);
            Ok(id)
        })
    }

    fn open_shell<'a>(
        &'a self,
        id: &'a str,
        _shell: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn ShellSession>, RuntimeError>> {
        Box::pin(async move {
            let state = self.check("exec")?;
            let c = state.containers.get(id).ok_or_else(|| gone("exec", id))?;
            let session: Box<dyn ShellSession> = Box::new(FakeShell {
                state: self.state.clone(),
                command_started: self.command_started.clone(),
                id: id.to_string(),
                vars: c.spec.env.iter().cloned().collect(),
                cwd: c.spec.working_dir.clone().unwrap_or_else(|| "/".into()),
                alive: c.alive.clone(),
                ended: None,
            });
            Ok(session)
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
            let mut state = self.check(OP)?;
            let c = state.containers.get_mut(id).ok_or_else(|| gone(OP, id))?;
            let bad = |e: std::io::Error| RuntimeError::Failed {
                op: OP,
                message: e.to_string(),
            };
            let dir = normalize("/", dir);
            add_dir(&mut c.dirs, &dir);
            let mut archive = tar::Archive::new(&tar[..]);
            for entry in archive.entries().map_err(bad)? {
                let mut entry = entry.map_err(bad)?;
                let path = normalize(&dir, &entry.path().map_err(bad)?.to_string_lossy());
                if entry.header().entry_type().is_dir() {
                    add_dir(&mut c.dirs, &path);
                } else if entry.header().entry_type().is_file() {
                    let mut content = Vec::new();
                    std::io::Read::read_to_end(&mut entry, &mut content).map_err(bad)?;
                    add_dir(&mut c.dirs, parent(&path));
                    c.files.insert(path, content);
                }
            }
            Ok(())
        })
    }

    fn get_archive<'a>(
        &'a self,
        id: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "get archive";
            let state = self.check(OP)?;
            let c = state.containers.get(id).ok_or_else(|| gone(OP, id))?;
            let path = normalize("/", path);
            let base = path
                .rsplit('/')
                .next()
                .filter(|b| !b.is_empty())
                .unwrap_or(".");
            let mut builder = tar::Builder::new(Vec::new());
            let mut append = |name: &str, data: Option<&[u8]>| {
                let mut header = tar::Header::new_gnu();
                let (kind, mode) = match data {
                    Some(_) => (tar::EntryType::Regular, 0o644),
                    None => (tar::EntryType::Directory, 0o755),
                };
                header.set_entry_type(kind);
                header.set_mode(mode);
                header.set_size(data.map_or(0, |d| d.len() as u64));
                builder.append_data(&mut header, name, data.unwrap_or_default())
            };
            let failed = |e: std::io::Error| RuntimeError::Failed {
                op: OP,
                message: e.to_string(),
            };
            if let Some(data) = c.files.get(&path) {
                append(base, Some(data)).map_err(failed)?;
            } else if c.dirs.contains(&path) {
                let prefix = if path == "/" {
                    "/".to_string()
                } else {
                    format!("{path}/")
                };
                append(base, None).map_err(failed)?;
                for dir in c
                    .dirs
                    .iter()
                    .filter_map(|d| d.strip_prefix(&prefix))
                    .filter(|d| !d.is_empty())
                {
                    append(&format!("{base}/{dir}"), None).map_err(failed)?;
                }
                for (file, data) in &c.files {
                    if let Some(rel) = file.strip_prefix(&prefix) {
                        append(&format!("{base}/{rel}"), Some(data)).map_err(failed)?;
                    }
                }
            } else {
                return Ok(None);
            }
            Ok(Some(builder.into_inner().map_err(failed)?))
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            self.check("remove container")?.containers.remove(id);
            Ok(())
        })
    }

    fn list<'a>(
        &'a self,
        label: (&'a str, &'a str),
    ) -> BoxFuture<'a, Result<Vec<Labelled>, RuntimeError>> {
        Box::pin(async move {
            let state = self.check("list containers")?;
            Ok(state
                .containers
                .iter()
                .filter(|(_, c)| c.spec.labels.get(label.0).map(String::as_str) == Some(label.1))
                .map(|(id, c)| (id.clone(), c.spec.labels.clone()))
                .collect())
        })
    }

    fn running(&self) -> BoxFuture<'_, Result<Vec<Labelled>, RuntimeError>> {
        Box::pin(async move {
            let state = self.check("list containers")?;
            Ok(state
                .containers
                .iter()
                .map(|(id, c)| (id.clone(), c.spec.labels.clone()))
                .collect())
        })
    }

    fn reap<'a>(
        &'a self,
        label: Option<(&'a str, &'a str)>,
    ) -> BoxFuture<'a, Result<usize, RuntimeError>> {
        Box::pin(async move {
            let mut state = self.check("list containers")?;
            let before = state.containers.len();
            state.containers.retain(|_, c| match label {
                Some((k, v)) => c.spec.labels.get(k).map(String::as_str) != Some(v),
                None => false,
            });
            Ok(before - state.containers.len())
        })
    }
}

/// One session: variables and working directory of its own.
struct FakeShell {
    state: Arc<Mutex<State>>,
    command_started: Arc<Notify>,
    id: String,
    vars: BTreeMap<String, String>,
    cwd: String,
    alive: watch::Receiver<()>,
    ended: Option<RuntimeError>,
}

impl FakeShell {
    /// The container's record, or why it cannot be used.
    fn with_container<T>(&self, f: impl FnOnce(&mut Container) -> T) -> Result<T, RuntimeError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.down {
            return Err(RuntimeError::Unavailable {
                op: "exec",
                message: "the fake daemon is down".into(),
            });
        }
        let c = state
            .containers
            .get_mut(&self.id)
            .ok_or_else(|| gone("exec", &self.id))?;
        Ok(f(c))
    }

    async fn run_command(
        &mut self,
        command: &str,
        out: &mut (dyn FnMut(OutputLine) + Send),
    ) -> Result<i64, RuntimeError> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        self.with_container(|_| ())?;
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .commands
            .push(command.to_string());
        self.command_started.notify_waiters();
        let mut emit = |stream, text: &str| {
            for line in text.lines() {
                out(OutputLine {
                    stream,
                    text: line.to_string(),
                });
            }
        };
        let mut status = 0;
        for line in command.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line, &self.vars);
            let args: Vec<&str> = words.iter().map(String::as_str).collect();
            let arg = |i: usize| args.get(i).copied().unwrap_or_default();
            let number = |i: usize| arg(i).parse::<i64>().unwrap_or(0);
            status = 0;
            match args.as_slice() {
                [] => {}
                ["echo", rest @ ..] => emit(Stream::Stdout, &format!("{}\n", rest.join(" "))),
                ["printf", format, rest @ ..] => emit(Stream::Stdout, &printf(format, rest)),
                ["true"] | [":", ..] => {}
                ["false"] => status = 1,
                ["fail-with", ..] => status = number(1),
                ["exit", ..] => {
                    let code = number(1);
                    self.ended = Some(RuntimeError::Failed {
                        op: "shell session",
                        message: format!("the shell session has ended (exit status {code})"),
                    });
                    return Ok(code);
                }
                ["cd", dir @ ..] => self.cwd = normalize(&self.cwd, dir.first().unwrap_or(&"/")),
                ["export", assignments @ ..] | assignments
                    if assignments.iter().all(|a| a.contains('=')) && !assignments.is_empty() =>
                {
                    for a in assignments {
                        let (k, v) = a.split_once('=').unwrap_or((a, ""));
                        self.vars.insert(k.to_string(), v.to_string());
                    }
                }
                ["sleep", secs] => {
                    let secs = secs.parse::<f64>().unwrap_or(0.0).max(0.0);
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                        _ = self.alive.changed() => {}
                    }
                    self.with_container(|_| ())?;
                }
                ["mkdir", "-p", dirs @ ..] => {
                    let dirs: Vec<String> = dirs.iter().map(|d| normalize(&self.cwd, d)).collect();
                    self.with_container(|c| dirs.iter().for_each(|d| add_dir(&mut c.dirs, d)))?;
                }
                ["write", file, words @ ..] => {
                    let path = normalize(&self.cwd, file);
                    let content = format!("{}\n", words.join(" ")).into_bytes();
                    self.with_container(|c| {
                        add_dir(&mut c.dirs, parent(&path));
                        c.files.insert(path, content);
                    })?;
                }
                ["cat", file] => {
                    let path = normalize(&self.cwd, file);
                    match self.with_container(|c| c.files.get(&path).cloned())? {
                        Some(data) => emit(Stream::Stdout, &String::from_utf8_lossy(&data)),
                        None => {
                            emit(
                                Stream::Stderr,
                                &format!("cat: {file}: No such file or directory"),
                            );
                            status = 1;
                        }
                    }
                }
                [cmd, ..] => {
                    emit(Stream::Stderr, &format!("sh: {cmd}: not found"));
                    status = 127;
                }
            }
        }
        Ok(status)
    }
}

impl ShellSession for FakeShell {
    fn run<'a>(
        &'a mut self,
        command: &'a str,
        out: &'a mut (dyn FnMut(OutputLine) + Send),
    ) -> BoxFuture<'a, Result<i64, RuntimeError>> {
        Box::pin(self.run_command(command, out))
    }

    fn read_var<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, RuntimeError>> {
        Box::pin(async move {
            if let Some(e) = &self.ended {
                return Err(e.clone());
            }
            self.with_container(|_| ())?;
            Ok(self.vars.get(name).cloned())
        })
    }
}

/// Splits a line into words: quotes group, `$VAR` expands outside single quotes.
fn split_words(line: &str, vars: &BTreeMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, '\'' | '"') => {
                quote = Some(ch);
                word.get_or_insert_with(String::new);
            }
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '$') => {
                let braced = chars.next_if_eq(&'{').is_some();
                let mut name = String::new();
                while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    name.push(c);
                }
                if braced {
                    chars.next_if_eq(&'}');
                }
                let w = word.get_or_insert_with(String::new);
                match name.is_empty() {
                    true => w.push('$'),
                    false => w.push_str(vars.get(&name).map_or("", String::as_str)),
                }
            }
            (None, '\\') => word.get_or_insert_with(String::new).extend(chars.next()),
            (_, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// A small `printf`: `%s`, `%d`, `%%`, and the `\n`, `\t`, `\\` escapes.
fn printf(format: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(e)) => {
                chars.next();
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            ('%', Some('%')) => {
                chars.next();
                out.push('%');
            }
            ('%', Some('s' | 'd')) => {
                chars.next();
                out.push_str(args.next().copied().unwrap_or_default());
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// `path` made absolute against `cwd`, without `.` and `..`.
fn normalize(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Records `dir` and its ancestors.
fn add_dir(dirs: &mut BTreeSet<String>, dir: &str) {
    let mut dir = dir.to_string();
    while dirs.insert(dir.clone()) && dir != "/" {
        dir = parent(&dir).to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> ContainerSpec {
        ContainerSpec {
            name: name.into(),
            image: "img".into(),
            env: vec![("GREETING".into(), "hello".into())],
            working_dir: Some("/src".into()),
            ..Default::default()
        }
    }

    async fn run(
        shell: &mut Box<dyn ShellSession>,
        cmd: &str,
    ) -> (Result<i64, RuntimeError>, Vec<OutputLine>) {
        let mut lines = Vec::new();
        let status = shell.run(cmd, &mut |l| lines.push(l)).await;
        (status, lines)
    }

    fn texts(lines: &[OutputLine], stream: Stream) -> Vec<&str> {
        lines
            .iter()
            .filter(|l| l.stream == stream)
            .map(|l| l.text.as_str())
            .collect()
    }

    fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, data.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn untar(data: &[u8]) -> Vec<(String, String)> {
        let mut archive = tar::Archive::new(data);
        let mut out = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            out.push((e.path().unwrap().to_string_lossy().into_owned(), s));
        }
        out
    }

    #[tokio::test]
    async fn containers_are_recorded_and_removed() {
        let fake = FakeRuntime::new();
        let a = fake.start_container(spec("b")).await.unwrap();
        let b = fake.start_container(spec("b")).await.unwrap();
        assert_ne!(a, b);
        assert_eq!(fake.live_containers(), [a.clone(), b.clone()]);
        assert_eq!(fake.started_specs().len(), 2);
        fake.remove(&a).await.unwrap();
        fake.remove(&a).await.unwrap();
        assert_eq!(fake.live_containers(), std::slice::from_ref(&b));
        let shell = fake.open_shell(&a, "sh").await;
        assert!(matches!(shell, Err(RuntimeError::ContainerGone { .. })));
    }

    #[tokio::test]
    async fn the_interpreter_keeps_state_between_commands() {
        let fake = FakeRuntime::new();
        let id = fake.start_container(spec("b")).await.unwrap();
        let mut sh = fake.open_shell(&id, "bash").await.unwrap();
        let (status, lines) = run(
            &mut sh,
            "echo \"$GREETING world\" '$NOT'\nexport A=1 B=x\nC=3",
        )
        .await;
        assert_eq!(status, Ok(0));
        assert_eq!(texts(&lines, Stream::Stdout), ["hello world $NOT"]);
        let (status, lines) = run(&mut sh, "printf '%s-%d\\n' $A ${C}\nfalse").await;
        assert_eq!(
            (status, texts(&lines, Stream::Stdout)),
            (Ok(1), vec!["1-3"])
        );
        assert_eq!(run(&mut sh, "fail-with 7").await.0, Ok(7));
        let (status, lines) = run(&mut sh, "make all").await;
        assert_eq!(
            (status, texts(&lines, Stream::Stderr)),
            (Ok(127), vec!["sh: make: not found"])
        );
        run(&mut sh, "cd out\nmkdir -p deep/er\nwrite deep/f.txt $B y")
            .await
            .0
            .unwrap();
        assert_eq!(fake.file(&id, "/src/out/deep/f.txt").unwrap(), b"x y\n");
        assert_eq!(sh.read_var("B").await, Ok(Some("x".into())));
        assert_eq!(sh.read_var("NOPE").await, Ok(None));
        assert_eq!(run(&mut sh, "exit 3").await.0, Ok(3));
        assert!(matches!(
            run(&mut sh, "true").await.0,
            Err(RuntimeError::Failed { .. })
        ));
        assert_eq!(fake.commands().len(), 6);
    }

    #[tokio::test]
    async fn archives_go_in_and_come_out() {
        let fake = FakeRuntime::new();
        let id = fake.start_container(spec("b")).await.unwrap();
        fake.put_archive(&id, "/src", tar_of(&[("a.txt", "A"), ("d/b.txt", "B")]))
            .await
            .unwrap();
        let mut sh = fake.open_shell(&id, "sh").await.unwrap();
        let (_, lines) = run(&mut sh, "cat d/b.txt").await;
        assert_eq!(texts(&lines, Stream::Stdout), ["B"]);
        let file = fake.get_archive(&id, "/src/a.txt").await.unwrap().unwrap();
        assert_eq!(untar(&file), [("a.txt".into(), "A".into())]);
        let dir = fake.get_archive(&id, "/src/d").await.unwrap().unwrap();
        assert_eq!(
            untar(&dir),
            [("d".into(), "".into()), ("d/b.txt".into(), "B".into())]
        );
        assert_eq!(fake.get_archive(&id, "/src/missing").await, Ok(None));
    }

    #[tokio::test]
    async fn failures_can_be_scripted() {
        let fake = FakeRuntime::new();
        fake.set_image_unavailable("gone:1");
        let err = fake.ensure_image("gone:1").await.unwrap_err();
        assert!(matches!(err, RuntimeError::ImageUnavailable { .. }));
        let err = fake
            .start_container(ContainerSpec {
                image: "gone:1".into(),
                ..spec("x")
            })
            .await;
        assert!(matches!(err, Err(RuntimeError::ImageUnavailable { .. })));
        fake.ensure_image("img").await.unwrap();
        let id = fake.start_container(spec("b")).await.unwrap();
        fake.set_down(true);
        assert!(matches!(
            fake.ping().await,
            Err(RuntimeError::Unavailable { .. })
        ));
        assert!(matches!(
            fake.remove(&id).await,
            Err(RuntimeError::Unavailable { .. })
        ));
        fake.set_down(false);
        let labelled = ContainerSpec {
            labels: BTreeMap::from([("build".into(), "1".into())]),
            ..spec("c")
        };
        fake.start_container(labelled).await.unwrap();
        assert_eq!(fake.reap(Some(("build", "1"))).await, Ok(1));
        assert_eq!(fake.reap(None).await, Ok(1));
        assert!(fake.live_containers().is_empty());
    }

    #[tokio::test]
    async fn a_sleeping_command_ends_when_its_container_is_removed() {
        let fake = Arc::new(FakeRuntime::new());
        let id = fake.start_container(spec("b")).await.unwrap();
        let mut sh = fake.open_shell(&id, "sh").await.unwrap();
        let task = tokio::spawn(async move { run(&mut sh, "echo start\nsleep 30").await });
        fake.wait_for_command("sleep 30").await;
        fake.remove(&id).await.unwrap();
        let (status, lines) = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(status, Err(RuntimeError::ContainerGone { .. })));
        assert_eq!(texts(&lines, Stream::Stdout), ["start"]);
    }
}
