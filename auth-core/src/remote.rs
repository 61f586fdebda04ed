//! Tokens from trusted third-party issuers (Auth0, Keycloak, Google, Azure AD, Okta...),
//! verified with the keys they publish as a JWKS, found directly or by OIDC discovery.
//!
//! Only configured issuers are trusted, and their keys only come from the configured URL
//! (or the `jwks_uri` of the configured discovery document, whose `issuer` must be the
//! configured one). Nothing in a token chooses where keys come from: `jku`, `x5u`,
//! `jwk` and `x5c` are ignored, and `iss` only picks among configured issuers.
//!
//! See [`TrustedIssuer`] for the refresh rules, the HTTP limits and the keys accepted.

mod cache;
mod fetch;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use self::cache::{KeyCache, Lookup, Policy, Source};
use self::fetch::{Fetcher, check_url, is_loopback};
use crate::claims::ExternalRules;
use crate::{
    Algorithm, Audience, Claims, Clock, ConfigError, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES,
    TokenError, jws,
};

/// Largest accepted leeway, as for [`Issuer`](crate::Issuer).
const MAX_LEEWAY: u64 = 300;

/// One trusted third-party issuer: who it is, where its keys are, which tokens of it
/// are for us. Deserialisable (every field optional, unknown fields refused); checked
/// by [`TrustedIssuer::new`].
///
/// ```
/// use auth_core::TrustedIssuerConfig;
///
/// // Keys found through https://login.example.com/realms/main/.well-known/openid-configuration
/// let keycloak = TrustedIssuerConfig::discovery("https://login.example.com/realms/main", "my-api");
/// // Keys at a known JWKS URL.
/// let mut auth0 = TrustedIssuerConfig::jwks(
///     "https://tenant.eu.auth0.com/",
///     "https://tenant.eu.auth0.com/.well-known/jwks.json",
///     "https://api.example.com",
/// );
/// auth0.algorithms = vec!["RS256".parse().unwrap()];
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TrustedIssuerConfig {
    /// The issuer, exactly as in its tokens' `iss` (and its discovery document's
    /// `issuer`). Required.
    pub issuer: String,
    /// Its JWKS URL. Exactly one of `jwks_url` and `discovery_url` is required.
    pub jwks_url: Option<String>,
    /// Its OIDC discovery document (usually `<issuer>/.well-known/openid-configuration`),
    /// whose `jwks_uri` is then used.
    pub discovery_url: Option<String>,
    /// The audiences (`aud`) of its tokens that are meant for this service: a token must
    /// name at least one. Required.
    pub audience: Option<Audience>,
    /// The algorithms its tokens may use. HMAC algorithms are refused.
    /// _Default:_ `["RS256", "ES256", "PS256", "EdDSA"]`.
    pub algorithms: Vec<Algorithm>,
    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat`; at most 300.
    /// _Default:_ 30.
    pub leeway: u64,
    /// Minimum time in seconds between two fetches caused by unknown `kid`s (and between
    /// retries while the provider fails). _Default:_ 60.
    pub refresh_interval: u64,
    /// How long fetched keys are fresh, in seconds (shortened by a smaller `max-age`).
    /// _Default:_ 3600.
    pub cache_ttl: u64,
    /// How long after the last successful fetch keys may still serve while the provider
    /// fails, in seconds; at least `cache_ttl`. _Default:_ 86400 (24 h).
    pub stale_ttl: u64,
    /// Timeout in seconds for connecting, and for each whole request (1 to 60).
    /// _Default:_ 3.
    pub timeout: u64,
    /// Largest JWKS or discovery response accepted, in bytes (1 KiB to 16 MiB).
    /// _Default:_ 262144 (256 KiB).
    pub max_response_bytes: usize,
    /// Tokens longer than this are refused before any decoding (1 KiB to 64 KiB).
    /// _Default:_ 8192.
    pub max_token_bytes: usize,
}

impl Default for TrustedIssuerConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            jwks_url: None,
            discovery_url: None,
            audience: None,
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::ES256,
                Algorithm::PS256,
                Algorithm::EdDSA,
            ],
            leeway: DEFAULT_LEEWAY,
            refresh_interval: 60,
            cache_ttl: 3600,
            stale_ttl: 24 * 3600,
            timeout: 3,
            max_response_bytes: 256 * 1024,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

impl TrustedIssuerConfig {
    /// An issuer whose keys are at `jwks_url`, with the defaults.
    #[must_use]
    pub fn jwks(
        issuer: impl Into<String>,
        jwks_url: impl Into<String>,
        audience: impl Into<Audience>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            jwks_url: Some(jwks_url.into()),
            audience: Some(audience.into()),
            ..Self::default()
        }
    }

    /// An issuer found by OIDC discovery at `<issuer>/.well-known/openid-configuration`
    /// (a trailing `/` of the issuer is dropped first), with the defaults.
    #[must_use]
    pub fn discovery(issuer: impl Into<String>, audience: impl Into<Audience>) -> Self {
        let issuer = issuer.into();
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        Self {
            issuer,
            discovery_url: Some(discovery_url),
            audience: Some(audience.into()),
            ..Self::default()
        }
    }
}

/// Verifies the tokens of one trusted third-party issuer with its published keys.
///
/// Cheap to clone (an `Arc`), safe to share. `verify` is async: it may fetch keys.
///
/// # Keys, refresh and failure
///
/// - Keys are fetched on first use (or by [`TrustedIssuer::refresh`] at start-up) and
///   cached for `cache_ttl` (1 h), or for the response's `Cache-Control: max-age` when
///   that is shorter (but never less than `refresh_interval`).
/// - A token naming an unknown `kid` causes a fetch (a key rotation at the provider is
///   picked up at its first token), at most once per `refresh_interval` (60 s);
///   otherwise it is refused at once with [`TokenError::UnknownKey`]. Requests arriving
///   while a fetch is in flight wait for it and share its result: a flood of tokens with
///   random `kid`s costs the provider one request per interval.
/// - Once `cache_ttl` has passed, the next request refreshes (others keep using the
///   cached keys meanwhile). When the provider fails (down, slow, an error status,
///   oversized or invalid answer), the keys fetched last keep serving until `stale_ttl`
///   (24 h) after that fetch; after that, or when keys were never fetched, tokens are
///   refused with [`TokenError::KeysUnavailable`] (a 503: fail closed).
/// - A `kid` that is still unknown after a failed attempt (the provider is down and the
///   key may be new) is also [`TokenError::KeysUnavailable`], not `UnknownKey`.
///
/// # HTTP
///
/// `https` only (plain `http` for loopback hosts: `localhost`, 127.0.0.0/8, `[::1]`, for
/// tests and development), no redirects followed, a timeout (3 s) on connecting and on
/// each whole request, a response size limit (256 KiB) enforced while reading. TLS is
/// rustls with the *ring* provider, passed explicitly (no process-wide provider is
/// installed), and the operating system's root certificates. Proxies from the
/// `HTTPS_PROXY`/`NO_PROXY` environment are honoured (except for loopback URLs). Needs
/// a Tokio runtime with I/O and time enabled (Rocket's is).
///
/// # Keys accepted from a JWKS
///
/// RSA (2048 bits or more), EC (P-256, P-384) and Ed25519 public keys with `use`
/// absent or `sig`, for the issuer's allowed algorithms (a JWK's `alg` must be one of
/// them; a JWK without `alg` serves each allowed algorithm of its key type). Never `oct`
/// (shared secrets), never keys that publish private members. A token without `kid`
/// needs exactly one key without `kid` in the set.
///
/// # Example
///
/// ```no_run
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{TrustedIssuer, TrustedIssuerConfig};
///
/// let google = TrustedIssuer::new(TrustedIssuerConfig::discovery(
///     "https://accounts.google.com",
///     "1234-my-client-id.apps.googleusercontent.com",
/// ))?;
/// google.refresh().await?; // optional prefetch at start-up
/// let claims = google.verify(token).await?;
/// println!("{} signed in", claims.sub);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TrustedIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    config: TrustedIssuerConfig,
    audience: Audience,
    clock: Clock,
    cache: KeyCache,
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("issuer", &self.inner.config.issuer)
            .field("audience", &self.inner.audience)
            .field("algorithms", &self.inner.config.algorithms)
            .field("clock", &self.inner.clock)
            .field("cache", &self.inner.cache)
            .finish()
    }
}

impl TrustedIssuer {
    /// Checks `config` and builds the issuer. Nothing is fetched yet.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidValue`] naming the field at fault: an empty `issuer`, not
    /// exactly one of `jwks_url`/`discovery_url`, a URL that is not https (or http on a
    /// loopback host), no or an empty `audience`, no algorithm or an HMAC one, a timing
    /// or a limit out of range, or no CA certificates on the system;
    /// [`ConfigError::NoCryptoBackend`] without a JWT crypto backend.
    pub fn new(config: TrustedIssuerConfig) -> Result<Self, ConfigError> {
        let invalid = |field, reason: String| ConfigError::InvalidValue {
            field,
            reason: reason.into(),
        };
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            return Err(ConfigError::NoCryptoBackend);
        }
        if config.issuer.is_empty() {
            return Err(invalid(
                "issuer",
                "must be set to the issuer's `iss` (e.g. https://login.example.com/realms/main)"
                    .into(),
            ));
        }
        let jwks_url = config.jwks_url.as_deref().filter(|u| !u.is_empty());
        let discovery_url = config.discovery_url.as_deref().filter(|u| !u.is_empty());
        let source = match (jwks_url, discovery_url) {
            (Some(url), None) => Source::Jwks(
                check_url(url).map_err(|why| invalid("jwks_url", format!("{url:?} {why}")))?,
            ),
            (None, Some(url)) => Source::Discovery(
                check_url(url).map_err(|why| invalid("discovery_url", format!("{url:?} {why}")))?,
            ),
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "jwks_url",
                    "and `discovery_url` are both set: set exactly one".into(),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "jwks_url",
                    format!(
                        "or `discovery_url` must be set for trusted issuer {:?} (discovery is \
                         usually <issuer>/.well-known/openid-configuration)",
                        config.issuer
                    ),
                ));
            }
        };
        let audience = match &config.audience {
            Some(aud)
                if !aud.as_slice().is_empty() && aud.as_slice().iter().all(|a| !a.is_empty()) =>
            {
                aud.clone()
            }
            Some(_) => {
                return Err(invalid(
                    "audience",
                    "must be a non-empty string or a list of non-empty strings".into(),
                ));
            }
            None => {
                return Err(invalid(
                    "audience",
                    format!(
                        "is required for trusted issuer {:?}: the `aud` its tokens carry for this \
                         service (an API identifier or a client id), so that tokens it issued for \
                         other applications are refused",
                        config.issuer
                    ),
                ));
            }
        };
        if config.algorithms.is_empty() {
            return Err(invalid(
                "algorithms",
                "must list at least one algorithm".into(),
            ));
        }
        if let Some(hs) = config.algorithms.iter().find(|a| a.is_symmetric()) {
            return Err(invalid(
                "algorithms",
                format!(
                    "contains {hs}: HMAC keys are shared secrets and are never taken from a \
                     remote JWKS"
                ),
            ));
        }
        let range = |field, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(invalid(field, format!("must be between {min} and {max}")))
            }
        };
        range("leeway", config.leeway, 0, MAX_LEEWAY)?;
        range("timeout", config.timeout, 1, 60)?;
        range("cache_ttl", config.cache_ttl, 1, 30 * 24 * 3600)?;
        range(
            "refresh_interval",
            config.refresh_interval,
            1,
            config.cache_ttl,
        )?;
        range(
            "stale_ttl",
            config.stale_ttl,
            config.cache_ttl,
            30 * 24 * 3600,
        )?;
        range(
            "max_response_bytes",
            config.max_response_bytes as u64,
            1024,
            16 << 20,
        )?;
        range(
            "max_token_bytes",
            config.max_token_bytes as u64,
            1024,
            64 * 1024,
        )?;
        let loopback_only = match &source {
            Source::Jwks(url) | Source::Discovery(url) => is_loopback(url),
        };
        let timeout = Duration::from_secs(config.timeout);
        let fetcher = Fetcher::new(timeout, config.max_response_bytes, loopback_only)
            .map_err(|why| invalid("jwks_url", why))?;
        let clock = Clock::system();
        let cache = KeyCache::new(
            config.issuer.clone(),
            source,
            fetcher,
            Policy {
                refresh_interval: config.refresh_interval,
                cache_ttl: config.cache_ttl,
                stale_ttl: config.stale_ttl,
            },
            config.algorithms.clone(),
            clock.clone(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                audience,
                clock,
                cache,
            }),
        })
    }

    /// Reads time from `clock` instead of the system clock (for tests): for the tokens'
    /// `exp`/`nbf`/`iat` and for the cache timings. The key cache starts empty.
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        let cache = self.inner.cache.with_clock(clock.clone());
        Self {
            inner: Arc::new(Inner {
                config: self.inner.config.clone(),
                audience: self.inner.audience.clone(),
                clock,
                cache,
            }),
        }
    }

    /// The issuer (`iss`) this verifies.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// The configuration it was built from.
    #[must_use]
    pub fn config(&self) -> &TrustedIssuerConfig {
        &self.inner.config
    }

    /// Fetches the keys now (waiting for a fetch in flight first), whatever the refresh
    /// interval: a start-up prefetch, or a forced refresh. Returns the number of usable
    /// keys.
    ///
    /// # Errors
    ///
    /// [`TokenError::KeysUnavailable`] when the fetch failed (the reason is logged); keys
    /// fetched earlier are kept.
    pub async fn refresh(&self) -> Result<usize, TokenError> {
        self.inner.cache.refresh().await
    }

    /// Verifies a token of this issuer: size and framing, an allowed `alg`, the key its
    /// `kid` names in the issuer's key set (fetched or refreshed as needed), the
    /// signature, then `exp` (required), `nbf`/`iat`, `iss` equal to the issuer, `aud`
    /// naming one of ours and a non-empty `sub`. The claims come back with
    /// [`TokenType::External`](crate::TokenType::External); scopes are read from
    /// `scope`, `scp` or `scopes`.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] saying why it is refused: [`TokenError::AlgorithmMismatch`] for
    /// an `alg` that is not allowed or not the key's, [`TokenError::UnknownKey`] for a
    /// `kid` the issuer does not publish, and [`TokenError::KeysUnavailable`] (a 503)
    /// when the keys cannot be had; see the rules [above](TrustedIssuer).
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let inner = &self.inner;
        let parsed = jws::parse(token, inner.config.max_token_bytes)?;
        let alg: Algorithm = parsed
            .alg
            .parse()
            .map_err(|_| TokenError::AlgorithmMismatch)?;
        if !inner.config.algorithms.contains(&alg) {
            return Err(TokenError::AlgorithmMismatch);
        }
        let kid = parsed.kid.as_deref();
        let keys = inner.cache.keys_for(kid).await?;
        let key = match keys.lookup(kid, alg) {
            Lookup::Found(key) => key,
            Lookup::WrongAlgorithm => return Err(TokenError::AlgorithmMismatch),
            Lookup::Unknown => return Err(TokenError::UnknownKey),
        };
        if !key.verify(parsed.signature, parsed.signing_input.as_bytes()) {
            return Err(TokenError::InvalidSignature);
        }
        let payload = jws::decode_payload(parsed.payload_b64)?;
        Claims::validate_external(
            payload,
            &ExternalRules {
                now: inner.clock.now(),
                leeway: inner.config.leeway,
                issuer: &inner.config.issuer,
                audience: &inner.audience,
            },
        )
    }
}

/// Several trusted issuers, picked by the token's (unverified) `iss`: the claim only
/// chooses among configured issuers, each of which then verifies everything.
///
/// ```no_run
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{TrustedIssuerConfig, TrustedIssuers};
///
/// let trusted = TrustedIssuers::new(vec![
///     TrustedIssuerConfig::discovery("https://accounts.google.com", "my-client-id"),
///     TrustedIssuerConfig::discovery("https://login.microsoftonline.com/TENANT/v2.0", "api://my-api"),
/// ])?;
/// if trusted.handles(token) {
///     let claims = trusted.verify(token).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TrustedIssuers {
    issuers: Vec<TrustedIssuer>,
    max_token_bytes: usize,
}

/// No issuer: handles no token.
impl Default for TrustedIssuers {
    fn default() -> Self {
        Self::from_issuers(Vec::new())
    }
}

impl TrustedIssuers {
    /// Builds each issuer.
    ///
    /// # Errors
    ///
    /// The first issuer's [`ConfigError`] (see [`TrustedIssuer::new`]), or
    /// [`ConfigError::InvalidValue`] when two entries have the same `issuer`.
    pub fn new(configs: Vec<TrustedIssuerConfig>) -> Result<Self, ConfigError> {
        let mut issuers: Vec<TrustedIssuer> = Vec::with_capacity(configs.len());
        for config in configs {
            if issuers.iter().any(|i| i.issuer() == config.issuer) {
                return Err(ConfigError::InvalidValue {
                    field: "issuer",
                    reason: format!(
                        "{:?} is configured twice: each trusted issuer appears once",
                        config.issuer
                    )
                    .into(),
                });
            }
            issuers.push(TrustedIssuer::new(config)?);
        }
        Ok(Self::from_issuers(issuers))
    }

    /// A set of already built issuers (for example with [`TrustedIssuer::with_clock`]).
    ///
    /// Two issuers with the same `issuer`: the first one handles its tokens.
    #[must_use]
    pub fn from_issuers(issuers: Vec<TrustedIssuer>) -> Self {
        let max_token_bytes = issuers
            .iter()
            .map(|i| i.inner.config.max_token_bytes)
            .max()
            .unwrap_or(DEFAULT_MAX_TOKEN_BYTES);
        Self {
            issuers,
            max_token_bytes,
        }
    }

    /// True when no issuer is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }

    /// The issuers.
    #[must_use]
    pub fn issuers(&self) -> &[TrustedIssuer] {
        &self.issuers
    }

    /// True when the token's (unverified) `iss` is one of the configured issuers: this
    /// set should verify it. Nothing is verified here.
    #[must_use]
    pub fn handles(&self, token: &str) -> bool {
        self.pick(token).is_ok()
    }

    /// Verifies a token with the issuer its `iss` names.
    ///
    /// # Errors
    ///
    /// [`TokenError::MissingClaim`]`("iss")` or [`TokenError::InvalidIssuer`] when its
    /// `iss` is absent or not configured, else as [`TrustedIssuer::verify`].
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.pick(token)?.verify(token).await
    }

    /// Fetches every issuer's keys (one after the other), for a start-up prefetch.
    pub async fn refresh_all(&self) -> Vec<(String, Result<usize, TokenError>)> {
        let mut out = Vec::with_capacity(self.issuers.len());
        for issuer in &self.issuers {
            out.push((issuer.issuer().to_owned(), issuer.refresh().await));
        }
        out
    }

    fn pick(&self, token: &str) -> Result<&TrustedIssuer, TokenError> {
        let parsed = jws::parse(token, self.max_token_bytes)?;
        let payload = jws::decode_payload(parsed.payload_b64)?;
        let iss = match payload.get("iss") {
            Some(Value::String(iss)) => iss,
            Some(_) => return Err(TokenError::InvalidClaim("iss")),
            None => return Err(TokenError::MissingClaim("iss")),
        };
        self.issuers
            .iter()
            .find(|i| i.issuer() == iss)
            .ok_or(TokenError::InvalidIssuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TrustedIssuerConfig {
        TrustedIssuerConfig::jwks(
            "https://idp.example.com/",
            "https://idp.example.com/jwks",
            "api",
        )
    }

    fn field_of(config: TrustedIssuerConfig) -> &'static str {
        match TrustedIssuer::new(config) {
            Err(ConfigError::InvalidValue { field, .. }) => field,
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[test]
    fn config_is_validated() {
        assert!(TrustedIssuer::new(config()).is_ok());
        let mut c = config();
        c.issuer = String::new();
        assert_eq!(field_of(c), "issuer");
        let mut c = config();
        c.jwks_url = None;
        assert_eq!(field_of(c), "jwks_url");
        let mut c = config();
        c.discovery_url = Some("https://idp.example.com/.well-known/openid-configuration".into());
        assert_eq!(field_of(c), "jwks_url");
        let mut c = config();
        c.jwks_url = Some("http://idp.example.com/jwks".into());
        assert_eq!(field_of(c), "jwks_url");
        let mut c = config();
        c.audience = None;
        assert_eq!(field_of(c), "audience");
        let mut c = config();
        c.audience = Some(Audience::Many(vec![]));
        assert_eq!(field_of(c), "audience");
        let mut c = config();
        c.algorithms = vec![Algorithm::RS256, Algorithm::HS256];
        assert_eq!(field_of(c), "algorithms");
        let mut c = config();
        c.algorithms = vec![];
        assert_eq!(field_of(c), "algorithms");
        let mut c = config();
        c.timeout = 0;
        assert_eq!(field_of(c), "timeout");
        let mut c = config();
        c.stale_ttl = 10;
        assert_eq!(field_of(c), "stale_ttl");
        let mut c = config();
        c.refresh_interval = 0;
        assert_eq!(field_of(c), "refresh_interval");
        let mut c = config();
        c.max_response_bytes = 10;
        assert_eq!(field_of(c), "max_response_bytes");
        let mut c = config();
        c.leeway = 301;
        assert_eq!(field_of(c), "leeway");
    }

    #[test]
    fn discovery_url_is_derived_from_the_issuer() {
        let c = TrustedIssuerConfig::discovery("https://tenant.auth0.com/", "api");
        assert_eq!(
            c.discovery_url.as_deref(),
            Some("https://tenant.auth0.com/.well-known/openid-configuration")
        );
        assert_eq!(c.issuer, "https://tenant.auth0.com/");
    }

    #[test]
    fn deserialises_with_defaults_and_refuses_unknown_fields() {
        let c: TrustedIssuerConfig = serde_json::from_str(
            r#"{"issuer": "https://a", "jwks_url": "https://a/jwks", "audience": ["x", "y"],
                "algorithms": ["ES256"]}"#,
        )
        .unwrap();
        assert_eq!(c.algorithms, vec![Algorithm::ES256]);
        assert_eq!((c.refresh_interval, c.cache_ttl, c.timeout), (60, 3600, 3));
        assert!(serde_json::from_str::<TrustedIssuerConfig>(r#"{"jku": "x"}"#).is_err());
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let issuer = TrustedIssuer::new(config()).unwrap();
        assert_send(&issuer.verify("x"));
        assert_send(&issuer.refresh());
        let set = TrustedIssuers::new(vec![config()]).unwrap();
        assert_send(&set.verify("x"));
        assert_send(&set.refresh_all());
    }
}
