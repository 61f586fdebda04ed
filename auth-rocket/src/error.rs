//! [`AuthError`]: every way authentication or authorisation fails, as an HTTP answer.

use std::fmt;
use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};

/// Why a request was not let through, and the response that says so.
///
/// This is the `Error` type of every guard in this crate, and a [`Responder`]: the
/// registered catchers answer with it, and a handler that takes `Result<User, AuthError>`
/// can return it. Bodies are JSON `{"detail": ".."}` with hawkapi-auth's texts, and
/// 401/403 carry an RFC 6750 `WWW-Authenticate` challenge:
///
/// | variant | status | `detail` | `WWW-Authenticate` |
/// |---|---|---|---|
/// | [`MissingToken`](Self::MissingToken) | 401 | `Missing bearer token` | `Bearer` |
/// | [`InvalidToken`](Self::InvalidToken) | 401 | `Invalid or expired token` | `Bearer error="invalid_token"` |
/// | [`InsufficientScope`](Self::InsufficientScope) | 403 | `Missing scopes: a, b` | `Bearer error="insufficient_scope", scope="a b"` |
/// | [`Unavailable`](Self::Unavailable) | 503 | `Service temporarily unavailable` | (`Retry-After` instead) |
/// | [`NotConfigured`](Self::NotConfigured) | 500 | `Authentication is not initialised` | |
///
/// The body never says *why* a token was refused (expired, bad signature, ...): that
/// helps attackers, not users. The reason is kept for logs ([`fmt::Debug`]).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization: Bearer` credentials were sent.
    #[error("Missing bearer token")]
    MissingToken,
    /// Credentials were sent but refused: malformed header, bad or expired token.
    #[error("Invalid or expired token")]
    InvalidToken {
        /// Why, for logs only (never sent to the client, never contains the token).
        reason: String,
    },
    /// The token is valid but lacks scopes the route requires.
    #[error("Missing scopes: {}", missing.join(", "))]
    InsufficientScope {
        /// The required scopes the token does not grant, in the route's order.
        missing: Vec<String>,
        /// Every scope the route requires.
        required: Vec<String>,
    },
    /// A dependency (the revocation store, the password pool) cannot answer now; the
    /// request was refused rather than let through (fail closed).
    #[error("Service temporarily unavailable")]
    Unavailable {
        /// Seconds after which a retry makes sense (`Retry-After`).
        retry_after: u64,
        /// Why, for logs only.
        reason: String,
    },
    /// A guard ran but the auth fairing is not attached (normally caught at launch by
    /// the guards' `Sentinel`).
    #[error("Authentication is not initialised")]
    NotConfigured,
}

impl AuthError {
    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> Status {
        match self {
            Self::MissingToken | Self::InvalidToken { .. } => Status::Unauthorized,
            Self::InsufficientScope { .. } => Status::Forbidden,
            Self::Unavailable { .. } => Status::ServiceUnavailable,
            Self::NotConfigured => Status::InternalServerError,
        }
    }

    /// The `WWW-Authenticate` challenge for 401 and 403 answers (RFC 6750 §3).
    #[must_use]
    pub fn challenge(&self) -> Option<String> {
        match self {
            Self::MissingToken => Some("Bearer".to_owned()),
            Self::InvalidToken { .. } => Some(r#"Bearer error="invalid_token""#.to_owned()),
            Self::InsufficientScope { required, .. } => Some(format!(
                r#"Bearer error="insufficient_scope", scope="{}""#,
                quoted_string_body(&required.join(" "))
            )),
            Self::Unavailable { .. } | Self::NotConfigured => None,
        }
    }

    pub(crate) fn invalid(reason: impl fmt::Display) -> Self {
        Self::InvalidToken {
            reason: reason.to_string(),
        }
    }
}

/// Escapes `"` and `\` for an RFC 9110 quoted-string and drops control characters, so a
/// hand-written scope can never break the header.
fn quoted_string_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !c.is_control()) {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingToken => f.write_str("MissingToken"),
            Self::InvalidToken { reason } => write!(f, "InvalidToken({reason})"),
            Self::InsufficientScope { missing, .. } => {
                write!(f, "InsufficientScope(missing: {})", missing.join(", "))
            }
            Self::Unavailable { reason, .. } => write!(f, "Unavailable({reason})"),
            Self::NotConfigured => {
                f.write_str("NotConfigured (attach auth_rocket::Auth::fairing())")
            }
        }
    }
}

impl<'r> Responder<'r, 'static> for AuthError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::json!({ "detail": self.to_string() }).to_string();
        let mut res = Response::build();
        res.status(self.status())
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        if let Some(challenge) = self.challenge() {
            res.header(Header::new("WWW-Authenticate", challenge));
        }
        if let Self::Unavailable { retry_after, .. } = &self {
            res.header(Header::new("Retry-After", retry_after.to_string()));
        }
        // Auth answers are per-user: never let a shared cache keep them.
        res.header(Header::new("Cache-Control", "no-store"));
        res.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_hawkapis() {
        assert_eq!(AuthError::MissingToken.to_string(), "Missing bearer token");
        assert_eq!(
            AuthError::invalid("expired").to_string(),
            "Invalid or expired token"
        );
        let e = AuthError::InsufficientScope {
            missing: vec!["a".into(), "b".into()],
            required: vec!["a".into(), "b".into()],
        };
        assert_eq!(e.to_string(), "Missing scopes: a, b");
        assert_eq!(
            e.challenge().unwrap(),
            r#"Bearer error="insufficient_scope", scope="a b""#
        );
    }

    #[test]
    fn challenges_stay_well_formed_whatever_the_scope() {
        let e = AuthError::InsufficientScope {
            missing: vec![],
            required: vec!["a\"b\\c\nd".into()],
        };
        assert_eq!(
            e.challenge().unwrap(),
            r#"Bearer error="insufficient_scope", scope="a\"b\\cd""#
        );
    }
}
