//! The JWKS route: the public keys of the ring at `/.well-known/jwks.json`.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Route, State, get, routes};

use crate::Auth;

/// The routes serving the JWKS: mount them at `/`.
///
/// `GET /.well-known/jwks.json` answers the public keys of the key ring (never a private
/// key, never an HMAC secret) with `Cache-Control: public, max-age=<jwks_max_age>`
/// (default 300 s). Publish a new key (add it, not active) at least that long before
/// activating it, so that every verifier has it before the first token it signs.
///
/// ```
/// # use rocket::launch;
/// #[launch]
/// fn rocket() -> _ {
///     rocket::build()
///         .attach(auth_rocket::Auth::fairing())
///         .mount("/", auth_rocket::jwks_routes())
/// }
/// ```
#[must_use]
pub fn jwks_routes() -> Vec<Route> {
    routes![jwks]
}

#[get("/.well-known/jwks.json")]
fn jwks(auth: &State<Auth>) -> Jwks {
    Jwks {
        body: auth.issuer().jwks().to_string(),
        max_age: auth.jwks_max_age(),
    }
}

/// The JWKS answer with its caching headers.
struct Jwks {
    body: String,
    max_age: u64,
}

impl<'r> Responder<'r, 'static> for Jwks {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(ContentType::JSON)
            .header(Header::new(
                "Cache-Control",
                format!("public, max-age={}", self.max_age),
            ))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}
