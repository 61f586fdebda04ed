//! [`Issuer`]: issues and verifies access and refresh tokens (hawkapi-auth's
//! `TokenIssuer`).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cache::TokenCache;
use crate::claims::{RESERVED_CLAIMS, Rules};
use crate::keyring::KeySet;
use crate::revocation::DynStore;
use crate::revocation::view::View;
use crate::secret::random_hex_id;
use crate::{
    Algorithm, Audience, Claims, Clock, ConfigError, IssueError, IssuerConfig, MemoryStore,
    RevocationStore, StalePolicy, TokenError, TokenType, jws,
};

/// Default bound on the age of the revocation view of a shared store.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(10);

/// Longest accepted token lifetime: ten years.
const MAX_TTL: u64 = 10 * 365 * 24 * 3600;
/// Largest accepted leeway: five minutes (RFC 7519 suggests "a few minutes" at most).
const MAX_LEEWAY: u64 = 300;

/// Issues and verifies JWT access and refresh tokens, rotates refresh tokens and
/// revokes tokens, sessions and users.
///
/// Built once from an [`IssuerConfig`], which is validated as a whole: a missing or weak
/// key, a key that does not fit the algorithm or a pair that does not match is an error
/// here, not at the first login. Cheap to clone (an `Arc`), safe to share between
/// threads.
///
/// Tokens are hawkapi-auth's: header `{"alg", "typ": "JWT"}`, claims `sub iat exp jti type`
/// plus `iss`/`aud` when configured and any extra claims, so the two implementations
/// accept each other's tokens given the same key and configuration.
///
/// ```
/// use auth_core::{Issuer, IssuerConfig, TokenError, random_secret};
/// use serde_json::json;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let issuer = Issuer::new(IssuerConfig::hs256(random_secret()))?;
///
/// let access = issuer.issue_access("user-1", &json!({"scope": "read write"}))?;
/// let refresh = issuer.issue_refresh("user-1", &())?;
///
/// let claims = issuer.verify_access(&access)?;
/// assert_eq!(claims.sub, "user-1");
/// assert!(issuer.verify_access(&refresh).is_err()); // wrong type
///
/// issuer.verify_refresh(&refresh).await?;
/// issuer.revoke_refresh(&refresh).await?; // log out
/// assert!(matches!(issuer.verify_refresh(&refresh).await, Err(TokenError::Revoked)));
/// # Ok::<(), auth_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Issuer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: IssuerConfig,
    /// The key ring, replaced as a whole when it changes (see `keyring.rs`).
    pub(crate) keys: RwLock<Arc<KeySet>>,
    pub(crate) store: Arc<dyn DynStore>,
    /// The revocations access tokens are checked against (see [`Issuer::load_revocations`]).
    pub(crate) view: View,
    pub(crate) clock: Clock,
    /// Access tokens verified before (see `IssuerConfig::verify_cache_entries`).
    cache: Option<TokenCache>,
}

/// Builds an [`Issuer`] with a non-default store, clock or staleness policy.
///
/// ```
/// use auth_core::{Clock, Issuer, IssuerConfig, MemoryStore, random_secret};
///
/// let clock = Clock::manual(1_700_000_000);
/// let issuer = Issuer::builder(IssuerConfig::hs256(random_secret()))
///     .store(MemoryStore::with_clock(clock.clone()))
///     .clock(clock)
///     .build()
///     .unwrap();
/// ```
#[must_use = "call .build() to get the issuer"]
pub struct IssuerBuilder {
    config: IssuerConfig,
    store: Option<Arc<dyn DynStore>>,
    clock: Clock,
    max_staleness: Duration,
    stale_policy: StalePolicy,
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("config", &self.config)
            .field("store", &self.store.as_ref().map(|s| s.name()))
            .field("clock", &self.clock)
            .field("max_staleness", &self.max_staleness)
            .field("stale_policy", &self.stale_policy)
            .finish()
    }
}

impl IssuerBuilder {
    /// Uses `store` for revocations and rotation instead of a fresh [`MemoryStore`].
    pub fn store(mut self, store: impl RevocationStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Uses an already shared store.
    pub fn shared_store<S: RevocationStore>(mut self, store: Arc<S>) -> Self {
        self.store = Some(store);
        self
    }

    /// Reads time from `clock` (for tests) instead of the system clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How old the local view of a shared store may get (the store unreachable) before
    /// access-token checks follow the [`stale_policy`](Self::stale_policy).
    /// _Default:_ 10 s.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = max;
        self
    }

    /// What access-token checks do once the view is stale. _Default:_ fail closed.
    pub fn stale_policy(mut self, policy: StalePolicy) -> Self {
        self.stale_policy = policy;
        self
    }

    /// Validates the configuration and builds the issuer.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field at fault and the fix: no crypto backend, a
    /// missing or weak key, a key that does not fit the algorithm, mismatched key
    /// halves, an unreadable key file, or an out-of-range TTL, leeway or size limit.
    pub fn build(self) -> Result<Issuer, ConfigError> {
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            return Err(ConfigError::NoCryptoBackend);
        }
        let config = self.config;
        validate_limits(&config)?;
        let keys = KeySet::from_config(&config)?;
        if config.audience.is_none() {
            log::warn!(
                "auth: no `audience` is configured, so tokens are not bound to this service; set `audience` \
                 (ROCKET_AUTH_AUDIENCE) to refuse tokens minted for other services with the same key"
            );
        }
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::with_clock(self.clock.clone())));
        let view = View::new(store.is_shared(), self.max_staleness, self.stale_policy);
        if !store.is_shared() {
            view.mark_fresh();
        }
        let cache = TokenCache::new(config.verify_cache_entries, config.verify_cache_bytes);
        Ok(Issuer {
            inner: Arc::new(Inner {
                config,
                keys: RwLock::new(Arc::new(keys)),
                store,
                view,
                clock: self.clock,
                cache,
            }),
        })
    }
}

fn validate_limits(c: &IssuerConfig) -> Result<(), ConfigError> {
    let ttl_range = |field, v: u64| {
        if v == 0 || v > MAX_TTL {
            Err(ConfigError::InvalidValue {
                field,
                reason: format!("must be between 1 and {MAX_TTL} seconds").into(),
            })
        } else {
            Ok(())
        }
    };
    ttl_range("access_ttl", c.access_ttl)?;
    ttl_range("refresh_ttl", c.refresh_ttl)?;
    if c.leeway > MAX_LEEWAY {
        return Err(ConfigError::InvalidValue {
            field: "leeway",
            reason: format!(
                "must be at most {MAX_LEEWAY} seconds; clocks that far apart need fixing (NTP)"
            )
            .into(),
        });
    }
    if c.verify_cache_entries > 0 && c.verify_cache_bytes < 64 * 1024 {
        return Err(ConfigError::InvalidValue {
            field: "verify_cache_bytes",
            reason:
                "must be at least 65536 (or set verify_cache_entries = 0 to turn the cache off)"
                    .into(),
        });
    }
    if !(1024..=64 * 1024).contains(&c.max_token_bytes) {
        return Err(ConfigError::InvalidValue {
            field: "max_token_bytes",
            reason: "must be between 1024 and 65536".into(),
        });
    }
    if let Some(aud) = &c.audience
        && (aud.as_slice().is_empty() || aud.as_slice().iter().any(String::is_empty))
    {
        return Err(ConfigError::InvalidValue {
            field: "audience",
            reason: "must be a non-empty string or a list of non-empty strings".into(),
        });
    }
    Ok(())
}

impl Issuer {
    /// Validates `config` and builds an issuer with an in-memory revocation store.
    ///
    /// # Errors
    ///
    /// See [`IssuerBuilder::build`].
    pub fn new(config: IssuerConfig) -> Result<Self, ConfigError> {
        Self::builder(config).build()
    }

    /// Starts building an issuer with a custom store or clock.
    pub fn builder(config: IssuerConfig) -> IssuerBuilder {
        IssuerBuilder {
            config,
            store: None,
            clock: Clock::system(),
            max_staleness: DEFAULT_MAX_STALENESS,
            stale_policy: StalePolicy::default(),
        }
    }

    /// The configuration this issuer was built from (secrets redacted in `Debug`).
    #[must_use]
    pub fn config(&self) -> &IssuerConfig {
        &self.inner.config
    }

    /// The signing algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.key_set()
            .signing()
            .map_or(self.inner.config.algorithm, |k| k.algorithm)
    }

    /// Access-token lifetime in seconds (the `expires_in` of a login response).
    #[must_use]
    pub fn access_ttl(&self) -> u64 {
        self.inner.config.access_ttl
    }

    /// Refresh-token lifetime in seconds.
    #[must_use]
    pub fn refresh_ttl(&self) -> u64 {
        self.inner.config.refresh_ttl
    }

    /// True when the issuer holds a private key or secret and can issue tokens.
    #[must_use]
    pub fn can_issue(&self) -> bool {
        self.key_set().signing().is_some()
    }

    /// The clock the issuer reads.
    #[must_use]
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The revocation store's name (`memory`, `sqlite`, `redis`, or `custom`).
    #[must_use]
    pub fn store_name(&self) -> &'static str {
        self.inner.store.name()
    }

    /// Issues an access token for `subject`, lasting `access_ttl`.
    ///
    /// `extra` is any value that serialises to a JSON object (a struct, a map,
    /// `serde_json::json!({..})`), or `&()` for none. Its members become top-level
    /// claims; reserved claims ([`RESERVED_CLAIMS`](crate::RESERVED_CLAIMS)) are refused.
    ///
    /// # Errors
    ///
    /// [`IssueError`]: empty subject, reserved or non-object extra claims, a verify-only
    /// issuer, or a backend signing failure.
    pub fn issue_access<E: Serialize + ?Sized>(
        &self,
        subject: &str,
        extra: &E,
    ) -> Result<String, IssueError> {
        self.issue(subject, extra, TokenType::Access, None)
    }

    /// Issues a refresh token for `subject`, lasting `refresh_ttl`. See
    /// [`issue_access`](Self::issue_access) for `extra`.
    ///
    /// # Errors
    ///
    /// As [`issue_access`](Self::issue_access).
    pub fn issue_refresh<E: Serialize + ?Sized>(
        &self,
        subject: &str,
        extra: &E,
    ) -> Result<String, IssueError> {
        self.issue(subject, extra, TokenType::Refresh, None)
    }

    /// Issues one token; `family` is the refresh family (`fam`) it belongs to, if any.
    pub(crate) fn issue<E: Serialize + ?Sized>(
        &self,
        subject: &str,
        extra: &E,
        token_type: TokenType,
        family: Option<&str>,
    ) -> Result<String, IssueError> {
        // Only `Access` and `Refresh` are ever issued (callers are this crate's).
        let ttl = match token_type {
            TokenType::Refresh => self.refresh_ttl(),
            _ => self.access_ttl(),
        };
        if subject.is_empty() {
            return Err(IssueError::EmptySubject);
        }
        let extra = match serde_json::to_value(extra).map_err(IssueError::Serialize)? {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            _ => return Err(IssueError::ExtraNotObject),
        };
        if let Some(reserved) = extra.keys().find(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
            return Err(IssueError::ReservedClaim(reserved.clone()));
        }
        let keys = self.key_set();
        let key = keys.signing().ok_or(IssueError::VerifyOnly)?;
        let now = self.inner.clock.now();
        // After "log out everywhere" in this very second, a token stamped `iat = now` would
        // fall under the cutoff (`iat <= cutoff`); stamp it one second later instead.
        let iat = match self.inner.view.subject_cutoff(subject, now) {
            Some(cutoff) if cutoff >= now => cutoff.saturating_add(1),
            _ => now,
        };
        let jti = random_hex_id().map_err(|e| IssueError::Signing(e.to_string()))?;
        let payload = Payload {
            sub: subject,
            iat,
            exp: iat.saturating_add(ttl),
            jti: &jti,
            token_type,
            fam: family,
            iss: self.inner.config.issuer(),
            aud: self.inner.config.audience.as_ref(),
            extra: &extra,
        };
        let header = Header {
            alg: key.algorithm.as_str(),
            typ: "JWT",
            kid: key.kid.as_deref(),
        };
        let header_json = serde_json::to_vec(&header).map_err(IssueError::Serialize)?;
        let payload_json = serde_json::to_vec(&payload).map_err(IssueError::Serialize)?;
        let mut token = jws::signing_input(&header_json, &payload_json);
        let signature = key
            .sign(token.as_bytes())
            .ok_or(IssueError::VerifyOnly)?
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }

    /// Verifies an access token: signature with the pinned algorithm, `exp`, `nbf`, `iat`,
    /// `iss` and `aud` as configured, `"type": "access"`, then the local revocation view
    /// (a revoked `jti`, family or subject cutoff). No network round trip: the view is in
    /// memory, kept current by [`sync_revocations`](Self::sync_revocations) for shared
    /// stores.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] saying why the token is refused; [`TokenError::Store`] when the
    /// view of a shared store is too old to be trusted (fail closed).
    pub fn verify_access(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_access_shared(token).map(Arc::unwrap_or_clone)
    }

    /// [`verify_access`](Self::verify_access) without copying the claims: a token seen
    /// before is answered from the verified-token cache (its expiry, `nbf` and revocation
    /// still checked), and the claims are shared. What request guards use.
    ///
    /// # Errors
    ///
    /// As [`verify_access`](Self::verify_access).
    pub fn verify_access_shared(&self, token: &str) -> Result<Arc<Claims>, TokenError> {
        let now = self.inner.clock.now();
        if let Some(claims) = self.inner.cache.as_ref().and_then(|c| c.get(token)) {
            claims.check_times(now, self.inner.config.leeway)?;
            self.inner.view.check(&claims, now)?;
            return Ok(claims);
        }
        let claims = Arc::new(self.decode(token, TokenType::Access)?);
        self.inner.view.check(&claims, now)?;
        if let Some(cache) = &self.inner.cache {
            cache.insert(token, claims.clone());
        }
        Ok(claims)
    }

    /// Signature and claim checks shared by every verification.
    pub(crate) fn decode(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        let parsed = jws::parse(token, self.inner.config.max_token_bytes)?;
        let keys = self.key_set();
        let key = keys
            .find(parsed.kid.as_deref())
            .ok_or(TokenError::UnknownKey)?;
        if parsed.alg != key.algorithm.as_str() {
            return Err(TokenError::AlgorithmMismatch);
        }
        if !key.verify(parsed.signature, parsed.signing_input.as_bytes()) {
            return Err(TokenError::InvalidSignature);
        }
        let payload = jws::decode_payload(parsed.payload_b64)?;
        let rules = Rules {
            now: self.inner.clock.now(),
            leeway: self.inner.config.leeway,
            issuer: self.inner.config.issuer(),
            audience: self.inner.config.audience.as_ref(),
            expected,
        };
        Claims::validate(payload, &rules)
    }

    /// A consistent snapshot of the key ring.
    pub(crate) fn key_set(&self) -> Arc<KeySet> {
        self.inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets every cached verification (after the key ring changed).
    pub(crate) fn clear_cache(&self) {
        if let Some(cache) = &self.inner.cache {
            cache.clear();
        }
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("config", &self.inner.config)
            .field("keys", &self.key_set().keys)
            .field("store", &self.inner.store.name())
            .field("view", &self.inner.view)
            .field("clock", &self.inner.clock)
            .finish()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

#[derive(Serialize)]
struct Payload<'a> {
    sub: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
    #[serde(rename = "type")]
    token_type: TokenType,
    #[serde(skip_serializing_if = "Option::is_none")]
    fam: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a Audience>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}
