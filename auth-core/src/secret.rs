//! Secret strings (HMAC secrets, private keys) and [`random_secret`].

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::RandomnessError;

/// A string that must never be shown: an HMAC secret or a PEM private key.
///
/// `Debug` prints `Secret(<redacted>)`; there is no `Display`. The memory is wiped on
/// drop. Read the value with [`Secret::expose`].
///
/// ```
/// use auth_core::Secret;
///
/// let s = Secret::new("correct horse battery staple, a long and random one");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert!(s.expose().starts_with("correct"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Never log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length of the value in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the value is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Serialises as `"<redacted>"`, so a config dumped to JSON or TOML never leaks.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_lenient_string(deserializer).map(Self)
    }
}

/// Reads a string, also accepting integers and booleans written as such.
///
/// Rocket's environment provider parses `ROCKET_AUTH_SECRET=1234…` as a number and
/// `ROCKET_AUTH_ISSUER=true` as a boolean; the user meant a string either way. Floats are
/// refused, because their text does not survive the round trip.
pub(crate) fn deserialize_lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    struct Lenient;
    impl Visitor<'_> for Lenient {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
            Err(E::custom(
                "expected a string, found a number with a fraction: quote the value",
            ))
        }
    }
    deserializer.deserialize_any(Lenient)
}

/// Number of random bytes in [`random_secret`]: 512 bits, the same as hawkapi-auth's
/// `random_secret()`, and enough for HS512.
const RANDOM_SECRET_BYTES: usize = 64;

/// Returns a fresh URL-safe secret of 512 bits from the operating system's random number
/// generator (86 base64url characters), suitable for every HMAC algorithm.
///
/// Store it outside of version control.
///
/// # Panics
///
/// Only if the operating system cannot provide randomness at all (`getrandom` fails),
/// in which case no secure secret can be made; see [`try_random_secret`] for a fallible
/// version.
///
/// ```
/// let secret = auth_core::random_secret();
/// assert_eq!(secret.len(), 86);
/// assert_ne!(secret, auth_core::random_secret());
/// ```
#[must_use]
pub fn random_secret() -> Secret {
    #[allow(clippy::expect_used)] // documented: no randomness means no secure secret.
    try_random_secret().expect("the operating system's random number generator failed")
}

/// Like [`random_secret`], but returns an error instead of panicking when the operating
/// system's random number generator fails.
///
/// # Errors
///
/// [`RandomnessError`] when the operating system provides no randomness.
pub fn try_random_secret() -> Result<Secret, RandomnessError> {
    let mut bytes = [0u8; RANDOM_SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| RandomnessError)?;
    let secret = Secret(URL_SAFE_NO_PAD.encode(bytes));
    bytes.zeroize();
    Ok(secret)
}

/// 128 random bits as 32 lowercase hex characters (the `jti` format of hawkapi-auth,
/// Python's `secrets.token_hex(16)`).
pub(crate) fn random_hex_id() -> Result<String, RandomnessError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| RandomnessError)?;
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_serialize_never_show_the_value() {
        let s = Secret::new("super-secret-value");
        assert!(!format!("{s:?}").contains("super"));
        assert!(!serde_json::to_string(&s).unwrap().contains("super"));
    }

    #[test]
    fn random_secret_is_urlsafe_and_long_enough() {
        let s = random_secret();
        assert!(s.len() * 6 / 8 >= 32, "at least 256 bits");
        assert!(
            s.expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn random_hex_id_is_128_bits_of_hex() {
        let id = random_hex_id().unwrap();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(id, random_hex_id().unwrap());
    }

    #[test]
    fn lenient_deserialisation_accepts_numbers_and_refuses_floats() {
        let s: Secret = serde_json::from_str("12345678901234567890").unwrap();
        assert_eq!(s.expose(), "12345678901234567890");
        assert!(serde_json::from_str::<Secret>("1.5").is_err());
    }
}
