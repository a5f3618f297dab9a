//! Zip archives of directory trees: what every pipeline artifact is. Extraction refuses entries
//! that would land outside the target directory (absolute paths, `..`), so an archive can never
//! write elsewhere.

use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the artifact is not a valid zip archive: {0}")]
    NotZip(String),
    #[error("the archive entry '{0}' would be written outside the target directory")]
    Unsafe(String),
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

impl From<zip::result::ZipError> for ArchiveError {
    fn from(e: zip::result::ZipError) -> Self {
        match e {
            zip::result::ZipError::Io(e) => ArchiveError::Io(e),
            other => ArchiveError::NotZip(other.to_string()),
        }
    }
}

/// A relative path inside an archive, checked: no root, no `..`, not empty.
pub fn safe_relative(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Zips every file under `dir` (paths relative to it, `/`-separated) into `out`.
pub fn zip_dir(dir: &Path, out: &Path) -> Result<usize, ArchiveError> {
    let file = File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    for path in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let mode = file_mode(&path);
        zip.start_file(name, options.unix_permissions(mode))?;
        let mut f = File::open(&path)?;
        io::copy(&mut f, &mut zip)?;
        count += 1;
    }
    zip.finish()?;
    Ok(count)
}

#[cfg(unix)]
fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o644)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> u32 {
    0o644
}

/// Extracts `archive` into `dir`; returns the relative paths of the files written.
pub fn unzip_to(archive: &Path, dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    unzip_from(File::open(archive)?, dir)
}

/// Extracts an archive read from `reader` (an open file) into `dir`.
pub fn unzip_from<R: io::Read + io::Seek>(
    reader: R,
    dir: &Path,
) -> Result<Vec<PathBuf>, ArchiveError> {
    let mut zip = zip::ZipArchive::new(reader)?;
    let mut written = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.to_string();
        let rel = safe_relative(&name).ok_or_else(|| ArchiveError::Unsafe(name.clone()))?;
        let target = dir.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = File::create(&target)?;
        io::copy(&mut entry, &mut out)?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o777));
        }
        written.push(rel);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!("simfra-archive-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trip() {
        let root = tmp();
        let src = root.join("src");
        std::fs::create_dir_all(src.join("a/b")).unwrap();
        std::fs::write(src.join("top.txt"), "top").unwrap();
        std::fs::write(src.join("a/b/deep.txt"), "deep").unwrap();
        let zip = root.join("out.zip");
        assert_eq!(zip_dir(&src, &zip).unwrap(), 2);
        let dst = root.join("dst");
        let mut files = unzip_to(&zip, &dst).unwrap();
        files.sort();
        assert_eq!(
            files,
            vec![PathBuf::from("a/b/deep.txt"), PathBuf::from("top.txt")]
        );
        assert_eq!(
            std::fs::read_to_string(dst.join("a/b/deep.txt")).unwrap(),
            "deep"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn refuses_entries_outside_the_target() {
        let root = tmp();
        let zip_path = root.join("evil.zip");
        {
            let mut z = zip::ZipWriter::new(File::create(&zip_path).unwrap());
            z.start_file("../escape.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            io::Write::write_all(&mut z, b"x").unwrap();
            z.finish().unwrap();
        }
        let err = unzip_to(&zip_path, &root.join("dst")).unwrap_err();
        assert!(matches!(err, ArchiveError::Unsafe(_)), "{err}");
        assert!(!root.join("escape.txt").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn not_a_zip_is_reported() {
        let root = tmp();
        let p = root.join("plain.txt");
        std::fs::write(&p, "hello").unwrap();
        assert!(matches!(
            unzip_to(&p, &root.join("d")).unwrap_err(),
            ArchiveError::NotZip(_)
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn safe_paths() {
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative("a/../../b").is_none());
        assert!(safe_relative("").is_none());
        assert_eq!(safe_relative("./a/b").unwrap(), PathBuf::from("a/b"));
    }
}
