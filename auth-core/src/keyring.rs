//! The key ring: one active signing key and any number of verify-only keys, each named
//! by a `kid`, changeable while the service runs; and the JWKS that publishes them.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::key::{Key, Material};
use crate::{Algorithm, ConfigError, Issuer, IssuerConfig, Secret};

/// One key of the ring: an entry of the `keys` list of the configuration.
///
/// Material is given as PEM (`private_key`, `public_key`, or their `*_path`), as a JWK
/// (`jwk` / `jwk_path`: a public key, verify-only, or an `oct` secret), or as a `secret`
/// (HMAC). The `kid` defaults to the RFC 7638 thumbprint of the public key; HMAC keys
/// must name theirs (a thumbprint of a secret would be a hash of it, published in every
/// token).
///
/// ```toml
/// [[default.auth.keys]]
/// kid = "2026-11"
/// algorithm = "ES256"
/// private_key_path = "keys/2026-11.pem"
/// active = true
///
/// [[default.auth.keys]]
/// kid = "2026-08"
/// algorithm = "ES256"
/// public_key_path = "keys/2026-08.pub.pem"   # retired: verifies what it signed
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct KeyConfig {
    /// The key id put in the header of tokens it signs. _Default:_ the thumbprint.
    pub kid: Option<String>,
    /// The algorithm the key is bound to. _Default:_ the JWK's `alg`.
    pub algorithm: Option<Algorithm>,
    /// HMAC secret (UTF-8 bytes).
    pub secret: Option<Secret>,
    /// File holding the HMAC secret.
    pub secret_path: Option<PathBuf>,
    /// PEM private key (the public key is derived).
    pub private_key: Option<Secret>,
    /// File holding the PEM private key.
    pub private_key_path: Option<PathBuf>,
    /// PEM public key: verify-only unless a private key is given too.
    pub public_key: Option<String>,
    /// File holding the PEM public key.
    pub public_key_path: Option<PathBuf>,
    /// A JWK (JSON text).
    pub jwk: Option<Secret>,
    /// File holding a JWK.
    pub jwk_path: Option<PathBuf>,
    /// This key signs new tokens. At most one key is active. _Default:_ false.
    pub active: bool,
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyConfig")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl KeyConfig {
    /// A key from a PEM private key (signs and verifies).
    #[must_use]
    pub fn private_pem(algorithm: Algorithm, pem: impl Into<Secret>) -> Self {
        Self {
            algorithm: Some(algorithm),
            private_key: Some(pem.into()),
            ..Self::default()
        }
    }

    /// A verify-only key from a PEM public key.
    #[must_use]
    pub fn public_pem(algorithm: Algorithm, pem: impl Into<String>) -> Self {
        Self {
            algorithm: Some(algorithm),
            public_key: Some(pem.into()),
            ..Self::default()
        }
    }

    /// An HMAC key.
    #[must_use]
    pub fn secret(algorithm: Algorithm, secret: impl Into<Secret>, kid: impl Into<String>) -> Self {
        Self {
            algorithm: Some(algorithm),
            secret: Some(secret.into()),
            kid: Some(kid.into()),
            ..Self::default()
        }
    }

    /// A key from a JWK (JSON text).
    #[must_use]
    pub fn jwk(jwk: impl Into<Secret>) -> Self {
        Self {
            jwk: Some(jwk.into()),
            ..Self::default()
        }
    }

    /// Names the key.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Makes it the signing key.
    #[must_use]
    pub fn active(mut self) -> Self {
        self.active = true;
        self
    }

    /// Builds the key: reads files, parses, checks, names.
    pub(crate) fn build(&self) -> Result<Key, ConfigError> {
        let jwk_text = match (&self.jwk, &self.jwk_path) {
            (Some(j), _) => Some(j.expose().to_owned()),
            (None, Some(path)) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| ConfigError::KeyFile {
                        field: "jwk_path",
                        path: path.clone(),
                        source,
                    })?,
                )
            }
            (None, None) => None,
        };
        let key = if let Some(text) = jwk_text {
            let jwk: Jwk = serde_json::from_str(&text).map_err(|_| ConfigError::InvalidKey {
                field: "jwk",
                algorithm: self.algorithm.unwrap_or_default(),
                reason: "not a JSON Web Key (RFC 7517)".into(),
            })?;
            let algorithm = match (self.algorithm, jwk.common.key_algorithm) {
                (Some(a), _) => a,
                (None, Some(a)) => {
                    a.to_string()
                        .parse()
                        .map_err(|_| ConfigError::InvalidValue {
                            field: "algorithm",
                            reason: "the JWK's `alg` is not supported; set `algorithm`".into(),
                        })?
                }
                (None, None) => {
                    return Err(ConfigError::InvalidValue {
                        field: "algorithm",
                        reason: "the JWK has no `alg`: set `algorithm` for this key".into(),
                    });
                }
            };
            if jwk_has_private_part(&text) && !algorithm.is_symmetric() {
                return Err(ConfigError::InvalidKey {
                    field: "jwk",
                    algorithm,
                    reason: "private JWKs are not supported for signature algorithms: give the private key as PEM \
                             (`private_key`), or give the public JWK to verify only"
                        .into(),
                });
            }
            Key::from_jwk(
                algorithm,
                &jwk,
                self.kid.clone().or(jwk.common.key_id.clone()),
            )?
        } else {
            let algorithm = self.algorithm.ok_or(ConfigError::InvalidValue {
                field: "algorithm",
                reason: "every key of `keys` needs its `algorithm`".into(),
            })?;
            let material = Material::read(
                (
                    self.secret.as_ref().map(Secret::expose),
                    self.secret_path.as_deref(),
                ),
                (
                    self.private_key.as_ref().map(Secret::expose),
                    self.private_key_path.as_deref(),
                ),
                (self.public_key.as_deref(), self.public_key_path.as_deref()),
            )?;
            Key::from_material(algorithm, &material, self.kid.clone())?
        };
        name(key)
    }
}

/// Gives a key its thumbprint as `kid` when it has none; HMAC keys must be named.
fn name(mut key: Key) -> Result<Key, ConfigError> {
    if key.kid.as_deref().is_some_and(str::is_empty) {
        return Err(ConfigError::InvalidValue {
            field: "kid",
            reason: "must not be empty".into(),
        });
    }
    if key.kid.is_none() {
        if key.algorithm.is_symmetric() {
            return Err(ConfigError::InvalidValue {
                field: "kid",
                reason: "HMAC keys of the ring need an explicit `kid` (their thumbprint would publish a hash of the secret)"
                    .into(),
            });
        }
        key.kid = key.thumbprint();
    }
    Ok(key)
}

fn jwk_has_private_part(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("d").cloned())
        .is_some()
}

/// A key of the ring, as seen by [`Issuer::keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key id (`None` for the seed-style single key, whose tokens carry no `kid`).
    pub kid: Option<String>,
    /// The algorithm it is bound to.
    pub algorithm: Algorithm,
    /// It holds private material (or a secret).
    pub can_sign: bool,
    /// It signs new tokens.
    pub active: bool,
    /// When it was retired (Unix seconds), if it was.
    pub retired_at: Option<u64>,
}

/// A change to the key ring that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No key has this `kid`.
    #[error("no key has kid {0:?}")]
    UnknownKid(String),
    /// A key with this `kid` exists already.
    #[error("a key with kid {0:?} exists already")]
    DuplicateKid(String),
    /// The active key cannot be retired or removed: activate another one first.
    #[error("key {0:?} signs new tokens: activate another key before retiring or removing it")]
    Active(String),
    /// A verify-only key cannot sign.
    #[error("key {0:?} has no private material and cannot sign")]
    CannotSign(String),
}

/// The keys and which one signs. Replaced as a whole on every change (readers hold an
/// `Arc` of a consistent snapshot; a change never blocks a verification for long).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<Arc<Key>>,
    pub(crate) retired_at: Vec<Option<u64>>,
    pub(crate) active: Option<usize>,
}

impl KeySet {
    /// The ring described by `config`: the seed-style single key (if any, without a
    /// `kid`) and the `keys` list.
    pub(crate) fn from_config(config: &IssuerConfig) -> Result<Self, ConfigError> {
        let mut set = Self::default();
        if let Some(key) = Key::from_config(config)? {
            set.push(Arc::new(key));
        }
        let mut active_entry = None;
        for (index, entry) in config.keys.iter().enumerate() {
            let key = entry.build().map_err(|e| ConfigError::InKey {
                index,
                kid: entry.kid.clone(),
                source: Box::new(e),
            })?;
            if set.find(key.kid.as_deref()).is_some() {
                return Err(ConfigError::InvalidValue {
                    field: "keys",
                    reason: format!(
                        "two keys have kid {:?}: kids must be unique",
                        key.kid.as_deref().unwrap_or("")
                    )
                    .into(),
                });
            }
            if entry.active {
                if active_entry.is_some() {
                    return Err(ConfigError::InvalidValue {
                        field: "keys",
                        reason: "more than one key is `active`: exactly one key signs new tokens"
                            .into(),
                    });
                }
                if !key.can_sign() {
                    return Err(ConfigError::InKey {
                        index,
                        kid: entry.kid.clone(),
                        source: Box::new(ConfigError::InvalidValue {
                            field: "active",
                            reason: "a verify-only key cannot be active: give its private key"
                                .into(),
                        }),
                    });
                }
                active_entry = Some(set.keys.len());
            }
            set.push(Arc::new(key));
        }
        if set.keys.is_empty() {
            return Err(ConfigError::MissingKey {
                algorithm: config.algorithm,
                hint: "no key is configured: set `secret` (env ROCKET_AUTH_SECRET) for HS256, `private_key` for a signature \
                       algorithm, or a `keys` list",
            });
        }
        // Who signs: the key marked active; else the seed-style key if it can; else the
        // only key that can. Otherwise the issuer verifies only.
        set.active = active_entry.or_else(|| {
            let signers: Vec<usize> = (0..set.keys.len())
                .filter(|i| set.keys[*i].can_sign())
                .collect();
            match signers.as_slice() {
                [only] => Some(*only),
                _ if set.keys[0].kid.is_none() && set.keys[0].can_sign() => Some(0),
                _ => None,
            }
        });
        Ok(set)
    }

    fn push(&mut self, key: Arc<Key>) {
        self.keys.push(key);
        self.retired_at.push(None);
    }

    /// The key a token's `kid` designates: exact match, where "no kid" matches the key
    /// configured without one (the seed-style single key).
    pub(crate) fn find(&self, kid: Option<&str>) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.kid.as_deref() == kid)
    }

    fn index(&self, kid: &str) -> Result<usize, KeyError> {
        self.keys
            .iter()
            .position(|k| k.kid.as_deref() == Some(kid))
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))
    }

    pub(crate) fn signing(&self) -> Option<&Arc<Key>> {
        self.active.map(|i| &self.keys[i])
    }
}

impl Issuer {
    /// The keys of the ring.
    #[must_use]
    pub fn keys(&self) -> Vec<KeyInfo> {
        let set = self.key_set();
        set.keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyInfo {
                kid: k.kid.clone(),
                algorithm: k.algorithm,
                can_sign: k.can_sign(),
                active: set.active == Some(i),
                retired_at: set.retired_at[i],
            })
            .collect()
    }

    /// Adds a key to the ring (step one of a rotation: publish it, verify-only, before it
    /// signs); active at once if the config says so. Returns its `kid`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the key cannot be built, or its `kid` is taken.
    pub fn add_key(&self, config: &KeyConfig) -> Result<String, ConfigError> {
        let key = Arc::new(config.build()?);
        let kid = key.kid.clone().unwrap_or_default();
        if config.active && !key.can_sign() {
            return Err(ConfigError::InvalidValue {
                field: "active",
                reason: "a verify-only key cannot be active: give its private key".into(),
            });
        }
        self.change_keys(|set| {
            if set.find(Some(&kid)).is_some() {
                return Err(ConfigError::InvalidValue {
                    field: "kid",
                    reason: format!("{kid:?} is taken").into(),
                });
            }
            set.push(key.clone());
            if config.active {
                set.active = Some(set.keys.len() - 1);
            }
            Ok(())
        })?;
        log::info!(
            "auth: key {kid:?} ({}) added{}",
            key.algorithm,
            if config.active { ", active" } else { "" }
        );
        Ok(kid)
    }

    /// Makes the key `kid` sign new tokens (step two of a rotation). The previous active
    /// key keeps verifying what it signed.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for an unknown or verify-only key.
    pub fn activate_key(&self, kid: &str) -> Result<(), KeyError> {
        self.change_keys(|set| {
            let i = set.index(kid)?;
            if !set.keys[i].can_sign() {
                return Err(KeyError::CannotSign(kid.to_owned()));
            }
            set.active = Some(i);
            set.retired_at[i] = None;
            Ok(())
        })?;
        log::info!("auth: key {kid:?} now signs new tokens");
        Ok(())
    }

    /// Marks the key `kid` retired (step three): it no longer signs, keeps verifying the
    /// tokens it signed, and [`prune_retired_keys`](Self::prune_retired_keys) drops it
    /// once they have all expired.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for an unknown key or the active one.
    pub fn retire_key(&self, kid: &str) -> Result<(), KeyError> {
        let now = self.clock().now();
        self.change_keys(|set| {
            let i = set.index(kid)?;
            if set.active == Some(i) {
                return Err(KeyError::Active(kid.to_owned()));
            }
            set.retired_at[i].get_or_insert(now);
            Ok(())
        })
    }

    /// Removes the key `kid` at once (a compromised key): every token it signed is
    /// refused from now on.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for an unknown key or the active one.
    pub fn remove_key(&self, kid: &str) -> Result<(), KeyError> {
        self.change_keys(|set| {
            let i = set.index(kid)?;
            if set.active == Some(i) {
                return Err(KeyError::Active(kid.to_owned()));
            }
            set.keys.remove(i);
            set.retired_at.remove(i);
            set.active = set.active.map(|a| if a > i { a - 1 } else { a });
            Ok(())
        })?;
        log::warn!("auth: key {kid:?} removed; tokens it signed are refused");
        Ok(())
    }

    /// Drops retired keys whose every token has expired (retired longer ago than the
    /// longest token lifetime plus the leeway); returns their ids. Call it periodically
    /// (the Rocket fairing does).
    pub fn prune_retired_keys(&self) -> Vec<String> {
        let now = self.clock().now();
        let config = self.config();
        let horizon = config
            .access_ttl
            .max(config.refresh_ttl)
            .saturating_add(config.leeway);
        let mut pruned = Vec::new();
        let _ = self.change_keys(|set| -> Result<(), KeyError> {
            let mut i = 0;
            while i < set.keys.len() {
                if set.active != Some(i)
                    && set.retired_at[i].is_some_and(|at| now >= at.saturating_add(horizon))
                {
                    pruned.push(set.keys[i].kid.clone().unwrap_or_default());
                    set.keys.remove(i);
                    set.retired_at.remove(i);
                    set.active = set.active.map(|a| if a > i { a - 1 } else { a });
                } else {
                    i += 1;
                }
            }
            Ok(())
        });
        for kid in &pruned {
            log::info!("auth: retired key {kid:?} dropped: every token it signed has expired");
        }
        pruned
    }

    /// The JSON Web Key Set of the ring's public keys (RFC 7517): what
    /// `/.well-known/jwks.json` serves. HMAC keys and private material are never in it.
    #[must_use]
    pub fn jwks(&self) -> Value {
        let set = self.key_set();
        let keys: Vec<Value> = set
            .keys
            .iter()
            .filter_map(|k| {
                let mut jwk = k.public_jwk()?;
                if jwk.common.key_id.is_none() {
                    jwk.common.key_id = k.thumbprint();
                }
                serde_json::to_value(jwk).ok()
            })
            .collect();
        json!({ "keys": keys })
    }

    /// Applies `change` to a copy of the ring and installs it; clears the verified-token
    /// cache, so no removed key is trusted through it.
    fn change_keys<E>(&self, change: impl FnOnce(&mut KeySet) -> Result<(), E>) -> Result<(), E> {
        let mut slot = self
            .inner
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut set = KeySet::clone(&slot);
        change(&mut set)?;
        *slot = Arc::new(set);
        drop(slot);
        self.clear_cache();
        Ok(())
    }
}
