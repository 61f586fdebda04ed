//! Refresh-token revocation: the [`RevocationStore`] trait and its stores.

use std::future::Future;
use std::pin::Pin;

use crate::StoreError;

pub(crate) mod memory;

/// Where revoked token ids (`jti`) are recorded until their token expires.
///
/// The issuer calls [`revoke`](Self::revoke) from
/// [`Issuer::revoke_refresh`](crate::Issuer::revoke_refresh) and
/// [`is_revoked`](Self::is_revoked) from
/// [`Issuer::verify_refresh`](crate::Issuer::verify_refresh). Implementations must be
/// cheap to share (`Send + Sync`), must never block the async runtime (do blocking I/O
/// on a blocking pool), and must return [`StoreError`] rather than guess when the backend
/// cannot answer: the issuer then fails closed.
///
/// Entries only need to live until `expires_at`: after that the token is refused as
/// expired anyway, so stores should forget them (a TTL, a purge) and never grow without
/// bound.
///
/// # Implementing a store
///
/// Write the methods as `async fn`; the returned futures must be `Send`.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use auth_core::{RevocationStore, StoreError};
///
/// #[derive(Default)]
/// struct MyStore(Mutex<HashMap<String, u64>>);
///
/// impl RevocationStore for MyStore {
///     async fn revoke(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
///         self.0.lock().unwrap().insert(jti.to_owned(), expires_at);
///         Ok(())
///     }
///     async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
///         Ok(self.0.lock().unwrap().contains_key(jti))
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
    /// Records `jti` as revoked until `expires_at` (Unix seconds). Revoking twice is not
    /// an error.
    fn revoke(
        &self,
        jti: &str,
        expires_at: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// True when `jti` was revoked and its entry has not expired.
    fn is_revoked(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A short name for logs and errors (`memory`, `sqlite`, `redis`).
    fn name(&self) -> &'static str {
        "custom"
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Object-safe twin of [`RevocationStore`], so the issuer holds any store as
/// `Arc<dyn DynStore>` and stays non-generic.
pub(crate) trait DynStore: Send + Sync {
    fn revoke<'a>(&'a self, jti: &'a str, expires_at: u64)
    -> BoxFuture<'a, Result<(), StoreError>>;
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    fn name(&self) -> &'static str;
}

impl<T: RevocationStore> DynStore for T {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(RevocationStore::revoke(self, jti, expires_at))
    }
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(RevocationStore::is_revoked(self, jti))
    }
    fn name(&self) -> &'static str {
        RevocationStore::name(self)
    }
}
