//! [`TokenCache`]: access tokens that verified, so that the same token sent again (a
//! client sends one access token on every request until it expires) skips the signature
//! check and the JSON parsing.
//!
//! A hit never extends a token's life: the caller re-checks `exp`, `nbf`, `iat` and the
//! revocation view on every hit. Only tokens that verified are inserted, keyed by their
//! whole text (signature included), so a hit means these exact bytes verified before
//! with a key that is still configured (the cache is cleared when keys change).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
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
    hasher: RandomState,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Box<str>, Entry>,
    bytes: usize,
}

/// Cached claims and the memory they were charged.
struct Entry {
    claims: Arc<Claims>,
    cost: usize,
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
            hasher: RandomState::new(),
        })
    }

    fn shard(&self, token: &str) -> &Mutex<Shard> {
        // Low bits of an independent hash pick the shard; the map rehashes inside.
        let index = usize::try_from(self.hasher.hash_one(token) % SHARDS as u64).unwrap_or(0);
        &self.shards[index]
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Claims>> {
        let shard = self
            .shard(token)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard.map.get(token).map(|e| e.claims.clone())
    }

    pub(crate) fn insert(&self, token: &str, claims: Arc<Claims>) {
        let cost = cost(token, &claims);
        if cost > self.max_bytes_per_shard {
            return;
        }
        let mut shard = self
            .shard(token)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if shard.map.contains_key(token) {
            return;
        }
        // Evict arbitrary entries (the table's first: in effect random, as keys are
        // hashed with a random key) until the new one fits. O(1) per eviction.
        while shard.map.len() >= self.max_entries_per_shard
            || shard.bytes + cost > self.max_bytes_per_shard
        {
            let Some(victim) = shard.map.keys().next().cloned() else {
                break;
            };
            if let Some(evicted) = shard.map.remove(&victim) {
                shard.bytes = shard.bytes.saturating_sub(evicted.cost);
            }
        }
        shard.map.insert(token.into(), Entry { claims, cost });
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
