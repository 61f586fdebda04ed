//! PEM key files: reading them, telling which algorithm fits a key, and loading keys
//! through auth-core, which checks them exactly as a service would (size, curve, pair).

use auth_core::{Algorithm, ConfigError, Issuer, IssuerConfig, KeyConfig, KeyFamily, Secret};
use pkcs8::{AlgorithmIdentifierRef, Document, PrivateKeyInfoRef, SecretDocument};

use crate::cli::CliError;

/// Which half of a key pair a PEM file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Half {
    /// A private key (signs; the public key is derived from it).
    Private,
    /// A public key (verifies only).
    Public,
}

/// The kind of key, read from the PEM label and the DER algorithm identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Rsa,
    P256,
    P384,
    Ed25519,
    /// An EC key on another curve (its OID).
    OtherCurve(String),
    /// A parsed key of another type (its algorithm OID).
    Unsupported(String),
    /// Not parsed here (SEC1, encrypted, unusual formatting): auth-core will tell.
    Unknown,
}

/// Algorithms tried, in order, for a key whose kind could not be read.
const CANDIDATES: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
];

/// A PEM key read from a file.
#[derive(Debug)]
pub(crate) struct PemKey {
    /// The file it came from, for messages.
    pub(crate) path: String,
    /// Private or public.
    pub(crate) half: Half,
    text: Secret,
    kind: Kind,
    command: &'static str,
}

impl PemKey {
    /// Reads the PEM key in `path`; `command` names the command for error messages.
    ///
    /// # Errors
    ///
    /// A usage error when the file cannot be read or holds no PEM key.
    pub(crate) fn read(path: &str, command: &'static str) -> Result<Self, CliError> {
        let text = Secret::new(
            std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(Some(command), format!("cannot read {path}: {e}")))?,
        );
        let label = pem_label(text.expose()).ok_or_else(|| {
            CliError::usage(
                Some(command),
                format!("{path}: not a PEM key (no `-----BEGIN ...-----` line)"),
            )
        })?;
        let half = if label.contains("PRIVATE") {
            Half::Private
        } else if label.contains("PUBLIC") {
            Half::Public
        } else {
            return Err(CliError::usage(
                Some(command),
                format!("{path}: a PEM `{label}`, not a private or public key"),
            ));
        };
        let kind = kind_of_pem(label, text.expose());
        Ok(Self {
            path: path.to_owned(),
            half,
            text,
            kind,
            command,
        })
    }

    /// The key as an entry of a key ring, bound to `algorithm`.
    pub(crate) fn key_config(&self, algorithm: Algorithm) -> KeyConfig {
        match self.half {
            Half::Private => KeyConfig::private_pem(algorithm, self.text.expose()),
            Half::Public => KeyConfig::public_pem(algorithm, self.text.expose()),
        }
    }

    /// Sets the key as the single key of `config` (no `kid`: tokens without one match it).
    pub(crate) fn set_single(&self, config: &mut IssuerConfig) {
        match self.half {
            Half::Private => config.private_key = Some(self.text.clone()),
            Half::Public => config.public_key = Some(self.text.expose().to_owned()),
        }
    }

    /// The algorithm to bind the key to: `explicit` if given, else the one its type
    /// implies (for RSA, `hint` when it is an RSA algorithm, else RS256). The key is
    /// loaded through auth-core with it, so a key it would refuse is an error here.
    ///
    /// # Errors
    ///
    /// A usage error saying why auth-core refuses the key.
    pub(crate) fn algorithm(
        &self,
        explicit: Option<Algorithm>,
        hint: Option<Algorithm>,
    ) -> Result<Algorithm, CliError> {
        let inferred = match (&self.kind, explicit) {
            (_, Some(alg)) => alg,
            (Kind::Rsa, None) => hint
                .filter(|a| a.family() == KeyFamily::Rsa)
                .unwrap_or(Algorithm::RS256),
            (Kind::P256, None) => Algorithm::ES256,
            (Kind::P384, None) => Algorithm::ES384,
            (Kind::Ed25519, None) => Algorithm::EdDSA,
            (Kind::OtherCurve(oid), None) => {
                return Err(self.error(format!(
                    "an EC key on curve {oid}: ES256 needs P-256 (prime256v1), ES384 needs P-384 (secp384r1)"
                )));
            }
            (Kind::Unsupported(oid), None) => {
                return Err(self.error(format!(
                    "a key of type {oid}, not RSA, EC P-256/P-384 or Ed25519"
                )));
            }
            (Kind::Unknown, None) => return self.guess(),
        };
        self.check(inferred).map(|()| inferred)
    }

    /// Tries the candidate algorithms through auth-core; the first that loads wins.
    fn guess(&self) -> Result<Algorithm, CliError> {
        let mut first_error = None;
        for alg in CANDIDATES {
            match self.check(alg) {
                Ok(()) => return Ok(alg),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| self.error("no supported algorithm accepts this key")))
    }

    /// Loads the key through auth-core, bound to `algorithm`.
    fn check(&self, algorithm: Algorithm) -> Result<(), CliError> {
        ring(algorithm, vec![self.key_config(algorithm)])
            .map(drop)
            .map_err(|e| self.error(config_message(&e)))
    }

    fn error(&self, message: impl std::fmt::Display) -> CliError {
        CliError::usage(Some(self.command), format!("{}: {message}", self.path))
    }
}

/// An issuer whose key ring is `keys` (each named by its `kid`, or its thumbprint).
///
/// # Errors
///
/// auth-core's [`ConfigError`] when a key does not load or two share a `kid`.
pub(crate) fn ring(algorithm: Algorithm, keys: Vec<KeyConfig>) -> Result<Issuer, ConfigError> {
    let mut config = IssuerConfig::default();
    config.algorithm = algorithm;
    config.keys = keys;
    config.verify_cache_entries = 0;
    Issuer::new(config)
}

/// The message of a configuration error, without the `keys[0]` prefix of a ring entry.
pub(crate) fn config_message(error: &ConfigError) -> String {
    match error {
        ConfigError::InKey { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Parses an algorithm name given on the command line.
///
/// # Errors
///
/// A usage error listing the supported names.
pub(crate) fn parse_algorithm(name: &str, command: &'static str) -> Result<Algorithm, CliError> {
    name.parse()
        .map_err(|e| CliError::usage(Some(command), format!("`{name}`: {e}")))
}

/// The label of the first PEM block (`PRIVATE KEY`, `PUBLIC KEY`, ...).
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &pem[start..];
    rest.find("-----").map(|end| &rest[..end])
}

/// The kind of key in a PEM text, from its label and algorithm identifier.
fn kind_of_pem(label: &str, text: &str) -> Kind {
    match label {
        "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => Kind::Rsa,
        "PRIVATE KEY" => SecretDocument::from_pem(text)
            .ok()
            .map_or(Kind::Unknown, |(_, doc)| {
                PrivateKeyInfoRef::try_from(doc.as_bytes())
                    .map_or(Kind::Unknown, |info| kind_of_algorithm(&info.algorithm))
            }),
        "PUBLIC KEY" => Document::from_pem(text)
            .ok()
            .map_or(Kind::Unknown, |(_, doc)| {
                pkcs8::SubjectPublicKeyInfoRef::try_from(doc.as_bytes())
                    .map_or(Kind::Unknown, |info| kind_of_algorithm(&info.algorithm))
            }),
        _ => Kind::Unknown,
    }
}

/// The kind of key an algorithm identifier (RFC 5280) names.
fn kind_of_algorithm(algorithm: &AlgorithmIdentifierRef<'_>) -> Kind {
    match algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => Kind::Rsa,
        "1.3.101.112" => Kind::Ed25519,
        "1.2.840.10045.2.1" => match algorithm.parameters_oid().map(|oid| oid.to_string()) {
            Ok(curve) if curve == "1.2.840.10045.3.1.7" => Kind::P256,
            Ok(curve) if curve == "1.3.132.0.34" => Kind::P384,
            Ok(curve) => Kind::OtherCurve(curve),
            Err(_) => Kind::Unknown,
        },
        other => Kind::Unsupported(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/data/keys/");

    fn kind(file: &str) -> Kind {
        let text = std::fs::read_to_string(format!("{KEYS}{file}")).unwrap();
        kind_of_pem(pem_label(&text).unwrap(), &text)
    }

    #[test]
    fn kinds_are_read_from_pkcs8_spki_and_pkcs1() {
        assert_eq!(kind("p256.pem"), Kind::P256);
        assert_eq!(kind("p256.pub.pem"), Kind::P256);
        assert_eq!(kind("p384.pem"), Kind::P384);
        assert_eq!(kind("ed25519.pem"), Kind::Ed25519);
        assert_eq!(kind("ed25519.pub.pem"), Kind::Ed25519);
        assert_eq!(kind("rsa2048.pem"), Kind::Rsa);
        assert_eq!(kind("rsa2048.pub.pem"), Kind::Rsa);
        assert_eq!(kind("rsa2048.pkcs1.pem"), Kind::Rsa);
        assert_eq!(kind("p256.sec1.pem"), Kind::Unknown);
    }

    #[test]
    fn algorithms_are_inferred_and_checked_by_auth_core() {
        let key = |f: &str| PemKey::read(&format!("{KEYS}{f}"), "jwks").unwrap();
        assert_eq!(
            key("p384.pem").algorithm(None, None).unwrap(),
            Algorithm::ES384
        );
        assert_eq!(
            key("rsa2048.pub.pem")
                .algorithm(None, Some(Algorithm::PS256))
                .unwrap(),
            Algorithm::PS256
        );
        assert_eq!(
            key("rsa2048.pem")
                .algorithm(None, Some(Algorithm::ES256))
                .unwrap(),
            Algorithm::RS256
        );
        let weak = key("rsa1024.pem").algorithm(None, None).unwrap_err();
        assert!(format!("{weak:?}").contains("1024-bit"), "{weak:?}");
        let sec1 = key("p256.sec1.pem").algorithm(None, None).unwrap_err();
        assert!(format!("{sec1:?}").contains("SEC1"), "{sec1:?}");
        assert!(
            key("p256.pem")
                .algorithm(Some(Algorithm::ES384), None)
                .is_err()
        );
    }
}
