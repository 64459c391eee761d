//! Generation credits (seed 002): 2 free at sign-up (migrations/0015), one
//! debited atomically when a generation is accepted, refunded once if it
//! fails; `GET /v1/credits` shows the balance and its history.

use farm_platform::farm_domain::scope::Scope;
use farm_platform::spin_sdk::pg4::Connection;
use farm_platform::{ApiError, Ctx, col, response, wire::timestamp};
use serde_json::json;
use spin_sdk::http::Response;

/// How many history entries `GET /v1/credits` shows (newest first).
const HISTORY_LIMIT: i64 = 100;

/// Takes one credit for `generation_id`: one conditional update, so
/// concurrent requests can never spend a credit twice. `None` when the
/// balance is zero. Call inside the transaction that creates the generation.
pub fn debit(
    db: &Connection,
    account_id: &str,
    generation_id: &str,
) -> Result<Option<i32>, ApiError> {
    let rows = db.query(
        "update accounts set generation_credits = generation_credits - 1 \
         where id = $1 and generation_credits > 0 returning generation_credits",
        &[account_id.to_owned().into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let balance: i32 = col(row, 0)?;
    db.execute(
        "insert into credit_transactions (account_id, delta, reason, generation_id, balance_after) \
         values ($1, -1, 'generation', $2, $3)",
        &[
            account_id.to_owned().into(),
            generation_id.to_owned().into(),
            balance.into(),
        ],
    )?;
    Ok(Some(balance))
}

/// Gives back the credit of a failed generation, once: the ledger's unique
/// `(generation_id, reason)` makes a second refund a no-op. Call inside the
/// transaction that marks the generation failed.
pub fn refund(db: &Connection, account_id: &str, generation_id: &str) -> Result<bool, ApiError> {
    let rows = db.query(
        "with entry as ( \
             insert into credit_transactions (account_id, delta, reason, generation_id, balance_after) \
             select $1, 1, 'refund', $2, generation_credits + 1 from accounts where id = $1 \
             on conflict (generation_id, reason) where generation_id is not null do nothing \
             returning account_id) \
         update accounts set generation_credits = generation_credits + 1 \
         where id in (select account_id from entry) returning generation_credits",
        &[account_id.to_owned().into(), generation_id.to_owned().into()],
    )?;
    Ok(!rows.rows.is_empty())
}

/// `402 insufficient_credits`.
pub fn insufficient() -> ApiError {
    ApiError::new(
        402,
        "insufficient_credits",
        "This account has no generation credits left; each generation costs one. Buy more with POST /v1/credits/checkout (a person pays at its approval URL), then start the generation again.",
    )
    .with_detail("credits_remaining", 0)
    .with_detail("next_action", "buy_credits")
}

/// `GET /v1/credits`: `{object: "credits", balance, history: [{delta, reason,
/// generation_id, purchase_id, balance_after, created_at}]}`, history newest
/// first. A `purchase` entry names its credit purchase (bought through
/// `POST /v1/credits/checkout`, components/orders).
pub fn get_credits(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Generate)?;
    let db = ctx.db()?;
    let rows = db.query(
        "select generation_credits from accounts where id = $1",
        &[caller.account_id.clone().into()],
    )?;
    let balance: i32 = col(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("account row missing"))?,
        0,
    )?;
    let rows = db.query(
        "select delta, reason, generation_id, balance_after, extract(epoch from created_at)::bigint, purchase_id \
         from credit_transactions where account_id = $1 order by id desc limit $2",
        &[caller.account_id.clone().into(), HISTORY_LIMIT.into()],
    )?;
    let mut history = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let delta: i32 = col(row, 0)?;
        let reason: String = col(row, 1)?;
        let generation_id: Option<String> = col(row, 2)?;
        let balance_after: i32 = col(row, 3)?;
        let created: i64 = col(row, 4)?;
        let purchase_id: Option<String> = col(row, 5)?;
        history.push(json!({
            "delta": delta,
            "reason": reason,
            "generation_id": generation_id,
            "purchase_id": purchase_id,
            "balance_after": balance_after,
            "created_at": timestamp(created),
        }));
    }
    Ok(response::ok(&json!({
        "object": "credits",
        "balance": balance,
        "history": history,
    })))
}
