//! S3 source (AWS / Source / S3) and S3 deploy (AWS / Deploy / S3) providers.
//!
//! Source: the bucket must be versioned (as on AWS); the object version is resolved when the
//! action runs (or pinned by a `sourceRevisions` override), copied as-is into the artifact
//! store, and `ETag` / `VersionId` are emitted as output variables.
//! Deploy: the input artifact is extracted into the bucket under `ObjectKey` (Extract=true) or
//! stored whole as `ObjectKey` (Extract=false). Every object gets `CacheControl` as its
//! Cache-Control, and a Content-Type by its name's extension (decision: a static site deployed
//! this way is served as such; unknown extensions get none, so S3's default applies).
//! `CannedACL` and `KMSEncryptionKeyARN` are accepted and not applied: simfra's S3 keeps no
//! ACLs and no encryption keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{ActionJob, ActionSuccess, NothingToCancel, Provider, Reporter, RunningAction};
use crate::engine::ports::{ObjectHeaders, ObjectStore, PortError};
use crate::engine::records::ArtifactRevision;

/// Runs blocking work off the engine thread and reports its outcome.
pub(crate) fn run_blocking<F>(reporter: Reporter, work: F)
where
    F: FnOnce() -> Result<ActionSuccess, (String, String)> + Send + 'static,
{
    actix::spawn(async move {
        match tokio::task::spawn_blocking(work).await {
            Ok(Ok(success)) => reporter.succeeded(success),
            Ok(Err((code, message))) => reporter.failed(&code, message),
            Err(e) => reporter.failed(
                "JobFailed",
                format!("the action's work stopped unexpectedly: {e}"),
            ),
        }
    });
}

fn port(e: PortError) -> (String, String) {
    ("JobFailed".to_string(), e.to_string())
}

fn config_error(message: String) -> (String, String) {
    ("ConfigurationError".to_string(), message)
}

/// Copies an artifact file into the artifact store, creating the bucket when missing (a local
/// convenience: AWS would fail the action; simfra creates it and says so in the log).
pub(crate) fn store_artifact(
    objects: &dyn ObjectStore,
    job: &ActionJob,
    index: usize,
    file: &mut std::fs::File,
) -> Result<(), (String, String)> {
    let out = job
        .output_artifacts
        .get(index)
        .ok_or_else(|| config_error("The action declares no output artifact".into()))?;
    if objects
        .ensure_bucket(&job.key.account, &job.key.region, &out.bucket)
        .map_err(port)?
    {
        tracing::info!(bucket = %out.bucket, pipeline = %job.key.name, "created the missing artifact store bucket");
    }
    objects
        .put_object_file(
            &out.bucket,
            &out.key,
            file,
            ObjectHeaders::typed("application/zip"),
        )
        .map_err(port)?;
    Ok(())
}

pub struct S3Source {
    pub objects: Arc<dyn ObjectStore>,
}

impl Provider for S3Source {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let objects = self.objects.clone();
        run_blocking(reporter, move || {
            let bucket = job
                .configuration
                .get("S3Bucket")
                .cloned()
                .ok_or_else(|| config_error("S3Bucket is not set".into()))?;
            let mut key = job
                .configuration
                .get("S3ObjectKey")
                .cloned()
                .ok_or_else(|| config_error("S3ObjectKey is not set".into()))?;
            let mut version = None;
            match job.source_override.as_ref() {
                Some((kind, value)) if kind == "S3_OBJECT_VERSION_ID" => {
                    version = Some(value.clone())
                }
                Some((kind, value)) if kind == "S3_OBJECT_KEY" => key = value.clone(),
                _ => {}
            }
            if !objects.versioning_enabled(&bucket).map_err(port)? {
                return Err((
                    "ConfigurationError".into(),
                    format!("The S3 source bucket {bucket} must have versioning enabled"),
                ));
            }
            let mut object = objects
                .get_object(&bucket, &key, version.as_deref())
                .map_err(port)?;
            store_artifact(objects.as_ref(), &job, 0, &mut object.file)?;
            let version_id = object.version_id.clone().unwrap_or_else(|| "null".into());
            let summary = object
                .metadata
                .get("codepipeline-artifact-revision-summary")
                .cloned()
                .unwrap_or_else(|| format!("Amazon S3 version id: {version_id}"));
            let mut vars = BTreeMap::new();
            vars.insert(
                "ETag".to_string(),
                object.etag.trim_matches('"').to_string(),
            );
            vars.insert("VersionId".to_string(), version_id.clone());
            Ok(ActionSuccess {
                summary: Some(summary.clone()),
                external_execution_id: Some(version_id.clone()),
                output_variables: vars,
                revision: Some(ArtifactRevision {
                    name: job
                        .output_artifacts
                        .first()
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                    action_name: job.action.name.clone(),
                    revision_id: version_id,
                    revision_change_identifier: Some(object.etag.trim_matches('"').to_string()),
                    revision_summary: Some(summary),
                    created: Some(object.last_modified),
                    revision_url: None,
                }),
                ..Default::default()
            })
        });
        Box::new(NothingToCancel)
    }
}

pub struct S3Deploy {
    pub objects: Arc<dyn ObjectStore>,
    pub work_dir: PathBuf,
}

impl Provider for S3Deploy {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let objects = self.objects.clone();
        let work = self.work_dir.join(&job.action_execution_id);
        run_blocking(reporter, move || {
            let result = deploy(objects.as_ref(), &job, &work);
            let _ = std::fs::remove_dir_all(&work);
            result
        });
        Box::new(NothingToCancel)
    }
}

/// The Content-Type of a deployed object, by its key's extension (the common web types).
fn content_type_for(key: &str) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "application/javascript",
        "json" | "map" => "application/json",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        _ => return None,
    })
}

fn deploy(
    objects: &dyn ObjectStore,
    job: &ActionJob,
    work: &std::path::Path,
) -> Result<ActionSuccess, (String, String)> {
    let bucket = job
        .configuration
        .get("BucketName")
        .cloned()
        .ok_or_else(|| config_error("BucketName is not set".into()))?;
    let extract = job
        .configuration
        .get("Extract")
        .map(|v| v.eq_ignore_ascii_case("true"))
        .unwrap_or(false);
    let object_key = job.configuration.get("ObjectKey").cloned();
    if !objects.bucket_exists(&bucket) {
        return Err(port(PortError::NoSuchBucket(bucket)));
    }
    let input = job
        .input_artifacts
        .first()
        .ok_or_else(|| config_error("The S3 deploy action needs one input artifact".into()))?;
    let mut artifact = objects
        .get_object(&input.bucket, &input.key, None)
        .map_err(port)?;
    super::codecommit::refuse_clone_ref(input, &mut artifact, "an S3 deploy action")?;
    let cache_control = job.configuration.get("CacheControl").cloned();
    let headers = |key: &str| ObjectHeaders {
        content_type: content_type_for(key).map(str::to_string),
        cache_control: cache_control.clone(),
        metadata: BTreeMap::new(),
    };
    if !extract {
        let key = object_key
            .ok_or_else(|| config_error("ObjectKey is required when Extract is false".into()))?;
        objects
            .put_object_file(&bucket, &key, &mut artifact.file, headers(&key))
            .map_err(port)?;
        return Ok(ActionSuccess {
            summary: Some(format!("Deployed the artifact to s3://{bucket}/{key}")),
            ..Default::default()
        });
    }
    std::fs::create_dir_all(work).map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
    let files = crate::archive::unzip_from(artifact.file, work)
        .map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
    let prefix = object_key
        .map(|p| p.trim_matches('/').to_string())
        .filter(|p| !p.is_empty());
    for rel in &files {
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let key = match &prefix {
            Some(p) => format!("{p}/{name}"),
            None => name,
        };
        let mut file = std::fs::File::open(work.join(rel))
            .map_err(|e| ("JobFailed".to_string(), e.to_string()))?;
        objects
            .put_object_file(&bucket, &key, &mut file, headers(&key))
            .map_err(port)?;
    }
    Ok(ActionSuccess {
        summary: Some(format!("Extracted {} files to s3://{bucket}", files.len())),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::content_type_for;

    #[test]
    fn deployed_objects_are_typed_by_extension() {
        assert_eq!(content_type_for("index.html"), Some("text/html"));
        assert_eq!(
            content_type_for("site/assets/App.JS"),
            Some("application/javascript")
        );
        assert_eq!(content_type_for("logo.svg"), Some("image/svg+xml"));
        assert_eq!(content_type_for("dir.d/README"), None);
        assert_eq!(content_type_for("archive.unknownext"), None);
        assert_eq!(content_type_for(".hidden"), None);
    }
}
