//! JWT access and refresh tokens, argon2id password hashing and refresh-token
//! revocation, with no web framework attached: usable from a CLI, a worker or any
//! server. A Rust port of the Python package `hawkapi-auth`, wire-compatible with it:
//! same claims, same secrets, same password hashes.
//!
//! For Rocket, depend on `auth-rocket`, which re-exports this crate and adds request
//! guards, a fairing and `#[requires_scopes]`.
//!
//! # Example
//!
//! ```
//! use auth_core::{Issuer, IssuerConfig, hash_password, verify_password, random_secret};
//! use serde_json::json;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // Register.
//! let stored = hash_password("correct horse battery staple")?;
//!
//! // Log in.
//! assert!(verify_password("correct horse battery staple", &stored));
//! let issuer = Issuer::new(IssuerConfig::hs256(random_secret()))?;
//! let access = issuer.issue_access("user-42", &json!({"scope": "read"}))?;
//! let refresh = issuer.issue_refresh("user-42", &())?;
//!
//! // Each request.
//! let claims = issuer.verify_access(&access)?;
//! assert_eq!(claims.sub, "user-42");
//!
//! // Refresh, then log out.
//! let claims = issuer.verify_refresh(&refresh).await?;
//! let new_access = issuer.issue_access(&claims.sub, &())?;
//! issuer.revoke_refresh(&refresh).await?;
//! assert!(issuer.verify_refresh(&refresh).await.is_err());
//! # Ok::<(), auth_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! # What a token must pass
//!
//! Size limit before decoding (8 KiB), three canonical base64url parts, strict JSON with
//! no duplicate member names, no `crit`/`b64`/JWE header, `alg` equal to the configured
//! key's (never `none`, no HS/RS confusion), a `kid` only to choose among configured keys
//! (`jku`, `x5u`, `jwk`, `x5c` are ignored), a valid signature, then `exp` (required),
//! `nbf` and `iat` with a small leeway, `iss`/`aud` when configured, `type`, and a
//! non-empty `sub` and `jti`. See [`TokenError`] for every refusal.
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rust-crypto` | yes | pure-Rust cryptography (RustCrypto) |
//! | `aws-lc` | no | AWS-LC cryptography instead (needs a C compiler); enable exactly one |
//! | `sqlite` | no | `SqliteStore`: revocations in an SQLite file, for the processes of one host |
//! | `redis` | no | `RedisStore`: revocations in Redis, for every instance |
//! | `remote-jwks` | no | `TrustedIssuer(s)`: tokens of third-party identity providers, verified with their JWKS or OIDC discovery |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "rust-crypto", feature = "aws-lc")))]
compile_error!(
    "auth-core needs a crypto backend: enable the `rust-crypto` (default) or `aws-lc` feature"
);

mod algorithm;
mod cache;
mod claims;
mod clock;
mod config;
pub mod dangerous;
mod error;
mod issuer;
mod json;
mod jws;
mod key;
mod keyring;
mod password;
#[cfg(feature = "remote-jwks")]
mod remote;
mod revocation;
mod scopes;
mod secret;
mod session;

pub use algorithm::{Algorithm, KeyFamily, UnknownAlgorithm};
pub use claims::{Claims, RESERVED_CLAIMS, TokenType};
pub use clock::Clock;
pub use config::{
    Audience, DEFAULT_ACCESS_TTL, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_REFRESH_TTL,
    IssuerConfig,
};
pub use error::{
    BoxError, ConfigError, Error, IssueError, PasswordError, RandomnessError, Result, StoreError,
    TokenError,
};
pub use issuer::{DEFAULT_MAX_STALENESS, Issuer, IssuerBuilder};
pub use keyring::{KeyConfig, KeyError, KeyInfo};
pub use password::{
    DEFAULT_MAX_PASSWORD_BYTES, PasswordHasher, PasswordParams, VerifyLimits, hash_password,
    needs_rehash, verify_password,
};
#[cfg(feature = "remote-jwks")]
pub use remote::{TrustedIssuer, TrustedIssuerConfig, TrustedIssuers};
pub use revocation::memory::MemoryStore;
#[cfg(feature = "redis")]
pub use revocation::redis::RedisStore;
#[cfg(feature = "sqlite")]
pub use revocation::sqlite::SqliteStore;
pub use revocation::view::StalePolicy;
pub use revocation::{
    Changes, Consumed, Cursor, RefreshStatus, RefreshUse, Revocation, RevocationStore,
};
pub use scopes::Scopes;
pub use secret::{Secret, random_secret, try_random_secret};
pub use session::{Rotation, TokenPair};
