//! Password hashing with argon2id, hash-compatible with hawkapi-auth (argon2-cffi).
//!
//! These functions are CPU- and memory-bound by design (tens to hundreds of
//! milliseconds, 64 MiB each with the default parameters): in an async server call them
//! on a blocking pool, never on the async workers (auth-rocket does this for you).

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::phc::{Ident, PasswordHash};
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _, Version};

use crate::PasswordError;

/// Default longest password accepted, in bytes. Longer ones are refused before hashing.
pub const DEFAULT_MAX_PASSWORD_BYTES: usize = 1024;
/// Salt length in bytes (hawkapi-auth's `salt_len`).
const SALT_LEN: usize = 16;

/// argon2id cost parameters.
///
/// The default is hawkapi-auth's ([`PasswordParams::HAWKAPI`]: 64 MiB, 3 passes,
/// 4 lanes, 32-byte hash), so hashes made by either side verify on the other without
/// being flagged by [`needs_rehash`]. [`PasswordParams::OWASP_MINIMUM`] is the OWASP
/// cheat sheet's floor for argon2id (19 MiB, 2 passes, 1 lane), for small machines.
///
/// ```
/// use auth_core::PasswordParams;
///
/// let p = PasswordParams::new(32 * 1024, 2, 1).unwrap();
/// assert_eq!(p.m_cost(), 32 * 1024);
/// assert!(PasswordParams::new(8, 0, 1).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordParams {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    output_len: usize,
}

impl PasswordParams {
    /// hawkapi-auth's parameters: m = 65536 KiB, t = 3, p = 4, 32-byte output.
    pub const HAWKAPI: Self = Self {
        m_cost: 65536,
        t_cost: 3,
        p_cost: 4,
        output_len: 32,
    };
    /// The OWASP minimum for argon2id: m = 19456 KiB, t = 2, p = 1, 32-byte output.
    pub const OWASP_MINIMUM: Self = Self {
        m_cost: 19456,
        t_cost: 2,
        p_cost: 1,
        output_len: 32,
    };

    /// Custom parameters: memory in KiB, passes, lanes (32-byte output).
    ///
    /// # Errors
    ///
    /// [`PasswordError::InvalidParams`] when argon2 refuses them (memory below 8 KiB per
    /// lane, zero passes or lanes, ...).
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, PasswordError> {
        let p = Self {
            m_cost: m_cost_kib,
            t_cost,
            p_cost,
            output_len: 32,
        };
        p.argon2_params()?;
        Ok(p)
    }

    /// Memory cost in KiB.
    #[must_use]
    pub const fn m_cost(&self) -> u32 {
        self.m_cost
    }

    /// Number of passes.
    #[must_use]
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Degree of parallelism (lanes).
    #[must_use]
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }

    /// Memory one hash or verification needs, in bytes.
    #[must_use]
    pub const fn memory_bytes(&self) -> u64 {
        self.m_cost as u64 * 1024
    }

    fn argon2_params(&self) -> Result<argon2::Params, PasswordError> {
        argon2::Params::new(self.m_cost, self.t_cost, self.p_cost, Some(self.output_len))
            .map_err(|e| PasswordError::InvalidParams(e.to_string()))
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::HAWKAPI
    }
}

/// The most expensive stored hash [`PasswordHasher::verify`] will compute.
///
/// A stored hash carries its own parameters; one planted or imported with `m` = 4 GiB
/// would turn each login into a denial of service. Hashes above these limits are
/// refused (verification returns `false` and logs a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyLimits {
    /// Largest memory cost in KiB. _Default:_ 262144 (256 MiB).
    pub max_m_cost: u32,
    /// Largest number of passes. _Default:_ 16.
    pub max_t_cost: u32,
    /// Largest number of lanes. _Default:_ 16.
    pub max_p_cost: u32,
    /// Largest `m × t` (total work). _Default:_ 786432, four times hawkapi-auth's.
    pub max_work: u64,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            max_m_cost: 256 * 1024,
            max_t_cost: 16,
            max_p_cost: 16,
            max_work: 4 * 65536 * 3,
        }
    }
}

/// Hashes and verifies passwords with fixed parameters and limits.
///
/// ```
/// use auth_core::{PasswordHasher, PasswordParams};
///
/// let hasher = PasswordHasher::new(PasswordParams::OWASP_MINIMUM);
/// let hash = hasher.hash("hunter2").unwrap();
/// assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(hasher.verify("hunter2", &hash));
/// assert!(!hasher.verify("hunter3", &hash));
/// assert!(!hasher.needs_rehash(&hash));
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    max_password_bytes: usize,
    limits: VerifyLimits,
    dummy: std::sync::Arc<OnceLock<String>>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("max_password_bytes", &self.max_password_bytes)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(PasswordParams::default())
    }
}

impl PasswordHasher {
    /// A hasher with `params`, the default password length limit and verify limits.
    #[must_use]
    pub fn new(params: PasswordParams) -> Self {
        Self {
            params,
            max_password_bytes: DEFAULT_MAX_PASSWORD_BYTES,
            limits: VerifyLimits::default(),
            dummy: std::sync::Arc::default(),
        }
    }

    /// Sets the longest password accepted, in bytes.
    #[must_use]
    pub fn with_max_password_bytes(mut self, max: usize) -> Self {
        self.max_password_bytes = max;
        self
    }

    /// Sets the most expensive stored hash that will be verified.
    #[must_use]
    pub fn with_verify_limits(mut self, limits: VerifyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The parameters new hashes are made with.
    #[must_use]
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// The longest password accepted, in bytes.
    #[must_use]
    pub fn max_password_bytes(&self) -> usize {
        self.max_password_bytes
    }

    /// Hashes `password` with a fresh 16-byte salt into a PHC string
    /// (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`).
    ///
    /// # Errors
    ///
    /// [`PasswordError::TooLong`] above the limit (nothing is hashed),
    /// [`PasswordError::Rng`] without OS randomness, [`PasswordError::Hashing`] if argon2
    /// fails (out of memory).
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        if password.len() > self.max_password_bytes {
            return Err(PasswordError::TooLong {
                max: self.max_password_bytes,
            });
        }
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|_| PasswordError::Rng)?;
        let argon = Argon2::new(
            argon2::Algorithm::Argon2id,
            Version::V0x13,
            self.params.argon2_params()?,
        );
        let hash = argon
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        Ok(hash.to_string())
    }

    /// True when `password` matches `stored_hash`. Never panics and never errors: a
    /// malformed hash, a foreign algorithm (bcrypt, PBKDF2, ...), a hash above the
    /// [`VerifyLimits`] or an over-long password all give `false`. argon2i and argon2d
    /// hashes are verified (then flagged by [`needs_rehash`](Self::needs_rehash)).
    /// The comparison is constant-time.
    #[must_use]
    pub fn verify(&self, password: &str, stored_hash: &str) -> bool {
        if password.len() > self.max_password_bytes {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(stored_hash) else {
            return false;
        };
        if ![
            argon2::Algorithm::Argon2id,
            argon2::Algorithm::Argon2i,
            argon2::Algorithm::Argon2d,
        ]
        .iter()
        .any(|a| a.ident() == parsed.algorithm)
        {
            return false;
        }
        let Ok(params) = argon2::Params::try_from(&parsed) else {
            return false;
        };
        if !self.within_limits(&params) {
            log::warn!(
                "auth: refusing to verify a stored password hash with m={} KiB, t={}, p={}: above the verify limits",
                params.m_cost(),
                params.t_cost(),
                params.p_cost()
            );
            return false;
        }
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }

    fn within_limits(&self, p: &argon2::Params) -> bool {
        let l = &self.limits;
        p.m_cost() <= l.max_m_cost
            && p.t_cost() <= l.max_t_cost
            && p.p_cost() <= l.max_p_cost
            && u64::from(p.m_cost()) * u64::from(p.t_cost()) <= l.max_work
    }

    /// True when `stored_hash` should be replaced by a fresh hash of the same password
    /// (after a successful login): another algorithm or version, other parameters, other
    /// salt or hash length, or a hash that cannot be read at all.
    #[must_use]
    pub fn needs_rehash(&self, stored_hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored_hash) else {
            return true;
        };
        let current = self.params;
        parsed.algorithm != ARGON2ID
            || parsed.version != Some(Version::V0x13.into())
            || argon2::Params::try_from(&parsed).map_or(true, |p| {
                p.m_cost() != current.m_cost
                    || p.t_cost() != current.t_cost
                    || p.p_cost() != current.p_cost
            })
            || parsed.salt.is_none_or(|s| s.len() != SALT_LEN)
            || parsed.hash.is_none_or(|h| h.len() != current.output_len)
    }

    /// Runs one verification against a dummy hash and returns `false`.
    ///
    /// Call it when the user does not exist, so that "unknown user" takes as long as
    /// "wrong password" and response times do not reveal which accounts exist.
    #[must_use]
    pub fn verify_dummy(&self, password: &str) -> bool {
        let dummy = self.dummy.get_or_init(|| {
            // Any password works: this hash is never expected to match.
            self.hash("auth-core timing-equaliser").unwrap_or_default()
        });
        let _ = self.verify(password, dummy);
        false
    }
}

const ARGON2ID: Ident = argon2::Algorithm::Argon2id.ident();

fn default_hasher() -> &'static PasswordHasher {
    static HASHER: OnceLock<PasswordHasher> = OnceLock::new();
    HASHER.get_or_init(PasswordHasher::default)
}

/// Hashes `password` with argon2id and hawkapi-auth's parameters (see
/// [`PasswordHasher::hash`]).
///
/// # Errors
///
/// As [`PasswordHasher::hash`].
///
/// ```
/// let hash = auth_core::hash_password("hunter2").unwrap();
/// assert!(hash.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"));
/// assert!(auth_core::verify_password("hunter2", &hash));
/// ```
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    default_hasher().hash(password)
}

/// Checks `password` against a stored hash; never panics (see
/// [`PasswordHasher::verify`]).
#[must_use]
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    default_hasher().verify(password, stored_hash)
}

/// True when a stored hash was not made with hawkapi-auth's current parameters (see
/// [`PasswordHasher::needs_rehash`]).
#[must_use]
pub fn needs_rehash(stored_hash: &str) -> bool {
    default_hasher().needs_rehash(stored_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: these tests are about logic, not cost.
    fn fast() -> PasswordHasher {
        PasswordHasher::new(PasswordParams::new(64, 1, 1).unwrap())
    }

    #[test]
    fn round_trip_and_mismatch() {
        let h = fast();
        let hash = h.hash("pässwörd 🔑").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify("pässwörd 🔑", &hash));
        assert!(!h.verify("passwörd 🔑", &hash));
        assert!(!h.verify("", &hash));
    }

    #[test]
    fn salts_differ() {
        let h = fast();
        assert_ne!(h.hash("x").unwrap(), h.hash("x").unwrap());
    }

    #[test]
    fn malformed_or_foreign_hashes_verify_false() {
        let h = fast();
        for bad in [
            "",
            "$",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$",
            "$argon2id$v=19$m=64,t=1,p=1$!!!$!!!",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$29000$N2bsPQ$dGVzdA",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "plain text password",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$\u{0}",
        ] {
            assert!(!h.verify("x", bad), "{bad:?}");
            assert!(h.needs_rehash(bad), "{bad:?}");
        }
    }

    #[test]
    fn hashes_above_the_limits_are_refused_without_computing() {
        // m = 4 GiB would take seconds and gigabytes; the limit check refuses it first.
        let huge = "$argon2id$v=19$m=4194304,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(!fast().verify("x", huge));
        let many_passes = "$argon2id$v=19$m=64,t=1000,p=1$c29tZXNhbHRzb21lc2FsdA$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
        assert!(!fast().verify("x", many_passes));
    }

    #[test]
    fn too_long_passwords_are_refused() {
        let h = fast().with_max_password_bytes(8);
        assert!(matches!(
            h.hash("123456789"),
            Err(PasswordError::TooLong { max: 8 })
        ));
        let hash = h.hash("12345678").unwrap();
        assert!(!h.verify("123456789", &hash));
    }

    #[test]
    fn needs_rehash_on_any_parameter_change() {
        let old = fast().hash("x").unwrap();
        assert!(!fast().needs_rehash(&old));
        assert!(PasswordHasher::new(PasswordParams::new(128, 1, 1).unwrap()).needs_rehash(&old));
        assert!(PasswordHasher::new(PasswordParams::new(64, 2, 1).unwrap()).needs_rehash(&old));
        assert!(PasswordHasher::new(PasswordParams::new(64, 1, 2).unwrap()).needs_rehash(&old));
    }

    #[test]
    fn argon2i_verifies_but_needs_rehash() {
        let params = argon2::Params::new(64, 1, 1, Some(32)).unwrap();
        let a2i = Argon2::new(argon2::Algorithm::Argon2i, Version::V0x13, params)
            .hash_password_with_salt(b"pw", b"saltsaltsaltsalt")
            .unwrap()
            .to_string();
        assert!(fast().verify("pw", &a2i));
        assert!(fast().needs_rehash(&a2i));
    }

    #[test]
    fn dummy_verification_is_false() {
        assert!(!fast().verify_dummy("anything"));
    }
}
