//! Unix times as ISO-8601 UTC dates and as spans a person reads at a glance
//! ("14 min", "3 h"), without a date library.

/// The last second of the year 9999: later dates are not written out.
const MAX_DATE: u64 = 253_402_300_799;

/// `secs` (Unix seconds) as `YYYY-MM-DDTHH:MM:SSZ`; `None` after the year 9999.
pub(crate) fn iso8601(secs: u64) -> Option<String> {
    if secs > MAX_DATE {
        return None;
    }
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

/// A duration in its largest sensible unit, rounded down: `45 s`, `14 min`, `3 h`, `30 d`.
pub(crate) fn span(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7_200 => format!("{} min", secs / 60),
        7_200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// The proleptic Gregorian date of day `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(4_102_444_799).unwrap(), "2099-12-31T23:59:59Z");
        assert_eq!(iso8601(MAX_DATE).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(MAX_DATE + 1), None);
    }

    #[test]
    fn spans() {
        assert_eq!(span(5), "5 s");
        assert_eq!(span(14 * 60 + 59), "14 min");
        assert_eq!(span(3 * 3600 + 10), "3 h");
        assert_eq!(span(30 * 86_400), "30 d");
    }
}
