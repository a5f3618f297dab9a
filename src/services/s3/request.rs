//! From an HTTP request to an S3 operation: path-style (`/bucket/key`) and virtual-hosted
//! (`bucket.localhost:4599`, `bucket.s3.<anything>`) addressing, query parameters, and the
//! table of method + sub-resource -> operation.

use actix_web::http::Method;
use actix_web::HttpRequest;

use super::errors::S3Error;

/// The operations this service serves; everything else is `NotImplemented` or
/// `MethodNotAllowed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    PutBucketVersioning,
    GetBucketVersioning,
    PutBucketTagging,
    GetBucketTagging,
    DeleteBucketTagging,
    PutBucketNotificationConfiguration,
    GetBucketNotificationConfiguration,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    /// A known S3 operation this server does not offer (named for the error message).
    NotImplemented(String),
    MethodNotAllowed,
}

/// Decoded query parameters, in order; a parameter without `=` has no value (`?uploads`).
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, Option<String>)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (decode_query(k), Some(decode_query(v))),
                    None => (decode_query(kv), None),
                })
                .collect(),
        )
    }

    pub fn pairs(&self) -> impl Iterator<Item = &(String, Option<String>)> {
        self.0.iter()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of a parameter (an empty string for `?name` or `?name=`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// The value, treating an empty one as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// Decodes `%XX` escapes; `+` is a space only in query strings.
fn percent_decode_bytes(s: &str, plus_is_space: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn decode_query(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(s, true)).into_owned()
}

/// Decodes a path segment (bucket or key); keys must be UTF-8.
pub fn decode_path(s: &str) -> Result<String, S3Error> {
    String::from_utf8(percent_decode_bytes(s, false)).map_err(|_| {
        S3Error::invalid_argument("Object keys must be valid UTF-8", "key", s.to_string())
    })
}

/// The bucket a virtual-hosted `Host` names, if it names one.
pub fn bucket_from_host(host: &str) -> Option<String> {
    let host = host.trim().to_ascii_lowercase();
    // Strip the port (IPv6 literals are never bucket hosts).
    if host.starts_with('[') {
        return None;
    }
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    if !name.contains('.') || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return None;
    }
    if let Some(i) = name.find(".s3.").or_else(|| name.find(".s3-")) {
        return (i > 0).then(|| name[..i].to_string());
    }
    if name.starts_with("s3.") || name.starts_with("s3-") {
        return None;
    }
    name.strip_suffix(".localhost")
        .filter(|b| !b.is_empty())
        .map(str::to_string)
}

/// What a request addresses.
#[derive(Debug, Clone)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub query: Query,
    /// `/bucket/key`, for the `<Resource>` of errors.
    pub resource: String,
}

impl Target {
    pub fn parse(req: &HttpRequest) -> Result<Target, S3Error> {
        let query = Query::parse(req.query_string());
        let path = req.path();
        let host = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let rest = path.strip_prefix('/').unwrap_or(path);
        let (bucket, key) = match bucket_from_host(host) {
            Some(bucket) => (Some(bucket), rest),
            None => {
                let (b, k) = rest.split_once('/').unwrap_or((rest, ""));
                let b = decode_path(b)?;
                ((!b.is_empty()).then_some(b), k)
            }
        };
        let key = if key.is_empty() {
            None
        } else {
            Some(decode_path(key)?)
        };
        let resource = match (&bucket, &key) {
            (Some(b), Some(k)) => format!("/{b}/{k}"),
            (Some(b), None) => format!("/{b}"),
            _ => "/".to_string(),
        };
        Ok(Target {
            bucket,
            key,
            query,
            resource,
        })
    }

    /// Method + sub-resources -> operation.
    pub fn operation(&self, method: &Method, copy_source: bool) -> Op {
        let q = &self.query;
        let not_built = |what: &str| Op::NotImplemented(format!("{method} ?{what}"));
        let unsupported = UNSUPPORTED.iter().find(|s| q.has(s));
        match (&self.bucket, &self.key) {
            (None, _) => match *method {
                Method::GET | Method::HEAD => Op::ListBuckets,
                _ => Op::MethodNotAllowed,
            },
            (Some(_), None) => {
                if let Some(s) = unsupported {
                    return not_built(s);
                }
                match *method {
                    Method::PUT if q.has("versioning") => Op::PutBucketVersioning,
                    Method::PUT if q.has("tagging") => Op::PutBucketTagging,
                    Method::PUT if q.has("notification") => Op::PutBucketNotificationConfiguration,
                    Method::PUT => Op::CreateBucket,
                    Method::GET if q.has("location") => Op::GetBucketLocation,
                    Method::GET if q.has("versioning") => Op::GetBucketVersioning,
                    Method::GET if q.has("tagging") => Op::GetBucketTagging,
                    Method::GET if q.has("notification") => Op::GetBucketNotificationConfiguration,
                    Method::GET if q.has("versions") => Op::ListObjectVersions,
                    Method::GET if q.has("uploads") => Op::ListMultipartUploads,
                    Method::GET if q.get("list-type") == Some("2") => Op::ListObjectsV2,
                    Method::GET => Op::ListObjects,
                    Method::HEAD => Op::HeadBucket,
                    Method::DELETE if q.has("tagging") => Op::DeleteBucketTagging,
                    Method::DELETE => Op::DeleteBucket,
                    Method::POST if q.has("delete") => Op::DeleteObjects,
                    Method::POST => not_built("browser-form POST upload"),
                    _ => Op::MethodNotAllowed,
                }
            }
            (Some(_), Some(_)) => {
                if let Some(s) = unsupported {
                    return not_built(s);
                }
                match *method {
                    Method::PUT if q.has("partNumber") && q.has("uploadId") => {
                        if copy_source {
                            Op::UploadPartCopy
                        } else {
                            Op::UploadPart
                        }
                    }
                    Method::PUT if q.has("tagging") => Op::PutObjectTagging,
                    Method::PUT if copy_source => Op::CopyObject,
                    Method::PUT => Op::PutObject,
                    Method::GET if q.has("uploadId") => Op::ListParts,
                    Method::GET if q.has("tagging") => Op::GetObjectTagging,
                    Method::GET => Op::GetObject,
                    Method::HEAD => Op::HeadObject,
                    Method::DELETE if q.has("uploadId") => Op::AbortMultipartUpload,
                    Method::DELETE if q.has("tagging") => Op::DeleteObjectTagging,
                    Method::DELETE => Op::DeleteObject,
                    Method::POST if q.has("uploads") => Op::CreateMultipartUpload,
                    Method::POST if q.has("uploadId") => Op::CompleteMultipartUpload,
                    Method::POST => not_built("POST on an object"),
                    _ => Op::MethodNotAllowed,
                }
            }
        }
    }
}

/// Sub-resources of S3 operations this server does not offer.
const UNSUPPORTED: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "torrent",
    "website",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(bucket_from_host("localhost:4599"), None);
        assert_eq!(bucket_from_host("127.0.0.1:4599"), None);
        assert_eq!(bucket_from_host("b1.localhost:4599").as_deref(), Some("b1"));
        assert_eq!(bucket_from_host("my.b.localhost").as_deref(), Some("my.b"));
        assert_eq!(
            bucket_from_host("b2.s3.localhost:4599").as_deref(),
            Some("b2")
        );
        assert_eq!(
            bucket_from_host("b3.s3.us-east-1.amazonaws.com").as_deref(),
            Some("b3")
        );
        assert_eq!(bucket_from_host("s3.amazonaws.com"), None);
        assert_eq!(bucket_from_host("s3.localhost:4599"), None);
        assert_eq!(bucket_from_host("host.docker.internal:4599"), None);
        assert_eq!(bucket_from_host("[::1]:4599"), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_path("a%20b+c").unwrap(), "a b+c");
        assert_eq!(decode_path("100%").unwrap(), "100%");
        assert!(decode_path("%ff").is_err());
        let q = Query::parse("uploads&prefix=a+b%2Fc&empty=&list-type=2");
        assert!(q.has("uploads"));
        assert_eq!(q.get("uploads"), Some(""));
        assert_eq!(q.get("prefix"), Some("a b/c"));
        assert_eq!(q.non_empty("empty"), None);
        assert_eq!(q.get("list-type"), Some("2"));
    }

    #[test]
    fn operations() {
        let t = |bucket: Option<&str>, key: Option<&str>, query: &str| Target {
            bucket: bucket.map(str::to_string),
            key: key.map(str::to_string),
            query: Query::parse(query),
            resource: String::new(),
        };
        assert_eq!(
            t(None, None, "").operation(&Method::GET, false),
            Op::ListBuckets
        );
        assert_eq!(
            t(Some("b"), None, "list-type=2").operation(&Method::GET, false),
            Op::ListObjectsV2
        );
        assert_eq!(
            t(Some("b"), Some("k"), "partNumber=1&uploadId=u").operation(&Method::PUT, true),
            Op::UploadPartCopy
        );
        assert_eq!(
            t(Some("b"), Some("k"), "").operation(&Method::PUT, true),
            Op::CopyObject
        );
        assert!(matches!(
            t(Some("b"), None, "acl").operation(&Method::GET, false),
            Op::NotImplemented(_)
        ));
        assert_eq!(
            t(Some("b"), Some("k"), "").operation(&Method::PATCH, false),
            Op::MethodNotAllowed
        );
    }
}
