//! Multipart operations: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.

use actix_web::{web, HttpResponse};

use super::object::{check_copy_conditions, parse_copy_source, put_options};
use super::{blocking, Call, MAX_XML_BODY};
use crate::services::s3::checksum::BodyDigests;
use crate::services::s3::errors::S3Error;
use crate::services::s3::http::{iso8601, url_encode, xml_ok};
use crate::services::s3::listing::{self, UploadQuery};
use crate::services::s3::model::{ChecksumAlgorithm, ChecksumType, PartRecord};
use crate::services::s3::multipart::{CompletedPart, Completion};
use crate::services::s3::upload::{read_small_unverified, receive, BodySpec};
use crate::services::s3::validate;
use crate::services::s3::xml::{self, XmlWriter};

fn upload_id(call: &Call) -> &str {
    call.target.query.get("uploadId").unwrap_or("")
}

fn initiator(w: &mut XmlWriter, account: &str) {
    for tag in ["Initiator", "Owner"] {
        w.open(tag);
        w.elem("ID", account);
        w.elem("DisplayName", "simfra");
        w.close(tag);
    }
}

fn part_checksum_elem(w: &mut XmlWriter, p: &PartRecord) {
    if let Some(c) = &p.checksum {
        w.elem(c.algorithm.xml_name(), &c.value);
    }
}

pub fn create_multipart_upload(call: &Call) -> Result<HttpResponse, S3Error> {
    call.s3.bucket(call.bucket())?;
    let opts = put_options(call)?;
    let algorithm = match call.header("x-amz-checksum-algorithm") {
        Some(a) => Some(ChecksumAlgorithm::parse(a).ok_or_else(|| {
            S3Error::invalid_request(format!("Checksum algorithm {a} is not supported"))
        })?),
        None => None,
    };
    let kind = match call.header("x-amz-checksum-type") {
        Some(t) => Some(ChecksumType::parse(t).ok_or_else(|| {
            S3Error::invalid_request(format!(
                "Value for x-amz-checksum-type header is invalid: {t}"
            ))
        })?),
        None => None,
    };
    let u = call
        .s3
        .create_upload(call.bucket(), call.key(), opts, algorithm, kind)?;
    let mut w = XmlWriter::new();
    w.root("InitiateMultipartUploadResult");
    w.elem("Bucket", call.bucket());
    w.elem("Key", call.key());
    w.elem("UploadId", &u.upload_id);
    w.close("InitiateMultipartUploadResult");
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "application/xml"));
    if let (Some(a), Some(t)) = (u.checksum_algorithm, u.checksum_type) {
        b.insert_header(("x-amz-checksum-algorithm", a.wire_name()));
        b.insert_header(("x-amz-checksum-type", t.wire_name()));
    }
    Ok(b.body(w.finish()))
}

pub async fn upload_part(call: &Call, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    let number = validate::part_number(call.query("partNumber").unwrap_or(""))?;
    let upload = call.s3.upload(call.bucket(), call.key(), upload_id(call))?;
    let mut spec = BodySpec::from_headers(call.req.headers())?;
    spec.also = upload.checksum_algorithm;
    let (blob, checksum) = receive(payload, &spec, call.s3.blobs()).await?;
    let part = call.s3.commit_part(
        call.bucket(),
        call.key(),
        &upload.upload_id,
        number,
        blob,
        checksum,
    )?;
    let mut b = HttpResponse::Ok();
    b.insert_header(("ETag", format!("\"{}\"", part.etag)));
    if let Some(c) = &part.checksum {
        b.insert_header((c.algorithm.header(), c.value.as_str()));
    }
    Ok(b.finish())
}

/// `x-amz-copy-source-range: bytes=first-last`, inside the source.
fn copy_range(raw: Option<&str>, size: u64) -> Result<(u64, u64), S3Error> {
    let Some(raw) = raw else {
        return Ok((0, size));
    };
    let invalid = || {
        S3Error::invalid_argument(
            format!("Range specified is not valid for source object of size: {size}"),
            "x-amz-copy-source-range",
            raw,
        )
    };
    let spec = raw.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (a, b) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = a.trim().parse().map_err(|_| invalid())?;
    let last: u64 = b.trim().parse().map_err(|_| invalid())?;
    if first > last || last >= size {
        return Err(invalid());
    }
    Ok((first, last - first + 1))
}

pub async fn upload_part_copy(call: &Call) -> Result<HttpResponse, S3Error> {
    let number = validate::part_number(call.query("partNumber").unwrap_or(""))?;
    let upload = call.s3.upload(call.bucket(), call.key(), upload_id(call))?;
    let (src_bucket, src_key, src_vid) =
        parse_copy_source(call.header("x-amz-copy-source").unwrap_or(""))?;
    let (src, src_versioning, mut file) =
        call.s3
            .open_object(&src_bucket, &src_key, src_vid.as_deref())?;
    check_copy_conditions(call, &src)?;
    let (offset, len) = copy_range(call.header("x-amz-copy-source-range"), src.size)?;
    let blobs = call.s3.blobs().clone();
    let algs: Vec<ChecksumAlgorithm> = upload.checksum_algorithm.into_iter().collect();
    let written = blocking(move || {
        Ok(blobs.copy_range(&mut file, offset, len, BodyDigests::new(&algs, false))?)
    })
    .await?;
    let checksum = upload.checksum_algorithm.and_then(|a| {
        written
            .digests
            .checksum(a)
            .map(|v| crate::services::s3::model::Checksum {
                algorithm: a,
                value: v.to_string(),
                kind: ChecksumType::FullObject,
            })
    });
    let part = call.s3.commit_part(
        call.bucket(),
        call.key(),
        &upload.upload_id,
        number,
        written,
        checksum,
    )?;
    let mut w = XmlWriter::new();
    w.root("CopyPartResult");
    w.elem("LastModified", &iso8601(part.last_modified));
    w.elem("ETag", &format!("\"{}\"", part.etag));
    part_checksum_elem(&mut w, &part);
    w.close("CopyPartResult");
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "application/xml"));
    if src_versioning.shows_versions() {
        b.insert_header(("x-amz-copy-source-version-id", src.version_id.as_str()));
    }
    Ok(b.body(w.finish()))
}

fn parse_completion(body: &[u8]) -> Result<Vec<CompletedPart>, S3Error> {
    let root = xml::parse(body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CompleteMultipartUpload" {
        return Err(S3Error::malformed_xml());
    }
    root.all("Part")
        .map(|p| {
            let number = p
                .child_text("PartNumber")
                .and_then(|n| n.trim().parse::<u32>().ok())
                .ok_or_else(S3Error::malformed_xml)?;
            let etag = p
                .child_text("ETag")
                .ok_or_else(S3Error::malformed_xml)?
                .trim()
                .trim_matches('"')
                .to_string();
            let checksums = ChecksumAlgorithm::ALL
                .into_iter()
                .filter_map(|a| {
                    p.child_text(a.xml_name())
                        .map(|v| (a, v.trim().to_string()))
                })
                .collect();
            Ok(CompletedPart {
                part_number: number,
                etag,
                checksums,
            })
        })
        .collect()
}

pub async fn complete_multipart_upload(
    call: &Call,
    payload: web::Payload,
) -> Result<HttpResponse, S3Error> {
    // The x-amz-checksum-* headers of this request describe the object, not the XML body.
    let body = read_small_unverified(payload, call.req.headers(), MAX_XML_BODY).await?;
    let parts = parse_completion(&body)?;
    let full_checksum = ChecksumAlgorithm::ALL.into_iter().find_map(|a| {
        call.header(a.header())
            .filter(|v| !v.contains('-'))
            .map(|v| (a, v.trim().to_string()))
    });
    let precondition = put_options(call)?.precondition;
    let s3 = call.s3.clone();
    let (bucket, key, id) = (
        call.bucket().to_string(),
        call.key().to_string(),
        upload_id(call).to_string(),
    );
    let origin = call.origin();
    let completion = Completion {
        parts,
        full_checksum,
        precondition,
    };
    let (v, versioning) =
        blocking(move || s3.complete_upload(&bucket, &key, &id, completion, &origin)).await?;
    let mut w = XmlWriter::new();
    w.root("CompleteMultipartUploadResult");
    w.elem(
        "Location",
        &format!(
            "http://{}/{}/{}",
            call.ctx.host,
            call.bucket(),
            url_encode(call.key())
        ),
    );
    w.elem("Bucket", call.bucket());
    w.elem("Key", call.key());
    w.elem("ETag", &v.quoted_etag());
    if let Some(c) = &v.checksum {
        w.elem(c.algorithm.xml_name(), &c.value);
        w.elem("ChecksumType", c.kind.wire_name());
    }
    w.close("CompleteMultipartUploadResult");
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "application/xml"));
    if versioning.shows_versions() {
        b.insert_header(("x-amz-version-id", v.version_id.as_str()));
    }
    Ok(b.body(w.finish()))
}

pub fn abort_multipart_upload(call: &Call) -> Result<HttpResponse, S3Error> {
    call.s3
        .abort_upload(call.bucket(), call.key(), upload_id(call))?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn list_parts(call: &Call) -> Result<HttpResponse, S3Error> {
    let q = &call.target.query;
    let max = validate::max_items("max-parts", q.non_empty("max-parts"))?;
    let marker: u32 = match q.non_empty("part-number-marker") {
        Some(m) => m.parse().map_err(|_| {
            S3Error::invalid_argument(
                "Provided part-number-marker not an integer or within integer range",
                "part-number-marker",
                m,
            )
        })?,
        None => 0,
    };
    let (upload, parts) = call
        .s3
        .list_parts(call.bucket(), call.key(), upload_id(call))?;
    let remaining: Vec<&PartRecord> = parts.iter().filter(|p| p.part_number > marker).collect();
    let page = &remaining[..remaining.len().min(max)];
    let truncated = remaining.len() > page.len();
    let mut w = XmlWriter::new();
    w.root("ListPartsResult");
    w.elem("Bucket", call.bucket());
    w.elem("Key", call.key());
    w.elem("UploadId", &upload.upload_id);
    w.elem("PartNumberMarker", &marker.to_string());
    if let Some(last) = page.last() {
        w.elem("NextPartNumberMarker", &last.part_number.to_string());
    }
    w.elem("MaxParts", &max.to_string());
    w.elem("IsTruncated", if truncated { "true" } else { "false" });
    for p in page {
        w.open("Part");
        w.elem("PartNumber", &p.part_number.to_string());
        w.elem("LastModified", &iso8601(p.last_modified));
        w.elem("ETag", &format!("\"{}\"", p.etag));
        w.elem("Size", &p.size.to_string());
        part_checksum_elem(&mut w, p);
        w.close("Part");
    }
    initiator(&mut w, &call.ctx.account_id);
    w.elem("StorageClass", "STANDARD");
    if let (Some(a), Some(t)) = (upload.checksum_algorithm, upload.checksum_type) {
        w.elem("ChecksumAlgorithm", a.wire_name());
        w.elem("ChecksumType", t.wire_name());
    }
    w.close("ListPartsResult");
    Ok(xml_ok(w.finish()))
}

pub fn list_multipart_uploads(call: &Call) -> Result<HttpResponse, S3Error> {
    let q = &call.target.query;
    let url = match q.non_empty("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(e) => {
            return Err(S3Error::invalid_argument(
                "Invalid Encoding Method specified in Request",
                "encoding-type",
                e,
            ))
        }
    };
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    let max = validate::max_items("max-uploads", q.non_empty("max-uploads"))?;
    let query = UploadQuery {
        prefix: q.get("prefix").unwrap_or(""),
        delimiter: q.non_empty("delimiter"),
        key_marker: q.non_empty("key-marker"),
        upload_id_marker: q.non_empty("upload-id-marker"),
        max,
    };
    let page = call
        .s3
        .read_bucket(call.bucket(), |b| listing::list_uploads(b, &query))?;
    let mut w = XmlWriter::new();
    w.root("ListMultipartUploadsResult");
    w.elem("Bucket", call.bucket());
    w.elem("KeyMarker", &enc(query.key_marker.unwrap_or("")));
    w.elem("UploadIdMarker", query.upload_id_marker.unwrap_or(""));
    if page.truncated {
        if let Some(k) = &page.next_key_marker {
            w.elem("NextKeyMarker", &enc(k));
        }
        if let Some(u) = &page.next_upload_id_marker {
            w.elem("NextUploadIdMarker", u);
        }
    }
    w.elem("Prefix", &enc(query.prefix));
    if let Some(d) = query.delimiter {
        w.elem("Delimiter", &enc(d));
    }
    w.elem("MaxUploads", &max.to_string());
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    for u in &page.uploads {
        w.open("Upload");
        w.elem("Key", &enc(&u.key));
        w.elem("UploadId", &u.upload_id);
        initiator(&mut w, &call.ctx.account_id);
        w.elem("StorageClass", "STANDARD");
        w.elem("Initiated", &iso8601(u.initiated));
        if let (Some(a), Some(t)) = (u.checksum_algorithm, u.checksum_type) {
            w.elem("ChecksumAlgorithm", a.wire_name());
            w.elem("ChecksumType", t.wire_name());
        }
        w.close("Upload");
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &enc(p));
        w.close("CommonPrefixes");
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.close("ListMultipartUploadsResult");
    Ok(xml_ok(w.finish()))
}
