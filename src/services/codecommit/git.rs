//! Git plumbing for CodeCommit: every repository is a real bare repository, driven through the
//! `git` command-line tool (object reads and writes, trees built in a private index, ref
//! updates with compare-and-swap, zip export, tree diffs).
//!
//! Nothing here validates user input: callers pass only validated names, object ids and
//! paths. Every command runs with the system and global git configuration disabled, so the
//! host's settings never change what a repository does.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The id of the empty tree (known to every git repository without being stored).
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const ZERO_ID: &str = "0000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git could not be started: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

/// A `git` command with a clean environment (no host configuration, no prompts).
pub fn base_command() -> Command {
    let mut c = Command::new("git");
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("HOME", std::env::temp_dir());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
    ] {
        c.env_remove(var);
    }
    c
}

fn repo_command(repo: &Path) -> Command {
    let mut c = base_command();
    c.env("GIT_DIR", repo);
    c
}

fn output(mut cmd: Command, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let input = input.to_vec();
        // Written from another thread so a large input cannot dead-lock against stdout.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn run(repo: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    output(repo_command(repo), args, None)
}

fn run_in(repo: &Path, args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, GitError> {
    output(repo_command(repo), args, Some(stdin))
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// Creates a bare repository whose `HEAD` names `main`.
pub fn init_bare(path: &Path) -> Result<(), GitError> {
    let p = path.to_string_lossy().to_string();
    output(
        base_command(),
        &["init", "--bare", "--quiet", "--initial-branch=main", &p],
        None,
    )?;
    Ok(())
}

/// Whether `name` is a valid branch name by git's own rules.
pub fn valid_branch_name(name: &str) -> bool {
    !name.starts_with('-')
        && output(
            base_command(),
            &["check-ref-format", &format!("refs/heads/{name}")],
            None,
        )
        .is_ok()
}

/// Every branch and tag: full ref name -> object id.
pub fn refs(repo: &Path) -> Result<BTreeMap<String, String>, GitError> {
    let out = run(
        repo,
        &[
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/heads",
            "refs/tags",
        ],
    )?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, name)| (name.to_string(), id.to_string()))
        .collect())
}

/// The commit a branch points at.
pub fn branch_head(repo: &Path, branch: &str) -> Option<String> {
    resolve(repo, &format!("refs/heads/{branch}^{{commit}}"))
}

/// Resolves a revision expression (validated by the caller) to an object id.
pub fn resolve(repo: &Path, spec: &str) -> Option<String> {
    run(
        repo,
        &["rev-parse", "--verify", "--quiet", "--end-of-options", spec],
    )
    .ok()
    .map(text)
    .filter(|s| s.len() == 40)
}

/// The type of an object (`commit`, `tree`, `blob`, `tag`), or `None` when it is absent.
pub fn object_type(repo: &Path, id: &str) -> Option<String> {
    run(repo, &["cat-file", "-t", id]).ok().map(text)
}

pub fn object_size(repo: &Path, id: &str) -> Result<u64, GitError> {
    Ok(text(run(repo, &["cat-file", "-s", id])?)
        .parse()
        .unwrap_or(0))
}

pub fn read_blob(repo: &Path, id: &str) -> Result<Vec<u8>, GitError> {
    run(repo, &["cat-file", "blob", id])
}

/// A person line of a commit, with git's raw date (`1767398400 +0000`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub date: String,
}

impl Person {
    /// The date in epoch seconds.
    pub fn epoch_seconds(&self) -> i64 {
        self.date
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The date as ISO 8601 in UTC (`2026-03-01T10:15:30Z`).
    pub fn iso8601(&self) -> String {
        chrono::DateTime::from_timestamp(self.epoch_seconds(), 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitObject {
    pub id: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub author: Person,
    pub committer: Person,
    pub message: String,
}

fn parse_person(s: &str) -> Person {
    // `Name <email> 1767398400 +0000`
    let (name, rest) = s.split_once('<').unwrap_or((s, ""));
    let (email, date) = rest.split_once('>').unwrap_or((rest, ""));
    Person {
        name: name.trim().to_string(),
        email: email.trim().to_string(),
        date: date.trim().to_string(),
    }
}

/// Parses a raw commit object.
pub fn parse_commit(id: &str, raw: &[u8]) -> CommitObject {
    let raw = String::from_utf8_lossy(raw);
    let (head, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut c = CommitObject {
        id: id.to_string(),
        message: message.to_string(),
        ..Default::default()
    };
    for line in head.lines() {
        if let Some(v) = line.strip_prefix("tree ") {
            c.tree = v.to_string();
        } else if let Some(v) = line.strip_prefix("parent ") {
            c.parents.push(v.to_string());
        } else if let Some(v) = line.strip_prefix("author ") {
            c.author = parse_person(v);
        } else if let Some(v) = line.strip_prefix("committer ") {
            c.committer = parse_person(v);
        }
    }
    c
}

/// Reads a commit; `None` when `id` is not a commit of this repository.
pub fn read_commit(repo: &Path, id: &str) -> Option<CommitObject> {
    let raw = run(repo, &["cat-file", "commit", id]).ok()?;
    Some(parse_commit(id, &raw))
}

/// One entry of a tree listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: String,
    pub kind: String,
    pub id: String,
    /// Relative to the listed tree.
    pub path: String,
}

/// Lists a tree (by id), one level or recursively.
pub fn ls_tree(repo: &Path, tree: &str, recursive: bool) -> Result<Vec<TreeEntry>, GitError> {
    let mut args = vec!["ls-tree", "-z"];
    if recursive {
        args.push("-r");
    }
    args.push(tree);
    let out = run(repo, &args)?;
    Ok(out
        .split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .filter_map(|rec| {
            let rec = String::from_utf8_lossy(rec);
            let (meta, path) = rec.split_once('\t')?;
            let mut parts = meta.split(' ');
            Some(TreeEntry {
                mode: parts.next()?.to_string(),
                kind: parts.next()?.to_string(),
                id: parts.next()?.to_string(),
                path: path.to_string(),
            })
        })
        .collect())
}

/// The entry at `path` in a commit's tree (`None` when absent).
pub fn entry_at(repo: &Path, commit: &str, path: &str) -> Option<TreeEntry> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, path),
    };
    let tree = match dir {
        Some(d) => resolve(repo, &format!("{commit}:{d}"))?,
        None => resolve(repo, &format!("{commit}^{{tree}}"))?,
    };
    if object_type(repo, &tree).as_deref() != Some("tree") {
        return None;
    }
    ls_tree(repo, &tree, false)
        .ok()?
        .into_iter()
        .find(|e| e.path == name)
}

/// Stores bytes as a blob; returns its id.
pub fn write_blob(repo: &Path, bytes: &[u8]) -> Result<String, GitError> {
    Ok(text(run_in(
        repo,
        &["hash-object", "-w", "--stdin"],
        bytes,
    )?))
}

/// A change to a tree: put (mode, blob id) at a path, or remove the path.
#[derive(Debug, Clone)]
pub enum TreeEdit {
    Put {
        path: String,
        mode: String,
        blob: String,
    },
    Remove {
        path: String,
    },
}

/// Builds the tree of `parent` with `edits` applied, in a private index file.
pub fn build_tree(
    repo: &Path,
    parent: Option<&str>,
    edits: &[TreeEdit],
) -> Result<String, GitError> {
    let index = repo.join(format!("simfra-index-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let with_index = |args: &[&str], stdin: Option<&[u8]>| {
            let mut c = repo_command(repo);
            c.env("GIT_INDEX_FILE", &index);
            output(c, args, stdin)
        };
        match parent {
            Some(p) => with_index(&["read-tree", p], None)?,
            None => with_index(&["read-tree", "--empty"], None)?,
        };
        let mut info = Vec::new();
        for e in edits {
            match e {
                TreeEdit::Put { path, mode, blob } => {
                    info.extend_from_slice(format!("{mode} {blob}\t{path}").as_bytes())
                }
                TreeEdit::Remove { path } => {
                    info.extend_from_slice(format!("0 {ZERO_ID}\t{path}").as_bytes())
                }
            }
            info.push(0);
        }
        if !info.is_empty() {
            with_index(&["update-index", "-z", "--index-info"], Some(&info))?;
        }
        Ok(text(with_index(&["write-tree"], None)?))
    })();
    let _ = std::fs::remove_file(&index);
    result
}

/// Writes a commit object.
pub fn commit_tree(
    repo: &Path,
    tree: &str,
    parents: &[&str],
    message: &str,
    name: &str,
    email: &str,
) -> Result<String, GitError> {
    let mut c = repo_command(repo);
    c.env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email);
    let mut args = vec!["commit-tree", tree];
    for p in parents {
        args.push("-p");
        args.push(p);
    }
    args.extend(["-F", "-"]);
    Ok(text(output(c, &args, Some(message.as_bytes()))?))
}

/// Moves `refname` to `new` only if it is still at `old` (`None`: must not exist yet).
/// `false` when another writer moved it first.
pub fn update_ref(repo: &Path, refname: &str, new: &str, old: Option<&str>) -> bool {
    run(repo, &["update-ref", refname, new, old.unwrap_or(ZERO_ID)]).is_ok()
}

/// Deletes `refname` if it is still at `old`.
pub fn delete_ref(repo: &Path, refname: &str, old: &str) -> bool {
    run(repo, &["update-ref", "-d", refname, old]).is_ok()
}

/// Points `HEAD` (what a clone checks out) at a branch.
pub fn set_head(repo: &Path, branch: &str) -> Result<(), GitError> {
    run(
        repo,
        &["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")],
    )?;
    Ok(())
}

/// Writes a zip of the tree at `commit` (no `.git`) to `out`.
pub fn archive_zip(repo: &Path, commit: &str, out: &Path) -> Result<(), GitError> {
    let out = out.to_string_lossy().to_string();
    run(repo, &["archive", "--format=zip", "-o", &out, commit])?;
    Ok(())
}

/// A full clone of `repo` into the empty directory `dest`, checked out at `commit` with a
/// detached HEAD, its `origin` remote pointing at `origin` (the URL a build reaches the
/// repository at). The clone's branches are `origin`'s, as after any clone.
pub fn clone_at(repo: &Path, commit: &str, dest: &Path, origin: &str) -> Result<(), GitError> {
    let src = repo.to_string_lossy().to_string();
    let dst = dest.to_string_lossy().to_string();
    output(
        base_command(),
        &["clone", "--quiet", "--no-checkout", "--", &src, &dst],
        None,
    )?;
    output(
        base_command(),
        &["-C", &dst, "checkout", "--quiet", "--detach", commit],
        None,
    )?;
    output(
        base_command(),
        &["-C", &dst, "remote", "set-url", "--", "origin", origin],
        None,
    )?;
    Ok(())
}

/// One changed path between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: char,
    pub old_mode: String,
    pub new_mode: String,
    pub old_id: String,
    pub new_id: String,
    pub path: String,
}

/// The changes from tree-ish `before` to `after`, recursively, without rename detection.
pub fn diff_trees(repo: &Path, before: &str, after: &str) -> Result<Vec<Change>, GitError> {
    let out = run(
        repo,
        &[
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--no-commit-id",
            before,
            after,
        ],
    )?;
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let Some(meta) = fields.next() {
        let meta = String::from_utf8_lossy(meta);
        let Some(path) = fields.next() else { break };
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        if parts.len() < 5 {
            continue;
        }
        changes.push(Change {
            old_mode: parts[0].to_string(),
            new_mode: parts[1].to_string(),
            old_id: parts[2].to_string(),
            new_id: parts[3].to_string(),
            status: parts[4].chars().next().unwrap_or('M'),
            path: String::from_utf8_lossy(path).to_string(),
        });
    }
    Ok(changes)
}

/// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
pub fn is_ancestor(repo: &Path, ancestor: &str, descendant: &str) -> bool {
    run(repo, &["merge-base", "--is-ancestor", ancestor, descendant]).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_objects_parse() {
        let raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent aaaa\nauthor Ann Lee <ann@example.com> 1767398400 +0000\ncommitter Bo <bo@example.com> 1767398401 +0100\n\nFirst line\n\nbody\n";
        let c = parse_commit("x", raw);
        assert_eq!(c.tree, EMPTY_TREE);
        assert_eq!(c.parents, vec!["aaaa"]);
        assert_eq!(c.author.name, "Ann Lee");
        assert_eq!(c.author.email, "ann@example.com");
        assert_eq!(c.author.date, "1767398400 +0000");
        assert_eq!(c.author.iso8601(), "2026-01-03T00:00:00Z");
        assert_eq!(c.committer.date, "1767398401 +0100");
        assert_eq!(c.message, "First line\n\nbody\n");
    }

    #[test]
    fn trees_commits_and_refs_round_trip() {
        let dir = std::env::temp_dir().join(format!("simfra-git-{}", uuid::Uuid::new_v4()));
        init_bare(&dir).unwrap();
        let blob = write_blob(&dir, b"hello\n").unwrap();
        let tree = build_tree(
            &dir,
            None,
            &[TreeEdit::Put {
                path: "a/b.txt".into(),
                mode: "100644".into(),
                blob: blob.clone(),
            }],
        )
        .unwrap();
        let c1 = commit_tree(&dir, &tree, &[], "one\n", "T", "t@example.com").unwrap();
        assert!(update_ref(&dir, "refs/heads/main", &c1, None));
        assert!(!update_ref(&dir, "refs/heads/main", &c1, None));
        assert_eq!(branch_head(&dir, "main").as_deref(), Some(c1.as_str()));
        let e = entry_at(&dir, &c1, "a/b.txt").unwrap();
        assert_eq!(e.id, blob);
        assert!(entry_at(&dir, &c1, "a/c.txt").is_none());
        let changes = diff_trees(&dir, EMPTY_TREE, &c1).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].status, 'A');
        assert_eq!(changes[0].path, "a/b.txt");
        assert!(valid_branch_name("feature/x"));
        assert!(!valid_branch_name("bad..name"));
        assert!(!valid_branch_name("-x"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
