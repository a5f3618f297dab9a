//! Receiving request bodies: plain or `aws-chunked`, streamed to a temporary blob while MD5
//! and the requested checksums are computed, then verified against what the client declared
//! (`Content-MD5`, `x-amz-content-sha256`, `x-amz-checksum-*` as header or trailer,
//! `x-amz-decoded-content-length`). Only a verified body is handed back; anything else is
//! dropped with its temporary file.
//!
//! Memory stays flat: small bodies (declared <= 1 MiB) are gathered and written in one go;
//! larger ones stream through a bounded channel to a blocking writer thread, so the socket,
//! the hashing and the disk overlap and at most a few chunks are in flight.

use actix_web::http::header::HeaderMap;
use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::checksum::{b64_decode, hex, hex_decode, BodyDigests, Digests};
use super::chunked::ChunkedDecoder;
use super::errors::{ErrorCode, S3Error};
use super::model::{Checksum, ChecksumAlgorithm, ChecksumType};
use super::storage::{BlobStore, WrittenBlob};
use super::validate::MAX_PUT_SIZE;

/// Bodies up to this size are gathered in memory and written at once.
const INLINE_LIMIT: u64 = 1024 * 1024;
/// Chunks in flight between the socket and the writer thread.
const CHANNEL_DEPTH: usize = 16;

/// What the headers promise about the body.
#[derive(Debug, Clone, Default)]
pub struct BodySpec {
    /// `aws-chunked` framing.
    pub chunked: bool,
    /// The length of the (decoded) body, when declared.
    pub length: Option<u64>,
    pub content_md5: Option<[u8; 16]>,
    pub sha256: Option<[u8; 32]>,
    /// A checksum sent as a header.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
    /// A checksum announced in `x-amz-trailer`.
    pub trailer: Option<ChecksumAlgorithm>,
    /// `x-amz-sdk-checksum-algorithm`: computed and stored even without a value to verify.
    pub sdk_algorithm: Option<ChecksumAlgorithm>,
    /// Computed as well (the checksum algorithm of a multipart upload, for its parts).
    pub also: Option<ChecksumAlgorithm>,
}

fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn invalid_checksum_header(a: ChecksumAlgorithm) -> S3Error {
    S3Error::invalid_request(format!("Value for {} header is invalid.", a.header()))
}

/// The digest length of an algorithm, to refuse malformed values early.
fn digest_len(a: ChecksumAlgorithm) -> usize {
    match a {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Crc64Nvme => 8,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    }
}

impl BodySpec {
    /// Only the framing: `aws-chunked` or not, and the declared length.
    pub fn framing(headers: &HeaderMap) -> Result<BodySpec, S3Error> {
        let sha_header = get(headers, "x-amz-content-sha256").unwrap_or("");
        let chunked = sha_header.starts_with("STREAMING-")
            || get(headers, "content-encoding").is_some_and(|e| {
                e.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("aws-chunked"))
            });
        let mut spec = BodySpec {
            chunked,
            ..Default::default()
        };
        let length_header = if chunked {
            "x-amz-decoded-content-length"
        } else {
            "content-length"
        };
        if let Some(l) = get(headers, length_header) {
            spec.length = Some(l.trim().parse().map_err(|_| {
                S3Error::invalid_argument(format!("Invalid {length_header}"), length_header, l)
            })?);
        }
        if let Some(len) = spec.length {
            if len > MAX_PUT_SIZE {
                return Err(S3Error::new(ErrorCode::EntityTooLarge)
                    .detail("ProposedSize", len.to_string())
                    .detail("MaxSizeAllowed", MAX_PUT_SIZE.to_string()));
            }
        }
        Ok(spec)
    }

    /// Reads the body's declarations from the headers, refusing malformed ones.
    pub fn from_headers(headers: &HeaderMap) -> Result<BodySpec, S3Error> {
        let mut spec = Self::framing(headers)?;
        let sha_header = get(headers, "x-amz-content-sha256").unwrap_or("");
        let chunked = spec.chunked;
        if let Some(m) = get(headers, "content-md5") {
            let raw = b64_decode(m)
                .filter(|r| r.len() == 16)
                .ok_or_else(|| S3Error::new(ErrorCode::InvalidDigest).detail("Content-MD5", m))?;
            spec.content_md5 = Some(raw.try_into().unwrap_or([0; 16]));
        }
        if !chunked && sha_header.len() == 64 {
            let raw = hex_decode(sha_header).filter(|r| r.len() == 32).ok_or_else(|| {
                S3Error::invalid_argument(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.",
                    "x-amz-content-sha256",
                    sha_header,
                )
            })?;
            spec.sha256 = Some(raw.try_into().unwrap_or([0; 32]));
        }
        let mut sent = ChecksumAlgorithm::ALL
            .into_iter()
            .filter_map(|a| get(headers, a.header()).map(|v| (a, v.trim().to_string())));
        spec.checksum = sent.next();
        if sent.next().is_some() {
            return Err(S3Error::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        if let Some((a, v)) = &spec.checksum {
            if b64_decode(v).is_none_or(|r| r.len() != digest_len(*a)) {
                return Err(invalid_checksum_header(*a));
            }
        }
        if let Some(t) = get(headers, "x-amz-trailer") {
            let name = t.trim().to_ascii_lowercase();
            spec.trailer = ChecksumAlgorithm::ALL
                .into_iter()
                .find(|a| a.header() == name);
            if spec.trailer.is_none() {
                return Err(S3Error::invalid_request(format!(
                    "The value specified in the x-amz-trailer header is not supported: {t}"
                )));
            }
        }
        spec.sdk_algorithm = get(headers, "x-amz-sdk-checksum-algorithm")
            .or(get(headers, "x-amz-checksum-algorithm"))
            .and_then(ChecksumAlgorithm::parse);
        Ok(spec)
    }

    fn algorithms(&self) -> Vec<ChecksumAlgorithm> {
        [
            self.checksum.as_ref().map(|(a, _)| *a),
            self.trailer,
            self.sdk_algorithm,
            self.also,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Where received bytes go.
enum Sink {
    Memory(Vec<Bytes>),
    /// Large bodies: one thread writes the file, another computes the digests, so that MD5
    /// (the slowest step, strictly sequential) has a core of its own.
    Threads {
        file_tx: tokio::sync::mpsc::Sender<Bytes>,
        hash_tx: tokio::sync::mpsc::Sender<Bytes>,
        file_done: tokio::task::JoinHandle<std::io::Result<WrittenBlob>>,
        hash_done: tokio::task::JoinHandle<Digests>,
    },
}

impl Sink {
    fn threads(blobs: &BlobStore, mut digests: BodyDigests) -> Result<Sink, S3Error> {
        let mut writer = blobs.create(BodyDigests::without_md5(&[]))?;
        let (file_tx, mut file_rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_DEPTH);
        let (hash_tx, mut hash_rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_DEPTH);
        let file_done = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = file_rx.blocking_recv() {
                writer.write(&chunk)?;
            }
            writer.finish()
        });
        let hash_done = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = hash_rx.blocking_recv() {
                digests.update(&chunk);
            }
            digests.finish()
        });
        Ok(Sink::Threads {
            file_tx,
            hash_tx,
            file_done,
            hash_done,
        })
    }

    async fn push(&mut self, data: Bytes) {
        match self {
            Sink::Memory(parts) => parts.push(data),
            Sink::Threads {
                file_tx, hash_tx, ..
            } => {
                // A closed channel means the writer failed; its error is reported at the end.
                let _ = hash_tx.send(data.clone()).await;
                let _ = file_tx.send(data).await;
            }
        }
    }

    /// Completes the blob with the digests of everything pushed.
    async fn finish(
        self,
        blobs: &BlobStore,
        digests: Option<BodyDigests>,
    ) -> Result<WrittenBlob, S3Error> {
        match self {
            Sink::Memory(parts) => {
                let mut writer =
                    blobs.create(digests.unwrap_or_else(|| BodyDigests::new(&[], false)))?;
                for p in &parts {
                    writer.write(p)?;
                }
                Ok(writer.finish()?)
            }
            Sink::Threads {
                file_tx,
                hash_tx,
                file_done,
                hash_done,
            } => {
                drop((file_tx, hash_tx));
                let joined = |e: tokio::task::JoinError| {
                    S3Error::internal(format!("the blob writer failed: {e}"))
                };
                let mut written = file_done.await.map_err(joined)??;
                let computed = hash_done.await.map_err(joined)?;
                if computed.size != written.size() {
                    return Err(S3Error::internal(
                        "the blob and its digests disagree in size",
                    ));
                }
                written.digests = computed;
                Ok(written)
            }
        }
    }
}

fn incomplete(declared: Option<u64>, received: u64) -> S3Error {
    let mut e = S3Error::new(ErrorCode::IncompleteBody);
    if let Some(d) = declared {
        e = e
            .detail("NumberBytesExpected", d.to_string())
            .detail("NumberBytesProvided", received.to_string());
    }
    e
}

/// Receives and verifies a body; returns it in a temporary blob with the checksum to store.
pub async fn receive(
    mut payload: web::Payload,
    spec: &BodySpec,
    blobs: &BlobStore,
) -> Result<(WrittenBlob, Option<Checksum>), S3Error> {
    let digests = BodyDigests::new(&spec.algorithms(), spec.sha256.is_some());
    let (mut sink, mut digests) = match spec.length {
        Some(n) if n <= INLINE_LIMIT => (Sink::Memory(Vec::new()), Some(digests)),
        _ => (Sink::threads(blobs, digests)?, None),
    };
    let mut decoder = spec.chunked.then(ChunkedDecoder::new);
    let mut received: u64 = 0;
    let mut decoded = Vec::new();
    while let Some(item) = payload.next().await {
        let chunk = item.map_err(|e| {
            tracing::debug!("s3 body ended early: {e}");
            incomplete(spec.length, received)
        })?;
        match &mut decoder {
            Some(d) => {
                d.feed(chunk, &mut decoded).map_err(|e| {
                    S3Error::invalid_request(format!("The aws-chunked body is malformed: {}", e.0))
                })?;
                for data in decoded.drain(..) {
                    received += data.len() as u64;
                    sink.push(data).await;
                }
            }
            None => {
                received += chunk.len() as u64;
                sink.push(chunk).await;
            }
        }
        if received > MAX_PUT_SIZE || spec.length.is_some_and(|l| received > l) {
            return Err(S3Error::new(ErrorCode::EntityTooLarge));
        }
    }
    let trailers = match decoder {
        Some(d) => d.finish().map_err(|e| {
            if received < spec.length.unwrap_or(u64::MAX) {
                incomplete(spec.length, received)
            } else {
                S3Error::invalid_request(format!("The aws-chunked body is malformed: {}", e.0))
            }
        })?,
        None => Vec::new(),
    };
    if let Some(len) = spec.length {
        if received != len {
            return Err(incomplete(spec.length, received));
        }
    }
    let written = sink.finish(blobs, digests.take()).await?;
    let checksum = verify(spec, &written.digests, &trailers)?;
    Ok((written, checksum))
}

/// Compares what was computed with what the client declared.
fn verify(
    spec: &BodySpec,
    d: &Digests,
    trailers: &[(String, String)],
) -> Result<Option<Checksum>, S3Error> {
    if let (Some(expected), Some(actual)) = (spec.content_md5, d.md5) {
        if expected != actual {
            return Err(S3Error::new(ErrorCode::BadDigest));
        }
    }
    if let (Some(expected), Some(actual)) = (spec.sha256, d.sha256) {
        if expected != actual {
            return Err(S3Error::new(ErrorCode::XAmzContentSHA256Mismatch)
                .detail("ClientComputedContentSHA256", hex(&expected))
                .detail("S3ComputedContentSHA256", hex(&actual)));
        }
    }
    let mut declared = spec.checksum.clone();
    if let Some(a) = spec.trailer {
        let value = trailers
            .iter()
            .find(|(n, _)| n == a.header())
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                S3Error::invalid_request(format!(
                    "The {} trailer announced in x-amz-trailer is missing",
                    a.header()
                ))
            })?;
        if b64_decode(&value).is_none_or(|r| r.len() != digest_len(a)) {
            return Err(invalid_checksum_header(a));
        }
        declared = Some((a, value));
    }
    if let Some((a, value)) = &declared {
        if d.checksum(*a) != Some(value.as_str()) {
            return Err(S3Error::with_message(
                ErrorCode::BadDigest,
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    a.wire_name()
                ),
            ));
        }
    }
    // Store the declared checksum, else the one the upload or the SDK named (computed here).
    let algorithm = declared
        .as_ref()
        .map(|(a, _)| *a)
        .or(spec.also)
        .or(spec.sdk_algorithm);
    Ok(algorithm.and_then(|a| {
        d.checksum(a).map(|v| Checksum {
            algorithm: a,
            value: v.to_string(),
            kind: ChecksumType::FullObject,
        })
    }))
}

/// Reads a small body (XML configuration, delete lists) whole, de-chunked and verified.
pub async fn read_small(
    payload: web::Payload,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, S3Error> {
    read_small_body(payload, headers, limit, true).await
}

/// Like [`read_small`], for requests whose checksum headers describe something else (the
/// object of CompleteMultipartUpload).
pub async fn read_small_unverified(
    payload: web::Payload,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, S3Error> {
    read_small_body(payload, headers, limit, false).await
}

async fn read_small_body(
    mut payload: web::Payload,
    headers: &HeaderMap,
    limit: usize,
    verify_checksums: bool,
) -> Result<Bytes, S3Error> {
    let spec = if verify_checksums {
        BodySpec::from_headers(headers)?
    } else {
        BodySpec::framing(headers)?
    };
    let mut decoder = spec.chunked.then(ChunkedDecoder::new);
    let mut buf = BytesMut::new();
    let mut decoded = Vec::new();
    while let Some(item) = payload.next().await {
        let chunk = item.map_err(|_| incomplete(spec.length, buf.len() as u64))?;
        match &mut decoder {
            Some(d) => {
                d.feed(chunk, &mut decoded).map_err(|e| {
                    S3Error::invalid_request(format!("malformed aws-chunked body: {}", e.0))
                })?;
                for p in decoded.drain(..) {
                    buf.extend_from_slice(&p);
                }
            }
            None => buf.extend_from_slice(&chunk),
        }
        if buf.len() > limit {
            return Err(S3Error::with_message(
                ErrorCode::MalformedXML,
                format!("The request body is larger than the limit of {limit} bytes"),
            ));
        }
    }
    let trailers = match decoder {
        Some(d) => d.finish().map_err(|e| {
            S3Error::invalid_request(format!("malformed aws-chunked body: {}", e.0))
        })?,
        None => Vec::new(),
    };
    let mut digests = BodyDigests::new(&spec.algorithms(), spec.sha256.is_some());
    digests.update(&buf);
    verify(&spec, &digests.finish(), &trailers)?;
    Ok(buf.freeze())
}
