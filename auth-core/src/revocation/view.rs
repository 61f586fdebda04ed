//! [`View`]: the revocations an issuer checks access tokens against, in memory, kept
//! current from the store's change feed.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::set::RevocationSet;
use crate::{Claims, Cursor, Revocation, StoreError, TokenError};

/// What access-token checks do when the local view of a shared store is stale (the store
/// has not been reachable for longer than the configured bound).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StalePolicy {
    /// Refuse access tokens (503) until the view is current again: no revocation can be
    /// missed. The default.
    #[default]
    FailClosed,
    /// Keep checking against the stale view: availability over consistency. Revocations
    /// made elsewhere during the outage are not seen until the store is back.
    ServeStale,
}

pub(crate) struct View {
    set: RwLock<RevocationSet>,
    /// Milliseconds since `epoch` of the last successful contact with the store.
    last_sync_ms: AtomicU64,
    epoch: Instant,
    /// False for stores no other process writes to: the view is then always current.
    shared: bool,
    max_staleness: Duration,
    policy: StalePolicy,
    cursor: Mutex<Cursor>,
    warned_stale: AtomicU64,
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View")
            .field("shared", &self.shared)
            .field("max_staleness", &self.max_staleness)
            .field("policy", &self.policy)
            .field("age", &self.age())
            .finish_non_exhaustive()
    }
}

impl View {
    pub(crate) fn new(shared: bool, max_staleness: Duration, policy: StalePolicy) -> Self {
        Self {
            set: RwLock::new(RevocationSet::default()),
            last_sync_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            shared,
            max_staleness,
            policy,
            cursor: Mutex::new(Cursor::default()),
            warned_stale: AtomicU64::new(0),
        }
    }

    pub(crate) fn is_shared(&self) -> bool {
        self.shared
    }

    /// Time since the store last answered (zero for unshared stores).
    pub(crate) fn age(&self) -> Duration {
        if !self.shared {
            return Duration::ZERO;
        }
        let now = self.epoch.elapsed().as_millis();
        Duration::from_millis(
            u64::try_from(now)
                .unwrap_or(u64::MAX)
                .saturating_sub(self.last_sync_ms.load(Ordering::Acquire)),
        )
    }

    pub(crate) fn mark_fresh(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_sync_ms.store(now, Ordering::Release);
        self.warned_stale.store(0, Ordering::Relaxed);
    }

    pub(crate) fn apply(&self, revocations: &[Revocation], now: u64) {
        if revocations.is_empty() {
            return;
        }
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        for r in revocations {
            set.apply(r, now);
        }
    }

    /// Replaces the whole view (after a snapshot).
    pub(crate) fn reset(&self, revocations: &[Revocation], cursor: Cursor, now: u64) {
        {
            let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
            set.clear();
            for r in revocations {
                set.apply(r, now);
            }
        }
        self.set_cursor(cursor);
        self.mark_fresh();
    }

    pub(crate) fn cursor(&self) -> Cursor {
        self.cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_cursor(&self, cursor: Cursor) {
        *self.cursor.lock().unwrap_or_else(PoisonError::into_inner) = cursor;
    }

    /// Drops expired entries (for a periodic task).
    pub(crate) fn purge(&self, now: u64) -> usize {
        self.set
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .purge(now)
    }

    /// The cutoff in force for `subject`, if any.
    pub(crate) fn subject_cutoff(&self, subject: &str, now: u64) -> Option<u64> {
        self.set
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .subject_cutoff(subject, now)
    }

    /// Refuses a token that is revoked by id, family or subject cutoff, or any token when
    /// the view is too old to be trusted and the policy is to fail closed.
    pub(crate) fn check(&self, claims: &Claims, now: u64) -> Result<(), TokenError> {
        self.check_fresh()?;
        let set = self.set.read().unwrap_or_else(PoisonError::into_inner);
        let revoked = set.token_revoked(&claims.jti, now)
            || claims
                .fam
                .as_deref()
                .is_some_and(|f| set.family_revoked(f, now))
            || set.subject_cut_off(&claims.sub, claims.iat, now);
        if revoked {
            Err(TokenError::Revoked)
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_fresh(&self) -> Result<(), TokenError> {
        let age = self.age();
        if age <= self.max_staleness {
            return Ok(());
        }
        // Warn once per outage, not once per request.
        if self.warned_stale.swap(1, Ordering::Relaxed) == 0 {
            log::error!(
                "auth: the revocation view is {} s old (store unreachable; bound {} s); {}",
                age.as_secs(),
                self.max_staleness.as_secs(),
                match self.policy {
                    StalePolicy::FailClosed => "refusing access tokens until it is current again",
                    StalePolicy::ServeStale => "serving from the stale view (policy `serve_stale`)",
                }
            );
        }
        match self.policy {
            StalePolicy::FailClosed => Err(TokenError::Store(StoreError::Stale {
                age_secs: age.as_secs(),
            })),
            StalePolicy::ServeStale => Ok(()),
        }
    }
}
