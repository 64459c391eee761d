//! Server-rendered HTML pages (review, test checkout, tracking, settings):
//! the one page shell, escaping, and the security headers every page sends.
//!
//! Pages make no third-party requests and run no script unless a page opts
//! in with its own hashed script: the shell's stylesheet is inline and
//! allowed by its SHA-256 hash in a strict `Content-Security-Policy`, so
//! no `'unsafe-inline'` is ever needed.

use base64::Engine;
use sha2::{Digest, Sha256};
use spin_sdk::http::Response;

/// The stylesheet of every page (readable on a phone, high contrast).
pub const STYLESHEET: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111;background:#fff}\
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ccc}\
.error{color:#8b0000}.muted{color:#444}button,input,select{font:inherit;padding:.4rem .6rem}\
a{color:#0645ad}:focus{outline:3px solid #1a5fb4;outline-offset:2px}";

/// Escapes text for an HTML element body or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-<base64>'`, the CSP source that allows exactly this inline text.
pub fn csp_hash(inline: &str) -> String {
    let digest = Sha256::digest(inline.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The `Content-Security-Policy` of a page with the shell's stylesheet and
/// the given inline scripts (each allowed by its hash): nothing else loads,
/// forms post only to this origin, no framing.
pub fn content_security_policy(scripts: &[&str]) -> String {
    let script_src = if scripts.is_empty() {
        "'none'".to_owned()
    } else {
        scripts
            .iter()
            .map(|s| csp_hash(s))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "default-src 'none'; style-src {}; script-src {script_src}; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        csp_hash(STYLESHEET)
    )
}

/// A whole page: `title` is text (escaped here), `body` is HTML the caller
/// built with [`escape`]. Sends `text/html; charset=utf-8`, the CSP,
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (signed
/// links must not leak through the Referer header) and `Cache-Control:
/// no-store`.
pub fn page(status: u16, title: &str, body: &str) -> Response {
    page_with_scripts(status, title, body, &[])
}

/// [`page`] with inline scripts, each placed at the end of the body and
/// allowed by its hash.
pub fn page_with_scripts(status: u16, title: &str, body: &str, scripts: &[&str]) -> Response {
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLESHEET}</style></head><body><main>{body}</main>",
        escape(title)
    );
    for script in scripts {
        html.push_str("<script>");
        html.push_str(script);
        html.push_str("</script>");
    }
    html.push_str("</body></html>");
    let mut response = Response::new(status, html.into_bytes());
    response.set_header("content-type", "text/html; charset=utf-8");
    response.set_header("content-security-policy", content_security_policy(scripts));
    response.set_header("x-content-type-options", "nosniff");
    response.set_header("referrer-policy", "no-referrer");
    response.set_header("cache-control", "no-store");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn csp_hash_matches_a_known_digest() {
        // echo -n "" | openssl dgst -sha256 -binary | base64
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
