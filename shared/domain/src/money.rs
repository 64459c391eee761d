//! Money: integer minor units plus a currency, never a float.

use std::fmt;

/// Currencies the farm charges in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Currency {
    Usd,
}

impl Currency {
    /// ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
        }
    }

    /// Digits after the decimal point (cents for USD).
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Usd => 2,
        }
    }
}

/// An amount of money in minor units (cents). Not `Ord`: amounts in
/// different currencies do not compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn usd_cents(cents: i64) -> Self {
        Money {
            minor: cents,
            currency: Currency::Usd,
        }
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount in major units as a decimal string without symbol: `3.00`.
    pub fn major_string(self) -> String {
        let scale = 10i64.pow(self.currency.minor_digits());
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = self.currency.minor_digits() as usize
        )
    }

    /// What a person reads: `$3.00`, `-$0.05`.
    pub fn display(self) -> String {
        let major = self.major_string();
        match major.strip_prefix('-') {
            Some(rest) => format!("-{}{rest}", self.currency.symbol()),
            None => format!("{}{major}", self.currency.symbol()),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_formats_cents_with_symbol() {
        let cases = [
            (300, "$3.00"),
            (2, "$0.02"),
            (0, "$0.00"),
            (4600, "$46.00"),
            (184, "$1.84"),
            (-5, "-$0.05"),
            (123_456_789, "$1234567.89"),
        ];
        for (cents, expected) in cases {
            assert_eq!(Money::usd_cents(cents).display(), expected, "{cents}");
        }
        assert_eq!(Money::usd_cents(300).major_string(), "3.00");
        assert_eq!(Money::usd_cents(300).currency().code(), "USD");
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        assert_eq!(
            Money::usd_cents(i64::MIN).display(),
            "-$92233720368547758.08"
        );
    }
}
