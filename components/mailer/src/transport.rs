//! The one mail-sending trait and its two implementations, chosen by the
//! Spin variable `mail_transport`:
//!
//! - `smtp` (default): the message formatted by `lettre`, handed over with
//!   `farm-smtp` (RFC 5321) on a `std::net::TcpStream`, which on
//!   `wasm32-wasip2` is `wasi:sockets`; Spin allows the connection when
//!   `allowed_outbound_hosts` lists `tcp://<ip>:<port>`. No STARTTLS: the
//!   relay is on loopback or a private network (a relay across the internet
//!   is reached through `http_api` instead).
//! - `http_api`: a provider's HTTPS API. The request is Resend's
//!   `POST /emails` (`Authorization: Bearer <key>`, JSON `from`, `to`,
//!   `subject`, `text`, plus `Idempotency-Key: <mail id>`, which Resend
//!   honours for 24 hours): the smallest of the well-known provider APIs,
//!   so a relay or another provider behind a thin adapter fits it as well.
//!   Hosted Spin platforms allow outbound HTTPS but not always raw TCP.

use farm_platform::{ApiError, Ctx};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// One mail, ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The outbox id; becomes the Message-ID / Idempotency-Key so a resend
    /// can be recognised downstream.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Why a transport did not take a mail.
#[derive(Debug)]
pub struct TransportError(String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sends mails. Implementations block until the relay or provider has
/// accepted the mail (or refused it).
pub trait MailTransport {
    fn name(&self) -> &'static str;
    fn send(&self, mail: &OutgoingMail) -> Result<(), TransportError>;
}

/// The transport the variables choose.
pub fn from_settings(ctx: &Ctx) -> Result<Box<dyn MailTransport>, ApiError> {
    let from = ctx.var("mail_from")?;
    let from: Mailbox = from
        .parse()
        .map_err(|e| ApiError::internal(format!("mail_from {from:?}: {e}")))?;
    match ctx.var("mail_transport")?.trim() {
        "smtp" => {
            let port = ctx.var("smtp_port")?;
            Ok(Box::new(Smtp {
                host: ctx.var("smtp_host")?.trim().to_string(),
                port: port
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::internal(format!("smtp_port {port:?}")))?,
                from,
            }))
        }
        "http_api" => Ok(Box::new(HttpApi {
            url: ctx.var("mail_api_url")?,
            key: ctx.var("mail_api_key")?,
            from,
        })),
        other => Err(ApiError::internal(format!(
            "mail_transport {other:?}: expected smtp or http_api"
        ))),
    }
}

struct Smtp {
    host: String,
    port: u16,
    from: Mailbox,
}

/// Seconds an SMTP dialogue step may take.
const SMTP_TIMEOUT_SECS: u64 = 10;

impl MailTransport for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send(&self, mail: &OutgoingMail) -> Result<(), TransportError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| TransportError(format!("recipient {:?}: {e}", mail.to)))?;
        let domain = self.from.email.domain().to_string();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<{}@{domain}>", mail.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| TransportError(format!("message: {e}")))?;
        let ip: IpAddr = self.host.parse().map_err(|_| {
            TransportError(format!(
                "smtp_host {:?} must be an IP address (Spin grants sockets by IP, without DNS)",
                self.host
            ))
        })?;
        let timeout = Duration::from_secs(SMTP_TIMEOUT_SECS);
        let relay = SocketAddr::new(ip, self.port);
        let stream = TcpStream::connect_timeout(&relay, timeout)
            .and_then(|s| {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))?;
                Ok(s)
            })
            .map_err(|e| TransportError(format!("smtp {relay}: connect: {e}")))?;
        let from = self.from.email.to_string();
        farm_smtp::send(
            stream,
            &domain,
            &from,
            &[mail.to.as_str()],
            &message.formatted(),
        )
        .map_err(|e| TransportError(format!("smtp {relay}: {e}")))
    }
}

struct HttpApi {
    url: String,
    key: String,
    from: Mailbox,
}

impl MailTransport for HttpApi {
    fn name(&self) -> &'static str {
        "http_api"
    }

    fn send(&self, mail: &OutgoingMail) -> Result<(), TransportError> {
        use spin_sdk::http::{Method, Request, Response};
        let body = serde_json::json!({
            "from": self.from.to_string(),
            "to": [mail.to],
            "subject": mail.subject,
            "text": mail.text,
        });
        let request = Request::builder()
            .method(Method::Post)
            .uri(self.url.as_str())
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.key))
            .header("idempotency-key", mail.id.as_str())
            .body(body.to_string())
            .build();
        let response: Response =
            spin_sdk::http::run(async move { spin_sdk::http::send(request).await })
                .map_err(|e| TransportError(format!("mail API: {e}")))?;
        match *response.status() {
            200..=299 => Ok(()),
            status => Err(TransportError(format!(
                "mail API answered {status}: {}",
                String::from_utf8_lossy(response.body())
                    .chars()
                    .take(300)
                    .collect::<String>()
            ))),
        }
    }
}
