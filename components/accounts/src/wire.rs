//! Request and response bodies of the accounts endpoints.

use serde::{Deserialize, Serialize};

/// `POST /v1/connect`. Fields are optional here so that every missing or
/// invalid one is reported in a single 400; `null` is not absence (see
/// `farm_platform::body`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub name: Option<String>,
    /// `"live"` (default) or `"test"`.
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub mode: Option<String>,
}

/// `POST /v1/connect/verify` (JSON, or the mailed page's form). Strict like
/// every body: unknown fields and `null` are 400s naming the field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub email: Option<String>,
    /// The digits from the mail (spaces and hyphens ignored).
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub code: Option<String>,
}

/// `POST /v1/connect` → 202 for an email that already has an account: no
/// key until the code sent to the email comes back.
#[derive(Debug, Serialize)]
pub struct VerificationSent {
    pub email: String,
    pub account_created: bool,
    /// `"verification_required"`.
    pub status: &'static str,
    /// `"verify_email"`.
    pub next_action: &'static str,
    pub message: &'static str,
    pub verify_url: &'static str,
    /// Digits in the code.
    pub code_length: usize,
    /// When the code stops working (RFC 3339, UTC).
    pub expires_at: String,
    /// Attempts allowed for this code.
    pub max_attempts: u32,
}

/// `POST /v1/connect` → 201 for a new email, and `POST /v1/connect/verify` → 201
/// (seed 001's fields plus ours).
#[derive(Debug, Serialize)]
pub struct ConnectResponse {
    pub account_id: String,
    pub email: String,
    /// False when the key is for an existing account (after verification).
    pub account_created: bool,
    pub api_key_id: String,
    /// The secret, shown only in this response.
    pub api_key: String,
    pub key_preview: String,
    pub mode: &'static str,
    pub scopes: Vec<&'static str>,
    pub created_at: String,
    pub message: &'static str,
    pub next_action: &'static str,
}

/// `POST /v1/keys`. Absent `scopes`/`mode` take the calling key's; a
/// present one of the wrong type (`null` included) is a 400, never a default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub name: Option<String>,
    /// Defaults to the calling key's scopes.
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub scopes: Option<Vec<String>>,
    /// Defaults to the calling key's mode.
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub mode: Option<String>,
}

/// `POST /v1/keys` → 201 (seed 002's shape, `scopes` for `permissions`).
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    pub key_id: String,
    /// The secret, shown only in this response.
    pub key: String,
    #[serde(flatten)]
    pub summary: KeySummary,
    pub message: &'static str,
}

/// A key as listings show it: never the secret.
#[derive(Debug, Serialize)]
pub struct KeySummary {
    pub key_preview: String,
    pub name: String,
    pub scopes: Vec<&'static str>,
    pub mode: &'static str,
    pub rate_limit_per_minute: u32,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// One entry of `GET /v1/keys`.
#[derive(Debug, Serialize)]
pub struct ListedKey {
    pub key_id: String,
    #[serde(flatten)]
    pub summary: KeySummary,
}

/// `GET /v1/keys` → 200.
#[derive(Debug, Serialize)]
pub struct KeyList {
    pub keys: Vec<ListedKey>,
    pub active_count: usize,
    pub max_active_keys: u32,
}

/// `DELETE /v1/keys/{id}` → 200.
#[derive(Debug, Serialize)]
pub struct RevokedKey {
    pub key_id: String,
    pub revoked: bool,
    pub revoked_at: String,
}

/// `GET /v1/usage` → 200 (seed 002's shape).
#[derive(Debug, Serialize)]
pub struct Usage {
    pub account_id: String,
    pub key_id: String,
    pub mode: &'static str,
    /// This key's requests.
    pub totals: Totals,
    /// All of the account's keys together.
    pub account_totals: Totals,
    pub limits: Limits,
    pub period: Period,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub requests_today: i64,
    pub requests_this_month: i64,
    /// Part generations started this UTC month (issue 14; seed 002's name).
    pub generations_this_month: i64,
}

#[derive(Debug, Serialize)]
pub struct Limits {
    /// Per key, fixed one-minute windows.
    pub requests_per_minute: u32,
    /// Per key, a UTC day (seed 002: 1,000 requests/day); variable
    /// `rate_limit_per_day`.
    pub requests_per_day: u32,
    pub max_active_keys: u32,
    /// Per key, a UTC month (seed 002's free tier: 100 generations/month).
    pub generations_per_month: i64,
}

#[derive(Debug, Serialize)]
pub struct Period {
    /// UTC month, `2026-06`.
    pub month: String,
    /// UTC day, `2026-06-06`.
    pub day: String,
}
