//! Cursor pagination for every list (`GET /v1/files`, `/v1/jobs`, `/v1/orders`,
//! `/v1/events`, deliveries, ...), in Stripe's list
//! shape: `{"object": "list", "data": [...], "has_more": bool}`, newest first.
//!
//! Query parameters: `limit` (1–100, default 10, as Stripe's) and
//! `starting_after` (the id of the last item of the previous page), plus the
//! list's own filters. A bad `limit`, or a `starting_after` that is not an id
//! of the list's kind, is a 400 `invalid_request` naming the parameter; so is
//! any other query parameter (as Stripe refuses an unknown one), with
//! `allowed_fields`: a misspelt filter must not answer the whole list. A
//! well-formed `starting_after` that names none of the caller's items is a
//! 404 `starting_after_not_found` (as any other account's resource is a 404).

use crate::farm_domain::ids::IdKind;
use crate::{ApiError, Ctx};
use serde_json::{Value, json};
use spin_sdk::pg4::{DbValue, ParameterValue};

/// Items per page when `limit` is absent (Stripe's default).
pub const DEFAULT_LIMIT: u32 = 10;
/// The largest `limit` (Stripe's maximum).
pub const MAX_LIMIT: u32 = 100;

/// A validated page request.
#[derive(Debug, Clone)]
pub struct Page {
    pub limit: u32,
    pub starting_after: Option<String>,
}

impl Page {
    /// Reads `limit` and `starting_after` from the query string; `kind` is the
    /// id kind `starting_after` must have, `filters` the list's other query
    /// parameters (read by the caller). Any other name is refused.
    pub fn from_query(ctx: &Ctx, kind: IdKind, filters: &[&str]) -> Result<Page, ApiError> {
        let allowed: Vec<&str> = ["limit", "starting_after"]
            .into_iter()
            .chain(filters.iter().copied())
            .collect();
        if let Some(unknown) = ctx
            .query_names()
            .into_iter()
            .find(|n| !allowed.contains(&n.as_str()))
        {
            return Err(ApiError::invalid_field(
                &unknown,
                &format!(
                    "is not a query parameter of this list; allowed: {}",
                    allowed.join(", ")
                ),
            )
            .with_detail("allowed_fields", allowed));
        }
        let limit = match ctx.query("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "limit",
                        &format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let starting_after = match ctx.query("starting_after") {
            None => None,
            Some(id) if kind.is_valid(&id) => Some(id),
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "starting_after",
                    &format!(
                        "must be a {} id (the last id of the previous page)",
                        kind.prefix()
                    ),
                ));
            }
        };
        Ok(Page {
            limit,
            starting_after,
        })
    }

    /// Up to `limit + 1` rows of `table` (which has `id`, `account_id`,
    /// `livemode` and `created_at`) for `account_id` in mode `livemode`, newest first, selecting `columns` (the
    /// extra row tells whether there is more). One statement; a second one
    /// only when a cursor is given and the page is empty, to tell the end of
    /// the list from a cursor that names nothing of the caller's.
    pub fn fetch(
        &self,
        ctx: &mut Ctx,
        table: &str,
        columns: &str,
        account_id: &str,
        livemode: bool,
    ) -> Result<Vec<Vec<DbValue>>, ApiError> {
        let sql = format!(
            "select {columns} from {table} t where t.account_id = $1 and t.livemode = $4 and ($2::text is null or \
               (t.created_at, t.id) < (select c.created_at, c.id from {table} c where c.id = $2 and c.account_id = $1 and c.livemode = $4)) \
             order by t.created_at desc, t.id desc limit $3"
        );
        let cursor = self
            .starting_after
            .clone()
            .map_or(ParameterValue::DbNull, Into::into);
        let rows = ctx.db()?.query(
            &sql,
            &[
                account_id.to_owned().into(),
                cursor.clone(),
                i64::from(self.limit + 1).into(),
                livemode.into(),
            ],
        )?;
        if rows.rows.is_empty() && self.starting_after.is_some() {
            let found = ctx.db()?.query(
                &format!(
                    "select 1 from {table} where id = $1 and account_id = $2 and livemode = $3"
                ),
                &[cursor, account_id.to_owned().into(), livemode.into()],
            )?;
            if found.rows.is_empty() {
                return Err(unknown_cursor());
            }
        }
        Ok(rows.rows)
    }

    /// The list body from up to `limit + 1` rendered rows.
    pub fn render(&self, mut items: Vec<Value>) -> Value {
        let has_more = items.len() > self.limit as usize;
        items.truncate(self.limit as usize);
        json!({"object": "list", "data": items, "has_more": has_more})
    }
}

/// 400 for a cursor that names nothing of the caller's.
pub fn unknown_cursor() -> ApiError {
    ApiError::new(
        404,
        "starting_after_not_found",
        "starting_after names none of your items; pass the last id of the previous page, or leave it out for the first page.",
    )
    .with_detail("field", "starting_after")
}
