//! Which URLs a webhook endpoint may have (issue 13, design brief §5).
//!
//! - Live-mode endpoints must be `https`; test-mode ones may be `http` too.
//! - No user-info (`https://user:pass@...`): credentials do not belong in a
//!   URL that is listed back by the API.
//! - Unless the operator allows private targets (`webhook_allow_private_targets`,
//!   which the local run command and tests set for loopback receivers):
//!   an IP literal that is not globally routable (loopback, RFC 1918,
//!   CGNAT, link-local including the cloud metadata address 169.254.169.254,
//!   unique-local IPv6, documentation and reserved ranges, IPv4-mapped forms
//!   of any of these) is refused, and so are names that only ever mean this
//!   machine or a private network (`localhost`, `*.localhost`, `*.local`,
//!   `*.internal` such as `metadata.google.internal`, single-label names).
//!
//! A public-looking name can still resolve to a private address, now or
//! after a DNS change. A Spin component cannot resolve names (Spin grants no
//! `wasi:sockets/ip-name-lookup`), so that check is made where the address
//! is known: by Spin's outbound networking at connect time
//! (`[outbound_networking] block_networks = ["private"]` in the runtime
//! configuration), on every delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A target that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as normalised by the WHATWG parser.
    pub url: String,
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// Why a URL cannot be an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("is not an absolute URL")]
    NotAUrl,
    #[error("must use https (http is accepted only for test-mode endpoints)")]
    SchemeNotAllowed,
    #[error("must not contain a user name or password")]
    Credentials,
    #[error("must not be longer than 2048 characters")]
    TooLong,
    #[error("points at a private, loopback, link-local or reserved address ({0})")]
    PrivateAddress(IpAddr),
    #[error("names a local or internal host ({0})")]
    LocalName(String),
    #[error(
        "must have a DNS host name of letters, digits and hyphens (labels of 1 to 63, not starting or ending with a hyphen, no trailing dot) or an IP address"
    )]
    BadHostName,
    #[error("must not contain whitespace or control characters")]
    Whitespace,
}

/// Checks `url` for an endpoint of the given mode.
pub fn check(url: &str, livemode: bool, allow_private: bool) -> Result<Target, TargetError> {
    if url.len() > 2048 {
        return Err(TargetError::TooLong);
    }
    // The WHATWG parser would silently strip or encode these; a URL a
    // partner pasted with a stray space is better refused than rewritten.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TargetError::Whitespace);
    }
    let parsed = url::Url::parse(url).map_err(|_| TargetError::NotAUrl)?;
    let scheme = parsed.scheme().to_owned();
    match scheme.as_str() {
        "https" => {}
        "http" if !livemode => {}
        _ => return Err(TargetError::SchemeNotAllowed),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let port = parsed.port_or_known_default().ok_or(TargetError::NotAUrl)?;
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => {
            refuse_ip(IpAddr::V4(ip), allow_private)?;
            ip.to_string()
        }
        Some(url::Host::Ipv6(ip)) => {
            refuse_ip(IpAddr::V6(ip), allow_private)?;
            format!("[{ip}]")
        }
        Some(url::Host::Domain(name)) => {
            if !is_ldh_name(name) {
                return Err(TargetError::BadHostName);
            }
            let name = name.to_ascii_lowercase();
            if !allow_private && is_local_name(&name) {
                return Err(TargetError::LocalName(name));
            }
            name
        }
        None => return Err(TargetError::NotAUrl),
    };
    Ok(Target {
        url: parsed.to_string(),
        scheme,
        host,
        port,
    })
}

fn refuse_ip(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    if !allow_private && !is_global(ip) {
        return Err(TargetError::PrivateAddress(ip));
    }
    Ok(())
}

/// RFC 1123 host name syntax: dot-separated labels of 1 to 63 letters,
/// digits and hyphens, none starting or ending with a hyphen, the last one
/// starting with a letter (a top-level domain; all digits would be IPv4).
fn is_ldh_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.iter().all(|l| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    }) && labels
        .last()
        .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

fn is_local_name(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".localhost",
        ".local",
        ".internal",
        ".localdomain",
        ".home.arpa",
    ];
    name == "localhost" || !name.contains('.') || SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Whether `ip` is globally routable: false for every special-purpose range
/// of the IANA IPv4 and IPv6 registries that is not globally reachable
/// (the same rule as Spin's `block_networks = ["private"]`, which uses
/// `ip_network`'s `is_global`).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_global_v4(v4),
            None => is_global_v6(v6),
        },
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, with the metadata address
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 shared (CGNAT)
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24 IETF protocol
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15 benchmarking
        || a >= 240) // 240/4 reserved
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local (fd00:ec2::254 metadata)
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32 documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // 64:ff9b::/96 NAT64 (maps to IPv4)
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // 100::/64 discard
        || s[..6] == [0; 6]) // ::/96 IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_endpoints_need_https_and_test_ones_may_use_http() {
        assert!(check("https://hooks.example.com/x", true, false).is_ok());
        assert_eq!(
            check("http://hooks.example.com/x", true, false),
            Err(TargetError::SchemeNotAllowed)
        );
        assert!(check("http://hooks.example.com/x", false, false).is_ok());
        assert_eq!(
            check("ftp://hooks.example.com/x", false, false),
            Err(TargetError::SchemeNotAllowed)
        );
        assert_eq!(
            check("hooks.example.com/x", false, false),
            Err(TargetError::NotAUrl)
        );
        assert_eq!(
            check("not a url", false, false),
            Err(TargetError::Whitespace)
        );
    }

    #[test]
    fn private_loopback_link_local_and_metadata_literals_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.100.100.200/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            // Other spellings of 127.0.0.1 the URL parser normalises.
            "https://2130706433/",
            "https://0x7f.0.0.1/",
            "https://127.1/",
        ] {
            assert!(
                matches!(check(url, true, false), Err(TargetError::PrivateAddress(_))),
                "{url}: {:?}",
                check(url, true, false)
            );
        }
        assert!(check("https://93.184.215.14/", true, false).is_ok());
        assert!(
            check(
                "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
                true,
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn local_and_internal_names_are_refused() {
        for url in [
            "https://localhost/",
            "https://api.localhost/",
            "https://metadata.google.internal/",
            "https://printer.local/",
            "https://intranet/",
        ] {
            assert!(
                matches!(check(url, true, false), Err(TargetError::LocalName(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn host_names_must_be_letters_digits_and_hyphens() {
        for url in [
            "https://hooks.example.com*/",
            "https://hooks.example.com./",
            "https://-hooks.example.com/",
            "https://hooks_1.example.com/",
            "https://hooks.example.com /x",
        ] {
            assert!(check(url, true, false).is_err(), "{url}");
        }
        assert!(check("https://Hooks-1.Example.COM:8443/x?y=1#z", true, false).is_ok());
    }

    #[test]
    fn the_operator_can_allow_private_targets() {
        let t = check("http://127.0.0.1:8080/hook", false, true).expect("allowed");
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8080));
        assert!(check("http://localhost:9/", false, true).is_ok());
        // Still not http in live mode, nor credentials.
        assert!(check("http://127.0.0.1/", true, true).is_err());
        assert_eq!(
            check("https://u:p@hooks.example.com/", true, true),
            Err(TargetError::Credentials)
        );
    }
}
