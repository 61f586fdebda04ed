//! Password hashing with the seed's defaults and the documented presets.

use auth_core::{PasswordHasher, PasswordParams, hash_password, needs_rehash, verify_password};

#[test]
fn default_hashes_use_hawkapis_parameters() {
    let hash = hash_password("hunter2").unwrap();
    let parts: Vec<&str> = hash.split('$').collect();
    assert_eq!(&parts[..4], &["", "argon2id", "v=19", "m=65536,t=3,p=4"]);
    // 16-byte salt and 32-byte hash, base64 without padding.
    assert_eq!(parts[4].len(), 22);
    assert_eq!(parts[5].len(), 43);
    assert!(verify_password("hunter2", &hash));
    assert!(!verify_password("hunter3", &hash));
    assert!(!needs_rehash(&hash));
}

#[test]
fn owasp_preset_hashes_are_flagged_by_the_default_hasher() {
    let owasp = PasswordHasher::new(PasswordParams::OWASP_MINIMUM);
    let hash = owasp.hash("pw").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(
        verify_password("pw", &hash),
        "older parameters still verify"
    );
    assert!(needs_rehash(&hash), "and are flagged for an upgrade");
    assert!(!owasp.needs_rehash(&hash));
}

#[test]
fn bcrypt_and_other_schemes_need_rehash_and_do_not_verify() {
    let bcrypt = "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m";
    assert!(!verify_password("password", bcrypt));
    assert!(needs_rehash(bcrypt));
}
