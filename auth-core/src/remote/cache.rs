//! The key cache of one trusted issuer: what a JWKS yields, and when to fetch it again.
//!
//! State machine (times from the issuer's [`Clock`], in seconds):
//!
//! - **fresh** (`now < fetched_at + fresh_for`): keys serve; a known `kid` never causes a
//!   fetch; an unknown `kid` causes one only if the last attempt was at least
//!   `refresh_interval` ago.
//! - **expired** (past `fresh_for`, before `stale_ttl`): keys still serve; the first
//!   request that sees it (rate permitting) refreshes, while the others keep using the
//!   cached keys without waiting. A failed refresh leaves the keys in place.
//! - **gone** (`now >= fetched_at + stale_ttl`, or never fetched): nothing serves; a
//!   request triggers a fetch (rate permitting) and fails with
//!   [`TokenError::KeysUnavailable`] when there is still nothing usable.
//!
//! Every fetch runs under one async lock: requests that need keys while a fetch is in
//! flight wait for that fetch instead of starting their own, so a flood of tokens costs
//! at most one request to the provider per `refresh_interval`.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jsonwebtoken::jwk::Jwk;
use reqwest::Url;
use serde_json::Value;

use super::fetch::{FetchError, Fetcher, check_url};
use crate::algorithm::KeyFamily;
use crate::key::Key;
use crate::{Algorithm, Clock, TokenError};

/// At most this many entries of a JWKS are considered; the rest are ignored.
const MAX_JWKS_ENTRIES: usize = 100;

/// Where the keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A JWKS URL.
    Jwks(Url),
    /// An OIDC discovery document, whose `jwks_uri` is then fetched.
    Discovery(Url),
}

/// Refresh timings, in seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) refresh_interval: u64,
    pub(crate) cache_ttl: u64,
    pub(crate) stale_ttl: u64,
}

/// The usable signature keys of one JWKS.
#[derive(Debug)]
pub(crate) struct RemoteKeys {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    /// Index of the JWK it was built from (a JWK without `alg` gives one key per allowed
    /// algorithm of its family).
    jwk: usize,
    key: Key,
}

/// What a token's `kid` and `alg` find in a key set.
pub(crate) enum Lookup<'a> {
    /// The key to verify with.
    Found(&'a Key),
    /// Keys with this `kid` exist, none for this algorithm.
    WrongAlgorithm,
    /// No key with this `kid` (or, for a token without `kid`, not exactly one key
    /// without `kid`).
    Unknown,
}

impl RemoteKeys {
    /// Reads a JWKS, keeping the public signature keys of the allowed algorithms. Skipped:
    /// `oct` keys (a shared secret is never taken from a remote set), keys with private
    /// members, `use` other than `sig`, `key_ops` without `verify`, an `alg` that is not
    /// allowed, keys that `Key::from_jwk` refuses (RSA under 2048 bits, wrong curve),
    /// and entries past the 100th.
    pub(crate) fn parse(body: &[u8], algorithms: &[Algorithm]) -> Result<Self, String> {
        let doc: Value =
            serde_json::from_slice(body).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
        let Some(Value::Array(jwks)) = doc.get("keys") else {
            return Err("the JWKS has no `keys` array".into());
        };
        let mut entries: Vec<Entry> = Vec::new();
        for (index, raw) in jwks.iter().take(MAX_JWKS_ENTRIES).enumerate() {
            match usable_algorithms(raw, algorithms) {
                Ok(candidates) => {
                    let Ok(jwk) = serde_json::from_value::<Jwk>(raw.clone()) else {
                        log::debug!("auth: JWKS entry {index} skipped: not a supported JWK");
                        continue;
                    };
                    let kid = jwk.common.key_id.clone();
                    for alg in candidates {
                        // Keys without `kid` are all kept: two of them make a token
                        // without `kid` ambiguous, hence refused.
                        let duplicate = kid.is_some()
                            && entries
                                .iter()
                                .any(|e| e.key.kid == kid && e.key.algorithm == alg);
                        if duplicate {
                            log::debug!(
                                "auth: JWKS entry {index} skipped: kid {kid:?} for {alg} already seen"
                            );
                            continue;
                        }
                        match Key::from_jwk(alg, &jwk, kid.clone()) {
                            Ok(key) => entries.push(Entry { jwk: index, key }),
                            Err(e) => {
                                log::debug!("auth: JWKS entry {index} not usable for {alg}: {e}");
                            }
                        }
                    }
                }
                Err(why) => log::debug!("auth: JWKS entry {index} skipped: {why}"),
            }
        }
        if jwks.len() > MAX_JWKS_ENTRIES {
            log::warn!(
                "auth: the JWKS has {} keys; only the first {MAX_JWKS_ENTRIES} are used",
                jwks.len()
            );
        }
        if entries.is_empty() {
            return Err(format!(
                "the JWKS has no usable signature key for {}",
                algorithms
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            ));
        }
        Ok(Self { entries })
    }

    /// Number of JWKs that gave at least one usable key.
    pub(crate) fn len(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.jwk)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The key ids, for logs.
    fn kids(&self) -> BTreeSet<String> {
        self.entries
            .iter()
            .map(|e| e.key.kid.clone().unwrap_or_else(|| "(none)".into()))
            .collect()
    }

    fn candidates(&self, kid: Option<&str>) -> Vec<&Entry> {
        let keyless_jwks = if kid.is_none() {
            self.entries
                .iter()
                .filter(|e| e.key.kid.is_none())
                .map(|e| e.jwk)
                .collect::<BTreeSet<_>>()
                .len()
        } else {
            0
        };
        self.entries
            .iter()
            .filter(|e| match kid {
                Some(kid) => e.key.kid.as_deref() == Some(kid),
                // A token without `kid` may only use the one JWK without `kid`.
                None => e.key.kid.is_none() && keyless_jwks == 1,
            })
            .collect()
    }

    /// True when some key answers to `kid` (whatever its algorithm).
    pub(crate) fn knows(&self, kid: Option<&str>) -> bool {
        !self.candidates(kid).is_empty()
    }

    /// The key for a token's `kid` and `alg`.
    pub(crate) fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Lookup<'_> {
        let mut known = false;
        for entry in self.candidates(kid) {
            if entry.key.algorithm == alg {
                return Lookup::Found(&entry.key);
            }
            known = true;
        }
        if known {
            Lookup::WrongAlgorithm
        } else {
            Lookup::Unknown
        }
    }
}

/// The algorithms a raw JWK may be used with, or why it is skipped.
fn usable_algorithms(raw: &Value, allowed: &[Algorithm]) -> Result<Vec<Algorithm>, String> {
    let Value::Object(jwk) = raw else {
        return Err("not a JSON object".into());
    };
    let text = |name: &str| match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("`{name}` is not a string")),
    };
    let family = match text("kty")? {
        Some("RSA") => KeyFamily::Rsa,
        Some("EC") => KeyFamily::Ec,
        Some("OKP") if text("crv")? == Some("Ed25519") => KeyFamily::Ed,
        Some("OKP") => return Err("OKP key on a curve other than Ed25519".into()),
        Some("oct") => {
            return Err("`oct` (shared secret) keys are never taken from a remote JWKS".into());
        }
        Some(other) => return Err(format!("unsupported kty {other:?}")),
        None => return Err("no `kty`".into()),
    };
    if ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .any(|m| jwk.contains_key(*m))
    {
        return Err(
            "it publishes private key material: the provider's key is compromised, not used".into(),
        );
    }
    match text("use")? {
        None | Some("sig") => {}
        Some(other) => return Err(format!("`use` is {other:?}, not \"sig\"")),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
        if !verifies {
            return Err("`key_ops` does not include \"verify\"".into());
        }
    }
    if let Some(Value::String(kid)) = jwk.get("kid")
        && kid.is_empty()
    {
        return Err("empty `kid`".into());
    }
    match text("alg")? {
        Some(alg) => {
            let alg: Algorithm = alg
                .parse()
                .map_err(|_| format!("unsupported alg {alg:?}"))?;
            if alg.family() != family {
                return Err(format!("alg {alg} does not fit its kty"));
            }
            if !allowed.contains(&alg) {
                return Err(format!("alg {alg} is not allowed for this issuer"));
            }
            Ok(vec![alg])
        }
        None => Ok(allowed
            .iter()
            .copied()
            .filter(|a| a.family() == family)
            .collect()),
    }
}

/// What the cache knows, behind a short-lived lock (never held across an `await`).
#[derive(Default)]
struct State {
    keys: Option<Arc<RemoteKeys>>,
    /// When the current keys were fetched (start of the successful attempt).
    fetched_at: u64,
    /// How long they are fresh (the `cache_ttl`, or a smaller `max-age`).
    fresh_for: u64,
    /// Start of the last attempt, successful or not.
    last_attempt: Option<u64>,
    /// The last attempt failed.
    last_failed: bool,
    /// Number of completed attempts.
    generation: u64,
    /// `jwks_uri` from the discovery document, and when it was read.
    jwks_uri: Option<(Url, u64)>,
    /// Why the last attempt failed.
    last_error: Option<String>,
}

impl State {
    /// The keys, unless never fetched or past the stale limit.
    fn usable(&self, now: u64, stale_ttl: u64) -> Option<Arc<RemoteKeys>> {
        self.keys
            .clone()
            .filter(|_| now < self.fetched_at.saturating_add(stale_ttl))
    }

    fn expired(&self, now: u64) -> bool {
        now >= self.fetched_at.saturating_add(self.fresh_for)
    }

    /// True when the last attempt was less than `interval` ago (a clock moved back does
    /// not block attempts).
    fn rate_limited(&self, now: u64, interval: u64) -> bool {
        self.last_attempt
            .is_some_and(|t| now.checked_sub(t).is_some_and(|age| age < interval))
    }
}

/// The keys of one trusted issuer, fetched and refreshed on demand.
pub(crate) struct KeyCache {
    issuer: String,
    source: Source,
    fetcher: Fetcher,
    policy: Policy,
    algorithms: Vec<Algorithm>,
    clock: Clock,
    state: Mutex<State>,
    /// Held for the whole of each fetch: at most one in flight.
    fetch_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("KeyCache")
            .field("source", &self.source)
            .field("keys", &state.keys.as_ref().map(|k| k.kids()))
            .field("fetched_at", &state.fetched_at)
            .field("fresh_for", &state.fresh_for)
            .field("last_attempt", &state.last_attempt)
            .field("last_error", &state.last_error)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    pub(crate) fn new(
        issuer: String,
        source: Source,
        fetcher: Fetcher,
        policy: Policy,
        algorithms: Vec<Algorithm>,
        clock: Clock,
    ) -> Self {
        Self {
            issuer,
            source,
            fetcher,
            policy,
            algorithms,
            clock,
            state: Mutex::new(State::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The same cache, empty, on another clock.
    pub(crate) fn with_clock(&self, clock: Clock) -> Self {
        Self::new(
            self.issuer.clone(),
            self.source.clone(),
            self.fetcher.clone(),
            self.policy,
            self.algorithms.clone(),
            clock,
        )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key set to look a token's `kid` up in, fetching first when the rules above
    /// say so.
    ///
    /// When a `kid` is still unknown after that and the last attempt failed (the
    /// provider is down or slow), the answer is [`TokenError::KeysUnavailable`] rather
    /// than a set without it: the key may be a new one that could not be fetched.
    pub(crate) async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<RemoteKeys>, TokenError> {
        let now = self.clock.now();
        let (keys, expired, rate_limited, generation) = {
            let s = self.state();
            (
                s.usable(now, self.policy.stale_ttl),
                s.expired(now),
                s.rate_limited(now, self.policy.refresh_interval),
                s.generation,
            )
        };
        if let Some(keys) = keys
            && keys.knows(kid)
        {
            if expired && !rate_limited {
                // Refresh, but never wait behind another request's fetch: the cached key
                // serves meanwhile.
                if let Ok(guard) = self.fetch_lock.try_lock() {
                    self.fetch_if_due(&guard, generation).await;
                }
                let now = self.clock.now();
                return self
                    .state()
                    .usable(now, self.policy.stale_ttl)
                    .ok_or(TokenError::KeysUnavailable);
            }
            return Ok(keys);
        }
        // Unknown kid, or no usable keys: fetch (rate permitting), or wait for the fetch
        // in flight.
        {
            let guard = self.fetch_lock.lock().await;
            self.fetch_if_due(&guard, generation).await;
        }
        let now = self.clock.now();
        let s = self.state();
        match s.usable(now, self.policy.stale_ttl) {
            Some(keys) if keys.knows(kid) || !s.last_failed => Ok(keys),
            _ => Err(TokenError::KeysUnavailable),
        }
    }

    /// Fetches now (waiting for a fetch in flight first); returns the number of keys.
    pub(crate) async fn refresh(&self) -> Result<usize, TokenError> {
        let guard = self.fetch_lock.lock().await;
        self.fetch(&guard)
            .await
            .map_err(|_| TokenError::KeysUnavailable)
    }

    /// Fetches unless another fetch completed since `seen_generation` or the last
    /// attempt is too recent.
    async fn fetch_if_due(&self, guard: &tokio::sync::MutexGuard<'_, ()>, seen_generation: u64) {
        {
            let s = self.state();
            let now = self.clock.now();
            if s.generation != seen_generation || s.rate_limited(now, self.policy.refresh_interval)
            {
                return;
            }
        }
        let _ = self.fetch(guard).await;
    }

    /// One attempt; the caller holds the fetch lock.
    async fn fetch(&self, _guard: &tokio::sync::MutexGuard<'_, ()>) -> Result<usize, ()> {
        let started = self.clock.now();
        let previous = self.state().last_attempt.replace(started);
        // A fetch abandoned half-way (the request that ran it was dropped: its client
        // went away) does not count as an attempt, so the next request may fetch at once.
        let mut abandoned = Abandoned {
            cache: self,
            previous: Some(previous),
        };
        let result = self.fetch_keys(started).await;
        abandoned.previous = None;
        let mut s = self.state();
        s.generation += 1;
        match result {
            Ok((keys, max_age)) => {
                let count = keys.len();
                let kids = keys.kids();
                let previous = s.keys.as_ref().map(|k| k.kids());
                if previous.as_ref() != Some(&kids) {
                    log::info!(
                        "auth: trusted issuer {:?}: {count} signing key(s), kid {:?}",
                        self.issuer,
                        kids
                    );
                }
                s.keys = Some(Arc::new(keys));
                s.fetched_at = started;
                // `max-age` may shorten the cache time, never below the refresh interval.
                s.fresh_for = max_age.map_or(self.policy.cache_ttl, |age| {
                    age.clamp(self.policy.refresh_interval, self.policy.cache_ttl)
                });
                s.last_failed = false;
                s.last_error = None;
                Ok(count)
            }
            Err(e) => {
                let now = self.clock.now();
                match s.usable(now, self.policy.stale_ttl) {
                    Some(_) => log::warn!(
                        "auth: cannot refresh the keys of trusted issuer {:?}: {e}; serving the keys \
                         fetched {} s ago (for at most {} s after fetching)",
                        self.issuer,
                        now.saturating_sub(s.fetched_at),
                        self.policy.stale_ttl
                    ),
                    None => log::error!(
                        "auth: cannot fetch the keys of trusted issuer {:?}: {e}; its tokens are \
                         refused until it answers",
                        self.issuer
                    ),
                }
                s.last_failed = true;
                s.last_error = Some(e.to_string());
                Err(())
            }
        }
    }

    /// Discovery (when configured; its `jwks_uri` is reused for `cache_ttl`), then the
    /// JWKS.
    async fn fetch_keys(&self, now: u64) -> Result<(RemoteKeys, Option<u64>), FetchError> {
        let jwks_url = match &self.source {
            Source::Jwks(url) => url.clone(),
            Source::Discovery(discovery) => {
                let cached = self.state().jwks_uri.clone().filter(|(_, at)| {
                    now.checked_sub(*at)
                        .is_some_and(|age| age < self.policy.cache_ttl)
                });
                match cached {
                    Some((url, _)) => url,
                    None => {
                        let url = self.discover(discovery).await?;
                        self.state().jwks_uri = Some((url.clone(), now));
                        url
                    }
                }
            }
        };
        let fetched = match self.fetcher.get(&jwks_url).await {
            Ok(f) => f,
            Err(e) => {
                // The next attempt asks the discovery document again: the URI may have moved.
                self.state().jwks_uri = None;
                return Err(e);
            }
        };
        let keys =
            RemoteKeys::parse(&fetched.body, &self.algorithms).map_err(FetchError::Invalid)?;
        Ok((keys, fetched.max_age))
    }

    /// Reads the OIDC discovery document: its `issuer` must be the configured one
    /// (OIDC Discovery §4.3), and its `jwks_uri` must pass the URL rules.
    async fn discover(&self, url: &Url) -> Result<Url, FetchError> {
        let fetched = self.fetcher.get(url).await?;
        let doc: Value = serde_json::from_slice(&fetched.body)
            .map_err(|e| FetchError::Invalid(format!("the discovery document is not JSON: {e}")))?;
        match doc.get("issuer") {
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(Value::String(iss)) => {
                return Err(FetchError::Invalid(format!(
                    "the discovery document is for issuer {iss:?}, not {:?}",
                    self.issuer
                )));
            }
            _ => {
                return Err(FetchError::Invalid(
                    "the discovery document has no `issuer`".into(),
                ));
            }
        }
        let Some(Value::String(jwks_uri)) = doc.get("jwks_uri") else {
            return Err(FetchError::Invalid(
                "the discovery document has no `jwks_uri`".into(),
            ));
        };
        check_url(jwks_uri)
            .map_err(|why| FetchError::Invalid(format!("the discovered `jwks_uri` {why}")))
    }
}

/// Restores `last_attempt` when a fetch is dropped before it completes.
struct Abandoned<'a> {
    cache: &'a KeyCache,
    previous: Option<Option<u64>>,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            self.cache.state().last_attempt = previous;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALGS: [Algorithm; 4] = [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::PS256,
        Algorithm::EdDSA,
    ];

    #[test]
    fn skips_what_is_not_a_public_signature_key() {
        let cases = [
            json!({"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "kid": "h"}),
            json!({"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "RSA", "key_ops": ["encrypt"], "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "RSA", "alg": "RS512", "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "RSA", "alg": "ES256", "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "RSA", "d": "AQAB", "n": "AQAB", "e": "AQAB"}),
            json!({"kty": "OKP", "crv": "X25519", "x": "AQAB"}),
            json!({"kty": "AKP", "alg": "ML-DSA-44"}),
            json!({"kty": "RSA", "kid": "", "n": "AQAB", "e": "AQAB"}),
            json!("not an object"),
        ];
        for case in cases {
            assert!(usable_algorithms(&case, &ALGS).is_err(), "{case}");
        }
        assert_eq!(
            usable_algorithms(&json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}), &ALGS).unwrap(),
            vec![Algorithm::RS256, Algorithm::PS256]
        );
        assert_eq!(
            usable_algorithms(
                &json!({"kty": "EC", "alg": "ES256", "use": "sig", "key_ops": ["verify"]}),
                &ALGS
            )
            .unwrap(),
            vec![Algorithm::ES256]
        );
    }

    #[test]
    fn a_set_without_usable_keys_is_an_error() {
        assert!(RemoteKeys::parse(br#"{"keys": []}"#, &ALGS).is_err());
        assert!(RemoteKeys::parse(br#"{"nokeys": 1}"#, &ALGS).is_err());
        assert!(RemoteKeys::parse(b"<html>", &ALGS).is_err());
    }

    #[test]
    fn rate_limit_tolerates_a_clock_moved_back() {
        let s = State {
            last_attempt: Some(1000),
            ..State::default()
        };
        assert!(s.rate_limited(1000, 60));
        assert!(s.rate_limited(1059, 60));
        assert!(!s.rate_limited(1060, 60));
        assert!(!s.rate_limited(900, 60));
    }
}
