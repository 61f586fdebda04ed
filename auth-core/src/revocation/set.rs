//! [`RevocationSet`]: revoked tokens, families and subject cutoffs held in memory, with
//! expiry. The in-memory store and every issuer's local view are built on it.

use std::collections::HashMap;

use super::expiring::{ExpiringSet, IdHasher};
use crate::Revocation;

/// Expired entries dropped per write: more than one, so the structures shrink faster
/// than they grow under any steady load.
const PURGE_PER_WRITE: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct RevocationSet {
    hasher: IdHasher,
    tokens: ExpiringSet,
    families: ExpiringSet,
    /// Subject -> (cutoff, `expires_at`). Subject revocations are rare ("log out
    /// everywhere"); expired ones are swept when the map has doubled since the last sweep,
    /// which keeps the cost amortised O(1) per write.
    subjects: HashMap<String, (u64, u64)>,
    subjects_after_sweep: usize,
}

impl RevocationSet {
    pub(crate) fn apply(&mut self, revocation: &Revocation, now: u64) {
        match revocation {
            Revocation::Token { jti, expires_at } => {
                self.tokens.purge(now, PURGE_PER_WRITE);
                self.tokens.insert(self.hasher.id(jti), *expires_at, now);
            }
            Revocation::Family { family, expires_at } => {
                self.families.purge(now, PURGE_PER_WRITE);
                self.families
                    .insert(self.hasher.id(family), *expires_at, now);
            }
            Revocation::Subject {
                subject,
                cutoff,
                expires_at,
            } => {
                if self.subjects.len() >= 2 * self.subjects_after_sweep.max(32) {
                    self.subjects.retain(|_, (_, exp)| *exp > now);
                    self.subjects_after_sweep = self.subjects.len();
                }
                if *expires_at <= now {
                    return;
                }
                let entry = self.subjects.entry(subject.clone()).or_insert((0, 0));
                // A cutoff only moves forward; its expiry only extends.
                entry.0 = entry.0.max(*cutoff);
                entry.1 = entry.1.max(*expires_at);
            }
        }
    }

    pub(crate) fn token_revoked(&self, jti: &str, now: u64) -> bool {
        self.tokens.contains(&self.hasher.id(jti), now)
    }

    pub(crate) fn family_revoked(&self, family: &str, now: u64) -> bool {
        self.families.contains(&self.hasher.id(family), now)
    }

    /// True when a token of `subject` issued at `issued_at` is cut off.
    pub(crate) fn subject_cut_off(&self, subject: &str, issued_at: u64, now: u64) -> bool {
        self.subjects
            .get(subject)
            .is_some_and(|(cutoff, exp)| *exp > now && issued_at <= *cutoff)
    }

    /// The cutoff in force for `subject`, if any.
    pub(crate) fn subject_cutoff(&self, subject: &str, now: u64) -> Option<u64> {
        self.subjects
            .get(subject)
            .filter(|(_, exp)| *exp > now)
            .map(|(cutoff, _)| *cutoff)
    }

    /// Drops every expired entry.
    pub(crate) fn purge(&mut self, now: u64) -> usize {
        let before = self.subjects.len();
        self.subjects.retain(|_, (_, exp)| *exp > now);
        self.subjects_after_sweep = self.subjects.len();
        self.tokens.purge(now, usize::MAX) + self.families.purge(now, usize::MAX) + before
            - self.subjects.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.tokens.len() + self.families.len() + self.subjects.len()
    }

    /// Empties the set (before a full resynchronisation).
    pub(crate) fn clear(&mut self) {
        self.tokens = ExpiringSet::default();
        self.families = ExpiringSet::default();
        self.subjects.clear();
        self.subjects_after_sweep = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    #[test]
    fn tokens_families_and_subjects() {
        let mut s = RevocationSet::default();
        s.apply(
            &Revocation::Token {
                jti: "j".into(),
                expires_at: NOW + 10,
            },
            NOW,
        );
        s.apply(
            &Revocation::Family {
                family: "f".into(),
                expires_at: NOW + 10,
            },
            NOW,
        );
        s.apply(
            &Revocation::Subject {
                subject: "u".into(),
                cutoff: NOW,
                expires_at: NOW + 10,
            },
            NOW,
        );
        assert!(s.token_revoked("j", NOW) && !s.token_revoked("k", NOW));
        assert!(s.family_revoked("f", NOW) && !s.family_revoked("g", NOW));
        assert!(s.subject_cut_off("u", NOW, NOW), "issued at the cutoff");
        assert!(
            !s.subject_cut_off("u", NOW + 1, NOW),
            "issued after the cutoff"
        );
        assert!(!s.subject_cut_off("v", 0, NOW));
        assert_eq!(s.len(), 3);
        assert!(!s.token_revoked("j", NOW + 10), "expired");
        assert_eq!(s.purge(NOW + 10), 3);
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn subject_cutoffs_only_move_forward() {
        let mut s = RevocationSet::default();
        s.apply(
            &Revocation::Subject {
                subject: "u".into(),
                cutoff: NOW,
                expires_at: NOW + 100,
            },
            NOW,
        );
        s.apply(
            &Revocation::Subject {
                subject: "u".into(),
                cutoff: NOW - 50,
                expires_at: NOW + 10,
            },
            NOW,
        );
        assert_eq!(s.subject_cutoff("u", NOW), Some(NOW));
        assert_eq!(
            s.subject_cutoff("u", NOW + 50),
            Some(NOW),
            "expiry was not shortened"
        );
    }

    #[test]
    fn subject_sweeps_keep_the_map_bounded() {
        let mut s = RevocationSet::default();
        for i in 0..1000u64 {
            let now = NOW + i;
            s.apply(
                &Revocation::Subject {
                    subject: format!("u{i}"),
                    cutoff: now,
                    expires_at: now + 5,
                },
                now,
            );
        }
        assert!(s.subjects.len() < 80, "{}", s.subjects.len());
    }
}
