//! Typed errors, one enum per concern, plus the crate-wide [`Error`].
//!
//! No message here ever contains a token, a secret, a key or a password: they are safe
//! to log. Foreign error types never appear in public variants; where a backend error is
//! useful for diagnosis it is kept as an opaque `source`.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::Algorithm;
use crate::claims::TokenType;

/// A boxed error from a backend (network, file system, database), kept opaque.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The configuration cannot produce a working issuer. Raised once, when the
/// [`Issuer`](crate::Issuer) is built, so a bad deployment fails at start-up rather than
/// at the first login.
///
/// Every message names the field at fault and says how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither or both of the crypto backends (`rust-crypto`, `aws-lc`) are compiled in and
    /// none was installed by hand.
    #[error(
        "no JWT crypto backend is selected: enable exactly one of the `rust-crypto` (default) or \
         `aws-lc` features of auth-core, or install one at start-up with \
         `jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default()`"
    )]
    NoCryptoBackend,

    /// No key material for the configured algorithm.
    #[error("{hint}")]
    MissingKey {
        /// The configured algorithm.
        algorithm: Algorithm,
        /// What to set, and how to make one.
        hint: &'static str,
    },

    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "`secret` is {actual} bytes but {algorithm} needs at least {min}: generate one with \
         `auth_core::random_secret()` or `openssl rand -base64 48` and set it as `secret` / \
         ROCKET_AUTH_SECRET"
    )]
    WeakSecret {
        /// The configured algorithm.
        algorithm: Algorithm,
        /// The minimum length in bytes.
        min: usize,
        /// The length of the configured secret in bytes.
        actual: usize,
    },

    /// Key material of the wrong kind was configured (a PEM key for an HMAC algorithm, or a
    /// shared secret for a signature algorithm). Refused rather than guessed, because a
    /// silent fallback is how algorithm-confusion bugs start.
    #[error("`{field}` is set but {algorithm} does not use it: {hint}")]
    ConflictingKey {
        /// The field that should not be set.
        field: &'static str,
        /// The configured algorithm.
        algorithm: Algorithm,
        /// What to do instead.
        hint: &'static str,
    },

    /// A PEM key could not be read or does not fit the algorithm.
    #[error("`{field}` is not a usable {algorithm} key: {reason}")]
    InvalidKey {
        /// The field holding the key.
        field: &'static str,
        /// The configured algorithm.
        algorithm: Algorithm,
        /// What is wrong and how to fix it.
        reason: Cow<'static, str>,
    },

    /// An RSA key shorter than 2048 bits.
    #[error(
        "`{field}` is a {bits}-bit RSA key; at least 2048 bits are required (NIST SP 800-131A): \
         generate a new one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`"
    )]
    WeakRsaKey {
        /// The field holding the key.
        field: &'static str,
        /// The modulus size in bits.
        bits: usize,
    },

    /// The private and public keys are not a pair.
    #[error(
        "`private_key` and `public_key` are not a key pair: a token signed with one does not \
         verify with the other. Re-export the public key with `openssl pkey -in private.pem -pubout`"
    )]
    KeyMismatch,

    /// A key or secret file could not be read.
    #[error("cannot read `{field}` from {path}: {source}", path = path.display())]
    KeyFile {
        /// The `*_path` field.
        field: &'static str,
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A key of the `keys` list is unusable.
    #[error("keys[{index}]{}: {source}", kid.as_ref().map(|k| format!(" (kid {k:?})")).unwrap_or_default())]
    InKey {
        /// Its position in the list.
        index: usize,
        /// Its configured `kid`, if any.
        kid: Option<String>,
        /// What is wrong with it.
        #[source]
        source: Box<Self>,
    },

    /// A field holds a value outside its allowed range.
    #[error("`{field}` {reason}")]
    InvalidValue {
        /// The field at fault.
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: Cow<'static, str>,
    },
}

/// Why a token was refused.
///
/// Any input, however hostile, ends in one of these, never in a panic. The messages say
/// why without echoing the token. For HTTP, every variant is a 401 except
/// [`TokenError::Store`], which means the revocation store could not answer, and
/// [`TokenError::KeysUnavailable`], which means a trusted issuer's keys could not be
/// fetched (503: fail closed, never pass; see [`TokenError::is_unavailable`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured `max_token_bytes`; nothing was decoded.
    #[error("token is larger than the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Not a compact JWS (three base64url parts), bad base64, bad JSON, duplicate member
    /// names, or a header or payload that is not a JSON object.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header asks for a JOSE feature this verifier does not implement (`crit`,
    /// `b64: false`, encryption). RFC 7515 §4.1.11 requires refusing such tokens.
    #[error("token header uses `{0}`, which this verifier does not support")]
    UnsupportedHeader(&'static str),
    /// The header's `alg` is not the algorithm of the key that would verify it (this is
    /// what stops `none` and HS/RS confusion).
    #[error("token algorithm does not match the configured key")]
    AlgorithmMismatch,
    /// The header's `kid` names no configured key. Keys are never fetched or taken from
    /// the token (`jku`, `x5u`, `jwk` and `x5c` are ignored).
    #[error("token names a key id that is not configured")]
    UnknownKey,
    /// The signature does not verify.
    #[error("token signature is invalid")]
    InvalidSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("token is not valid yet")]
    NotYetValid,
    /// A required claim is absent.
    #[error("token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an unusable value.
    #[error("token claim `{0}` is invalid")]
    InvalidClaim(&'static str),
    /// `iss` is not the configured issuer.
    #[error("token issuer is not accepted")]
    InvalidIssuer,
    /// `aud` names none of the configured audiences, or the token has an audience and
    /// none is configured (RFC 7519 §4.1.3).
    #[error("token audience is not accepted")]
    InvalidAudience,
    /// An access token was presented where a refresh token was expected, or the reverse.
    #[error("expected {expected} token")]
    WrongType {
        /// The type that was expected.
        expected: TokenType,
    },
    /// The token (or its session) was revoked.
    #[error("token has been revoked")]
    Revoked,
    /// A refresh token was presented a second time: a replay, the sign of a stolen
    /// token. Its whole family (the session) has been revoked.
    #[error("refresh token was already used; its session has been revoked")]
    Reused,
    /// The revocation store could not answer, so the token could not be checked. Fail
    /// closed: treat as "service unavailable", never as valid.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The issuer's keys could not be fetched: its JWKS (or OIDC discovery document) is
    /// unreachable, too slow, too large or invalid, and no keys fetched earlier are still
    /// usable (never fetched, or older than the stale limit). Fail closed: treat as
    /// "service unavailable" (503), never as valid. Only raised by trusted third-party
    /// issuers (feature `remote-jwks`).
    #[error("the token issuer's keys could not be fetched")]
    KeysUnavailable,
}

impl TokenError {
    /// True when the failure is the store's, not the token's (HTTP 503 rather than 401).
    #[must_use]
    pub fn is_store_failure(&self) -> bool {
        matches!(self, Self::Store(_))
    }

    /// True when the token could not be checked because something it depends on is
    /// unavailable (the revocation store, or a trusted issuer's keys), rather than
    /// because it is bad: HTTP 503 rather than 401. Fail closed either way.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Store(_) | Self::KeysUnavailable)
    }
}

/// A token could not be issued. These are programming or deployment errors, never
/// caused by a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The subject is empty.
    #[error("the subject (`sub`) of a token must not be empty")]
    EmptySubject,
    /// Extra claims tried to set a reserved claim.
    #[error(
        "extra claim `{0}` is reserved and set by the issuer (reserved: sub, iat, exp, nbf, jti, \
         type, iss, aud, fam); rename it"
    )]
    ReservedClaim(String),
    /// Extra claims did not serialise to a JSON object.
    #[error("extra claims must serialise to a JSON object (a struct or a map), or to null")]
    ExtraNotObject,
    /// Extra claims failed to serialise.
    #[error("extra claims cannot be serialised: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The issuer holds only a public key: it can verify but not sign.
    #[error("this issuer is verify-only: configure `private_key` to issue tokens")]
    VerifyOnly,
    /// The crypto backend failed to sign.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password exceeds the configured maximum; it was not hashed.
    #[error("password is longer than {max} bytes")]
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// Invalid argon2 parameters.
    #[error("invalid argon2 parameters: {0}")]
    InvalidParams(String),
    /// The operating system's random number generator failed.
    #[error("cannot generate a salt: the OS random number generator failed")]
    Rng,
    /// argon2 failed (out of memory, for example).
    #[error("argon2 failed: {0}")]
    Hashing(String),
}

/// The revocation store could not complete an operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend is unreachable or timed out. Retry later; meanwhile fail closed.
    #[error("revocation store `{backend}` is unavailable: {source}")]
    Unavailable {
        /// The store's name (`memory`, `sqlite`, `redis`).
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The local view of a shared store has not been refreshed for longer than the
    /// configured bound (the store is unreachable), so revocations made elsewhere may be
    /// missing: refuse rather than guess.
    #[error("revocation data is {age_secs} s old: the store has been unreachable for too long")]
    Stale {
        /// Age of the view in seconds.
        age_secs: u64,
    },
    /// The store is misconfigured (a bad URL or key prefix, an unsupported server
    /// version): retrying will not help, the configuration must change.
    #[error("revocation store `{backend}` is misconfigured: {reason}")]
    Misconfigured {
        /// The store's name.
        backend: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The backend answered with something it should never hold.
    #[error("revocation store `{backend}` returned unexpected data: {detail}")]
    Corrupt {
        /// The store's name.
        backend: &'static str,
        /// What was unexpected.
        detail: String,
    },
}

impl StoreError {
    /// Wraps a backend error as [`StoreError::Unavailable`].
    pub fn unavailable(backend: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            backend,
            source: source.into(),
        }
    }
}

/// The operating system's random number generator failed; no secure secret, salt or
/// token id can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessError;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`ConfigError`].
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// See [`TokenError`].
    #[error(transparent)]
    Token(#[from] TokenError),
    /// See [`IssueError`].
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// See [`PasswordError`].
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// See [`StoreError`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
