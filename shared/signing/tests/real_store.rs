//! Signs real requests against the local S3-compatible store (farm-s3-store, started
//! by `scripts/services.sh up`): presigned PUT/GET/HEAD, header-signed HEAD and
//! GET, and the store's refusal of expired, tampered and mis-headed requests.
//!
//! The store address comes from `FARM_S3_ENDPOINT` (default 127.0.0.1:19000).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

use farm_signing::sigv4::{Bucket, Credentials, Endpoint};

fn store_authority() -> String {
    std::env::var("FARM_S3_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:19000".into())
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn bucket() -> Bucket {
    let endpoint =
        Endpoint::parse(&format!("http://{}", store_authority())).expect("valid endpoint");
    Bucket::new(
        endpoint,
        "farm-uploads",
        Credentials {
            access_key: "farmlocal".into(),
            secret_key: "farmlocalsecret".into(),
            region: "us-east-1".into(),
        },
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn unique_key(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("signing-tests/{tag}-{nanos}-{}.stl", std::process::id())
}

/// Sends one HTTP/1.1 request and returns (status, body).
fn send(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String) {
    let rest = url.trim_start_matches("http://");
    let (authority, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| {
        panic!("object store not reachable at {authority} ({e}); run scripts/services.sh up")
    });
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write request");
    stream.write_all(body).expect("write body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn presigned_put_then_signed_head_and_get_round_trip() {
    let bucket = bucket();
    let key = unique_key("roundtrip");
    let put = bucket
        .presign("PUT", &key, &[("Content-Type", "model/stl")], 60, now())
        .expect("sign");
    let (status, body) = send(
        "PUT",
        &put.url,
        &put.required_headers,
        b"solid x\nendsolid x\n",
    );
    assert_eq!(status, 200, "{body}");

    let head = bucket.sign("HEAD", &key, &[], now()).expect("sign");
    let (status, _) = send("HEAD", &head.url, &head.headers, b"");
    assert_eq!(status, 200);

    let get = bucket.sign("GET", &key, &[], now()).expect("sign");
    let (status, body) = send("GET", &get.url, &get.headers, b"");
    assert_eq!((status, body.as_str()), (200, "solid x\nendsolid x\n"));

    let presigned_get = bucket.presign("GET", &key, &[], 60, now()).expect("sign");
    let (status, body) = send(
        "GET",
        &presigned_get.url,
        &presigned_get.required_headers,
        b"",
    );
    assert_eq!((status, body.as_str()), (200, "solid x\nendsolid x\n"));
}

#[test]
fn the_store_refuses_an_expired_presigned_url() {
    let bucket = bucket();
    let key = unique_key("expired");
    let put = bucket
        .presign(
            "PUT",
            &key,
            &[("Content-Type", "model/stl")],
            60,
            now() - 600,
        )
        .expect("sign");
    let (status, body) = send("PUT", &put.url, &put.required_headers, b"x");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("expired"), "{body}");
    let head = bucket.sign("HEAD", &key, &[], now()).expect("sign");
    assert_eq!(
        send("HEAD", &head.url, &head.headers, b"").0,
        404,
        "nothing was stored"
    );
}

#[test]
fn the_store_refuses_other_headers_and_tampered_urls() {
    let bucket = bucket();
    let key = unique_key("tampered");
    let put = bucket
        .presign("PUT", &key, &[("Content-Type", "model/stl")], 60, now())
        .expect("sign");
    let wrong_type = vec![
        ("Content-Type".to_owned(), "model/obj".to_owned()),
        (
            "x-amz-content-sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
    ];
    assert_eq!(send("PUT", &put.url, &wrong_type, b"x").0, 403);
    let other_key = put.url.replace("tampered-", "tampered2-");
    assert_eq!(send("PUT", &other_key, &put.required_headers, b"x").0, 403);
    let wrong_secret = Bucket::new(
        Endpoint::parse(&format!("http://{}", store_authority())).expect("valid"),
        "farm-uploads",
        Credentials {
            access_key: "farmlocal".into(),
            secret_key: "not-the-secret".into(),
            region: "us-east-1".into(),
        },
    );
    let forged = wrong_secret
        .presign("PUT", &key, &[("Content-Type", "model/stl")], 60, now())
        .expect("sign");
    assert_eq!(
        send("PUT", &forged.url, &forged.required_headers, b"x").0,
        403
    );
}
