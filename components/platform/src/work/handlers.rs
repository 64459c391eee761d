//! Which component runs each kind of job: the one table to extend when a new
//! kind of background work appears (one line here, plus the component's host
//! in the `allowed_outbound_hosts` of `tick` in `spin.toml`, and of any
//! component that starts the kind at once after its response).

/// `(kind, handler URL)`. The URL is a private route of the component that
/// owns the work, reached by Spin service chaining
/// (`http://<component>.spin.internal/...`).
pub const HANDLERS: &[(&str, &str)] = &[
    // components/analyze: parse and measure an uploaded mesh; the file becomes
    // `ready` or `failed`. Payload `{"file_id": "file_..."}`.
    (
        ANALYZE_FILE,
        "http://analyze.spin.internal/work/analyze_file",
    ),
    // components/mailer: send one row of `mail_outbox` (a verification code
    // today). Payload `{"mail_id": "mail_..."}`.
    (SEND_MAIL, "http://mailer.spin.internal/work/send_mail"),
    // components/orders: apply a verified provider webhook to its order
    // (pay and queue exactly once, cancel, refund). Payload in PAYMENTS_API:
    // `{"provider_event_id", "type", "order_id", "payment_intent",
    // "checkout_session", "amount_cents", "currency"}`.
    (
        APPLY_PAYMENT_EVENT,
        "http://orders.spin.internal/work/apply_payment_event",
    ),
    // components/webhook-sender: one attempt of one webhook delivery; the
    // next attempt is a new job on farm-webhooks' schedule. Payload
    // `{"delivery_id": "whdel_...", "attempt": n}`.
    (
        DELIVER_WEBHOOK,
        "http://webhook-sender.spin.internal/work/deliver_webhook",
    ),
    // components/generations: design, build, gate and export one part; the
    // generation becomes `completed` (a `ready` file) or `failed` (refunded).
    // Payload `{"generation_id": "gen_..."}`.
    (
        GENERATE_PART,
        "http://generations.spin.internal/work/generate_part",
    ),
    // components/farm: the order rules after farm events (re-print or flag,
    // in production, inspections, ship, deliver, energy). Payload
    // `{"order_id": "ord_..."}`.
    (
        ADVANCE_ORDER,
        "http://farm.spin.internal/work/advance_order",
    ),
];

/// Kind of the order worker that farm events queue (issue 12).
pub const ADVANCE_ORDER: &str = "advance_order";

/// Kind of one webhook delivery attempt, queued by `events::record`.
pub const DELIVER_WEBHOOK: &str = "deliver_webhook";

/// Kind of the mesh analysis that confirm queues.
pub const ANALYZE_FILE: &str = "analyze_file";

/// Kind of an outgoing mail that connect queues with the code it carries.
pub const SEND_MAIL: &str = "send_mail";

/// Kind of a provider payment event the payments webhook queues for orders.
pub const APPLY_PAYMENT_EVENT: &str = "apply_payment_event";
/// Kind of a part generation that `POST /v1/generations` queues (issue 14).
pub const GENERATE_PART: &str = "generate_part";

/// The handler URL of `kind`, if any component handles it.
pub fn handler_url(kind: &str) -> Option<&'static str> {
    HANDLERS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, url)| *url)
}
