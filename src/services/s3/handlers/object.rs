//! Object operations: PutObject, GetObject/HeadObject (ranges, conditions, checksums),
//! DeleteObject(s), CopyObject and object tagging.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;

use super::{blocking, Call, MAX_XML_BODY};
use crate::services::s3::checksum::BodyDigests;
use crate::services::s3::errors::{ErrorCode, S3Error};
use crate::services::s3::http::{
    content_headers, http_date, iso8601, object_headers, parse_http_date, parse_tagging,
    parse_tagging_header, tagging_xml, user_metadata, xml_ok,
};
use crate::services::s3::model::{
    Checksum, ChecksumAlgorithm, ChecksumType, ObjectVersion, Versioning,
};
use crate::services::s3::request::{decode_path, Query};
use crate::services::s3::service::{etag_matches, PutOptions, WritePrecondition};
use crate::services::s3::upload::{read_small, receive, BodySpec};
use crate::services::s3::validate;
use crate::services::s3::xml::{self, XmlWriter};

/// Bodies up to this size are read and sent in one piece.
const INLINE_READ: u64 = 1024 * 1024;
/// Chunk size of streamed downloads.
const READ_CHUNK: usize = 512 * 1024;

fn version_header(b: &mut HttpResponseBuilder, versioning: Versioning, v: &ObjectVersion) {
    if versioning.shows_versions() {
        b.insert_header(("x-amz-version-id", v.version_id.as_str()));
    }
}

fn checksum_headers(b: &mut HttpResponseBuilder, c: &Option<Checksum>) {
    if let Some(c) = c {
        b.insert_header((c.algorithm.header(), c.value.as_str()));
        b.insert_header(("x-amz-checksum-type", c.kind.wire_name()));
    }
}

/// What PutObject, CopyObject (REPLACE) and CreateMultipartUpload store besides the bytes.
pub(super) fn put_options(call: &Call) -> Result<PutOptions, S3Error> {
    let tags = call
        .header("x-amz-tagging")
        .map(parse_tagging_header)
        .unwrap_or_default();
    validate::tags(&tags, 10)?;
    let if_none_match_any = match call.header("if-none-match") {
        None => false,
        Some(v) if v.trim() == "*" => true,
        Some(_) => {
            return Err(S3Error::not_implemented(
                "If-None-Match with a value other than `*` on writes",
            ))
        }
    };
    Ok(PutOptions {
        headers: content_headers(&call.req),
        metadata: user_metadata(&call.req),
        tags,
        checksum: None,
        precondition: WritePrecondition {
            if_none_match_any,
            if_match: call.header("if-match").map(str::to_string),
        },
    })
}

pub async fn put_object(call: &Call, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    call.s3.bucket(call.bucket())?;
    let spec = BodySpec::from_headers(call.req.headers())?;
    let mut opts = put_options(call)?;
    let (blob, checksum) = receive(payload, &spec, call.s3.blobs()).await?;
    opts.checksum = checksum;
    let (v, versioning) = call.s3.commit_object(
        call.bucket(),
        call.key(),
        blob,
        opts,
        &call.origin(),
        "PutObject",
    )?;
    let mut b = HttpResponse::Ok();
    b.insert_header(("ETag", v.quoted_etag()));
    version_header(&mut b, versioning, &v);
    checksum_headers(&mut b, &v.checksum);
    Ok(b.finish())
}

/// The byte range a `Range` header asks for, as (first, last) inclusive; `None` for the whole
/// object (no header, or one S3 ignores).
fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, S3Error> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let unsatisfiable = || {
        S3Error::new(ErrorCode::InvalidRange)
            .detail("RangeRequested", format!("bytes={spec}"))
            .detail("ActualObjectSize", size.to_string())
            .header("Content-Range", format!("bytes */{size}"))
    };
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(unsatisfiable());
        }
        return Ok(Some((size.saturating_sub(n), size - 1)));
    }
    let Ok(first) = a.parse::<u64>() else {
        return Ok(None);
    };
    let last = if b.is_empty() {
        u64::MAX
    } else {
        match b.parse::<u64>() {
            Ok(l) if l >= first => l,
            _ => return Ok(None),
        }
    };
    if first >= size {
        return Err(unsatisfiable());
    }
    Ok(Some((first, last.min(size - 1))))
}

/// The range of part `n` of an object (a single-part object has exactly part 1).
fn part_range(v: &ObjectVersion, n: u32) -> Result<Option<(u64, u64)>, S3Error> {
    let sizes: &[u64] = if v.parts.is_empty() {
        std::slice::from_ref(&v.size)
    } else {
        &v.parts
    };
    let idx = n as usize - 1;
    if idx >= sizes.len() {
        return Err(S3Error::new(ErrorCode::InvalidRange)
            .detail("ActualObjectSize", v.size.to_string())
            .header("Content-Range", format!("bytes */{}", v.size)));
    }
    let start: u64 = sizes[..idx].iter().sum();
    if sizes[idx] == 0 {
        return Ok(None);
    }
    Ok(Some((start, start + sizes[idx] - 1)))
}

/// If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), with
/// HTTP's precedence: an ETag condition overrides its date counterpart.
fn check_conditions(call: &Call, v: &ObjectVersion) -> Result<bool, S3Error> {
    let modified = v.last_modified / 1000 * 1000;
    if let Some(cond) = call.header("if-match") {
        if !etag_matches(cond, &v.etag) {
            return Err(S3Error::precondition_failed("If-Match"));
        }
    } else if let Some(t) = call.header("if-unmodified-since").and_then(parse_http_date) {
        if modified > t {
            return Err(S3Error::precondition_failed("If-Unmodified-Since"));
        }
    }
    if let Some(cond) = call.header("if-none-match") {
        return Ok(etag_matches(cond, &v.etag));
    }
    if let Some(t) = call.header("if-modified-since").and_then(parse_http_date) {
        return Ok(modified <= t);
    }
    Ok(false)
}

/// GetObject and HeadObject.
pub async fn get_object(call: &Call, head: bool) -> Result<HttpResponse, S3Error> {
    let vid = call.target.query.non_empty("versionId");
    let part_number = match call.target.query.non_empty("partNumber") {
        Some(p) => Some(validate::part_number(p)?),
        None => None,
    };
    let (v, versioning, file) = if head {
        let (v, versioning) = call.s3.object(call.bucket(), call.key(), vid)?;
        (v, versioning, None)
    } else {
        let (v, versioning, file) = call.s3.open_object(call.bucket(), call.key(), vid)?;
        (v, versioning, Some(file))
    };
    if check_conditions(call, &v)? {
        return Ok(HttpResponse::NotModified()
            .insert_header(("ETag", v.quoted_etag()))
            .insert_header(("Last-Modified", http_date(v.last_modified)))
            .finish());
    }
    let range = match part_number {
        Some(n) => part_range(&v, n)?,
        None => parse_range(call.header("range"), v.size)?,
    };
    let checksum_mode = call
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    let whole = range.is_none() || range == Some((0, v.size.saturating_sub(1)));
    let mut b = HttpResponse::build(if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    object_headers(
        &mut b,
        &v,
        versioning,
        checksum_mode && whole && part_number.is_none(),
        &call.target.query,
    );
    if let Some((first, last)) = range {
        b.insert_header(("Content-Range", format!("bytes {first}-{last}/{}", v.size)));
    }
    if part_number.is_some() {
        b.insert_header(("x-amz-mp-parts-count", v.parts.len().max(1).to_string()));
    }
    let (offset, len) = range.map_or((0, v.size), |(f, l)| (f, l - f + 1));
    match file {
        None => Ok(b.body(SizedStream::new(
            len,
            futures_util::stream::empty::<Result<Bytes, std::io::Error>>(),
        ))),
        Some(file) => file_body(b, file, offset, len).await,
    }
}

/// Sends `len` bytes of `file` from `offset`: small bodies in one piece, large ones streamed
/// from a blocking reader through a bounded channel.
async fn file_body(
    mut b: HttpResponseBuilder,
    mut file: File,
    offset: u64,
    len: u64,
) -> Result<HttpResponse, S3Error> {
    if len <= INLINE_READ {
        let read = move |mut file: File| -> Result<Vec<u8>, S3Error> {
            file.seek(SeekFrom::Start(offset))?;
            let mut buf = vec![0u8; len as usize];
            file.read_exact(&mut buf)?;
            Ok(buf)
        };
        // Small reads come from the page cache; a thread hop would cost more than the read.
        let data = if len <= 64 * 1024 {
            read(file)?
        } else {
            blocking(move || read(file)).await?
        };
        return Ok(b.body(data));
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut left = len;
        if let Err(e) = file.seek(SeekFrom::Start(offset)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        while left > 0 {
            let want = left.min(READ_CHUNK as u64) as usize;
            let mut buf = vec![0u8; want];
            let item = file.read_exact(&mut buf).map(|_| Bytes::from(buf));
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
            left -= want as u64;
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(b.body(SizedStream::new(len, stream)))
}

pub fn delete_object(call: &Call) -> Result<HttpResponse, S3Error> {
    let vid = call.target.query.non_empty("versionId");
    let out = call
        .s3
        .delete_object(call.bucket(), call.key(), vid, &call.origin())?;
    let mut b = HttpResponse::NoContent();
    if out.delete_marker {
        b.insert_header(("x-amz-delete-marker", "true"));
    }
    if let Some(id) = &out.version_id {
        b.insert_header(("x-amz-version-id", id.as_str()));
    }
    Ok(b.finish())
}

pub async fn delete_objects(call: &Call, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), MAX_XML_BODY).await?;
    call.s3.bucket(call.bucket())?;
    let root = xml::parse(&body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Delete" {
        return Err(S3Error::malformed_xml());
    }
    let quiet = root.child_text("Quiet").is_some_and(|q| q.trim() == "true");
    let objects: Vec<_> = root.all("Object").collect();
    if objects.is_empty() || objects.len() > 1000 {
        return Err(S3Error::malformed_xml());
    }
    let origin = call.origin();
    let mut w = XmlWriter::new();
    w.root("DeleteResult");
    for o in objects {
        let key = o.child_text("Key").ok_or_else(S3Error::malformed_xml)?;
        let vid = o.child_text("VersionId").filter(|v| !v.is_empty());
        let result = validate::object_key(key)
            .and_then(|_| call.s3.delete_object(call.bucket(), key, vid, &origin));
        match result {
            Ok(out) => {
                if quiet {
                    continue;
                }
                w.open("Deleted");
                w.elem("Key", key);
                if let Some(v) = vid {
                    w.elem("VersionId", v);
                }
                if out.delete_marker {
                    w.elem("DeleteMarker", "true");
                    if let Some(id) = &out.version_id {
                        w.elem("DeleteMarkerVersionId", id);
                    }
                }
                w.close("Deleted");
            }
            Err(e) => {
                w.open("Error");
                w.elem("Key", key);
                if let Some(v) = vid {
                    w.elem("VersionId", v);
                }
                w.elem("Code", e.code.code());
                w.elem("Message", &e.message);
                w.close("Error");
            }
        }
    }
    w.close("DeleteResult");
    Ok(xml_ok(w.finish()))
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=id]`, the key URL-encoded.
pub(super) fn parse_copy_source(raw: &str) -> Result<(String, String, Option<String>), S3Error> {
    let invalid = || {
        S3Error::invalid_argument(
            "Invalid copy source object key",
            "x-amz-copy-source",
            raw.to_string(),
        )
    };
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    let bucket = decode_path(bucket)?;
    let key = decode_path(key)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    let version = Query::parse(query)
        .non_empty("versionId")
        .map(str::to_string);
    Ok((bucket, key, version))
}

/// The copy-source conditions (`x-amz-copy-source-if-*`); all failures are 412.
pub(super) fn check_copy_conditions(call: &Call, src: &ObjectVersion) -> Result<(), S3Error> {
    let modified = src.last_modified / 1000 * 1000;
    let h = |n: &str| call.header(n);
    if let Some(c) = h("x-amz-copy-source-if-match") {
        if !etag_matches(c, &src.etag) {
            return Err(S3Error::precondition_failed("x-amz-copy-source-If-Match"));
        }
    } else if let Some(t) = h("x-amz-copy-source-if-unmodified-since").and_then(parse_http_date) {
        if modified > t {
            return Err(S3Error::precondition_failed(
                "x-amz-copy-source-If-Unmodified-Since",
            ));
        }
    }
    if let Some(c) = h("x-amz-copy-source-if-none-match") {
        if etag_matches(c, &src.etag) {
            return Err(S3Error::precondition_failed(
                "x-amz-copy-source-If-None-Match",
            ));
        }
    } else if let Some(t) = h("x-amz-copy-source-if-modified-since").and_then(parse_http_date) {
        if modified <= t {
            return Err(S3Error::precondition_failed(
                "x-amz-copy-source-If-Modified-Since",
            ));
        }
    }
    Ok(())
}

fn directive(call: &Call, name: &str) -> Result<bool, S3Error> {
    match call.header(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("COPY") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("REPLACE") => Ok(true),
        Some(v) => Err(S3Error::invalid_argument(
            format!("Unknown {name}"),
            name,
            v,
        )),
    }
}

pub async fn copy_object(call: &Call) -> Result<HttpResponse, S3Error> {
    let (src_bucket, src_key, src_vid) =
        parse_copy_source(call.header("x-amz-copy-source").unwrap_or(""))?;
    let replace_meta = directive(call, "x-amz-metadata-directive")?;
    let replace_tags = directive(call, "x-amz-tagging-directive")?;
    call.s3.bucket(call.bucket())?;
    let (src, src_versioning, mut file) =
        call.s3
            .open_object(&src_bucket, &src_key, src_vid.as_deref())?;
    check_copy_conditions(call, &src)?;
    let algorithm = match call.header("x-amz-checksum-algorithm") {
        Some(a) => Some(ChecksumAlgorithm::parse(a).ok_or_else(|| {
            S3Error::invalid_request(format!("Checksum algorithm {a} is not supported"))
        })?),
        None => src.checksum.as_ref().map(|c| c.algorithm),
    };
    if src_bucket == call.bucket()
        && src_key == call.key()
        && src_vid.is_none()
        && !replace_meta
        && !replace_tags
        && algorithm == src.checksum.as_ref().map(|c| c.algorithm)
        && call.header("x-amz-storage-class").is_none()
    {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let requested = put_options(call)?;
    let mut opts = PutOptions {
        precondition: requested.precondition.clone(),
        ..Default::default()
    };
    if replace_meta {
        opts.headers = requested.headers;
        opts.metadata = requested.metadata;
    } else {
        opts.headers = src.headers.clone();
        opts.metadata = src.metadata.clone();
    }
    opts.tags = if replace_tags {
        requested.tags
    } else {
        src.tags.clone()
    };
    let blobs = call.s3.blobs().clone();
    let size = src.size;
    let algs: Vec<ChecksumAlgorithm> = algorithm.into_iter().collect();
    let written = blocking(move || {
        Ok(blobs.copy_range(&mut file, 0, size, BodyDigests::new(&algs, false))?)
    })
    .await?;
    opts.checksum = algorithm.and_then(|a| {
        written.digests.checksum(a).map(|v| Checksum {
            algorithm: a,
            value: v.to_string(),
            kind: ChecksumType::FullObject,
        })
    });
    let (v, versioning) = call.s3.commit_object(
        call.bucket(),
        call.key(),
        written,
        opts,
        &call.origin(),
        "CopyObject",
    )?;
    let mut w = XmlWriter::new();
    w.root("CopyObjectResult");
    w.elem("LastModified", &iso8601(v.last_modified));
    w.elem("ETag", &v.quoted_etag());
    if let Some(c) = &v.checksum {
        w.elem("ChecksumType", c.kind.wire_name());
        w.elem(c.algorithm.xml_name(), &c.value);
    }
    w.close("CopyObjectResult");
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "application/xml"));
    version_header(&mut b, versioning, &v);
    if src_versioning.shows_versions() {
        b.insert_header(("x-amz-copy-source-version-id", src.version_id.as_str()));
    }
    Ok(b.body(w.finish()))
}

pub fn get_object_tagging(call: &Call) -> Result<HttpResponse, S3Error> {
    let vid = call.target.query.non_empty("versionId");
    let (v, versioning) = call.s3.object(call.bucket(), call.key(), vid)?;
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "application/xml"));
    version_header(&mut b, versioning, &v);
    Ok(b.body(tagging_xml(&v.tags)))
}

pub async fn put_object_tagging(
    call: &Call,
    payload: web::Payload,
) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), 256 * 1024).await?;
    let tags = parse_tagging(&body)?;
    let vid = call.target.query.non_empty("versionId");
    let v = call
        .s3
        .set_object_tags(call.bucket(), call.key(), vid, tags)?;
    let versioning = call.s3.bucket(call.bucket())?.versioning;
    let mut b = HttpResponse::Ok();
    version_header(&mut b, versioning, &v);
    Ok(b.finish())
}

pub fn delete_object_tagging(call: &Call) -> Result<HttpResponse, S3Error> {
    let vid = call.target.query.non_empty("versionId");
    let v = call
        .s3
        .set_object_tags(call.bucket(), call.key(), vid, Vec::new())?;
    let versioning = call.s3.bucket(call.bucket())?.versioning;
    let mut b = HttpResponse::NoContent();
    version_header(&mut b, versioning, &v);
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=0-4"), 10).unwrap(), Some((0, 4)));
        assert_eq!(parse_range(Some("bytes=5-"), 10).unwrap(), Some((5, 9)));
        assert_eq!(parse_range(Some("bytes=-3"), 10).unwrap(), Some((7, 9)));
        assert_eq!(parse_range(Some("bytes=-30"), 10).unwrap(), Some((0, 9)));
        assert_eq!(parse_range(Some("bytes=2-100"), 10).unwrap(), Some((2, 9)));
        assert_eq!(parse_range(Some("bytes=5-2"), 10).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10).unwrap(), None);
        assert_eq!(parse_range(Some("items=0-1"), 10).unwrap(), None);
        let e = parse_range(Some("bytes=10-"), 10).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRange);
        assert!(parse_range(Some("bytes=0-"), 0).is_err());
        assert!(parse_range(Some("bytes=-0"), 10).is_err());
    }

    #[test]
    fn copy_sources() {
        assert_eq!(
            parse_copy_source("/b/a%20b/c?versionId=v1").unwrap(),
            ("b".into(), "a b/c".into(), Some("v1".into()))
        );
        assert_eq!(
            parse_copy_source("b/k").unwrap(),
            ("b".into(), "k".into(), None)
        );
        assert!(parse_copy_source("nokey").is_err());
    }
}
