//! The prompt suite: every prompt of `suite/prompts.json` (every family) and
//! every follow-up edit must give exactly the expected part program (part,
//! requirements, material), valid by the printer's rules and meeting its own
//! requirements; the refusals must be refused with `unsupported_prompt`.
//! Prints the share of prompts that parse to the expected program.

use farm_designer::{DesignError, design, revise};
use farm_partspec::{Part, PartSpec, Requirement};
use serde_json::Value;
use std::collections::HashMap;

const SUITE: &str = include_str!("../suite/prompts.json");

/// Equal JSON trees, numbers within 1e-6.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(f64::NAN)).abs() < 1e-6
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn requirements_match(actual: &[Requirement], expected: &Value) -> bool {
    let expected: Vec<Requirement> =
        serde_json::from_value(expected.clone()).expect("expected requirements parse");
    let json = |r: &Requirement| serde_json::to_value(r).expect("requirement serialises");
    actual.len() == expected.len()
        && expected
            .iter()
            .all(|e| actual.iter().any(|a| same(&json(a), &json(e))))
}

/// Compares a designed program with a case; returns the differences.
fn check(spec: &PartSpec, case: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let expected_part: Part =
        serde_json::from_value(case["part"].clone()).expect("expected part parses");
    let actual = serde_json::to_value(&spec.part).unwrap_or_default();
    let expected = serde_json::to_value(&expected_part).unwrap_or_default();
    if !same(&actual, &expected) {
        problems.push(format!(
            "part\n   got      {actual}\n   expected {expected}"
        ));
    }
    if !requirements_match(&spec.requirements, &case["requirements"]) {
        problems.push(format!(
            "requirements\n   got      {}\n   expected {}",
            serde_json::to_string(&spec.requirements).unwrap_or_default(),
            case["requirements"]
        ));
    }
    let material = spec
        .material
        .map(|m| serde_json::to_value(m).unwrap_or_default());
    if material.as_ref() != case.get("material") {
        problems.push(format!(
            "material: got {material:?}, expected {:?}",
            case.get("material")
        ));
    }
    problems.extend(spec.unmet_requirements());
    // The analytic reference the kernel is checked against must be sane:
    // positive, inside the box, and every hole entry on the part.
    let bb = spec.part.bounding_box();
    let volume = spec.part.volume_mm3();
    let box_volume: f64 = bb.size().iter().product();
    if !(volume > 0.0 && volume <= box_volume * (1.0 + 1e-12)) {
        problems.push(format!("volume {volume} outside (0, {box_volume}]"));
    }
    for hole in spec.part.holes() {
        if (0..3).any(|i| hole.entry[i] < bb.min[i] - 1e-9 || hole.entry[i] > bb.max[i] + 1e-9) {
            problems.push(format!(
                "hole entry {:?} outside the box {bb:?}",
                hole.entry
            ));
        }
    }
    if let Err(e) = spec.validate() {
        problems.push(format!("invalid: {e}"));
    }
    problems
}

#[test]
fn prompt_suite_parses_every_prompt_to_its_expected_program() {
    let suite: Value = serde_json::from_str(SUITE).expect("suite parses");
    let prompts = suite["prompts"].as_array().expect("prompts");
    let follow_ups = suite["follow_ups"].as_array().expect("follow_ups");
    let mut designed: HashMap<String, PartSpec> = HashMap::new();
    let mut failures = Vec::new();
    let mut families: HashMap<String, (u32, u32)> = HashMap::new();
    let (mut passed, mut invalid) = (0, 0);
    for case in prompts {
        let id = case["id"].as_str().expect("id").to_string();
        let family = case["part"]["family"].as_str().expect("family").to_string();
        let entry = families.entry(family).or_default();
        entry.1 += 1;
        match design(case["prompt"].as_str().expect("prompt")) {
            Ok(d) => {
                let problems = check(&d.spec, case);
                if problems.is_empty() {
                    passed += 1;
                    entry.0 += 1;
                } else {
                    failures.push(format!("{id}: {}", problems.join("; ")));
                }
                designed.insert(id, d.spec);
            }
            Err(e) => {
                invalid += u32::from(matches!(e, DesignError::Invalid(_)));
                failures.push(format!("{id}: {e}"));
            }
        }
    }
    let mut edits_passed = 0;
    for case in follow_ups {
        let id = case["id"].as_str().expect("id").to_string();
        let Some(previous) = designed
            .get(case["after"].as_str().expect("after"))
            .cloned()
        else {
            failures.push(format!("{id}: its previous turn failed"));
            continue;
        };
        match revise(&previous, case["prompt"].as_str().expect("prompt")) {
            Ok(d) => {
                let problems = check(&d.spec, case);
                if problems.is_empty() {
                    edits_passed += 1;
                } else {
                    failures.push(format!("{id}: {}", problems.join("; ")));
                }
                designed.insert(id, d.spec);
            }
            Err(e) => {
                invalid += u32::from(matches!(e, DesignError::Invalid(_)));
                failures.push(format!("{id}: {e}"));
            }
        }
    }
    let mut refused = 0;
    for prompt in suite["refusals"].as_array().expect("refusals") {
        match design(prompt.as_str().expect("refusal")) {
            Err(e @ DesignError::UnsupportedPrompt { .. }) => {
                assert_eq!(e.code(), "unsupported_prompt");
                refused += 1;
            }
            other => failures.push(format!("refusal {prompt}: got {other:?}")),
        }
    }
    let mut names: Vec<_> = families.iter().collect();
    names.sort();
    for (family, (ok, all)) in names {
        println!("  {family:<14} {ok}/{all}");
    }
    let total = prompts.len() + follow_ups.len();
    let ok = passed + edits_passed;
    println!(
        "prompt suite: {passed}/{} prompts and {edits_passed}/{} follow-ups parse to the expected \
         program ({:.1} % of {total}); invalid-output rate {:.1} %; {refused} refusals",
        prompts.len(),
        follow_ups.len(),
        100.0 * ok as f64 / total as f64,
        100.0 * f64::from(invalid) / total as f64,
    );
    assert!(
        prompts.len() >= 60 && follow_ups.len() >= 15,
        "the suite is too small"
    );
    assert_eq!(families.len(), 13, "every family has prompts");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
