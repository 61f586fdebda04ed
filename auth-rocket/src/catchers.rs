//! JSON catchers that answer auth failures with the guard's own error.

use rocket::http::Status;
use rocket::response::content::RawJson;
use rocket::{Catcher, Request, catch, catchers};

use crate::{AuthError, last_failure};

/// Catchers for 401, 403 and 503 that answer with the [`AuthError`] a guard recorded
/// (JSON body, `WWW-Authenticate`, `Retry-After`), and with a JSON body of the same
/// shape when the status came from elsewhere.
///
/// [`Auth::fairing`](crate::Auth::fairing) registers them at `/` unless the application
/// has its own; to register them under another base by hand:
///
/// ```
/// # let rocket = rocket::build();
/// let rocket = rocket.register("/api", auth_rocket::catchers());
/// ```
#[must_use]
pub fn catchers() -> Vec<Catcher> {
    catchers![unauthorized, forbidden, unavailable]
}

#[catch(401)]
fn unauthorized(req: &Request<'_>) -> AuthError {
    last_failure(req).unwrap_or(AuthError::MissingToken)
}

#[catch(403)]
fn forbidden(req: &Request<'_>) -> Result<AuthError, (Status, RawJson<&'static str>)> {
    // A 403 that no guard of ours raised: same JSON shape, no bearer challenge.
    last_failure(req).ok_or((Status::Forbidden, RawJson(r#"{"detail":"Forbidden"}"#)))
}

#[catch(503)]
fn unavailable(req: &Request<'_>) -> AuthError {
    last_failure(req).unwrap_or(AuthError::Unavailable {
        retry_after: 1,
        reason: "503 from the application".into(),
    })
}
