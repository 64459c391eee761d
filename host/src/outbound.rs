//! Outbound networking: the `allowed_outbound_hosts` allow-list; outbound
//! HTTP, including Spin's service chaining (`http://<component>.spin.internal`),
//! which is dispatched in-process to the named component; and `wasi:sockets`
//! (raw TCP/UDP) checked against the same list, as Spin checks it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Weak;

use anyhow::{Context, bail};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::app::App;
use crate::networks::{BlockedNetworks, NameTable};
use wasmtime_wasi::sockets::SocketAddrUse;

/// One `allowed_outbound_hosts` entry: `scheme://host[:port]`, where each part
/// may be `*`, the host may be `*.suffix`, and the port may be a range `a..b`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AllowedHost {
    scheme: String,
    host: String,
    ports: Ports,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ports {
    Any,
    Range(u16, u16),
    /// No port given: the scheme's default port.
    Default,
}

#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

impl AllowedHosts {
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let entries = entries
            .iter()
            .map(|e| parse_entry(e))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { entries })
    }

    /// Whether a URL (`http://h:p/...`, `postgres://user@h:p/db`) may be reached.
    pub fn allows_url(&self, url: &str) -> bool {
        match split_url(url) {
            Some((scheme, host, port)) => self.allows(&scheme, &host, port),
            None => false,
        }
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let port = port.or_else(|| default_port(scheme));
        self.entries.iter().any(|e| {
            (e.scheme == "*" || e.scheme.eq_ignore_ascii_case(scheme))
                && host_matches(&e.host, host)
                && match e.ports {
                    Ports::Any => true,
                    Ports::Range(lo, hi) => port.is_some_and(|p| (lo..=hi).contains(&p)),
                    Ports::Default => port == default_port(scheme),
                }
        })
    }
}

/// The `wasi:sockets` check for one component, as Spin's outbound networking
/// factor makes it: a TCP connect is allowed when `tcp://<ip>:<port>` matches
/// an entry, UDP when `udp://<ip>:<port>` does; binding and listening are
/// refused (a component serves only through its HTTP trigger). Spin grants
/// no `ip-name-lookup`, so the address checked is always an IP: an entry
/// naming a host by DNS name never matches a socket (use the IP).
///
/// wasmtime also asks about the implicit bind a connect makes (the wildcard
/// address, port 0); that one is allowed, since Spin's wasmtime performed no
/// such check and an ephemeral wildcard bind reaches nothing by itself.
#[cfg(test)]
pub fn socket_allowed(allowed: &AllowedHosts, addr: SocketAddr, use_: SocketAddrUse) -> bool {
    socket_allowed_unless_blocked(allowed, &BlockedNetworks::default(), addr, use_)
}

/// [`socket_allowed`], and (as Spin checks it after the allow-list) not in
/// the runtime configuration's blocked networks.
pub fn socket_allowed_unless_blocked(
    allowed: &AllowedHosts,
    blocked: &BlockedNetworks,
    addr: SocketAddr,
    use_: SocketAddrUse,
) -> bool {
    if !matches!(use_, SocketAddrUse::TcpBind) && blocked.is_blocked(addr.ip()) {
        return false;
    }
    let (ip, port) = (addr.ip().to_string(), Some(addr.port()));
    match use_ {
        SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
        SocketAddrUse::TcpConnect => allowed.allows("tcp", &ip, port),
        SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => false,
        SocketAddrUse::UdpBind | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
            allowed.allows("udp", &ip, port)
        }
    }
}

/// [`socket_allowed`] in the shape `WasiCtxBuilder::socket_addr_check` takes,
/// logging refusals the way denied HTTP requests are logged.
pub fn socket_check(
    component: String,
    allowed: AllowedHosts,
    blocked: BlockedNetworks,
) -> impl Fn(SocketAddr, SocketAddrUse) -> Pin<Box<dyn Future<Output = bool> + Send + Sync>>
+ Send
+ Sync
+ 'static {
    move |addr, use_| {
        let ok = socket_allowed_unless_blocked(&allowed, &blocked, addr, use_);
        if !ok {
            eprintln!("[{component}] socket {use_:?} {addr} denied: not in allowed_outbound_hosts");
        }
        Box::pin(async move { ok })
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "redis" => Some(6379),
        "mysql" => Some(3306),
        "mqtt" => Some(1883),
        _ => None,
    }
}

fn parse_entry(entry: &str) -> anyhow::Result<AllowedHost> {
    let (scheme, rest) = entry.split_once("://").with_context(|| {
        format!("allowed_outbound_hosts entry `{entry}` needs a scheme, e.g. `https://{entry}`")
    })?;
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        bail!("allowed_outbound_hosts entry `{entry}` must not contain a path");
    }
    let (host, ports) = match rest.rsplit_once(':') {
        Some((host, "*")) => (host, Ports::Any),
        Some((host, port)) => {
            let ports = match port.split_once("..") {
                Some((lo, hi)) => Ports::Range(parse_port(entry, lo)?, parse_port(entry, hi)?),
                None => {
                    let p = parse_port(entry, port)?;
                    Ports::Range(p, p)
                }
            };
            (host, ports)
        }
        None if scheme == "*" => (rest, Ports::Any),
        None => (rest, Ports::Default),
    };
    if host.is_empty() {
        bail!("allowed_outbound_hosts entry `{entry}` has no host");
    }
    Ok(AllowedHost {
        scheme: scheme.to_ascii_lowercase(),
        // `[::1]` in an entry, `::1` in a socket address.
        host: host.trim_matches(['[', ']']).to_ascii_lowercase(),
        ports,
    })
}

fn parse_port(entry: &str, p: &str) -> anyhow::Result<u16> {
    p.parse().with_context(|| {
        format!("allowed_outbound_hosts entry `{entry}` has an invalid port `{p}`")
    })
}

/// (scheme, host, port) of a URL, accepting `user:password@` before the host.
fn split_url(url: &str) -> Option<(String, String, Option<u16>)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h, Some(p.parse().ok()?))
        }
        _ => (authority, None),
    };
    Some((
        scheme.to_ascii_lowercase(),
        host.trim_matches(['[', ']']).to_ascii_lowercase(),
        port,
    ))
}

/// `scheme://host:port` of a URL, for error messages that tell the author what
/// to add to the allow-list (never including credentials).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, host, port) = split_url(url)?;
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// The hooks for one request's outbound HTTP.
pub struct OutboundHooks {
    pub component: String,
    pub allowed: AllowedHosts,
    pub app: Weak<App>,
    pub blocked: BlockedNetworks,
    pub names: NameTable,
}

const CHAINING_SUFFIX: &str = ".spin.internal";

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                    ),
                    HttpError,
                >,
            > + Send,
    > {
        drop(fut);
        let uri = request.uri().clone();
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let port = uri.port_u16();
        let allowed = self.allowed.allows(&scheme, &host, port);
        let from = self.component.clone();
        let app = self.app.clone();
        let (blocked, names) = (self.blocked.clone(), self.names.clone());
        let mut request = request;
        Box::new(async move {
            if !allowed {
                eprintln!(
                    "[{from}] outbound request to {scheme}://{host}{} denied: not in allowed_outbound_hosts",
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                );
                return Err(HttpError::HttpRequestDenied);
            }
            if let Some(target) = host.strip_suffix(CHAINING_SUFFIX) {
                let app = app.upgrade().ok_or(HttpError::InternalError(Some(
                    "app is shutting down".into(),
                )))?;
                let response = app.handle_chained(target, request).await?;
                let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
                    Box::new(async { Ok(()) });
                return Ok((response, done));
            }
            if !blocked.is_empty() || names.get(&host).is_some() {
                pin_address(&mut request, &scheme, &host, port, &blocked, &names, &from).await?;
            }
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Resolves the request's host (the [`NameTable`] first), refuses it when
/// every address is blocked (`destination-ip-prohibited`, as Spin answers),
/// and for plain `http` pins the connection to the first allowed address, so
/// the address checked is the address connected to (a second lookup could
/// answer differently). For `https` the name stays (TLS needs it), and the
/// connection makes its own lookup.
async fn pin_address(
    request: &mut http::Request<WasiBody>,
    scheme: &str,
    host: &str,
    port: Option<u16>,
    blocked: &BlockedNetworks,
    names: &NameTable,
    from: &str,
) -> Result<(), HttpError> {
    let port = port.or_else(|| default_port(scheme)).unwrap_or(80);
    let addrs: Vec<std::net::IpAddr> = match names.get(host) {
        Some(addrs) => addrs,
        None => match host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| HttpError::DnsError {
                    rcode: Some(e.to_string()),
                    info_code: None,
                })?
                .map(|a| a.ip())
                .collect(),
        },
    };
    let Some(ip) = addrs.into_iter().find(|ip| !blocked.is_blocked(*ip)) else {
        eprintln!(
            "[{from}] outbound request to {host} denied: every address of it is in block_networks"
        );
        return Err(HttpError::DestinationIpProhibited);
    };
    if scheme == "http" {
        let authority = match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            v4 => format!("{v4}:{port}"),
        };
        let original = request.uri().authority().map(ToString::to_string);
        let mut parts = request.uri().clone().into_parts();
        parts.authority = authority.parse().ok();
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
        if let Some(original) = original
            && !request.headers().contains_key(http::header::HOST)
            && let Ok(value) = http::HeaderValue::from_str(&original)
        {
            request.headers_mut().insert(http::header::HOST, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("valid")
    }

    #[test]
    fn exact_entries_match_scheme_host_and_port() {
        let h = hosts(&["postgres://127.0.0.1:55432", "http://127.0.0.1:19000"]);
        assert!(h.allows_url("postgres://farm@127.0.0.1:55432/farm"));
        assert!(!h.allows_url("postgres://farm@127.0.0.1:5432/farm"));
        assert!(!h.allows_url("http://127.0.0.1:55432/"));
        assert!(h.allows_url("http://127.0.0.1:19000/bucket/key?x=1"));
        assert!(!h.allows_url("https://127.0.0.1:19000/"));
    }

    #[test]
    fn wildcards_ranges_and_default_ports() {
        let h = hosts(&[
            "https://*.example.com",
            "http://localhost:8000..8010",
            "*://*:*",
        ]);
        assert!(h.allows("anything", "x", Some(1)));
        let h = hosts(&["https://*.example.com", "http://localhost:8000..8010"]);
        assert!(h.allows_url("https://api.example.com/x"));
        assert!(!h.allows_url("https://example.com/x"));
        assert!(!h.allows_url("https://api.example.com:8443/x"));
        assert!(h.allows_url("http://localhost:8005/"));
        assert!(!h.allows_url("http://localhost:8011/"));
    }

    #[test]
    fn chaining_hosts_are_ordinary_entries() {
        let h = hosts(&["http://analyze.spin.internal"]);
        assert!(h.allows("http", "analyze.spin.internal", None));
        assert!(!h.allows("http", "quotes.spin.internal", None));
        assert!(hosts(&["http://*.spin.internal"]).allows("http", "quotes.spin.internal", None));
    }

    #[test]
    fn sockets_connect_only_to_listed_tcp_addresses() {
        let h = hosts(&[
            "tcp://127.0.0.1:2525",
            "tcp://[::1]:2526",
            "postgres://127.0.0.1:5432",
        ]);
        let at = |s: &str| s.parse::<SocketAddr>().expect("address");
        assert!(socket_allowed(
            &h,
            at("127.0.0.1:2525"),
            SocketAddrUse::TcpConnect
        ));
        assert!(socket_allowed(
            &h,
            at("[::1]:2526"),
            SocketAddrUse::TcpConnect
        ));
        assert!(!socket_allowed(
            &h,
            at("127.0.0.1:2526"),
            SocketAddrUse::TcpConnect
        ));
        assert!(!socket_allowed(
            &h,
            at("127.0.0.2:2525"),
            SocketAddrUse::TcpConnect
        ));
        // Another scheme's entry grants no socket.
        assert!(!socket_allowed(
            &h,
            at("127.0.0.1:5432"),
            SocketAddrUse::TcpConnect
        ));
        assert!(!socket_allowed(
            &h,
            at("127.0.0.1:2525"),
            SocketAddrUse::UdpSend
        ));
        // The implicit wildcard bind of a connect, and nothing else, may bind.
        assert!(socket_allowed(&h, at("0.0.0.0:0"), SocketAddrUse::TcpBind));
        assert!(socket_allowed(&h, at("[::]:0"), SocketAddrUse::TcpBind));
        assert!(!socket_allowed(
            &h,
            at("0.0.0.0:8080"),
            SocketAddrUse::TcpBind
        ));
        assert!(!socket_allowed(
            &h,
            at("127.0.0.1:2525"),
            SocketAddrUse::TcpBind
        ));
        assert!(!socket_allowed(
            &h,
            at("0.0.0.0:0"),
            SocketAddrUse::TcpListen
        ));
        // A DNS name never matches a socket: the check sees only IPs.
        let named = hosts(&["tcp://localhost:2525"]);
        assert!(!socket_allowed(
            &named,
            at("127.0.0.1:2525"),
            SocketAddrUse::TcpConnect
        ));
    }

    #[test]
    fn malformed_entries_are_rejected() {
        assert!(AllowedHosts::parse(&["example.com".into()]).is_err());
        assert!(AllowedHosts::parse(&["https://example.com/path".into()]).is_err());
        assert!(AllowedHosts::parse(&["https://example.com:port".into()]).is_err());
    }
}
