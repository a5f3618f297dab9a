//! Digests of object bytes: the MD5 behind every ETag, and the `x-amz-checksum-*` family
//! (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), computed while the bytes stream through.
//!
//! Checksums travel as base64 of the big-endian digest. CRC32 uses `crc32fast`, CRC32C the
//! hardware instruction through `crc32c`; CRC64/NVME has no small crate, so it is a table
//! implementation here (reflected polynomial 0x9A6C9329AC4BC9B5).

use base64::Engine;
use md5::Digest;

use super::model::ChecksumAlgorithm;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn md5(data: &[u8]) -> [u8; 16] {
    let mut h = md5::Md5::new();
    h.update(data);
    h.finalize().into()
}

/// One running checksum.
#[derive(Clone)]
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(u64),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => Hasher::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => Hasher::Crc64Nvme(!0),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            Hasher::Crc32(_) => ChecksumAlgorithm::Crc32,
            Hasher::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Hasher::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            Hasher::Sha1(_) => ChecksumAlgorithm::Sha1,
            Hasher::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            Hasher::Crc64Nvme(c) => *c = crc64nvme_update(*c, data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// The raw digest (big-endian for the CRCs).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Crc32c(c) => c.to_be_bytes().to_vec(),
            Hasher::Crc64Nvme(c) => (!c).to_be_bytes().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// The digest of `data` under `algorithm`, base64 as on the wire.
pub fn checksum_b64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    b64(&h.finish())
}

const CRC64_NVME_POLY: u64 = 0x9A6C_9329_AC4B_C9B5;

static CRC64_TABLE: std::sync::LazyLock<[[u64; 256]; 8]> = std::sync::LazyLock::new(|| {
    let mut t = [[0u64; 256]; 8];
    for (i, slot) in t[0].iter_mut().enumerate() {
        let mut c = i as u64;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ CRC64_NVME_POLY
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    for i in 0..256 {
        for k in 1..8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
        }
    }
    t
});

/// Slicing-by-8 CRC64/NVME over the running (pre-inverted) value.
fn crc64nvme_update(mut crc: u64, data: &[u8]) -> u64 {
    let t = &*CRC64_TABLE;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ b as u64) & 0xff) as usize];
    }
    crc
}

/// Every digest of one body: MD5 always, the requested checksums, and SHA-256 when the
/// request signed its payload hash.
pub struct BodyDigests {
    md5: Option<md5::Md5>,
    checksums: Vec<Hasher>,
    sha256: Option<sha2::Sha256>,
    size: u64,
}

/// What [`BodyDigests`] computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub size: u64,
    /// `None` when MD5 was not asked for (multipart assembly).
    pub md5: Option<[u8; 16]>,
    /// Base64 values of the requested checksums.
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
    pub sha256: Option<[u8; 32]>,
}

impl Digests {
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&str> {
        self.checksums
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, v)| v.as_str())
    }
}

impl BodyDigests {
    pub fn new(checksums: &[ChecksumAlgorithm], sha256: bool) -> Self {
        let mut algs: Vec<ChecksumAlgorithm> = Vec::new();
        for a in checksums {
            if !algs.contains(a) {
                algs.push(*a);
            }
        }
        BodyDigests {
            md5: Some(md5::Md5::new()),
            checksums: algs.into_iter().map(Hasher::new).collect(),
            sha256: sha256.then(sha2::Sha256::new),
            size: 0,
        }
    }

    /// Only the given checksums, no MD5 (bytes whose ETag is known otherwise).
    pub fn without_md5(checksums: &[ChecksumAlgorithm]) -> Self {
        BodyDigests {
            md5: None,
            ..Self::new(checksums, false)
        }
    }

    /// Whether nothing but the size is computed (a plain copy will do).
    pub fn is_trivial(&self) -> bool {
        self.md5.is_none() && self.checksums.is_empty() && self.sha256.is_none()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        if let Some(h) = &mut self.md5 {
            h.update(data);
        }
        for h in &mut self.checksums {
            h.update(data);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(data);
        }
    }

    /// Counts bytes that were copied without passing through the digests.
    pub fn add_size(&mut self, n: u64) {
        self.size += n;
    }

    pub fn finish(self) -> Digests {
        Digests {
            size: self.size,
            md5: self.md5.map(|h| h.finalize().into()),
            checksums: self
                .checksums
                .into_iter()
                .map(|h| (h.algorithm(), b64(&h.finish())))
                .collect(),
            sha256: self.sha256.map(|h| h.finalize().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_values() {
        let data = b"123456789";
        let raw = |a| {
            let mut h = Hasher::new(a);
            h.update(&data[..4]);
            h.update(&data[4..]);
            hex(&h.finish())
        };
        assert_eq!(raw(ChecksumAlgorithm::Crc32), "cbf43926");
        assert_eq!(raw(ChecksumAlgorithm::Crc32c), "e3069283");
        assert_eq!(raw(ChecksumAlgorithm::Crc64Nvme), "ae8b14860a799888");
        assert_eq!(
            raw(ChecksumAlgorithm::Sha1),
            "f7c3bc1d808e04732adf679965ccc34ca7ae3441"
        );
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn crc64_slices_agree_with_bytes() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut bytewise = !0u64;
        for b in &data {
            bytewise = crc64nvme_update(bytewise, std::slice::from_ref(b));
        }
        assert_eq!(crc64nvme_update(!0, &data), bytewise);
    }

    #[test]
    fn body_digests() {
        let mut d = BodyDigests::new(&[ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32], true);
        d.update(b"hello ");
        d.update(b"world");
        let out = d.finish();
        assert_eq!(out.size, 11);
        assert_eq!(hex(&out.md5.unwrap()), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(out.checksums.len(), 1);
        assert_eq!(
            out.checksum(ChecksumAlgorithm::Crc32),
            Some(checksum_b64(ChecksumAlgorithm::Crc32, b"hello world").as_str())
        );
        assert_eq!(
            hex(&out.sha256.unwrap()),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(hex_decode("0aff"), Some(vec![10, 255]));
        assert_eq!(hex_decode("0g"), None);
    }
}
