//! The part in 3D on the review and tracking pages: the page carries a
//! presigned GET of the order's mesh (`data-mesh-url`, valid for
//! [`MESH_URL_TTL_SECS`]) and loads the shared viewer module, which the
//! `pages` component serves with the vendored three.js.

use farm_platform::html::{Assets, escape, origin_of, page_with_assets};
use farm_platform::{ApiError, Ctx};
use spin_sdk::http::Response;

/// Ten minutes: long enough to load the page and the mesh, short enough
/// that a copied link soon stops serving the file.
pub const MESH_URL_TTL_SECS: u64 = 600;

/// The viewer's element for the mesh at `object_key` (`format`: stl, obj,
/// 3mf), with a text fallback for a browser without WebGL.
pub fn viewer(ctx: &Ctx, object_key: &str, format: &str) -> Result<String, ApiError> {
    let signed = upload_kit::store::presign_get(ctx, object_key, MESH_URL_TTL_SECS)?;
    Ok(format!(
        "<div class=\"viewer\" role=\"img\" tabindex=\"0\" \
         aria-label=\"3D view of the part (drag to turn, scroll or pinch to zoom, arrow keys to pan)\" \
         data-mesh-url=\"{}\" data-format=\"{}\"><p class=\"viewer-status muted\">Loading the 3D view…</p></div>",
        escape(&signed.url),
        escape(format)
    ))
}

/// A page with the viewer (and `modules` besides it): its CSP lets the
/// browser fetch from the object store, where the mesh and photos are.
pub fn page(
    ctx: &Ctx,
    status: u16,
    title: &str,
    body: &str,
    modules: &[&str],
) -> Result<Response, ApiError> {
    let store = origin_of(&ctx.var("s3_endpoint")?)
        .ok_or_else(|| ApiError::internal("s3_endpoint is not a URL"))?;
    let origins = [store.as_str()];
    let mut all = vec![farm_platform::html::VIEWER_MODULE];
    all.extend_from_slice(modules);
    Ok(page_with_assets(
        status,
        title,
        body,
        &Assets {
            modules: &all,
            ..Assets::viewer(&origins)
        },
    ))
}
