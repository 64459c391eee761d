//! `Idempotency-Key` support for endpoints that create things.
//!
//! The key is bound to what the request *means* (a [`Fingerprint`] the
//! endpoint supplies), not to its raw bytes: an honest retry of a multipart
//! upload carries a new boundary, and a JSON client may reorder keys or
//! change whitespace, yet it is the same request and must be replayed.

use crate::auth::{Caller, col};
use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::api_key::sha256_hex;
use serde_json::Value;
use spin_sdk::http::Response;

/// Keys are remembered this long; after that a key may be used afresh
/// (Stripe's documented retention: keys are pruned after 24 hours).
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// A claim whose request has not finished after this long is taken to be
/// abandoned (its instance died) and may be claimed again. Hosted Spin ends a
/// request after 30 s; ten times that leaves room for a slow local run.
pub const IDEMPOTENCY_ABANDONED_AFTER_SECS: i64 = 300;

/// What a request means, in canonical form: two requests with equal
/// fingerprints are the same request. Build it from parsed input, never
/// from the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// A value describing the request, written canonically: object keys
    /// sorted by their UTF-8 bytes, no whitespace, strings and numbers as
    /// `serde_json` writes them. For a multipart upload, describe the file by
    /// its SHA-256 and the options by their parsed value.
    pub fn of(meaning: &Value) -> Self {
        let mut out = String::new();
        write_canonical(meaning, &mut out);
        Fingerprint(out)
    }

    /// The request's JSON body, parsed and written canonically (so key order
    /// and whitespace do not matter). Call it after the body has been
    /// validated; a body that is not JSON is a 400 `invalid_json`.
    pub fn json_body(ctx: &Ctx) -> Result<Self, ApiError> {
        let value: Value =
            serde_json::from_slice(ctx.request().body()).map_err(|e| ApiError::invalid_json(&e))?;
        Ok(Self::of(&value))
    }

    /// The canonical text (for tests and logs; it may contain request data).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Checks the header's form: 1 to 255 visible ASCII characters (Stripe
/// allows up to 255 characters; anything else cannot be a key we stored).
fn well_formed(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| (0x21..0x7f).contains(&b))
}

impl Ctx {
    /// Runs `create` at most once per (account, `Idempotency-Key`).
    ///
    /// `request` is what the request means ([`Fingerprint::json_body`] for a
    /// JSON body; the file's hash and the parsed options for an upload).
    /// Validate the input before calling this: a 4xx found before `create`
    /// runs is not remembered, so a corrected request may reuse the key.
    ///
    /// - No header: runs `create` directly, or 400 `idempotency_key_required`
    ///   when `required`.
    /// - A header that is not 1–255 visible ASCII characters: 400
    ///   `invalid_request` naming `Idempotency-Key`.
    /// - First use of a key: claims it (one row insert, so concurrent
    ///   duplicates cannot both claim it), runs `create`, stores the status
    ///   and body of the outcome (success or 4xx) and returns it.
    /// - Same key, same method, path and fingerprint: returns the stored
    ///   response with `Idempotent-Replayed: true`.
    /// - Same key, different request: 409 `idempotency_key_reused`.
    /// - Same key while the first request is still running: 409
    ///   `idempotency_request_in_progress` with `Retry-After: 1`. A claim left
    ///   unfinished for [`IDEMPOTENCY_ABANDONED_AFTER_SECS`] is reclaimed.
    /// - A 5xx outcome releases the key so the caller can retry with it.
    pub fn idempotent(
        &mut self,
        caller: &Caller,
        required: bool,
        request: &Fingerprint,
        create: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
    ) -> Result<Response, ApiError> {
        self.idempotent_in(&caller.account_id, required, request, None, create)
    }

    /// [`Ctx::idempotent`] for a response that holds a secret, which must
    /// never be stored: the caller gets `create`'s response as it is, while
    /// the copy stored and every replay is `redact` applied to its JSON body
    /// (same status). `namespace` takes the account's place: the caller's
    /// account id, or for a request with no caller a value that cannot be an
    /// account id (account ids are `acct_<hex>`), e.g. `connect:<sha256>`.
    pub fn idempotent_redacted(
        &mut self,
        namespace: &str,
        required: bool,
        request: &Fingerprint,
        redact: fn(Value) -> Value,
        create: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
    ) -> Result<Response, ApiError> {
        self.idempotent_in(namespace, required, request, Some(redact), create)
    }

    fn idempotent_in(
        &mut self,
        namespace: &str,
        required: bool,
        request: &Fingerprint,
        redact: Option<fn(Value) -> Value>,
        create: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
    ) -> Result<Response, ApiError> {
        let Some(raw) = self.req.header("idempotency-key") else {
            return if required {
                Err(ApiError::idempotency_key_required())
            } else {
                create(self)
            };
        };
        // A key that is present but unreadable is refused, never ignored: a
        // retry must not run `create` again.
        let key = raw
            .as_str()
            .filter(|k| well_formed(k))
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )
            })?;
        let request_hash = sha256_hex(
            format!("{} {}\n{}", self.method(), self.path(), request.as_str()).as_bytes(),
        );
        let account = namespace.to_string();

        let claimed = self.db()?.query(
            "insert into idempotency_keys (account_id, key, request_hash) values ($1, $2, $3) \
             on conflict (account_id, key) do update \
               set request_hash = excluded.request_hash, status = null, response_body = null, created_at = now() \
               where idempotency_keys.created_at < now() - make_interval(hours => $4) \
                  or (idempotency_keys.status is null \
                      and idempotency_keys.created_at < now() - make_interval(secs => $5)) \
             returning key",
            &[
                account.clone().into(),
                key.clone().into(),
                request_hash.clone().into(),
                (IDEMPOTENCY_TTL_HOURS as i32).into(),
                (IDEMPOTENCY_ABANDONED_AFTER_SECS as f64).into(),
            ],
        )?;
        if claimed.rows.is_empty() {
            return self.replay(&account, &key, &request_hash);
        }

        let response = match create(self) {
            Ok(response) => response,
            // Stripe's rule: a result is saved, success or 4xx, so a retry
            // gets the same answer. Except an answer that itself says "retry
            // later" (Retry-After: the file is still processing): replaying
            // it for 24 h would make the retry it asks for impossible, so the
            // key is released and the retry runs.
            Err(err) if err.status() < 500 && !err.asks_to_retry() => {
                err.into_response(&self.request_id)
            }
            Err(err) => {
                self.release(&account, &key);
                return Err(err);
            }
        };
        let body = match redact {
            None => String::from_utf8_lossy(response.body()).into_owned(),
            Some(redact) => match serde_json::from_slice::<Value>(response.body()) {
                Ok(value) => redact(value).to_string(),
                // Not JSON, so redaction cannot be trusted: remember nothing.
                Err(_) => {
                    self.release(&account, &key);
                    return Ok(response);
                }
            },
        };
        self.db()?.execute(
            "update idempotency_keys set status = $3, response_body = $4 where account_id = $1 and key = $2",
            &[
                account.into(),
                key.into(),
                i32::from(*response.status()).into(),
                body.into(),
            ],
        )?;
        Ok(response)
    }

    /// Forgets a claim whose request failed on our side, so a retry runs.
    fn release(&mut self, account: &str, key: &str) {
        let released = self.db().and_then(|db| {
            db.execute(
                "delete from idempotency_keys where account_id = $1 and key = $2 and status is null",
                &[account.to_string().into(), key.to_string().into()],
            )
            .map_err(ApiError::from)
        });
        if let Err(e) = released {
            self.log(format_args!("could not release idempotency key: {e:?}"));
        }
    }

    fn replay(
        &mut self,
        account: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Response, ApiError> {
        let rows = self.db()?.query(
            "select request_hash, status, response_body from idempotency_keys where account_id = $1 and key = $2",
            &[account.to_string().into(), key.to_string().into()],
        )?;
        let Some(row) = rows.rows.first() else {
            // Released by a failed first attempt between our insert and now.
            return Err(ApiError::idempotency_in_progress());
        };
        if col::<String>(row, 0)? != request_hash {
            return Err(ApiError::idempotency_key_reused());
        }
        match (col::<Option<i32>>(row, 1)?, col::<Option<String>>(row, 2)?) {
            (Some(status), Some(body)) => {
                let mut response =
                    Response::new(u16::try_from(status).unwrap_or(500), body.into_bytes());
                response.set_header("content-type", "application/json");
                response.set_header("idempotent-replayed", "true");
                Ok(response)
            }
            _ => Err(ApiError::idempotency_in_progress()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_fingerprint() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": "é"}], "a": null}"#).expect("json");
        let b: Value =
            serde_json::from_str("{\n  \"a\":null,\"b\":[1,{\"x\":\"\\u00e9\",\"y\":2}]}")
                .expect("json");
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
        assert_eq!(
            Fingerprint::of(&a).as_str(),
            r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#
        );
    }

    #[test]
    fn different_values_and_array_order_change_the_fingerprint() {
        assert_ne!(
            Fingerprint::of(&json!({"quantity": 1})),
            Fingerprint::of(&json!({"quantity": 2}))
        );
        assert_ne!(
            Fingerprint::of(&json!([1, 2])),
            Fingerprint::of(&json!([2, 1]))
        );
        assert_ne!(
            Fingerprint::of(&json!({"a": "1"})),
            Fingerprint::of(&json!({"a": 1}))
        );
    }

    #[test]
    fn keys_must_be_visible_ascii_up_to_255() {
        assert!(well_formed("order-42_retry:1"));
        assert!(well_formed(&"k".repeat(255)));
        assert!(!well_formed(""));
        assert!(!well_formed(&"k".repeat(256)));
        assert!(!well_formed("has space"));
        assert!(!well_formed("clé"));
    }
}
