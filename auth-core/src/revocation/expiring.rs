//! [`ExpiringSet`]: ids remembered until a deadline, with O(1) lookups and expiry that
//! never scans the whole set.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hasher, RandomState};

/// 128 bits identify an entry: the id itself when it is 32 lowercase hex characters (our
/// `jti` and family ids, and hawkapi-auth's), otherwise two independent keyed hashes of it.
pub(crate) type Id = [u8; 16];

/// Maps ids to expiry times (Unix seconds, stored as `u32`: good until 2106, saturated
/// after). About 50–90 bytes an entry, hash table and expiry queue together.
#[derive(Debug, Default)]
pub(crate) struct ExpiringSet {
    entries: HashMap<Id, u32, IdBuildHasher>,
    /// Min-heap on expiry; stale items (an id re-inserted with a later expiry) are
    /// skipped when popped.
    queue: BinaryHeap<Reverse<(u32, Id)>>,
}

impl ExpiringSet {
    /// Remembers `id` until `expires_at`; a later expiry extends, an earlier one is
    /// ignored, an expiry already past (`<= now`) is not stored.
    pub(crate) fn insert(&mut self, id: Id, expires_at: u64, now: u64) {
        let exp = clamp(expires_at);
        if exp <= clamp(now) {
            return;
        }
        let current = self.entries.entry(id).or_insert(0);
        if exp > *current {
            *current = exp;
            self.queue.push(Reverse((exp, id)));
        }
    }

    /// True when `id` is held and not expired at `now`.
    pub(crate) fn contains(&self, id: &Id, now: u64) -> bool {
        self.entries
            .get(id)
            .is_some_and(|exp| u64::from(*exp) > now)
    }

    /// Number of entries, expired ones not yet purged included.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops at most `budget` expired entries; returns how many were dropped. Cost is
    /// proportional to the number dropped, not to the size of the set.
    pub(crate) fn purge(&mut self, now: u64, budget: usize) -> usize {
        let now = clamp(now);
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

/// Turns ids into [`Id`]s; the hash keys are random per process, so only equality within
/// one process means anything.
#[derive(Debug, Default)]
pub(crate) struct IdHasher(RandomState, RandomState);

impl IdHasher {
    pub(crate) fn id(&self, s: &str) -> Id {
        if let Some(id) = parse_hex128(s) {
            return id;
        }
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.0.hash_one(s).to_le_bytes());
        id[8..].copy_from_slice(&self.1.hash_one(s).to_le_bytes());
        id
    }
}

/// The tables' hasher. An [`Id`] already is 128 well-spread bits (a random `jti` or a
/// keyed hash of one), so a keyed multiply that folds them into 64 bits is enough; std's
/// SipHash-1-3 (`RandomState`) was a fifth of a revocation check. The keys are random
/// per process, and ids come from verified tokens, so nobody picks them to collide.
#[derive(Debug, Clone)]
pub(crate) struct IdBuildHasher {
    seed: u64,
    multiplier: u64,
}

impl Default for IdBuildHasher {
    fn default() -> Self {
        let keys = RandomState::new();
        Self {
            seed: keys.hash_one(0u8),
            // Odd, so that the multiply loses no bits.
            multiplier: keys.hash_one(1u8) | 1,
        }
    }
}

impl BuildHasher for IdBuildHasher {
    type Hasher = IdHash;

    fn build_hasher(&self) -> IdHash {
        IdHash {
            state: self.seed,
            multiplier: self.multiplier,
        }
    }
}

/// See [`IdBuildHasher`].
#[derive(Debug)]
pub(crate) struct IdHash {
    state: u64,
    multiplier: u64,
}

impl IdHash {
    /// Folded multiply: the high and low halves of the 128-bit product, combined by exclusive or.
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(self.multiplier);
        // Truncations on purpose: the two halves.
        self.state = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for IdHash {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
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

/// Lowercase only, so that two distinct id strings never share an [`Id`].
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

    const NOW: u64 = 1_000_000;

    #[test]
    fn the_table_hash_depends_on_every_bit_of_an_id() {
        let build = IdBuildHasher::default();
        let id: Id = *b"0123456789abcdef";
        let base = build.hash_one(id);
        for bit in 0..128 {
            let mut other = id;
            other[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(build.hash_one(other), base, "bit {bit}");
        }
        // Sequential ids (the worst case for a weak mix) spread over a table's buckets:
        // the low 10 bits of 4096 hashes take nearly all 1024 values.
        let buckets: std::collections::HashSet<u64> = (0u128..4096)
            .map(|i| build.hash_one(i.to_le_bytes()) & 1023)
            .collect();
        assert!(buckets.len() > 950, "{} of 1024 buckets", buckets.len());
    }

    #[test]
    fn held_until_expiry_then_purged() {
        let h = IdHasher::default();
        let mut s = ExpiringSet::default();
        s.insert(h.id("a"), NOW + 10, NOW);
        assert!(s.contains(&h.id("a"), NOW));
        assert!(!s.contains(&h.id("b"), NOW));
        assert!(!s.contains(&h.id("a"), NOW + 10));
        assert_eq!(s.purge(NOW + 10, usize::MAX), 1);
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn past_expiries_are_not_stored_and_later_ones_extend() {
        let h = IdHasher::default();
        let mut s = ExpiringSet::default();
        s.insert(h.id("a"), NOW, NOW);
        assert_eq!(s.len(), 0);
        s.insert(h.id("a"), NOW + 5, NOW);
        s.insert(h.id("a"), NOW + 50, NOW);
        s.insert(h.id("a"), NOW + 20, NOW);
        assert_eq!(
            s.purge(NOW + 30, usize::MAX),
            0,
            "the stale queue item does not drop it"
        );
        assert!(s.contains(&h.id("a"), NOW + 30));
    }

    #[test]
    fn purge_is_bounded_by_its_budget() {
        let h = IdHasher::default();
        let mut s = ExpiringSet::default();
        for i in 0..100 {
            s.insert(h.id(&format!("t{i}")), NOW + 1, NOW);
        }
        assert_eq!(s.purge(NOW + 2, 8), 8);
        assert_eq!(s.len(), 92);
    }

    #[test]
    fn hex_and_other_ids_do_not_collide() {
        let h = IdHasher::default();
        let lower = "0123456789abcdef0123456789abcdef";
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        assert_eq!(h.id(lower), h.id(lower));
        assert_ne!(h.id(lower), h.id(upper));
        assert_eq!(parse_hex128(upper), None);
        assert_eq!(parse_hex128("zz"), None);
    }
}
