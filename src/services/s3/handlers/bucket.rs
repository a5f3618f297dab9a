//! Bucket operations: create, head, delete, location, versioning, tagging, notifications, and
//! the object listings (ListObjects v1 and v2, ListObjectVersions).

use actix_web::{web, HttpResponse};
use base64::Engine;

use super::Call;
use crate::services::s3::errors::{ErrorCode, S3Error};
use crate::services::s3::http::{iso8601, parse_tagging, tagging_xml, url_encode, xml_ok};
use crate::services::s3::listing::{self, ListQuery, VersionQuery};
use crate::services::s3::model::{ObjectVersion, Versioning};
use crate::services::s3::upload::read_small;
use crate::services::s3::validate;
use crate::services::s3::xml::{self, XmlWriter};

const OWNER_NAME: &str = "simfra";

/// `<Owner>` of every listing: the account.
fn owner(w: &mut XmlWriter, account: &str) {
    w.open("Owner");
    w.elem("ID", account);
    w.elem("DisplayName", OWNER_NAME);
    w.close("Owner");
}

pub fn list_buckets(call: &Call) -> Result<HttpResponse, S3Error> {
    let prefix = call.target.query.get("prefix").unwrap_or("");
    // Without max-buckets, every bucket comes in one page.
    let max = match call.target.query.non_empty("max-buckets") {
        Some(m) => validate::max_items("max-buckets", Some(m))?.max(1),
        None => usize::MAX,
    };
    let after = match call.target.query.non_empty("continuation-token") {
        Some(t) => Some(decode_token(t)?),
        None => None,
    };
    let all = call.s3.list_buckets(&call.ctx.account_id);
    let mut matching = all
        .iter()
        .filter(|b| b.name.starts_with(prefix))
        .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
        .filter(|b| {
            call.target
                .query
                .non_empty("bucket-region")
                .is_none_or(|r| r == b.region)
        });
    let page: Vec<_> = matching.by_ref().take(max).collect();
    let more = matching.next().is_some();
    let mut w = XmlWriter::new();
    w.root("ListAllMyBucketsResult");
    w.open("Buckets");
    for b in &page {
        w.open("Bucket");
        w.elem("Name", &b.name);
        w.elem("CreationDate", &iso8601(b.created));
        w.elem("BucketRegion", &b.region);
        w.close("Bucket");
    }
    w.close("Buckets");
    owner(&mut w, &call.ctx.account_id);
    if more {
        if let Some(last) = page.last() {
            w.elem("ContinuationToken", &encode_token(&last.name));
        }
    }
    if !prefix.is_empty() {
        w.elem("Prefix", prefix);
    }
    w.close("ListAllMyBucketsResult");
    Ok(xml_ok(w.finish()))
}

pub async fn create_bucket(call: &Call, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), 64 * 1024).await?;
    let mut region = call.ctx.region.clone();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let root = xml::parse(&body).map_err(|_| S3Error::malformed_xml())?;
        if root.name != "CreateBucketConfiguration" {
            return Err(S3Error::malformed_xml());
        }
        if let Some(lc) = root
            .child_text("LocationConstraint")
            .filter(|s| !s.is_empty())
        {
            region = validate::location_constraint(lc)?;
            // us-east-1 is never named in a LocationConstraint.
            if region == "us-east-1" {
                return Err(S3Error::new(ErrorCode::InvalidLocationConstraint)
                    .detail("LocationConstraint", lc));
            }
        }
    }
    call.s3
        .create_bucket(call.bucket(), &region, &call.ctx.account_id)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Location", format!("/{}", call.bucket())))
        .finish())
}

pub fn head_bucket(call: &Call) -> Result<HttpResponse, S3Error> {
    let b = call.s3.bucket(call.bucket())?;
    Ok(HttpResponse::Ok()
        .insert_header(("x-amz-bucket-region", b.region))
        .insert_header(("x-amz-access-point-alias", "false"))
        .finish())
}

pub fn delete_bucket(call: &Call) -> Result<HttpResponse, S3Error> {
    call.s3.delete_bucket(call.bucket())?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn get_bucket_location(call: &Call) -> Result<HttpResponse, S3Error> {
    let b = call.s3.bucket(call.bucket())?;
    let mut w = XmlWriter::new();
    if b.region == "us-east-1" {
        w.root("LocationConstraint");
        w.close("LocationConstraint");
    } else {
        w.root("LocationConstraint");
        w.text(&b.region);
        w.close("LocationConstraint");
    }
    Ok(xml_ok(w.finish()))
}

pub async fn put_bucket_versioning(
    call: &Call,
    payload: web::Payload,
) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), 64 * 1024).await?;
    let root = xml::parse(&body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "VersioningConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    if root.child_text("MfaDelete") == Some("Enabled") {
        return Err(S3Error::not_implemented("MFA delete"));
    }
    let status = match root.child_text("Status") {
        None => None,
        Some("Enabled") => Some(Versioning::Enabled),
        Some("Suspended") => Some(Versioning::Suspended),
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    call.s3.update_bucket(call.bucket(), |b| {
        if let Some(s) = status {
            b.versioning = s;
        }
        Ok(())
    })?;
    Ok(HttpResponse::Ok().finish())
}

pub fn get_bucket_versioning(call: &Call) -> Result<HttpResponse, S3Error> {
    let b = call.s3.bucket(call.bucket())?;
    let mut w = XmlWriter::new();
    w.root("VersioningConfiguration");
    match b.versioning {
        Versioning::Enabled => w.elem("Status", "Enabled"),
        Versioning::Suspended => w.elem("Status", "Suspended"),
        Versioning::Unversioned => {}
    }
    w.close("VersioningConfiguration");
    Ok(xml_ok(w.finish()))
}

pub async fn put_bucket_tagging(
    call: &Call,
    payload: web::Payload,
) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), 256 * 1024).await?;
    let tags = parse_tagging(&body)?;
    validate::tags(&tags, 50)?;
    call.s3.update_bucket(call.bucket(), |b| {
        b.tags = Some(tags);
        Ok(())
    })?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn get_bucket_tagging(call: &Call) -> Result<HttpResponse, S3Error> {
    let b = call.s3.bucket(call.bucket())?;
    match b.tags {
        Some(tags) => Ok(xml_ok(tagging_xml(&tags))),
        None => Err(S3Error::new(ErrorCode::NoSuchTagSet).detail("BucketName", b.name)),
    }
}

pub fn delete_bucket_tagging(call: &Call) -> Result<HttpResponse, S3Error> {
    call.s3.update_bucket(call.bucket(), |b| {
        b.tags = None;
        Ok(())
    })?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn put_notification(call: &Call, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    let body = read_small(payload, call.req.headers(), 256 * 1024).await?;
    let root = xml::parse(&body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "NotificationConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    let mut eventbridge = false;
    for c in &root.children {
        match c.name.as_str() {
            "EventBridgeConfiguration" => eventbridge = true,
            other => {
                return Err(S3Error::not_implemented(&format!(
                "Bucket notifications of type {other} (only EventBridgeConfiguration is supported)"
            )))
            }
        }
    }
    call.s3.update_bucket(call.bucket(), |b| {
        b.eventbridge = eventbridge;
        Ok(())
    })?;
    Ok(HttpResponse::Ok().finish())
}

pub fn get_notification(call: &Call) -> Result<HttpResponse, S3Error> {
    let b = call.s3.bucket(call.bucket())?;
    let mut w = XmlWriter::new();
    w.root("NotificationConfiguration");
    if b.eventbridge {
        w.empty("EventBridgeConfiguration");
    }
    w.close("NotificationConfiguration");
    Ok(xml_ok(w.finish()))
}

/// Continuation tokens are opaque to clients: base64 of the key to resume after.
fn encode_token(marker: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(marker.as_bytes())
}

fn decode_token(token: &str) -> Result<String, S3Error> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "The continuation token provided is incorrect",
                "continuation-token",
                token,
            )
        })
}

/// `encoding-type`: only `url` exists.
fn url_encoding(call: &Call) -> Result<bool, S3Error> {
    match call.target.query.non_empty("encoding-type") {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(e) => Err(S3Error::invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            e,
        )),
    }
}

fn write_object_entry(
    w: &mut XmlWriter,
    v: &ObjectVersion,
    enc: &dyn Fn(&str) -> String,
    with_owner: bool,
    account: &str,
) {
    w.open("Contents");
    w.elem("Key", &enc(&v.key));
    w.elem("LastModified", &iso8601(v.last_modified));
    w.elem("ETag", &v.quoted_etag());
    if let Some(c) = &v.checksum {
        w.elem("ChecksumAlgorithm", c.algorithm.wire_name());
        w.elem("ChecksumType", c.kind.wire_name());
    }
    w.elem("Size", &v.size.to_string());
    if with_owner {
        owner(w, account);
    }
    w.elem("StorageClass", "STANDARD");
    w.close("Contents");
}

/// ListObjects (v1, `marker`) and ListObjectsV2 (`continuation-token`, `start-after`).
pub fn list_objects(call: &Call, v2: bool) -> Result<HttpResponse, S3Error> {
    let q = &call.target.query;
    let url = url_encoding(call)?;
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    let prefix = q.get("prefix").unwrap_or("");
    let delimiter = q.non_empty("delimiter");
    let max = validate::max_items("max-keys", q.get("max-keys").filter(|s| !s.is_empty()))?;
    let token = match q.non_empty("continuation-token").filter(|_| v2) {
        Some(t) => Some(decode_token(t)?),
        None => None,
    };
    let start_after = q.non_empty("start-after").filter(|_| v2);
    let marker = q.non_empty("marker").filter(|_| !v2);
    let after = token.as_deref().or(start_after).or(marker);
    let query = ListQuery {
        prefix,
        delimiter,
        after,
        max,
    };
    let page = call
        .s3
        .read_bucket(call.bucket(), |b| listing::list_objects(b, &query))?;

    let account = &call.ctx.account_id;
    let mut w = XmlWriter::new();
    w.root("ListBucketResult");
    w.elem("Name", call.bucket());
    w.elem("Prefix", &enc(prefix));
    if v2 {
        if let Some(t) = q.non_empty("continuation-token") {
            w.elem("ContinuationToken", t);
        }
        if let Some(s) = start_after {
            w.elem("StartAfter", &enc(s));
        }
        let count = page.contents.len() + page.common_prefixes.len();
        w.elem("KeyCount", &count.to_string());
        if page.truncated {
            if let Some(last) = &page.last {
                w.elem("NextContinuationToken", &encode_token(last));
            }
        }
    } else {
        w.elem("Marker", &enc(marker.unwrap_or("")));
        if page.truncated {
            if let Some(last) = &page.last {
                w.elem("NextMarker", &enc(last));
            }
        }
    }
    w.elem("MaxKeys", &max.to_string());
    if let Some(d) = delimiter {
        w.elem("Delimiter", &enc(d));
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    let with_owner = !v2 || q.get("fetch-owner") == Some("true");
    for v in &page.contents {
        write_object_entry(&mut w, v, &enc, with_owner, account);
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &enc(p));
        w.close("CommonPrefixes");
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.close("ListBucketResult");
    Ok(xml_ok(w.finish()))
}

pub fn list_object_versions(call: &Call) -> Result<HttpResponse, S3Error> {
    let q = &call.target.query;
    let url = url_encoding(call)?;
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    let prefix = q.get("prefix").unwrap_or("");
    let delimiter = q.non_empty("delimiter");
    let max = validate::max_items("max-keys", q.get("max-keys").filter(|s| !s.is_empty()))?;
    let key_marker = q.non_empty("key-marker");
    let version_id_marker = q.non_empty("version-id-marker");
    if version_id_marker.is_some() && key_marker.is_none() {
        return Err(S3Error::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
            "version-id-marker",
            version_id_marker.unwrap_or(""),
        ));
    }
    let query = VersionQuery {
        prefix,
        delimiter,
        key_marker,
        version_id_marker,
        max,
    };
    let page = call
        .s3
        .read_bucket(call.bucket(), |b| listing::list_versions(b, &query))?;
    let account = &call.ctx.account_id;
    let mut w = XmlWriter::new();
    w.root("ListVersionsResult");
    w.elem("Name", call.bucket());
    w.elem("Prefix", &enc(prefix));
    w.elem("KeyMarker", &enc(key_marker.unwrap_or("")));
    w.elem("VersionIdMarker", version_id_marker.unwrap_or(""));
    if let Some(k) = &page.next_key_marker {
        w.elem("NextKeyMarker", &enc(k));
    }
    if let Some(v) = &page.next_version_id_marker {
        w.elem("NextVersionIdMarker", v);
    }
    w.elem("MaxKeys", &max.to_string());
    if let Some(d) = delimiter {
        w.elem("Delimiter", &enc(d));
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    for (v, latest) in &page.entries {
        let tag = if v.delete_marker {
            "DeleteMarker"
        } else {
            "Version"
        };
        w.open(tag);
        w.elem("Key", &enc(&v.key));
        w.elem("VersionId", &v.version_id);
        w.elem("IsLatest", if *latest { "true" } else { "false" });
        w.elem("LastModified", &iso8601(v.last_modified));
        if !v.delete_marker {
            w.elem("ETag", &v.quoted_etag());
            if let Some(c) = &v.checksum {
                w.elem("ChecksumAlgorithm", c.algorithm.wire_name());
                w.elem("ChecksumType", c.kind.wire_name());
            }
            w.elem("Size", &v.size.to_string());
            w.elem("StorageClass", "STANDARD");
        }
        owner(&mut w, account);
        w.close(tag);
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &enc(p));
        w.close("CommonPrefixes");
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.close("ListVersionsResult");
    Ok(xml_ok(w.finish()))
}
