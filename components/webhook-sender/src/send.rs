//! One POST to a partner's URL over `wasi:http/outgoing-handler` with
//! request options (Spin's SDK `send` takes none): 10 s to connect, 10 s to
//! the first byte and between bytes; the answer's body is read up to
//! `RESPONSE_EXCERPT_BYTES` and the rest left unread. Redirects are never
//! followed (wasi:http does not follow them; a 3xx is an answer like any
//! other).

use std::time::Instant;

use farm_webhooks::RESPONSE_EXCERPT_BYTES;
use farm_webhooks::retry::ATTEMPT_TIMEOUT;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    /// The first bytes of the body, lossy UTF-8.
    pub excerpt: String,
    /// Why there was no answer.
    pub error: Option<String>,
    pub latency_ms: i32,
}

impl Answer {
    pub fn failed(error: String, latency_ms: i32) -> Self {
        Self {
            status: None,
            retry_after: None,
            excerpt: String::new(),
            error: Some(error),
            latency_ms,
        }
    }
}

/// POSTs `body` to `scheme://authority/path_and_query` with `headers`.
pub fn post(
    https: bool,
    authority: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    let started = Instant::now();
    let ms = || i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match exchange(https, authority, path_and_query, headers, body) {
        Ok((status, retry_after, excerpt)) => Answer {
            status: Some(status),
            retry_after,
            excerpt,
            error: None,
            latency_ms: ms(),
        },
        Err(e) => Answer::failed(e, ms()),
    }
}

type Exchanged = (u16, Option<String>, String);

fn exchange(
    https: bool,
    authority: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Exchanged, String> {
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&entries).map_err(|e| format!("headers: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let set = |ok: Result<(), ()>, what: &str| ok.map_err(|()| format!("invalid {what}"));
    set(request.set_method(&Method::Post), "method")?;
    set(
        request.set_scheme(Some(&if https { Scheme::Https } else { Scheme::Http })),
        "scheme",
    )?;
    set(request.set_authority(Some(authority)), "authority")?;
    set(request.set_path_with_query(Some(path_and_query)), "path")?;
    let options = RequestOptions::new();
    let nanos = u64::try_from(ATTEMPT_TIMEOUT.as_nanos()).unwrap_or(u64::MAX);
    // A host may refuse an option it does not support; the others still hold.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    let outgoing = request
        .body()
        .map_err(|()| "request body unavailable".to_owned())?;
    let future = outgoing_handler::handle(request, Some(options)).map_err(describe)?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "request body stream unavailable".to_owned())?;
        // blocking_write_and_flush takes at most 4096 bytes per call.
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("sending the body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(describe)?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(describe(code)),
        Some(Err(())) => return Err("response already taken".to_owned()),
        None => return Err("no response".to_owned()),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .first()
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let mut excerpt = Vec::new();
    if let Ok(incoming) = response.consume()
        && let Ok(stream) = incoming.stream()
    {
        while excerpt.len() < RESPONSE_EXCERPT_BYTES {
            let want = (RESPONSE_EXCERPT_BYTES - excerpt.len()) as u64;
            match stream.blocking_read(want) {
                Ok(chunk) if chunk.is_empty() => continue,
                Ok(chunk) => excerpt.extend_from_slice(&chunk),
                // Closed, or the receiver stalled past the between-bytes
                // timeout: keep what arrived.
                Err(_) => break,
            }
        }
    }
    excerpt.truncate(RESPONSE_EXCERPT_BYTES);
    Ok((
        status,
        retry_after,
        String::from_utf8_lossy(&excerpt).into_owned(),
    ))
}

/// The attempt's error text: stable names a partner can read in the
/// deliveries list (`timeout`, `connection_refused`,
/// `destination_ip_prohibited`, ...).
fn describe(code: ErrorCode) -> String {
    match code {
        ErrorCode::ConnectionTimeout => "timeout: no connection within 10 s".to_owned(),
        ErrorCode::ConnectionReadTimeout => "timeout: no answer within 10 s".to_owned(),
        ErrorCode::ConnectionRefused => "connection_refused".to_owned(),
        ErrorCode::DestinationIpProhibited => {
            "destination_ip_prohibited: the name resolves to a blocked (private) address".to_owned()
        }
        ErrorCode::DestinationIpUnroutable => "destination_ip_unroutable".to_owned(),
        ErrorCode::DnsError(e) => format!(
            "dns_error: {}",
            e.rcode.unwrap_or_else(|| "no address".to_owned())
        ),
        ErrorCode::HttpRequestDenied => {
            "http_request_denied: the target is not in the sender's allowed hosts".to_owned()
        }
        ErrorCode::TlsCertificateError => "tls_certificate_error".to_owned(),
        other => format!("{other:?}"),
    }
}
