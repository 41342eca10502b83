//! Display strings computed in Rust, so templates only print: sizes in human units,
//! times in UTC with a relative hint.

use chrono::{DateTime, Utc};

/// `1536` → `1.5 KiB`; bytes below 1 KiB are shown exactly.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A time as shown on every page: exact UTC, plus how long ago.
#[derive(Debug, Clone, Default)]
pub struct Moment {
    /// `2026-12-03 13:25 UTC`, or `unknown`.
    pub utc: String,
    /// `3 hours ago`, or empty when unknown.
    pub relative: String,
    /// RFC 3339, for the `datetime` attribute of `<time>`.
    pub machine: String,
}

impl Moment {
    /// Describes `time` as seen at `now`.
    pub fn at(time: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match time {
            Some(t) => Self {
                utc: t.format("%Y-%m-%d %H:%M UTC").to_string(),
                relative: relative(t, now),
                machine: t.to_rfc3339(),
            },
            None => Self {
                utc: "unknown".to_owned(),
                relative: String::new(),
                machine: String::new(),
            },
        }
    }

    /// Describes a stored time in microseconds (0 meaning unknown) as seen now.
    pub fn of_micros(micros: i64) -> Self {
        Self::of((micros != 0).then(|| crate::db::from_micros(micros)))
    }

    /// Describes `time` as seen now.
    pub fn of(time: Option<DateTime<Utc>>) -> Self {
        Self::at(time, Utc::now())
    }
}

fn relative(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - time).num_seconds();
    if seconds < 0 {
        return "in the future".to_owned();
    }
    let (amount, unit) = match seconds {
        0..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        86_400..2_592_000 => (seconds / 86_400, "day"),
        2_592_000..31_536_000 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural} ago")
}

/// A stored byte count (never negative) in human units.
pub fn size_of(bytes: i64) -> String {
    size(u64::try_from(bytes).unwrap_or_default())
}

/// A stored count (never negative) with grouped thousands.
pub fn count_of(n: i64) -> String {
    count(u64::try_from(n).unwrap_or_default())
}

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(1024 * 1024 * 1024), "1.0 GiB");
        assert_eq!(size(500 * 1024 * 1024), "500 MiB");
    }

    #[test]
    fn moments_show_utc_and_how_long_ago() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let then = Utc.with_ymd_and_hms(2026, 12, 3, 9, 30, 0).unwrap();

        let moment = Moment::at(Some(then), now);

        assert_eq!(moment.utc, "2026-12-03 09:30 UTC");
        assert_eq!(moment.relative, "2 hours ago");
        assert_eq!(Moment::at(None, now).utc, "unknown");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
