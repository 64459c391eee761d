use super::*;

/// AWS's documented example credentials (not a secret).
fn aws_example_credentials() -> Credentials {
    Credentials {
        access_key: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        region: "us-east-1".into(),
    }
}

/// 2013-05-24T00:00:00Z, the instant of every AWS worked example.
const AWS_EXAMPLE_TIME: i64 = 1_369_353_600;

fn aws_example_endpoint() -> Endpoint {
    Endpoint::parse("https://examplebucket.s3.amazonaws.com").expect("valid endpoint")
}

/// "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
/// the presigned GET of `test.txt`, valid 86400 s.
#[test]
fn presigned_get_matches_the_aws_published_example() {
    let url = presign(
        &aws_example_endpoint(),
        &aws_example_credentials(),
        "GET",
        "/test.txt",
        &[],
        86_400,
        AWS_EXAMPLE_TIME,
    )
    .expect("signable");
    assert_eq!(
        url.url,
        "https://examplebucket.s3.amazonaws.com/test.txt\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    assert_eq!(url.expires_unix, AWS_EXAMPLE_TIME + 86_400);
    assert!(url.required_headers.is_empty());
}

/// "Authenticating Requests: Using the Authorization Header", the GET Object
/// example with a `Range` header.
#[test]
fn header_signed_get_matches_the_aws_published_example() {
    let signed = sign(
        &aws_example_endpoint(),
        &aws_example_credentials(),
        "GET",
        "/test.txt",
        &[],
        &[("Range", "bytes=0-9")],
        EMPTY_SHA256,
        AWS_EXAMPLE_TIME,
    )
    .expect("signable");
    let auth = signed
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(
        auth,
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    );
    assert!(
        signed
            .headers
            .contains(&("x-amz-date".into(), "20130524T000000Z".into()))
    );
    assert!(
        signed
            .headers
            .contains(&("x-amz-content-sha256".into(), EMPTY_SHA256.into()))
    );
}

#[test]
fn bucket_presign_is_path_style_and_signs_the_required_headers() {
    let bucket = Bucket::new(
        Endpoint::parse("http://127.0.0.1:19000/").expect("valid"),
        "farm-uploads",
        aws_example_credentials(),
    );
    let put = bucket
        .presign(
            "PUT",
            "acct_1/file_2.stl",
            &[("Content-Type", "model/stl")],
            900,
            AWS_EXAMPLE_TIME,
        )
        .expect("signable");
    assert!(
        put.url
            .starts_with("http://127.0.0.1:19000/farm-uploads/acct_1/file_2.stl?X-Amz-Algorithm=")
    );
    assert!(
        put.url
            .contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-content-sha256")
    );
    assert_eq!(
        put.required_headers,
        vec![
            ("Content-Type".to_owned(), "model/stl".to_owned()),
            (
                "x-amz-content-sha256".to_owned(),
                UNSIGNED_PAYLOAD.to_owned()
            ),
        ]
    );
    // Any change of signed input changes the signature.
    let other = bucket
        .presign(
            "PUT",
            "acct_1/file_2.stl",
            &[("Content-Type", "model/obj")],
            900,
            AWS_EXAMPLE_TIME,
        )
        .expect("signable");
    assert_ne!(signature_of(&put.url), signature_of(&other.url));
}

fn signature_of(url: &str) -> &str {
    url.rsplit("X-Amz-Signature=").next().unwrap_or_default()
}

#[test]
fn keys_are_encoded_once_with_slashes_kept() {
    assert_eq!(uri_encode("a b/ü~.stl", false), "a%20b/%C3%BC~.stl");
    assert_eq!(uri_encode("a/b=c", true), "a%2Fb%3Dc");
}

#[test]
fn rejects_bad_input() {
    let creds = aws_example_credentials();
    let ep = aws_example_endpoint();
    assert_eq!(
        presign(&ep, &creds, "GET", "/k", &[], 0, 0),
        Err(Error::InvalidExpiry(0))
    );
    assert_eq!(
        presign(&ep, &creds, "GET", "/k", &[], MAX_EXPIRES_SECS + 1, 0),
        Err(Error::InvalidExpiry(MAX_EXPIRES_SECS + 1))
    );
    assert!(presign(&ep, &creds, "GET", "/k", &[("Host", "x")], 60, 0).is_err());
    assert!(presign(&ep, &creds, "GET", "/k", &[("a", "x\ny")], 60, 0).is_err());
    for bad in ["ftp://x", "http://", "http://a/b", "127.0.0.1:9000"] {
        assert!(Endpoint::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn debug_never_prints_the_secret() {
    let text = format!("{:?}", aws_example_credentials());
    assert!(!text.contains("EXAMPLEKEY"));
}
