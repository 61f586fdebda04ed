//! [`TokenCache`]: access tokens that verified, so that the same token sent again (a
//! client sends one access token on every request until it expires) skips the signature
//! check and the JSON parsing.
//!
//! A hit never extends a token's life: the caller re-checks `exp`, `nbf`, `iat` and the
//! revocation view on every hit. Only tokens that verified are inserted, keyed by their
//! whole text (signature included), so a hit means these exact bytes verified before
//! with a key that is still configured (the cache is cleared when keys change).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use crate::Claims;

/// Shards spread the lock: a cache shared by every worker must not serialise them.
const SHARDS: usize = 16;
/// Bookkeeping counted per entry on top of the token text and the claims.
const ENTRY_OVERHEAD: usize = 128;

pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    max_entries_per_shard: usize,
    max_bytes_per_shard: usize,
    /// Per-process random key of the token hash.
    seed: u64,
}

/// Entries keyed by the token's 64-bit hash, computed once per lookup (a hit is on the
/// path of every request). The entry keeps the whole token: a hit requires equal text,
/// so a hash collision can only cause a miss, never wrong claims.
#[derive(Default)]
struct Shard {
    map: HashMap<u64, Entry, BuildHasherDefault<PassThrough>>,
    bytes: usize,
}

/// Cached claims and the memory they were charged.
struct Entry {
    token: Box<str>,
    claims: Arc<Claims>,
    cost: usize,
}

/// The map's hasher: the key already is a well-mixed hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("max_entries", &(self.max_entries_per_shard * SHARDS))
            .field("max_bytes", &(self.max_bytes_per_shard * SHARDS))
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache of at most `max_entries` tokens and about `max_bytes` of memory; `None`
    /// when `max_entries` is zero (caching off).
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Option<Self> {
        if max_entries == 0 || max_bytes == 0 {
            return None;
        }
        Some(Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            max_entries_per_shard: max_entries.div_ceil(SHARDS),
            max_bytes_per_shard: max_bytes.div_ceil(SHARDS),
            seed: RandomState::new().hash_one(0u64) | 1,
        })
    }

    /// A fast keyed hash of the token. Only tokens that verified are ever inserted, so
    /// nobody can fill the cache with chosen colliding keys; and a collision costs a
    /// miss, nothing more.
    fn hash(&self, token: &str) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let bytes = token.as_bytes();
        let mut h = self.seed ^ (bytes.len() as u64).wrapping_mul(K);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(word))
                .wrapping_mul(K)
                .rotate_left(31);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
        // Final avalanche (from SplitMix64), so the shard bits depend on every byte.
        h ^= h >> 30;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 27;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }

    fn shard(&self, hash: u64) -> &Mutex<Shard> {
        // The top bits pick the shard; the map uses the whole hash.
        &self.shards[usize::try_from(hash >> 60).unwrap_or(0) % SHARDS]
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Claims>> {
        let hash = self.hash(token);
        let shard = self
            .shard(hash)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard
            .map
            .get(&hash)
            .filter(|e| *e.token == *token)
            .map(|e| e.claims.clone())
    }

    pub(crate) fn insert(&self, token: &str, claims: Arc<Claims>) {
        let cost = cost(token, &claims);
        if cost > self.max_bytes_per_shard {
            return;
        }
        let hash = self.hash(token);
        let mut shard = self
            .shard(hash)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match shard.map.get(&hash) {
            Some(e) if *e.token == *token => return,
            // Another token with the same hash: the newer one takes the slot.
            Some(_) => {
                if let Some(old) = shard.map.remove(&hash) {
                    shard.bytes = shard.bytes.saturating_sub(old.cost);
                }
            }
            None => {}
        }
        // Evict arbitrary entries (the table's first: in effect random, as keys are
        // hashed with a random key) until the new one fits. O(1) per eviction.
        while shard.map.len() >= self.max_entries_per_shard
            || shard.bytes + cost > self.max_bytes_per_shard
        {
            let Some(victim) = shard.map.keys().next().copied() else {
                break;
            };
            if let Some(evicted) = shard.map.remove(&victim) {
                shard.bytes = shard.bytes.saturating_sub(evicted.cost);
            }
        }
        shard.map.insert(
            hash,
            Entry {
                token: token.into(),
                claims,
                cost,
            },
        );
        shard.bytes += cost;
    }

    pub(crate) fn clear(&self) {
        for shard in &*self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.map.clear();
            shard.bytes = 0;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).map.len())
            .sum()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).bytes)
            .sum()
    }
}

/// Approximate memory of one entry: the token (the key), the parsed claims and
/// bookkeeping. Parsed JSON takes far more room than its text (an array of small
/// numbers: 32 bytes a number), so the claims are measured, not guessed from the token.
fn cost(token: &str, claims: &Claims) -> usize {
    token.len() + claims_bytes(claims) + ENTRY_OVERHEAD
}

fn claims_bytes(c: &Claims) -> usize {
    size_of::<Claims>()
        + c.sub.len()
        + c.jti.len()
        + c.fam.as_ref().map_or(0, String::len)
        + c.iss.as_ref().map_or(0, String::len)
        + c.aud.as_ref().map_or(0, |a| {
            a.as_slice()
                .iter()
                .map(|s| s.len() + size_of::<String>())
                .sum()
        })
        + c.scopes.iter().map(|s| s.len() + 48).sum::<usize>()
        + object_bytes(&c.extra)
}

fn object_bytes(map: &serde_json::Map<String, serde_json::Value>) -> usize {
    // Per member: the key, its node in the map, and the value.
    map.iter().map(|(k, v)| k.len() + 64 + value_bytes(v)).sum()
}

fn value_bytes(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    size_of::<Value>()
        + match v {
            Value::String(s) => s.len(),
            Value::Array(items) => items.iter().map(value_bytes).sum(),
            Value::Object(map) => object_bytes(map),
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Issuer, IssuerConfig};

    fn claims() -> Arc<Claims> {
        let issuer =
            Issuer::new(IssuerConfig::hs256("cache-test-secret-cache-test-secret!!")).unwrap();
        Arc::new(
            issuer
                .verify_access(&issuer.issue_access("u", &()).unwrap())
                .unwrap(),
        )
    }

    #[test]
    fn zero_means_off() {
        assert!(TokenCache::new(0, 1 << 20).is_none());
    }

    #[test]
    fn holds_and_clears() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let c = claims();
        cache.insert("t1", c.clone());
        assert!(Arc::ptr_eq(&cache.get("t1").unwrap(), &c));
        assert!(cache.get("t2").is_none());
        cache.clear();
        assert!(cache.get("t1").is_none());
    }

    #[test]
    fn entry_and_byte_bounds_hold() {
        let cache = TokenCache::new(64, 1 << 30).unwrap();
        let c = claims();
        for i in 0..10_000 {
            cache.insert(&format!("token-{i}"), c.clone());
        }
        assert!(cache.len() <= 64, "{}", cache.len());

        let cache = TokenCache::new(1_000_000, 16 * 4096).unwrap();
        for i in 0..10_000 {
            cache.insert(&format!("{i:01000}"), c.clone());
        }
        // 16 shards of 4 KiB, each entry over 1 KiB: at most three per shard.
        assert!(cache.len() <= 48, "{}", cache.len());
        assert!(cache.bytes() <= 16 * 4096);
        // An entry larger than a shard is never stored.
        cache.insert(&"x".repeat(10_000), c);
        assert!(cache.get(&"x".repeat(10_000)).is_none());
    }

    #[test]
    fn a_hash_collision_is_a_miss_never_the_wrong_claims() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let c = claims();
        // Plant token A under the hash of token B, as a collision would.
        let hash_b = cache.hash("token-b");
        cache.shard(hash_b).lock().unwrap().map.insert(
            hash_b,
            Entry {
                token: "token-a".into(),
                claims: c.clone(),
                cost: 1,
            },
        );
        assert!(cache.get("token-b").is_none());
        // Inserting B replaces A in that slot.
        cache.insert("token-b", c);
        assert!(cache.get("token-b").is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_hash_spreads_over_the_shards() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let mut per_shard = [0usize; SHARDS];
        for i in 0..16_000 {
            per_shard[usize::try_from(cache.hash(&format!("eyJhbGciOiJIUzI1NiJ9.{i}")) >> 60)
                .unwrap()] += 1;
        }
        assert!(
            per_shard.iter().all(|n| (700..1300).contains(n)),
            "{per_shard:?}"
        );
    }

    #[test]
    fn parsed_claims_are_charged_at_their_real_size() {
        // A small token can hold claims that take much more room once parsed: 2900 zeros
        // are 5.8 KB of JSON but about 93 KB of `serde_json::Value`s.
        let issuer =
            Issuer::new(IssuerConfig::hs256("cache-test-secret-cache-test-secret!!")).unwrap();
        let token = issuer
            .issue_access("u", &serde_json::json!({"zeros": vec![0; 2900]}))
            .unwrap();
        let claims = Arc::new(issuer.verify_access(&token).unwrap());
        assert!(claims_bytes(&claims) > 90_000, "{}", claims_bytes(&claims));
        let cache = TokenCache::new(1_000_000, 1 << 20).unwrap();
        for i in 0..1000 {
            cache.insert(&format!("{token}{i}"), claims.clone());
        }
        assert!(cache.bytes() <= 1 << 20, "{}", cache.bytes());
        assert!(cache.len() <= 16, "{}", cache.len());
    }
}
