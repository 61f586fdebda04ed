//! [`MemoryStore`]: hawkapi-auth's in-process revocation list, without its O(n) sweep,
//! plus used-token tracking for rotation.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use super::expiring::{ExpiringSet, IdHasher};
use super::set::RevocationSet;
use crate::{Clock, Consumed, RefreshStatus, RefreshUse, Revocation, RevocationStore, StoreError};

/// Revocations held in this process's memory.
///
/// Lookups are O(1) however many entries there are; each entry is dropped once its token
/// has expired, by expiry queues drained a little on every write (and by
/// [`purge`](Self::purge), for a periodic task), so nothing ever scans the whole store.
/// An entry costs about 50–90 bytes.
///
/// Everything is lost on restart and nothing is seen by other processes: this is the
/// store for a single instance (and for tests). Use the SQLite store for several
/// processes on one host, the Redis store for several hosts.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use auth_core::{MemoryStore, Revocation, RevocationStore};
///
/// let store = MemoryStore::new();
/// store.revoke(&[Revocation::Family { family: "f1".into(), expires_at: u64::MAX }]).await.unwrap();
/// # });
/// ```
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: Clock,
}

#[derive(Default)]
struct Inner {
    revoked: RevocationSet,
    used: ExpiringSet,
    used_ids: IdHasher,
}

/// Expired "used" marks dropped per consume.
const PURGE_PER_WRITE: usize = 8;

impl MemoryStore {
    /// An empty store on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(Clock::system())
    }

    /// An empty store that reads time from `clock` (for tests).
    #[must_use]
    pub fn with_clock(clock: Clock) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            clock,
        }
    }

    /// Number of entries held (revocations and used refresh tokens), expired ones not yet
    /// purged included.
    #[must_use]
    pub fn len(&self) -> usize {
        let inner = self.lock();
        inner.revoked.len() + inner.used.len()
    }

    /// True when no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry; returns how many were dropped. Cost is proportional to
    /// the number dropped (plus the number of subject cutoffs), not to the size of the
    /// store.
    pub fn purge(&self) -> usize {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.revoked.purge(now) + inner.used.purge(now, usize::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No code panics while holding the lock; if one ever did, the data is still a
        // consistent set of revocations, so keep using it rather than fail open.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn revoked(&self, t: &RefreshUse<'_>, now: u64) -> bool {
        self.revoked.token_revoked(t.jti, now)
            || self.revoked.family_revoked(t.family, now)
            || self.revoked.subject_cut_off(t.subject, t.issued_at, now)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl RevocationStore for MemoryStore {
    async fn revoke(&self, revocations: &[Revocation]) -> Result<(), StoreError> {
        let now = self.clock.now();
        let mut inner = self.lock();
        for r in revocations {
            inner.revoked.apply(r, now);
        }
        Ok(())
    }

    async fn consume(&self, t: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        let now = self.clock.now();
        let mut inner = self.lock();
        if inner.revoked(t, now) {
            return Ok(Consumed::Revoked);
        }
        let id = inner.used_ids.id(t.jti);
        if inner.used.contains(&id, now) {
            inner.revoked.apply(
                &Revocation::Family {
                    family: t.family.to_owned(),
                    expires_at: t.family_expires_at,
                },
                now,
            );
            return Ok(Consumed::Reused);
        }
        inner.used.purge(now, PURGE_PER_WRITE);
        inner.used.insert(id, t.expires_at, now);
        Ok(Consumed::Fresh)
    }

    async fn refresh_status(&self, t: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        let now = self.clock.now();
        let inner = self.lock();
        Ok(if inner.revoked(t, now) {
            RefreshStatus::Revoked
        } else if inner.used.contains(&inner.used_ids.id(t.jti), now) {
            RefreshStatus::Used
        } else {
            RefreshStatus::Usable
        })
    }

    async fn purge_expired(&self) -> Result<usize, StoreError> {
        Ok(self.purge())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
