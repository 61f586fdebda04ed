//! The request guards [`User`] and [`AuthClaims`], and the per-request verification
//! they share.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use auth_core::Claims;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::{Ignite, Rocket, Sentinel};

use crate::source::{self, Any, TokenSource};
use crate::{Auth, AuthError, bearer};
#[cfg(doc)]
use crate::{External, Local};

/// The authenticated user: the `sub` claim of a valid access token
/// (hawkapi-auth's `requires_user`).
///
/// | request | outcome |
/// |---|---|
/// | valid `Authorization: Bearer <access token>` | `User` |
/// | no bearer credentials | 401 `Missing bearer token`, `WWW-Authenticate: Bearer` |
/// | malformed header, bad, expired or refresh token | 401 `Invalid or expired token`, `error="invalid_token"` |
/// | fairing not attached | launch aborts (`Sentinel`) |
///
/// For optional authentication take `Option<User>` (`None` when there are no valid
/// credentials), or `Result<User, AuthError>` to see why.
///
/// ```
/// use rocket::get;
/// use auth_rocket::User;
///
/// #[get("/me")]
/// fn me(user: User) -> String {
///     format!("hello {}", user.id)
/// }
///
/// #[get("/maybe")]
/// fn maybe(user: Option<User>) -> String {
///     user.map_or("hello stranger".into(), |u| format!("hello {}", u.id))
/// }
/// ```
///
/// `User` accepts tokens of this service and of the trusted issuers; `User<Local>` only
/// this service's, `User<External>` only the trusted issuers' (see [`TokenSource`]).
#[non_exhaustive]
pub struct User<S: TokenSource = Any> {
    /// The subject (`sub`) of the token: a user id.
    pub id: String,
    /// The token's issuer (`iss`), when it names one.
    pub issuer: Option<String>,
    source: PhantomData<fn() -> S>,
}

impl<S: TokenSource> Clone for User<S> {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            issuer: self.issuer.clone(),
            source: PhantomData,
        }
    }
}

impl<S: TokenSource> PartialEq for User<S> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.issuer == other.issuer
    }
}

impl<S: TokenSource> Eq for User<S> {}

impl<S: TokenSource> fmt::Debug for User<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl<S: TokenSource> fmt::Display for User<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// Every verified claim of the request's access token, extra claims included
/// (hawkapi-auth's `requires_claims`). Borrowed from the request: no copy.
///
/// Dereferences to [`auth_core::Claims`]. Fails like [`User`].
///
/// ```
/// use rocket::get;
/// use auth_rocket::AuthClaims;
///
/// #[get("/role")]
/// fn role(claims: AuthClaims<'_>) -> String {
///     claims.extra.get("role").and_then(|r| r.as_str()).unwrap_or("none").to_owned()
/// }
/// ```
///
/// Like [`User`], `AuthClaims<'_, Local>` and `AuthClaims<'_, External>` restrict where the
/// token may come from.
pub struct AuthClaims<'r, S: TokenSource = Any>(&'r Claims, PhantomData<fn() -> S>);

impl<S: TokenSource> Clone for AuthClaims<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: TokenSource> Copy for AuthClaims<'_, S> {}

impl<'r, S: TokenSource> AuthClaims<'r, S> {
    /// The claims, with the request's lifetime.
    #[must_use]
    pub fn claims(&self) -> &'r Claims {
        self.0
    }
}

impl<S: TokenSource> Deref for AuthClaims<'_, S> {
    type Target = Claims;
    fn deref(&self) -> &Claims {
        self.0
    }
}

/// Serialises as the token's flat claim object, so a handler can return
/// `Json(claims)`.
impl<Src: TokenSource> serde::Serialize for AuthClaims<'_, Src> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<S: TokenSource> fmt::Debug for AuthClaims<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// The request's verification result for source `S`, computed once however many guards
/// ask (`local_cache` is keyed by type, so each source has its own slot).
struct Verified<S>(Result<Arc<Claims>, AuthError>, PhantomData<fn() -> S>);

/// The last auth failure of a request, for the catchers. `local_cache` is first-write-
/// wins, so the slot holds a `OnceLock` that can be filled after creation.
struct LastFailure(OnceLock<AuthError>);

/// Verifies the request's access token (once per request) and returns its claims: a
/// token of this service or of a trusted issuer. See [`authenticate_from`] to restrict
/// the source.
///
/// Guards of your own should call this rather than parse the header themselves.
///
/// # Errors
///
/// The [`AuthError`] the guards fail with.
pub async fn authenticate<'r>(req: &'r Request<'_>) -> Result<&'r Claims, AuthError> {
    authenticate_from::<Any>(req).await
}

/// [`authenticate`], accepting tokens from source `S` only ([`Local`], [`External`] or
/// [`Any`]).
///
/// # Errors
///
/// The [`AuthError`] the guards fail with.
pub async fn authenticate_from<'r, S: TokenSource>(
    req: &'r Request<'_>,
) -> Result<&'r Claims, AuthError> {
    let Verified(result, _) = req
        .local_cache_async(async { Verified::<S>(verify::<S>(req).await, PhantomData) })
        .await;
    result.as_deref().map_err(Clone::clone)
}

async fn verify<S: TokenSource>(req: &Request<'_>) -> Result<Arc<Claims>, AuthError> {
    #[cfg(test)]
    tests::VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let Some(auth) = req.rocket().state::<Auth>() else {
        log::error!(
            "auth: a guard ran but the auth fairing is not attached; add `.attach(auth_rocket::Auth::fairing())`"
        );
        return Err(AuthError::NotConfigured);
    };
    let token = bearer::bearer_token(req)?;
    source::verify::<S>(auth, token).await
}

/// Records `error` for the catchers and turns it into a guard failure.
pub(crate) fn fail<T>(req: &Request<'_>, error: AuthError) -> request::Outcome<T, AuthError> {
    let _ = req
        .local_cache(|| LastFailure(OnceLock::new()))
        .0
        .set(error.clone());
    Outcome::Error((error.status(), error))
}

/// The auth failure that made this request fail, if one did: for applications that
/// write their own 401/403 catchers.
///
/// ```
/// use rocket::{catch, Request};
/// use auth_rocket::{AuthError, last_failure};
///
/// #[catch(401)]
/// fn unauthorized(req: &Request<'_>) -> AuthError {
///     last_failure(req).unwrap_or(AuthError::MissingToken)
/// }
/// ```
#[must_use]
pub fn last_failure(req: &Request<'_>) -> Option<AuthError> {
    req.local_cache(|| LastFailure(OnceLock::new()))
        .0
        .get()
        .cloned()
}

/// Launch-time check shared by every guard: the fairing must be attached.
pub(crate) fn fairing_missing(rocket: &Rocket<Ignite>, guard: &str) -> bool {
    let missing = rocket.state::<Auth>().is_none();
    if missing {
        log::error!(
            "auth: a mounted route uses the `{guard}` guard but the auth fairing is not attached: \
             add `.attach(auth_rocket::Auth::fairing())` to the rocket"
        );
    }
    missing
}

#[rocket::async_trait]
impl<'r, S: TokenSource> FromRequest<'r> for User<S> {
    type Error = AuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, AuthError> {
        match authenticate_from::<S>(req).await {
            Ok(claims) => Outcome::Success(Self {
                id: claims.sub.clone(),
                issuer: claims.iss.clone(),
                source: PhantomData,
            }),
            Err(e) => fail(req, e),
        }
    }
}

impl<S: TokenSource> Sentinel for User<S> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket, "User")
    }
}

#[rocket::async_trait]
impl<'r, S: TokenSource> FromRequest<'r> for AuthClaims<'r, S> {
    type Error = AuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, AuthError> {
        match authenticate_from::<S>(req).await {
            Ok(claims) => Outcome::Success(Self(claims, PhantomData)),
            Err(e) => fail(req, e),
        }
    }
}

impl<S: TokenSource> Sentinel for AuthClaims<'_, S> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket, "AuthClaims")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rocket::http::{Header, Status};
    use rocket::local::asynchronous::Client;
    use rocket::{get, routes};

    use crate::{Auth, AuthClaims, AuthConfig, IssuerConfig, RequireScopes, User, scope_set};

    pub(super) static VERIFICATIONS: AtomicUsize = AtomicUsize::new(0);

    scope_set!(A = ["a"]);
    scope_set!(B = ["b"]);

    #[get("/four")]
    fn four(_a: RequireScopes<A>, _b: RequireScopes<B>, _u: User, _c: AuthClaims<'_>) {}

    #[rocket::async_test]
    async fn four_guards_verify_the_token_once() {
        let config = AuthConfig::new(IssuerConfig::hs256(
            "unit-test-secret-unit-test-secret-unit",
        ));
        let rocket = rocket::custom(rocket::Config::figment().merge(("log_level", "off")))
            .attach(Auth::from_config(config))
            .mount("/", routes![four]);
        let client = Client::tracked(rocket).await.unwrap();
        let auth = client.rocket().state::<Auth>().unwrap();
        let token = auth
            .issuer()
            .issue_access("u", &serde_json::json!({"scope": "a b"}))
            .unwrap();
        let before = VERIFICATIONS.load(Ordering::SeqCst);
        let res = client
            .get("/four")
            .header(Header::new("Authorization", format!("Bearer {token}")))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Ok);
        assert_eq!(VERIFICATIONS.load(Ordering::SeqCst) - before, 1);
    }
}
