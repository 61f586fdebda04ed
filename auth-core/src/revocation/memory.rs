//! [`MemoryStore`]: the in-process revocation list of hawkapi-auth, without its O(n)
//! sweep.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{PoisonError, RwLock};

use crate::{Clock, RevocationStore, StoreError};

/// Revocations held in this process's memory.
///
/// Lookups are O(1) however many entries there are; each entry is dropped once its token
/// has expired, by an expiry queue that is drained a little on every
/// [`revoke`](RevocationStore::revoke) (and by [`purge`](Self::purge), for a periodic
/// task), so nothing ever scans the whole list. An entry costs about 50–90 bytes.
///
/// Revocations are lost on restart and are not seen by other processes: use the SQLite
/// or Redis store when either matters.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use auth_core::{MemoryStore, RevocationStore};
///
/// let store = MemoryStore::new();
/// store.revoke("0123456789abcdef0123456789abcdef", u64::MAX).await.unwrap();
/// assert!(store.is_revoked("0123456789abcdef0123456789abcdef").await.unwrap());
/// # });
/// ```
pub struct MemoryStore {
    inner: RwLock<Inner>,
    clock: Clock,
    hasher: (RandomState, RandomState),
}

#[derive(Default)]
struct Inner {
    /// Compact id -> expiry (Unix seconds, u32 until 2106, saturated after).
    entries: HashMap<Id, u32>,
    /// Min-heap on expiry; stale items (re-revoked ids) are skipped when popped.
    queue: BinaryHeap<Reverse<(u32, Id)>>,
}

/// 128 bits identify an entry: the jti itself when it is hawkapi-auth's 32 lowercase hex
/// characters (the common case), otherwise two independent keyed hashes of it.
type Id = [u8; 16];

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
            inner: RwLock::new(Inner::default()),
            clock,
            hasher: (RandomState::new(), RandomState::new()),
        }
    }

    /// Number of entries held, expired ones not yet purged included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// True when no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry; returns how many were dropped. Cost is proportional to
    /// the number dropped, not to the size of the store.
    pub fn purge(&self) -> usize {
        let now = clamp(self.clock.now());
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.purge(now, usize::MAX)
    }

    fn id(&self, jti: &str) -> Id {
        if let Some(id) = parse_hex128(jti) {
            return id;
        }
        let a = self.hasher.0.hash_one(jti).to_le_bytes();
        let b = self.hasher.1.hash_one(jti).to_le_bytes();
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&a);
        id[8..].copy_from_slice(&b);
        id
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

impl Inner {
    /// Pops at most `budget` expired items off the queue.
    fn purge(&mut self, now: u32, budget: usize) -> usize {
        let mut dropped = 0;
        for _ in 0..budget {
            match self.queue.peek() {
                Some(Reverse((exp, _))) if *exp <= now => {}
                _ => break,
            }
            let Some(Reverse((exp, id))) = self.queue.pop() else {
                break;
            };
            // Only drop the entry if this queue item is its current expiry.
            if self.entries.get(&id) == Some(&exp) {
                self.entries.remove(&id);
                dropped += 1;
            }
        }
        if self.queue.capacity() > 64 && self.queue.len() < self.queue.capacity() / 4 {
            self.queue.shrink_to(self.queue.len() * 2);
            self.entries.shrink_to(self.entries.len() * 2);
        }
        dropped
    }
}

/// Expired items drained per `revoke`: more than one, so the queue shrinks faster than
/// it grows under any steady load.
const PURGE_PER_REVOKE: usize = 8;

impl RevocationStore for MemoryStore {
    async fn revoke(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        let now = clamp(self.clock.now());
        let exp = clamp(expires_at);
        let id = self.id(jti);
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.purge(now, PURGE_PER_REVOKE);
        if exp <= now {
            return Ok(()); // already expired: nothing to remember
        }
        let current = inner.entries.entry(id).or_insert(0);
        if exp > *current {
            *current = exp;
            inner.queue.push(Reverse((exp, id)));
        }
        Ok(())
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let now = clamp(self.clock.now());
        let id = self.id(jti);
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.entries.get(&id).is_some_and(|exp| *exp > now))
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

fn clamp(t: u64) -> u32 {
    u32::try_from(t).unwrap_or(u32::MAX)
}

fn parse_hex128(s: &str) -> Option<Id> {
    let bytes = s.as_bytes();
    if bytes.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Lowercase only, so that two distinct jti strings never share an id.
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    const NOW: u64 = 1_000_000;

    #[test]
    fn revoked_until_expiry_then_forgotten() {
        let clock = Clock::manual(NOW);
        let store = MemoryStore::with_clock(clock.clone());
        block_on(async {
            store.revoke("a", NOW + 10).await.unwrap();
            assert!(store.is_revoked("a").await.unwrap());
            assert!(!store.is_revoked("b").await.unwrap());
            clock.advance(10);
            assert!(!store.is_revoked("a").await.unwrap());
            assert_eq!(store.purge(), 1);
            assert!(store.is_empty());
        });
    }

    #[test]
    fn already_expired_entries_are_not_stored() {
        let store = MemoryStore::with_clock(Clock::manual(NOW));
        block_on(store.revoke("a", NOW)).unwrap();
        assert!(store.is_empty());
    }

    #[test]
    fn re_revoking_extends_and_stale_queue_items_do_not_drop_it() {
        let clock = Clock::manual(NOW);
        let store = MemoryStore::with_clock(clock.clone());
        block_on(async {
            store.revoke("a", NOW + 5).await.unwrap();
            store.revoke("a", NOW + 50).await.unwrap();
            store.revoke("a", NOW + 20).await.unwrap(); // shorter: ignored
            clock.advance(30);
            assert_eq!(store.purge(), 0);
            assert!(store.is_revoked("a").await.unwrap());
        });
    }

    #[test]
    fn revoke_drains_expired_entries_incrementally() {
        let clock = Clock::manual(NOW);
        let store = MemoryStore::with_clock(clock.clone());
        block_on(async {
            for i in 0..100 {
                store.revoke(&format!("t{i}"), NOW + 1).await.unwrap();
            }
            clock.advance(2);
            for i in 0..20 {
                store.revoke(&format!("n{i}"), NOW + 100).await.unwrap();
            }
            // 20 revokes drained 8 each: all 100 expired entries are gone.
            assert_eq!(store.len(), 20);
        });
    }

    #[test]
    fn hex_and_other_ids_do_not_collide() {
        let store = MemoryStore::new();
        let lower = "0123456789abcdef0123456789abcdef";
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        assert_eq!(store.id(lower), store.id(lower));
        assert_ne!(store.id(lower), store.id(upper));
        assert_eq!(parse_hex128(upper), None);
        assert_eq!(parse_hex128("zz"), None);
    }
}
