//! The pages a person opens in a browser (issue 15), and the files they load.
//!
//! - `GET /` (`home.rs`): drop a mesh, see it in 3D at once, upload it by the
//!   presigned URL, read the analysis and the price, order.
//! - `GET /farm` (`farm.rs`): the operator's view of the farm, and its data,
//!   `GET /internal/farm/overview` (the operator token), with the parts
//!   awaiting a person's verdict and their signed photo URLs (`verdict.rs`).
//! - `GET /docs` (`docs.rs`): the API reference, `/v1/openapi.json` rendered
//!   by the vendored Swagger UI.
//! - `GET /assets/...` (`assets.rs`): the vendored npm files (three.js,
//!   Swagger UI) and the pages' own scripts and stylesheet, compiled in.
//!
//! The pages hold no business rule: their scripts call the REST API with
//! the person's key, as any client does. The review, tracking and settings
//! pages stay with the components that own their data (orders, payments)
//! and load the same assets.

mod assets;
mod docs;
mod farm;
mod home;
mod verdict;

use farm_platform::html::origin_of;
use farm_platform::{ApiError, Ctx, handle};
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        if ctx.route() == "/assets/..." {
            return assets::serve(ctx);
        }
        ctx.dispatch(&[
            ("/", Method::Get, home::page),
            ("/farm", Method::Get, farm::page),
            ("/internal/farm/overview", Method::Get, farm::overview),
            ("/docs", Method::Get, docs::page),
        ])
    })
}

/// The object store's origin (`s3_endpoint`), which the upload page PUTs
/// to, the 3D views fetch meshes from and the farm page shows photos from;
/// the CSP allows it by name.
pub(crate) fn store_origin(ctx: &Ctx) -> Result<String, ApiError> {
    let endpoint = ctx.var("s3_endpoint")?;
    origin_of(&endpoint)
        .ok_or_else(|| ApiError::internal(format!("s3_endpoint {endpoint:?} is not a URL")))
}
