//! [`ApiError`]: every error answer of the quickstart is JSON `{"detail": ".."}`.

use std::borrow::Cow;

use auth_rocket::AuthError;
use auth_rocket::auth_core::IssueError;
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Catcher, catch, catchers};
use serde_json::json;

use crate::users::UserError;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// Authentication failures keep their RFC 6750 headers.
    Auth(AuthError),
    /// Anything else: a status and a message for the client.
    Status(Status, Cow<'static, str>),
}

impl ApiError {
    /// An error with a status and a message.
    pub fn new(status: Status, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::Status(status, detail.into())
    }

    /// 422 with a message.
    pub fn unprocessable(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Status::UnprocessableEntity, detail)
    }

    /// The single answer to a failed login, whatever failed.
    #[must_use]
    pub fn invalid_credentials() -> Self {
        Self::new(Status::Unauthorized, "Invalid credentials")
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

impl From<auth_rocket::PasswordJobError> for ApiError {
    fn from(e: auth_rocket::PasswordJobError) -> Self {
        match e {
            auth_rocket::PasswordJobError::Password(p) => Self::unprocessable(p.to_string()),
            busy => Self::Auth(busy.into()),
        }
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        log::error!("quickstart: {e}");
        Self::Auth(AuthError::Unavailable {
            retry_after: 1,
            reason: e.to_string(),
        })
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        log::error!("quickstart: cannot issue a token: {e}");
        Self::new(Status::InternalServerError, "Internal server error")
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Self::Auth(e) => e.respond_to(req),
            Self::Status(status, detail) => {
                let mut res = (status, Json(json!({ "detail": detail }))).respond_to(req)?;
                if status == Status::Unauthorized {
                    // RFC 9110 §15.5.2: a 401 carries a challenge.
                    res.set_header(Header::new("WWW-Authenticate", "Bearer"));
                }
                Ok(res)
            }
        }
    }
}

/// JSON answers for the statuses Rocket raises itself (bad JSON, unknown route, ...).
#[must_use]
pub fn json_catchers() -> Vec<Catcher> {
    catchers![
        bad_request,
        not_found,
        unprocessable,
        payload_too_large,
        internal
    ]
}

fn detail(status: Status, text: &'static str) -> (Status, Json<serde_json::Value>) {
    (status, Json(json!({ "detail": text })))
}

#[catch(400)]
fn bad_request() -> (Status, Json<serde_json::Value>) {
    detail(Status::BadRequest, "Malformed request body: expected JSON")
}

#[catch(404)]
fn not_found() -> (Status, Json<serde_json::Value>) {
    detail(Status::NotFound, "Not found")
}

#[catch(413)]
fn payload_too_large() -> (Status, Json<serde_json::Value>) {
    detail(Status::PayloadTooLarge, "Request body too large")
}

#[catch(422)]
fn unprocessable(_req: &Request<'_>) -> (Status, Json<serde_json::Value>) {
    detail(
        Status::UnprocessableEntity,
        "Invalid request body: check the field names and types",
    )
}

#[catch(500)]
fn internal() -> (Status, Json<serde_json::Value>) {
    detail(Status::InternalServerError, "Internal server error")
}
