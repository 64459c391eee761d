//! `farm-pay-kit`: the payment provider behind one trait, for the Wasm
//! components that move money (payments, orders). The wire format lives in
//! `farm-payments` (natively tested); this crate sends it over Spin's
//! outbound HTTP and maps failures to [`ApiError`]s.
//!
//! Spin variables (declared by each component that uses it, see `spin.toml`):
//! - `stripe_api_base`: the provider's base URL (`https://api.stripe.com` in
//!   production; localstripe behind the Checkout stand-in in tests). The host
//!   must be in the component's `allowed_outbound_hosts`.
//! - `stripe_secret_key` (secret): the live secret key (`sk_live_…`, or an
//!   `sk_test_…` key against a test-mode provider).
//! - `stripe_webhook_secrets` (secret, payments only): the endpoint signing
//!   secrets (`whsec_…`), comma-separated; more than one while rotating.
//!
//! Test-mode objects never reach the provider: callers check the key's mode
//! before calling (a test key's checkout and payment method are local).
//!
//! Errors (`provider_error`): a declined card → 402 `payment_failed`
//! (`decline_code`); provider unreachable, rate limited or failing → 503
//! `payment_provider_unavailable` (+ `Retry-After: 5`); no such object at the
//! provider → 404 `provider_resource_missing` (`provider_param`); the
//! provider refusing a parameter → 400 `payment_provider_rejected`
//! (`provider_code`, `provider_param`); anything else (our key refused, an
//! answer we cannot read) → 502 `payment_provider_error`.

pub mod links;
mod live;

pub use farm_payments::objects::{
    CheckoutSession, PaymentIntent, ProviderFailure, Refund, SetupIntent,
};
pub use links::settings_url;
pub use live::{StripeProvider, provider_error, webhook_secrets};

use farm_platform::ApiError;

/// The payment provider's operations (Stripe's names and semantics). Every
/// amount is in the smallest currency unit (cents); currencies are ISO 4217,
/// lowercase as Stripe writes them (`usd`).
pub trait PaymentProvider {
    /// `POST /v1/customers` (`metadata[account_id]`, `email`). Returns `cus_…`.
    fn create_customer(&self, account_id: &str, email: Option<&str>) -> Result<String, ApiError>;
    /// `POST /v1/setup_intents` (`customer`, `usage=off_session`).
    fn create_setup_intent(&self, customer: &str) -> Result<SetupIntent, ApiError>;
    /// `POST /v1/payment_methods/{pm}/attach` (`customer`), then
    /// `POST /v1/customers/{cus}` (`invoice_settings[default_payment_method]`).
    /// Returns the attached PaymentMethod's id, which is what later charges
    /// must name: for Stripe's test ids (`pm_card_visa`) the provider creates
    /// a new PaymentMethod (`pm_…`) on attach. (PAYMENTS_API.md had `()`;
    /// the id is needed to charge the right method.)
    fn set_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
    ) -> Result<String, ApiError>;
    /// `POST /v1/checkout/sessions` (`mode=payment`, one line item of
    /// `amount_cents`, `metadata[order_id]`,
    /// `payment_intent_data[metadata][order_id]`).
    fn create_checkout_session(
        &self,
        p: &CheckoutParams,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, ApiError>;
    /// `POST /v1/payment_intents` (`confirm=true`, `off_session=true`,
    /// `metadata[order_id]`).
    fn charge_off_session(
        &self,
        p: &OffSessionCharge,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ApiError>;
    /// `POST /v1/refunds` (`payment_intent`, `amount`).
    fn refund(
        &self,
        payment_intent: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<Refund, ApiError>;
}

/// A Checkout Session for one order: one line item, quantity 1, of
/// `amount_cents` (the server's quote, never a client figure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutParams {
    pub order_id: String,
    pub amount_cents: i64,
    pub currency: String,
    pub product_name: String,
    pub customer: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
}

/// An off-session charge of a saved payment method for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffSessionCharge {
    pub customer: String,
    pub payment_method: String,
    pub amount_cents: i64,
    pub currency: String,
    pub order_id: String,
}

/// The live provider from Spin variables `stripe_api_base` and
/// `stripe_secret_key`.
pub fn provider_from_ctx(
    ctx: &farm_platform::Ctx,
) -> Result<impl PaymentProvider + use<>, ApiError> {
    StripeProvider::new(&ctx.var("stripe_api_base")?, &ctx.var("stripe_secret_key")?)
}
