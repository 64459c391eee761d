//! Server-rendered HTML pages (upload, review, test checkout, tracking,
//! settings, farm, docs): the one page shell, escaping, and the security
//! headers every page sends.
//!
//! Pages make no third-party requests and run no script unless a page opts
//! in with its own hashed script: the shell's stylesheet is inline and
//! allowed by its SHA-256 hash in a strict `Content-Security-Policy`, so
//! no `'unsafe-inline'` is ever needed. Pages with a 3D view or the API
//! reference load same-origin modules and stylesheets ([`Assets`]); their
//! only inline code is the import map, allowed by its hash.

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

/// The vendored three.js the 3D views load (npm `three`, copied with its
/// licence under `components/pages/assets/vendor/`, served by the `pages`
/// component at `/assets/vendor/...`; the version is in the path, so those
/// files are cached for a year).
pub const THREE_BASE: &str = "/assets/vendor/three-0.187.0";

/// The import map of every page with a 3D view: the bare `three` specifier
/// the addons import, and `three/addons/` for the loaders and controls.
/// Inline (browsers take no external import map), allowed by its hash.
pub const THREE_IMPORT_MAP: &str = concat!(
    "{\"imports\":{\"three\":\"/assets/vendor/three-0.187.0/build/three.module.js\",",
    "\"three/addons/\":\"/assets/vendor/three-0.187.0/examples/jsm/\"}}"
);

/// The shared stylesheet and 3D viewer module of the pages that show a part
/// (`components/pages/assets/app/`).
pub const PAGES_CSS: &str = "/assets/app/pages.css";
pub const VIEWER_MODULE: &str = "/assets/app/viewer.js";

/// What a page loads besides the shell, all from this origin unless listed
/// in `origins`: module scripts, stylesheets, an inline import map (allowed
/// by its hash), and the origins it may fetch from and show images of (the
/// object store, for presigned uploads, meshes and photos). A page with a
/// 3D view starts from [`Assets::viewer`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Assets<'a> {
    pub import_map: Option<&'a str>,
    /// Classic (non-module) scripts, deferred, run before the modules.
    pub scripts: &'a [&'a str],
    pub modules: &'a [&'a str],
    pub stylesheets: &'a [&'a str],
    pub origins: &'a [&'a str],
}

impl<'a> Assets<'a> {
    /// A page with the 3D viewer: the shared stylesheet, the three.js import
    /// map and the viewer module, which shows every `[data-mesh-url]`
    /// element's part; `origins` are where the meshes come from.
    pub fn viewer(origins: &'a [&'a str]) -> Self {
        Assets {
            import_map: Some(THREE_IMPORT_MAP),
            modules: &[VIEWER_MODULE],
            stylesheets: &[PAGES_CSS],
            origins,
            ..Assets::default()
        }
    }

    /// The page's `Content-Security-Policy`: `'self'` scripts and styles
    /// (no inline code but the shell's stylesheet and the import map, each
    /// by hash), connections and images only to this origin and `origins`.
    pub fn content_security_policy(&self) -> String {
        let mut script_src = vec!["'self'".to_owned()];
        script_src.extend(self.import_map.map(csp_hash));
        let origins = self.origins.join(" ");
        format!(
            "default-src 'none'; style-src {} 'self'; script-src {}; \
             img-src 'self' data: blob: {origins}; font-src 'self'; connect-src 'self' {origins}; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            csp_hash(STYLESHEET),
            script_src.join(" ")
        )
    }
}

/// The `scheme://host[:port]` of a URL (the object store's endpoint), the
/// form a CSP source takes; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains(['"', ' ', ';', ',']))
        .then(|| format!("{scheme}://{host}"))
}

/// [`page`] with [`Assets`]: stylesheets and the import map in the head,
/// module scripts after it (deferred by nature), and the CSP that allows
/// exactly them.
pub fn page_with_assets(status: u16, title: &str, body: &str, assets: &Assets) -> Response {
    let mut head = String::new();
    for href in assets.stylesheets {
        head.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{}\">",
            escape(href)
        ));
    }
    if let Some(map) = assets.import_map {
        head.push_str("<script type=\"importmap\">");
        head.push_str(map);
        head.push_str("</script>");
    }
    for src in assets.scripts {
        head.push_str(&format!("<script defer src=\"{}\"></script>", escape(src)));
    }
    for src in assets.modules {
        head.push_str(&format!(
            "<script type=\"module\" src=\"{}\"></script>",
            escape(src)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLESHEET}</style>{head}</head><body><main>{body}</main></body></html>",
        escape(title)
    );
    finish(status, html, assets.content_security_policy())
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
    finish(status, html, content_security_policy(scripts))
}

fn finish(status: u16, html: String, csp: String) -> Response {
    let mut response = Response::new(status, html.into_bytes());
    response.set_header("content-type", "text/html; charset=utf-8");
    response.set_header("content-security-policy", csp);
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
    fn asset_pages_allow_only_self_the_import_map_and_the_store() {
        let assets = Assets::viewer(&["http://127.0.0.1:19000"]);
        let csp = assets.content_security_policy();
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(csp.contains(&format!(
            "script-src 'self' {};",
            csp_hash(THREE_IMPORT_MAP)
        )));
        assert!(csp.contains("connect-src 'self' http://127.0.0.1:19000;"));
        // The import map is valid JSON naming the vendored build.
        assert!(
            THREE_IMPORT_MAP
                .starts_with("{\"imports\":{\"three\":\"/assets/vendor/three-0.187.0/build/")
        );
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(
            origin_of("http://127.0.0.1:19000/b/k?x=1").as_deref(),
            Some("http://127.0.0.1:19000")
        );
        assert_eq!(
            origin_of("https://s3.amazonaws.com").as_deref(),
            Some("https://s3.amazonaws.com")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("http://a b"), None);
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
