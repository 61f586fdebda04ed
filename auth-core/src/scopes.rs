//! [`Scopes`]: the scopes a token grants, read the way hawkapi-auth reads them.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// The set of scopes granted by a token.
///
/// Read from the `scope` claim (an OAuth 2 space-separated string, or a list) or, when
/// `scope` is absent, from `scopes`. `scope` wins whenever it is present, even empty, and
/// non-string list items are ignored: exactly hawkapi-auth's `requires_scopes` rules.
///
/// ```
/// use auth_core::Scopes;
///
/// let s = Scopes::from_iter(["read", "write"]);
/// assert!(s.contains("read"));
/// assert_eq!(s.missing(&["read", "admin", "audit"]), vec!["admin", "audit"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Reads the scopes from a token's claims.
    #[must_use]
    pub fn from_claims(claims: &Map<String, Value>) -> Self {
        let raw = claims.get("scope").or_else(|| claims.get("scopes"));
        match raw {
            Some(Value::String(s)) => s.split(is_python_space).filter(|s| !s.is_empty()).collect(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Self::default(),
        }
    }

    /// True when `scope` is granted.
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// True when every one of `required` is granted.
    #[must_use]
    pub fn contains_all<S: AsRef<str>>(&self, required: &[S]) -> bool {
        required.iter().all(|s| self.contains(s.as_ref()))
    }

    /// The scopes of `required` that are not granted, in the order given (for the
    /// `Missing scopes: a, b` message).
    #[must_use]
    pub fn missing<'a, S: AsRef<str>>(&self, required: &'a [S]) -> Vec<&'a str> {
        required
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| !self.contains(s))
            .collect()
    }

    /// Iterates over the scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Number of scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no scope is granted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Python's `str.split()` separators: Unicode whitespace plus the ASCII information
/// separators U+001C..U+001F, which Rust's `char::is_whitespace` leaves out. Splitting
/// the same way keeps a token's scopes identical on both sides.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Space-separated, as in an OAuth 2 `scope` value.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scopes(v: Value) -> Scopes {
        Scopes::from_claims(v.as_object().unwrap())
    }

    #[test]
    fn space_separated_string() {
        let s = scopes(json!({"scope": "read  write\tadmin"}));
        assert_eq!(s, Scopes::from_iter(["admin", "read", "write"]));
    }

    #[test]
    fn splits_like_python_str_split() {
        let s = scopes(json!({"scope": "a\u{1c}b\u{1d}c\u{1e}d\u{1f}e\u{a0}f\u{3000}g\u{85}h"}));
        assert_eq!(
            s,
            Scopes::from_iter(["a", "b", "c", "d", "e", "f", "g", "h"])
        );
    }

    #[test]
    fn list_under_scope_or_scopes_ignoring_non_strings() {
        assert!(scopes(json!({"scopes": ["a", 1, null, "b"]})).contains_all(&["a", "b"]));
        assert_eq!(scopes(json!({"scope": ["x", {"y": 1}]})).len(), 1);
    }

    #[test]
    fn scope_wins_even_when_empty() {
        assert!(scopes(json!({"scope": "", "scopes": ["admin"]})).is_empty());
        assert!(scopes(json!({"scope": "a", "scopes": ["b"]})).contains("a"));
    }

    #[test]
    fn other_shapes_grant_nothing() {
        assert!(scopes(json!({"scope": 5})).is_empty());
        assert!(scopes(json!({})).is_empty());
    }

    #[test]
    fn missing_keeps_the_requested_order() {
        let s = Scopes::from_iter(["b"]);
        assert_eq!(s.missing(&["c", "b", "a"]), vec!["c", "a"]);
        assert_eq!(s.to_string(), "b");
    }
}
