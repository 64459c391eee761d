//! Strict JSON request bodies: the one rule every endpoint follows.
//!
//! - The body is one JSON object and nothing after it (400 `invalid_json`
//!   for bad syntax, 400 `invalid_request` naming `(body)` for an array,
//!   string or number).
//! - An unknown field is a 400 naming it, with `allowed_fields` listing the
//!   fields the endpoint takes. Wire types declare
//!   `#[serde(deny_unknown_fields)]`; serde's own message carries the list.
//! - A field of the wrong type, or out of range for its type, is a 400 naming
//!   the field by its path (`scopes[0]`, `options.quantity`), never a default.
//! - An absent optional field takes its documented default; `null` is not
//!   absence. Optional fields use [`non_null`], so `"scopes": null` is a 400.
//!
//! Field paths come from `serde_path_to_error` (a small, widely used crate
//! that wraps the deserializer and records where it failed), because serde's
//! own errors name the expected type but not the field.

use crate::error::ApiError;
use farm_domain::FieldError;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

/// The field name errors use for the body as a whole.
pub const WHOLE_BODY: &str = "(body)";

/// For optional wire fields: `#[serde(default, deserialize_with =
/// "farm_platform::body::non_null")]`. Absent → `None` (the documented
/// default); present → the value, where `null` is refused like any other
/// value of the wrong type.
pub fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// For integer wire fields: `#[serde(deserialize_with =
/// "farm_platform::body::integer")]`. JSON has one number type and JSON
/// Schema's `integer` is any number with a zero fractional part, so `875.0`
/// is the integer 875; `2.5`, or a number outside `i64`, is refused.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerVisitor)
}

/// [`integer`] for an optional field, with [`non_null`]'s rule for `null`:
/// `#[serde(default, deserialize_with = "farm_platform::body::non_null_integer")]`.
pub fn non_null_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    integer(deserializer).map(Some)
}

struct IntegerVisitor;

impl serde::de::Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 is exactly representable; every float below it in magnitude
        // with a zero fraction converts without loss.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
        }
    }
}

/// Parses `bytes` as a JSON object into `T` under the rules above.
///
/// `at` names where the object sits when it is not the request body itself
/// (jobs' multipart `options` part): field paths are prefixed with it
/// (`options.quantity`) and a syntax error is a field error on `at` instead
/// of `invalid_json`.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8], at: Option<&str>) -> Result<T, ApiError> {
    let whole = at.unwrap_or(WHOLE_BODY);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        // Tell bad syntax apart from well-formed JSON that is not an object.
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Err(e) => syntax_error(&e, at),
            Ok(_) => ApiError::invalid_field(whole, "must be a JSON object"),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => data_error(&path, &inner, at),
            _ => syntax_error(&inner, at),
        }
    })?;
    de.end().map_err(|e| syntax_error(&e, at))?;
    Ok(value)
}

fn syntax_error(e: &serde_json::Error, at: Option<&str>) -> ApiError {
    match at {
        None => ApiError::invalid_json(e),
        Some(field) => ApiError::invalid_field(field, &format!("is not valid JSON: {e}")),
    }
}

/// Turns serde's data error into a field error. serde's messages have stable
/// shapes ("unknown field `x`, expected one of `a`, `b`", "missing field `x`",
/// "invalid type: string \"5\", expected i64"); the field comes from the path,
/// or from the message when the error sits on the enclosing object.
fn data_error(path: &str, e: &serde_json::Error, at: Option<&str>) -> ApiError {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    let join = |field: &str| match at {
        Some(prefix) => format!("{prefix}.{field}"),
        None => field.to_string(),
    };
    let at_path = if path == "." {
        at.unwrap_or(WHOLE_BODY).to_string()
    } else {
        join(path)
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, allowed) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = allowed.split('`').skip(1).step_by(2).collect();
        let reason = if allowed.is_empty() {
            "is not a field of this request; send no fields".to_string()
        } else {
            format!(
                "is not a field of this request; allowed fields: {}",
                allowed.join(", ")
            )
        };
        return ApiError::invalid_fields(&[FieldError::new(join(name), reason)])
            .with_detail("allowed_fields", allowed);
    }
    if let Some(name) = named(message, "missing field `") {
        return ApiError::invalid_field(&join(name), "is required");
    }
    if let Some(name) = named(message, "duplicate field `") {
        return ApiError::invalid_field(&join(name), "appears more than once");
    }
    ApiError::invalid_field(&at_path, &plain_reason(message))
}

fn named<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// "invalid type: string \"5\", expected i64" → "must be an integer, got
/// string \"5\"": the expected type in JSON's words, not Rust's.
fn plain_reason(message: &str) -> String {
    let Some((got, expected)) = message.rsplit_once(", expected ") else {
        return message.to_string();
    };
    let got = got
        .trim_start_matches("invalid type: ")
        .trim_start_matches("invalid value: ")
        .trim_start_matches("invalid length ");
    let expected = match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "an integer"
        }
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a boolean" => "a boolean (true or false)",
        e if e.starts_with("struct ") || e == "a map" => "a JSON object",
        e => e,
    };
    let got = match got {
        "map" => "an object",
        "sequence" => "an array",
        g => g,
    };
    format!("must be {expected}, got {got}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Key {
        name: String,
        #[serde(default, deserialize_with = "non_null")]
        scopes: Option<Vec<String>>,
        #[serde(default, deserialize_with = "non_null_integer")]
        quantity: Option<i64>,
    }

    fn refused(json: &str, at: Option<&str>) -> Value {
        let err = from_json::<Key>(json.as_bytes(), at).expect_err(json);
        assert_eq!(err.status(), 400, "{json}");
        err.body("req_test")
    }

    fn field_of(body: &Value) -> &str {
        body["fields"][0]["field"].as_str().unwrap_or("")
    }

    #[test]
    fn absent_optional_fields_are_none() {
        let key: Key = from_json(br#"{"name": "ci"}"#, None).expect("valid");
        assert_eq!(
            key,
            Key {
                name: "ci".into(),
                scopes: None,
                quantity: None
            }
        );
    }

    #[test]
    fn an_unknown_field_is_named_with_the_allowed_ones() {
        let body = refused(r#"{"name": "ci", "qty": 5}"#, None);
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(field_of(&body), "qty");
        assert_eq!(
            body["allowed_fields"],
            serde_json::json!(["name", "scopes", "quantity"])
        );
    }

    #[test]
    fn wrong_types_and_null_name_the_field() {
        for (json, field, words) in [
            (
                r#"{"name": "ci", "scopes": "files:read"}"#,
                "scopes",
                "an array",
            ),
            (r#"{"name": "ci", "scopes": 7}"#, "scopes", "an array"),
            (r#"{"name": "ci", "scopes": null}"#, "scopes", "got null"),
            (r#"{"name": "ci", "scopes": [1]}"#, "scopes[0]", "a string"),
            (
                r#"{"name": "ci", "quantity": "5"}"#,
                "quantity",
                "an integer",
            ),
            (
                r#"{"name": "ci", "quantity": 2.5}"#,
                "quantity",
                "an integer",
            ),
            (r#"{"name": null}"#, "name", "got null"),
        ] {
            let body = refused(json, None);
            assert_eq!(field_of(&body), field, "{json}");
            let reason = body["fields"][0]["reason"].as_str().unwrap_or("");
            assert!(reason.contains(words), "{json}: {reason}");
            assert!(!reason.contains("i64"), "{json}: {reason}");
        }
    }

    #[test]
    fn integers_are_json_schema_integers() {
        for (json, want) in [("875", 875), ("875.0", 875), ("-3", -3), ("1e3", 1000)] {
            let text = format!(r#"{{"name": "ci", "quantity": {json}}}"#);
            let key: Key = from_json(text.as_bytes(), None).expect(json);
            assert_eq!(key.quantity, Some(want), "{json}");
        }
        for json in ["875.5", "1e30", "9223372036854775808", "true"] {
            let text = format!(r#"{{"name": "ci", "quantity": {json}}}"#);
            let body = refused(&text, None);
            assert_eq!(field_of(&body), "quantity", "{json}");
        }
    }

    #[test]
    fn missing_and_duplicate_fields_are_named() {
        assert_eq!(field_of(&refused(r#"{"scopes": []}"#, None)), "name");
        assert_eq!(
            field_of(&refused(r#"{"name": "a", "name": "b"}"#, None)),
            "name"
        );
    }

    #[test]
    fn only_one_object_is_a_body() {
        for json in [r#"["ci"]"#, "7", r#""ci""#, "null"] {
            assert_eq!(field_of(&refused(json, None)), WHOLE_BODY, "{json}");
        }
        for json in [r#"{"name": "ci"} x"#, r#"{"name": "ci""#, "nope"] {
            assert_eq!(refused(json, None)["error"], "invalid_json", "{json}");
        }
    }

    #[test]
    fn a_nested_object_prefixes_its_paths() {
        assert_eq!(
            field_of(&refused(r#"{"name": "ci", "qty": 1}"#, Some("options"))),
            "options.qty"
        );
        assert_eq!(
            field_of(&refused(r#"{"name": 1}"#, Some("options"))),
            "options.name"
        );
        assert_eq!(field_of(&refused("{", Some("options"))), "options");
        assert_eq!(field_of(&refused("[]", Some("options"))), "options");
    }
}
