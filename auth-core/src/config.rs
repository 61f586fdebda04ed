//! [`IssuerConfig`]: the seed's `JWTConfig`, plus the knobs a production verifier needs.

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{Algorithm, KeyConfig, Secret};

/// Default access-token lifetime: 15 minutes (hawkapi-auth's default).
pub const DEFAULT_ACCESS_TTL: u64 = 15 * 60;
/// Default refresh-token lifetime: 30 days (hawkapi-auth's default).
pub const DEFAULT_REFRESH_TTL: u64 = 30 * 24 * 60 * 60;
/// Default clock-skew allowance for `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_LEEWAY: u64 = 30;
/// Default size limit for a token, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// How tokens are signed and checked. The fields and defaults of hawkapi-auth's
/// `JWTConfig`, plus a leeway, a size limit and key files.
///
/// Deserialisable with every field optional (Rocket reads it from the `auth` table of
/// `Rocket.toml` or from `ROCKET_AUTH_*` variables). Nothing is checked here: building an
/// [`Issuer`](crate::Issuer) validates the whole configuration once and says what to fix.
///
/// `Debug` never shows the secret or the private key.
///
/// ```
/// use auth_core::{Algorithm, IssuerConfig, random_secret};
///
/// let mut config = IssuerConfig::default();
/// config.secret = Some(random_secret());
/// config.issuer = Some("my-service".into());
/// config.audience = Some("my-api".into());
/// assert_eq!(config.algorithm, Algorithm::HS256);
/// assert_eq!(config.access_ttl, 900);
/// assert!(!format!("{config:?}").contains(config.secret.as_ref().unwrap().expose()));
/// ```
#[derive(Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IssuerConfig {
    /// Shared secret for HS256/384/512: at least 32/48/64 bytes, used as its UTF-8 bytes
    /// (as hawkapi-auth does). Make one with [`random_secret`](crate::random_secret).
    /// _Default:_ none.
    pub secret: Option<Secret>,
    /// File holding the secret (for mounted secrets); trailing newlines are ignored. Used
    /// only when `secret` is unset. _Default:_ none.
    pub secret_path: Option<PathBuf>,
    /// The signing algorithm. _Default:_ `HS256`.
    pub algorithm: Algorithm,
    /// Access-token lifetime in seconds. _Default:_ 900 (15 minutes).
    #[serde(alias = "access_ttl_seconds")]
    pub access_ttl: u64,
    /// Refresh-token lifetime in seconds. _Default:_ 2 592 000 (30 days).
    #[serde(alias = "refresh_ttl_seconds")]
    pub refresh_ttl: u64,
    /// The `iss` claim put in tokens and required of tokens. An empty string counts as
    /// unset. _Default:_ none.
    #[serde(deserialize_with = "optional_lenient_string")]
    pub issuer: Option<String>,
    /// The `aud` claim (one string or a list) put in tokens; tokens must name at least one
    /// of them. Without it, tokens carrying any `aud` are refused (RFC 7519 §4.1.3).
    /// _Default:_ none.
    pub audience: Option<Audience>,
    /// PEM private key (PKCS#8 `PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`) for the RS*,
    /// PS*, ES* and EdDSA algorithms. Literal `\n` sequences are read as newlines, so the
    /// key fits in one environment variable. Omit it on services that only verify.
    /// _Default:_ none.
    pub private_key: Option<Secret>,
    /// File holding the PEM private key. _Default:_ none.
    pub private_key_path: Option<PathBuf>,
    /// PEM public key (`PUBLIC KEY`, or `RSA PUBLIC KEY`). Derived from the private key
    /// when omitted. _Default:_ none.
    pub public_key: Option<String>,
    /// File holding the PEM public key. _Default:_ none.
    pub public_key_path: Option<PathBuf>,
    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat`; at most 300.
    /// _Default:_ 30.
    pub leeway: u64,
    /// Tokens longer than this are refused before any decoding (1 KiB to 64 KiB).
    /// _Default:_ 8192.
    pub max_token_bytes: usize,
    /// Access tokens remembered after a successful verification, so that the same token
    /// sent again skips the signature check and the parsing (expiry and revocation are
    /// still checked on every use). `0` turns the cache off. _Default:_ 10000.
    pub verify_cache_entries: usize,
    /// Memory bound of that cache in bytes. _Default:_ 16 MiB.
    pub verify_cache_bytes: usize,
    /// A key ring, next to (or instead of) the single key above: keys named by `kid`, one
    /// of them `active` (signing), the others verifying what they signed. See
    /// [`KeyConfig`] and the key-rotation runbook in the README. _Default:_ empty.
    pub keys: Vec<KeyConfig>,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            secret: None,
            secret_path: None,
            algorithm: Algorithm::default(),
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            issuer: None,
            audience: None,
            private_key: None,
            private_key_path: None,
            public_key: None,
            public_key_path: None,
            leeway: DEFAULT_LEEWAY,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            verify_cache_entries: 10_000,
            verify_cache_bytes: 16 << 20,
            keys: Vec::new(),
        }
    }
}

impl IssuerConfig {
    /// A configuration for HS256 with `secret` and the defaults.
    ///
    /// ```
    /// let config = auth_core::IssuerConfig::hs256(auth_core::random_secret());
    /// let issuer = auth_core::Issuer::new(config).unwrap();
    /// ```
    #[must_use]
    pub fn hs256(secret: impl Into<Secret>) -> Self {
        Self {
            secret: Some(secret.into()),
            ..Self::default()
        }
    }

    /// A configuration for an asymmetric `algorithm` with a PEM private key (the public
    /// key is derived from it).
    #[must_use]
    pub fn with_private_key(algorithm: Algorithm, private_key_pem: impl Into<Secret>) -> Self {
        Self {
            algorithm,
            private_key: Some(private_key_pem.into()),
            ..Self::default()
        }
    }

    /// A verify-only configuration for an asymmetric `algorithm` with a PEM public key.
    #[must_use]
    pub fn with_public_key(algorithm: Algorithm, public_key_pem: impl Into<String>) -> Self {
        Self {
            algorithm,
            public_key: Some(public_key_pem.into()),
            ..Self::default()
        }
    }

    /// The configured issuer, treating an empty string as unset.
    pub(crate) fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref().filter(|s| !s.is_empty())
    }
}

impl fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerConfig")
            .field("secret", &self.secret)
            .field("secret_path", &self.secret_path)
            .field("algorithm", &self.algorithm)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("private_key", &self.private_key)
            .field("private_key_path", &self.private_key_path)
            .field("public_key", &self.public_key.as_ref().map(|_| "<pem>"))
            .field("public_key_path", &self.public_key_path)
            .field("leeway", &self.leeway)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("verify_cache_entries", &self.verify_cache_entries)
            .field("verify_cache_bytes", &self.verify_cache_bytes)
            .field("keys", &self.keys)
            .finish()
    }
}

/// The `aud` claim: one audience or a list, kept in the shape it was given (hawkapi-auth
/// puts its configured value in tokens as is).
///
/// ```
/// use auth_core::Audience;
///
/// let one: Audience = "my-api".into();
/// let many = Audience::Many(vec!["a".into(), "b".into()]);
/// assert!(many.contains("b"));
/// assert!(one.intersects(&Audience::Many(vec!["x".into(), "my-api".into()])));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// A single audience (`"aud": "my-api"`).
    One(String),
    /// Several audiences (`"aud": ["a", "b"]`).
    Many(Vec<String>),
}

impl Audience {
    /// The audiences as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        match self {
            Self::One(a) => std::slice::from_ref(a),
            Self::Many(v) => v,
        }
    }

    /// True when `aud` is one of the audiences.
    #[must_use]
    pub fn contains(&self, aud: &str) -> bool {
        self.as_slice().iter().any(|a| a == aud)
    }

    /// True when the two share at least one audience.
    #[must_use]
    pub fn intersects(&self, other: &Self) -> bool {
        self.as_slice().iter().any(|a| other.contains(a))
    }
}

impl fmt::Debug for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One(a) => fmt::Debug::fmt(a, f),
            Self::Many(v) => fmt::Debug::fmt(v, f),
        }
    }
}

impl From<&str> for Audience {
    fn from(value: &str) -> Self {
        Self::One(value.to_owned())
    }
}

impl From<String> for Audience {
    fn from(value: String) -> Self {
        Self::One(value)
    }
}

impl From<Vec<String>> for Audience {
    fn from(value: Vec<String>) -> Self {
        Self::Many(value)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(a) => serializer.serialize_str(a),
            Self::Many(v) => v.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Audience;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Audience, E> {
                Ok(Audience::One(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Audience, E> {
                Ok(Audience::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Audience::Many(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn optional_lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            crate::secret::deserialize_lenient_string(d).map(Some)
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seeds() {
        let c = IssuerConfig::default();
        assert_eq!(c.algorithm, Algorithm::HS256);
        assert_eq!(c.access_ttl, 15 * 60);
        assert_eq!(c.refresh_ttl, 30 * 24 * 3600);
        assert!(c.issuer.is_none() && c.audience.is_none());
    }

    #[test]
    fn deserialises_partial_tables_and_seed_aliases() {
        let c: IssuerConfig = serde_json::from_str(
            r#"{"secret": "s", "algorithm": "HS512", "access_ttl_seconds": 60,
                "audience": ["a", "b"], "issuer": "me"}"#,
        )
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::HS512);
        assert_eq!(c.access_ttl, 60);
        assert_eq!(c.refresh_ttl, DEFAULT_REFRESH_TTL);
        assert_eq!(
            c.audience,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(c.issuer(), Some("me"));
    }

    #[test]
    fn debug_hides_key_material() {
        let mut c = IssuerConfig::hs256("the-shared-secret-the-shared-secret");
        c.private_key = Some(Secret::new("-----BEGIN PRIVATE KEY-----xyz"));
        c.public_key = Some("-----BEGIN PUBLIC KEY-----abc".into());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("the-shared-secret"));
        assert!(!dbg.contains("xyz") && !dbg.contains("abc"));
    }

    #[test]
    fn empty_issuer_counts_as_unset() {
        let c: IssuerConfig = serde_json::from_str(r#"{"issuer": ""}"#).unwrap();
        assert_eq!(c.issuer(), None);
    }
}
