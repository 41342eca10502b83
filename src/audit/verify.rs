//! Walking a trail and finding the first event that is not what was appended.

use std::fmt;

use super::canonical::{GENESIS_HASH, event_hash};
use crate::db::audit::EventRecord;

/// What is wrong with the first broken event of a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The event's fields no longer give its stored hash: it was changed after the append.
    Altered { seq: i64 },
    /// Events `first..next` are absent: the sequence jumps to `next`.
    Missing { first: i64, next: i64 },
    /// The event links to `links_to`, which is stored after it: events were swapped.
    Reordered { seq: i64, links_to: i64 },
    /// The event does not link to the event before it: that one was replaced, or
    /// events around it were removed and renumbered.
    LinkBroken { seq: i64 },
}

impl ChainProblem {
    /// The sequence number of the event the problem shows at.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Altered { seq } | Self::Reordered { seq, .. } | Self::LinkBroken { seq } => *seq,
            Self::Missing { first, .. } => *first,
        }
    }
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { seq } => write!(
                f,
                "event {seq} was altered: its contents no longer match its hash"
            ),
            Self::Missing { first, next } if next - first == 1 => write!(
                f,
                "event {first} is missing: the sequence jumps from {} to {next}",
                first - 1
            ),
            Self::Missing { first, next } => write!(
                f,
                "events {first} to {} are missing: the sequence jumps from {} to {next}",
                next - 1,
                first - 1
            ),
            Self::Reordered { seq, links_to } => write!(
                f,
                "event {seq} is out of order: it follows event {links_to}, which is stored after it"
            ),
            Self::LinkBroken { seq } => write!(
                f,
                "event {seq} does not link to event {}: the event before it was replaced or removed",
                seq - 1
            ),
        }
    }
}

/// Checks a trail one event at a time, oldest first, looking one event ahead so a
/// swap can be told from a removal. Feed it with [`ChainVerifier::push`], then call
/// [`ChainVerifier::finish`].
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    pending: Option<EventRecord>,
    verified: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            pending: None,
            verified: 0,
        }
    }
}

impl ChainVerifier {
    /// A verifier for a trail that starts at the genesis event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next event of the trail; fails at the first broken event.
    pub fn push(&mut self, next: EventRecord) -> Result<(), ChainProblem> {
        match self.pending.take() {
            Some(current) => {
                let result = self.check(&current, Some(&next));
                self.pending = Some(next);
                result
            }
            None => {
                self.pending = Some(next);
                Ok(())
            }
        }
    }

    /// Checks the last event and returns how many events verified.
    ///
    /// The chain cannot show that its newest events were removed: a trail cut short
    /// is still a valid chain. Compare the count and last hash with an earlier run or
    /// an exported copy to notice that.
    pub fn finish(&mut self) -> Result<u64, ChainProblem> {
        if let Some(last) = self.pending.take() {
            self.check(&last, None)?;
        }
        Ok(self.verified)
    }

    /// How many events verified so far.
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// The hash of the last event verified so far (the genesis value before any).
    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }

    fn check(
        &mut self,
        event: &EventRecord,
        next: Option<&EventRecord>,
    ) -> Result<(), ChainProblem> {
        let seq = event.seq;
        if seq > self.expected_seq {
            return Err(ChainProblem::Missing {
                first: self.expected_seq,
                next: seq,
            });
        }
        if seq < self.expected_seq || event.prev_hash != self.prev_hash {
            return Err(match next {
                Some(n) if n.hash == event.prev_hash => ChainProblem::Reordered {
                    seq,
                    links_to: n.seq,
                },
                _ => ChainProblem::LinkBroken { seq },
            });
        }
        if event_hash(event) != event.hash {
            return Err(ChainProblem::Altered { seq });
        }
        self.prev_hash.clone_from(&event.hash);
        self.expected_seq += 1;
        self.verified += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<EventRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut record = EventRecord {
                    seq,
                    at_micros: 1_000 * seq,
                    actor_kind: "system".to_owned(),
                    actor_id: None,
                    actor_name: None,
                    source: None,
                    action: "test.appended".to_owned(),
                    tenant: None,
                    project: None,
                    run: None,
                    reason: None,
                    outcome: "success".to_owned(),
                    details: format!(r#"{{"n":{seq}}}"#),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                record.hash = event_hash(&record);
                prev.clone_from(&record.hash);
                record
            })
            .collect()
    }

    fn verify(events: Vec<EventRecord>) -> Result<u64, ChainProblem> {
        let mut verifier = ChainVerifier::new();
        for event in events {
            verifier.push(event)?;
        }
        verifier.finish()
    }

    #[test]
    fn an_intact_chain_verifies_every_event() {
        assert_eq!(verify(chain(5)), Ok(5));
        assert_eq!(verify(Vec::new()), Ok(0));
    }

    #[test]
    fn a_changed_detail_is_reported_as_altered() {
        let mut events = chain(5);
        events[2].details = r#"{"n":99}"#.to_owned();

        assert_eq!(verify(events), Err(ChainProblem::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_event_is_reported_as_missing() {
        let mut events = chain(5);
        events.remove(0);

        assert_eq!(
            verify(events),
            Err(ChainProblem::Missing { first: 1, next: 2 })
        );
    }

    #[test]
    fn swapped_events_are_reported_as_reordered() {
        let mut events = chain(5);
        events.swap(1, 2);
        let (a, b) = (events[1].seq, events[2].seq);
        events[1].seq = b;
        events[2].seq = a;

        assert_eq!(
            verify(events),
            Err(ChainProblem::Reordered {
                seq: 2,
                links_to: 3
            })
        );
    }

    #[test]
    fn a_rehashed_replacement_breaks_the_next_link() {
        let mut events = chain(5);
        events[1].details = r#"{"n":42}"#.to_owned();
        events[1].hash = event_hash(&events[1]);

        assert_eq!(verify(events), Err(ChainProblem::LinkBroken { seq: 3 }));
    }
}
