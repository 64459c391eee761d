//! The LLM designer (issue 14, item 3) against a local server speaking the
//! OpenAI chat-completions wire format with tool calls, through the real
//! generations component: a valid tool call is the part; an invalid one
//! gets one repair turn carrying its errors, then the valid answer is the
//! part; garbage falls back to the offline designer. Off by default.

#[path = "generations_common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(180);
const TOOL: &str = "submit_part_spec";

/// A chat-completions stand-in: answers each `POST /v1/chat/completions`
/// with the next scripted body (status 200) and keeps every request body.
#[derive(Clone)]
struct ChatServer {
    origin: String,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    script: Arc<Mutex<VecDeque<String>>>,
}

impl ChatServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = ChatServer {
            origin: format!("http://{}", listener.local_addr().expect("addr")),
            requests: Arc::default(),
            script: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.serve(&mut socket).await });
            }
        });
        server
    }

    fn push(&self, body: String) {
        self.script.lock().expect("lock").push_back(body);
    }

    fn requests(&self) -> Vec<(String, Value)> {
        self.requests.lock().expect("lock").clone()
    }

    async fn serve(&self, socket: &mut tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            let Ok(n) = socket.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let Ok(n) = socket.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body: Value = serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
        let start = head.lines().next().unwrap_or_default().to_owned();
        let auth = head
            .lines()
            .find_map(|l| l.strip_prefix("authorization:"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        self.requests
            .lock()
            .expect("lock")
            .push((format!("{start} | {auth}"), body));
        let reply = self
            .script
            .lock()
            .expect("lock")
            .pop_front()
            .unwrap_or_else(|| "{}".into());
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
    }
}

/// A chat completion whose message calls the tool with `program`.
fn tool_answer(program: &Value) -> String {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": TOOL, "arguments": program.to_string()}}]}}]
    })
    .to_string()
}

/// A 70 × 45 × 6 mm plate with four M4 holes on a 56 × 31 mm grid, written
/// by hand from the schema (not by our designer).
fn program(thickness: f64) -> Value {
    json!({
        "version": 1,
        "part": {"family": "plate", "length_mm": 70.0, "width_mm": 45.0, "thickness_mm": thickness,
            "corners": {"kind": "fillet", "radius_mm": 3.0},
            "holes": [{"hole": {"diameter_mm": 4.5},
                "layout": {"layout": "grid", "rows": 2, "columns": 2,
                    "pitch_u_mm": 56.0, "pitch_v_mm": 31.0, "center": [0.0, 0.0]}}]},
        "assumptions": [],
        "requirements": [{"kind": "hole_count", "count": 4}]
    })
}

#[tokio::test]
async fn the_llm_designer_answers_repairs_once_and_falls_back_to_offline() {
    let chat = ChatServer::start().await;
    let base = format!("{}/v1", chat.origin);
    let app = spawn_upload_app_with(&[
        ("llm_base_url", base.as_str()),
        ("llm_model", "test-model"),
        ("llm_api_key", "sk-test-123"),
        ("llm_allowed_host", chat.origin.as_str()),
    ])
    .await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    set_credits(&app, &account, 10).await;

    // 1. A valid tool call is the part, even for a prompt the offline
    // designer cannot read.
    chat.push(tool_answer(&program(6.0)));
    let prompt = "the shelf plate we talked about, with four bolt holes";
    let (status, started) = start(&app, &key, &json!({"prompt": prompt, "designer": "llm"})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(&app, &key, &id, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["designer"], "llm", "{done}");
    assert_eq!(
        done["result"]["dimensions_mm"],
        json!({"x": 70.0, "y": 45.0, "z": 6.0}),
        "{done}"
    );
    let seen = chat.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].0.starts_with("post /v1/chat/completions"),
        "{}",
        seen[0].0
    );
    assert_eq!(seen[0].0.split(" | ").nth(1), Some("bearer sk-test-123"));
    let body = &seen[0].1;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["tool_choice"]["function"]["name"], TOOL);
    assert_eq!(body["tools"][0]["function"]["name"], TOOL);
    assert!(
        body["tools"][0]["function"]["parameters"]["$defs"].is_object(),
        "the tool's parameters are the part program's schema"
    );
    assert_eq!(body["messages"][1]["content"], prompt);

    // 2. Too thin (0.8 mm < 1.2 mm walls): one repair turn carrying the
    // error, then the corrected program is the part.
    chat.push(tool_answer(&program(0.8)));
    chat.push(tool_answer(&program(5.0)));
    let (status, started) = start(&app, &key, &json!({"prompt": prompt, "designer": "llm"})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(&app, &key, &id, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["designer"], "llm");
    assert_eq!(done["result"]["dimensions_mm"]["z"], 5.0, "{done}");
    let seen = chat.requests();
    assert_eq!(seen.len(), 3, "one first answer and one repair");
    let repair = seen[2].1["messages"].as_array().expect("messages");
    assert_eq!(repair.len(), 4, "system, user, the call, its errors");
    assert_eq!(repair[2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(repair[3]["role"], "tool");
    assert_eq!(repair[3]["tool_call_id"], "call_1");
    assert!(
        repair[3]["content"]
            .as_str()
            .is_some_and(|c| c.contains("part.thickness_mm")),
        "{}",
        repair[3]
    );

    // 3. Garbage: the offline designer makes the part instead.
    chat.push("<html>502 bad gateway</html>".into());
    let offline_prompt = "a 40 x 20 x 3 mm plate";
    let (status, started) = start(
        &app,
        &key,
        &json!({"prompt": offline_prompt, "designer": "llm"}),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(&app, &key, &id, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["designer"], "offline", "fell back: {done}");
    assert_eq!(
        done["result"]["dimensions_mm"],
        json!({"x": 40.0, "y": 20.0, "z": 3.0})
    );
    assert_eq!(chat.requests().len(), 4, "garbage gets no repair turn");
}

#[tokio::test]
async fn the_llm_designer_is_off_by_default() {
    let app = spawn_upload_app().await;
    let (key, _) = gen_account(&app, &GEN_SCOPES).await;
    let (status, body) = start(
        &app,
        &key,
        &json!({"prompt": "a 40 x 20 x 3 mm plate", "designer": "llm"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body.to_string().contains("designer"), "{body}");
    let (_, credits) = get(&app, &key, "/v1/credits").await;
    assert_eq!(credits["balance"], 2, "a refused request is not charged");
}
