//! Test keys, their JWKs, hand-signed tokens and issuers pointed at a [`Provider`].

use auth_core::{Clock, TrustedIssuer, TrustedIssuerConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::Jwk;
use serde_json::{Value, json};

use crate::provider::{Provider, Reply};

/// A fixed "now" for manual clocks.
pub(crate) const NOW: u64 = 1_750_000_000;
/// The trusted issuer (only compared, never fetched).
pub(crate) const ISS: &str = "https://idp.test/";
/// Our audience at that issuer.
pub(crate) const AUD: &str = "my-api";

fn pem(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A private test key and the algorithm it signs with.
pub(crate) struct TestKey {
    alg: jsonwebtoken::Algorithm,
    enc: EncodingKey,
}

pub(crate) fn rsa() -> TestKey {
    TestKey::new("rsa2048.pem", jsonwebtoken::Algorithm::RS256)
}
pub(crate) fn rsa_other() -> TestKey {
    TestKey::new("rsa2048-other.pem", jsonwebtoken::Algorithm::RS256)
}
pub(crate) fn p256() -> TestKey {
    TestKey::new("p256.pem", jsonwebtoken::Algorithm::ES256)
}
pub(crate) fn ed25519() -> TestKey {
    TestKey::new("ed25519.pem", jsonwebtoken::Algorithm::EdDSA)
}

impl TestKey {
    pub(crate) fn new(file: &str, alg: jsonwebtoken::Algorithm) -> Self {
        let pem = pem(file);
        let enc = match alg {
            jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::ES384 => {
                EncodingKey::from_ec_pem(&pem)
            }
            jsonwebtoken::Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .unwrap();
        Self { alg, enc }
    }

    /// The same key signing with another algorithm of its family (RS256 -> PS256).
    pub(crate) fn with_alg(mut self, alg: jsonwebtoken::Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The public JWK: `alg`, `use: sig`, and `kid` when given.
    pub(crate) fn jwk(&self, kid: Option<&str>) -> Value {
        let jwk = Jwk::from_encoding_key(&self.enc, self.alg).unwrap();
        let mut value = serde_json::to_value(jwk).unwrap();
        value["use"] = json!("sig");
        if let Some(kid) = kid {
            value["kid"] = json!(kid);
        }
        value
    }

    /// Signs raw `header` and `claims`.
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &self.enc, self.alg).unwrap();
        format!("{input}.{sig}")
    }

    /// A token with the usual header (`alg` of the key, `typ`, `kid` when given).
    pub(crate) fn token(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": format!("{:?}", self.alg), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        self.sign(&header, claims)
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Valid claims of the trusted issuer for us, at [`NOW`].
pub(crate) fn claims() -> Value {
    json!({
        "iss": ISS, "aud": [AUD, "other-api"], "sub": "user-1",
        "iat": NOW, "exp": NOW + 600, "scp": ["read", "write"], "email": "u@example.com"
    })
}

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

pub(crate) fn jwks(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

/// A provider serving `keys` at `/jwks`.
pub(crate) fn provider_with(keys: &[Value]) -> Provider {
    let p = Provider::start();
    p.set("/jwks", Reply::json(&jwks(keys)));
    p
}

/// The default config for [`ISS`] with its JWKS at `provider`'s `/jwks`.
pub(crate) fn config(provider: &Provider) -> TrustedIssuerConfig {
    TrustedIssuerConfig::jwks(ISS, provider.url("/jwks"), AUD)
}

/// An issuer for `config` on a manual clock at [`NOW`].
pub(crate) fn issuer_at(config: TrustedIssuerConfig) -> (TrustedIssuer, Clock) {
    let clock = Clock::manual(NOW);
    let issuer = TrustedIssuer::new(config)
        .unwrap()
        .with_clock(clock.clone());
    (issuer, clock)
}
