//! The quickstart's own settings, next to the `auth` table.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Top-level keys of Rocket's configuration read by the quickstart.
///
/// ```toml
/// [default]
/// database = "quickstart.sqlite3"   # ROCKET_DATABASE
/// admins = ["alice@example.com"]    # ROCKET_ADMINS="alice@example.com bob@example.com"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct QuickstartConfig {
    /// The SQLite file holding the users. _Default:_ `quickstart.sqlite3` in the working
    /// directory.
    pub database: PathBuf,
    /// Emails whose access tokens get the `admin` scope at login. A list, or one string
    /// of emails separated by spaces or commas (handy in an environment variable).
    /// _Default:_ none.
    #[serde(deserialize_with = "emails")]
    pub admins: Vec<String>,
}

impl Default for QuickstartConfig {
    fn default() -> Self {
        Self {
            database: PathBuf::from("quickstart.sqlite3"),
            admins: Vec::new(),
        }
    }
}

impl QuickstartConfig {
    /// True when `email` (normalised) is an admin.
    #[must_use]
    pub fn is_admin(&self, email: &str) -> bool {
        self.admins.iter().any(|a| a == email)
    }
}

fn emails<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of emails or a string of emails separated by spaces or commas")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(normalise_email)
                .collect())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(normalise_email(&s));
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// Trims and lowercases an email so that lookups are case-insensitive.
#[must_use]
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no
/// spaces or control characters, at most 254 bytes (RFC 5321). Deliverability is for a
/// verification mail to prove, not for a regex.
#[must_use]
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_from_a_list_or_a_string() {
        let c: QuickstartConfig =
            serde_json::from_str(r#"{"admins": ["Alice@Example.com "]}"#).unwrap();
        assert!(c.is_admin("alice@example.com"));
        let c: QuickstartConfig = serde_json::from_str(r#"{"admins": "a@x.io, b@x.io"}"#).unwrap();
        assert_eq!(c.admins, ["a@x.io", "b@x.io"]);
    }

    #[test]
    fn email_validation() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.io", "a@b..co", "a@.b.co", "a@b.co.",
            "a\n@b.co",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
        assert!(!is_valid_email(&format!("{}@b.co", "a".repeat(65))));
    }
}
