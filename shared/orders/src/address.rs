//! The shipping address of an order (seed 001, "Required shipping fields"):
//! `line1`, `city` and `country` (ISO 3166-1 alpha-2) are required; `line2`,
//! `state` and `postal_code` are optional but recommended.

/// The required fields, in the order an error names them (seed 001).
pub const REQUIRED_FIELDS: [&str; 3] = ["line1", "city", "country"];

/// The optional fields (seed 001).
pub const OPTIONAL_FIELDS: [&str; 3] = ["line2", "state", "postal_code"];

/// Longest value of any field, characters (a generous bound that keeps one
/// order row small; no postal system needs more).
pub const MAX_FIELD_CHARS: usize = 200;

/// An address as the caller sent it (fields trimmed by the caller or not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput<'a> {
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// A checked address: required fields present, country upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// 422 `missing_shipping_fields`: each required field that is absent or
    /// blank, in [`REQUIRED_FIELDS`] order.
    Missing(Vec<&'static str>),
    /// 400 `invalid_request`: a present field with a bad value (field, reason).
    Invalid(&'static str, &'static str),
}

fn present(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Checks an address. Missing required fields are reported all at once
/// before any value is judged, so one answer names everything to ask for.
pub fn check(input: &AddressInput<'_>) -> Result<ShippingAddress, AddressError> {
    let line1 = present(input.line1);
    let city = present(input.city);
    let country = present(input.country);
    let missing: Vec<&'static str> = REQUIRED_FIELDS
        .into_iter()
        .zip([&line1, &city, &country])
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| name)
        .collect();
    let (Some(line1), Some(city), Some(country)) = (line1, city, country) else {
        return Err(AddressError::Missing(missing));
    };
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(AddressError::Invalid(
            "country",
            "must be an ISO 3166-1 alpha-2 code such as US",
        ));
    }
    let all = [
        ("line1", input.line1),
        ("city", input.city),
        ("line2", input.line2),
        ("state", input.state),
        ("postal_code", input.postal_code),
    ];
    for (name, value) in all {
        if value.is_some_and(|v| v.chars().count() > MAX_FIELD_CHARS) {
            return Err(AddressError::Invalid(
                name,
                "must be at most 200 characters",
            ));
        }
    }
    Ok(ShippingAddress {
        line1,
        line2: present(input.line2),
        city,
        state: present(input.state),
        postal_code: present(input.postal_code),
        country: country.to_ascii_uppercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_001s_example_is_accepted() {
        let a = check(&AddressInput {
            line1: Some("123 Main St"),
            city: Some("San Francisco"),
            state: Some("CA"),
            postal_code: Some("94105"),
            country: Some("us"),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(a.country, "US");
        assert_eq!(a.line2, None);
    }

    #[test]
    fn every_missing_or_blank_required_field_is_named() {
        assert_eq!(
            check(&AddressInput::default()),
            Err(AddressError::Missing(vec!["line1", "city", "country"]))
        );
        assert_eq!(
            check(&AddressInput {
                line1: Some("1 A St"),
                city: Some("  "),
                state: Some("CA"),
                ..Default::default()
            }),
            Err(AddressError::Missing(vec!["city", "country"]))
        );
    }

    #[test]
    fn a_country_that_is_not_two_letters_is_invalid() {
        let r = check(&AddressInput {
            line1: Some("x"),
            city: Some("y"),
            country: Some("USA"),
            ..Default::default()
        });
        assert!(matches!(r, Err(AddressError::Invalid("country", _))));
    }

    #[test]
    fn overlong_values_are_refused() {
        let long = "a".repeat(MAX_FIELD_CHARS + 1);
        let r = check(&AddressInput {
            line1: Some("x"),
            city: Some("y"),
            country: Some("DE"),
            postal_code: Some(&long),
            ..Default::default()
        });
        assert!(matches!(r, Err(AddressError::Invalid("postal_code", _))));
    }
}
