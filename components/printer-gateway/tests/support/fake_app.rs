//! A small stand-in for the app's side of the plate contract
//! (/work's PLATE_CONTRACT.md §1–§4), on loopback: claims with leases,
//! events applied once per id (with the contract's state effects), photo
//! uploads, the clear route, and a presigned-URL stand-in serving meshes.
//! It records everything, so tests assert what the gateway sent.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

/// One part the test queues: a mesh served by the app, where it goes.
#[derive(Debug, Clone)]
pub struct PartSpec {
    pub mesh: String,
    pub center_mm: [f64; 2],
    pub rotation_deg: f64,
}

#[derive(Debug, Default)]
struct Row {
    /// `idle`, `awaiting_clear` or `needs_attention`.
    status: String,
    lease: Option<(Value, bool)>,
}

#[derive(Default)]
pub struct AppState {
    token: String,
    base: String,
    meshes: HashMap<String, Vec<u8>>,
    queue: VecDeque<Vec<PartSpec>>,
    rows: HashMap<String, Row>,
    seen: HashSet<String>,
    next_task: i64,
    next_plate: u64,
    /// Applied events (each id once), in arrival order.
    pub events: Vec<Value>,
    /// Events whose id was applied before.
    pub duplicates: usize,
    /// (printer, request body, reason answered).
    pub claims: Vec<(String, Value, String)>,
    /// (task id, name) → PNG bytes.
    pub photos: HashMap<(i64, String), Vec<u8>>,
    /// Printers cleared through the route, in order.
    pub clears: Vec<String>,
    /// Plates handed out, by id.
    pub plates: HashMap<String, Value>,
    /// Applied event kinds and `clear` calls, in order.
    pub timeline: Vec<String>,
    /// Called when a plate is leased (a test acts on the printer then).
    on_lease: Option<Box<dyn FnMut() + Send>>,
}

type Shared = Arc<Mutex<AppState>>;

pub struct FakeApp {
    pub url: String,
    pub token: String,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(json!({"error": code, "message": code}))).into_response()
}

fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", state.token))
}

impl FakeApp {
    pub async fn start() -> Self {
        let token = format!("fst_{}", printer_gateway::testing::unique_tag());
        let state: Shared = Arc::new(Mutex::new(AppState {
            token: token.clone(),
            next_task: 100,
            ..AppState::default()
        }));
        let router = Router::new()
            .route("/internal/farm/printers", put(register))
            .route("/internal/farm/claims", post(claim))
            .route("/internal/farm/events", post(events))
            .route("/internal/farm/photos/:task/:name", put(photo))
            .route("/internal/farm/printers/:serial/clear", post(clear))
            .route("/meshes/:name", get(mesh))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        state.lock().expect("state").base = url.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            url,
            token,
            state,
            task,
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, AppState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn serve_mesh(&self, name: &str, bytes: Vec<u8>) {
        self.state().meshes.insert(name.to_owned(), bytes);
    }

    /// Queues a plate of `parts` for the next printer that claims.
    pub fn queue_plate(&self, parts: Vec<PartSpec>) {
        self.state().queue.push_back(parts);
    }

    /// The applied events of `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.state()
            .events
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect()
    }

    /// Runs `hook` whenever a plate is leased.
    pub fn on_lease(&self, hook: impl FnMut() + Send + 'static) {
        self.state().on_lease = Some(Box::new(hook));
    }

    /// Plates waiting in the queue.
    pub fn queued(&self) -> usize {
        self.state().queue.len()
    }

    /// Sets the printer's status as the app sees it (e.g. `awaiting_clear`
    /// for a plate that finished before the gateway started).
    pub fn set_status(&self, serial: &str, status: &str) {
        self.state()
            .rows
            .entry(serial.to_owned())
            .or_default()
            .status = status.to_owned();
    }

    /// A plate printing on `serial` as far as the app knows (dispatched
    /// before the gateway started: it has no record of it).
    pub fn printing_from_before(&self, serial: &str, plate_id: &str) {
        let plate = json!({"id": plate_id, "printer": serial, "parts": []});
        self.state()
            .rows
            .entry(serial.to_owned())
            .or_default()
            .lease = Some((plate, true));
    }

    /// The printer's status as the app sees it.
    pub fn status(&self, serial: &str) -> String {
        self.state()
            .rows
            .get(serial)
            .map(|r| r.status.clone())
            .unwrap_or_default()
    }
}

async fn register(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let s = state.lock().expect("state");
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    axum::Json(json!({"printers": []})).into_response()
}

async fn claim(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut s = state.lock().expect("state");
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let serial = body["printer"].as_str().unwrap_or_default().to_owned();
    let s = &mut *s;
    let base = s.base.clone();
    let row = s.rows.entry(serial.clone()).or_insert_with(|| Row {
        status: "idle".into(),
        lease: None,
    });
    let (reason, plate) = match (&row.status[..], &row.lease) {
        ("needs_attention", _) => ("needs_attention", Value::Null),
        ("awaiting_clear", _) => ("awaiting_clear", Value::Null),
        (_, Some((plate, true))) => {
            let printing = plate["id"].clone();
            s.claims.push((serial, body, "busy".to_owned()));
            return axum::Json(
                json!({"reason": "busy", "plate": null, "printing_plate_id": printing}),
            )
            .into_response();
        }
        (_, Some((plate, false))) => ("claimed", plate.clone()),
        _ => match s.queue.pop_front() {
            None => ("queue_empty", Value::Null),
            Some(parts) => {
                s.next_plate += 1;
                let id = format!("plate_{:032x}", s.next_plate * 0x1_0000_0001);
                let parts: Vec<Value> = parts
                    .iter()
                    .map(|p| {
                        s.next_task += 1;
                        json!({
                            "task_id": s.next_task, "job_id": "job_1", "file_id": format!("file_{}", p.mesh),
                            "mesh_url": format!("{base}/meshes/{}", p.mesh),
                            "format": "stl", "unit": "mm", "center_mm": p.center_mm,
                            "rotation_deg": p.rotation_deg, "estimated_hours": 0.5, "attempt": 1,
                        })
                    })
                    .collect();
                let plate = json!({"id": id, "printer": serial, "material": "pla", "color": "black",
                    "lease_expires_at": "2099-01-01T00:00:00Z", "parts": parts});
                s.plates.insert(id, plate.clone());
                row.lease = Some((plate.clone(), false));
                if let Some(hook) = s.on_lease.as_mut() {
                    hook();
                }
                ("claimed", plate)
            }
        },
    };
    s.claims.push((serial, body, reason.to_owned()));
    axum::Json(json!({"reason": reason, "plate": plate})).into_response()
}

async fn events(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut s = state.lock().expect("state");
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut results = Vec::new();
    let (mut applied, mut duplicate) = (0, 0);
    for event in body["events"].as_array().cloned().unwrap_or_default() {
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        assert!((1..=64).contains(&id.len()), "event id {id:?}");
        if !s.seen.insert(id.clone()) {
            s.duplicates += 1;
            duplicate += 1;
            results.push(json!({"id": id, "outcome": "duplicate", "reason": null}));
            continue;
        }
        let serial = event["printer"].as_str().unwrap_or_default().to_owned();
        let row = s.rows.entry(serial).or_default();
        match event["kind"].as_str().unwrap_or_default() {
            "task_started" => {
                if let Some(lease) = row.lease.as_mut() {
                    lease.1 = true;
                }
            }
            "task_finished" => {
                row.lease = None;
                row.status = "awaiting_clear".into();
            }
            "task_failed" | "task_cancelled" => row.lease = None,
            "needs_attention" => {
                row.status = "needs_attention".into();
                // Naming the printing plate: lost, a failed print (the app
                // re-queues its tasks; this stand-in just drops the plate).
                let lost = event["plate_id"].as_str();
                if lost.is_some() && row.lease.as_ref().map(|l| l.0["id"].as_str()) == Some(lost) {
                    row.lease = None;
                }
            }
            "dispatch_failed" => {
                row.status = "needs_attention".into();
                if let Some((plate, _)) = row.lease.take() {
                    // The tasks go back to the queue (a new plate next time).
                    let parts = plate["parts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| PartSpec {
                            mesh: p["mesh_url"]
                                .as_str()
                                .unwrap_or_default()
                                .rsplit('/')
                                .next()
                                .unwrap_or_default()
                                .to_owned(),
                            center_mm: [
                                p["center_mm"][0].as_f64().unwrap_or_default(),
                                p["center_mm"][1].as_f64().unwrap_or_default(),
                            ],
                            rotation_deg: p["rotation_deg"].as_f64().unwrap_or_default(),
                        })
                        .collect();
                    s.queue.push_front(parts);
                }
            }
            _ => {}
        }
        applied += 1;
        s.timeline
            .push(event["kind"].as_str().unwrap_or_default().to_owned());
        s.events.push(event);
        results.push(json!({"id": id, "outcome": "applied", "reason": null}));
    }
    axum::Json(
        json!({"results": results, "applied": applied, "duplicate": duplicate, "rejected": 0}),
    )
    .into_response()
}

async fn photo(
    State(state): State<Shared>,
    Path((task, name)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = state.lock().expect("state");
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let valid_name = name.strip_suffix(".png").is_some_and(|n| {
        (1..=32).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    });
    let png = headers
        .get("content-type")
        .is_some_and(|v| v == "image/png")
        && body.starts_with(b"\x89PNG\r\n\x1a\n")
        && body.len() <= 2 << 20;
    if !valid_name || !png {
        return error(StatusCode::BAD_REQUEST, "invalid_photo");
    }
    let known = s.plates.values().any(|p| {
        p["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|part| part["task_id"] == task)
    });
    if !known {
        return error(StatusCode::NOT_FOUND, "task_not_found");
    }
    s.photos.insert((task, name.clone()), body.to_vec());
    (StatusCode::CREATED, axum::Json(json!({"photo": name}))).into_response()
}

async fn clear(
    State(state): State<Shared>,
    Path(serial): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut s = state.lock().expect("state");
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let row = s.rows.entry(serial.clone()).or_default();
    if row.status != "awaiting_clear" {
        return error(StatusCode::CONFLICT, "not_awaiting_clear");
    }
    row.status = "idle".into();
    s.clears.push(serial.clone());
    s.timeline.push("clear".to_owned());
    axum::Json(json!({"printer": serial, "status": "idle"})).into_response()
}

async fn mesh(State(state): State<Shared>, Path(name): Path<String>) -> Response {
    let s = state.lock().expect("state");
    match s.meshes.get(&name) {
        Some(bytes) => bytes.clone().into_response(),
        None => error(StatusCode::NOT_FOUND, "no_such_key"),
    }
}
