//! `POST /v1/payments/setup_intent` and `POST /v1/payments/default_method`:
//! vaulting a card for off-session charges (seed 001, "Payment Methods").
//! Live keys go to the provider (Stripe Customers, SetupIntents,
//! PaymentMethods); test keys never do.

use farm_payments::test_mode;
use farm_platform::farm_domain::api_key::KeyMode;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, col, random_bytes, response};
use pay::PaymentProvider;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;

use crate::billing;

/// `POST /v1/payments/setup_intent` takes no fields: an empty body or `{}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

pub fn setup_intent(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    if !ctx.request().body().iter().all(u8::is_ascii_whitespace) {
        let _: NoFields = ctx.json_body()?;
    }
    let fingerprint = Fingerprint::of(&json!({}));
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        let intent = match caller.mode {
            KeyMode::Test => {
                let (id, secret) =
                    test_mode::setup_intent_ids(&random_bytes::<16>()?, &random_bytes::<16>()?);
                json!({"id": id, "client_secret": secret, "status": "requires_payment_method",
                       "customer": null})
            }
            KeyMode::Live => {
                let provider = pay::provider_from_ctx(ctx)?;
                let customer = ensure_customer(ctx, &caller, &provider)?;
                let si = provider.create_setup_intent(&customer)?;
                json!({"id": si.id, "client_secret": si.client_secret, "status": si.status,
                       "customer": customer})
            }
        };
        let mut body = json!({
            "object": "setup_intent",
            "livemode": caller.mode == KeyMode::Live,
            "usage": "off_session",
            "next_action": "confirm_card_setup_then_set_default_method",
        });
        if let (Some(out), Some(fields)) = (body.as_object_mut(), intent.as_object()) {
            out.extend(fields.clone());
        }
        Ok(response::created(&body))
    })
}

/// The account's provider Customer, created (and stored) on first use.
fn ensure_customer(
    ctx: &mut Ctx,
    caller: &Caller,
    provider: &impl PaymentProvider,
) -> Result<String, ApiError> {
    let db = ctx.db()?;
    let current = billing::load(db, &caller.account_id, caller.mode)?;
    if let Some(customer) = current.customer_id {
        return Ok(customer);
    }
    let rows = db.query(
        "select email from accounts where id = $1",
        &[caller.account_id.clone().into()],
    )?;
    let email: Option<String> = match rows.rows.first() {
        Some(row) => col(row, 0)?,
        None => None,
    };
    let customer = provider.create_customer(&caller.account_id, email.as_deref())?;
    billing::set_customer(ctx.db()?, &caller.account_id, caller.mode, &customer)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultMethodBody {
    payment_method_id: String,
}

pub fn default_method(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let body: DefaultMethodBody = ctx.json_body()?;
    let pm = body.payment_method_id;
    let well_formed = pm.len() <= 255
        && pm.strip_prefix("pm_").is_some_and(|r| {
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if !well_formed {
        return Err(ApiError::invalid_field(
            "payment_method_id",
            "must be a payment method id: pm_ followed by letters, digits or _",
        ));
    }
    if caller.mode == KeyMode::Test && !test_mode::is_test_payment_method(&pm) {
        return Err(payment_method_not_found(&pm, caller.mode));
    }
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        let saved = match caller.mode {
            KeyMode::Test => pm.clone(),
            KeyMode::Live => {
                let provider = pay::provider_from_ctx(ctx)?;
                let customer = ensure_customer(ctx, &caller, &provider)?;
                provider
                    .set_default_payment_method(&customer, &pm)
                    .map_err(|e| match e.status() {
                        404 => payment_method_not_found(&pm, caller.mode),
                        _ => e,
                    })?
            }
        };
        let db = ctx.db()?;
        billing::set_default_payment_method(db, &caller.account_id, caller.mode, &saved)?;
        let state = billing::load(db, &caller.account_id, caller.mode)?;
        let url = billing::settings_url(ctx, &caller.account_id, caller.mode)?;
        Ok(response::ok(&state.wire(&url)))
    })
}

/// 404 `payment_method_not_found`: the provider has no such PaymentMethod,
/// or a test key named one that is not a test payment method.
fn payment_method_not_found(pm: &str, mode: KeyMode) -> ApiError {
    let message = match mode {
        KeyMode::Test => format!(
            "Test mode knows only the test payment methods ({}), never the provider's; {pm} is not one.",
            test_mode::TEST_PAYMENT_METHODS.join(", ")
        ),
        KeyMode::Live => format!(
            "The payment provider has no payment method {pm}. Complete the SetupIntent first and send the id it produced."
        ),
    };
    ApiError::new(404, "payment_method_not_found", message)
        .with_detail("payment_method_id", pm)
        .with_detail("next_action", "create_setup_intent")
}
