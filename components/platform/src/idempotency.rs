//! `Idempotency-Key` support for endpoints that create things.

use crate::auth::{Caller, col};
use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::api_key::sha256_hex;
use spin_sdk::http::Response;

/// Keys are remembered this long; after that a key may be used afresh.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

impl Ctx {
    /// Runs `create` at most once per (account, `Idempotency-Key`).
    ///
    /// - No header: runs `create` directly, or 400 `idempotency_key_required`
    ///   when `required`.
    /// - First use of a key: claims it (one row insert, so concurrent
    ///   duplicates cannot both claim it), runs `create`, stores the status
    ///   and body of the outcome (success or 4xx) and returns it.
    /// - Same key, same method, path and body: returns the stored response
    ///   with `Idempotent-Replayed: true`.
    /// - Same key, different request: 409 `idempotency_key_reused`.
    /// - Same key while the first request is still running: 409
    ///   `idempotency_request_in_progress` with `Retry-After`.
    /// - A 5xx outcome releases the key so the caller can retry with it.
    pub fn idempotent(
        &mut self,
        caller: &Caller,
        required: bool,
        create: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
    ) -> Result<Response, ApiError> {
        let Some(key) = self.header("idempotency-key").map(str::to_string) else {
            return if required {
                Err(ApiError::idempotency_key_required())
            } else {
                create(self)
            };
        };
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        let mut fingerprint = format!("{} {}\n", self.method(), self.path()).into_bytes();
        fingerprint.extend_from_slice(self.request().body());
        let request_hash = sha256_hex(&fingerprint);
        let account = caller.account_id.clone();

        let claimed = self.db()?.query(
            "insert into idempotency_keys (account_id, key, request_hash) values ($1, $2, $3) \
             on conflict (account_id, key) do update \
               set request_hash = excluded.request_hash, status = null, response_body = null, created_at = now() \
               where idempotency_keys.created_at < now() - make_interval(hours => $4) \
             returning key",
            &[account.clone().into(), key.clone().into(), request_hash.clone().into(), (IDEMPOTENCY_TTL_HOURS as i32).into()],
        )?;
        if claimed.rows.is_empty() {
            return self.replay(&account, &key, &request_hash);
        }

        let outcome = create(self);
        let response = match outcome {
            Ok(response) => response,
            Err(err) if err.status() < 500 => err.into_response(&self.request_id),
            Err(err) => {
                let released = self.db()?.execute(
                    "delete from idempotency_keys where account_id = $1 and key = $2",
                    &[account.into(), key.into()],
                );
                if let Err(e) = released {
                    self.log(format_args!("could not release idempotency key: {e}"));
                }
                return Err(err);
            }
        };
        let body = String::from_utf8_lossy(response.body()).into_owned();
        self.db()?.execute(
            "update idempotency_keys set status = $3, response_body = $4 where account_id = $1 and key = $2",
            &[account.into(), key.into(), i32::from(*response.status()).into(), body.into()],
        )?;
        Ok(response)
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
