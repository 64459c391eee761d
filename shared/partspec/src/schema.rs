//! The part program's JSON Schema, generated from the types (schemars,
//! draft 2020-12). The checked-in copy, `schema/partspec.v1.schema.json`, is
//! what the LLM designer's tool and the OpenAPI document reference; the test
//! `checked_in_schema_is_current` fails when the types drift from it
//! (`BLESS=1 cargo test -p farm-partspec` rewrites it).

use crate::spec::PartSpec;

/// The JSON Schema of [`PartSpec`].
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(PartSpec)).unwrap_or_default()
}

/// The checked-in schema text (what [`json_schema`] produced when it was blessed).
pub const CHECKED_IN: &str = include_str!("../schema/partspec.v1.schema.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_schema_is_current() {
        let mut generated =
            serde_json::to_string_pretty(&json_schema()).expect("schema serialises");
        generated.push('\n');
        if std::env::var_os("BLESS").is_some() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schema/partspec.v1.schema.json"
            );
            std::fs::write(path, &generated).expect("write the schema");
            return;
        }
        assert!(
            generated == CHECKED_IN,
            "schema/partspec.v1.schema.json is stale: run BLESS=1 cargo test -p farm-partspec"
        );
    }

    #[test]
    fn schema_names_every_family() {
        let text = CHECKED_IN;
        for family in [
            "plate",
            "l_bracket",
            "angle_bracket",
            "box",
            "cylinder",
            "spacer",
            "standoff",
            "washer",
            "flange",
            "hook",
            "knob",
            "spur_gear",
            "cable_clip",
        ] {
            assert!(
                text.contains(&format!("\"{family}\"")),
                "{family} missing from the schema"
            );
        }
    }
}
