//! The prompt suite (shared/designer/suite/prompts.json) through the API
//! (issue 14, Done-when): every prompt and every follow-up edit is posted to
//! `POST /v1/generations` on the local host and polled to the end. A prompt
//! counts when it reaches `completed` (so the print-ready gate passed: every
//! requirement held on the solid) with the suite's expected part program.
//! Prints the share and the median time to `completed`.

#[path = "generations_common.rs"]
mod common;

use common::*;
use farm_partspec::{Part, Requirement};
use farm_tests::repo_root;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(300);

/// The typed form (absent fields take their defaults, as the suite omits
/// them); `None` when the JSON is not a valid value of `T`.
fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
    serde_json::from_value(v.clone()).ok()
}

/// The JSON of the typed value (defaults filled in), or `Null` if invalid.
fn normal<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Value {
    typed::<T>(v).map_or(Value::Null, |t| serde_json::to_value(t).expect("JSON"))
}

/// Equal JSON, numbers within 1e-9 mm (inch prompts: 1.5 in is
/// 38.099999999999994 mm in f64, written 38.1 in the suite).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Requirements as a set (their order carries no meaning), sorted by their
/// JSON with numbers rounded to micrometres.
fn requirement_set(v: &Value) -> Value {
    let Some(list) = typed::<Vec<Requirement>>(v) else {
        return Value::Null;
    };
    fn rounded(v: &Value) -> Value {
        match v {
            Value::Number(n) => json!((n.as_f64().unwrap_or(0.0) * 1000.0).round() / 1000.0),
            Value::Array(a) => Value::Array(a.iter().map(rounded).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), rounded(v))).collect())
            }
            other => other.clone(),
        }
    }
    let mut set: Vec<Value> = list
        .iter()
        .map(|r| serde_json::to_value(r).expect("JSON"))
        .collect();
    set.sort_by_key(|r| rounded(r).to_string());
    Value::Array(set)
}

struct Outcome {
    id: String,
    ok: bool,
    elapsed: Duration,
    why: String,
}

async fn run_one(
    app: &farm_tests::TestApp,
    key: &str,
    case: &Value,
    conversation: Option<&str>,
) -> Outcome {
    let mut body = json!({"prompt": case["prompt"]});
    if let Some(c) = conversation {
        body["conversation_id"] = json!(c);
    }
    let t0 = Instant::now();
    let (status, started) = start(app, key, &body).await;
    let name = case["id"].as_str().unwrap_or("?").to_owned();
    if status != 202 {
        return Outcome {
            id: name,
            ok: false,
            elapsed: t0.elapsed(),
            why: format!("{status} {started}"),
        };
    }
    let id = started["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(app, key, &id, WAIT).await;
    let elapsed = t0.elapsed();
    let spec = &done["result"]["part_spec"];
    let why = if done["status"] != "completed" {
        format!("{}: {}", done["error"]["code"], done["error"]["message"])
    } else if !same(
        &normal::<Part>(&spec["part"]),
        &normal::<Part>(&case["part"]),
    ) {
        format!("part {} != expected {}", spec["part"], case["part"])
    } else if !same(
        &requirement_set(&spec["requirements"]),
        &requirement_set(&case["requirements"]),
    ) {
        format!(
            "requirements {} != expected {}",
            spec["requirements"], case["requirements"]
        )
    } else {
        String::new()
    };
    Outcome {
        id: name,
        ok: why.is_empty(),
        elapsed,
        why,
    }
}

#[tokio::test]
async fn the_prompt_suite_through_the_api() {
    let suite: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("shared/designer/suite/prompts.json"))
            .expect("suite"),
    )
    .expect("suite JSON");
    let prompts = suite["prompts"].as_array().expect("prompts");
    let follow_ups = suite["follow_ups"].as_array().expect("follow_ups");
    // The suite polls fast; the per-minute limit is not what it measures.
    let app = spawn_upload_app_with(&[
        ("rate_limit_per_minute", "100000"),
        ("rate_limit_per_day", "100000000"),
    ])
    .await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    set_credits(&app, &account, 1000).await;
    let mut outcomes = Vec::new();
    for case in prompts {
        outcomes.push(run_one(&app, &key, case, None).await);
    }
    // Each follow-up in a conversation of its own, after the turns it edits.
    let by_id = |id: &str| {
        prompts
            .iter()
            .chain(follow_ups)
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("suite case {id}"))
            .clone()
    };
    let mut edits_key = key.clone();
    for (n, edit) in follow_ups.iter().enumerate() {
        if n == 0 {
            // A second key: the per-key limit is 100 generations a month.
            edits_key = account_key(&app, &account, "test", &GEN_SCOPES).await;
        }
        let mut chain = vec![edit.clone()];
        while let Some(after) = chain[0]["after"].as_str() {
            chain.insert(0, by_id(after));
        }
        let (status, conversation) = post(&app, &edits_key, "/v1/conversations", &json!({})).await;
        assert_eq!(status, 201, "{conversation}");
        let conv = conversation["id"].as_str().expect("id").to_owned();
        let last = chain.len() - 1;
        for (i, turn) in chain.iter().enumerate() {
            let outcome = run_one(&app, &edits_key, turn, Some(&conv)).await;
            if i == last {
                outcomes.push(outcome);
            } else if !outcome.ok {
                panic!(
                    "setup turn {} of {} failed: {}",
                    outcome.id, edit["id"], outcome.why
                );
            }
        }
    }
    let passed = outcomes.iter().filter(|o| o.ok).count();
    let mut times: Vec<Duration> = outcomes
        .iter()
        .filter(|o| o.ok)
        .map(|o| o.elapsed)
        .collect();
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    for o in outcomes.iter().filter(|o| !o.ok) {
        eprintln!("FAILED {}: {}", o.id, o.why);
    }
    println!(
        "prompt suite through the API: {passed}/{} completed with the expected program ({:.1} %), \
         {} prompts + {} follow-ups; median time to completed {:.0} ms (local host)",
        outcomes.len(),
        100.0 * passed as f64 / outcomes.len() as f64,
        prompts.len(),
        follow_ups.len(),
        median.as_secs_f64() * 1000.0
    );
    // Every prompt completes (the adhesive clip once failed the gate's
    // thin-wall check at its slot; farm-cad now cuts the ring's ends along
    // radii, and its suite test sweeps clips for thin spots).
    const KNOWN_GATE_FAILURES: [&str; 0] = [];
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        failed, KNOWN_GATE_FAILURES,
        "suite prompts that do not complete"
    );
}
