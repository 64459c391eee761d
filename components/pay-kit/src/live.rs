//! The live provider: Stripe's API over Spin outbound HTTP.

use farm_payments::form::Form;
use farm_payments::objects::{self, Customer, PaymentMethod, ProviderFailure};
use farm_payments::requests;
use farm_platform::ApiError;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};

use crate::{
    CheckoutParams, CheckoutSession, OffSessionCharge, PaymentIntent, PaymentProvider, Refund,
    SetupIntent,
};

/// The API version every request pins (`Stripe-Version`), so the objects we
/// parse keep their shape whatever the account's default version becomes.
pub const STRIPE_VERSION: &str = "2024-06-20";

/// Stripe's API at `base` with a secret key.
#[derive(Debug)]
pub struct StripeProvider {
    base: String,
    secret_key: String,
}

impl StripeProvider {
    /// `base`: scheme and authority (a trailing `/` is dropped).
    pub fn new(base: &str, secret_key: &str) -> Result<Self, ApiError> {
        let base = base.trim().trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ApiError::internal(format!(
                "stripe_api_base must be an http(s) URL, got {base:?}"
            )));
        }
        if secret_key.trim().is_empty() {
            return Err(ApiError::internal("stripe_secret_key is empty"));
        }
        Ok(StripeProvider {
            base: base.to_string(),
            secret_key: secret_key.trim().to_string(),
        })
    }

    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: Option<&str>,
    ) -> Result<T, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut builder = Request::builder();
        builder
            .method(Method::Post)
            .uri(url.as_str())
            .header("authorization", format!("Bearer {}", self.secret_key))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("stripe-version", STRIPE_VERSION);
        if let Some(key) = idempotency_key {
            builder.header("idempotency-key", key);
        }
        let body = form.encode();
        // An explicit length: without it the body goes out chunked, which
        // some servers in front of an API (and Python's http.server) refuse.
        builder.header("content-length", body.len().to_string());
        let request = builder.body(body).build();
        let response: Response = spin_sdk::http::run(
            async move { spin_sdk::http::send(request).await },
        )
        .map_err(|e| provider_error(ProviderFailure::Unavailable(format!("POST {path}: {e}"))))?;
        objects::parse_response(*response.status(), response.body())
            .map_err(|f| provider_error(f).with_cause(format!("POST {path}")))
    }
}

/// The one mapping from a provider failure to the API's error.
pub fn provider_error(failure: ProviderFailure) -> ApiError {
    let cause = failure.to_string();
    match failure {
        ProviderFailure::Declined {
            decline_code,
            payment_intent,
            ..
        } => ApiError::new(
            402,
            "payment_failed",
            format!(
                "The payment provider declined the charge ({decline_code}). Ask the person to update the payment method."
            ),
        )
        .with_detail("decline_code", decline_code)
        .with_detail("payment_intent", payment_intent)
        .with_detail("next_action", "ask_user"),
        ProviderFailure::Unavailable(_) => ApiError::new(
            503,
            "payment_provider_unavailable",
            "The payment provider is unavailable; retry shortly.",
        )
        .with_header("retry-after", "5"),
        ProviderFailure::Rejected {
            status, code, param, ..
        } if status == 404 || code == "resource_missing" => ApiError::new(
            404,
            "provider_resource_missing",
            "The payment provider has no such object.",
        )
        .with_detail("provider_param", param),
        ProviderFailure::Rejected {
            status: 400,
            code,
            param: Some(param),
            message,
        } => ApiError::new(
            400,
            "payment_provider_rejected",
            format!("The payment provider refused the request: {message}"),
        )
        .with_detail("provider_code", code)
        .with_detail("provider_param", param),
        ProviderFailure::Rejected { .. } | ProviderFailure::Malformed(_) => ApiError::new(
            502,
            "payment_provider_error",
            "The payment provider gave an answer we could not use; retry later.",
        ),
    }
    .with_cause(cause)
}

/// The webhook signing secrets from the Spin variable
/// `stripe_webhook_secrets`: comma-separated, blanks dropped (two while a
/// secret is rotated).
pub fn webhook_secrets(ctx: &farm_platform::Ctx) -> Result<Vec<String>, ApiError> {
    Ok(ctx
        .var("stripe_webhook_secrets")?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

impl PaymentProvider for StripeProvider {
    fn create_customer(&self, account_id: &str, email: Option<&str>) -> Result<String, ApiError> {
        // Keyed by the account, so a retried first SetupIntent makes one customer.
        let key = format!("farm-customer-{account_id}");
        let form = requests::customer(account_id, email);
        let customer: Customer = self.post("/v1/customers", &form, Some(&key))?;
        Ok(customer.id)
    }

    fn create_setup_intent(&self, customer: &str) -> Result<SetupIntent, ApiError> {
        self.post("/v1/setup_intents", &requests::setup_intent(customer), None)
    }

    fn set_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
    ) -> Result<String, ApiError> {
        let path = format!(
            "/v1/payment_methods/{}/attach",
            path_segment(payment_method)?
        );
        let attached: PaymentMethod = self.post(&path, &requests::attach(customer), None)?;
        let path = format!("/v1/customers/{}", path_segment(customer)?);
        let update = requests::default_payment_method(&attached.id);
        let _: Customer = self.post(&path, &update, None)?;
        Ok(attached.id)
    }

    fn create_checkout_session(
        &self,
        p: &CheckoutParams,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, ApiError> {
        let form = requests::checkout_session(&requests::Checkout {
            order_id: &p.order_id,
            amount_cents: p.amount_cents,
            currency: &p.currency,
            product_name: &p.product_name,
            customer: p.customer.as_deref(),
            success_url: &p.success_url,
            cancel_url: &p.cancel_url,
        });
        self.post("/v1/checkout/sessions", &form, Some(idempotency_key))
    }

    fn charge_off_session(
        &self,
        p: &OffSessionCharge,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ApiError> {
        let form = requests::off_session_charge(&requests::Charge {
            customer: &p.customer,
            payment_method: &p.payment_method,
            amount_cents: p.amount_cents,
            currency: &p.currency,
            order_id: &p.order_id,
        });
        self.post("/v1/payment_intents", &form, Some(idempotency_key))
    }

    fn refund(
        &self,
        payment_intent: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<Refund, ApiError> {
        let form = requests::refund(payment_intent, amount_cents);
        self.post("/v1/refunds", &form, Some(idempotency_key))
    }
}

/// A provider id placed in a URL path: Stripe ids are `A-Za-z0-9_`; anything
/// else would change the path, so it is refused (400 naming the field).
fn path_segment(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id)
    } else {
        Err(ApiError::invalid_field(
            "payment_method_id",
            "must be a provider id such as pm_card_visa (letters, digits, _)",
        ))
    }
}
