//! [`Passwords`]: argon2id off the async workers, with bounded concurrency.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{PasswordError, PasswordHasher, PasswordParams};
use rocket::tokio::sync::Semaphore;
use rocket::tokio::task;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::AuthError;

/// Password hashing settings: the `passwords` table of the `auth` configuration.
///
/// Each hash or verification holds `m_cost` KiB of memory for its duration, so the
/// number running at once is bounded by `max_concurrent`; up to `max_waiting` more
/// queue, and beyond that requests are refused at once with 503 and `Retry-After`
/// instead of piling up until memory runs out.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PasswordConfig {
    /// argon2id memory cost in KiB. _Default:_ 65536 (hawkapi-auth's).
    pub m_cost: u32,
    /// argon2id passes. _Default:_ 3.
    pub t_cost: u32,
    /// argon2id lanes. _Default:_ 4.
    pub p_cost: u32,
    /// Longest password accepted, in bytes. _Default:_ 1024.
    pub max_password_bytes: usize,
    /// Hashes running at once. _Default:_ the number of CPUs minus one (at least one), so
    /// that a burst of logins never takes every core from request handling.
    pub max_concurrent: Option<usize>,
    /// Requests allowed to wait for a slot; more get 503. _Default:_ 64.
    pub max_waiting: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        let p = PasswordParams::HAWKAPI;
        Self {
            m_cost: p.m_cost(),
            t_cost: p.t_cost(),
            p_cost: p.p_cost(),
            max_password_bytes: auth_core::DEFAULT_MAX_PASSWORD_BYTES,
            max_concurrent: None,
            max_waiting: 64,
        }
    }
}

impl PasswordConfig {
    /// The OWASP minimum parameters (19 MiB, t = 2, p = 1), for small machines.
    #[must_use]
    pub fn owasp_minimum() -> Self {
        let p = PasswordParams::OWASP_MINIMUM;
        Self {
            m_cost: p.m_cost(),
            t_cost: p.t_cost(),
            p_cost: p.p_cost(),
            ..Self::default()
        }
    }

    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// [`PasswordError::InvalidParams`] when argon2 refuses the parameters.
    pub fn build(&self) -> Result<Passwords, PasswordError> {
        let params = PasswordParams::new(self.m_cost, self.t_cost, self.p_cost)?;
        let hasher = PasswordHasher::new(params).with_max_password_bytes(self.max_password_bytes);
        let concurrent = self
            .max_concurrent
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .saturating_sub(1)
            })
            .max(1);
        Ok(Passwords {
            inner: Arc::new(Inner {
                hasher,
                permits: Semaphore::new(concurrent),
                concurrent,
                max_waiting: self.max_waiting,
                waiting: AtomicUsize::new(0),
            }),
        })
    }
}

/// Hashes and verifies passwords on Rocket's blocking pool, never on the async
/// workers, at most `max_concurrent` at a time.
///
/// Reach it from a handler through the managed [`Auth`](crate::Auth):
///
/// ```
/// # use rocket::{post, State, serde::json::Json};
/// # use auth_rocket::{Auth, AuthError};
/// #[post("/check", data = "<password>")]
/// async fn check(auth: &State<Auth>, password: String) -> Result<&'static str, AuthError> {
///     let stored = "$argon2id$v=19$m=65536,t=3,p=4$...";
///     Ok(if auth.passwords().verify(&password, stored).await? { "ok" } else { "no" })
/// }
/// ```
#[derive(Clone)]
pub struct Passwords {
    inner: Arc<Inner>,
}

struct Inner {
    hasher: PasswordHasher,
    permits: Semaphore,
    concurrent: usize,
    max_waiting: usize,
    waiting: AtomicUsize,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("params", &self.inner.hasher.params())
            .field("max_concurrent", &self.inner.concurrent)
            .field("max_waiting", &self.inner.max_waiting)
            .finish_non_exhaustive()
    }
}

/// A password job could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordJobError {
    /// Too many hashes are queued; try again shortly (HTTP 503 with `Retry-After`).
    #[error("password hashing is saturated; retry shortly")]
    Busy,
    /// The password is over the length limit (HTTP 422 in an API).
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<PasswordJobError> for AuthError {
    fn from(e: PasswordJobError) -> Self {
        Self::Unavailable {
            retry_after: 1,
            reason: e.to_string(),
        }
    }
}

/// Decrements the waiting count when a waiter leaves, however it leaves.
struct Waiting<'a>(&'a AtomicUsize);
impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Passwords {
    /// The hasher (parameters and limits) jobs run with.
    #[must_use]
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// Hashes `password` (argon2id PHC string).
    ///
    /// # Errors
    ///
    /// [`PasswordJobError::Busy`] when the queue is full, or the hasher's error (a
    /// password over the length limit).
    pub async fn hash(&self, password: &str) -> Result<String, PasswordJobError> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move |h| h.hash(&password))
            .await?
            .map_err(PasswordJobError::from)
    }

    /// True when `password` matches `stored_hash` (never an error for a bad hash:
    /// `false`).
    ///
    /// # Errors
    ///
    /// [`PasswordJobError::Busy`] when the queue is full.
    pub async fn verify(
        &self,
        password: &str,
        stored_hash: &str,
    ) -> Result<bool, PasswordJobError> {
        let password = Zeroizing::new(password.to_owned());
        let stored = stored_hash.to_owned();
        self.run(move |h| h.verify(&password, &stored)).await
    }

    /// Spends one verification's time and returns `false`: call it for unknown users so
    /// that timing does not reveal which accounts exist.
    ///
    /// # Errors
    ///
    /// [`PasswordJobError::Busy`] when the queue is full.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, PasswordJobError> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move |h| h.verify_dummy(&password)).await
    }

    /// True when a stored hash should be upgraded (cheap; no hashing).
    #[must_use]
    pub fn needs_rehash(&self, stored_hash: &str) -> bool {
        self.inner.hasher.needs_rehash(stored_hash)
    }

    async fn run<T, F>(&self, job: F) -> Result<T, PasswordJobError>
    where
        T: Send + 'static,
        F: FnOnce(&PasswordHasher) -> T + Send + 'static,
    {
        let inner = &self.inner;
        let permit = match inner.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if inner.waiting.fetch_add(1, Ordering::SeqCst) >= inner.max_waiting {
                    inner.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(PasswordJobError::Busy);
                }
                let _waiting = Waiting(&inner.waiting);
                inner
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| PasswordJobError::Busy)?
            }
        };
        let hasher = inner.hasher.clone();
        let result = task::spawn_blocking(move || job(&hasher)).await;
        drop(permit);
        // A panic inside argon2 would be a bug; report "busy" rather than crash the worker.
        result.map_err(|_| PasswordJobError::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(concurrent: usize, waiting: usize) -> Passwords {
        PasswordConfig {
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
            max_concurrent: Some(concurrent),
            max_waiting: waiting,
            ..PasswordConfig::default()
        }
        .build()
        .unwrap()
    }

    #[rocket::async_test]
    async fn hashes_and_verifies_off_the_worker() {
        let p = fast(2, 2);
        let h = p.hash("pw").await.unwrap();
        assert!(p.verify("pw", &h).await.unwrap());
        assert!(!p.verify("px", &h).await.unwrap());
        assert!(!p.verify_dummy("pw").await.unwrap());
        assert!(!p.needs_rehash(&h));
    }

    #[rocket::async_test]
    async fn a_full_queue_refuses_at_once() {
        // One slot, no waiting room: hold the slot and try another job.
        let p = fast(1, 0);
        let held = p.inner.permits.try_acquire().unwrap();
        assert!(matches!(p.hash("x").await, Err(PasswordJobError::Busy)));
        drop(held);
        assert!(p.hash("x").await.is_ok());
        assert_eq!(p.inner.waiting.load(Ordering::SeqCst), 0);
    }

    #[rocket::async_test]
    async fn too_long_passwords_are_an_error() {
        let p = PasswordConfig {
            max_password_bytes: 4,
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
            ..PasswordConfig::default()
        }
        .build()
        .unwrap();
        assert!(matches!(
            p.hash("12345").await,
            Err(PasswordJobError::Password(PasswordError::TooLong {
                max: 4
            }))
        ));
    }
}
