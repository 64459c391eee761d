//! `POST /v1/connect` and `POST /v1/connect/verify`: an account and its first
//! key for a new email at once (seed 001); for an existing email, a key only
//! after proof of control of the address (a code sent to it).
//!
//! # Limits (farm_domain::verification)
//!
//! Both endpoints count against the client address (30 per hour), so a
//! script cannot mint accounts or burn codes; `connect` also counts against
//! the email (5 per hour), which bounds the mails any address receives and
//! the keys anyone can make another account spend. A code allows 5 attempts
//! and lasts 10 minutes; only the newest code of an email is usable.
//!
//! # The mail
//!
//! The verification, its outbox row and a `send_mail` job of the work queue
//! are written in one transaction; once the response is out, the job runs at
//! once (the fast path), reaching the private mailer component by service
//! chaining; if that fails, the tick route retries it with backoff. The
//! mailer is idempotent: a sent row is never sent again.

use crate::store;
use crate::wire::*;
use farm_domain::account::{Email, parse_connect};
use farm_domain::api_key::{ApiKeySecret, KEY_RANDOM_BYTES, KeyMode, sha256_hex};
use farm_domain::ids::IdKind;
use farm_domain::scope::ScopeSet;
use farm_domain::verification::{
    self, CODE_DIGITS, MAX_ATTEMPTS, Refusal, VerificationCode, VerificationKey, judge,
};
use farm_domain::{Error, FieldError};
use farm_platform::wire::timestamp;
use farm_platform::work;
use farm_platform::{ApiError, Ctx, Fingerprint, new_id, random_bytes, response};
use serde_json::{Value, json};
use spin_sdk::http::Response;

/// Creates the account and its first key for a new email (201), or, for an
/// email that already has an account, sends a code to it and answers 202
/// `next_action: "verify_email"` without a key.
pub fn connect(ctx: &mut Ctx) -> Result<Response, ApiError> {
    limit_client_address(ctx)?;
    let body: ConnectRequest = ctx.json_body()?;
    let mut missing = Vec::new();
    if body.email.is_none() {
        missing.push(FieldError::new("email", "is required"));
    }
    if body.name.is_none() {
        missing.push(FieldError::new("name", "is required"));
    }
    if !missing.is_empty() {
        return Err(Error::InvalidFields(missing).into());
    }
    let (email, name) = parse_connect(
        body.email.as_deref().unwrap_or(""),
        body.name.as_deref().unwrap_or(""),
    )?;
    let mode = body
        .mode
        .as_deref()
        .map(KeyMode::parse)
        .transpose()?
        .unwrap_or(KeyMode::Live);
    ctx.limit(
        "email",
        &format!("connect:email:{}", email.as_str()),
        verification::email_window(),
    )?;

    // A replayed 202 runs nothing, so its mail is not sent again.
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent_redacted(&namespace(&email), false, &fingerprint, redact, |ctx| {
        let (account_id, account_created) =
            store::find_or_create_account(ctx.db()?, email.as_str(), &name)?;
        if !account_created {
            return send_code(ctx, &account_id, &email, mode);
        }
        let secret = ApiKeySecret::generate(mode, random_bytes::<KEY_RANDOM_BYTES>()?);
        let scopes = ScopeSet::all();
        let key = store::create_key(ctx.db()?, &account_id, &secret, "connect", &scopes)?;
        ctx.log(format_args!(
            "connect account={account_id} key={} created=true",
            key.id
        ));
        Ok(response::created(&issued(
            account_id, &email, true, key, &secret,
        )))
    })
}

/// Where `connect`'s and `connect/verify`'s `Idempotency-Key`s live: they
/// have no calling account, so the key is scoped to the normalised
/// (lowercased) email, as `connect:` + its SHA-256 hex (no account id starts
/// with `connect:`, and the table holds no address in clear).
pub fn namespace(email: &Email) -> String {
    format!("connect:{}", sha256_hex(email.as_str().as_bytes()))
}

fn redact(body: Value) -> Value {
    crate::redact_secret(body, "api_key", "api_key_id")
}

/// Exchanges the code from the mail for a key of the same account (201,
/// the shape of `connect`'s 201 with `account_created: false`).
pub fn verify(ctx: &mut Ctx) -> Result<Response, ApiError> {
    limit_client_address(ctx)?;
    // The browser page's button posts a form; agents post JSON.
    let body: VerifyRequest = if ctx.is_form() {
        VerifyRequest {
            email: ctx.form_field("email"),
            code: ctx.form_field("code"),
        }
    } else {
        ctx.json_body()?
    };
    let email = body.email.as_deref().map(Email::parse);
    let code = body.code.as_deref().map(VerificationCode::parse);
    let mut bad = Vec::new();
    match &email {
        None => bad.push(FieldError::new("email", "is required")),
        Some(Err(e)) => bad.push(e.clone()),
        Some(Ok(_)) => {}
    }
    match &code {
        None => bad.push(FieldError::new("code", "is required")),
        Some(None) => bad.push(FieldError::new(
            "code",
            format!("must be the {CODE_DIGITS} digits from the mail"),
        )),
        Some(Some(_)) => {}
    }
    let (Some(Ok(email)), Some(Some(code))) = (email, code) else {
        return Err(Error::InvalidFields(bad).into());
    };
    // From the parsed fields, so the JSON and the form of one request match.
    let fingerprint = Fingerprint::of(&json!({
        "email": email.as_str(),
        "code": code.expose(),
    }));
    ctx.idempotent_redacted(&namespace(&email), false, &fingerprint, redact, |ctx| {
        let key = verification_key(ctx)?;
        let pending = store::count_attempt(ctx.db()?, email.as_str())?
            .ok_or(Error::VerificationRefused(Refusal::NotRequested))?;
        let matches = key.matches(&pending.id, &code, &pending.code_hash);
        judge(pending.state, ctx.now(), matches).map_err(Error::VerificationRefused)?;

        let secret = ApiKeySecret::generate(pending.mode, random_bytes::<KEY_RANDOM_BYTES>()?);
        let created = store::consume_and_create_key(
            ctx.db()?,
            &pending.id,
            &pending.account_id,
            &secret,
            "connect",
            &ScopeSet::all(),
        )?
        .ok_or(Error::VerificationRefused(Refusal::Used))?;
        ctx.log(format_args!(
            "connect verified account={} key={} verification={}",
            pending.account_id, created.id, pending.id
        ));
        Ok(response::created(&issued(
            pending.account_id,
            &email,
            false,
            created,
            &secret,
        )))
    })
}

/// The page the mailed link opens (`?email=…&code=…`): a button that posts
/// the form to `POST /v1/connect/verify`. Opening it exchanges nothing and
/// counts no attempt, so a mail scanner that follows links uses up nothing.
pub fn verify_page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    limit_client_address(ctx)?;
    let email = Email::parse(&ctx.query("email").unwrap_or_default());
    let code = VerificationCode::parse(&ctx.query("code").unwrap_or_default());
    let (email, code) = match (email, code) {
        (Ok(e), Some(c)) => (e, c),
        (email, code) => {
            let mut bad: Vec<FieldError> = email.err().into_iter().collect();
            if code.is_none() {
                bad.push(FieldError::new(
                    "code",
                    format!("must be {CODE_DIGITS} digits"),
                ));
            }
            return Err(Error::InvalidFields(bad).into());
        }
    };
    // Both values are validated (digits; letters, digits, `.-+_@`), and the
    // email is escaped anyway.
    let email = html_escape(email.as_str());
    let code = code.expose();
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Farm API: get an API key</title></head><body>\n\
         <h1>Get an API key for {email}</h1>\n\
         <p>Press the button to exchange code {code} for a new API key of this account. \
         The key is shown once: store it as a secret.</p>\n\
         <form method=\"post\" action=\"/v1/connect/verify\">\
         <input type=\"hidden\" name=\"email\" value=\"{email}\">\
         <input type=\"hidden\" name=\"code\" value=\"{code}\">\
         <button type=\"submit\">Get my API key</button></form>\n\
         <p>If you did not ask for a key, close this page: nothing changes without the code.</p>\n\
         </body></html>\n"
    );
    let mut response = Response::new(200, page);
    response.set_header("content-type", "text/html; charset=utf-8");
    response.set_header("cache-control", "no-store");
    response.set_header("referrer-policy", "no-referrer");
    Ok(response)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn send_code(
    ctx: &mut Ctx,
    account_id: &str,
    email: &Email,
    mode: KeyMode,
) -> Result<Response, ApiError> {
    let key = verification_key(ctx)?;
    let verification_id = new_id(IdKind::Verification)?;
    let mail_id = new_id(IdKind::Mail)?;
    let code = key.code_for(&verification_id);
    let worker = work::Worker::from_ctx(ctx)?;
    let (expires_at, job_id) = store::create_verification(
        ctx.db()?,
        &verification_id,
        &mail_id,
        account_id,
        email.as_str(),
        &key.code_hash(&verification_id, &code),
        mode,
    )?;
    ctx.log(format_args!(
        "connect account={account_id} verification={verification_id} mail={mail_id}"
    ));
    // The fast path: the job's lease keeps the tick from sending it too.
    ctx.after_response(move || {
        worker.run_now(job_id);
    });
    Ok(response::json(
        202,
        &VerificationSent {
            email: email.as_str().to_string(),
            account_created: false,
            status: "verification_required",
            next_action: "verify_email",
            message: "This email already has an account. We sent a code to it: ask its \
                      owner for the code, then POST /v1/connect/verify with the email and code.",
            verify_url: "/v1/connect/verify",
            code_length: CODE_DIGITS,
            expires_at: timestamp(expires_at),
            max_attempts: MAX_ATTEMPTS,
        },
    ))
}

fn issued(
    account_id: String,
    email: &Email,
    account_created: bool,
    key: store::KeyRow,
    secret: &ApiKeySecret,
) -> ConnectResponse {
    ConnectResponse {
        account_id,
        email: email.as_str().to_string(),
        account_created,
        api_key_id: key.id,
        api_key: secret.expose().to_string(),
        key_preview: secret.display_preview(),
        mode: secret.mode().as_str(),
        scopes: key.scopes.names().collect(),
        created_at: timestamp(key.created_at),
        message: crate::SHOWN_ONCE,
        next_action: "upload_file",
    }
}

/// The client-address limit shared by both endpoints. A request without a
/// client address (a service-chained call) is not limited here.
fn limit_client_address(ctx: &mut Ctx) -> Result<(), ApiError> {
    match ctx.client_bucket() {
        Some(bucket) => ctx.limit(
            "client_address",
            &format!("connect:addr:{bucket}"),
            verification::address_window(),
        ),
        None => Ok(()),
    }
}

fn verification_key(ctx: &Ctx) -> Result<VerificationKey, ApiError> {
    let secret = ctx.var("internal_token")?;
    if secret.is_empty() {
        return Err(ApiError::internal("internal_token is empty"));
    }
    Ok(VerificationKey::derive(secret.as_bytes()))
}
