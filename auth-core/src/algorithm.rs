//! The JWS algorithms we sign and verify with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JWS signature algorithm (RFC 7518, RFC 8037).
///
/// Every key is bound to exactly one algorithm, and a token is only verified with the
/// algorithm of the key that verifies it, never with the one its header claims: that is
/// what rules out `alg: none` and HS/RS confusion. `none` is not representable.
///
/// Parsed from and printed as its JOSE name (`"HS256"`, `"EdDSA"`, ...).
///
/// ```
/// use auth_core::Algorithm;
///
/// let alg: Algorithm = "ES256".parse().unwrap();
/// assert_eq!(alg, Algorithm::ES256);
/// assert!("none".parse::<Algorithm>().is_err());
/// ```
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (the default, as in hawkapi-auth).
    #[default]
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

/// The kind of key an [`Algorithm`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFamily {
    /// A shared secret (HS*).
    Hmac,
    /// An RSA key pair (RS*, PS*).
    Rsa,
    /// An elliptic-curve key pair (ES*).
    Ec,
    /// An Edwards-curve key pair (EdDSA).
    Ed,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The JOSE name, as in a token's `alg` header.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The kind of key this algorithm needs.
    #[must_use]
    pub const fn family(self) -> KeyFamily {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => KeyFamily::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 | Self::ES384 => KeyFamily::Ec,
            Self::EdDSA => KeyFamily::Ed,
        }
    }

    /// True for the HMAC algorithms, which use a shared secret.
    #[must_use]
    pub const fn is_symmetric(self) -> bool {
        matches!(self.family(), KeyFamily::Hmac)
    }

    /// For HMAC, the minimum secret length in bytes: the hash output size (RFC 7518 §3.2).
    #[must_use]
    pub const fn min_secret_len(self) -> Option<usize> {
        match self {
            Self::HS256 => Some(32),
            Self::HS384 => Some(48),
            Self::HS512 => Some(64),
            _ => None,
        }
    }

    pub(crate) const fn to_jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::HS256 => J::HS256,
            Self::HS384 => J::HS384,
            Self::HS512 => J::HS512,
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The algorithm name is not one we support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported algorithm: expected one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, \
     PS384, PS512, ES256, ES384, EdDSA"
)]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Exact JOSE names only: algorithm names are case-sensitive (RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownAlgorithm)
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = crate::secret::deserialize_lenient_string(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
            assert_eq!(serde_json::to_string(&alg).unwrap(), format!("\"{alg}\""));
        }
    }

    #[test]
    fn none_and_wrong_case_are_refused() {
        for bad in ["none", "None", "hs256", "ES512", "", "HS256 "] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
    }
}
