//! S3 on the wire, below the SDKs: `aws-chunked` bodies (signed and with trailing checksums),
//! digests that do not match, short bodies, `Expect: 100-continue`, error documents and
//! request ids, addressing styles, routing, and the EventBridge-shaped object events.

mod common;
mod s3_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};

use s3_support::S3_AUTH;
use simfra::services::s3::checksum::checksum_b64;
use simfra::services::s3::model::ChecksumAlgorithm;

fn put_bucket(server: &simfra::server::TestServer, bucket: &str) {
    let r = common::raw(
        server,
        "PUT",
        &format!("/{bucket}"),
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn get_body(server: &simfra::server::TestServer, path: &str) -> (u16, Vec<u8>) {
    let r = common::raw(server, "GET", path, &[("Authorization", S3_AUTH)], b"");
    (r.status, r.body)
}

fn text(r: &common::RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// `aws-chunked` framing of `data` in chunks of `size`, with optional signatures and trailers.
fn chunked(data: &[u8], size: usize, signed: bool, trailer: Option<(&str, &str)>) -> Vec<u8> {
    let mut out = Vec::new();
    let sig = if signed {
        ";chunk-signature=0123456789abcdef"
    } else {
        ""
    };
    for c in data.chunks(size) {
        out.extend_from_slice(format!("{:x}{sig}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("0{sig}\r\n").as_bytes());
    if let Some((name, value)) = trailer {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn aws_chunked_uploads() {
    let server = common::start();
    put_bucket(&server, "chunky");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let len = data.len().to_string();

    // Signed streaming payload.
    let body = chunked(&data, 8192, true, None);
    let r = common::raw(
        &server,
        "PUT",
        "/chunky/signed",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &len),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(get_body(&server, "/chunky/signed"), (200, data.clone()));
    // aws-chunked is framing, not a stored Content-Encoding.
    let h = common::raw(
        &server,
        "HEAD",
        "/chunky/signed",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(h.header("content-encoding"), None);
    assert_eq!(h.header("content-length"), Some(len.as_str()));

    // Unsigned payload with a trailing checksum, as today's SDKs send it.
    let crc = checksum_b64(ChecksumAlgorithm::Crc32, &data);
    let body = chunked(&data, 65536, false, Some(("x-amz-checksum-crc32", &crc)));
    let r = common::raw(
        &server,
        "PUT",
        "/chunky/trailer",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &len),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc.as_str()));
    assert_eq!(get_body(&server, "/chunky/trailer"), (200, data.clone()));

    // A wrong trailing checksum: BadDigest, nothing stored.
    let body = chunked(
        &data,
        65536,
        false,
        Some(("x-amz-checksum-crc32", "AAAAAA==")),
    );
    let r = common::raw(
        &server,
        "PUT",
        "/chunky/bad-trailer",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &len),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ],
        &body,
    );
    assert_eq!(r.status, 400);
    assert!(text(&r).contains("<Code>BadDigest</Code>"), "{}", text(&r));
    assert_eq!(get_body(&server, "/chunky/bad-trailer").0, 404);

    // A decoded length that does not add up.
    let body = chunked(&data[..1000], 500, true, None);
    let r = common::raw(
        &server,
        "PUT",
        "/chunky/short",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("x-amz-decoded-content-length", "2000"),
        ],
        &body,
    );
    assert_eq!(r.status, 400);
    assert!(
        text(&r).contains("<Code>IncompleteBody</Code>"),
        "{}",
        text(&r)
    );
    // Garbage framing.
    let r = common::raw(
        &server,
        "PUT",
        "/chunky/garbage",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ],
        b"zz;chunk-signature=1\r\nhello\r\n",
    );
    assert_eq!(r.status, 400, "{}", text(&r));
    assert_eq!(get_body(&server, "/chunky/garbage").0, 404);
}

#[test]
fn digests_that_do_not_match() {
    let server = common::start();
    put_bucket(&server, "digests");
    let r = common::raw(
        &server,
        "PUT",
        "/digests/sha",
        &[
            ("Authorization", S3_AUTH),
            (
                "x-amz-content-sha256",
                "0000000000000000000000000000000000000000000000000000000000000000",
            ),
        ],
        b"body",
    );
    assert_eq!(r.status, 400);
    assert!(text(&r).contains("<Code>XAmzContentSHA256Mismatch</Code>"));
    // The right hash is accepted.
    let r = common::raw(
        &server,
        "PUT",
        "/digests/sha",
        &[
            ("Authorization", S3_AUTH),
            (
                "x-amz-content-sha256",
                "230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5",
            ),
        ],
        b"body",
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let crc32c = checksum_b64(ChecksumAlgorithm::Crc32c, b"body");
    let r = common::raw(
        &server,
        "PUT",
        "/digests/c",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-checksum-crc32c", &crc32c),
        ],
        b"body",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-amz-checksum-crc32c"), Some(crc32c.as_str()));
    let r = common::raw(
        &server,
        "PUT",
        "/digests/c2",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-checksum-crc32c", "bm90IGEgY3Jj"),
        ],
        b"body",
    );
    assert_eq!(r.status, 400);
    assert!(
        text(&r).contains("<Code>InvalidRequest</Code>"),
        "{}",
        text(&r)
    );
    let r = common::raw(
        &server,
        "PUT",
        "/digests/c3",
        &[
            ("Authorization", S3_AUTH),
            ("x-amz-checksum-crc32c", &crc32c),
            ("x-amz-checksum-crc32", &crc32c),
        ],
        b"body",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn a_body_shorter_than_its_length_stores_nothing() {
    let server = common::start();
    put_bucket(&server, "short");
    for declared in [100usize, 4 * 1024 * 1024] {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        let head = format!(
            "PUT /short/obj HTTP/1.1\r\nHost: {}\r\nAuthorization: {S3_AUTH}\r\nContent-Length: {declared}\r\n\r\n",
            server.addr
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&vec![b'x'; declared / 2]).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        let answer = String::from_utf8_lossy(&buf);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("<Code>IncompleteBody</Code>"), "{answer}");
        assert_eq!(get_body(&server, "/short/obj").0, 404);
    }
    // The server keeps serving.
    let r = common::raw(
        &server,
        "PUT",
        "/short/obj",
        &[("Authorization", S3_AUTH)],
        b"fine",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn expect_100_continue() {
    let server = common::start();
    put_bucket(&server, "expect");
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "PUT /expect/k HTTP/1.1\r\nHost: {}\r\nAuthorization: {S3_AUTH}\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut first = [0u8; 25];
    stream.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 100 Continue"));
    stream.write_all(b"hello").unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(String::from_utf8_lossy(&rest).contains("200 OK"));
    assert_eq!(get_body(&server, "/expect/k"), (200, b"hello".to_vec()));
}

#[test]
fn errors_and_request_ids() {
    let server = common::start();
    put_bucket(&server, "errs");
    let r = common::raw(
        &server,
        "GET",
        "/errs/missing/key",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.status, 404);
    let body = text(&r);
    for part in [
        "<Error><Code>NoSuchKey</Code>",
        "<Message>The specified key does not exist.</Message>",
        "<Key>missing/key</Key>",
        "<Resource>/errs/missing/key</Resource>",
        "<RequestId>",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let id = r.header("x-amz-request-id").unwrap();
    assert_eq!(id.len(), 16);
    assert!(body.contains(&format!("<RequestId>{id}</RequestId>")));
    assert!(r.header("x-amz-id-2").is_some());

    let r = common::raw(
        &server,
        "HEAD",
        "/errs/missing",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert!(r.header("x-amz-request-id").is_some());

    let r = common::raw(&server, "GET", "/no-such-bucket-here/k", &[], b"");
    assert_eq!(r.status, 404);
    assert!(text(&r).contains("<BucketName>no-such-bucket-here</BucketName>"));

    let r = common::raw(
        &server,
        "PATCH",
        "/errs/k",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.status, 405);
    assert!(text(&r).contains("<Code>MethodNotAllowed</Code>"));
    let r = common::raw(
        &server,
        "GET",
        "/errs?acl",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.status, 501);
    assert!(text(&r).contains("<Code>NotImplemented</Code>"));
    assert!(text(&r).contains("not implemented"));

    let ok = common::raw(&server, "GET", "/", &[("Authorization", S3_AUTH)], b"");
    assert_eq!(ok.status, 200);
    assert!(ok.header("x-amz-request-id").is_some());
    assert!(ok.header("x-amz-id-2").is_some());
    assert!(text(&ok).contains("<ListAllMyBucketsResult"));

    let r = common::raw(
        &server,
        "PUT",
        "/errs?versioning",
        &[("Authorization", S3_AUTH)],
        b"<VersioningConfiguration><Status>Sometimes</Status>",
    );
    assert_eq!(r.status, 400);
    assert!(text(&r).contains("<Code>MalformedXML</Code>"));
}

#[test]
fn addressing_and_routing() {
    let server = common::start();
    let port = server.addr.port();
    // Virtual-hosted style: the bucket is in the Host header.
    let raw_with_host = |method: &str, host: &str, path: &str, body: &[u8]| {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\nAuthorization: {S3_AUTH}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        s3_support::send_raw(server.addr, &req)
    };
    let r = raw_with_host("PUT", &format!("vhost.localhost:{port}"), "/", b"");
    assert_eq!(r.status, 200);
    let r = raw_with_host(
        "PUT",
        &format!("vhost.localhost:{port}"),
        "/dir/file",
        b"virtual",
    );
    assert_eq!(r.status, 200);
    let r = raw_with_host(
        "GET",
        &format!("vhost.s3.localhost:{port}"),
        "/dir/file",
        b"",
    );
    assert_eq!(r.body, b"virtual");
    assert_eq!(
        get_body(&server, "/vhost/dir/file"),
        (200, b"virtual".to_vec())
    );

    // Presigned-style query authentication.
    let (status, body) = get_body(
        &server,
        "/vhost/dir/file?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261128T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
    );
    assert_eq!((status, body), (200, b"virtual".to_vec()));

    // Unsigned requests are S3's; requests signed for another service are not.
    let r = common::raw(&server, "GET", "/vhost/dir/file", &[], b"");
    assert_eq!(r.body, b"virtual");
    let r = common::raw(
        &server,
        "GET",
        "/vhost/dir/file",
        &[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/codebuild/aws4_request, SignedHeaders=host, Signature=00",
        )],
        b"",
    );
    assert_ne!(r.body, b"virtual");
    // Git's paths are never S3's.
    let r = common::raw(&server, "GET", "/v1/repos/x/info/refs", &[], b"");
    assert!(!text(&r).contains("<Error>"), "{}", text(&r));
}

#[test]
fn object_events_reach_the_hook() {
    let store = Arc::new(simfra::store::Store::memory().unwrap());
    let s3 = simfra::services::s3::ObjectStore::open(store, "eu-west-1", "111122223333").unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    s3.on_event(Arc::new(move |e| sink.lock().unwrap().push(e.clone())));
    s3.ensure_bucket("quiet").unwrap();
    s3.put_object_bytes("quiet", "k", b"x", Default::default())
        .unwrap();
    assert!(
        seen.lock().unwrap().is_empty(),
        "no events without EventBridge on"
    );

    s3.ensure_bucket("loud").unwrap();
    s3.update_bucket("loud", |b| {
        b.eventbridge = true;
        Ok(())
    })
    .unwrap();
    let v = s3
        .put_object_bytes("loud", "art/1.zip", b"zip", Default::default())
        .unwrap();
    s3.remove_object("loud", "art/1.zip").unwrap();
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 2);
    let created = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(created["source"], "aws.s3");
    assert_eq!(created["detail-type"], "Object Created");
    assert_eq!(created["version"], "0");
    assert_eq!(created["account"], "111122223333");
    assert_eq!(created["region"], "eu-west-1");
    assert_eq!(created["resources"][0], "arn:aws:s3:::loud");
    assert_eq!(created["detail"]["bucket"]["name"], "loud");
    assert_eq!(created["detail"]["object"]["key"], "art/1.zip");
    assert_eq!(created["detail"]["object"]["size"], 3);
    assert_eq!(created["detail"]["object"]["etag"], v.etag.as_str());
    assert_eq!(created["detail"]["reason"], "PutObject");
    assert!(created["time"].as_str().unwrap().ends_with('Z'));
    let deleted = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(deleted["detail-type"], "Object Deleted");
    assert_eq!(deleted["detail"]["deletion-type"], "Permanently Deleted");
}

#[test]
fn events_from_http_requests() {
    // The server's own ObjectStore, served on a router built here, so the test can hook it.
    let settings = simfra::Settings::for_tests();
    let store = Arc::new(simfra::store::Store::memory().unwrap());
    let mut router = simfra::protocol::Router::new("us-east-1", "000000000000", 1 << 20, false);
    let s3 = simfra::services::s3::register(&mut router, &settings, store).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    s3.on_event(Arc::new(move |e| sink.lock().unwrap().push(e.clone())));
    let server = s3_support::serve(router);
    let url = server.url();
    let raw = |method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]| {
        s3_support::raw_to(&url, method, path, headers, body)
    };
    assert_eq!(
        raw("PUT", "/evts", &[("Authorization", S3_AUTH)], b"").0,
        200
    );
    let r = raw(
        "PUT",
        "/evts?notification",
        &[("Authorization", S3_AUTH)],
        b"<NotificationConfiguration><EventBridgeConfiguration/></NotificationConfiguration>",
    );
    assert_eq!(r.0, 200, "{}", String::from_utf8_lossy(&r.1));
    assert_eq!(
        raw("PUT", "/evts/a", &[("Authorization", S3_AUTH)], b"1").0,
        200
    );
    assert_eq!(
        raw(
            "PUT",
            "/evts/b",
            &[("Authorization", S3_AUTH), ("x-amz-copy-source", "/evts/a")],
            b""
        )
        .0,
        200
    );
    assert_eq!(
        raw("DELETE", "/evts/a", &[("Authorization", S3_AUTH)], b"").0,
        204
    );
    let events = seen.lock().unwrap().clone();
    let kinds: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.detail_type.as_str(),
                e.detail.reason.as_str(),
                e.detail.object.key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("Object Created", "PutObject", "a"),
            ("Object Created", "CopyObject", "b"),
            ("Object Deleted", "DeleteObject", "a"),
        ]
    );
    assert_eq!(events[0].detail.request_id.len(), 16);
    assert_eq!(events[0].detail.source_ip_address, "127.0.0.1");
}
