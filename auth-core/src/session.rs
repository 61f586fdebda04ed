//! Sessions: token pairs, refresh rotation with reuse detection, and revocation of
//! tokens, sessions and users. Methods of [`Issuer`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use crate::secret::random_hex_id;
use crate::{
    Claims, Consumed, IssueError, Issuer, RefreshStatus, RefreshUse, Revocation, StoreError,
    TokenError, TokenType,
};

/// How long one [`changes`](crate::RevocationStore::changes) call may wait for news.
const SYNC_WAIT: Duration = Duration::from_secs(1);
/// Longest pause between reconnection attempts of the sync loop.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// An access token and a refresh token of one session (refresh family).
///
/// `Debug` never shows the tokens.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Always `"bearer"` (RFC 6749 §7.1).
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh family (session) both tokens belong to; not part of the JSON answer.
    #[serde(skip)]
    pub family: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("family", &self.family)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A refresh token that has just been consumed by [`Issuer::rotate`]: issue the next
/// pair of its session with [`issue`](Self::issue).
#[derive(Debug)]
#[must_use = "the refresh token is spent: issue the next pair"]
pub struct Rotation {
    issuer: Issuer,
    claims: Claims,
    family: String,
}

impl Rotation {
    /// The claims of the consumed refresh token (its `sub` is the user).
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Issues the next access and refresh tokens of the same session.
    ///
    /// # Errors
    ///
    /// As [`Issuer::issue_access`].
    pub fn issue<E: Serialize + ?Sized>(&self, extra: &E) -> Result<TokenPair, IssueError> {
        self.issuer
            .pair(&self.claims.sub, extra, self.family.clone())
    }
}

impl Issuer {
    /// Issues an access and a refresh token for `subject`, starting a new session (refresh
    /// family): what a login returns. Both tokens carry the family id in `fam`, so that
    /// revoking the session also stops its access tokens.
    ///
    /// # Errors
    ///
    /// As [`issue_access`](Self::issue_access).
    ///
    /// ```
    /// # let issuer = auth_core::Issuer::new(auth_core::IssuerConfig::hs256(auth_core::random_secret())).unwrap();
    /// let pair = issuer.issue_pair("user-1", &serde_json::json!({"scope": "read"})).unwrap();
    /// assert_eq!(pair.token_type, "bearer");
    /// assert_eq!(issuer.verify_access(&pair.access_token).unwrap().fam.as_ref(), Some(&pair.family));
    /// ```
    pub fn issue_pair<E: Serialize + ?Sized>(
        &self,
        subject: &str,
        extra: &E,
    ) -> Result<TokenPair, IssueError> {
        let family = random_hex_id().map_err(|e| IssueError::Signing(e.to_string()))?;
        self.pair(subject, extra, family)
    }

    fn pair<E: Serialize + ?Sized>(
        &self,
        subject: &str,
        extra: &E,
        family: String,
    ) -> Result<TokenPair, IssueError> {
        Ok(TokenPair {
            access_token: self.issue(subject, extra, TokenType::Access, Some(&family))?,
            refresh_token: self.issue(subject, &(), TokenType::Refresh, Some(&family))?,
            token_type: "bearer",
            expires_in: self.access_ttl(),
            family,
        })
    }

    /// Consumes a refresh token, atomically across every instance sharing the store, and
    /// returns a [`Rotation`] to issue the next pair of the same session with.
    ///
    /// Of any number of concurrent rotations of one token, exactly one succeeds. A token
    /// presented again after it was consumed is a replay (the mark of a stolen token): the
    /// whole session is revoked, so the thief's and the victim's newer tokens stop
    /// working, the answer is [`TokenError::Reused`], and a security event is logged.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]: the token does not verify, is revoked, was reused; or
    /// [`TokenError::Store`] when the store cannot answer.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let issuer = auth_core::Issuer::new(auth_core::IssuerConfig::hs256(auth_core::random_secret())).unwrap();
    /// use auth_core::TokenError;
    ///
    /// let first = issuer.issue_pair("user-1", &()).unwrap();
    /// let second = issuer.rotate(&first.refresh_token).await.unwrap().issue(&()).unwrap();
    ///
    /// // Replaying the first refresh token revokes the whole session...
    /// assert!(matches!(issuer.rotate(&first.refresh_token).await, Err(TokenError::Reused)));
    /// // ...including the tokens issued after it.
    /// assert!(matches!(issuer.rotate(&second.refresh_token).await, Err(TokenError::Revoked)));
    /// assert!(issuer.verify_access(&second.access_token).is_err());
    /// # });
    /// ```
    pub async fn rotate(&self, refresh_token: &str) -> Result<Rotation, TokenError> {
        let claims = self.decode(refresh_token, TokenType::Refresh)?;
        let now = self.inner.clock.now();
        self.inner.view.check(&claims, now)?;
        let family = family_of(&claims).to_owned();
        let token = self.refresh_use(&claims, &family, now);
        match self.inner.store.consume(&token).await? {
            Consumed::Fresh => Ok(Rotation {
                issuer: self.clone(),
                claims,
                family,
            }),
            Consumed::Reused => {
                self.inner.view.apply(
                    &[Revocation::Family {
                        family: family.clone(),
                        expires_at: token.family_expires_at,
                    }],
                    now,
                );
                log::warn!(
                    target: "auth::security",
                    "refresh token reuse detected: session {family} of subject {:?} revoked (jti {})",
                    claims.sub,
                    claims.jti
                );
                Err(TokenError::Reused)
            }
            Consumed::Revoked => Err(TokenError::Revoked),
        }
    }

    /// Verifies a refresh token like [`verify_access`](Self::verify_access) (with
    /// `"type": "refresh"`), then asks the store whether it is still usable: neither
    /// revoked nor already used. Changes nothing; use [`rotate`](Self::rotate) to
    /// exchange it.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]; [`TokenError::Revoked`] once revoked or used, and
    /// [`TokenError::Store`] when the store cannot answer (fail closed).
    pub async fn verify_refresh(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = self.decode(token, TokenType::Refresh)?;
        let now = self.inner.clock.now();
        self.inner.view.check(&claims, now)?;
        let family = family_of(&claims);
        match self
            .inner
            .store
            .refresh_status(&self.refresh_use(&claims, family, now))
            .await?
        {
            RefreshStatus::Usable => Ok(claims),
            RefreshStatus::Used | RefreshStatus::Revoked => Err(TokenError::Revoked),
        }
    }

    /// Logs a session out: revokes the refresh token and its whole family (the access
    /// tokens of the session included) until they expire. The token is verified first:
    /// a forged, expired or access token is an error, not a silent success. Logging out
    /// twice succeeds.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] when the token does not verify, or [`TokenError::Store`].
    pub async fn revoke_refresh(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = self.decode(token, TokenType::Refresh)?;
        let now = self.inner.clock.now();
        let revocations = [
            Revocation::Token {
                jti: claims.jti.clone(),
                expires_at: self.forget_after(claims.exp),
            },
            Revocation::Family {
                family: family_of(&claims).to_owned(),
                expires_at: self.family_expiry(now),
            },
        ];
        self.record(&revocations, now).await?;
        Ok(claims)
    }

    /// Revokes one access token until it expires (an optional per-route or global
    /// feature: access tokens are short-lived, and most services only revoke sessions).
    /// Every instance refuses it within the propagation delay of the store.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] when the token does not verify as an access token (revoked ones
    /// included: revoking twice succeeds), or [`TokenError::Store`].
    pub async fn revoke_access(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = self.decode(token, TokenType::Access)?;
        let now = self.inner.clock.now();
        self.record(
            &[Revocation::Token {
                jti: claims.jti.clone(),
                expires_at: self.forget_after(claims.exp),
            }],
            now,
        )
        .await?;
        Ok(claims)
    }

    /// Revokes a token by its `jti` until `expires_at` (for tools that know the id, not
    /// the token).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot record it.
    pub async fn revoke_jti(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        let now = self.inner.clock.now();
        self.record(
            &[Revocation::Token {
                jti: jti.to_owned(),
                expires_at: self.forget_after(expires_at),
            }],
            now,
        )
        .await
    }

    /// Logs `subject` out everywhere (after a password change, or on request): every
    /// token issued to it up to now, access and refresh, is refused from now on, on
    /// every instance. Tokens issued afterwards are not affected.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot record it.
    pub async fn revoke_subject(&self, subject: &str) -> Result<(), StoreError> {
        let now = self.inner.clock.now();
        let longest = self.access_ttl().max(self.refresh_ttl());
        let revocation = Revocation::Subject {
            subject: subject.to_owned(),
            cutoff: now,
            expires_at: now
                .saturating_add(longest)
                .saturating_add(self.inner.config.leeway),
        };
        self.record(&[revocation], now).await
    }

    /// Loads every revocation in force from the store into this issuer's local view, and
    /// remembers where to follow changes from. Call it once at start-up (the Rocket
    /// fairing does), before serving requests.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    pub async fn load_revocations(&self) -> Result<usize, StoreError> {
        let snapshot = self.inner.store.snapshot().await?;
        let count = snapshot.revocations.len();
        self.inner.view.reset(
            &snapshot.revocations,
            snapshot.cursor,
            self.inner.clock.now(),
        );
        Ok(count)
    }

    /// Keeps the local view current from the store's change feed, forever: run it as a
    /// background task (the Rocket fairing does) and drop it to stop. Returns at once for
    /// stores no other process writes to.
    ///
    /// `sleep` waits between reconnection attempts while the store is down (pass your
    /// runtime's sleep, e.g. `tokio::time::sleep`). Every successful exchange marks the
    /// view fresh; while the store is down the view ages, and access-token checks fail
    /// closed once it is older than the configured bound. When the store is back, the
    /// loop catches up from where it stopped: nothing revoked meanwhile is missed.
    pub async fn sync_revocations<S, F>(&self, sleep: S)
    where
        S: Fn(Duration) -> F,
        F: Future<Output = ()>,
    {
        if !self.inner.view.is_shared() {
            return;
        }
        let mut backoff = Duration::from_millis(50);
        let mut down = false;
        loop {
            let cursor = self.inner.view.cursor();
            match self.inner.store.changes(&cursor, SYNC_WAIT).await {
                Ok(changes) => {
                    let now = self.inner.clock.now();
                    self.inner.view.apply(&changes.revocations, now);
                    self.inner.view.set_cursor(changes.cursor);
                    self.inner.view.mark_fresh();
                    if down {
                        log::info!(
                            "auth: revocation store `{}` reachable again",
                            self.store_name()
                        );
                        down = false;
                    }
                    backoff = Duration::from_millis(50);
                }
                Err(e) => {
                    if !down {
                        log::error!("auth: cannot follow revocations: {e}; retrying");
                        down = true;
                    }
                    sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Drops expired entries from the local view and asks the store to delete its own
    /// (for a periodic task; the Rocket fairing runs it every minute). Returns how many
    /// entries went.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot purge (the view was purged regardless).
    pub async fn purge_revocations(&self) -> Result<usize, StoreError> {
        let local = self.inner.view.purge(self.inner.clock.now());
        Ok(local + self.inner.store.purge_expired().await?)
    }

    /// Checks claims verified earlier (by this issuer) against the local revocation view:
    /// a revoked token, session or subject cutoff is [`TokenError::Revoked`]; a view too
    /// old to trust is [`TokenError::Store`]. What every access-token verification does
    /// after the signature, without a network round trip.
    ///
    /// # Errors
    ///
    /// As above.
    pub fn check_revoked(&self, claims: &Claims) -> Result<(), TokenError> {
        self.inner.view.check(claims, self.inner.clock.now())
    }

    /// Age of the local revocation view: zero for unshared stores, the time since the
    /// store last answered otherwise (for health checks).
    #[must_use]
    pub fn revocations_age(&self) -> Duration {
        self.inner.view.age()
    }

    /// Records revocations in the store, then in the local view (so this instance
    /// enforces them at once, before the change feed echoes them back).
    async fn record(&self, revocations: &[Revocation], now: u64) -> Result<(), StoreError> {
        self.inner.store.revoke(revocations).await?;
        self.inner.view.apply(revocations, now);
        Ok(())
    }

    fn refresh_use<'a>(&self, claims: &'a Claims, family: &'a str, now: u64) -> RefreshUse<'a> {
        RefreshUse::new(
            &claims.jti,
            family,
            &claims.sub,
            claims.iat,
            self.forget_after(claims.exp),
            self.family_expiry(now),
        )
    }

    /// A token can be forgotten once it is expired beyond the leeway.
    fn forget_after(&self, exp: u64) -> u64 {
        exp.saturating_add(self.inner.config.leeway)
            .saturating_add(1)
    }

    /// Every token of a family issued up to `now` has expired by then.
    fn family_expiry(&self, now: u64) -> u64 {
        now.saturating_add(self.refresh_ttl())
            .saturating_add(self.inner.config.leeway)
            .saturating_add(1)
    }
}

/// The refresh family of a token: its `fam`, or for tokens without one (hawkapi-auth's)
/// the token itself.
fn family_of(claims: &Claims) -> &str {
    claims.fam.as_deref().unwrap_or(&claims.jti)
}
