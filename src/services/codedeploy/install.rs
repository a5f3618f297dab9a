//! The Install lifecycle event as a POSIX `sh` script, pure: from the AppSpec's `files` and
//! `permissions`, the bundle's file list and the deployment's fileExistsBehavior, the commands
//! that put the revision in place on a target. Only `/bin/sh` built-ins and the coreutils every
//! Debian or busybox image has (`test`, `mkdir`, `cp`, `rm`, `rmdir`, `chmod`, `chown`, `chgrp`)
//! are used, and every path is single-quoted.
//!
//! What the script does, in the CodeDeploy agent's order:
//! 1. removes what the previous deployment of the group installed on the target (its record,
//!    passed in as `previously_installed`): files, then the directories it created if they are
//!    empty, newest first. So a file the last revision installed never blocks DISALLOW, and a
//!    file the new revision dropped does not linger;
//! 2. with DISALLOW, fails before copying anything if a destination file exists ("The
//!    deployment failed because a specified file already exists at this location: ...");
//! 3. creates missing directories and copies each file (`cp -p`); OVERWRITE replaces what is
//!    there, RETAIN keeps it and copies nothing;
//! 4. applies `permissions` (`chmod`, then `chown`/`chgrp`) to what this deployment created:
//!    an `object` that is an installed file, or the installed files and created directories
//!    below an `object` directory that match `pattern` (`**` = any depth, otherwise a `*` glob
//!    on the names directly inside it), are not in `except`, and have a listed `type`;
//! 5. records every file it copied and directory it created (directories with a trailing `/`),
//!    one logical path a line, in `installed-files.txt` beside the archive, for step 1 of the
//!    next deployment ([`parse_record`] reads it back).
//!
//! `files` semantics are the agent's: `destination` is a directory; a file `source` lands in it
//! under its own name, a directory `source` (or `/`, the whole bundle) has its contents copied
//! into it, recursively.
//!
//! Not here: running the script, extracting the bundle, `acls` and SELinux `context` (refused:
//! setfacl/semanage are not in a busybox image), symbolic links in the bundle (copied as the
//! files they point to), Windows targets (refused).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::appspec::{AppSpec, Os, Permission, PermissionType};
use super::model::FileExistsBehavior;

/// The record of what a deployment installed, beside its `deployment-archive` directory.
pub const RECORD_FILE: &str = "installed-files.txt";

/// Everything the Install step needs.
#[derive(Debug, Clone)]
pub struct Install<'a> {
    pub appspec: &'a AppSpec,
    /// Where the bundle is extracted on the target, absolute:
    /// `/opt/codedeploy-agent/deployment-root/<group id>/<deployment id>/deployment-archive`.
    pub archive_dir: &'a str,
    /// The deployment's `fileExistsBehavior` (DISALLOW: fail; OVERWRITE: replace; RETAIN: keep
    /// the file on the target and skip the copy).
    pub file_exists_behavior: FileExistsBehavior,
    /// The bundle's entries relative to its root, as listed on the host: files, and
    /// directories with a trailing `/` (only needed for empty ones).
    pub bundle_files: &'a [String],
    /// The lines of the record the previous deployment of this group to this target wrote.
    pub previously_installed: &'a [String],
    /// Prepended to every target path that comes from the AppSpec (destinations, permission
    /// objects, the previous record), so tests can install under a temporary directory; empty
    /// on a real target. Recorded paths never include it.
    pub root_prefix: &'a str,
}

/// Why the Install step cannot be planned; `message` is the lifecycle event's diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallError {
    pub message: String,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InstallError {}

fn err<T>(message: impl Into<String>) -> Result<T, InstallError> {
    Err(InstallError {
        message: message.into(),
    })
}

/// The record file of the deployment whose archive is `archive_dir`.
pub fn record_path(archive_dir: &str) -> String {
    let archive = archive_dir.trim_end_matches('/');
    match archive.rsplit_once('/') {
        Some(("", _)) => format!("/{RECORD_FILE}"),
        Some((parent, _)) => format!("{parent}/{RECORD_FILE}"),
        None => RECORD_FILE.to_string(),
    }
}

/// The entries of a record file (blank lines dropped; names may end in spaces).
pub fn parse_record(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `path` in single quotes, for `sh`.
pub fn quote(path: &str) -> String {
    format!("'{}'", path.replace('\'', r"'\''"))
}

/// `path` without empty and `.` components; absolute paths keep their leading `/`, relative
/// ones have none. `..` must have been refused before.
fn clean(path: &str, absolute: bool) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The ancestors of an absolute path, outermost first, without `/` itself.
fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut end = 0;
    while let Some(i) = path[end + 1..].find('/') {
        end += 1 + i;
        out.push(path[..end].to_string());
    }
    out
}

fn has_line_break(path: &str) -> bool {
    path.contains(['\n', '\r', '\0'])
}

/// The bundle's files and directories, as clean relative paths.
struct Bundle {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl Bundle {
    fn new(entries: &[String]) -> Result<Bundle, InstallError> {
        let mut bundle = Bundle {
            files: BTreeSet::new(),
            dirs: BTreeSet::new(),
        };
        for entry in entries {
            if entry.split('/').any(|p| p == "..") || has_line_break(entry) {
                return err(format!(
                    "The deployment failed because the revision bundle contains an entry with an unsafe path ({entry:?})."
                ));
            }
            let path = clean(entry, false);
            if path.is_empty() {
                continue;
            }
            let mut parent = path.as_str();
            while let Some((p, _)) = parent.rsplit_once('/') {
                bundle.dirs.insert(p.to_string());
                parent = p;
            }
            if entry.ends_with('/') {
                bundle.dirs.insert(path);
            } else {
                bundle.files.insert(path);
            }
        }
        Ok(bundle)
    }

    /// The entries below `dir` ("" = the root), relative to it.
    fn below<'a>(set: &'a BTreeSet<String>, dir: &'a str) -> impl Iterator<Item = &'a str> {
        set.iter().filter_map(move |p| {
            if dir.is_empty() {
                Some(p.as_str())
            } else {
                p.strip_prefix(dir).and_then(|rest| rest.strip_prefix('/'))
            }
        })
    }
}

/// What the `files` section installs, in logical target paths.
#[derive(Default)]
struct Layout {
    /// (bundle path, destination file), in AppSpec order.
    copies: Vec<(String, String)>,
    /// Destination file -> bundle path.
    copy_targets: BTreeMap<String, String>,
    /// Directories that may need creating (parents sort before their children).
    dirs: BTreeSet<String>,
}

impl Layout {
    fn copy(&mut self, source: String, destination: String) -> Result<(), InstallError> {
        if let Some(existing) = self.copy_targets.get(&destination) {
            return err(format!(
                "The deployment failed because the application specification file specifies two source files named {source} and {existing} for the same destination ({destination}). Remove one of the source file paths from the AppSpec file, and then try again."
            ));
        }
        self.dirs.extend(ancestors(&destination));
        self.copy_targets
            .insert(destination.clone(), source.clone());
        self.copies.push((source, destination));
        Ok(())
    }

    fn mkdir(&mut self, dir: &str) {
        if dir != "/" {
            self.dirs.extend(ancestors(dir));
            self.dirs.insert(dir.to_string());
        }
    }

    fn build(appspec: &AppSpec, bundle: &Bundle) -> Result<Layout, InstallError> {
        let mut layout = Layout::default();
        for mapping in &appspec.files {
            mapping
                .validate()
                .map_err(|e| InstallError { message: e.message })?;
            if has_line_break(&mapping.destination) {
                return err(format!(
                    "The deployment failed because the application specification file specifies a destination with a line break ({:?}). Update the files section of the AppSpec file, and then try again.",
                    mapping.destination
                ));
            }
            let source = clean(&mapping.source, false);
            let destination = clean(&mapping.destination, true);
            if bundle.files.contains(&source) {
                let name = source.rsplit('/').next().unwrap_or(&source);
                layout.copy(source.clone(), join(&destination, name))?;
            } else if source.is_empty() || bundle.dirs.contains(&source) {
                layout.mkdir(&destination);
                for dir in Bundle::below(&bundle.dirs, &source) {
                    layout.mkdir(&join(&destination, dir));
                }
                for file in Bundle::below(&bundle.files, &source) {
                    let from = if source.is_empty() {
                        file.to_string()
                    } else {
                        format!("{source}/{file}")
                    };
                    layout.copy(from, join(&destination, file))?;
                }
            } else {
                return err(format!(
                    "The deployment failed because the specified file does not exist in the bundle: {}. Update the files section of the AppSpec file, and then try again.",
                    mapping.source
                ));
            }
        }
        if let Some((dest, source)) = layout
            .copy_targets
            .iter()
            .find(|(dest, _)| layout.dirs.contains(*dest))
        {
            return err(format!(
                "The deployment failed because the application specification file calls for installing the file {source}, but a file with that name already exists at the location ({dest}). Update your AppSpec file or directory structure, and then try again."
            ));
        }
        Ok(layout)
    }
}

/// `name` against a simple glob where `*` matches any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    // The last `*` seen and where in `name` its match currently ends.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((s, end)) = star {
            star = Some((s, end + 1));
            pi = s + 1;
            ni = end + 1;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `path` (below `object`) is selected by the permission's pattern and not excepted.
fn selects(permission: &Permission, object: &str, path: &str) -> bool {
    let base = if object == "/" {
        "/".to_string()
    } else {
        format!("{object}/")
    };
    let Some(rel) = path.strip_prefix(&base) else {
        return false;
    };
    let direct = !rel.contains('/');
    let pattern_ok = match &permission.pattern {
        None => true,
        Some(pattern) => direct && glob(pattern, rel),
    };
    pattern_ok && !(direct && permission.except.iter().any(|e| glob(e, rel)))
}

/// One object a permission applies to, and the shell condition that it was created by this
/// run (a directory that already existed, or a file RETAIN kept, is left alone).
struct Target {
    path: String,
    guard: Option<String>,
}

fn permission_targets(
    permission: &Permission,
    layout: &Layout,
    guards: &Guards,
) -> Result<Vec<Target>, InstallError> {
    let object = clean(&permission.object, true);
    let wants = |t| permission.r#type.contains(&t);
    if permission.acls.iter().any(|a| !a.trim().is_empty()) || permission.context.is_some() {
        return err(format!(
            "The deployment failed because the permissions for {} set acls or an SELinux context, which this emulator does not apply yet (setfacl and semanage are not available in its target images). Remove them from the permissions section of the AppSpec file, and then try again.",
            permission.object
        ));
    }
    if layout.copy_targets.contains_key(&object) {
        if !wants(PermissionType::File) {
            return Ok(vec![]);
        }
        if let Some(pattern) = &permission.pattern {
            return err(format!(
                "The deployment failed because the application specification file includes an object ({}) with an invalid pattern ({pattern}), such as a pattern for a file applied to a directory. Correct the permissions section of the AppSpec file, and then try again.",
                permission.object
            ));
        }
        if !permission.except.is_empty() {
            return err(format!(
                "The deployment failed because the except parameter for a pattern in the permissions section ([{}]) for the object named {} contains an invalid format. Update the AppSpec file, and then try again.",
                permission.except.join(", "),
                permission.object
            ));
        }
        return Ok(vec![Target {
            guard: guards.file(&object),
            path: object,
        }]);
    }
    let mut out = Vec::new();
    if wants(PermissionType::File) {
        for (_, dest) in &layout.copies {
            if selects(permission, &object, dest) {
                out.push(Target {
                    path: dest.clone(),
                    guard: guards.file(dest),
                });
            }
        }
    }
    if wants(PermissionType::Directory) {
        for dir in &layout.dirs {
            if selects(permission, &object, dir) {
                out.push(Target {
                    path: dir.clone(),
                    guard: guards.dir(dir),
                });
            }
        }
    }
    Ok(out)
}

/// Shell variables set when the script creates a directory (`made_N`) or, under RETAIN,
/// copies a file (`copied_N`).
struct Guards {
    dirs: BTreeMap<String, usize>,
    retained_files: Option<BTreeMap<String, usize>>,
}

impl Guards {
    fn dir(&self, dir: &str) -> Option<String> {
        self.dirs
            .get(dir)
            .map(|i| format!("[ \"${{made_{i}:-}}\" = 1 ]"))
    }
    fn file(&self, file: &str) -> Option<String> {
        let files = self.retained_files.as_ref()?;
        files
            .get(file)
            .map(|i| format!("[ \"${{copied_{i}:-}}\" = 1 ]"))
    }
}

fn guarded(guard: &Option<String>, command: String) -> String {
    match guard {
        Some(condition) => format!("if {condition}; then {command}; fi"),
        None => command,
    }
}

/// `sh` has no way to tell an owner name from an option or a `user:group` pair: refuse those.
fn check_name(kind: &str, name: &str, object: &str) -> Result<(), InstallError> {
    if name.is_empty() || name.starts_with('-') || name.contains([':', '\n', '\r', '\0']) {
        return err(format!(
            "The deployment failed because the permissions for {object} specify an invalid {kind} ({name}). Update the permissions section of the AppSpec file, and then try again."
        ));
    }
    Ok(())
}

/// The Install step's script, one command a line (run with `sh -c` joined by newlines, or
/// written to a file); the first line is `set -e`.
pub fn install_script(req: &Install<'_>) -> Result<Vec<String>, InstallError> {
    if req.appspec.os == Os::Windows {
        return err("The deployment failed because the application specification file specifies os: windows, but this emulator installs revisions only on Linux targets. Use os: linux, and then try again.");
    }
    if !req.archive_dir.starts_with('/')
        || !(req.root_prefix.is_empty() || req.root_prefix.starts_with('/'))
    {
        return err(format!(
            "internal error: the archive directory ({}) and the root prefix ({}) must be absolute",
            req.archive_dir, req.root_prefix
        ));
    }
    if let FileExistsBehavior::Unknown(other) = &req.file_exists_behavior {
        return err(format!(
            "The deployment failed because an invalid option was specified for fileExistsBehavior: {other}. Valid options include OVERWRITE, RETAIN, and DISALLOW."
        ));
    }
    let bundle = Bundle::new(req.bundle_files)?;
    let layout = Layout::build(req.appspec, &bundle)?;
    let prefix = req.root_prefix.trim_end_matches('/');
    let on_target = |path: &str| quote(&format!("{prefix}{path}"));
    let archive = req.archive_dir.trim_end_matches('/');
    let record = quote(&record_path(req.archive_dir));
    let retain = req.file_exists_behavior == FileExistsBehavior::Retain;
    let guards = Guards {
        dirs: layout
            .dirs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), i))
            .collect(),
        retained_files: retain.then(|| {
            layout
                .copies
                .iter()
                .enumerate()
                .map(|(i, (_, d))| (d.clone(), i))
                .collect()
        }),
    };

    let mut script = vec!["set -e".to_string()];

    // 1. What the previous deployment installed goes, newest first.
    for entry in req.previously_installed.iter().rev() {
        let is_dir = entry.ends_with('/');
        if !entry.starts_with('/') || entry.split('/').any(|p| p == "..") || has_line_break(entry) {
            continue;
        }
        let path = clean(entry, true);
        if path == "/" {
            continue;
        }
        let p = on_target(&path);
        script.push(if is_dir {
            format!("rmdir {p} 2>/dev/null || true")
        } else {
            format!("if [ ! -d {p} ] || [ -h {p} ]; then rm -f {p}; fi")
        });
    }
    script.push(format!(": > {record}"));

    // 2. DISALLOW: nothing is copied if any destination file is taken.
    if req.file_exists_behavior == FileExistsBehavior::Disallow {
        for (_, dest) in &layout.copies {
            let p = on_target(dest);
            let message = quote(&format!(
                "The deployment failed because a specified file already exists at this location: {dest}"
            ));
            script.push(format!(
                "if [ -e {p} ] || [ -h {p} ]; then printf '%s\\n' {message} >&2; exit 1; fi"
            ));
        }
    }

    // 3. Directories, then files.
    for (dir, i) in &guards.dirs {
        let p = on_target(dir);
        let logged = quote(&format!("{dir}/"));
        script.push(format!(
            "if [ ! -d {p} ]; then mkdir {p}; printf '%s\\n' {logged} >> {record}; made_{i}=1; fi"
        ));
    }
    for (i, (source, dest)) in layout.copies.iter().enumerate() {
        let from = quote(&format!("{archive}/{source}"));
        let p = on_target(dest);
        let logged = quote(dest);
        let copy = format!("cp -p {from} {p}; printf '%s\\n' {logged} >> {record}");
        script.push(match &req.file_exists_behavior {
            FileExistsBehavior::Overwrite => format!("rm -f {p}; {copy}"),
            FileExistsBehavior::Retain => {
                format!("if [ ! -e {p} ] && [ ! -h {p} ]; then {copy}; copied_{i}=1; fi")
            }
            _ => copy,
        });
    }

    // 4. Permissions, each object at most once.
    let mut seen = BTreeSet::new();
    for permission in &req.appspec.permissions {
        let targets = permission_targets(permission, &layout, &guards)?;
        if let Some(owner) = &permission.owner {
            check_name("owner", owner, &permission.object)?;
        }
        if let Some(group) = &permission.group {
            check_name("group", group, &permission.object)?;
        }
        for target in targets {
            if !seen.insert(target.path.clone()) {
                return err(format!(
                    "The deployment failed because the permissions setting for ({}) is specified more than once in the application specification file. Update the permissions section of the AppSpec file, and then try again.",
                    target.path
                ));
            }
            let p = on_target(&target.path);
            if let Some(mode) = &permission.mode {
                script.push(guarded(&target.guard, format!("chmod {mode} {p}")));
            }
            let chown = match (&permission.owner, &permission.group) {
                (Some(o), Some(g)) => Some(format!("chown {} {p}", quote(&format!("{o}:{g}")))),
                (Some(o), None) => Some(format!("chown {} {p}", quote(o))),
                (None, Some(g)) => Some(format!("chgrp {} {p}", quote(g))),
                (None, None) => None,
            };
            if let Some(command) = chown {
                script.push(guarded(&target.guard, command));
            }
        }
    }
    Ok(script)
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
