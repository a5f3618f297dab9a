//! DOWNLOAD_SOURCE: fetches the build's sources on the host (pipeline input artifacts and S3
//! zips from simfra's S3, CodeCommit trees from simfra's git), copies them into the container
//! under `/codebuild/output/src<N>/`, and finds the buildspec.
//!
//! Layout in the container, as CodeBuild has it: one pipeline input (or any other primary
//! source) in `/codebuild/output/src<N>/src`; with several pipeline inputs the primary is in
//! `.../src/s3/00` and the others in `.../src/s3/01`, `.../s3/02`, each also named by
//! `CODEBUILD_SRC_DIR_<artifact name>`; secondary sources in `/codebuild/output/src<N>/<id>`
//! with `CODEBUILD_SRC_DIR_<sourceIdentifier>`.

use std::path::{Path, PathBuf};

use super::build::sanitize;
use super::{BuildJob, Runner};
use crate::engine::ports::{ObjectStore, SourceRepository};
use crate::engine::providers::codecommit::CloneRef;
use crate::runtime::ContainerRuntime;
use crate::services::codebuild::model::ProjectSource;

/// Where the sources landed, and the buildspec text (or the YAML_FILE_ERROR message).
pub(super) struct SourceLayout {
    pub src_dir: String,
    /// Variables the session exports (CODEBUILD_SRC_DIR and friends).
    pub variables: Vec<(String, String)>,
    pub resolved_source_version: Option<String>,
    pub buildspec: Result<String, String>,
    pub buildspec_location: String,
}

type Failure = (String, String);

fn client(msg: impl Into<String>) -> Failure {
    ("CLIENT_ERROR".into(), msg.into())
}

/// One source fetched on the host.
struct Fetched {
    dir: PathBuf,
    resolved: Option<String>,
}

pub(super) async fn download(
    runner: &Runner,
    job: &BuildJob,
    runtime: &dyn ContainerRuntime,
    container: &str,
) -> Result<SourceLayout, Failure> {
    let n: u32 = rand_digits();
    let base = format!("/codebuild/output/src{n}");
    let work = runner
        .config
        .work_dir
        .join(sanitize(&job.build_id))
        .join("src");
    // (host dir, container dir, variable name suffix)
    let mut placed: Vec<(PathBuf, String, Option<String>)> = Vec::new();
    let resolved: Option<String>;
    let src_dir;
    let objects = runner.objects.clone();
    let repos = runner.repos.clone();
    if let Some(io) = &job.pipeline {
        let multiple = io.inputs.len() > 1;
        let mut primary_dir = format!("{base}/src");
        let inputs = io.inputs.clone();
        let w = work.clone();
        let (account, region) = (job.account.clone(), job.region.clone());
        let endpoint = runner
            .config
            .container_endpoint
            .as_ref()
            .and_then(|e| e.get());
        let dirs = blocking(move || {
            let at = InputPlace {
                objects: objects.as_ref(),
                repos: repos.as_deref(),
                account: &account,
                region: &region,
                endpoint: endpoint.as_deref(),
            };
            inputs
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let dir = w.join(format!("in{i}"));
                    fetch_input(&at, &a.bucket, &a.key, &dir).map(|_| dir)
                })
                .collect::<Result<Vec<_>, Failure>>()
        })
        .await?;
        // The primary input goes first (s3/00).
        let mut order: Vec<usize> = (0..io.inputs.len()).collect();
        if io.primary < order.len() {
            order.remove(io.primary);
            order.insert(0, io.primary);
        }
        for (slot, i) in order.into_iter().enumerate() {
            let dir = if multiple {
                format!("{base}/src/s3/{slot:02}")
            } else {
                format!("{base}/src")
            };
            if slot == 0 {
                primary_dir = dir.clone();
            }
            placed.push((dirs[i].clone(), dir, Some(io.inputs[i].name.clone())));
        }
        if io.inputs.is_empty() {
            // Without inputs (a stage condition's Commands rule may have none) the build still
            // starts in its source directory, empty.
            let empty = work.join("empty");
            std::fs::create_dir_all(&empty)
                .map_err(|e| client(format!("preparing the source directory: {e}")))?;
            placed.push((empty, primary_dir.clone(), None));
        }
        src_dir = primary_dir;
        resolved = io.source_revision.clone();
    } else {
        let source = job.source.clone();
        let dir = work.join("primary");
        let version = job_source_version(runner, job);
        let (account, region) = (job.account.clone(), job.region.clone());
        let fetched = blocking(move || {
            fetch_source(
                objects.as_ref(),
                repos.as_deref(),
                &account,
                &region,
                &source,
                version.as_deref(),
                &dir,
            )
        })
        .await?;
        resolved = fetched.resolved;
        src_dir = format!("{base}/src");
        placed.push((fetched.dir, src_dir.clone(), None));
    }
    for (i, s) in job.secondary_sources.iter().enumerate() {
        let id = s
            .source_identifier
            .clone()
            .unwrap_or_else(|| format!("secondary{i}"));
        let (objects, repos) = (runner.objects.clone(), runner.repos.clone());
        let (account, region, source) = (job.account.clone(), job.region.clone(), s.clone());
        let dir = work.join(format!("secondary{i}"));
        let fetched = blocking(move || {
            fetch_source(
                objects.as_ref(),
                repos.as_deref(),
                &account,
                &region,
                &source,
                None,
                &dir,
            )
        })
        .await?;
        placed.push((fetched.dir, format!("{base}/{}", sanitize(&id)), Some(id)));
    }
    let mut variables = vec![("CODEBUILD_SRC_DIR".to_string(), src_dir.clone())];
    for (host, inside, name) in &placed {
        let host = host.clone();
        let at = inside.clone();
        let tar = blocking(move || tar_dir(&host, &at)).await?;
        runtime
            .put_archive(container, "/", tar)
            .await
            .map_err(|e| client(format!("copying the source into the container: {e}")))?;
        if let Some(name) = name {
            if job.pipeline.is_none() || job.pipeline.as_ref().is_some_and(|p| p.inputs.len() > 1) {
                variables.push((
                    format!("CODEBUILD_SRC_DIR_{}", env_name(name)),
                    inside.clone(),
                ));
            }
        }
    }
    if let Some(v) = &resolved {
        variables.push(("CODEBUILD_RESOLVED_SOURCE_VERSION".into(), v.clone()));
    }
    // The buildspec: inline (override or project), else a file in the primary source.
    let primary_host = placed.first().map(|p| p.0.clone());
    let (buildspec, location) = match job.buildspec.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(text) if crate::services::codebuild::buildspec::is_inline(text) => (
            Ok(text.to_string()),
            "/codebuild/readonly/buildspec.yml".to_string(),
        ),
        other => {
            let rel = other.unwrap_or("buildspec.yml").to_string();
            let shown = format!("{src_dir}/{rel}");
            let text = match (&primary_host, crate::archive::safe_relative(&rel)) {
                (Some(host), Some(rel_path)) => std::fs::read_to_string(host.join(rel_path))
                    .map_err(|_| format!("stat {shown}: no such file or directory")),
                _ => Err(format!("stat {shown}: no such file or directory")),
            };
            (text, shown)
        }
    };
    Ok(SourceLayout {
        src_dir,
        variables,
        resolved_source_version: resolved,
        buildspec,
        buildspec_location: location,
    })
}

fn job_source_version(runner: &Runner, job: &BuildJob) -> Option<String> {
    runner
        .state
        .build(&job.account, &job.region, &job.build_id)
        .and_then(|b| b.source_version)
}

/// `CODEBUILD_SRC_DIR_<name>`: the name as CodeBuild exposes it (letters, digits, `_`).
fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| client(format!("the source work stopped unexpectedly: {e}")))?
}

fn rand_digits() -> u32 {
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) % 900_000_000) + 100_000_000
}

fn fetch_zip(
    objects: &dyn ObjectStore,
    bucket: &str,
    key: &str,
    dir: &Path,
) -> Result<(), Failure> {
    let obj = get_object(objects, bucket, key, dir)?;
    unpack(obj.file, bucket, key, dir)
}

/// The object, and `dir` made ready for it.
fn get_object(
    objects: &dyn ObjectStore,
    bucket: &str,
    key: &str,
    dir: &Path,
) -> Result<crate::engine::ports::StoredObject, Failure> {
    let obj = objects.get_object(bucket, key, None).map_err(|e| {
        client(format!(
            "failed to download the source from s3://{bucket}/{key}: {e}"
        ))
    })?;
    std::fs::create_dir_all(dir).map_err(|e| client(e.to_string()))?;
    Ok(obj)
}

fn unpack(file: std::fs::File, bucket: &str, key: &str, dir: &Path) -> Result<(), Failure> {
    crate::archive::unzip_from(file, dir).map_err(|e| {
        client(format!(
            "the source s3://{bucket}/{key} could not be unpacked: {e}"
        ))
    })?;
    Ok(())
}

/// Where a pipeline input may come from.
struct InputPlace<'a> {
    objects: &'a dyn ObjectStore,
    repos: Option<&'a dyn SourceRepository>,
    account: &'a str,
    region: &'a str,
    /// simfra's endpoint as the build container reaches it: the origin of a clone.
    endpoint: Option<&'a str>,
}

/// A pipeline input artifact into `dir`: a zip is unpacked; a `CODEBUILD_CLONE_REF` document
/// becomes a full clone of the repository (history and `.git`) checked out at its commit,
/// whose `origin` is the repository's URL as the build container reaches simfra.
fn fetch_input(at: &InputPlace<'_>, bucket: &str, key: &str, dir: &Path) -> Result<(), Failure> {
    let obj = get_object(at.objects, bucket, key, dir)?;
    let mut file = obj.file;
    let reference = CloneRef::read(&mut file, obj.size)
        .map_err(|e| client(format!("reading s3://{bucket}/{key}: {e}")))?;
    if let Some(r) = reference {
        let repos = at
            .repos
            .ok_or_else(|| client("CodeCommit is not available"))?;
        let origin = match at.endpoint {
            Some(e) => format!("{e}/v1/repos/{}", r.full_repository_name),
            None => r.clone_url.clone().unwrap_or_default(),
        };
        return repos
            .clone_at(
                at.account,
                at.region,
                &r.full_repository_name,
                &r.commit_id,
                &origin,
                dir,
            )
            .map_err(|e| {
                client(format!(
                    "failed to clone {} at {}: {e}",
                    r.full_repository_name, r.commit_id
                ))
            });
    }
    unpack(file, bucket, key, dir)
}

fn fetch_source(
    objects: &dyn ObjectStore,
    repos: Option<&dyn SourceRepository>,
    account: &str,
    region: &str,
    source: &ProjectSource,
    version: Option<&str>,
    dir: &Path,
) -> Result<Fetched, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| client(e.to_string()))?;
    match source.r#type.as_str() {
        "NO_SOURCE" => Ok(Fetched {
            dir: dir.to_path_buf(),
            resolved: None,
        }),
        "S3" => {
            let location = source.location.as_deref().unwrap_or_default();
            let (bucket, key) = location
                .trim_start_matches("arn:aws:s3:::")
                .split_once('/')
                .ok_or_else(|| client(format!("invalid S3 source location: {location}")))?;
            fetch_zip(objects, bucket, key, dir)?;
            Ok(Fetched {
                dir: dir.to_path_buf(),
                resolved: None,
            })
        }
        "CODECOMMIT" => {
            let repos = repos.ok_or_else(|| client("CodeCommit is not available"))?;
            let location = source.location.as_deref().unwrap_or_default();
            let name = location
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| client(format!("invalid CodeCommit source location: {location}")))?;
            let commit = match version.map(|v| v.trim_start_matches("refs/heads/")) {
                Some(v) if v.len() == 40 && v.chars().all(|c| c.is_ascii_hexdigit()) => {
                    repos.commit(account, region, name, v)
                }
                Some(branch) if !branch.is_empty() => {
                    repos.branch_head(account, region, name, branch)
                }
                _ => repos
                    .branch_head(account, region, name, "main")
                    .or_else(|_| repos.branch_head(account, region, name, "master")),
            }
            .map_err(|e| client(format!("failed to get the source from CodeCommit: {e}")))?;
            let zip = dir.with_extension("zip");
            repos
                .export_zip(account, region, name, &commit.commit_id, &zip)
                .map_err(|e| client(e.to_string()))?;
            crate::archive::unzip_to(&zip, dir).map_err(|e| client(e.to_string()))?;
            let _ = std::fs::remove_file(&zip);
            Ok(Fetched {
                dir: dir.to_path_buf(),
                resolved: Some(commit.commit_id),
            })
        }
        other => Err(client(format!(
            "The source type {other} is not supported by simfra yet (supported: CODEPIPELINE, \
             S3, CODECOMMIT, NO_SOURCE)"
        ))),
    }
}

/// A tar archive of a directory's contents placed at the absolute path `inside`, to be
/// extracted at `/`: the daemon creates the missing parents, so no directory has to be made
/// first (one request instead of three; the benchmark showed the difference).
fn tar_dir(dir: &Path, inside: &str) -> Result<Vec<u8>, Failure> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(inside.trim_start_matches('/'), dir)
        .map_err(|e| client(format!("packing the source: {e}")))?;
    builder
        .into_inner()
        .map_err(|e| client(format!("packing the source: {e}")))
}
