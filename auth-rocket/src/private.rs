//! Paths used by generated code (`#[requires_scopes]`, `scope_set!`). Not public API: no
//! semver guarantees, may change in any release.

pub use crate::scopes::{RequireScopes, ScopeSet};

/// True when every scope is a valid OAuth 2 scope-token (RFC 6749 §3.3): non-empty,
/// visible ASCII except `"` and `\`. Evaluated at compile time by `scope_set!`.
#[must_use]
pub const fn valid_scopes(scopes: &[&str]) -> bool {
    let mut i = 0;
    while i < scopes.len() {
        let bytes = scopes[i].as_bytes();
        if bytes.is_empty() {
            return false;
        }
        let mut j = 0;
        while j < bytes.len() {
            let b = bytes[j];
            if !(b == 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e)) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::valid_scopes;

    #[test]
    fn scope_tokens() {
        assert!(valid_scopes(&["admin", "read:all", "a/b*"]));
        for bad in ["", "read write", "a\"b", "a\\b", "é", "a\tb"] {
            assert!(!valid_scopes(&[bad]), "{bad:?}");
        }
    }
}
