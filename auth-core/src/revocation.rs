//! Revocation: the [`RevocationStore`] trait, its stores, and the local view every
//! issuer checks access tokens against.
//!
//! Three kinds of revocation exist ([`Revocation`]): one token (by `jti`), a refresh
//! family (every token descending from one login), and a subject cutoff ("log out
//! everywhere": every token of a user issued up to a moment). On top of them the store
//! records *used* refresh tokens, so that rotation can tell a first use from a replay.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::StoreError;

mod expiring;
pub(crate) mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod set;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
pub(crate) mod view;

/// A revocation, as recorded by a store and shared between instances.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Revocation {
    /// One token (access or refresh), by its `jti`, until it expires.
    Token {
        /// The token's `jti`.
        jti: String,
        /// When the entry can be forgotten (Unix seconds): the token's `exp` plus leeway.
        expires_at: u64,
    },
    /// Every token of a refresh family (the `fam` claim: one login).
    Family {
        /// The family id.
        family: String,
        /// When the entry can be forgotten: after the last token of the family expired.
        expires_at: u64,
    },
    /// Every token of `subject` issued at or before `cutoff` ("log out everywhere").
    Subject {
        /// The subject (`sub`).
        subject: String,
        /// Tokens with `iat <= cutoff` are refused.
        cutoff: u64,
        /// When the entry can be forgotten: after every token issued before the cutoff
        /// expired.
        expires_at: u64,
    },
}

impl Revocation {
    /// When the revocation can be forgotten (Unix seconds).
    #[must_use]
    pub fn expires_at(&self) -> u64 {
        match self {
            Self::Token { expires_at, .. }
            | Self::Family { expires_at, .. }
            | Self::Subject { expires_at, .. } => *expires_at,
        }
    }
}

/// A refresh token presented for rotation or checking: what a store needs to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshUse<'a> {
    /// The token's `jti`.
    pub jti: &'a str,
    /// Its family (`fam`, or the `jti` for tokens without one, such as hawkapi-auth's).
    pub family: &'a str,
    /// Its subject.
    pub subject: &'a str,
    /// Its `iat`.
    pub issued_at: u64,
    /// Until when the "used" mark must be kept: the token's `exp` plus leeway.
    pub expires_at: u64,
    /// Until when a family revocation triggered by reuse must be kept.
    pub family_expires_at: u64,
}

impl<'a> RefreshUse<'a> {
    /// Describes a refresh token for a store.
    #[must_use]
    pub fn new(
        jti: &'a str,
        family: &'a str,
        subject: &'a str,
        issued_at: u64,
        expires_at: u64,
        family_expires_at: u64,
    ) -> Self {
        Self {
            jti,
            family,
            subject,
            issued_at,
            expires_at,
            family_expires_at,
        }
    }
}

/// The outcome of [`RevocationStore::consume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Consumed {
    /// First use: the token is now marked used.
    Fresh,
    /// The token had been used before: a replay, the sign of a stolen token. The store
    /// has revoked the whole family in the same atomic step.
    Reused,
    /// The token, its family or its subject was revoked.
    Revoked,
}

/// The state of a refresh token, from [`RevocationStore::refresh_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshStatus {
    /// Neither used nor revoked.
    Usable,
    /// Already used by a rotation.
    Used,
    /// The token, its family or its subject was revoked.
    Revoked,
}

/// A position in a store's stream of revocations (opaque to everyone but the store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor(pub String);

/// Revocations read from a store, and where to continue reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// The revocations, oldest first.
    pub revocations: Vec<Revocation>,
    /// Where the next [`RevocationStore::changes`] call continues.
    pub cursor: Cursor,
}

impl Changes {
    /// Revocations and the cursor after them.
    #[must_use]
    pub fn new(revocations: Vec<Revocation>, cursor: Cursor) -> Self {
        Self {
            revocations,
            cursor,
        }
    }
}

/// Where revocations and used refresh tokens are recorded, and shared between instances.
///
/// Every method is async and must not block the runtime (run blocking I/O on a blocking
/// pool). When the backend cannot answer, return a [`StoreError`]: the issuer then fails
/// closed. Entries only need to live until their `expires_at`: stores must forget them
/// after that (a TTL, a purge) and never grow without bound.
///
/// Access tokens are never checked against the store directly: every issuer keeps a
/// local view of the revocations, built from [`snapshot`](Self::snapshot) and kept
/// current from [`changes`](Self::changes) for stores that other processes write to
/// ([`is_shared`](Self::is_shared)). Refresh tokens are checked against the store itself.
///
/// # Implementing a store
///
/// `revoke`, `consume` and `refresh_status` are required; `consume` must be atomic (of
/// any number of concurrent calls for one token, across processes, exactly one sees
/// [`Consumed::Fresh`]). A store that several processes share also implements
/// `is_shared`, `snapshot` and `changes`.
///
/// ```
/// use std::sync::Mutex;
/// use std::collections::{HashMap, HashSet};
/// use auth_core::{Consumed, RefreshStatus, RefreshUse, Revocation, RevocationStore, StoreError};
///
/// #[derive(Default)]
/// struct MyStore {
///     revoked: Mutex<HashSet<String>>,
///     used: Mutex<HashSet<String>>,
/// }
///
/// impl RevocationStore for MyStore {
///     async fn revoke(&self, revocations: &[Revocation]) -> Result<(), StoreError> {
///         let mut revoked = self.revoked.lock().unwrap();
///         for r in revocations {
///             if let Revocation::Token { jti: id, .. } | Revocation::Family { family: id, .. } = r {
///                 revoked.insert(id.clone());
///             }
///         }
///         Ok(())
///     }
///     async fn consume(&self, t: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
///         let mut revoked = self.revoked.lock().unwrap();
///         if revoked.contains(t.jti) || revoked.contains(t.family) {
///             return Ok(Consumed::Revoked);
///         }
///         if self.used.lock().unwrap().insert(t.jti.to_owned()) {
///             Ok(Consumed::Fresh)
///         } else {
///             revoked.insert(t.family.to_owned());
///             Ok(Consumed::Reused)
///         }
///     }
///     async fn refresh_status(&self, t: &RefreshUse<'_>) -> Result<auth_core::RefreshStatus, StoreError> {
///         let revoked = self.revoked.lock().unwrap();
///         Ok(if revoked.contains(t.jti) || revoked.contains(t.family) {
///             RefreshStatus::Revoked
///         } else if self.used.lock().unwrap().contains(t.jti) {
///             RefreshStatus::Used
///         } else {
///             RefreshStatus::Usable
///         })
///     }
/// }
///
/// # let secret = auth_core::random_secret();
/// let issuer = auth_core::Issuer::builder(auth_core::IssuerConfig::hs256(secret))
///     .store(MyStore::default())
///     .build()
///     .unwrap();
/// ```
pub trait RevocationStore: Send + Sync + 'static {
    /// Records revocations. Idempotent: a later expiry extends an entry, and a subject
    /// cutoff only moves forward.
    fn revoke(
        &self,
        revocations: &[Revocation],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Atomically marks a refresh token as used: [`Consumed::Fresh`] the first time;
    /// [`Consumed::Reused`] if it was used before, after revoking its family until
    /// `family_expires_at` in the same atomic step; [`Consumed::Revoked`] if the token,
    /// its family or its subject (a cutoff at or after `issued_at`) is revoked.
    fn consume(
        &self,
        token: &RefreshUse<'_>,
    ) -> impl Future<Output = Result<Consumed, StoreError>> + Send;

    /// Whether a refresh token is usable, used or revoked, without changing anything.
    fn refresh_status(
        &self,
        token: &RefreshUse<'_>,
    ) -> impl Future<Output = Result<RefreshStatus, StoreError>> + Send;

    /// True when other processes may write to this store, so that issuers must follow
    /// its [`changes`](Self::changes) to keep their local view current.
    fn is_shared(&self) -> bool {
        false
    }

    /// Every revocation in force, and a cursor to follow changes from.
    fn snapshot(&self) -> impl Future<Output = Result<Changes, StoreError>> + Send {
        async { Ok(Changes::default()) }
    }

    /// Revocations recorded after `cursor`, waiting up to about `wait` for at least one
    /// (an empty answer after the wait is normal). Returning `Ok` proves the store is
    /// reachable: the local view counts as fresh.
    fn changes(
        &self,
        cursor: &Cursor,
        wait: Duration,
    ) -> impl Future<Output = Result<Changes, StoreError>> + Send {
        let _ = wait;
        let cursor = cursor.clone();
        async move { Ok(Changes::new(Vec::new(), cursor)) }
    }

    /// Deletes expired entries, for stores that do not expire them by themselves (a
    /// periodic task calls it); returns how many were deleted. _Default:_ nothing to do.
    fn purge_expired(&self) -> impl Future<Output = Result<usize, StoreError>> + Send {
        async { Ok(0) }
    }

    /// A short name for logs and errors (`memory`, `sqlite`, `redis`).
    fn name(&self) -> &'static str {
        "custom"
    }
}

/// A shared handle is a store too, so one store can back several issuers (or tests).
impl<S: RevocationStore> RevocationStore for std::sync::Arc<S> {
    fn revoke(
        &self,
        revocations: &[Revocation],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).revoke(revocations)
    }
    fn consume(
        &self,
        token: &RefreshUse<'_>,
    ) -> impl Future<Output = Result<Consumed, StoreError>> + Send {
        (**self).consume(token)
    }
    fn refresh_status(
        &self,
        token: &RefreshUse<'_>,
    ) -> impl Future<Output = Result<RefreshStatus, StoreError>> + Send {
        (**self).refresh_status(token)
    }
    fn is_shared(&self) -> bool {
        (**self).is_shared()
    }
    fn snapshot(&self) -> impl Future<Output = Result<Changes, StoreError>> + Send {
        (**self).snapshot()
    }
    fn changes(
        &self,
        cursor: &Cursor,
        wait: Duration,
    ) -> impl Future<Output = Result<Changes, StoreError>> + Send {
        (**self).changes(cursor, wait)
    }
    fn purge_expired(&self) -> impl Future<Output = Result<usize, StoreError>> + Send {
        (**self).purge_expired()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Object-safe twin of [`RevocationStore`], so the issuer holds any store as
/// `Arc<dyn DynStore>` and stays non-generic.
pub(crate) trait DynStore: Send + Sync {
    fn revoke<'a>(&'a self, revocations: &'a [Revocation])
    -> BoxFuture<'a, Result<(), StoreError>>;
    fn consume<'a>(
        &'a self,
        token: &'a RefreshUse<'a>,
    ) -> BoxFuture<'a, Result<Consumed, StoreError>>;
    fn refresh_status<'a>(
        &'a self,
        token: &'a RefreshUse<'a>,
    ) -> BoxFuture<'a, Result<RefreshStatus, StoreError>>;
    fn is_shared(&self) -> bool;
    fn purge_expired(&self) -> BoxFuture<'_, Result<usize, StoreError>>;
    fn snapshot(&self) -> BoxFuture<'_, Result<Changes, StoreError>>;
    fn changes<'a>(
        &'a self,
        cursor: &'a Cursor,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Changes, StoreError>>;
    fn name(&self) -> &'static str;
}

impl<T: RevocationStore> DynStore for T {
    fn revoke<'a>(
        &'a self,
        revocations: &'a [Revocation],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(RevocationStore::revoke(self, revocations))
    }
    fn consume<'a>(
        &'a self,
        token: &'a RefreshUse<'a>,
    ) -> BoxFuture<'a, Result<Consumed, StoreError>> {
        Box::pin(RevocationStore::consume(self, token))
    }
    fn refresh_status<'a>(
        &'a self,
        token: &'a RefreshUse<'a>,
    ) -> BoxFuture<'a, Result<RefreshStatus, StoreError>> {
        Box::pin(RevocationStore::refresh_status(self, token))
    }
    fn is_shared(&self) -> bool {
        RevocationStore::is_shared(self)
    }
    fn snapshot(&self) -> BoxFuture<'_, Result<Changes, StoreError>> {
        Box::pin(RevocationStore::snapshot(self))
    }
    fn changes<'a>(
        &'a self,
        cursor: &'a Cursor,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Changes, StoreError>> {
        Box::pin(RevocationStore::changes(self, cursor, wait))
    }
    fn purge_expired(&self) -> BoxFuture<'_, Result<usize, StoreError>> {
        Box::pin(RevocationStore::purge_expired(self))
    }
    fn name(&self) -> &'static str {
        RevocationStore::name(self)
    }
}
