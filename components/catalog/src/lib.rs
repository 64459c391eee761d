//! Public, unauthenticated documents: `GET /v1/catalog`,
//! `GET /v1/openapi.json`, `GET /v1/agent-policy`, and the catch-all route
//! that answers every unknown path with JSON 404 `not_found`.
//!
//! The OpenAPI document is merged at build time from `openapi/*.json` (see
//! `build.rs`): `base.json` plus one fragment per endpoint group, so a new
//! group adds a file and no code.

mod wire;

use farm_platform::{ApiError, Ctx, handle, response};
use spin_sdk::http::{Method, Request, Response};

/// The merged OpenAPI 3.1 document.
const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));
/// Seed 001's agent policy as JSON.
const AGENT_POLICY: &str = include_str!("../agent-policy.json");

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        if ctx.route() == "/..." {
            return Err(ApiError::route_not_found(&ctx.path()));
        }
        ctx.dispatch(&[
            ("/v1/catalog", Method::Get, catalog),
            ("/v1/openapi.json", Method::Get, openapi),
            ("/v1/agent-policy", Method::Get, agent_policy),
        ])
    })
}

fn catalog(_ctx: &mut Ctx) -> Result<Response, ApiError> {
    Ok(response::ok(&wire::Catalog::current()))
}

fn openapi(_ctx: &mut Ctx) -> Result<Response, ApiError> {
    Ok(static_json(OPENAPI))
}

fn agent_policy(_ctx: &mut Ctx) -> Result<Response, ApiError> {
    Ok(static_json(AGENT_POLICY))
}

fn static_json(body: &'static str) -> Response {
    let mut response = Response::new(200, body);
    response.set_header("content-type", "application/json");
    response.set_header("cache-control", "public, max-age=300");
    response
}
