//! Part programs come from an LLM too: whatever numbers they hold,
//! validation must answer (never panic, never run without bound), and a
//! program it accepts must have a sane analytic volume and box. Two
//! properties: any numbers (NaN and infinity too) on four families, and the
//! designer suite's programs of all thirteen with a few numbers made
//! hostile. `PROPTEST_CASES` lengthens both for a local run.

use farm_partspec::*;
use proptest::prelude::*;
use serde_json::Value;

fn any_len() -> impl Strategy<Value = f64> {
    prop_oneof![
        16 => 0.0..300.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => -50.0..0.0f64,
        1 => Just(0.0),
    ]
}

fn any_layout() -> impl Strategy<Value = HoleLayout> {
    prop_oneof![
        (any_len(), any_len()).prop_map(|(u, v)| HoleLayout::Single {
            center: [u - 100.0, v - 100.0]
        }),
        (0u32..=u32::MAX, any_len(), any_len()).prop_map(|(count, pitch_mm, angle)| {
            HoleLayout::Linear {
                count,
                pitch_mm,
                center: [0.0, 0.0],
                angle_deg: angle,
            }
        }),
        (
            0u32..=u32::MAX,
            0u32..=u32::MAX,
            any_len(),
            any_len(),
            any_len()
        )
            .prop_map(
                |(rows, columns, pitch_u_mm, pitch_v_mm, u)| HoleLayout::Grid {
                    rows,
                    columns,
                    pitch_u_mm,
                    pitch_v_mm,
                    center: [u - 150.0, 0.0]
                }
            ),
        (0u32..50, any_len(), any_len()).prop_map(|(count, pitch_circle_diameter_mm, start)| {
            HoleLayout::Circle {
                count,
                pitch_circle_diameter_mm,
                center: [0.0, 0.0],
                start_angle_deg: start,
            }
        }),
    ]
}

fn any_part() -> impl Strategy<Value = Part> {
    let hole = (any_len(), any_layout()).prop_map(|(d, layout)| HolePattern {
        hole: HoleSpec {
            diameter_mm: d / 10.0,
            countersink: None,
            fastener: None,
        },
        layout,
    });
    prop_oneof![
        (
            any_len(),
            any_len(),
            any_len(),
            proptest::collection::vec(hole, 0..3)
        )
            .prop_map(|(l, w, t, holes)| Part::Plate(Plate {
                length_mm: l,
                width_mm: w,
                thickness_mm: t / 10.0,
                corners: CornerProfile::Sharp,
                holes
            })),
        (any_len(), any_len(), any_len(), 0u32..=u32::MAX, any_len()).prop_map(
            |(d, h, r, flutes, s)| Part::Knob(Knob {
                diameter_mm: d,
                height_mm: h,
                flutes,
                flute_radius_mm: r / 50.0,
                shaft_diameter_mm: s / 20.0,
                shaft_depth_mm: h / 2.0
            })
        ),
        (any_len(), 0u32..=u32::MAX, any_len(), any_len()).prop_map(|(m, teeth, f, b)| {
            Part::SpurGear(SpurGear {
                module_mm: m / 50.0,
                teeth,
                face_width_mm: f,
                bore_diameter_mm: b / 10.0,
                pressure_angle_deg: 20.0,
            })
        }),
        (any_len(), any_len(), any_len(), any_len(), any_len()).prop_map(|(c, t, w, o, b)| {
            Part::CableClip(CableClip {
                cable_diameter_mm: c / 10.0,
                thickness_mm: t / 20.0,
                width_mm: w,
                opening_mm: o / 20.0,
                base_length_mm: b,
                screw_hole: None,
            })
        }),
    ]
}

/// `PROPTEST_CASES` when set (for a long local run), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(400)))]

    #[test]
    fn validation_answers_any_program_and_accepted_ones_are_sane(part in any_part()) {
        let spec = PartSpec::from(part);
        match spec.validate() {
            Ok(()) => {
                let volume = spec.part.volume_mm3();
                let size = spec.part.bounding_box().size();
                prop_assert!(volume.is_finite() && volume > 0.0, "volume {}", volume);
                prop_assert!(size.iter().all(|s| *s > 0.0 && *s <= 256.0), "size {:?}", size);
                prop_assert!(volume <= size.iter().product::<f64>() * (1.0 + 1e-9));
            }
            Err(invalid) => {
                prop_assert!(!invalid.violations.is_empty());
                prop_assert!(invalid.violations.iter().all(|v| v.parameter.starts_with("part") || v.parameter == "version"));
            }
        }
    }
}

/// Found by the property above in CI: a NaN start angle put both holes at
/// NaN, every edge and spacing check compared false, and the accepted plate
/// had a volume of -3911 mm³.
#[test]
fn a_hole_circle_with_a_nan_start_angle_is_refused_by_name() {
    let hole = HolePattern {
        hole: HoleSpec {
            diameter_mm: 28.4,
            countersink: None,
            fastener: None,
        },
        layout: HoleLayout::Circle {
            count: 2,
            pitch_circle_diameter_mm: 148.1,
            center: [0.0, 0.0],
            start_angle_deg: f64::NAN,
        },
    };
    let part = Part::Plate(Plate {
        length_mm: 40.4,
        width_mm: 25.4,
        thickness_mm: 15.9,
        corners: CornerProfile::Sharp,
        holes: vec![hole],
    });
    let spec = PartSpec::from(part);
    let invalid = spec.validate().expect_err("a NaN angle must be refused");
    let named: Vec<&str> = invalid
        .violations
        .iter()
        .map(|v| v.parameter.as_str())
        .collect();
    assert!(
        named.contains(&"part.holes[0].layout.start_angle_deg"),
        "{named:?}"
    );
}

// Every family, from the designer suite's valid programs, with one to three
// of its numbers replaced by hostile ones (zero, negative, tiny, huge, or
// the original scaled). The property above covers NaN and infinity, which
// JSON cannot carry, on four families; this covers the numbers JSON can
// carry, on all thirteen.

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
        let spec = PartSpec::from(part);
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
        let spec = PartSpec::from(part);
        assert!(
            spec.validate().is_ok(),
            "{:?}: {:?}",
            spec.part,
            spec.validate()
        );
    }
}
