//! CodeCommit source provider (AWS / Source / CodeCommit).
//!
//! When the action runs it resolves `BranchName` to its head commit (or takes the commit a
//! `sourceRevisions` override pins), writes the output artifact into the artifact store and
//! reports the revision and the variables `CommitId`, `CommitMessage`, `AuthorDate`,
//! `CommitterDate`, `BranchName` and `RepositoryName`.
//!
//! `OutputArtifactFormat`: `CODE_ZIP` (default) is a zip of the tree at the commit without
//! `.git`; `CODEBUILD_CLONE_REF` is a small JSON document naming the clone URL, branch and
//! commit ([`CloneRef`]), for a CodeBuild action to clone; any other action given one fails
//! saying so, as on AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::s3::{run_blocking, store_artifact};
use super::{ActionJob, ActionSuccess, NothingToCancel, Provider, Reporter, RunningAction};
use crate::clock::Timestamp;
use crate::engine::ports::{ObjectStore, SourceCommit, SourceRepository};
use crate::engine::records::ArtifactRevision;

/// A `CODEBUILD_CLONE_REF` artifact: the repository and commit a build clones.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloneRef {
    pub full_repository_name: String,
    pub commit_id: String,
    pub clone_url: Option<String>,
}

impl CloneRef {
    /// The largest document taken for one (they are about 250 bytes).
    pub const MAX_SIZE: u64 = 64 * 1024;

    /// The reference `bytes` hold, if they are one.
    pub fn parse(bytes: &[u8]) -> Option<CloneRef> {
        serde_json::from_slice(bytes).ok()
    }

    /// Reads the artifact's head: its clone reference, if it is one. Rewinds the file.
    pub fn read(file: &mut std::fs::File, size: u64) -> std::io::Result<Option<CloneRef>> {
        use std::io::{Read, Seek};
        if size > Self::MAX_SIZE {
            return Ok(None);
        }
        let mut head = Vec::new();
        file.take(Self::MAX_SIZE).read_to_end(&mut head)?;
        file.rewind()?;
        Ok(Self::parse(&head))
    }
}

/// The failure of an action other than CodeBuild given a clone reference (AWS: only a
/// CodeBuild action can consume one), or `Ok` for any other artifact. `object` is the
/// artifact's stored object, opened by the consumer (and left rewound).
pub fn refuse_clone_ref(
    artifact: &crate::engine::records::ArtifactLocation,
    object: &mut crate::engine::ports::StoredObject,
    action: &str,
) -> Result<(), (String, String)> {
    match CloneRef::read(&mut object.file, object.size) {
        Ok(Some(r)) => Err((
            "JobFailed".to_string(),
            format!(
                "The input artifact {} is a CODEBUILD_CLONE_REF reference to {} at {}: only a \
                 CodeBuild action can use it, not {action}",
                artifact.name, r.full_repository_name, r.commit_id
            ),
        )),
        _ => Ok(()),
    }
}

pub struct CodeCommitSource {
    pub repositories: Arc<dyn SourceRepository>,
    pub objects: Arc<dyn ObjectStore>,
    /// Scratch space for artifacts on their way to the store.
    pub work_dir: PathBuf,
}

fn config_error(message: String) -> (String, String) {
    ("ConfigurationError".to_string(), message)
}

fn iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Provider for CodeCommitSource {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let repos = self.repositories.clone();
        let objects = self.objects.clone();
        let work = self.work_dir.join(&job.action_execution_id);
        run_blocking(reporter, move || {
            let result = run(repos.as_ref(), objects.as_ref(), &job, &work);
            let _ = std::fs::remove_dir_all(&work);
            result
        });
        Box::new(NothingToCancel)
    }
}

fn run(
    repos: &dyn SourceRepository,
    objects: &dyn ObjectStore,
    job: &ActionJob,
    work: &std::path::Path,
) -> Result<ActionSuccess, (String, String)> {
    let (account, region) = (&job.key.account, &job.key.region);
    let repository = job
        .configuration
        .get("RepositoryName")
        .cloned()
        .ok_or_else(|| config_error("RepositoryName is not set".into()))?;
    let branch = job
        .configuration
        .get("BranchName")
        .cloned()
        .ok_or_else(|| config_error("BranchName is not set".into()))?;
    let format = job
        .configuration
        .get("OutputArtifactFormat")
        .map(String::as_str)
        .unwrap_or("CODE_ZIP");
    let failed = |e: crate::engine::ports::PortError| ("JobFailed".to_string(), e.to_string());
    let commit: SourceCommit = match job.source_override.as_ref() {
        Some((kind, value)) if kind == "COMMIT_ID" => repos
            .commit(account, region, &repository, value)
            .map_err(failed)?,
        _ => repos
            .branch_head(account, region, &repository, &branch)
            .map_err(failed)?,
    };
    std::fs::create_dir_all(work).map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
    let file = work.join("artifact");
    match format {
        "CODE_ZIP" => repos
            .export_zip(account, region, &repository, &commit.commit_id, &file)
            .map_err(failed)?,
        "CODEBUILD_CLONE_REF" => {
            let doc = serde_json::json!({
                "AccountId": account,
                "FullRepositoryName": repository,
                "CloneUrl": repos.clone_url(account, region, &repository),
                "CommitId": commit.commit_id,
                "BranchName": branch,
            });
            std::fs::write(&file, doc.to_string())
                .map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
        }
        other => {
            return Err(config_error(format!(
                "OutputArtifactFormat must be CODE_ZIP or CODEBUILD_CLONE_REF, not {other}"
            )))
        }
    }
    let mut opened =
        std::fs::File::open(&file).map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
    store_artifact(objects, job, 0, &mut opened)?;
    Ok(success(job, &repository, &branch, &commit))
}

fn success(
    job: &ActionJob,
    repository: &str,
    branch: &str,
    commit: &SourceCommit,
) -> ActionSuccess {
    let mut vars = BTreeMap::new();
    vars.insert("CommitId".to_string(), commit.commit_id.clone());
    vars.insert("CommitMessage".to_string(), commit.message.clone());
    vars.insert("AuthorDate".to_string(), iso(commit.author_date));
    vars.insert("CommitterDate".to_string(), iso(commit.committer_date));
    vars.insert("BranchName".to_string(), branch.to_string());
    vars.insert("RepositoryName".to_string(), repository.to_string());
    ActionSuccess {
        summary: Some(commit.message.clone()),
        external_execution_id: Some(commit.commit_id.clone()),
        output_variables: vars,
        revision: Some(ArtifactRevision {
            name: job
                .output_artifacts
                .first()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            action_name: job.action.name.clone(),
            revision_id: commit.commit_id.clone(),
            revision_change_identifier: Some(commit.commit_id.clone()),
            revision_summary: Some(commit.message.clone()),
            created: Some(Timestamp(commit.committer_date * 1000)),
            revision_url: None,
        }),
        ..Default::default()
    }
}
