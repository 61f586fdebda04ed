//! [`AuthConfig`]: the `auth` table of Rocket's configuration.

use std::collections::BTreeSet;

use auth_core::IssuerConfig;
use rocket::figment::Figment;
use rocket::figment::providers::{Env, Serialized};
use rocket::figment::value::{Dict, Value};
use serde::Deserialize;

use crate::{PasswordConfig, StoreConfig};

/// Everything the fairing reads from the `auth` table: the token settings of
/// [`IssuerConfig`] (flattened: `secret`, `algorithm`, `access_ttl`, ...) and the
/// password pool's.
///
/// ```toml
/// [default.auth]
/// algorithm = "HS256"
/// issuer = "my-service"
/// audience = "my-api"
/// access_ttl = 900
/// refresh_ttl = 2592000
/// leeway = 30
///
/// [default.auth.passwords]
/// max_concurrent = 2
///
/// [release.auth]
/// # secret from the environment: ROCKET_AUTH_SECRET=...
/// ```
///
/// Every key can be set from the environment as `ROCKET_AUTH_<KEY>`
/// (`ROCKET_AUTH_SECRET`, `ROCKET_AUTH_ALGORITHM`, `ROCKET_AUTH_ISSUER`,
/// `ROCKET_AUTH_AUDIENCE`, `ROCKET_AUTH_ACCESS_TTL`, `ROCKET_AUTH_REFRESH_TTL`,
/// `ROCKET_AUTH_PRIVATE_KEY`, `ROCKET_AUTH_PUBLIC_KEY`, `ROCKET_AUTH_PRIVATE_KEY_PATH`,
/// `ROCKET_AUTH_PUBLIC_KEY_PATH`, `ROCKET_AUTH_SECRET_PATH`, ...), which overrides
/// `Rocket.toml`. Tables take Rocket's inline syntax:
/// `ROCKET_AUTH_PASSWORDS='{max_concurrent=4}'`, lists `ROCKET_AUTH_AUDIENCE='[a,b]'`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuthConfig {
    /// Token settings (hawkapi-auth's `JWTConfig`, plus leeway, limits, key files).
    #[serde(flatten)]
    pub issuer: IssuerConfig,
    /// Password hashing settings.
    pub passwords: PasswordConfig,
    /// The revocation store.
    #[serde(flatten)]
    pub store: StoreConfig,
    /// `max-age` of the JWKS answer, in seconds. _Default:_ 300.
    pub jwks_max_age: u64,
    /// Third-party issuers whose tokens the guards accept too, verified with their JWKS
    /// (feature `remote-jwks`). _Default:_ none.
    #[cfg(feature = "remote-jwks")]
    pub trusted_issuers: Vec<auth_core::TrustedIssuerConfig>,
    /// How many trusted issuers are configured (without the `remote-jwks` feature they
    /// are refused at launch rather than ignored).
    #[cfg(not(feature = "remote-jwks"))]
    #[serde(skip)]
    pub(crate) trusted_issuers_configured: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self::new(IssuerConfig::default())
    }
}

impl AuthConfig {
    /// A configuration around token settings, with default password and store settings.
    #[must_use]
    pub fn new(issuer: IssuerConfig) -> Self {
        Self {
            issuer,
            passwords: PasswordConfig::default(),
            store: StoreConfig::default(),
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            #[cfg(feature = "remote-jwks")]
            trusted_issuers: Vec::new(),
            #[cfg(not(feature = "remote-jwks"))]
            trusted_issuers_configured: 0,
        }
    }

    /// Reads the `auth` table of `figment` (the selected profile), with top-level
    /// `auth_*` keys (what Rocket makes of `ROCKET_AUTH_*` variables) taking precedence.
    ///
    /// # Errors
    ///
    /// A figment error naming the key and its source when a value has the wrong type.
    #[allow(clippy::result_large_err)] // figment's own error type, as in Rocket's API
    pub fn from_figment(figment: &Figment) -> Result<Self, rocket::figment::Error> {
        let merged = auth_figment(figment);
        warn_unknown_keys(&merged);
        // Extracted part by part rather than through `#[serde(flatten)]`, which would
        // buffer the values and lose the key names figment puts in its errors.
        let issuer = merged.extract::<IssuerConfig>()?;
        let passwords = match merged.find_value("passwords") {
            Ok(_) => merged.extract_inner::<PasswordConfig>("passwords")?,
            Err(_) => PasswordConfig::default(),
        };
        let store = merged.extract::<StoreConfig>()?;
        let jwks_max_age = match merged.find_value("jwks_max_age") {
            Ok(_) => merged.extract_inner::<u64>("jwks_max_age")?,
            Err(_) => DEFAULT_JWKS_MAX_AGE,
        };
        Ok(Self {
            issuer,
            passwords,
            store,
            jwks_max_age,
            #[cfg(feature = "remote-jwks")]
            trusted_issuers: match merged.find_value("trusted_issuers") {
                Ok(_) => merged.extract_inner("trusted_issuers")?,
                Err(_) => Vec::new(),
            },
            #[cfg(not(feature = "remote-jwks"))]
            trusted_issuers_configured: merged
                .find_value("trusted_issuers")
                .ok()
                .and_then(|v| v.into_array())
                .map_or(0, |a| a.len()),
        })
    }
}

/// The keys this crate understands (for the typo warning).
const KNOWN_KEYS: &[&str] = &[
    "secret",
    "secret_path",
    "algorithm",
    "access_ttl",
    "access_ttl_seconds",
    "refresh_ttl",
    "refresh_ttl_seconds",
    "issuer",
    "audience",
    "private_key",
    "private_key_path",
    "public_key",
    "public_key_path",
    "leeway",
    "max_token_bytes",
    "passwords",
    "store",
    "store_path",
    "redis_url",
    "redis_prefix",
    "max_staleness",
    "stale_policy",
    "verify_cache_entries",
    "verify_cache_bytes",
    "keys",
    "jwks_max_age",
    "trusted_issuers",
];

/// Default `max-age` of the JWKS answer.
pub(crate) const DEFAULT_JWKS_MAX_AGE: u64 = 300;

/// The `auth` table, with overrides in order of precedence (last wins):
/// 1. `auth` in the figment (`Rocket.toml`, `ROCKET_AUTH='{..}'`, `.merge(("auth.x", ..))`);
/// 2. top-level `auth_*` keys of the figment: Rocket's environment provider does not
///    split nested keys, so `ROCKET_AUTH_SECRET` becomes `auth_secret` there;
/// 3. `ROCKET_AUTH_*` environment variables read directly, so that errors name the
///    variable (values re-merged from step 2 would lose where they came from).
fn auth_figment(figment: &Figment) -> Figment {
    let top: Dict = figment.extract().unwrap_or_default();
    let overrides: Dict = top
        .into_iter()
        .filter_map(|(key, value)| {
            key.strip_prefix("auth_")
                .filter(|f| !f.is_empty())
                .map(|f| (f.to_owned(), value))
        })
        .collect();
    figment
        .focus("auth")
        .merge(Serialized::globals(overrides))
        .merge(Env::prefixed("ROCKET_AUTH_").global())
}

fn warn_unknown_keys(merged: &Figment) {
    let table: Dict = merged.extract().unwrap_or_default();
    let unknown: BTreeSet<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !KNOWN_KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        log::warn!(
            "auth: ignoring unknown key(s) in the `auth` configuration: {} (known: {})",
            unknown.into_iter().collect::<Vec<_>>().join(", "),
            KNOWN_KEYS.join(", ")
        );
    }
}

/// True when the figment configures key material: a secret, a PEM key (inline, file or
/// environment) or a non-empty `keys` ring. The quickstart uses it to decide whether to
/// fall back to a random development secret.
#[must_use]
pub fn has_signing_key(figment: &Figment) -> bool {
    let merged = auth_figment(figment);
    [
        "secret",
        "secret_path",
        "private_key",
        "private_key_path",
        "public_key",
        "public_key_path",
    ]
    .iter()
    .any(|k| {
        merged
            .find_value(k)
            .is_ok_and(|v| !matches!(&v, Value::String(_, s) if s.is_empty()))
    }) || merged
        .find_value("keys")
        .is_ok_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::providers::{Format, Toml};

    #[test]
    fn reads_the_auth_table_of_the_selected_profile() {
        let figment = Figment::from(
            Toml::string(
                r#"
            [default.auth]
            issuer = "a"
            access_ttl = 60
            [release.auth]
            issuer = "b"
            [release.auth.passwords]
            max_concurrent = 3
            "#,
            )
            .nested(),
        )
        .select("release");
        let c = AuthConfig::from_figment(&figment).unwrap();
        assert_eq!(c.issuer.issuer.as_deref(), Some("b"));
        assert_eq!(c.issuer.access_ttl, 60);
        assert_eq!(c.passwords.max_concurrent, Some(3));
    }

    #[test]
    fn top_level_auth_keys_override_the_table() {
        // What ROCKET_AUTH_SECRET / ROCKET_AUTH_ACCESS_TTL turn into.
        let figment = Figment::from(Toml::string(
            "[default.auth]\nsecret = \"file\"\naccess_ttl = 60",
        ))
        .merge(("auth_secret", "env"))
        .merge(("auth_access_ttl", 120))
        .merge(("auth_audience", vec!["x", "y"]));
        let c = AuthConfig::from_figment(&figment).unwrap();
        assert_eq!(c.issuer.secret.unwrap().expose(), "env");
        assert_eq!(c.issuer.access_ttl, 120);
        assert!(c.issuer.audience.unwrap().contains("y"));
        assert!(has_signing_key(&Figment::new().merge(("auth_secret", "s"))));
        assert!(!has_signing_key(&Figment::new()));
    }

    #[test]
    fn environment_beats_the_selected_profile() {
        let figment = Figment::from(Toml::string("[release.auth]\nissuer = \"file\"").nested())
            .merge(Serialized::global("auth_issuer", "env"))
            .select("release");
        let c = AuthConfig::from_figment(&figment).unwrap();
        assert_eq!(c.issuer.issuer.as_deref(), Some("env"));
    }

    #[test]
    fn wrong_types_are_reported_with_the_key() {
        let figment = Figment::new().merge(("auth.access_ttl", "soon"));
        let err = AuthConfig::from_figment(&figment).unwrap_err();
        assert!(err.to_string().contains("access_ttl"), "{err}");
        let figment = Figment::new().merge((
            "auth_passwords",
            Dict::from([("max_waiting".into(), Value::from("x"))]),
        ));
        let err = AuthConfig::from_figment(&figment).unwrap_err();
        assert!(err.to_string().contains("max_waiting"), "{err}");
    }
}
