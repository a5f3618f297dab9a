//! DownloadBundle on the host: the revision's archive is read from simfra's S3 and unpacked
//! into a directory (zip, tar or tgz). Entries that would land outside the directory (`..`,
//! absolute paths, links) are refused, so a hostile bundle cannot write anywhere else. The
//! unpacked tree is then copied into each target as a tar stream.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::archive::safe_relative;
use crate::engine::ports::ObjectStore;

/// Why a bundle could not be used, as the deployment reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// `REVISION_MISSING` or `INVALID_REVISION`.
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> BundleError {
    BundleError {
        code: "INVALID_REVISION",
        message: message.into(),
    }
}

/// Fetches `s3://bucket/key` (at `version` when given) and unpacks it into `dir`; returns the
/// files' relative paths (`/`-separated), sorted.
pub fn fetch(
    objects: &dyn ObjectStore,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    bundle_type: &str,
    dir: &Path,
) -> Result<Vec<String>, BundleError> {
    let obj = objects
        .get_object(bucket, key, version)
        .map_err(|e| BundleError {
            code: "REVISION_MISSING",
            message: format!("The revision s3://{bucket}/{key} could not be read: {e}"),
        })?;
    std::fs::create_dir_all(dir).map_err(|e| invalid(e.to_string()))?;
    match bundle_type {
        "zip" => {
            crate::archive::unzip_from(obj.file, dir).map_err(|e| {
                invalid(format!(
                    "The bundle s3://{bucket}/{key} is not a valid zip archive: {e}"
                ))
            })?;
        }
        "tar" => untar(obj.file, dir)?,
        "tgz" => untar(flate2::read::GzDecoder::new(obj.file), dir)?,
        other => {
            return Err(invalid(format!(
                "The bundle type {other} is not supported for Server deployments (zip, tar, tgz)"
            )))
        }
    }
    let mut files = Vec::new();
    list(dir, dir, &mut files).map_err(|e| invalid(e.to_string()))?;
    files.sort();
    Ok(files)
}

/// Unpacks a tar stream, refusing entries outside `dir` and links.
fn untar(reader: impl Read, dir: &Path) -> Result<(), BundleError> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| invalid(format!("The bundle is not a valid tar archive: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| invalid(format!("The bundle is not a valid tar archive: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| invalid(e.to_string()))?
            .to_string_lossy()
            .to_string();
        let kind = entry.header().entry_type();
        if path == "./" || path == "." {
            continue;
        }
        let rel = safe_relative(&path).ok_or_else(|| {
            invalid(format!(
                "The bundle entry '{path}' would be written outside the deployment directory"
            ))
        })?;
        let target = dir.join(&rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| invalid(e.to_string()))?;
        } else if kind.is_file() {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| invalid(e.to_string()))?;
            }
            let mut out = std::fs::File::create(&target).map_err(|e| invalid(e.to_string()))?;
            std::io::copy(&mut entry, &mut out).map_err(|e| invalid(e.to_string()))?;
            #[cfg(unix)]
            if let Ok(mode) = entry.header().mode() {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(
                    &target,
                    std::fs::Permissions::from_mode(mode & 0o777),
                );
            }
        } else {
            return Err(invalid(format!(
                "The bundle entry '{path}' is a link or special file, which simfra does not \
                 install"
            )));
        }
    }
    Ok(())
}

fn list(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path: PathBuf = entry.path();
        if entry.file_type()?.is_dir() {
            list(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// A tar of the directory's contents placed at the absolute path `inside`, for `put_archive`
/// at `/` into a target (the daemon creates the missing parents).
pub fn tar_dir(dir: &Path, inside: &str) -> Result<Vec<u8>, BundleError> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(inside.trim_start_matches('/'), dir)
        .map_err(|e| invalid(format!("packing the bundle: {e}")))?;
    builder
        .into_inner()
        .map_err(|e| invalid(format!("packing the bundle: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, body) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o755);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name to build a hostile archive.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            b.append(&h, *body).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn tar_entries_outside_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ok = tar_with(&[("scripts/start.sh", b"#!/bin/sh\n")]);
        untar(&ok[..], dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("scripts/start.sh"))
            .unwrap()
            .permissions();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.mode() & 0o777, 0o755);
        let bad = tar_with(&[("../evil.txt", b"x")]);
        let e = untar(&bad[..], dir.path()).unwrap_err();
        assert_eq!(e.code, "INVALID_REVISION");
        assert!(!dir.path().parent().unwrap().join("evil.txt").exists());
    }

    #[test]
    fn files_are_listed_relative_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/x"), "x").unwrap();
        std::fs::write(dir.path().join("a"), "a").unwrap();
        let mut files = Vec::new();
        list(dir.path(), dir.path(), &mut files).unwrap();
        files.sort();
        assert_eq!(files, ["a", "b/c/x"]);
    }
}
