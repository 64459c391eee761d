//! Buying generation credits through checkout (issue 14; seed 002: "100
//! credits for $4.99"): `POST /v1/credits/checkout` opens a checkout session
//! a person approves, exactly as an order's (`checkout.rs`), and paying it
//! grants the credits once, as a `purchase` row of the credits history
//! (`GET /v1/credits`).
//!
//! - Test mode: the `approval_url` is the local test checkout page
//!   (`/test/checkout/cs_test_…`), completed there or with
//!   `POST /v1/test_helpers/checkout_sessions/{id}/complete`
//!   (`test_mode.rs`); nothing reaches the payment provider.
//! - Live mode: the provider's Checkout Session names the purchase in
//!   `metadata[order_id]` (what was bought: an order `ord_…` or a credit
//!   purchase `cpur_…`), so its `checkout.session.completed` comes back
//!   through the one provider path, `apply_payment_event` (`work.rs`).
//!
//! Granting is one statement (`grant`): the purchase moves
//! `requires_payment -> paid` under its row lock and only that move adds the
//! credits and the ledger row (unique per purchase), so a repeated webhook,
//! a second click or a race grants nothing more.

use farm_platform::farm_domain::api_key::to_hex;
use farm_platform::farm_domain::money::Money;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::spin_sdk::pg4::{Connection, ParameterValue};
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, col, random_bytes, response, wire};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;

/// Credits in the one pack on sale (seed 002: "100 credits for $4.99").
pub const PACK_CREDITS: i32 = 100;
/// Its price in US cents (seed 002: $4.99).
pub const PACK_PRICE_CENTS: i64 = 499;
/// Prefix of a credit purchase id.
pub const PURCHASE_PREFIX: &str = "cpur_";

/// `POST /v1/credits/checkout` takes no fields (an empty object or no body).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

/// A credit purchase as stored.
pub struct Purchase {
    pub id: String,
    pub account_id: String,
    pub livemode: bool,
    pub credits: i32,
    pub amount_cents: i64,
    pub status: String,
    pub checkout_session_id: Option<String>,
    pub approval_url: Option<String>,
}

const COLUMNS: &str =
    "id, account_id, livemode, credits, amount_cents, status, checkout_session_id, approval_url";

impl Purchase {
    fn from_row(row: &[farm_platform::spin_sdk::pg4::DbValue]) -> Result<Self, ApiError> {
        Ok(Purchase {
            id: col(row, 0)?,
            account_id: col(row, 1)?,
            livemode: col(row, 2)?,
            credits: col(row, 3)?,
            amount_cents: col(row, 4)?,
            status: col(row, 5)?,
            checkout_session_id: col(row, 6)?,
            approval_url: col(row, 7)?,
        })
    }

    /// The purchase whose checkout session is `session_id`, locked, in test
    /// mode and (when given) of `account`.
    pub fn lock_test_session(
        db: &Connection,
        session_id: &str,
        account: Option<&str>,
    ) -> Result<Option<Purchase>, ApiError> {
        let sql = format!(
            "select {COLUMNS} from credit_purchases where checkout_session_id = $1 and livemode = false \
               and ($2::text is null or account_id = $2) for update"
        );
        let rows = db.query(
            &sql,
            &[
                session_id.to_owned().into(),
                account.map_or(ParameterValue::DbNull, |a| a.to_owned().into()),
            ],
        )?;
        rows.rows.first().map(|r| Purchase::from_row(r)).transpose()
    }

    /// The wire form: `{object: "credit_purchase", id, livemode, credits,
    /// amount_total, status, checkout_session_id, approval_url}`.
    pub fn render(&self) -> Value {
        json!({
            "object": "credit_purchase",
            "id": self.id,
            "livemode": self.livemode,
            "credits": self.credits,
            "amount_total": wire::Money::from(Money::usd_cents(self.amount_cents)),
            "status": self.status,
            "checkout_session_id": self.checkout_session_id,
            "approval_url": self.approval_url,
        })
    }
}

/// Pays purchase `id` and grants its credits, once, in one statement: the
/// account's balance after the grant, or `None` when the purchase was paid
/// already (or does not exist). `payment_intent`: the provider's, if any.
pub fn grant(
    db: &Connection,
    id: &str,
    payment_intent: Option<&str>,
) -> Result<Option<i32>, ApiError> {
    let rows = db.query(
        "with paid as ( \
             update credit_purchases set status = 'paid', paid_at = now(), \
               payment_intent = coalesce($2, payment_intent) \
             where id = $1 and status = 'requires_payment' \
             returning id, account_id, credits), \
         acct as ( \
             update accounts a set generation_credits = a.generation_credits + p.credits \
             from paid p where a.id = p.account_id \
             returning a.id, a.generation_credits) \
         insert into credit_transactions (account_id, delta, reason, purchase_id, balance_after) \
         select p.account_id, p.credits, 'purchase', p.id, acct.generation_credits \
         from paid p join acct on acct.id = p.account_id \
         returning balance_after",
        &[
            id.to_owned().into(),
            payment_intent.map_or(ParameterValue::DbNull, |p| p.to_owned().into()),
        ],
    )?;
    rows.rows.first().map(|r| col(r, 0)).transpose()
}

/// `POST /v1/credits/checkout` (`Idempotency-Key` required, scope
/// `orders:write`): a checkout session for [`PACK_CREDITS`] credits at
/// [`PACK_PRICE_CENTS`]. `201` `{object: "checkout_session", id, livemode,
/// credit_purchase_id, credits, amount_total, approval_url, status:
/// "requires_payment", next_action: "redirect_user_to_approval_url"}`.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    if !ctx.request().body().is_empty() {
        ctx.json_body::<EmptyBody>()?;
    }
    let fingerprint = Fingerprint::of(&json!({"credits": PACK_CREDITS}));
    ctx.idempotent(&caller.clone(), true, &fingerprint, |ctx| {
        checkout(ctx, &caller)
    })
}

fn checkout(ctx: &mut Ctx, caller: &Caller) -> Result<Response, ApiError> {
    let base = crate::base_url(ctx)?;
    let id = format!("{PURCHASE_PREFIX}{}", to_hex(&random_bytes::<16>()?));
    let livemode = caller.livemode();
    // Recorded first, so a paid provider session always finds its purchase.
    ctx.db()?.execute(
        "insert into credit_purchases (id, account_id, livemode, credits, amount_cents) \
         values ($1, $2, $3, $4, $5)",
        &[
            id.clone().into(),
            caller.account_id.clone().into(),
            livemode.into(),
            PACK_CREDITS.into(),
            PACK_PRICE_CENTS.into(),
        ],
    )?;
    let (session_id, approval_url) = if livemode {
        use pay_kit::PaymentProvider as _;
        let provider = pay_kit::StripeProvider::new(
            &ctx.var("stripe_api_base")?,
            &ctx.var("stripe_secret_key")?,
        )?;
        let params = pay_kit::CheckoutParams {
            order_id: id.clone(),
            amount_cents: PACK_PRICE_CENTS,
            currency: "usd".into(),
            product_name: format!("{PACK_CREDITS} generation credits"),
            customer: None,
            success_url: format!("{base}/settings"),
            cancel_url: format!("{base}/settings"),
        };
        // Nothing is charged until the person pays; a failure leaves an
        // unpayable purchase behind, which grants nothing.
        let session = provider.create_checkout_session(&params, &format!("checkout-{id}"))?;
        (session.id, session.url)
    } else {
        // Test mode: the local test checkout page stands in for the provider's.
        let session_id = format!(
            "{}{}",
            crate::checkout::TEST_SESSION_PREFIX,
            to_hex(&random_bytes::<16>()?)
        );
        let url = format!("{base}/test/checkout/{session_id}");
        (session_id, url)
    };
    let sql = format!(
        "update credit_purchases set checkout_session_id = $2, approval_url = $3 where id = $1 \
         returning {COLUMNS}"
    );
    let rows = ctx
        .db()?
        .query(&sql, &[id.into(), session_id.into(), approval_url.into()])?;
    let purchase = Purchase::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("no row"))?,
    )?;
    Ok(response::created(&json!({
        "object": "checkout_session",
        "id": purchase.checkout_session_id,
        "livemode": purchase.livemode,
        "credit_purchase_id": purchase.id,
        "credits": purchase.credits,
        "amount_total": wire::Money::from(Money::usd_cents(purchase.amount_cents)),
        "approval_url": purchase.approval_url,
        "status": purchase.status,
        "next_action": "redirect_user_to_approval_url",
    })))
}
