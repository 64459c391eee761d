//! The `mail_outbox` rows: claiming one with a lease, rendering it, and
//! recording the outcome.

use crate::transport::OutgoingMail;
use farm_domain::verification::{VerificationKey, verification_mail};
use farm_platform::{ApiError, Ctx, col};

/// How long a claimed mail is held before another sender may take it over
/// (an SMTP dialogue or an API call takes seconds; Spin's hosted request
/// limit is 30 s).
pub const LEASE_SECS: i64 = 60;

/// A claimed row.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    pub kind: String,
    pub ref_id: String,
    pub to_address: String,
}

#[derive(Debug)]
pub enum Claim {
    Claimed(Row),
    AlreadySent,
    Busy,
    Missing,
}

/// Takes the row's lease unless it is sent or leased to another sender.
pub fn claim(ctx: &mut Ctx, mail_id: &str) -> Result<Claim, ApiError> {
    let db = ctx.db()?;
    let rows = db.query(
        "update mail_outbox set attempts = attempts + 1, \
                claimed_until = now() + $2::bigint * interval '1 second' \
         where id = $1 and sent_at is null and (claimed_until is null or claimed_until < now()) \
         returning kind, ref_id, to_address",
        &[mail_id.to_string().into(), LEASE_SECS.into()],
    )?;
    if let Some(r) = rows.rows.first() {
        return Ok(Claim::Claimed(Row {
            id: mail_id.to_string(),
            kind: col(r, 0)?,
            ref_id: col(r, 1)?,
            to_address: col(r, 2)?,
        }));
    }
    let state = db.query(
        "select sent_at is not null from mail_outbox where id = $1",
        &[mail_id.to_string().into()],
    )?;
    Ok(match state.rows.first() {
        None => Claim::Missing,
        Some(r) if col::<bool>(r, 0)? => Claim::AlreadySent,
        Some(_) => Claim::Busy,
    })
}

/// Writes the mail for a row. A `verification_code` mail carries the code
/// derived from its verification id (the code is stored nowhere).
pub fn render(ctx: &mut Ctx, row: &Row) -> Result<OutgoingMail, ApiError> {
    match row.kind.as_str() {
        "verification_code" => {
            let secret = ctx.var("internal_token")?;
            let code = VerificationKey::derive(secret.as_bytes()).code_for(&row.ref_id);
            let base = ctx.var("public_base_url")?;
            let link = format!(
                "{}/v1/connect/verify?email={}&code={}",
                base.trim_end_matches('/'),
                percent_encode(&row.to_address),
                code.expose()
            );
            let text = verification_mail(&code, &row.to_address, &link);
            Ok(OutgoingMail {
                id: row.id.clone(),
                to: row.to_address.clone(),
                subject: text.subject,
                text: text.text,
            })
        }
        "webhook_disabled" => {
            let rows = ctx.db()?.query(
                "select url, coalesce(disabled_reason, '') from webhook_endpoints where id = $1",
                &[row.ref_id.clone().into()],
            )?;
            let r = rows
                .rows
                .first()
                .ok_or_else(|| ApiError::internal("disabled endpoint missing"))?;
            let (url, reason): (String, String) = (col(r, 0)?, col(r, 1)?);
            let why = if reason == "gone" {
                "it answered 410 Gone, which asks us to stop sending"
            } else {
                "every delivery to it failed for 3 days"
            };
            Ok(OutgoingMail {
                id: row.id.clone(),
                to: row.to_address.clone(),
                subject: "Your webhook endpoint was disabled".to_owned(),
                text: format!(
                    "We disabled your webhook endpoint {id} ({url}) because {why}.\n\n\
                     Events are still recorded: list them with GET /v1/events and replay any of \
                     them with POST /v1/events/{{id}}/redeliver once the receiver works again. To \
                     receive new events, register the endpoint again with POST \
                     /v1/webhooks/endpoints.\n",
                    id = row.ref_id
                ),
            })
        }
        other => Err(ApiError::internal(format!("unknown mail kind {other:?}"))),
    }
}

pub fn mark_sent(ctx: &mut Ctx, mail_id: &str) -> Result<(), ApiError> {
    ctx.db()?.execute(
        "update mail_outbox set sent_at = coalesce(sent_at, now()), claimed_until = null, \
         last_error = null where id = $1",
        &[mail_id.to_string().into()],
    )?;
    Ok(())
}

/// Keeps the error and releases the lease, so the next attempt need not wait.
pub fn mark_failed(
    ctx: &mut Ctx,
    mail_id: &str,
    error: &dyn std::fmt::Display,
) -> Result<(), ApiError> {
    ctx.db()?.execute(
        "update mail_outbox set last_error = $2, claimed_until = null where id = $1 and sent_at is null",
        &[mail_id.to_string().into(), error.to_string().into()],
    )?;
    Ok(())
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
