//! The gateway's link to the app: the internal farm routes of
//! `components/farm`, over HTTPS (rustls) or plain HTTP to a local app,
//! authenticated with the site token (`Authorization: Bearer fst_...`). The
//! gateway holds no database credentials; this is its only way to the farm's
//! state.
//!
//! - [`AppLink::register_printers`]: `PUT /internal/farm/printers`.
//! - [`AppLink::claim`]: `POST /internal/farm/claims`, the next plate for
//!   one printer (the work the printer side asks for; [`crate::claims`]).
//! - [`AppLink::put_photo`]: `PUT /internal/farm/photos/{task_id}/{name}`,
//!   an inspection photo (PNG).
//! - [`AppLink::clear_printer`]: `POST /internal/farm/printers/{serial}/clear`,
//!   the plate is off the bed (the simulated farm's plate changer).
//! - [`AppLink::push_events`]: `POST /internal/farm/events`, a batch of
//!   spooled [`FarmEvent`]s; the answer says, per id, that it was applied (now
//!   or before) or rejected, and the spool forgets exactly those.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::claims::{ClaimAnswer, ClaimReason, ClaimedPart, ClaimedPlate, Loaded};
use crate::config::Secret;
use crate::roster::PrinterSpec;

/// Errors of one call to the app. Every one is retried by the caller.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the app is unreachable")]
    Unreachable(#[source] reqwest::Error),
    #[error("the app answered {status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the app's answer is not what the route documents")]
    BadAnswer(#[source] reqwest::Error),
}

/// What happened, as `farm_events.kind` names it (migration 0011).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FarmEventKind {
    /// First report, or first after being offline.
    Online,
    /// The printer's `gcode_state` changed.
    StateChanged,
    /// Progress crossed a multiple of `fleet::PROGRESS_STEP`.
    Progress,
    /// Silent for longer than `FARM_OFFLINE_AFTER_SECS`.
    Offline,
    /// The claimed task's print started on the printer (`PREPARE`/`RUNNING`).
    TaskStarted,
    TaskFinished,
    /// A print failure (the print itself failed: stop-class error).
    TaskFailed,
    /// Cancelled by the farm: recorded as such, never re-printed automatically.
    TaskCancelled,
    /// The printer refused or ignored the start: not a print failure; the
    /// task goes back to the queue and the printer is marked for attention.
    DispatchFailed,
    /// The printer needs a person (pause-class fault, certificate alarm).
    NeedsAttention,
    /// One task's inspection verdict, with its uploaded photos.
    Inspection,
    /// The finished plate is off the bed; the printer takes work again.
    PlateCleared,
}

impl From<crate::fleet::EventKind> for FarmEventKind {
    fn from(kind: crate::fleet::EventKind) -> Self {
        use crate::fleet::EventKind as K;
        match kind {
            K::Online => Self::Online,
            K::StateChanged => Self::StateChanged,
            K::Progress => Self::Progress,
            K::Offline => Self::Offline,
        }
    }
}

/// A printer's state after an event: the `printers` columns the app keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterState {
    /// `idle`, `printing`, `paused`, `error` or `offline` (`fleet::PrinterStatus`).
    pub status: String,
    /// Bambu's `gcode_state` word (`IDLE`, `RUNNING`, ...), if known.
    pub gcode_state: Option<String>,
    /// `mc_percent`, 0 to 100.
    pub progress: u8,
    /// `mc_remaining_time`, minutes.
    pub remaining_minutes: Option<u32>,
    pub current_file: Option<String>,
}

impl From<&crate::fleet::Snapshot> for PrinterState {
    fn from(s: &crate::fleet::Snapshot) -> Self {
        Self {
            status: s.status.as_str().to_owned(),
            gcode_state: s.gcode_state.map(|g| g.as_str().to_owned()),
            progress: s.progress,
            remaining_minutes: s.remaining_minutes,
            current_file: s.current_file.clone(),
        }
    }
}

/// One event as the gateway spools and sends it (the wire shape of
/// `POST /internal/farm/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FarmEvent {
    /// Generated at the site when the event is spooled (UUID v4); the app
    /// applies each id once.
    pub id: String,
    /// The printer's serial.
    pub printer: String,
    pub kind: FarmEventKind,
    /// RFC 3339 UTC, milliseconds.
    pub occurred_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PrinterState>,
    /// The print task (`print_tasks.id`) the event concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// The plate (`plate_<32 hex>`) the event concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Map<String, Value>>,
}

impl FarmEvent {
    /// A new event with a fresh id.
    pub fn new(printer: &str, kind: FarmEventKind, at: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            printer: printer.to_owned(),
            kind,
            occurred_at: at.to_rfc3339_opts(SecondsFormat::Millis, true),
            state: None,
            task_id: None,
            plate_id: None,
            detail: None,
        }
    }
}

/// The app's verdict on one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventResult {
    pub id: String,
    /// `applied`, `duplicate` (applied before) or `rejected`.
    pub outcome: String,
    pub reason: Option<String>,
}

/// The app's answer to a batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BatchAnswer {
    pub results: Vec<EventResult>,
    pub applied: u32,
    pub duplicate: u32,
    pub rejected: u32,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
}

/// A non-2xx answer as [`LinkError::Refused`] with the error shape's code.
async fn refused(response: reqwest::Response) -> Result<reqwest::Response, LinkError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(e) => (e.error, e.message),
        Err(_) => (String::new(), text.chars().take(300).collect()),
    };
    Err(LinkError::Refused {
        status: status.as_u16(),
        code,
        message,
    })
}

/// The HTTP client of the internal farm routes.
#[derive(Debug, Clone)]
pub struct AppLink {
    client: reqwest::Client,
    base: String,
    token: Secret,
}

impl AppLink {
    /// `app_url` without a path (`https://farm.example.com`,
    /// `http://127.0.0.1:3000`).
    pub fn new(app_url: &str, token: Secret) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(5))
            // A batch applies in one statement well inside hosted Spin's 30 s;
            // longer is a hung connection.
            .timeout(Duration::from_secs(40))
            .build()
            .unwrap_or_default();
        Self {
            client,
            base: app_url.trim_end_matches('/').to_owned(),
            token,
        }
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, LinkError> {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await
            .map_err(LinkError::Unreachable)?;
        refused(response)
            .await?
            .json()
            .await
            .map_err(LinkError::BadAnswer)
    }

    /// Registers the site's configured printers (409 `printer_taken` when
    /// another site has one of them).
    pub async fn register_printers(&self, printers: &[PrinterSpec]) -> Result<(), LinkError> {
        let list: Vec<Value> = printers
            .iter()
            .map(|p| serde_json::json!({ "serial": p.serial, "model": p.model }))
            .collect();
        let _: Value = self
            .call(
                reqwest::Method::PUT,
                "/internal/farm/printers",
                &serde_json::json!({ "printers": list }),
            )
            .await?;
        Ok(())
    }

    /// Asks for the next plate for `serial`, telling the app what the
    /// printer has loaded (`loaded`: empty = the app uses its own record).
    pub async fn claim(&self, serial: &str, loaded: &[Loaded]) -> Result<ClaimAnswer, LinkError> {
        let mut body = serde_json::json!({ "printer": serial });
        if !loaded.is_empty() {
            body["loaded"] = serde_json::to_value(loaded).unwrap_or_default();
        }
        self.call(reqwest::Method::POST, "/internal/farm/claims", &body)
            .await
    }

    /// Uploads one inspection photo of `task_id` (PNG bytes, `name` such as
    /// `iso.png`). Idempotent: the same name again replaces nothing new.
    pub async fn put_photo(&self, task_id: i64, name: &str, png: &[u8]) -> Result<(), LinkError> {
        let response = self
            .client
            .put(format!(
                "{}/internal/farm/photos/{task_id}/{name}",
                self.base
            ))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "image/png")
            .body(png.to_vec())
            .send()
            .await
            .map_err(LinkError::Unreachable)?;
        refused(response).await.map(drop)
    }

    /// Tells the app the finished plate is off `serial`'s bed. 409
    /// `not_awaiting_clear` comes back as [`LinkError::Refused`].
    pub async fn clear_printer(&self, serial: &str) -> Result<(), LinkError> {
        let _: Value = self
            .call(
                reqwest::Method::POST,
                &format!("/internal/farm/printers/{serial}/clear"),
                &serde_json::json!({}),
            )
            .await?;
        Ok(())
    }

    /// Sends one batch of events, in order.
    pub async fn push_events(&self, events: &[FarmEvent]) -> Result<BatchAnswer, LinkError> {
        self.call(
            reqwest::Method::POST,
            "/internal/farm/events",
            &serde_json::json!({ "events": events }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// An `https://` app URL is spoken to in TLS (rustls is compiled in):
    /// the first bytes on the wire are a TLS handshake record (content type
    /// 22, version 3.x, RFC 8446 §5.1), not an HTTP request line.
    #[tokio::test]
    async fn an_https_app_url_gets_a_tls_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut head = [0u8; 3];
            socket.read_exact(&mut head).await.expect("read");
            head
        });
        let link = AppLink::new(&format!("https://127.0.0.1:{port}"), Secret::new("fst_x"));
        let call = tokio::spawn(async move { link.claim("01PA", &[]).await });
        let head = server.await.expect("server");
        assert_eq!(head[..2], [0x16, 0x03], "{head:?}");
        // The server hung up mid-handshake: the call fails as unreachable.
        assert!(matches!(
            call.await.expect("call"),
            Err(LinkError::Unreachable(_))
        ));
    }

    #[test]
    fn events_serialize_to_the_routes_wire_shape() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T04:00:00.123Z")
            .expect("time")
            .with_timezone(&Utc);
        let mut event = FarmEvent::new("01PA", FarmEventKind::DispatchFailed, at);
        event.task_id = Some(7);
        let json = serde_json::to_value(&event).expect("json");
        assert_eq!(json["kind"], "dispatch_failed");
        assert_eq!(json["occurred_at"], "2026-11-30T04:00:00.123Z");
        assert_eq!(json["task_id"], 7);
        assert!(json.get("state").is_none() && json.get("detail").is_none());
        assert_eq!(
            serde_json::from_value::<FarmEvent>(json).expect("back"),
            event
        );
    }
}
