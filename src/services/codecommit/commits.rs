//! Commits made through the API: PutFile, DeleteFile and CreateCommit. Each one reads the
//! branch tip's file list, applies the requested changes in memory (so conflicts are answered
//! with CodeCommit's errors), writes a real commit and moves the branch with a compare-and-swap:
//! a writer that lost a race gets `ParentCommitIdOutdatedException`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use base64::Engine;

use super::errors::{Code, CodeCommitError as E, Result};
use super::git::{self, TreeEdit};
use super::handlers::blocking;
use super::model::*;
use super::state::RepoRecord;
use super::{validate, CodeCommit};
use crate::protocol::{AwsEnum, JsonService, RequestContext};

const MAX_FILE_BYTES: usize = 6 * 1024 * 1024;
const MAX_ENTRIES: usize = 100;

pub fn register(json: JsonService, svc: &Arc<CodeCommit>) -> JsonService {
    let j = blocking(json, "PutFile", svc, put_file);
    let j = blocking(j, "DeleteFile", svc, delete_file);
    blocking(j, "CreateCommit", svc, create_commit)
}

/// `path -> (git mode, object id)` of every file (and submodule) of a tree.
type Files = BTreeMap<String, (String, String)>;

/// Who writes the commit and what it says.
struct Authorship {
    name: String,
    email: String,
    message: String,
}

fn authorship(
    ctx: &RequestContext,
    name: Option<String>,
    email: Option<String>,
    message: Option<String>,
) -> Result<Authorship> {
    let name = name.filter(|n| !n.is_empty()).unwrap_or_else(|| {
        ctx.caller_arn()
            .rsplit([':', '/'])
            .next()
            .unwrap_or("root")
            .to_string()
    });
    if name.chars().count() > 1024 || name.contains(['<', '>', '\n']) {
        return Err(E::new(
            Code::NameLengthExceeded,
            "The name is too long or not valid.",
        ));
    }
    let email = email.unwrap_or_default();
    if !email.is_empty() && (!email.contains('@') || email.contains(['<', '>', '\n', ' '])) {
        return Err(E::new(
            Code::InvalidEmail,
            format!("The email address '{email}' is not valid."),
        ));
    }
    let mut message = message.unwrap_or_default();
    // Git's convention (and what GetCommit shows for AWS's commits): a final newline.
    if !message.is_empty() && !message.ends_with('\n') {
        message.push('\n');
    }
    if message.len() > 100 * 1024 {
        return Err(E::new(
            Code::CommitMessageLengthExceeded,
            "The commit message is longer than 100 KB.",
        ));
    }
    Ok(Authorship {
        name,
        email,
        message,
    })
}

/// The commit the new one builds on, after CodeCommit's parent checks. `None`: a root commit.
fn parent_of(
    dir: &Path,
    r: &RepoRecord,
    branch: &str,
    head: Option<&str>,
    parent: Option<&str>,
) -> Result<Option<String>> {
    let parent = parent.filter(|p| !p.is_empty());
    let check = |p: &str| -> Result<String> {
        if !validate::is_object_id(p) {
            return Err(E::new(
                Code::InvalidParentCommitId,
                format!("The parent commit id '{p}' is not valid."),
            ));
        }
        let p = p.to_ascii_lowercase();
        if git::read_commit(dir, &p).is_none() {
            return Err(E::new(
                Code::ParentCommitDoesNotExist,
                format!(
                    "The parent commit {p} does not exist in the repository {}",
                    r.name
                ),
            ));
        }
        Ok(p)
    };
    match (head, parent) {
        (Some(head), Some(p)) => {
            let p = check(p)?;
            if p != head {
                return Err(E::new(
                    Code::ParentCommitIdOutdated,
                    format!("The parent commit id {p} is not the tip of branch {branch} ({head}); get the latest commit and try again."),
                ));
            }
            Ok(Some(p))
        }
        (Some(_), None) => Err(E::new(
            Code::ParentCommitIdRequired,
            format!("A parent commit id is required: the branch {branch} already has commits."),
        )),
        (None, Some(p)) => check(p).map(Some),
        (None, None) => {
            let has_branches = git::refs(dir)?.keys().any(|k| k.starts_with("refs/heads/"));
            if has_branches {
                Err(E::new(
                    Code::ParentCommitIdRequired,
                    format!("A parent commit id is required to create the branch {branch} in a repository that has commits."),
                ))
            } else {
                Ok(None)
            }
        }
    }
}

fn files_of(dir: &Path, commit: Option<&str>) -> Result<Files> {
    let Some(c) = commit else {
        return Ok(Files::new());
    };
    Ok(git::ls_tree(dir, c, true)?
        .into_iter()
        .map(|e| (e.path, (e.mode, e.id)))
        .collect())
}

/// CodeCommit's errors for a file set where a file would sit where a folder is, or inside a
/// file.
fn check_conflicts(files: &Files, written: &BTreeSet<String>) -> Result<()> {
    for path in written {
        let mut prefix = String::new();
        for seg in path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|x| x.1)
            .unwrap_or(&[])
        {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(seg);
            if files.contains_key(&prefix) {
                return Err(E::new(
                    Code::DirectoryNameConflictsWithFileName,
                    format!("The path {path} needs a folder {prefix}, which is a file"),
                ));
            }
        }
        let folder = format!("{path}/");
        if files
            .range(folder.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&folder))
        {
            return Err(E::new(
                Code::FileNameConflictsWithDirectoryName,
                format!("The file {path} has the same name as a folder"),
            ));
        }
    }
    Ok(())
}

/// The result of writing a commit.
struct Written {
    commit: String,
    tree: String,
}

/// Writes the commit whose files are `after` (parent's were `before`) and moves the branch.
#[allow(clippy::too_many_arguments)]
fn write_commit(
    svc: &CodeCommit,
    ctx: &RequestContext,
    r: &RepoRecord,
    dir: &Path,
    branch: &str,
    parent: Option<&str>,
    before: &Files,
    after: &Files,
    who: &Authorship,
    refs_before: &BTreeMap<String, String>,
) -> Result<Written> {
    let mut edits = Vec::new();
    for (path, (mode, id)) in after {
        if before.get(path) != Some(&(mode.clone(), id.clone())) {
            edits.push(TreeEdit::Put {
                path: path.clone(),
                mode: mode.clone(),
                blob: id.clone(),
            });
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            edits.push(TreeEdit::Remove { path: path.clone() });
        }
    }
    let tree = git::build_tree(dir, parent, &edits)?;
    let parents: Vec<&str> = parent.into_iter().collect();
    let commit = git::commit_tree(dir, &tree, &parents, &who.message, &who.name, &who.email)?;
    if !git::update_ref(dir, &format!("refs/heads/{branch}"), &commit, parent) {
        return Err(E::new(
            Code::ParentCommitIdOutdated,
            format!("The branch {branch} moved while the commit was written; get the latest commit and try again."),
        ));
    }
    svc.refs_changed(r, refs_before, &super::caller(ctx));
    Ok(Written { commit, tree })
}

/// keepEmptyFolders: each folder that lost a file and is left empty keeps a `.gitkeep` file,
/// as CodeCommit does (git holds no empty folder). Folders above it are then not empty either.
/// Without it, empty folders simply vanish from git's tree.
fn keep_empty_folders(dir: &Path, before: &Files, after: &mut Files) -> Result<()> {
    let deleted: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    let mut empty_blob: Option<String> = None;
    for path in deleted {
        let Some((folder, file)) = path.rsplit_once('/') else {
            continue; // the repository's root is never removed
        };
        if file == GITKEEP {
            continue; // deleting the folder's keep file is asking for the folder to go
        }
        let prefix = format!("{folder}/");
        let occupied = after
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix));
        if occupied {
            continue;
        }
        let blob = match &empty_blob {
            Some(b) => b.clone(),
            None => empty_blob.insert(git::write_blob(dir, b"")?).clone(),
        };
        after.insert(format!("{prefix}{GITKEEP}"), ("100644".into(), blob));
    }
    Ok(())
}

const GITKEEP: &str = ".gitkeep";

fn decode_content(b64: &str) -> Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| E::Validation(format!("The file content is not valid base64: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(E::new(
            Code::FileContentSizeLimitExceeded,
            "The file is larger than 6 MB.",
        ));
    }
    Ok(bytes)
}

fn file_mode(mode: &Option<FileMode>) -> Result<Option<FileMode>> {
    match mode {
        Some(m) if !m.is_known() => Err(E::new(
            Code::InvalidFileMode,
            format!("The file mode '{m}' is not valid: use EXECUTABLE, NORMAL or SYMLINK."),
        )),
        other => Ok(other.clone()),
    }
}

fn metadata(path: &str, entry: &(String, String)) -> FileMetadata {
    FileMetadata {
        absolute_path: path.to_string(),
        blob_id: entry.1.clone(),
        file_mode: FileMode::of_git(&entry.0),
    }
}

fn put_file(svc: &CodeCommit, ctx: &RequestContext, input: PutFileInput) -> Result<PutFileOutput> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    let r = svc.state.require(&ctx.account_id, &ctx.region, name)?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    let path = validate::file_path(input.file_path.as_deref())?;
    let content = input
        .file_content
        .ok_or_else(|| E::new(Code::FileContentRequired, "The file content is required."))?;
    let content = decode_content(&content)?;
    let mode = file_mode(&input.file_mode)?;
    let who = authorship(ctx, input.name, input.email, input.commit_message)?;
    let dir = svc.state.dir(&r);
    let lock = svc.state.lock(&r.id);
    let _guard = lock.blocking_lock();
    let refs_before = git::refs(&dir)?;
    let head = git::branch_head(&dir, branch);
    let parent = parent_of(
        &dir,
        &r,
        branch,
        head.as_deref(),
        input.parent_commit_id.as_deref(),
    )?;
    let before = files_of(&dir, parent.as_deref())?;
    let blob = git::write_blob(&dir, &content)?;
    let git_mode = mode
        .map(|m| m.git_mode().to_string())
        .or_else(|| before.get(&path).map(|e| e.0.clone()))
        .unwrap_or_else(|| "100644".into());
    if before.get(&path) == Some(&(git_mode.clone(), blob.clone())) {
        return Err(E::new(
            Code::SameFileContent,
            format!("The file {path} already has this content and mode at the parent commit."),
        ));
    }
    let mut after = before.clone();
    after.insert(path.clone(), (git_mode, blob.clone()));
    check_conflicts(&after, &BTreeSet::from([path]))?;
    let w = write_commit(
        svc,
        ctx,
        &r,
        &dir,
        branch,
        parent.as_deref(),
        &before,
        &after,
        &who,
        &refs_before,
    )?;
    Ok(PutFileOutput {
        commit_id: w.commit,
        blob_id: blob,
        tree_id: w.tree,
    })
}

fn delete_file(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: DeleteFileInput,
) -> Result<DeleteFileOutput> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    let r = svc.state.require(&ctx.account_id, &ctx.region, name)?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    let path = validate::file_path(input.file_path.as_deref())?;
    let who = authorship(ctx, input.name, input.email, input.commit_message)?;
    let dir = svc.state.dir(&r);
    let lock = svc.state.lock(&r.id);
    let _guard = lock.blocking_lock();
    let refs_before = git::refs(&dir)?;
    let head = git::branch_head(&dir, branch).ok_or_else(|| {
        E::new(
            Code::BranchDoesNotExist,
            format!("Branch {branch} does not exist"),
        )
    })?;
    let parent = parent_of(
        &dir,
        &r,
        branch,
        Some(&head),
        input.parent_commit_id.as_deref(),
    )?;
    let before = files_of(&dir, parent.as_deref())?;
    let mut after = before.clone();
    let (_, blob) = after.remove(&path).ok_or_else(|| {
        E::new(
            Code::FileDoesNotExist,
            format!("The file {path} does not exist"),
        )
    })?;
    if input.keep_empty_folders == Some(true) {
        keep_empty_folders(&dir, &before, &mut after)?;
    }
    let w = write_commit(
        svc,
        ctx,
        &r,
        &dir,
        branch,
        parent.as_deref(),
        &before,
        &after,
        &who,
        &refs_before,
    )?;
    Ok(DeleteFileOutput {
        commit_id: w.commit,
        blob_id: blob,
        tree_id: w.tree,
        file_path: path,
    })
}

fn create_commit(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: CreateCommitInput,
) -> Result<CreateCommitOutput> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    let r = svc.state.require(&ctx.account_id, &ctx.region, name)?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    let who = authorship(ctx, input.author_name, input.email, input.commit_message)?;
    let puts = input.put_files.unwrap_or_default();
    let deletes = input.delete_files.unwrap_or_default();
    let modes = input.set_file_modes.unwrap_or_default();
    let count = puts.len() + deletes.len() + modes.len();
    if count == 0 {
        return Err(E::new(
            Code::FileEntryRequired,
            "The commit names no file to add, update, delete or change the mode of.",
        ));
    }
    if count > MAX_ENTRIES {
        return Err(E::new(
            Code::MaximumFileEntriesExceeded,
            format!("A commit may change at most {MAX_ENTRIES} files."),
        ));
    }
    // Validate every entry before touching the repository.
    let mut seen = BTreeSet::new();
    let mut same_path = |p: &str| -> Result<()> {
        if !seen.insert(p.to_string()) {
            return Err(E::new(
                Code::SamePathRequest,
                format!("The path {p} is named by more than one change in this commit."),
            ));
        }
        Ok(())
    };
    enum Put {
        Content(Vec<u8>),
        Source { path: String, is_move: bool },
    }
    let mut put_plan = Vec::new();
    for p in &puts {
        let path = validate::file_path(p.file_path.as_deref())?;
        same_path(&path)?;
        let mode = file_mode(&p.file_mode)?;
        let what = match (&p.file_content, &p.source_file) {
            (Some(_), Some(_)) => {
                return Err(E::new(
                    Code::FileContentAndSourceFileSpecified,
                    format!("The entry for {path} gives both content and a source file."),
                ))
            }
            (None, None) => {
                return Err(E::new(
                    Code::SourceFileOrContentRequired,
                    format!("The entry for {path} needs content or a source file."),
                ))
            }
            (Some(c), None) => Put::Content(decode_content(c)?),
            (None, Some(s)) => Put::Source {
                path: validate::file_path(s.file_path.as_deref())?,
                is_move: s.is_move.unwrap_or(false),
            },
        };
        put_plan.push((path, mode, what));
    }
    let mut delete_plan = Vec::new();
    for d in &deletes {
        let path = validate::file_path(d.file_path.as_deref())?;
        same_path(&path)?;
        delete_plan.push(path);
    }
    let mut mode_plan = Vec::new();
    for m in &modes {
        let path = validate::file_path(m.file_path.as_deref())?;
        same_path(&path)?;
        let mode = file_mode(&m.file_mode)?.ok_or_else(|| {
            E::new(
                Code::FileModeRequired,
                format!("The entry for {path} needs a file mode."),
            )
        })?;
        mode_plan.push((path, mode));
    }

    let dir = svc.state.dir(&r);
    let lock = svc.state.lock(&r.id);
    let _guard = lock.blocking_lock();
    let refs_before = git::refs(&dir)?;
    let head = git::branch_head(&dir, branch);
    let parent = parent_of(
        &dir,
        &r,
        branch,
        head.as_deref(),
        input.parent_commit_id.as_deref(),
    )?;
    let before = files_of(&dir, parent.as_deref())?;
    let mut after = before.clone();
    let mut written = BTreeSet::new();
    for (path, mode, what) in put_plan {
        let (existing_mode, blob) = match what {
            Put::Content(bytes) => (
                before.get(&path).map(|e| e.0.clone()),
                git::write_blob(&dir, &bytes)?,
            ),
            Put::Source { path: src, is_move } => {
                let (m, id) = before.get(&src).cloned().ok_or_else(|| {
                    E::new(
                        Code::FileDoesNotExist,
                        format!("The source file {src} does not exist"),
                    )
                })?;
                if is_move {
                    if written.contains(&src) {
                        return Err(E::new(
                            Code::PutFileEntryConflict,
                            format!("The moved file {src} is also written by this commit."),
                        ));
                    }
                    after.remove(&src);
                }
                (Some(m), id)
            }
        };
        let git_mode = mode
            .map(|m| m.git_mode().to_string())
            .or(existing_mode)
            .unwrap_or_else(|| "100644".into());
        after.insert(path.clone(), (git_mode, blob));
        written.insert(path);
    }
    for path in delete_plan {
        if after.remove(&path).is_none() {
            return Err(E::new(
                Code::FileDoesNotExist,
                format!("The file {path} does not exist"),
            ));
        }
    }
    for (path, mode) in mode_plan {
        let entry = after.get_mut(&path).ok_or_else(|| {
            E::new(
                Code::FileDoesNotExist,
                format!("The file {path} does not exist"),
            )
        })?;
        entry.0 = mode.git_mode().to_string();
    }
    if input.keep_empty_folders == Some(true) {
        keep_empty_folders(&dir, &before, &mut after)?;
    }
    check_conflicts(&after, &written)?;
    if after == before {
        return Err(E::new(
            Code::NoChange,
            "The commit changes nothing: the files are identical to the parent commit.",
        ));
    }
    let mut out = CreateCommitOutput::default();
    for (path, entry) in &after {
        match before.get(path) {
            None => out.files_added.push(metadata(path, entry)),
            Some(old) if old != entry => out.files_updated.push(metadata(path, entry)),
            _ => {}
        }
    }
    for (path, entry) in &before {
        if !after.contains_key(path) {
            out.files_deleted.push(metadata(path, entry));
        }
    }
    let w = write_commit(
        svc,
        ctx,
        &r,
        &dir,
        branch,
        parent.as_deref(),
        &before,
        &after,
        &who,
        &refs_before,
    )?;
    out.commit_id = w.commit;
    out.tree_id = w.tree;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_are_named() {
        let mut files = Files::new();
        files.insert("a".into(), ("100644".into(), "x".into()));
        files.insert("a/b".into(), ("100644".into(), "y".into()));
        let e = check_conflicts(&files, &BTreeSet::from(["a/b".to_string()])).unwrap_err();
        assert_eq!(e.code(), "DirectoryNameConflictsWithFileNameException");
        let e = check_conflicts(&files, &BTreeSet::from(["a".to_string()])).unwrap_err();
        assert_eq!(e.code(), "FileNameConflictsWithDirectoryNameException");
        files.remove("a");
        assert!(check_conflicts(&files, &BTreeSet::from(["a/b".to_string()])).is_ok());
    }
}
