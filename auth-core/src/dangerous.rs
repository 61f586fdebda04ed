//! Reading tokens **without verifying them**: for tools (inspecting a token) and for
//! routing (which issuer should verify this?). Nothing here may be trusted: anyone can
//! write any header and payload.

use serde_json::{Map, Value};

use crate::{DEFAULT_MAX_TOKEN_BYTES, TokenError, jws};

/// The header and payload of a compact JWS, decoded and parsed with the same strict rules
/// as verification (size limit, canonical base64url, no duplicate members), but with
/// **no signature check** and no claim check. Never base a decision on it.
///
/// # Errors
///
/// [`TokenError::TooLarge`], [`TokenError::Malformed`] or
/// [`TokenError::UnsupportedHeader`] when the token is not a readable JWS.
///
/// ```
/// let issuer = auth_core::Issuer::new(auth_core::IssuerConfig::hs256(auth_core::random_secret())).unwrap();
/// let token = issuer.issue_access("user-1", &()).unwrap();
/// let (header, payload) = auth_core::dangerous::decode_unverified(&token).unwrap();
/// assert_eq!(header["alg"], "HS256");
/// assert_eq!(payload["sub"], "user-1");
/// ```
pub fn decode_unverified(token: &str) -> Result<(JsonObject, JsonObject), TokenError> {
    let parsed = jws::parse(token, DEFAULT_MAX_TOKEN_BYTES)?;
    let header = jws::decode_header(token)?;
    let payload = jws::decode_payload(parsed.payload_b64)?;
    Ok((header, payload))
}

/// A JSON object: a token's header or payload.
pub type JsonObject = Map<String, Value>;

/// The `iss` claim of a token, read without verifying anything: to pick which trusted
/// issuer should verify it.
#[must_use]
pub fn unverified_issuer(token: &str) -> Option<String> {
    let (_, payload) = decode_unverified(token).ok()?;
    match payload.get("iss") {
        Some(Value::String(iss)) => Some(iss.clone()),
        _ => None,
    }
}
