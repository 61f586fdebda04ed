//! The request guards [`User`] and [`AuthClaims`], and the per-request verification
//! they share.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use auth_core::Claims;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::{Ignite, Rocket, Sentinel};

use crate::{Auth, AuthError, bearer};

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
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The subject (`sub`) of the token: a user id.
    pub id: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User").field("id", &self.id).finish()
    }
}

impl fmt::Display for User {
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
#[derive(Clone, Copy)]
pub struct AuthClaims<'r>(&'r Claims);

impl<'r> AuthClaims<'r> {
    /// The claims, with the request's lifetime.
    #[must_use]
    pub fn claims(&self) -> &'r Claims {
        self.0
    }
}

impl Deref for AuthClaims<'_> {
    type Target = Claims;
    fn deref(&self) -> &Claims {
        self.0
    }
}

/// Serialises as the token's flat claim object, so a handler can return
/// `Json(claims)`.
impl serde::Serialize for AuthClaims<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl fmt::Debug for AuthClaims<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// The request's verification result, computed once however many guards ask.
struct Verified(Result<Arc<Claims>, AuthError>);

/// The last auth failure of a request, for the catchers. `local_cache` is first-write-
/// wins, so the slot holds a `OnceLock` that can be filled after creation.
struct LastFailure(OnceLock<AuthError>);

/// Verifies the request's access token (once per request) and returns its claims.
///
/// Guards built on this crate's (your own, for example) should call this rather than
/// parse the header themselves.
///
/// # Errors
///
/// The [`AuthError`] the guards fail with.
pub fn authenticate<'r>(req: &'r Request<'_>) -> Result<&'r Claims, AuthError> {
    let Verified(result) = req.local_cache(|| Verified(verify(req)));
    result.as_deref().map_err(Clone::clone)
}

fn verify(req: &Request<'_>) -> Result<Arc<Claims>, AuthError> {
    #[cfg(test)]
    tests::VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let Some(auth) = req.rocket().state::<Auth>() else {
        log::error!(
            "auth: a guard ran but the auth fairing is not attached; add `.attach(auth_rocket::Auth::fairing())`"
        );
        return Err(AuthError::NotConfigured);
    };
    let token = bearer::bearer_token(req)?;
    auth.issuer().verify_access_shared(token).map_err(|e| {
        if e.is_unavailable() {
            AuthError::Unavailable {
                retry_after: 1,
                reason: e.to_string(),
            }
        } else {
            AuthError::invalid(e)
        }
    })
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
impl<'r> FromRequest<'r> for User {
    type Error = AuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, AuthError> {
        match authenticate(req) {
            Ok(claims) => Outcome::Success(Self {
                id: claims.sub.clone(),
            }),
            Err(e) => fail(req, e),
        }
    }
}

impl Sentinel for User {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket, "User")
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthClaims<'r> {
    type Error = AuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, AuthError> {
        match authenticate(req) {
            Ok(claims) => Outcome::Success(Self(claims)),
            Err(e) => fail(req, e),
        }
    }
}

impl Sentinel for AuthClaims<'_> {
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
