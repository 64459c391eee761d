//! `GET /assets/{path}`: files compiled into the component.
//!
//! `vendor/<package>-<version>/` holds files copied unchanged from npm
//! packages (with their licence; see `assets/vendor/README.md`). The version
//! is in the path, so they are served `immutable` for a year. `app/` holds
//! the pages' own scripts and stylesheet: their URLs do not change with
//! their content, so they are revalidated on every use (`no-cache` with an
//! `ETag`; an unchanged file costs a 304).

use farm_platform::{ApiError, Ctx};
use sha2::{Digest, Sha256};
use spin_sdk::http::{Method, Response};

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

macro_rules! asset {
    ($path:literal, $type:expr) => {
        (
            $path,
            include_bytes!(concat!("../assets/", $path)) as &[u8],
            $type,
        )
    };
}

/// Every file served: path under `/assets/`, bytes, content type.
const FILES: &[(&str, &[u8], &str)] = &[
    asset!("app/pages.css", CSS),
    asset!("app/viewer.js", JS),
    asset!("app/home.js", JS),
    asset!("app/order.js", JS),
    asset!("app/farm.js", JS),
    asset!("app/docs.js", JS),
    asset!("vendor/three-0.187.0/LICENSE", TEXT),
    asset!("vendor/three-0.187.0/build/three.module.js", JS),
    asset!("vendor/three-0.187.0/build/three.core.js", JS),
    asset!("vendor/three-0.187.0/examples/jsm/loaders/STLLoader.js", JS),
    asset!("vendor/three-0.187.0/examples/jsm/loaders/3MFLoader.js", JS),
    asset!("vendor/three-0.187.0/examples/jsm/loaders/OBJLoader.js", JS),
    asset!(
        "vendor/three-0.187.0/examples/jsm/controls/OrbitControls.js",
        JS
    ),
    asset!(
        "vendor/three-0.187.0/examples/jsm/libs/fflate.module.js",
        JS
    ),
    asset!(
        "vendor/three-0.187.0/examples/jsm/utils/BufferGeometryUtils.js",
        JS
    ),
    asset!("vendor/swagger-ui-dist-5.35.0/LICENSE", TEXT),
    asset!("vendor/swagger-ui-dist-5.35.0/NOTICE", TEXT),
    asset!("vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js", JS),
    asset!("vendor/swagger-ui-dist-5.35.0/swagger-ui.css", CSS),
];

/// A year: the longest lifetime caches honour (RFC 9111 suggests no more).
const VENDOR_CACHE: &str = "public, max-age=31536000, immutable";

pub fn serve(ctx: &mut Ctx) -> Result<Response, ApiError> {
    if !matches!(ctx.method(), Method::Get | Method::Head) {
        return Err(ApiError::method_not_allowed(
            &ctx.method().to_string(),
            &["GET", "HEAD"],
        ));
    }
    let path = ctx.path();
    let name = path.strip_prefix("/assets/").unwrap_or("");
    let Some((_, bytes, content_type)) = FILES.iter().find(|(p, _, _)| *p == name) else {
        return Err(ApiError::route_not_found(&path));
    };
    let etag = format!("\"{}\"", &hex(&Sha256::digest(bytes))[..32]);
    let vendored = name.starts_with("vendor/");
    let fresh = !vendored
        && ctx
            .header("if-none-match")
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        Response::new(304, Vec::new())
    } else if *ctx.method() == Method::Head {
        Response::new(200, Vec::new())
    } else {
        Response::new(200, bytes.to_vec())
    };
    response.set_header("content-type", *content_type);
    response.set_header("etag", etag);
    response.set_header(
        "cache-control",
        if vendored { VENDOR_CACHE } else { "no-cache" },
    );
    response.set_header("x-content-type-options", "nosniff");
    Ok(response)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
