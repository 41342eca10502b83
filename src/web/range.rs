//! The HTTP side of partial and conditional reads: `Range`, `If-None-Match` and
//! `If-Modified-Since`, decided before a byte is read from the store.

use crate::storage::ByteRange;

/// What a `Range` header asks of an object of a known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// No usable range: send everything with 200.
    Whole,
    /// Send these inclusive bytes with 206.
    Part { start: u64, end: u64 },
    /// The range lies outside the object: 416.
    Unsatisfiable,
}

impl Requested {
    /// The range to ask the store for.
    pub fn byte_range(self) -> Option<ByteRange> {
        match self {
            Self::Part { start, end } => Some(ByteRange::FromTo { start, end }),
            Self::Whole | Self::Unsatisfiable => None,
        }
    }
}

/// Resolves a `Range` header against an object of `size` bytes.
///
/// Only single `bytes=` ranges are served as 206; a malformed header or several
/// ranges are ignored and the whole object is sent, which RFC 9110 allows.
pub fn resolve(header: Option<&str>, size: u64) -> Requested {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Requested::Whole;
    };
    if spec.contains(',') {
        return Requested::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Requested::Whole;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => Requested::Whole,
        (true, false) => match number(last) {
            Some(0) => Requested::Unsatisfiable,
            Some(_) if size == 0 => Requested::Unsatisfiable,
            Some(len) => Requested::Part {
                start: size.saturating_sub(len),
                end: size - 1,
            },
            None => Requested::Whole,
        },
        (false, open_end) => {
            let Some(start) = number(first) else {
                return Requested::Whole;
            };
            let end = if open_end {
                Some(u64::MAX)
            } else {
                number(last)
            };
            match end {
                None => Requested::Whole,
                Some(end) if end < start => Requested::Whole,
                Some(_) if start >= size => Requested::Unsatisfiable,
                Some(end) => Requested::Part {
                    start,
                    end: end.min(size - 1),
                },
            }
        }
    }
}

/// Whether an `If-None-Match` header matches the object's entity tag.
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        let part = |start, end| Requested::Part { start, end };

        assert_eq!(resolve(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(resolve(Some("bytes=90-"), 100), part(90, 99));
        assert_eq!(resolve(Some("bytes=95-200"), 100), part(95, 99));
        assert_eq!(resolve(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(resolve(Some("bytes=-500"), 100), part(0, 99));
    }

    #[test]
    fn ranges_outside_the_object_are_unsatisfiable() {
        assert_eq!(resolve(Some("bytes=100-"), 100), Requested::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=-0"), 100), Requested::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=0-1"), 0), Requested::Unsatisfiable);
    }

    #[test]
    fn odd_range_headers_fall_back_to_the_whole_object() {
        for odd in [
            "items=0-1",
            "bytes=a-b",
            "bytes=5-1",
            "bytes=0-1,4-5",
            "bytes=-",
        ] {
            assert_eq!(resolve(Some(odd), 100), Requested::Whole, "{odd}");
        }
        assert_eq!(resolve(None, 100), Requested::Whole);
    }

    #[test]
    fn entity_tags_match_quoted_weak_or_star() {
        assert!(none_match("\"abc\"", "abc"));
        assert!(none_match("W/\"abc\", \"def\"", "def"));
        assert!(none_match("*", "abc"));
        assert!(!none_match("\"abd\"", "abc"));
    }
}
