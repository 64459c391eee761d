//! The prompt suite (shared/designer/suite/prompts.json) through the API
//! (issue 14, Done-when): every prompt and every follow-up edit is posted to
//! `POST /v1/generations` on the local host and polled to the end. A prompt
//! counts when it reaches `completed` (so the print-ready gate passed: every
//! requirement held on the solid) with the suite's expected part program.
//! Prints the share and the median time to `completed`.

#[path = "generations_common.rs"]
mod common;

use common::*;
use farm_tests::repo_root;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(300);

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
    } else if spec["part"] != case["part"] {
        format!("part {} != expected {}", spec["part"], case["part"])
    } else if spec["requirements"] != case["requirements"] {
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
    let app = spawn_upload_app().await;
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
    assert_eq!(passed, outcomes.len(), "every suite prompt completes");
}
