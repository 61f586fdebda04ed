//! Where a guard accepts tokens from: this service ([`Local`]), trusted third-party
//! issuers ([`External`]), or either ([`Any`], the default).

use std::sync::Arc;

use auth_core::{Claims, TokenError};

use crate::{Auth, AuthError};

/// Which tokens a guard accepts; the type parameter of [`User`](crate::User),
/// [`AuthClaims`](crate::AuthClaims) and [`RequireScopes`](crate::RequireScopes).
///
/// | source | accepts |
/// |---|---|
/// | [`Any`] (default) | tokens of this service, and of the trusted issuers configured in `trusted_issuers` |
/// | [`Local`] | tokens of this service only |
/// | [`External`] | tokens of the trusted issuers only |
///
/// ```
/// use rocket::get;
/// use auth_rocket::{External, Local, User};
///
/// #[get("/ours")]
/// fn ours(user: User<Local>) -> String { user.id }
///
/// #[get("/theirs")]
/// fn theirs(user: User<External>) -> String { user.id }
///
/// #[get("/both")]
/// fn both(user: User) -> String { user.id }
/// ```
pub trait TokenSource: Send + Sync + 'static {
    #[doc(hidden)]
    const KIND: Kind;
}

/// Tokens of this service or of a trusted issuer (the default).
#[derive(Debug)]
pub enum Any {}
/// Tokens of this service only.
#[derive(Debug)]
pub enum Local {}
/// Tokens of trusted third-party issuers only (feature `remote-jwks`).
#[derive(Debug)]
pub enum External {}

#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    Local,
    External,
}

impl TokenSource for Any {
    const KIND: Kind = Kind::Any;
}
impl TokenSource for Local {
    const KIND: Kind = Kind::Local;
}
impl TokenSource for External {
    const KIND: Kind = Kind::External;
}

/// Verifies `token` for a guard of source `S`.
pub(crate) async fn verify<S: TokenSource>(
    auth: &Auth,
    token: &str,
) -> Result<Arc<Claims>, AuthError> {
    let external = match S::KIND {
        Kind::Local => false,
        Kind::External => true,
        Kind::Any => auth.handles_external(token),
    };
    let result = if external {
        auth.verify_external(token).await.map(Arc::new)
    } else {
        auth.issuer().verify_access_shared(token)
    };
    result.map_err(to_auth_error)
}

fn to_auth_error(e: TokenError) -> AuthError {
    if e.is_unavailable() {
        AuthError::Unavailable {
            retry_after: 1,
            reason: e.to_string(),
        }
    } else {
        AuthError::invalid(e)
    }
}
