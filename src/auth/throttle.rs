//! Sign-in throttling: after repeated failures for one account name or from one
//! address, further attempts are refused for a while without checking the password.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};

use super::AuthError;
use crate::db::{self, Db, from_micros, sign_ins::FailureRecord, to_micros};

/// When sign-ins are throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures for one account name within `window` before it is locked.
    pub per_account: i64,
    /// Failures from one address within `window` before it is locked; higher, since
    /// offices share addresses.
    pub per_address: i64,
    /// How far back failures count.
    pub window: TimeDelta,
    /// How long a lock lasts.
    pub lock: TimeDelta,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: TimeDelta::minutes(15),
            lock: TimeDelta::minutes(15),
        }
    }
}

/// The throttle subjects of one attempt, each with its limit.
pub(super) fn subjects(
    policy: &ThrottlePolicy,
    name: &str,
    address: Option<IpAddr>,
) -> Vec<(String, i64)> {
    // The name as typed (even an unknown one) is counted, so a lock reveals nothing
    // about which names exist.
    let mut out = vec![(
        format!("account:{}", name.to_ascii_lowercase()),
        policy.per_account,
    )];
    if let Some(ip) = address {
        out.push((format!("address:{ip}"), policy.per_address));
    }
    out
}

/// The latest lock among the subjects that is still in force, if any.
pub(super) async fn locked_until(
    db: &Db,
    subjects: &[(String, i64)],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AuthError> {
    let mut until = None;
    for (subject, _) in subjects {
        let lock = db::sign_ins::find(db, subject)
            .await?
            .and_then(|r| r.locked_until_micros)
            .filter(|&t| t > to_micros(now));
        until = until.max(lock);
    }
    Ok(until.map(from_micros))
}

/// Counts one failure against every subject, locking those that reach their limit.
pub(super) async fn record_failure(
    db: &Db,
    policy: &ThrottlePolicy,
    subjects: &[(String, i64)],
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let now_micros = to_micros(now);
    for (subject, limit) in subjects {
        let previous = db::sign_ins::find(db, subject).await?;
        let next = next_record(policy, *limit, previous, now_micros);
        db::sign_ins::save(db, subject, next).await?;
    }
    Ok(())
}

/// Forgets an account name's failures after it signed in.
pub(super) async fn clear(db: &Db, subject: &str) -> Result<(), AuthError> {
    Ok(db::sign_ins::clear(db, subject).await?)
}

fn next_record(
    policy: &ThrottlePolicy,
    limit: i64,
    previous: Option<FailureRecord>,
    now: i64,
) -> FailureRecord {
    let window = policy.window.num_microseconds().unwrap_or(i64::MAX);
    let fresh = FailureRecord {
        failures: 0,
        window_start_micros: now,
        locked_until_micros: None,
    };
    let mut record = match previous {
        Some(r) if now - r.window_start_micros < window => r,
        _ => fresh,
    };
    record.failures += 1;
    if record.failures >= limit {
        record.locked_until_micros = Some(now + policy.lock.num_microseconds().unwrap_or(0));
        // The next lock needs a full set of new failures.
        record.failures = 0;
        record.window_start_micros = now;
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_th_failure_locks_and_restarts_the_count() {
        let policy = ThrottlePolicy::default();
        let mut record = None;

        for _ in 0..4 {
            record = Some(next_record(&policy, 5, record, 1_000));
        }
        let locked = next_record(&policy, 5, record, 2_000);

        assert_eq!(record.map(|r| r.locked_until_micros), Some(None));
        assert_eq!(
            locked.locked_until_micros,
            Some(2_000 + policy.lock.num_microseconds().expect("fits"))
        );
        assert_eq!(locked.failures, 0);
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let policy = ThrottlePolicy::default();
        let old = FailureRecord {
            failures: 4,
            window_start_micros: 0,
            locked_until_micros: None,
        };
        let later = policy.window.num_microseconds().expect("fits") + 1;

        let next = next_record(&policy, 5, Some(old), later);

        assert_eq!(next.failures, 1);
        assert_eq!(next.locked_until_micros, None);
    }
}
