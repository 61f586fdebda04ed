//! The typed scope guard [`RequireScopes`] and the [`ScopeSet`] it is typed by.

use std::fmt;
use std::marker::PhantomData;

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::{Ignite, Rocket, Sentinel};

use crate::AuthError;
use crate::guard::{authenticate_from, fail, fairing_missing};
use crate::source::{Any, TokenSource};

/// A set of scopes known at compile time. Declare one with [`scope_set!`](crate::scope_set);
/// `#[requires_scopes(..)]` declares one for you.
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes, all of which are required.
    const SCOPES: &'static [&'static str];
}

/// A guard that lets a request through only if its access token grants every scope of
/// `S` (hawkapi-auth's `requires_scopes`). Scopes are read from `scope` (a
/// space-separated string or a list) or `scopes`.
///
/// | request | outcome |
/// |---|---|
/// | valid token with every scope | `RequireScopes<S>` |
/// | valid token, scopes missing | 403 `Missing scopes: a, b`, `Bearer error="insufficient_scope", scope=".."` |
/// | no, bad or expired token | 401, as [`User`](crate::User) |
/// | fairing not attached | launch aborts (`Sentinel`) |
///
/// Usually written for you by `#[requires_scopes("admin")]`; by hand:
///
/// ```
/// use rocket::get;
/// use auth_rocket::{RequireScopes, User, scope_set};
///
/// scope_set!(pub Admin = ["admin"]);
///
/// #[get("/admin")]
/// fn admin(_admin: RequireScopes<Admin>, user: User) -> String {
///     format!("welcome, admin {}", user.id)
/// }
/// ```
///
/// The second type parameter restricts where the token may come from, as for
/// [`User`](crate::User): `RequireScopes<Admin, Local>`.
pub struct RequireScopes<S: ScopeSet, Src: TokenSource = Any>(PhantomData<fn() -> (S, Src)>);

impl<S: ScopeSet, Src: TokenSource> RequireScopes<S, Src> {
    /// The scopes this guard requires.
    #[must_use]
    pub fn scopes() -> &'static [&'static str] {
        S::SCOPES
    }
}

impl<S: ScopeSet, Src: TokenSource> fmt::Debug for RequireScopes<S, Src> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireScopes").field(&S::SCOPES).finish()
    }
}

#[rocket::async_trait]
impl<'r, S: ScopeSet, Src: TokenSource> FromRequest<'r> for RequireScopes<S, Src> {
    type Error = AuthError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, AuthError> {
        let claims = match authenticate_from::<Src>(req).await {
            Ok(claims) => claims,
            Err(e) => return fail(req, e),
        };
        let missing = claims.scopes.missing(S::SCOPES);
        if missing.is_empty() {
            return Outcome::Success(Self(PhantomData));
        }
        let error = AuthError::InsufficientScope {
            missing: missing.into_iter().map(str::to_owned).collect(),
            required: S::SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        };
        fail(req, error)
    }
}

impl<S: ScopeSet, Src: TokenSource> Sentinel for RequireScopes<S, Src> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket, "RequireScopes")
    }
}

/// Declares a [`ScopeSet`] type for [`RequireScopes`]. The scopes are checked at compile
/// time: each must be a non-empty OAuth 2 scope-token (visible ASCII, no spaces, no `"` or
/// `\`).
///
/// ```
/// auth_rocket::scope_set!(pub ReadWrite = ["read", "write"]);
/// assert_eq!(<ReadWrite as auth_rocket::ScopeSet>::SCOPES, ["read", "write"]);
/// ```
#[macro_export]
macro_rules! scope_set {
    ($(#[$meta:meta])* $vis:vis $name:ident = [$($scope:literal),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::ScopeSet for $name {
            const SCOPES: &'static [&'static str] = &[$($scope),+];
        }
        const _: () = ::core::assert!(
            $crate::__private::valid_scopes(&[$($scope),+]),
            "scope_set!: each scope must be one non-empty word of visible ASCII, without `\"` or `\\` (RFC 6749 §3.3)"
        );
    };
}
