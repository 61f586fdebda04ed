//! Key material: loading, checking and binding keys to one algorithm.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{DecodingKey, EncodingKey};

use crate::algorithm::KeyFamily;
use crate::{Algorithm, ConfigError, IssuerConfig, Secret};

/// Minimum RSA modulus size.
const MIN_RSA_BITS: usize = 2048;

/// One key, bound to one algorithm. Verifies always; signs when it holds private material.
pub(crate) struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("can_sign", &self.encoding.is_some())
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Builds the key described by the seed-style fields of `config` (`secret`,
    /// `private_key`, `public_key` and their `*_path`), or `None` when none is set.
    pub(crate) fn from_config(config: &IssuerConfig) -> Result<Option<Self>, ConfigError> {
        let material = Material::read(
            (
                config.secret.as_ref().map(Secret::expose),
                config.secret_path.as_deref(),
            ),
            (
                config.private_key.as_ref().map(Secret::expose),
                config.private_key_path.as_deref(),
            ),
            (
                config.public_key.as_deref(),
                config.public_key_path.as_deref(),
            ),
        )?;
        if material.is_empty() {
            return Ok(None);
        }
        Self::from_material(config.algorithm, &material, None).map(Some)
    }

    /// Builds a key of algorithm `alg` from secret or PEM material.
    pub(crate) fn from_material(
        alg: Algorithm,
        m: &Material,
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        if alg.is_symmetric() {
            for (field, present) in [
                ("private_key", m.private.is_some()),
                ("public_key", m.public.is_some()),
            ] {
                if present {
                    return Err(ConfigError::ConflictingKey {
                        field,
                        algorithm: alg,
                        hint: "HMAC algorithms use `secret`; remove the PEM keys, or set `algorithm` to the key's (RS256, ES256, EdDSA, ...)",
                    });
                }
            }
            let Some(secret) = &m.secret else {
                return Err(ConfigError::MissingKey {
                    algorithm: alg,
                    hint: "no `secret` is configured for HS256/384/512: set `secret` (env ROCKET_AUTH_SECRET) to a random value \
                           of at least 32/48/64 bytes, e.g. from `auth_core::random_secret()`, or point `secret_path` at a file holding one",
                });
            };
            return Self::hmac(alg, secret.as_bytes(), kid);
        }
        if m.secret.is_some() {
            return Err(ConfigError::ConflictingKey {
                field: "secret",
                algorithm: alg,
                hint: "signature algorithms use `private_key` / `public_key` (PEM); remove `secret`, or set `algorithm` to HS256",
            });
        }
        if m.private.is_none() && m.public.is_none() {
            return Err(ConfigError::MissingKey {
                algorithm: alg,
                hint: "no key is configured for a signature algorithm: set `private_key` (env ROCKET_AUTH_PRIVATE_KEY, PEM) to sign \
                       and verify, or only `public_key` to verify; `*_path` variants read PEM files",
            });
        }
        Self::asymmetric(alg, m.private.as_deref(), m.public.as_deref(), kid)
    }

    /// A key from a JWK: a public key (RSA, EC, OKP: verify-only) or an `oct` secret.
    /// Private asymmetric JWKs are refused: give private keys as PEM.
    pub(crate) fn from_jwk(
        alg: Algorithm,
        jwk: &Jwk,
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        let invalid = |reason: &'static str| ConfigError::InvalidKey {
            field: "jwk",
            algorithm: alg,
            reason: reason.into(),
        };
        if let Some(jwk_alg) = jwk.common.key_algorithm
            && jwk_alg.to_string() != alg.as_str()
        {
            return Err(invalid("the JWK's `alg` is not the configured algorithm"));
        }
        if let AlgorithmParameters::OctetKey(oct) = &jwk.algorithm {
            if !alg.is_symmetric() {
                return Err(invalid(
                    "an `oct` JWK is a shared secret: use it with HS256/384/512",
                ));
            }
            let secret = URL_SAFE_NO_PAD
                .decode(&oct.value)
                .map_err(|_| invalid("`k` is not base64url"))?;
            return Self::hmac(alg, &secret, kid);
        }
        if alg.is_symmetric() {
            return Err(invalid("HMAC algorithms need an `oct` JWK"));
        }
        let decoding =
            DecodingKey::from_jwk(jwk).map_err(|_| invalid("the JWK is not a valid public key"))?;
        check_public(alg, &decoding, "jwk")?;
        Ok(Self {
            kid,
            algorithm: alg,
            encoding: None,
            decoding,
        })
    }

    /// The public JWK of an asymmetric key, with its `kid`, `alg` and `use: sig`; `None`
    /// for HMAC keys (a shared secret is never published).
    pub(crate) fn public_jwk(&self) -> Option<Jwk> {
        if self.algorithm.is_symmetric() {
            return None;
        }
        let mut jwk = Jwk::from_decoding_key(&self.decoding, Some(self.algorithm.to_jwt())).ok()?;
        jwk.common.key_id.clone_from(&self.kid);
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Some(jwk)
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key (asymmetric keys only).
    pub(crate) fn thumbprint(&self) -> Option<String> {
        self.public_jwk()?
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .ok()
    }

    /// An HMAC key from a shared secret.
    pub(crate) fn hmac(
        alg: Algorithm,
        secret: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        let min = alg.min_secret_len().unwrap_or(32);
        if secret.len() < min {
            return Err(ConfigError::WeakSecret {
                algorithm: alg,
                min,
                actual: secret.len(),
            });
        }
        let invalid = |_| ConfigError::InvalidKey {
            field: "secret",
            algorithm: alg,
            reason: "rejected by the crypto backend".into(),
        };
        let key = Self {
            kid,
            algorithm: alg,
            encoding: Some(EncodingKey::from_secret(secret).map_err(invalid)?),
            decoding: DecodingKey::from_secret(secret).map_err(invalid)?,
        };
        key.self_test()?;
        Ok(key)
    }

    /// An RSA, EC or Ed25519 key from PEM text: a private key (public derived), a public
    /// key (verify-only), or both (checked to be a pair).
    pub(crate) fn asymmetric(
        alg: Algorithm,
        private_pem: Option<&str>,
        public_pem: Option<&str>,
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        let encoding = private_pem
            .map(|pem| encoding_from_pem(alg, &normalise_pem(pem)))
            .transpose()?;
        let decoding = match (public_pem, &encoding) {
            (Some(pem), _) => decoding_from_pem(alg, &normalise_pem(pem))?,
            (None, Some(enc)) => derive_public(alg, enc)?,
            (None, None) => {
                return Err(ConfigError::MissingKey {
                    algorithm: alg,
                    hint: "no private or public key is configured",
                });
            }
        };
        check_public(
            alg,
            &decoding,
            if public_pem.is_some() {
                "public_key"
            } else {
                "private_key"
            },
        )?;
        let key = Self {
            kid,
            algorithm: alg,
            encoding,
            decoding,
        };
        key.self_test()?;
        Ok(key)
    }

    /// Signs `message` (the JWS signing input), returning the base64url signature.
    pub(crate) fn sign(
        &self,
        message: &[u8],
    ) -> Option<Result<String, jsonwebtoken::errors::Error>> {
        self.encoding
            .as_ref()
            .map(|enc| jsonwebtoken::crypto::sign(message, enc, self.algorithm.to_jwt()))
    }

    /// Verifies a base64url `signature` over `message`. Any error (bad base64, wrong
    /// length, backend refusal) is simply "does not verify".
    pub(crate) fn verify(&self, signature: &str, message: &[u8]) -> bool {
        jsonwebtoken::crypto::verify(signature, message, &self.decoding, self.algorithm.to_jwt())
            .unwrap_or(false)
    }

    /// True when the key can sign.
    pub(crate) fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }

    /// Signs and verifies a probe: proves the pair matches and the backend accepts the
    /// key for this algorithm, at start-up rather than at the first login.
    fn self_test(&self) -> Result<(), ConfigError> {
        let Some(result) = self.sign(b"auth-core key self-test") else {
            return Ok(());
        };
        let signature = result.map_err(|_| ConfigError::InvalidKey {
            field: "private_key",
            algorithm: self.algorithm,
            reason: "the crypto backend cannot sign with it (wrong key type or curve for the algorithm?)".into(),
        })?;
        if self.verify(&signature, b"auth-core key self-test") {
            Ok(())
        } else {
            Err(ConfigError::KeyMismatch)
        }
    }
}

/// Key material as configured: each value inline or from a file.
#[derive(Default)]
pub(crate) struct Material {
    pub(crate) secret: Option<String>,
    pub(crate) private: Option<String>,
    pub(crate) public: Option<String>,
}

impl Material {
    /// Reads `(inline, path)` pairs for the secret, the private key and the public key.
    pub(crate) fn read(
        secret: (Option<&str>, Option<&Path>),
        private: (Option<&str>, Option<&Path>),
        public: (Option<&str>, Option<&Path>),
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            secret: read_optional(secret.0, secret.1, "secret_path")?,
            private: read_optional(private.0, private.1, "private_key_path")?,
            public: read_optional(public.0, public.1, "public_key_path")?,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.secret.is_none() && self.private.is_none() && self.public.is_none()
    }
}

/// Picks the configured value, else reads the file; trims the trailing newline editors add.
fn read_optional(
    inline: Option<&str>,
    path: Option<&Path>,
    field: &'static str,
) -> Result<Option<String>, ConfigError> {
    if let Some(v) = inline.filter(|v| !v.is_empty()) {
        return Ok(Some(v.to_owned()));
    }
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::KeyFile {
        field,
        path: path.to_owned(),
        source,
    })?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Accepts PEM written on one line with literal `\n` (as environment variables often are).
fn normalise_pem(pem: &str) -> Cow<'_, str> {
    if pem.contains("\\n") && !pem.contains('\n') {
        Cow::Owned(pem.replace("\\n", "\n"))
    } else {
        Cow::Borrowed(pem)
    }
}

fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &pem[start..];
    rest.find("-----").map(|end| &rest[..end])
}

fn encoding_from_pem(alg: Algorithm, pem: &str) -> Result<EncodingKey, ConfigError> {
    let invalid = |reason: Cow<'static, str>| ConfigError::InvalidKey {
        field: "private_key",
        algorithm: alg,
        reason,
    };
    let label = pem_label(pem)
        .ok_or_else(|| invalid("not PEM text (expected `-----BEGIN PRIVATE KEY-----`)".into()))?;
    if label.contains("PUBLIC") {
        return Err(invalid("this is a public key; `private_key` needs the private one (or set `public_key` to verify only)".into()));
    }
    if label == "EC PRIVATE KEY" {
        return Err(invalid("SEC1 `EC PRIVATE KEY` is not supported: convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in key.pem`".into()));
    }
    if label.contains("ENCRYPTED") {
        return Err(invalid(
            "encrypted PEM keys are not supported: decrypt it with `openssl pkey -in key.pem`"
                .into(),
        ));
    }
    let parsed = match alg.family() {
        KeyFamily::Rsa => EncodingKey::from_rsa_pem(pem.as_bytes()),
        KeyFamily::Ec => EncodingKey::from_ec_pem(pem.as_bytes()),
        KeyFamily::Ed => EncodingKey::from_ed_pem(pem.as_bytes()),
        KeyFamily::Hmac => return Err(invalid("HMAC algorithms use `secret`".into())),
    };
    parsed.map_err(|_| invalid(family_mismatch_hint(alg).into()))
}

fn decoding_from_pem(alg: Algorithm, pem: &str) -> Result<DecodingKey, ConfigError> {
    let invalid = |reason: Cow<'static, str>| ConfigError::InvalidKey {
        field: "public_key",
        algorithm: alg,
        reason,
    };
    let label = pem_label(pem)
        .ok_or_else(|| invalid("not PEM text (expected `-----BEGIN PUBLIC KEY-----`)".into()))?;
    if label.contains("PRIVATE") {
        return Err(invalid(
            "this is a private key; put it in `private_key` (the public key is derived from it)"
                .into(),
        ));
    }
    let parsed = match alg.family() {
        KeyFamily::Rsa => DecodingKey::from_rsa_pem(pem.as_bytes()),
        KeyFamily::Ec => DecodingKey::from_ec_pem(pem.as_bytes()),
        KeyFamily::Ed => DecodingKey::from_ed_pem(pem.as_bytes()),
        KeyFamily::Hmac => return Err(invalid("HMAC algorithms use `secret`".into())),
    };
    parsed.map_err(|_| invalid(family_mismatch_hint(alg).into()))
}

fn family_mismatch_hint(alg: Algorithm) -> &'static str {
    match alg.family() {
        KeyFamily::Rsa => "expected an RSA key in PEM (PKCS#8 or PKCS#1)",
        KeyFamily::Ec if alg == Algorithm::ES256 => "expected a P-256 EC key in PEM (PKCS#8)",
        KeyFamily::Ec => "expected a P-384 EC key in PEM (PKCS#8)",
        KeyFamily::Ed => "expected an Ed25519 key in PEM (PKCS#8)",
        KeyFamily::Hmac => "HMAC algorithms use `secret`",
    }
}

/// Derives the public key from a private one, through its public JWK.
fn derive_public(alg: Algorithm, enc: &EncodingKey) -> Result<DecodingKey, ConfigError> {
    let invalid = || ConfigError::InvalidKey {
        field: "private_key",
        algorithm: alg,
        reason: family_mismatch_hint(alg).into(),
    };
    let jwk = Jwk::from_encoding_key(enc, alg.to_jwt()).map_err(|_| invalid())?;
    DecodingKey::from_jwk(&jwk).map_err(|_| invalid())
}

/// Checks what only the public half shows: RSA size and EC curve.
fn check_public(alg: Algorithm, key: &DecodingKey, field: &'static str) -> Result<(), ConfigError> {
    let invalid = |reason: &'static str| ConfigError::InvalidKey {
        field,
        algorithm: alg,
        reason: reason.into(),
    };
    let jwk = Jwk::from_decoding_key(key, Some(alg.to_jwt()))
        .map_err(|_| invalid(family_mismatch_hint(alg)))?;
    match (&jwk.algorithm, alg.family()) {
        (AlgorithmParameters::RSA(rsa), KeyFamily::Rsa) => {
            let n = URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .map_err(|_| invalid("unreadable RSA modulus"))?;
            let bits = modulus_bits(&n);
            if bits < MIN_RSA_BITS {
                return Err(ConfigError::WeakRsaKey { field, bits });
            }
            Ok(())
        }
        (AlgorithmParameters::EllipticCurve(ec), KeyFamily::Ec) => match (alg, &ec.curve) {
            (Algorithm::ES256, EllipticCurve::P256) | (Algorithm::ES384, EllipticCurve::P384) => {
                Ok(())
            }
            (Algorithm::ES256, _) => Err(invalid(
                "ES256 needs a P-256 (prime256v1) key; this key is on another curve",
            )),
            _ => Err(invalid(
                "ES384 needs a P-384 (secp384r1) key; this key is on another curve",
            )),
        },
        (AlgorithmParameters::OctetKeyPair(okp), KeyFamily::Ed)
            if okp.curve == EllipticCurve::Ed25519 =>
        {
            Ok(())
        }
        (AlgorithmParameters::OctetKeyPair(_), KeyFamily::Ed) => Err(invalid(
            "EdDSA here means Ed25519; this key is on another curve",
        )),
        _ => Err(invalid(family_mismatch_hint(alg))),
    }
}

fn modulus_bits(n: &[u8]) -> usize {
    let Some(first) = n.iter().position(|b| *b != 0) else {
        return 0;
    };
    (n.len() - first) * 8 - n[first].leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 Appendix A.1: the HS256 example JWS (its header and payload use CRLF
    /// whitespace, and its key is a JWK).
    #[test]
    fn rfc7515_a1_hs256_example_verifies() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "oct",
            "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
        }))
        .unwrap();
        let key = Key::from_jwk(Algorithm::HS256, &jwk, None).unwrap();
        let signing_input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
            eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert!(key.verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            signing_input.as_bytes()
        ));
        assert!(!key.verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
            signing_input.as_bytes()
        ));
        let token = format!("{signing_input}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let (header, payload) = crate::dangerous::decode_unverified(&token).unwrap();
        assert_eq!(
            (header["alg"].as_str(), payload["iss"].as_str()),
            (Some("HS256"), Some("joe"))
        );
    }

    /// RFC 7520 §4.4: HMAC-SHA2 integrity protection, with the symmetric key of §3.5,
    /// named by its `kid` in a key ring. The payload is text, not claims: the issuer
    /// verifies the signature and then refuses the payload, which proves the signature
    /// check passed (a bad signature is refused before the payload is looked at).
    #[test]
    fn rfc7520_4_4_hs256_example_verifies() {
        let jwk = r#"{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256",
                      "k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}"#;
        let config = IssuerConfig {
            keys: vec![crate::KeyConfig::jwk(Secret::new(jwk))],
            ..IssuerConfig::default()
        };
        let issuer = crate::Issuer::new(config).unwrap();
        let signing_input = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.\
            SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9h\
            ZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3\
            ZXB0IG9mZiB0by4";
        let good = format!("{signing_input}.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0");
        let bad = format!("{signing_input}.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p1");
        assert!(matches!(
            issuer.verify_access(&good),
            Err(crate::TokenError::Malformed("payload is not a JSON object"))
        ));
        assert!(matches!(
            issuer.verify_access(&bad),
            Err(crate::TokenError::InvalidSignature)
        ));
    }

    #[test]
    fn modulus_bits_counts_significant_bits() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }

    #[test]
    fn pem_on_one_line_is_accepted() {
        assert_eq!(normalise_pem("a\\nb"), "a\nb");
        assert_eq!(normalise_pem("a\nb\\nc"), "a\nb\\nc");
    }

    #[test]
    fn pem_label_is_read() {
        assert_eq!(
            pem_label("-----BEGIN PUBLIC KEY-----\nabc"),
            Some("PUBLIC KEY")
        );
        assert_eq!(pem_label("garbage"), None);
    }
}
