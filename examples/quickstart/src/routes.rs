//! The quickstart's endpoints: hawkapi-auth's quickstart, over JSON.
#![allow(clippy::missing_errors_doc)] // handlers: each doc lists its error statuses

use auth_rocket::{Auth, AuthClaims, AuthError, TokenError, TokenPair, User, requires_scopes};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{QuickstartConfig, is_valid_email, normalise_email};
use crate::error::ApiError;
use crate::users::{UserError, Users};

/// Shortest password accepted at registration, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// `{"email", "password"}`. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

/// `{"refresh_token"}`. No `Debug`: it holds a token.
#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { .. }")
    }
}

/// Liveness: always 200 `{"status": "ok"}`.
#[get("/health")]
pub fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Creates an account: 201 `{"id", "email"}`, 409 if the email is taken, 422 for an
/// invalid email or a password outside the limits.
#[post("/register", data = "<body>")]
pub async fn register(
    auth: &State<Auth>,
    users: &State<Users>,
    body: Json<Credentials>,
) -> Result<(Status, Json<Value>), ApiError> {
    let email = normalise_email(&body.email);
    if !is_valid_email(&email) {
        return Err(ApiError::unprocessable("Invalid email address"));
    }
    let max = auth.passwords().hasher().max_password_bytes();
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::unprocessable(format!(
            "Password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if body.password.len() > max {
        return Err(ApiError::unprocessable(format!(
            "Password must be at most {max} bytes"
        )));
    }
    let hash = auth.passwords().hash(&body.password).await?;
    match users.create(email, hash).await {
        Ok(user) => Ok((
            Status::Created,
            Json(json!({"id": user.id, "email": user.email})),
        )),
        Err(UserError::Duplicate) => {
            Err(ApiError::new(Status::Conflict, "Email already registered"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Checks the password and returns a token pair; 401 `Invalid credentials` for an
/// unknown email and a wrong password alike.
#[post("/login", data = "<body>")]
pub async fn login(
    auth: &State<Auth>,
    users: &State<Users>,
    config: &State<QuickstartConfig>,
    body: Json<Credentials>,
) -> Result<Json<TokenPair>, ApiError> {
    let email = normalise_email(&body.email);
    let user = users.by_email(email).await?;
    let passwords = auth.passwords();
    // Unknown users cost one verification too, and get the same answer: neither the
    // response nor its timing tells which accounts exist.
    let verified = match &user {
        Some(u) => passwords.verify(&body.password, &u.password_hash).await?,
        None => passwords.verify_dummy(&body.password).await?,
    };
    let Some(user) = user.filter(|_| verified) else {
        return Err(ApiError::invalid_credentials());
    };
    if passwords.needs_rehash(&user.password_hash) {
        // Parameters changed since this hash was made: upgrade it now that we know the
        // password. Best effort: a failure here must not fail the login.
        match passwords.hash(&body.password).await {
            Ok(hash) => {
                if let Err(e) = users.set_password_hash(user.id.clone(), hash).await {
                    log::warn!("quickstart: could not store the upgraded password hash: {e}");
                }
            }
            Err(e) => log::warn!("quickstart: could not rehash a password: {e}"),
        }
    }
    Ok(Json(auth.issuer().issue_pair(
        &user.id,
        &access_claims(config, &user.email),
    )?))
}

/// Exchanges a refresh token for the next pair of its session. The token presented is
/// spent; presenting it again (a replay: someone else has it) ends the whole session.
#[post("/refresh", data = "<body>")]
pub async fn refresh(
    auth: &State<Auth>,
    users: &State<Users>,
    config: &State<QuickstartConfig>,
    body: Json<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let rotation = auth
        .issuer()
        .rotate(&body.refresh_token)
        .await
        .map_err(token_error)?;
    let Some(user) = users.by_id(rotation.claims().sub.clone()).await? else {
        return Err(AuthError::InvalidToken {
            reason: "the user no longer exists".into(),
        }
        .into());
    };
    Ok(Json(rotation.issue(&access_claims(config, &user.email))?))
}

/// Ends the session of a refresh token: it, and the session's access tokens, are
/// refused from now on.
#[post("/logout", data = "<body>")]
pub async fn logout(
    auth: &State<Auth>,
    body: Json<RefreshRequest>,
) -> Result<Json<Value>, ApiError> {
    auth.issuer()
        .revoke_refresh(&body.refresh_token)
        .await
        .map_err(token_error)?;
    Ok(Json(json!({"ok": true})))
}

/// Logs the caller out everywhere: every token issued to them so far, on every device
/// and every instance, is refused from now on.
#[post("/logout-all")]
pub async fn logout_all(auth: &State<Auth>, user: User) -> Result<Json<Value>, ApiError> {
    auth.issuer()
        .revoke_subject(&user.id)
        .await
        .map_err(|e| token_error(e.into()))?;
    Ok(Json(json!({"ok": true})))
}

/// The caller's user id.
#[get("/me")]
pub fn me(user: User) -> Json<Value> {
    Json(json!({"user_id": user.id}))
}

/// The caller's verified access-token claims.
#[get("/claims")]
pub fn claims(claims: AuthClaims<'_>) -> Json<AuthClaims<'_>> {
    Json(claims)
}

/// Only for tokens with the `admin` scope.
#[requires_scopes("admin")]
#[get("/admin")]
pub fn admin(user: User) -> Json<Value> {
    Json(json!({"message": "Hello, admin", "user_id": user.id}))
}

/// The extra claims of an access token: the `admin` scope for configured admins.
fn access_claims(config: &QuickstartConfig, email: &str) -> Value {
    if config.is_admin(email) {
        json!({"scope": "admin"})
    } else {
        json!({})
    }
}

/// A refused refresh token is a 401; a store that cannot answer is a 503.
fn token_error(e: TokenError) -> ApiError {
    if e.is_unavailable() {
        log::error!("quickstart: revocation store failure: {e}");
        AuthError::Unavailable {
            retry_after: 1,
            reason: e.to_string(),
        }
        .into()
    } else {
        AuthError::InvalidToken {
            reason: e.to_string(),
        }
        .into()
    }
}
