//! JWT authentication for Rocket 0.5: access and refresh tokens, argon2id passwords,
//! request guards, scopes and refresh revocation. A port of the Python package
//! `hawkapi-auth`, wire-compatible with it.
//!
//! Attach the fairing at launch, take [`User`] as a route parameter, and put
//! `#[requires_scopes(..)]` above the route attribute:
//!
//! ```no_run
//! use rocket::{get, launch, routes};
//! use auth_rocket::{Auth, User, requires_scopes};
//!
//! #[get("/me")]
//! fn me(user: User) -> String {            // 401 without a valid access token
//!     user.id
//! }
//!
//! #[requires_scopes("admin")]              // above the route attribute
//! #[get("/admin")]
//! fn admin(user: User) -> &'static str {   // 403 without the scope
//!     "hi"
//! }
//!
//! #[launch]
//! fn rocket() -> _ {
//!     rocket::build().attach(Auth::fairing()).mount("/", routes![me, admin])
//! }
//! ```
//!
//! Handlers reach the issuer and the password pool through the managed [`Auth`]
//! (`&State<Auth>`): `auth.issuer().issue_access(..)`, `auth.passwords().verify(..).await`.
//!
//! # Guards
//!
//! | guard | yields | fails with |
//! |---|---|---|
//! | [`User`] | the subject (`sub`) | 401 |
//! | [`AuthClaims`] | every verified claim | 401 |
//! | [`RequireScopes<S>`](RequireScopes) | proof that the scopes of `S` are granted | 401, 403 |
//! | `Option<User>`, `Option<AuthClaims>` | `None` instead of failing | never |
//! | `Result<User, AuthError>` | the failure, to handle yourself | never |
//!
//! The token is verified once per request however many guards a route has. A route that
//! uses a guard while the fairing is not attached stops the launch (Rocket's
//! [`Sentinel`](rocket::Sentinel)). Failures are JSON with RFC 6750 challenges; see
//! [`AuthError`].
//!
//! # Configuration
//!
//! The fairing reads the `auth` table of Rocket's configuration; every key can be set as
//! `ROCKET_AUTH_<KEY>` in the environment. See [`AuthConfig`] for the keys. A missing or
//! weak key stops the launch with a message that says what to set.
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `macros` | yes | `#[requires_scopes]` |
//! | `rust-crypto` | yes | pure-Rust cryptography |
//! | `aws-lc` | no | AWS-LC cryptography instead; enable exactly one |
//! | `sqlite` | no | `store = "sqlite"`: revocations in an SQLite file (processes of one host) |
//! | `redis` | no | `store = "redis"`: revocations in Redis (every instance) |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod bearer;
mod catchers;
mod config;
mod error;
mod fairing;
mod guard;
mod jwks;
mod passwords;
mod scopes;
mod source;
mod store;

pub use auth_core;
#[cfg(feature = "redis")]
pub use auth_core::RedisStore;
#[cfg(feature = "sqlite")]
pub use auth_core::SqliteStore;
pub use auth_core::{
    Algorithm, Audience, Claims, Clock, Issuer, IssuerConfig, KeyConfig, KeyError, KeyInfo,
    MemoryStore, RevocationStore, Rotation, Scopes, Secret, StalePolicy, TokenError, TokenPair,
    TokenType, hash_password, needs_rehash, random_secret, verify_password,
};
pub use catchers::catchers;
pub use config::{AuthConfig, has_signing_key};
pub use error::AuthError;
pub use fairing::{Auth, AuthFairing};
pub use guard::{AuthClaims, User, authenticate, authenticate_from, last_failure};
pub use jwks::jwks_routes;
pub use passwords::{PasswordConfig, PasswordJobError, Passwords};
pub use scopes::{RequireScopes, ScopeSet};
pub use source::{Any, External, Local, TokenSource};
pub use store::{StoreConfig, StoreKind};

/// Requires scopes on a Rocket route: the request's access token must grant every one.
///
/// Place it **above** the route attribute (`#[get]`, `#[post]`, `#[route]`, ...). It adds
/// a [`RequireScopes`] guard as the first parameter of the handler, so it runs before
/// every other guard and before the body is read: 401 without a valid token, 403 without
/// the scopes. The handler's body and return type are left alone. Several attributes
/// stack (all are required); sync and async handlers both work.
///
/// ```
/// use rocket::{get, post};
/// use auth_rocket::{User, requires_scopes};
///
/// #[requires_scopes("admin")]
/// #[get("/admin")]
/// fn admin(user: User) -> String {
///     format!("hi {}", user.id)
/// }
///
/// #[requires_scopes("read", "write")]     // both
/// #[requires_scopes("audit")]             // and this one
/// #[post("/records")]
/// async fn records() -> &'static str {
///     "ok"
/// }
/// ```
///
/// Stacked attributes are separate guards checked top first: a token missing scopes of
/// two attributes is told about those of the upper one. A scope is one OAuth 2
/// scope-token (RFC 6749 §3.3): visible ASCII, no spaces, no `"` or `\`.
///
/// Misuse is a compile error pointing at the mistake: no scopes, a non-literal, an empty,
/// spaced or non-ASCII scope, a duplicate, a non-function, or the attribute placed below
/// the route attribute.
///
/// Limits: the generated code names `::auth_rocket`, so renaming the dependency in
/// `Cargo.toml` is not supported, and the route attribute is recognised by its name
/// (`get`, `post`, ..., `route`), so `use rocket::get as fetch` is not either. Set
/// `AUTH_MACROS_DEBUG=1` while compiling to print the expansion.
#[cfg(feature = "macros")]
pub use auth_macros::requires_scopes;
