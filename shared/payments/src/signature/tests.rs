//! Every case of issue 10's Done-when for provider webhooks, at the rule level
//! (the HTTP level is tests/tests/payments_webhook.rs). Expected signatures
//! were computed outside this code with Python's `hmac` module:
//! `hmac.new(secret, b"1700000000." + BODY, hashlib.sha256).hexdigest()`.

use super::*;

const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
const T: i64 = 1_700_000_000;
const NEW: &[u8] = b"whsec_test_secret";
const OLD: &[u8] = b"whsec_old_secret";
const SIG_NEW: &str = "a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b";
const SIG_OLD: &str = "6d77b47d6c990842c24c3b1b7c9d0044cb127910ca0e049a63e0cbfdfa8962fc";

fn header(sigs: &[&str]) -> String {
    let mut h = format!("t={T}");
    for s in sigs {
        h.push_str(",v1=");
        h.push_str(s);
    }
    h
}

#[test]
fn signature_matches_an_independent_hmac() {
    assert_eq!(v1_signature(NEW, T, BODY), SIG_NEW);
    assert_eq!(sign(NEW, T, BODY), format!("t={T},v1={SIG_NEW}"));
}

#[test]
fn a_valid_signature_verifies_at_the_same_second() {
    let ok = verify(BODY, &header(&[SIG_NEW]), &[NEW], T).expect("valid");
    assert_eq!(ok.timestamp, T);
}

#[test]
fn a_bad_signature_is_refused() {
    let mut bad = SIG_NEW.to_string();
    bad.replace_range(0..1, "b"); // one hex digit changed
    assert_eq!(
        verify(BODY, &header(&[&bad]), &[NEW], T),
        Err(SignatureError::NoMatch)
    );
    // Signed with a secret we do not hold.
    assert_eq!(
        verify(BODY, &header(&[SIG_OLD]), &[NEW], T),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn the_tolerance_is_300_seconds_in_both_directions() {
    let h = header(&[SIG_NEW]);
    assert!(verify(BODY, &h, &[NEW], T + 300).is_ok());
    assert!(verify(BODY, &h, &[NEW], T - 300).is_ok());
    assert_eq!(
        verify(BODY, &h, &[NEW], T + 301),
        Err(SignatureError::OutsideTolerance { age: 301 })
    );
    assert_eq!(
        verify(BODY, &h, &[NEW], T - 301),
        Err(SignatureError::OutsideTolerance { age: -301 })
    );
}

#[test]
fn a_body_reserialised_after_signing_is_refused() {
    // The same JSON value with a space after each colon and keys reordered.
    let reserialised = br#"{"type": "checkout.session.completed", "id": "evt_1"}"#;
    assert_eq!(
        verify(reserialised, &header(&[SIG_NEW]), &[NEW], T),
        Err(SignatureError::NoMatch)
    );
    let pretty = b"{\n  \"id\": \"evt_1\",\n  \"type\": \"checkout.session.completed\"\n}";
    assert_eq!(
        verify(pretty, &header(&[SIG_NEW]), &[NEW], T),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn two_v1_values_one_from_a_rotated_out_secret_verify_in_either_order() {
    // We hold only the new secret; the provider still signs with both.
    assert!(verify(BODY, &header(&[SIG_OLD, SIG_NEW]), &[NEW], T).is_ok());
    assert!(verify(BODY, &header(&[SIG_NEW, SIG_OLD]), &[NEW], T).is_ok());
    // We hold both (our rotation), the provider signs with the old one only.
    assert!(verify(BODY, &header(&[SIG_OLD]), &[NEW, OLD], T).is_ok());
    assert!(verify(BODY, &header(&[SIG_OLD]), &[OLD, NEW], T).is_ok());
}

#[test]
fn other_schemes_are_ignored() {
    // A v0 that would match is not accepted; a v0 that does not match is no harm.
    let only_v0 = format!("t={T},v0={SIG_NEW}");
    assert_eq!(
        verify(BODY, &only_v0, &[NEW], T),
        Err(SignatureError::Malformed("no v1 signature"))
    );
    let mixed = format!("t={T},v0=deadbeef,v1={SIG_NEW},v2=zzz");
    assert!(verify(BODY, &mixed, &[NEW], T).is_ok());
    let spaced = format!(" t={T} , v1={SIG_NEW} ");
    assert!(verify(BODY, &spaced, &[NEW], T).is_ok());
}

#[test]
fn malformed_headers_are_refused() {
    for (h, why) in [
        ("", "empty header"),
        ("   ", "empty header"),
        ("garbage", "an item is not scheme=value"),
        (&format!("v1={SIG_NEW}"), "no t"),
        (&format!("t=abc,v1={SIG_NEW}"), "t is not a Unix timestamp"),
        (&format!("t=-5,v1={SIG_NEW}"), "t is not a Unix timestamp"),
        (&format!("t=+{T},v1={SIG_NEW}"), "t is not a Unix timestamp"),
        (&format!("t=,v1={SIG_NEW}"), "t is not a Unix timestamp"),
        (&format!("t={T},t={T},v1={SIG_NEW}"), "more than one t"),
        (&format!("t={T}"), "no v1 signature"),
        (
            &format!("t={T},,v1={SIG_NEW}"),
            "an item is not scheme=value",
        ),
        (
            "t=99999999999999999999999,v1=00",
            "t is not a Unix timestamp",
        ),
    ] {
        assert_eq!(
            parse_header(h),
            Err(SignatureError::Malformed(why)),
            "header {h:?}"
        );
    }
}

#[test]
fn a_signature_without_any_secret_configured_never_verifies() {
    assert_eq!(
        verify(BODY, &header(&[SIG_NEW]), &[], T),
        Err(SignatureError::NoMatch)
    );
}
