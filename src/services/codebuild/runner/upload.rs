//! UPLOAD_ARTIFACTS: copies the source directory out of the container, chooses the files the
//! buildspec's `artifacts` (and `secondary-artifacts`) name, zips them and stores them in S3:
//! in the pipeline's artifact store for a pipeline build (each output artifact by name: the
//! secondary artifact with that identifier, else the top-level artifacts for the first
//! output), else where the project's `artifacts` say (`location`, `path`, `namespaceType`,
//! `name`, `packaging`).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use md5::Digest as _;

use super::build::sanitize;
use super::{BuildJob, Runner};
use crate::engine::ports::ObjectHeaders;
use crate::runtime::ContainerRuntime;
use crate::services::codebuild::artifacts::{self, Selected};
use crate::services::codebuild::buildspec::ArtifactsSpec;
use crate::services::codebuild::model::{BuildArtifacts, ProjectArtifacts};

type Failure = (String, String);

fn client(msg: impl Into<String>) -> Failure {
    ("CLIENT_ERROR".into(), msg.into())
}

#[derive(Debug, Default)]
pub(super) struct Uploaded {
    pub primary: BuildArtifacts,
    pub secondary: Vec<BuildArtifacts>,
}

/// Where one artifact goes.
struct Target {
    identifier: Option<String>,
    spec: ArtifactsSpec,
    bucket: String,
    key: String,
    /// Zip (true) or the files one by one under `key` as a prefix.
    zip: bool,
    create_bucket: bool,
}

pub(super) async fn run(
    runner: &Runner,
    job: &BuildJob,
    runtime: &dyn ContainerRuntime,
    container: &str,
    src_dir: &str,
    spec: Option<&ArtifactsSpec>,
) -> Result<Uploaded, Failure> {
    let (primary, secondary) = plan(job, spec)?;
    if primary.is_none() && secondary.is_empty() {
        return Ok(Uploaded::default());
    }
    let tar = runtime
        .get_archive(container, src_dir)
        .await
        .map_err(|e| {
            client(format!(
                "copying the build output out of the container: {e}"
            ))
        })?
        .ok_or_else(|| client(format!("the source directory {src_dir} is gone")))?;
    let work = runner
        .config
        .work_dir
        .join(sanitize(&job.build_id))
        .join("out");
    let last = Path::new(src_dir)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("src"));
    let objects = runner.objects.clone();
    let (account, region) = (job.account.clone(), job.region.clone());
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&work).map_err(|e| client(e.to_string()))?;
        tar::Archive::new(&tar[..])
            .unpack(&work)
            .map_err(|e| client(format!("unpacking the build output: {e}")))?;
        let root = work.join(last);
        let store = |t: &Target| store(objects.as_ref(), &account, &region, &root, &work, t);
        let mut out = Uploaded::default();
        if let Some(t) = &primary {
            out.primary = store(t)?;
        }
        for t in &secondary {
            out.secondary.push(store(t)?);
        }
        Ok(out)
    })
    .await
    .map_err(|e| client(format!("the upload stopped unexpectedly: {e}")))?
}

fn missing_section() -> Failure {
    client("the buildspec has no artifacts section, but the build has artifacts to upload")
}

/// The artifacts to produce: (primary, secondary).
fn plan(
    job: &BuildJob,
    spec: Option<&ArtifactsSpec>,
) -> Result<(Option<Target>, Vec<Target>), Failure> {
    let by_id = |id: &str| {
        spec.and_then(|s| {
            s.secondary
                .iter()
                .find(|(name, _)| name == id)
                .map(|(_, s)| s.clone())
        })
    };
    if let Some(io) = &job.pipeline {
        let mut targets = Vec::new();
        for (i, out) in io.outputs.iter().enumerate() {
            let s = match by_id(&out.name) {
                Some(s) => s,
                None if i == 0 => spec.cloned().ok_or_else(missing_section)?,
                None => {
                    return Err(client(format!(
                        "no secondary artifact with the identifier {} in the buildspec",
                        out.name
                    )))
                }
            };
            targets.push(Target {
                identifier: Some(out.name.clone()),
                spec: s,
                bucket: out.bucket.clone(),
                key: out.key.clone(),
                zip: true,
                create_bucket: true,
            });
        }
        let mut it = targets.into_iter();
        let primary = it.next();
        return Ok((primary, it.collect()));
    }
    let uuid = job
        .build_id
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let target = |a: &ProjectArtifacts, s: ArtifactsSpec| -> Result<Target, Failure> {
        let bucket = a
            .location
            .clone()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| client("the artifacts have no location (bucket)"))?;
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = a.path.as_deref().filter(|p| !p.is_empty()) {
            parts.push(p.trim_matches('/').to_string());
        }
        if a.namespace_type.as_deref() == Some("BUILD_ID") {
            parts.push(uuid.clone());
        }
        let name = match (a.override_artifact_name, &s.name) {
            (Some(true), Some(n)) => n.clone(),
            _ => a
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| uuid.clone()),
        };
        parts.push(name);
        Ok(Target {
            identifier: a.artifact_identifier.clone(),
            spec: s,
            bucket,
            key: parts.join("/"),
            zip: a.packaging.as_deref() == Some("ZIP"),
            create_bucket: false,
        })
    };
    let primary = match job.artifacts.r#type.as_str() {
        "S3" => Some(target(
            &job.artifacts,
            spec.cloned().ok_or_else(missing_section)?,
        )?),
        _ => None,
    };
    let mut secondary = Vec::new();
    for a in &job.secondary_artifacts {
        if a.r#type != "S3" {
            continue;
        }
        let id = a.artifact_identifier.clone().unwrap_or_default();
        let s = by_id(&id).ok_or_else(|| {
            client(format!(
                "no secondary artifact with the identifier {id} in the buildspec"
            ))
        })?;
        secondary.push(target(a, s)?);
    }
    Ok((primary, secondary))
}

fn store(
    objects: &dyn crate::engine::ports::ObjectStore,
    account: &str,
    region: &str,
    root: &Path,
    work: &Path,
    t: &Target,
) -> Result<BuildArtifacts, Failure> {
    let files: Vec<Selected> =
        artifacts::select(root, &t.spec).map_err(|e| ("CLIENT_ERROR".to_string(), e.message()))?;
    if t.create_bucket {
        objects
            .ensure_bucket(account, region, &t.bucket)
            .map_err(|e| client(e.to_string()))?;
    } else if !objects.bucket_exists(&t.bucket) {
        return Err(client(format!(
            "the artifact bucket {} does not exist",
            t.bucket
        )));
    }
    let put = |key: &str, file: &mut std::fs::File, ty: Option<&str>| {
        objects
            .put_object_file(
                &t.bucket,
                key,
                file,
                ObjectHeaders {
                    content_type: ty.map(str::to_string),
                    ..Default::default()
                },
            )
            .map_err(|e| client(format!("uploading s3://{}/{key}: {e}", t.bucket)))
    };
    let mut out = BuildArtifacts {
        location: Some(format!("arn:aws:s3:::{}/{}", t.bucket, t.key)),
        artifact_identifier: t.identifier.clone(),
        ..Default::default()
    };
    if t.zip {
        let zip = work.join(format!("{}.zip", sanitize(&t.key)));
        artifacts::zip_selected(&files, &zip).map_err(|e| client(e.to_string()))?;
        let mut f = std::fs::File::open(&zip).map_err(|e| client(e.to_string()))?;
        let (md5sum, sha256sum) = digests(&mut f).map_err(|e| client(e.to_string()))?;
        put(&t.key, &mut f, Some("application/zip"))?;
        out.md5sum = Some(md5sum);
        out.sha256sum = Some(sha256sum);
    } else {
        for s in &files {
            let mut f = std::fs::File::open(&s.source).map_err(|e| client(e.to_string()))?;
            put(&format!("{}/{}", t.key, s.name), &mut f, None)?;
        }
    }
    Ok(out)
}

/// MD5 and SHA-256 (hex) of a file; leaves it rewound.
fn digests(f: &mut std::fs::File) -> std::io::Result<(String, String)> {
    let mut md5 = md5::Md5::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    f.rewind()?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok((hex(&md5.finalize()), hex(&sha.finalize())))
}
