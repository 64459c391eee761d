//! `GET /docs`: the API reference, `/v1/openapi.json` rendered in the
//! browser by Swagger UI (npm `swagger-ui-dist`, vendored).
//!
//! Why Swagger UI and not Redoc: measured in Debian's Chromium under this
//! page's policy (`style-src 'self'`, no inline code), Swagger UI 5.35.0
//! rendered the whole document with no CSP violation, while Redoc 3.0.1's
//! styled-components inserted `<style>` elements (4 violations) and the
//! page stayed empty; Redoc would need `style-src 'unsafe-inline'`. Swagger
//! UI's validator badge (a third-party request) is turned off in `docs.js`.

use farm_platform::html::{Assets, PAGES_CSS, page_with_assets};
use farm_platform::{ApiError, Ctx};
use spin_sdk::http::Response;

pub fn page(_ctx: &mut Ctx) -> Result<Response, ApiError> {
    let assets = Assets {
        scripts: &["/assets/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js"],
        modules: &["/assets/app/docs.js"],
        stylesheets: &[
            PAGES_CSS,
            "/assets/vendor/swagger-ui-dist-5.35.0/swagger-ui.css",
        ],
        ..Assets::default()
    };
    let body = "<h1>Farm API reference</h1>\
        <p class=\"muted\">Rendered from <a href=\"/v1/openapi.json\">/v1/openapi.json</a>. \
        Agents can also use the MCP server at <code>POST /mcp</code>.</p>\
        <div id=\"swagger-ui\" class=\"wide\"><p id=\"docs-loading\">Loading the reference…</p></div>";
    Ok(page_with_assets(
        200,
        "API reference — Farm API",
        body,
        &assets,
    ))
}
