//! Formats Unix time as the `YYYYMMDD'T'HHMMSS'Z'` stamp SigV4 uses, without a
//! date library: the crate has no clock and needs only this one format.

use crate::{Error, Result};

/// Seconds from 1970-01-01 to 10000-01-01; later times have 5-digit years.
const MAX_UNIX: i64 = 253_402_300_799;

/// `20130524T000000Z` for 2013-05-24 00:00:00 UTC.
pub(crate) fn amz_date(unix: i64) -> Result<String> {
    if !(0..=MAX_UNIX).contains(&unix) {
        return Err(Error::InvalidTime(unix));
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    Ok(format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    ))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); the
/// well-known era-based algorithm (400-year cycles of 146 097 days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let cases = [
            (0, "19700101T000000Z"),
            (1_369_353_600, "20130524T000000Z"),
            (951_825_599, "20000229T115959Z"),
            (1_709_123_456, "20240228T123056Z"),
            (4_107_542_400, "21000301T000000Z"),
        ];
        for (unix, want) in cases {
            assert_eq!(amz_date(unix).as_deref(), Ok(want), "unix {unix}");
        }
    }

    #[test]
    fn rejects_times_outside_four_digit_years() {
        assert_eq!(amz_date(-1), Err(Error::InvalidTime(-1)));
        assert!(amz_date(MAX_UNIX).is_ok());
        assert!(amz_date(MAX_UNIX + 1).is_err());
    }
}
