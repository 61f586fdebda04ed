//! Helpers: test keys, and hand-made tokens signed with a known key (so tests can
//! present claims and headers our issuer would never produce).

use auth_core::{Algorithm, Clock, Issuer, IssuerConfig, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// A fixed HS256 secret (43 bytes).
pub(crate) const SECRET: &str = "test-secret-test-secret-test-secret-0123456";
/// A fixed "now" for manual clocks.
pub(crate) const NOW: u64 = 1_750_000_000;

pub(crate) fn key(name: &str) -> String {
    let path = format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn key_path(name: &str) -> std::path::PathBuf {
    format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR")).into()
}

pub(crate) fn hs256() -> IssuerConfig {
    IssuerConfig::hs256(SECRET)
}

/// An issuer on a manual clock set to [`NOW`].
pub(crate) fn issuer_at(config: IssuerConfig) -> (Issuer, Clock) {
    let clock = Clock::manual(NOW);
    let issuer = Issuer::builder(config)
        .clock(clock.clone())
        .build()
        .unwrap();
    (issuer, clock)
}

/// The private key file and a config for each asymmetric algorithm.
pub(crate) fn asymmetric_configs() -> Vec<(Algorithm, IssuerConfig)> {
    [
        (Algorithm::RS256, "rsa2048.pem"),
        (Algorithm::RS384, "rsa2048.pem"),
        (Algorithm::RS512, "rsa2048.pem"),
        (Algorithm::PS256, "rsa2048.pem"),
        (Algorithm::PS384, "rsa2048.pem"),
        (Algorithm::PS512, "rsa2048.pem"),
        (Algorithm::ES256, "p256.pem"),
        (Algorithm::ES384, "p384.pem"),
        (Algorithm::EdDSA, "ed25519.pem"),
    ]
    .into_iter()
    .map(|(alg, file)| {
        (
            alg,
            IssuerConfig::with_private_key(alg, Secret::new(key(file))),
        )
    })
    .collect()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header.payload` (raw JSON text) with HMAC-SHA256 over `secret`.
pub(crate) fn sign_hs256_raw(header: &str, payload: &str, secret: &[u8]) -> String {
    sign_raw(
        header,
        payload,
        &jsonwebtoken::EncodingKey::from_secret(secret).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    )
}

pub(crate) fn sign_raw(
    header: &str,
    payload: &str,
    key: &jsonwebtoken::EncodingKey,
    alg: jsonwebtoken::Algorithm,
) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

/// Standard valid access claims at [`NOW`].
pub(crate) fn claims() -> Value {
    serde_json::json!({
        "sub": "user-1", "iat": NOW, "exp": NOW + 900,
        "jti": "0123456789abcdef0123456789abcdef", "type": "access"
    })
}

/// HS256 token with [`SECRET`] over `payload` and the standard header.
pub(crate) fn hs256_token(payload: &Value) -> String {
    sign_hs256_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &payload.to_string(),
        SECRET.as_bytes(),
    )
}

/// `claims()` with one member replaced (or removed when `value` is `None`).
pub(crate) fn claims_with(name: &str, value: Option<Value>) -> Value {
    let mut c = claims();
    match value {
        Some(v) => c[name] = v,
        None => {
            c.as_object_mut().unwrap().remove(name);
        }
    }
    c
}

/// Runs a future to completion on a fresh current-thread runtime.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
