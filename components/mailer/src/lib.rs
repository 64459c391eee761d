//! The private mailer component: sends one mail of `mail_outbox` per call.
//!
//! Reachable only by service chaining (`http://mailer.spin.internal`, a
//! private route) with the internal token. It is the only component allowed
//! to open outbound TCP (to the SMTP relay) or reach the mail provider.
//!
//! The handler of `send_mail` jobs of the work queue (`farm_platform::work`):
//! `POST /work/send_mail` with the work envelope `{job_id, kind: "send_mail",
//! payload: {mail_id}, attempt, max_attempts, give_up, last_error}`, sent by
//! the tick route or, right after connect's response, by its fast path:
//! - 200 `{"mail_id", "status": "sent", "already_sent"}`: sent now, or
//!   earlier (idempotent: a sent row is never sent again, so a retry by the
//!   work queue after a crash between sending and answering is harmless
//!   except for that one window, where the mail may go out twice).
//! - A `give_up` call (the last attempt failed) records the failure on the
//!   row and answers 200: the job is then dead with its last error.
//! - 404 `mail_not_found`; 409 `mail_send_in_progress` (another sender holds
//!   the row's lease, `Retry-After`); 502 `mail_send_failed` (the transport
//!   refused; the error is kept in `last_error` and the row stays unsent).
//!
//! Settings (Spin variables): `mail_transport` (`smtp` or `http_api`),
//! `mail_from`; for SMTP `smtp_host` (an IP address: Spin checks outbound
//! sockets against `allowed_outbound_hosts` by IP and grants no name lookup)
//! and `smtp_port`; for the HTTPS API `mail_api_url` and `mail_api_key`;
//! `public_base_url` for the link in the mail; `internal_token`.

mod outbox;
mod transport;

use farm_domain::ids::IdKind;
use farm_platform::internal::require_internal;
use farm_platform::work::{self, Job, handlers::SEND_MAIL};
use farm_platform::{ApiError, Ctx, handle, response};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        require_internal(ctx)?;
        // A private component has no route of its own (Spin matches it as a
        // wildcard), so the path is matched here rather than by `dispatch`.
        match ctx.path().as_str() {
            "/work/send_mail" => send(ctx),
            path => Err(ApiError::route_not_found(path)),
        }
    })
}

#[derive(Debug, Deserialize)]
struct Payload {
    mail_id: String,
}

fn send(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, SEND_MAIL)?;
    let mail_id = job.payload.mail_id;
    if !IdKind::Mail.is_valid(&mail_id) {
        return Err(mail_not_found());
    }
    if job.give_up {
        let reason = job
            .last_error
            .unwrap_or_else(|| "every attempt failed".to_owned());
        outbox::mark_failed(ctx, &mail_id, &reason)?;
        return Ok(response::ok(
            &json!({"mail_id": mail_id, "status": "failed", "already_sent": false}),
        ));
    }
    let claimed = match outbox::claim(ctx, &mail_id)? {
        outbox::Claim::AlreadySent => {
            return Ok(response::ok(
                &json!({"mail_id": mail_id, "status": "sent", "already_sent": true}),
            ));
        }
        outbox::Claim::Missing => return Err(mail_not_found()),
        outbox::Claim::Busy => {
            return Err(ApiError::new(
                409,
                "mail_send_in_progress",
                "Another sender holds this mail; retry after its lease.",
            )
            .with_header("retry-after", outbox::LEASE_SECS.to_string()));
        }
        outbox::Claim::Claimed(row) => row,
    };
    let mail = outbox::render(ctx, &claimed)?;
    let transport = transport::from_settings(ctx)?;
    match transport.send(&mail) {
        Ok(()) => {
            outbox::mark_sent(ctx, &mail_id)?;
            ctx.log(format_args!(
                "mail={mail_id} kind={} sent via {}",
                claimed.kind,
                transport.name()
            ));
            Ok(response::ok(
                &json!({"mail_id": mail_id, "status": "sent", "already_sent": false}),
            ))
        }
        Err(e) => {
            outbox::mark_failed(ctx, &mail_id, &e)?;
            ctx.log(format_args!(
                "mail={mail_id} send via {} failed: {e}",
                transport.name()
            ));
            Err(ApiError::new(
                502,
                "mail_send_failed",
                "The mail transport refused the mail; it stays in the outbox for a retry.",
            )
            .with_detail("reason", e.to_string()))
        }
    }
}

fn mail_not_found() -> ApiError {
    ApiError::new(404, "mail_not_found", "No such mail in the outbox.")
}
