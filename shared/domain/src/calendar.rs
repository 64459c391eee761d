//! UTC calendar arithmetic on Unix seconds: days, months, RFC 3339.
//!
//! Usage counters roll over at midnight UTC and on the first of the month;
//! these helpers give both boundaries without a time-zone database.

/// A calendar day in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl UtcDate {
    /// The UTC date containing `unix_secs`.
    pub fn from_unix(unix_secs: i64) -> Self {
        civil_from_days(unix_secs.div_euclid(86_400))
    }

    /// `2026-06-06`
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `2026-06`
    pub fn iso_month(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The first day of this date's month.
    pub fn month_start(self) -> Self {
        UtcDate { day: 1, ..self }
    }
}

/// `2026-06-06T01:00:00Z`
pub fn rfc3339(unix_secs: i64) -> String {
    let date = UtcDate::from_unix(unix_secs);
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date.iso(),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a
/// proleptic Gregorian date.
fn civil_from_days(days: i64) -> UtcDate {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    UtcDate { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_123_456, "2024-02-28T12:30:56Z"),
            (1_749_168_060, "2025-06-06T00:01:00Z"),
            (1_798_761_599, "2026-12-31T23:59:59Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ];
        for (secs, expected) in cases {
            assert_eq!(rfc3339(secs), expected, "{secs}");
        }
    }

    #[test]
    fn day_and_month_strings() {
        let d = UtcDate::from_unix(1_749_168_060);
        assert_eq!(d.iso(), "2025-06-06");
        assert_eq!(d.iso_month(), "2025-06");
        assert_eq!(d.month_start().iso(), "2025-06-01");
    }
}
