//! [`Auth`]: the managed state, and [`AuthFairing`], which builds it at ignition.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use auth_core::Issuer;
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::Status;
use rocket::{Build, Orbit, Rocket};

use crate::{AuthConfig, Passwords, catchers};

/// What the fairing installs as managed state: the token [`Issuer`] (with its
/// revocation store) and the password pool.
///
/// Take it in a handler as `&State<Auth>`:
///
/// ```
/// use rocket::{post, State, serde::json::Json};
/// use auth_rocket::{Auth, AuthError};
/// use serde_json::{Value, json};
///
/// #[post("/token/<user>")]
/// fn token(auth: &State<Auth>, user: &str) -> Json<Value> {
///     let access = auth.issuer().issue_access(user, &json!({"scope": "read"})).unwrap();
///     Json(json!({ "access_token": access }))
/// }
/// ```
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    issuer: Issuer,
    passwords: Passwords,
    jwks_max_age: u64,
    #[cfg(feature = "remote-jwks")]
    trusted: Option<auth_core::TrustedIssuers>,
}

impl Auth {
    /// The fairing, configured from the `auth` table of Rocket's configuration
    /// (`Rocket.toml`, `ROCKET_AUTH_*`); see [`AuthConfig`].
    ///
    /// ```no_run
    /// # use rocket::launch;
    /// #[launch]
    /// fn rocket() -> _ {
    ///     rocket::build().attach(auth_rocket::Auth::fairing())
    /// }
    /// ```
    #[must_use]
    pub fn fairing() -> AuthFairing {
        AuthFairing::new(Source::Figment)
    }

    /// The fairing, configured in code instead of from Rocket's configuration.
    ///
    /// Like every fairing, it builds the [`Auth`] state when Rocket ignites: before that
    /// (`rocket::build()...`), `rocket.state::<Auth>()` is `None`; in tests, read it from
    /// the ignited instance, e.g. `client.rocket().state::<Auth>()`.
    #[must_use]
    pub fn from_config(config: AuthConfig) -> AuthFairing {
        AuthFairing::new(Source::Config(Box::new(config)))
    }

    /// The fairing, with an issuer built by hand (custom store or clock).
    #[must_use]
    pub fn from_issuer(issuer: Issuer) -> AuthFairing {
        AuthFairing::new(Source::Issuer(Box::new(issuer)))
    }

    /// Builds the state directly (for code that manages it itself, and tests).
    #[must_use]
    pub fn new(issuer: Issuer, passwords: Passwords) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer,
                passwords,
                jwks_max_age: crate::config::DEFAULT_JWKS_MAX_AGE,
                #[cfg(feature = "remote-jwks")]
                trusted: None,
            }),
        }
    }

    /// The token issuer: issue, verify, revoke.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }

    /// The state with another JWKS `max-age` (seconds).
    #[must_use]
    pub fn with_jwks_max_age(self, seconds: u64) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.jwks_max_age = seconds;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The state accepting tokens of these trusted third-party issuers too (feature
    /// `remote-jwks`).
    #[cfg(feature = "remote-jwks")]
    #[must_use]
    pub fn with_trusted_issuers(self, trusted: auth_core::TrustedIssuers) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.trusted = (!trusted.is_empty()).then_some(trusted);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The trusted third-party issuers, if any are configured.
    #[cfg(feature = "remote-jwks")]
    #[must_use]
    pub fn trusted_issuers(&self) -> Option<&auth_core::TrustedIssuers> {
        self.inner.trusted.as_ref()
    }

    /// True when `token` claims to come from a configured trusted issuer.
    pub(crate) fn handles_external(&self, token: &str) -> bool {
        #[cfg(feature = "remote-jwks")]
        if let Some(trusted) = &self.inner.trusted {
            return trusted.handles(token);
        }
        let _ = token;
        false
    }

    /// Verifies a token of a trusted issuer.
    pub(crate) async fn verify_external(
        &self,
        token: &str,
    ) -> Result<auth_core::Claims, auth_core::TokenError> {
        #[cfg(feature = "remote-jwks")]
        if let Some(trusted) = &self.inner.trusted {
            return trusted.verify(token).await;
        }
        let _ = token;
        // Not configured (or not compiled in): no third-party issuer is trusted.
        Err(auth_core::TokenError::InvalidIssuer)
    }

    /// `max-age` of the JWKS answer, in seconds.
    #[must_use]
    pub fn jwks_max_age(&self) -> u64 {
        self.inner.jwks_max_age
    }

    /// The password pool: hash and verify off the async workers.
    #[must_use]
    pub fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("issuer", &self.inner.issuer)
            .field("passwords", &self.inner.passwords)
            .finish()
    }
}

enum Source {
    Figment,
    Config(Box<AuthConfig>),
    Issuer(Box<Issuer>),
}

/// Builds [`Auth`] when Rocket ignites and installs it as managed state, with JSON
/// catchers for 401, 403 and 503. Made by [`Auth::fairing`], [`Auth::from_config`] or
/// [`Auth::from_issuer`].
///
/// A missing or bad key aborts the launch with a message that names the key and the
/// fix. The catchers are registered at `/` for each status the application has no
/// catcher for at `/` already, so an application's own catchers keep working (use
/// [`last_failure`](crate::last_failure) in them); [`without_catchers`](Self::without_catchers)
/// turns this off.
pub struct AuthFairing {
    source: Mutex<Option<Source>>,
    catchers: bool,
}

impl fmt::Debug for AuthFairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFairing")
            .field("catchers", &self.catchers)
            .finish_non_exhaustive()
    }
}

impl AuthFairing {
    fn new(source: Source) -> Self {
        Self {
            source: Mutex::new(Some(source)),
            catchers: true,
        }
    }

    /// Do not register the JSON catchers; the application handles 401/403/503 itself.
    #[must_use]
    pub fn without_catchers(mut self) -> Self {
        self.catchers = false;
        self
    }

    async fn build(&self, rocket: &Rocket<Build>) -> Result<Auth, String> {
        let source = self
            .source
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let auth = match source {
            Some(Source::Issuer(issuer)) => {
                let passwords = AuthConfig::from_figment(rocket.figment())
                    .map(|c| c.passwords)
                    .unwrap_or_default()
                    .build()
                    .map_err(|e| format!("auth.passwords: {e}"))?;
                Auth::new(*issuer, passwords)
            }
            Some(Source::Config(config)) => build_state(*config).await?,
            Some(Source::Figment) => match AuthConfig::from_figment(rocket.figment()) {
                Ok(config) => build_state(config).await?,
                Err(e) => {
                    rocket::config::pretty_print_error(e);
                    return Err("the `auth` configuration cannot be read (see above)".into());
                }
            },
            None => return Err("the auth fairing was ignited twice".into()),
        };
        // Revocations in force before this instance started are enforced from its first
        // request on.
        let loaded = auth.issuer().load_revocations().await.map_err(|e| {
            format!(
                "cannot load revocations from the `{}` store: {e}",
                auth.issuer().store_name()
            )
        })?;
        if loaded > 0 {
            log::info!("auth: {loaded} revocation(s) in force loaded");
        }
        Ok(auth)
    }
}

async fn build_state(config: AuthConfig) -> Result<Auth, String> {
    // Family and subject revocations live this long (longest lifetime + leeway + 1 s); the
    // Redis change log must keep them at least as long for late-starting instances.
    let longest = Duration::from_secs(
        config.issuer.access_ttl.max(config.issuer.refresh_ttl) + config.issuer.leeway + 1,
    );
    let builder = config
        .store
        .apply(Issuer::builder(config.issuer.clone()), longest)
        .await?;
    let issuer = builder.build().map_err(|e| e.to_string())?;
    let passwords = config
        .passwords
        .build()
        .map_err(|e| format!("auth.passwords: {e}"))?;
    let auth = Auth::new(issuer, passwords).with_jwks_max_age(config.jwks_max_age);
    trusted_issuers(auth, &config).await
}

#[cfg(feature = "remote-jwks")]
async fn trusted_issuers(auth: Auth, config: &AuthConfig) -> Result<Auth, String> {
    if config.trusted_issuers.is_empty() {
        return Ok(auth);
    }
    let trusted = auth_core::TrustedIssuers::new(config.trusted_issuers.clone())
        .map_err(|e| format!("trusted_issuers: {e}"))?;
    // Fetch the keys now, so the first requests do not wait; a provider that is down is
    // not fatal: its tokens get 503 until its keys can be fetched.
    for (issuer, result) in trusted.refresh_all().await {
        match result {
            Ok(n) => log::info!("auth: trusted issuer {issuer}: {n} key(s)"),
            Err(e) => log::error!("auth: trusted issuer {issuer}: cannot fetch its keys yet: {e}"),
        }
    }
    Ok(auth.with_trusted_issuers(trusted))
}

#[cfg(not(feature = "remote-jwks"))]
async fn trusted_issuers(auth: Auth, config: &AuthConfig) -> Result<Auth, String> {
    if config.trusted_issuers_configured > 0 {
        return Err("`trusted_issuers` needs the `remote-jwks` feature of auth-rocket".to_owned());
    }
    Ok(auth)
}

#[rocket::async_trait]
impl Fairing for AuthFairing {
    fn info(&self) -> Info {
        Info {
            name: "JWT auth",
            kind: Kind::Ignite | Kind::Liftoff | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let auth = match self.build(&rocket).await {
            Ok(auth) => auth,
            Err(message) => {
                log::error!("auth: cannot start: {message}");
                return Err(rocket);
            }
        };
        log::info!(
            "auth: {} tokens, access {} s, refresh {} s, revocation store `{}`",
            auth.issuer().algorithm(),
            auth.issuer().access_ttl(),
            auth.issuer().refresh_ttl(),
            auth.issuer().store_name()
        );
        let rocket = rocket.manage(auth);
        if !self.catchers {
            return Ok(rocket);
        }
        let taken: Vec<u16> = rocket
            .catchers()
            .filter(|c| c.base.path() == "/")
            .filter_map(|c| c.code)
            .collect();
        let ours: Vec<_> = catchers()
            .into_iter()
            .filter(|c| c.code.is_none_or(|code| !taken.contains(&code)))
            .collect();
        for code in [
            Status::Unauthorized,
            Status::Forbidden,
            Status::ServiceUnavailable,
        ] {
            if taken.contains(&code.code) {
                log::info!(
                    "auth: the application has its own {code} catcher; it can answer with auth_rocket::last_failure(req)"
                );
            }
        }
        Ok(rocket.register("/", ours))
    }

    /// Background work for the life of the server: follow the shared store's changes
    /// (so revocations made by other instances are enforced here within milliseconds),
    /// and drop expired entries from the local view.
    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let Some(auth) = rocket.state::<Auth>() else {
            return;
        };
        let issuer = auth.issuer().clone();
        let shutdown = rocket.shutdown();
        rocket::tokio::spawn(async move {
            let mut purge = rocket::tokio::time::interval(PURGE_EVERY);
            let sync = issuer.sync_revocations(rocket::tokio::time::sleep);
            rocket::tokio::pin!(sync, shutdown);
            loop {
                rocket::tokio::select! {
                    () = &mut shutdown => break,
                    () = &mut sync => {
                        // Unshared stores have nothing to follow: only purge from now on.
                        loop {
                            rocket::tokio::select! {
                                () = &mut shutdown => return,
                                _ = purge.tick() => purge_quietly(&issuer).await,
                            }
                        }
                    }
                    _ = purge.tick() => purge_quietly(&issuer).await,
                }
            }
        });
    }
}

/// Periodic housekeeping: expired revocations, and retired keys whose tokens have all
/// expired.
async fn purge_quietly(issuer: &Issuer) {
    if let Err(e) = issuer.purge_revocations().await {
        log::warn!("auth: purging expired revocations failed: {e}");
    }
    issuer.prune_retired_keys();
}

/// How often expired revocations are dropped from the local view and the store.
const PURGE_EVERY: Duration = Duration::from_secs(60);
