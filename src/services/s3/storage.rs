//! Object bytes on disk, under `<blob root>/s3/`:
//!
//! * `tmp/<id>`: bodies being received; removed on any failure and at start-up,
//! * `data/<id[..2]>/<id>`: complete, verified blobs, renamed into place from `tmp/` (same file
//!   system, so the rename is atomic and no partial object can ever be seen).
//!
//! File names are random hex ids, never derived from bucket names or keys, so no key (`..`,
//! absolute paths, odd bytes) can address a file. Metadata (which id holds which version) lives
//! in `state.rs`; this module only moves bytes and computes their digests on the way.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::checksum::{BodyDigests, Digests};
use super::model::BlobId;

/// The blob directories of the S3 service.
#[derive(Debug, Clone)]
pub struct BlobStore {
    tmp: PathBuf,
    data: PathBuf,
}

/// A blob id is 32 lower-case hex digits; anything else never becomes a path.
fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn new_blob_id() -> BlobId {
    uuid::Uuid::new_v4().simple().to_string()
}

impl BlobStore {
    /// Opens (creating) the directories and drops bodies left half-received by a crash.
    pub fn open(blob_root: &Path) -> io::Result<Self> {
        let root = blob_root.join("s3");
        let tmp = root.join("tmp");
        let data = root.join("data");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        std::fs::create_dir_all(&data)?;
        Ok(BlobStore { tmp, data })
    }

    pub fn path(&self, id: &str) -> io::Result<PathBuf> {
        if !valid_id(id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a blob id: {id:?}"),
            ));
        }
        Ok(self.data.join(&id[..2]).join(id))
    }

    /// Starts receiving a body into a temporary file.
    pub fn create(&self, digests: BodyDigests) -> io::Result<BlobWriter> {
        let id = new_blob_id();
        let tmp_path = self.tmp.join(&id);
        let file = match File::create(&tmp_path) {
            // The directory goes when the whole data directory is wiped (admin reset).
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.tmp)?;
                File::create(&tmp_path)?
            }
            other => other?,
        };
        Ok(BlobWriter {
            file: Some(file),
            tmp: Some(TempFile(tmp_path)),
            id,
            digests: Some(digests),
            store: self.clone(),
        })
    }

    pub fn open_blob(&self, id: &str) -> io::Result<File> {
        File::open(self.path(id)?)
    }

    /// Removes a blob no record references any more (missing files are not an error).
    pub fn remove(&self, id: &str) {
        if let Ok(path) = self.path(id) {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), "could not remove a blob: {e}");
                }
            }
        }
    }

    /// Removes every blob not in `referenced` (left by a crash between the rename and the
    /// metadata write). Returns how many were removed.
    pub fn collect_garbage(&self, referenced: &HashSet<&str>) -> usize {
        let mut removed = 0;
        let Ok(dirs) = std::fs::read_dir(&self.data) else {
            return 0;
        };
        for dir in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name();
                let name = name.to_string_lossy();
                if !referenced.contains(name.as_ref()) && std::fs::remove_file(f.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Removes every blob (service reset).
    pub fn clear(&self) {
        for dir in [&self.data, &self.tmp] {
            let _ = std::fs::remove_dir_all(dir);
            let _ = std::fs::create_dir_all(dir);
        }
    }

    /// Copies `len` bytes of `src` from `offset` into a new blob, computing its digests.
    pub fn copy_range(
        &self,
        src: &mut File,
        offset: u64,
        len: u64,
        digests: BodyDigests,
    ) -> io::Result<WrittenBlob> {
        src.seek(SeekFrom::Start(offset))?;
        let mut w = self.create(digests)?;
        w.append_file(src, len)?;
        w.finish()
    }
}

/// Deletes its file when dropped, unless disarmed.
#[derive(Debug)]
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A body being written: bytes go to the temporary file and through the digests.
pub struct BlobWriter {
    file: Option<File>,
    tmp: Option<TempFile>,
    id: BlobId,
    digests: Option<BodyDigests>,
    store: BlobStore,
}

impl BlobWriter {
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some(d) = &mut self.digests {
            d.update(data);
        }
        match &mut self.file {
            Some(f) => f.write_all(data),
            None => Err(io::Error::other("the blob writer is closed")),
        }
    }

    /// Appends `len` bytes of `src` from its current position; a kernel-side copy when no
    /// digest has to see the bytes.
    pub fn append_file(&mut self, src: &mut File, len: u64) -> io::Result<()> {
        let trivial = self.digests.as_ref().is_none_or(BodyDigests::is_trivial);
        if trivial {
            let file = self
                .file
                .as_mut()
                .ok_or_else(|| io::Error::other("the blob writer is closed"))?;
            let copied = io::copy(&mut Read::by_ref(src).take(len), file)?;
            if let Some(d) = &mut self.digests {
                d.add_size(copied);
            }
            if copied != len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "a stored blob is shorter than its record",
                ));
            }
            return Ok(());
        }
        let mut buf = vec![0u8; 1024 * 1024];
        let mut left = len;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = src.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "a stored blob is shorter than its record",
                ));
            }
            self.write(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Closes the file; the blob is complete but not yet in place (see [`WrittenBlob::commit`]).
    pub fn finish(mut self) -> io::Result<WrittenBlob> {
        // Dropping the file closes it; no fsync (a crash loses at most unacknowledged data,
        // which start-up garbage collection removes).
        drop(self.file.take());
        Ok(WrittenBlob {
            tmp: self.tmp.take(),
            id: std::mem::take(&mut self.id),
            digests: self
                .digests
                .take()
                .map(BodyDigests::finish)
                .unwrap_or_else(|| BodyDigests::new(&[], false).finish()),
            store: self.store.clone(),
        })
    }
}

/// A complete body in its temporary file, with its digests; removed when dropped uncommitted.
pub struct WrittenBlob {
    tmp: Option<TempFile>,
    id: BlobId,
    pub digests: Digests,
    store: BlobStore,
}

impl WrittenBlob {
    pub fn size(&self) -> u64 {
        self.digests.size
    }

    /// Moves the blob into place (an atomic rename) and returns its id.
    pub fn commit(mut self) -> io::Result<BlobId> {
        let tmp = self
            .tmp
            .take()
            .ok_or_else(|| io::Error::other("the blob was already committed"))?;
        let dest = self.store.path(&self.id)?;
        let renamed = match std::fs::rename(&tmp.0, &dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(dir) = dest.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::rename(&tmp.0, &dest)
            }
            other => other,
        };
        match renamed {
            Ok(()) => {
                std::mem::forget(tmp);
                Ok(std::mem::take(&mut self.id))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::s3::checksum::hex;

    #[test]
    fn write_commit_copy_and_collect() {
        let root = std::env::temp_dir().join(format!("simfra-s3-blobs-{}", new_blob_id()));
        let blobs = BlobStore::open(&root).unwrap();
        let mut w = blobs.create(BodyDigests::new(&[], false)).unwrap();
        w.write(b"hello ").unwrap();
        w.write(b"world").unwrap();
        let written = w.finish().unwrap();
        assert_eq!(written.size(), 11);
        assert_eq!(
            hex(&written.digests.md5.unwrap()),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        let id = written.commit().unwrap();
        let mut f = blobs.open_blob(&id).unwrap();
        let copy = blobs
            .copy_range(&mut f, 6, 5, BodyDigests::new(&[], false))
            .unwrap();
        let copy_id = copy.commit().unwrap();
        assert_eq!(
            std::fs::read(blobs.path(&copy_id).unwrap()).unwrap(),
            b"world"
        );

        // An uncommitted body leaves nothing behind.
        let mut w = blobs.create(BodyDigests::new(&[], false)).unwrap();
        w.write(b"partial").unwrap();
        drop(w);
        let w = blobs.create(BodyDigests::new(&[], false)).unwrap();
        drop(w.finish().unwrap());
        assert_eq!(std::fs::read_dir(root.join("s3/tmp")).unwrap().count(), 0);

        let keep: HashSet<&str> = [id.as_str()].into_iter().collect();
        assert_eq!(blobs.collect_garbage(&keep), 1);
        assert!(blobs.open_blob(&id).is_ok());
        assert!(blobs.path("../../etc/passwd").is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
