//! `/settings/{token}`: the autopay policy on a page, for a person holding
//! the signed link (a quote's `settings_url`) and no API key. `GET` shows the
//! policy, this month's spend and the payment method status with a form;
//! `POST` (the form) changes it under the same rules as
//! `POST /v1/settings/autopay`. A wrong token is a 401 page saying
//! `invalid_token`, an old one `token_expired`.

use farm_payments::policy::{self, AutopayChange};
use farm_payments::settings_link::LinkSubject;
use farm_platform::farm_domain::FieldError;
use farm_platform::farm_domain::api_key::KeyMode;
use farm_platform::html::{escape, page};
use farm_platform::{ApiError, Ctx};
use spin_sdk::http::Response;

use crate::billing::{self, Billing};

/// The fields of the page's form (a checkbox sends `on` only when checked).
const FORM_FIELDS: [&str; 3] = ["autopay_enabled", "max_per_order", "monthly_cap"];

/// A form of three short fields fits in far less; 16 KiB bounds the parse.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The token's subject, or the refusal rendered as a page.
fn subject(ctx: &Ctx) -> Result<LinkSubject, Response> {
    let refused = |e: ApiError| {
        let body = format!(
            "<h1>This settings link does not work</h1><p class=\"error\"><code>{}</code>: {}</p>\
             <p>Ask for a new link: every quote carries a fresh <code>settings_url</code>.</p>",
            escape(e.code()),
            escape(e.message())
        );
        page(e.status(), "Settings link refused", &body)
    };
    let token = ctx.param("token").map_err(refused)?;
    let key = pay::links::settings_link_key(ctx).map_err(refused)?;
    key.verify(&token, ctx.now())
        .map_err(|e| refused(ApiError::from(e)))
}

pub fn show(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let who = match subject(ctx) {
        Ok(who) => who,
        Err(refusal) => return Ok(refusal),
    };
    let state = billing::load(ctx.db()?, &who.account_id, who.mode)?;
    Ok(page(200, "Autopay settings", &render(&state, None, &[])))
}

pub fn submit(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let who = match subject(ctx) {
        Ok(who) => who,
        Err(refusal) => return Ok(refusal),
    };
    if !ctx.is_form() {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "Send the form as application/x-www-form-urlencoded.",
        )
        .with_detail("content_type", ctx.header("content-type")));
    }
    if ctx.request().body().len() > MAX_FORM_BYTES {
        return Err(ApiError::payload_too_large(MAX_FORM_BYTES));
    }
    // The page's own form sends only these; anything else is not a person's
    // typo but a client's mistake, answered like any strict body (JSON 400).
    let pairs = farm_payments::form::decode(ctx.request().body());
    let unknown: Vec<FieldError> = pairs
        .iter()
        .filter(|(k, _)| !FORM_FIELDS.contains(&k.as_str()))
        .map(|(k, _)| FieldError::new(k.clone(), "unknown field"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid_fields(&unknown).with_detail("allowed_fields", FORM_FIELDS));
    }
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut errors = Vec::new();
    let mut cap = |name: &str| match policy::parse_dollars(name, &field(name).unwrap_or_default()) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let max_per_order = cap("max_per_order");
    let monthly_cap = cap("monthly_cap");
    let enabled = field("autopay_enabled").is_some_and(|v| v == "on");
    let db = ctx.db()?;
    let outcome = if errors.is_empty() {
        let change = AutopayChange {
            autopay_enabled: Some(enabled),
            max_per_order_cents: max_per_order,
            monthly_cap_cents: monthly_cap,
        };
        billing::change_policy(db, &who.account_id, who.mode, &change)
    } else {
        Ok(())
    };
    // The API's field names become the form's on this page.
    let form_name = |f: &str| match f {
        "max_per_order_cents" => "max_per_order".to_string(),
        "monthly_cap_cents" => "monthly_cap".to_string(),
        other => other.to_string(),
    };
    match outcome {
        Err(e) if e.status() == 400 => {
            let fields = e
                .body("")
                .get("fields")
                .and_then(|f| f.as_array().cloned())
                .unwrap_or_default();
            errors.extend(fields.iter().map(|f| {
                FieldError::new(
                    form_name(f["field"].as_str().unwrap_or("")),
                    f["reason"].as_str().unwrap_or(""),
                )
            }));
        }
        Err(e) if e.status() == 409 => errors.push(FieldError::new("autopay_enabled", e.message())),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let state = billing::load(db, &who.account_id, who.mode)?;
    if errors.is_empty() {
        Ok(page(
            200,
            "Autopay settings",
            &render(&state, Some("Saved."), &[]),
        ))
    } else {
        Ok(page(
            400,
            "Autopay settings",
            &render(&state, None, &errors),
        ))
    }
}

fn dollars(cents: Option<i64>) -> String {
    cents.map_or(String::new(), |c| format!("{}.{:02}", c / 100, c % 100))
}

fn render(state: &Billing, notice: Option<&str>, errors: &[FieldError]) -> String {
    let p = &state.policy;
    let mode = match state.mode {
        KeyMode::Live => "live",
        KeyMode::Test => "test mode (no money moves)",
    };
    let mut html = format!(
        "<h1>Autopay settings</h1><p class=\"muted\">Account <code>{}</code>, {}.</p>",
        escape(&state.account_id),
        escape(mode)
    );
    if let Some(notice) = notice {
        html.push_str(&format!("<p role=\"status\">{}</p>", escape(notice)));
    }
    if !errors.is_empty() {
        html.push_str("<ul class=\"error\" role=\"alert\">");
        for e in errors {
            html.push_str(&format!(
                "<li><code>{}</code>: {}</li>",
                escape(&e.field),
                escape(&e.reason)
            ));
        }
        html.push_str("</ul>");
    }
    let pm = state.default_payment_method.as_deref().map_or(
        "none saved: an agent cannot pay on its own".to_string(),
        |pm| format!("saved ({pm})"),
    );
    html.push_str(&format!(
        "<table><tr><th>Payment method</th><td>{}</td></tr>\
         <tr><th>Spent this month (since {})</th><td>${}</td></tr></table>",
        escape(&pm),
        escape(&state.month),
        dollars(Some(state.month_spent_cents))
    ));
    html.push_str(&format!(
        "<form method=\"post\"><p><label><input type=\"checkbox\" name=\"autopay_enabled\" {}> \
         Let agents pay without asking me, within the caps below</label></p>\
         <p><label>Most per order (USD) <input name=\"max_per_order\" inputmode=\"decimal\" value=\"{}\"></label></p>\
         <p><label>Most per month (USD) <input name=\"monthly_cap\" inputmode=\"decimal\" value=\"{}\"></label></p>\
         <p class=\"muted\">Both caps are needed to turn autopay on. Without autopay, every order waits for your approval.</p>\
         <p><button type=\"submit\">Save</button></p></form>",
        if p.autopay_enabled { "checked" } else { "" },
        dollars(p.max_per_order_cents),
        dollars(p.monthly_cap_cents)
    ));
    html
}
