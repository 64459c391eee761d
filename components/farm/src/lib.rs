//! The farm's internal routes: what a site's printer-gateway calls, over
//! HTTPS, instead of holding database credentials (issue 11, item 3).
//!
//! - `POST /internal/farm/sites` (internal token): creates a site, or rotates
//!   its token, and shows the token once (`scripts/site-token.sh`); with
//!   `PATCH /internal/farm/sites/{name}`, sets its share of on-site solar.
//! - `PUT /internal/farm/printers` (site token): registers the site's printers.
//! - `POST /internal/farm/claims` (site token): the scheduler packs the next
//!   plate for one of the site's printers and leases it ([`claim`]).
//! - `POST /internal/farm/events` (site token): applies a batch of printer
//!   events, each exactly once, and says which were applied.
//! - `PUT /internal/farm/photos/{task_id}/{name}` (site token): an
//!   inspection photo ([`photos`]).
//! - `POST /internal/farm/printers/{serial}/clear` (site or operator token):
//!   the bed is clear ([`floor`]).
//! - `POST /internal/farm/tasks/{task_id}/fail` and `GET
//!   /internal/farm/utilisation` (operator token) ([`floor`]).
//! - `POST /internal/farm/tasks/{task_id}/pass` (operator token): a person's
//!   pass of a printed part with its stored photos ([`verdict`]).
//! - `POST /internal/farm/printers/{serial}/resolve` and `POST
//!   /internal/farm/tasks/{task_id}/requeue` (operator token): a person
//!   clears a printer's attention flag, or prints a part that gave up again
//!   ([`operator`]).
//! - `/work/advance_order` (internal token, service chaining): the order
//!   rules after farm events ([`advance`]).
//!
//! A site token is `Authorization: Bearer fst_...`; a missing, malformed or
//! unknown token is 401 `invalid_site_token`. Everything a site token reaches
//! is scoped by its site: another site's printer is 404 `printer_not_found`
//! on a claim, 409 `printer_taken` on registration, `rejected` in a batch.
//! The plate contract (claims, events, photos, clear) is documented on each
//! route. Applying a batch is one plpgsql function
//! of migrations/0016_production.sql (`farm_apply_events`), one statement,
//! so one transaction, per call; it queues `advance_order` per order touched.

mod advance;
mod claim;
mod floor;
mod link;
mod operator;
mod photos;
mod settings;
mod sites;
mod verdict;

use farm_domain::site_token::SiteToken;
use farm_platform::{ApiError, Ctx, col, handle};
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        if ctx.path() == "/work/advance_order" {
            return advance::serve(ctx);
        }
        ctx.dispatch(&[
            (
                "/internal/farm/sites",
                Method::Post,
                sites::create_or_rotate,
            ),
            ("/internal/farm/sites/:name", Method::Patch, sites::update),
            (
                "/internal/farm/printers",
                Method::Put,
                link::register_printers,
            ),
            ("/internal/farm/claims", Method::Post, claim::claim),
            ("/internal/farm/events", Method::Post, link::push_events),
            (
                "/internal/farm/photos/:task_id/:name",
                Method::Put,
                photos::put_photo,
            ),
            (
                "/internal/farm/printers/:serial/clear",
                Method::Post,
                floor::clear,
            ),
            (
                "/internal/farm/tasks/:task_id/fail",
                Method::Post,
                floor::fail_task,
            ),
            (
                "/internal/farm/tasks/:task_id/pass",
                Method::Post,
                verdict::pass_task,
            ),
            (
                "/internal/farm/utilisation",
                Method::Get,
                floor::utilisation,
            ),
            (
                "/internal/farm/printers/:serial/resolve",
                Method::Post,
                operator::resolve,
            ),
            (
                "/internal/farm/tasks/:task_id/requeue",
                Method::Post,
                operator::requeue,
            ),
        ])
    })
}

/// The site a request speaks for.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub id: String,
    pub name: String,
}

/// Authenticates the site token of `Authorization: Bearer <token>` (one
/// statement: the lookup by SHA-256, an index probe on a high-entropy value).
pub(crate) fn authenticate_site(ctx: &mut Ctx) -> Result<Site, ApiError> {
    let invalid = || {
        ApiError::new(
            401,
            "invalid_site_token",
            "Send the site's token as `Authorization: Bearer fst_...` (scripts/site-token.sh creates one).",
        )
    };
    let token = ctx
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| SiteToken::parse(t.trim()))
        .ok_or_else(invalid)?;
    let rows = ctx.db()?.query(
        "select id, name from farm_sites where token_sha256 = $1",
        &[token.sha256().into()],
    )?;
    let row = rows.rows.first().ok_or_else(invalid)?;
    Ok(Site {
        id: col(row, 0)?,
        name: col(row, 1)?,
    })
}
