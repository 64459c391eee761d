//! Every family, from the designer suite's valid programs, with one to three
//! of its numbers replaced by hostile ones (zero, negative, tiny, huge, or
//! the original scaled): validation must answer, and whatever it accepts
//! must have a sane analytic volume and box. `hostile.rs` covers NaN and
//! infinity, which JSON cannot carry; this covers the numbers it can, on
//! all thirteen families.

use farm_partspec::*;
use proptest::prelude::*;
use serde_json::Value;

/// The suite's programs: one per prompt, every family several times.
fn suite_parts() -> Vec<Value> {
    let suite: Value = serde_json::from_str(include_str!("../../designer/suite/prompts.json"))
        .expect("the designer suite is JSON");
    suite["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p.get("part").cloned())
        .collect()
}

/// Paths (object keys and array indices) to every number in `v`.
fn number_paths(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Number(_) => out.push(at.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Value::from(i));
                number_paths(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                at.push(Value::from(k.as_str()));
                number_paths(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn leaf<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        step => &mut v[step.as_u64().expect("index") as usize],
    })
}

/// A hostile replacement for `original`: integers stay integers (counts are
/// `u32`), lengths and angles become any finite number.
fn hostile(original: &Value, pick: u8, scale: f64, any: f64) -> Value {
    if original.is_u64() {
        let n = original.as_u64().unwrap_or(0);
        return Value::from(match pick % 6 {
            0 => 0,
            1 => 1,
            2 => u64::from(u32::MAX),
            3 => n * 2,
            4 => n + 1,
            _ => (any as u64) % 200,
        });
    }
    let x = original.as_f64().unwrap_or(0.0);
    let y = match pick % 8 {
        0 => 0.0,
        1 => -x,
        2 => 1e-9,
        3 => 1e9,
        4 => 1e300,
        5 => x * scale,
        6 => x + scale - 2.0,
        _ => any,
    };
    serde_json::Number::from_f64(y).map_or(Value::from(0), Value::Number)
}

fn any_edit() -> impl Strategy<Value = (usize, u8, f64, f64)> {
    (any::<usize>(), any::<u8>(), 0.0..4.0f64, -50.0..300.0f64)
}

/// `PROPTEST_CASES` when set (for a long local run), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(3000)))]

    #[test]
    fn any_family_with_hostile_numbers_is_refused_or_sane(
        which in any::<usize>(),
        edits in proptest::collection::vec(any_edit(), 1..=3),
    ) {
        let parts = suite_parts();
        let mut part = parts[which % parts.len()].clone();
        let mut paths = Vec::new();
        number_paths(&part, &mut Vec::new(), &mut paths);
        for (at, pick, scale, any) in edits {
            let target = leaf(&mut part, &paths[at % paths.len()]);
            *target = hostile(target, pick, scale, any);
        }
        // A number the type cannot hold (a count past u32) is a parse error,
        // which the API answers before validation; nothing more to check.
        let Ok(part) = serde_json::from_value::<Part>(part.clone()) else { return Ok(()) };
        let spec = PartSpec { version: SPEC_VERSION, part, material: None, assumptions: vec![], requirements: vec![] };
        match spec.validate() {
            Ok(()) => {
                let volume = spec.part.volume_mm3();
                let size = spec.part.bounding_box().size();
                prop_assert!(volume.is_finite() && volume > 0.0, "volume {} of {:?}", volume, spec.part);
                prop_assert!(size.iter().all(|s| *s > 0.0 && *s <= 256.0), "size {:?} of {:?}", size, spec.part);
                prop_assert!(
                    volume <= size.iter().product::<f64>() * (1.0 + 1e-9),
                    "volume {} above its box {:?}: {:?}", volume, size, spec.part
                );
            }
            Err(invalid) => {
                prop_assert!(!invalid.violations.is_empty());
                prop_assert!(invalid.violations.iter().all(|v| v.parameter.starts_with("part")));
            }
        }
    }
}

#[test]
fn every_suite_program_is_valid_as_written() {
    let parts = suite_parts();
    assert!(parts.len() >= 13, "{} programs", parts.len());
    for part in parts {
        let part: Part = serde_json::from_value(part).expect("a suite program parses");
        let spec = PartSpec {
            version: SPEC_VERSION,
            part,
            material: None,
            assumptions: vec![],
            requirements: vec![],
        };
        assert!(
            spec.validate().is_ok(),
            "{:?}: {:?}",
            spec.part,
            spec.validate()
        );
    }
}
