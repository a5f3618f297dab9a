//! HTTP details of S3's wire format shared by the handlers: header access, S3's two timestamp
//! formats, URL encoding of listings, tag sets (XML and the `x-amz-tagging` query form), the
//! stored content headers and user metadata, and the headers an object's GET/HEAD carries.

use std::collections::BTreeMap;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use super::errors::S3Error;
use super::model::{ContentHeaders, ObjectVersion, Tag, Versioning};
use super::request::Query;
use super::xml::{self, XmlWriter};

pub fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `2026-01-02T03:04:05.000Z`, as in XML bodies.
pub fn iso8601(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `Fri, 02 Jan 2026 03:04:05 GMT`, as in `Last-Modified`.
pub fn http_date(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// An HTTP date (RFC 1123, or RFC 3339 as some clients send), in epoch milliseconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc2822(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|d| d.timestamp_millis())
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%A, %d-%b-%y %H:%M:%S GMT")
                .ok()
                .map(|d| d.and_utc().timestamp_millis())
        })
}

/// Percent-encodes everything but unreserved characters and `/` (`encoding-type=url`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A 200 XML response.
pub fn xml_ok(body: String) -> HttpResponse {
    xml_response(StatusCode::OK, body)
}

pub fn xml_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Content-Type", "application/xml"))
        .body(body)
}

/// A `<Tagging><TagSet><Tag>...` body.
pub fn parse_tagging(body: &[u8]) -> Result<Vec<Tag>, S3Error> {
    let root = xml::parse(body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Tagging" {
        return Err(S3Error::malformed_xml());
    }
    let set = root.child("TagSet").ok_or_else(S3Error::malformed_xml)?;
    set.all("Tag")
        .map(|t| {
            Ok(Tag {
                key: t
                    .child_text("Key")
                    .ok_or_else(S3Error::malformed_xml)?
                    .to_string(),
                value: t.child_text("Value").unwrap_or("").to_string(),
            })
        })
        .collect()
}

pub fn tagging_xml(tags: &[Tag]) -> String {
    let mut w = XmlWriter::new();
    w.root("Tagging");
    w.open("TagSet");
    for t in tags {
        w.open("Tag");
        w.elem("Key", &t.key);
        w.elem("Value", &t.value);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    w.finish()
}

/// The `x-amz-tagging` header: `k1=v1&k2=v2`, URL-encoded.
pub fn parse_tagging_header(raw: &str) -> Vec<Tag> {
    Query::parse(raw)
        .pairs()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone().unwrap_or_default(),
        })
        .collect()
}

/// Content headers a write stores. `aws-chunked` is framing, not an encoding of the object.
pub fn content_headers(req: &HttpRequest) -> ContentHeaders {
    let get = |n: &str| header(req, n).map(str::to_string);
    let encoding = header(req, "content-encoding").and_then(|e| {
        let kept: Vec<&str> = e
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        (!kept.is_empty()).then(|| kept.join(","))
    });
    ContentHeaders {
        content_type: get("content-type"),
        content_encoding: encoding,
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
    }
}

/// `x-amz-meta-*` headers, names lower-cased without the prefix.
pub fn user_metadata(req: &HttpRequest) -> BTreeMap<String, String> {
    req.headers()
        .iter()
        .filter_map(|(name, value)| {
            let n = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((
                n.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ))
        })
        .collect()
}

/// The headers of an object on GET and HEAD. `checksum`: `x-amz-checksum-mode: ENABLED` and
/// the whole object is returned (a range has no checksum of its own).
pub fn object_headers(
    b: &mut HttpResponseBuilder,
    v: &ObjectVersion,
    versioning: Versioning,
    checksum: bool,
    overrides: &Query,
) {
    b.insert_header(("ETag", v.quoted_etag()));
    b.insert_header(("Last-Modified", http_date(v.last_modified)));
    b.insert_header(("Accept-Ranges", "bytes"));
    let h = &v.headers;
    let pick = |name: &str, stored: &Option<String>| {
        overrides
            .non_empty(name)
            .map(str::to_string)
            .or_else(|| stored.clone())
    };
    let content_type = pick("response-content-type", &h.content_type)
        .and_then(|v| HeaderValue::from_str(&v).ok())
        .unwrap_or(HeaderValue::from_static("binary/octet-stream"));
    b.insert_header(("Content-Type", content_type));
    for (header_name, param, stored) in [
        (
            "Content-Encoding",
            "response-content-encoding",
            &h.content_encoding,
        ),
        (
            "Content-Disposition",
            "response-content-disposition",
            &h.content_disposition,
        ),
        (
            "Content-Language",
            "response-content-language",
            &h.content_language,
        ),
        ("Cache-Control", "response-cache-control", &h.cache_control),
        ("Expires", "response-expires", &h.expires),
    ] {
        if let Some(value) = pick(param, stored).and_then(|v| HeaderValue::from_str(&v).ok()) {
            b.insert_header((header_name, value));
        }
    }
    // Values written through the internal API never went through HTTP: only valid ones go out.
    for (k, val) in &v.metadata {
        let name = HeaderName::from_bytes(format!("x-amz-meta-{k}").as_bytes());
        if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(val)) {
            b.append_header((name, value));
        }
    }
    if versioning.shows_versions() {
        b.insert_header(("x-amz-version-id", v.version_id.as_str()));
    }
    if !v.tags.is_empty() {
        b.insert_header(("x-amz-tagging-count", v.tags.len().to_string()));
    }
    if checksum {
        if let Some(c) = &v.checksum {
            b.insert_header((c.algorithm.header(), c.value.as_str()));
            b.insert_header(("x-amz-checksum-type", c.kind.wire_name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let ms = 1_767_323_045_123; // 2026-01-02T03:04:05.123Z
        assert_eq!(iso8601(ms), "2026-01-02T03:04:05.123Z");
        assert_eq!(http_date(ms), "Fri, 02 Jan 2026 03:04:05 GMT");
        assert_eq!(parse_http_date(&http_date(ms)), Some(ms - 123));
        assert_eq!(parse_http_date("2026-01-02T03:04:05Z"), Some(ms - 123));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn encoding_and_tags() {
        assert_eq!(url_encode("a b/c+d~é"), "a%20b/c%2Bd~%C3%A9");
        let tags = parse_tagging_header("a=1&b%20c=x%26y&empty=");
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[1].key, "b c");
        assert_eq!(tags[1].value, "x&y");
        assert_eq!(tags[2].value, "");
        let parsed = parse_tagging(tagging_xml(&tags).as_bytes()).unwrap();
        assert_eq!(parsed, tags);
        assert!(parse_tagging(b"<Tagging/>").is_err());
    }
}
