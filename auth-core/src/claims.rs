//! [`Claims`]: what a verified token says, and the rules that check it.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Audience, Scopes, TokenError};

/// Claim names the issuer sets itself; extra claims may not use them.
///
/// hawkapi-auth's reserved set, plus `fam` (the refresh-token family).
pub const RESERVED_CLAIMS: [&str; 9] = [
    "sub", "iat", "exp", "nbf", "jti", "type", "iss", "aud", "fam",
];

/// The `type` claim: which kind of token this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenType {
    /// A short-lived token sent on every request (`"type": "access"`).
    Access,
    /// A long-lived token exchanged for new tokens (`"type": "refresh"`).
    Refresh,
    /// A token from a trusted third-party issuer (an identity provider), verified against
    /// its JWKS. It has no `type` claim of ours; its `jti` may be empty.
    External,
}

impl TokenType {
    /// The claim value: `"access"` or `"refresh"` (`"external"` for third-party tokens,
    /// which carry no `type` of ours).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::External => "external",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verified claims of a token.
///
/// The registered claims are typed fields; everything else (`role`, `scope`, any custom
/// claim) stays in [`extra`](Self::extra) as JSON, and the granted scopes are parsed once
/// into [`scopes`](Self::scopes). Serialises back to the flat JSON object of the token,
/// like hawkapi-auth's claims dict.
///
/// ```
/// # let issuer = auth_core::Issuer::new(auth_core::IssuerConfig::hs256(auth_core::random_secret())).unwrap();
/// use serde_json::json;
///
/// let token = issuer.issue_access("user-1", &json!({"role": "admin", "scope": "read write"})).unwrap();
/// let claims = issuer.verify_access(&token).unwrap();
/// assert_eq!(claims.sub, "user-1");
/// assert_eq!(claims.extra["role"], "admin");
/// assert!(claims.scopes.contains_all(&["read", "write"]));
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// Subject: whom the token is about (a user id).
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Not before (Unix seconds), when present.
    pub nbf: Option<u64>,
    /// Unique token id (32 hex characters for tokens we issue).
    pub jti: String,
    /// Access or refresh.
    pub token_type: TokenType,
    /// Issuer, when present.
    pub iss: Option<String>,
    /// Audience, when present.
    pub aud: Option<Audience>,
    /// Refresh-token family (one login = one family), when present.
    pub fam: Option<String>,
    /// Scopes granted by `scope` / `scopes` (both also remain in `extra`).
    pub scopes: Scopes,
    /// Every other claim.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Deserialises the extra claims into your own type.
    ///
    /// # Errors
    ///
    /// When the extra claims do not fit `T`.
    ///
    /// ```
    /// # let issuer = auth_core::Issuer::new(auth_core::IssuerConfig::hs256(auth_core::random_secret())).unwrap();
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Extra { role: String }
    ///
    /// let token = issuer.issue_access("u", &Extra { role: "admin".into() }).unwrap();
    /// let extra: Extra = issuer.verify_access(&token).unwrap().extra_as().unwrap();
    /// assert_eq!(extra.role, "admin");
    /// ```
    pub fn extra_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&Value::Object(self.extra.clone()))
    }

    /// The time rules again (`exp`, `nbf`, `iat` with the leeway), for claims verified
    /// earlier: a cached verification must never outlive the token.
    pub(crate) fn check_times(&self, now: u64, leeway: u64) -> Result<(), TokenError> {
        if now >= self.exp.saturating_add(leeway) {
            return Err(TokenError::Expired);
        }
        let horizon = now.saturating_add(leeway);
        if self.nbf.is_some_and(|nbf| nbf > horizon) || self.iat > horizon {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }

    /// Seconds until expiry at `now` (zero once expired).
    #[must_use]
    pub fn expires_in(&self, now: u64) -> u64 {
        self.exp.saturating_sub(now)
    }
}

/// Shows who and when, never the extra claims' values (they may hold personal data).
impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("sub", &self.sub)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("jti", &self.jti)
            .field("token_type", &self.token_type)
            .field("iss", &self.iss)
            .field("aud", &self.aud)
            .field("fam", &self.fam)
            .field("scopes", &self.scopes)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("sub", &self.sub)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("exp", &self.exp)?;
        if let Some(nbf) = self.nbf {
            map.serialize_entry("nbf", &nbf)?;
        }
        if !self.jti.is_empty() {
            map.serialize_entry("jti", &self.jti)?;
        }
        if self.token_type != TokenType::External {
            map.serialize_entry("type", &self.token_type)?;
        }
        if let Some(iss) = &self.iss {
            map.serialize_entry("iss", iss)?;
        }
        if let Some(aud) = &self.aud {
            map.serialize_entry("aud", aud)?;
        }
        if let Some(fam) = &self.fam {
            map.serialize_entry("fam", fam)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What a payload is checked against.
pub(crate) struct Rules<'a> {
    pub(crate) now: u64,
    pub(crate) leeway: u64,
    pub(crate) issuer: Option<&'a str>,
    pub(crate) audience: Option<&'a Audience>,
    pub(crate) expected: TokenType,
}

impl Claims {
    /// Checks a verified payload against `rules` and splits it into typed claims.
    ///
    /// The order of checks puts the cheap, decisive ones first; every path returns a
    /// typed error.
    pub(crate) fn validate(
        mut payload: Map<String, Value>,
        rules: &Rules<'_>,
    ) -> Result<Self, TokenError> {
        let exp =
            numeric_date(payload.remove("exp"), "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
        // Valid while now < exp + leeway (PyJWT's rule, with our leeway).
        if rules.now >= exp.saturating_add(rules.leeway) {
            return Err(TokenError::Expired);
        }
        let nbf = numeric_date(payload.remove("nbf"), "nbf")?;
        if nbf.is_some_and(|nbf| nbf > rules.now.saturating_add(rules.leeway)) {
            return Err(TokenError::NotYetValid);
        }
        let iat =
            numeric_date(payload.remove("iat"), "iat")?.ok_or(TokenError::MissingClaim("iat"))?;
        if iat > rules.now.saturating_add(rules.leeway) {
            return Err(TokenError::NotYetValid);
        }

        let token_type = match payload.remove("type") {
            Some(Value::String(t)) if t == rules.expected.as_str() => rules.expected,
            Some(Value::String(_)) => {
                return Err(TokenError::WrongType {
                    expected: rules.expected,
                });
            }
            Some(_) => return Err(TokenError::InvalidClaim("type")),
            None => return Err(TokenError::MissingClaim("type")),
        };

        let iss = optional_string(payload.remove("iss"), "iss")?;
        if let Some(want) = rules.issuer {
            match &iss {
                None => return Err(TokenError::MissingClaim("iss")),
                Some(got) if got != want => return Err(TokenError::InvalidIssuer),
                Some(_) => {}
            }
        }

        let aud = audience_claim(payload.remove("aud"))?;
        match (rules.audience, &aud) {
            (Some(_), None) => return Err(TokenError::MissingClaim("aud")),
            (Some(want), Some(got)) if !want.intersects(got) => {
                return Err(TokenError::InvalidAudience);
            }
            (None, Some(_)) => return Err(TokenError::InvalidAudience),
            _ => {}
        }

        let sub = match payload.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(_) => return Err(TokenError::InvalidClaim("sub")),
            None => return Err(TokenError::MissingClaim("sub")),
        };
        let jti = match payload.remove("jti") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(_) => return Err(TokenError::InvalidClaim("jti")),
            None => return Err(TokenError::MissingClaim("jti")),
        };
        let fam = match optional_string(payload.remove("fam"), "fam")? {
            Some(f) if f.is_empty() => return Err(TokenError::InvalidClaim("fam")),
            other => other,
        };

        let scopes = Scopes::from_claims(&payload);
        Ok(Self {
            sub,
            iat,
            exp,
            nbf,
            jti,
            token_type,
            iss,
            aud,
            fam,
            scopes,
            extra: payload,
        })
    }
}

/// What a third-party token is checked against.
#[cfg_attr(not(feature = "remote-jwks"), allow(dead_code))]
pub(crate) struct ExternalRules<'a> {
    pub(crate) now: u64,
    pub(crate) leeway: u64,
    pub(crate) issuer: &'a str,
    pub(crate) audience: &'a Audience,
}

impl Claims {
    /// Checks a verified payload from a trusted third-party issuer: `exp` required, `nbf`
    /// and `iat` (when present) not in the future, `iss` equal to the trusted issuer,
    /// `aud` required and naming one of ours, `sub` a non-empty string. `jti` and `iat`
    /// are optional (empty and 0 when absent); scopes come from `scope`, `scp` (Azure AD,
    /// Okta) or `scopes`.
    #[cfg_attr(not(feature = "remote-jwks"), allow(dead_code))]
    pub(crate) fn validate_external(
        mut payload: Map<String, Value>,
        rules: &ExternalRules<'_>,
    ) -> Result<Self, TokenError> {
        let exp =
            numeric_date(payload.remove("exp"), "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
        if rules.now >= exp.saturating_add(rules.leeway) {
            return Err(TokenError::Expired);
        }
        let horizon = rules.now.saturating_add(rules.leeway);
        let nbf = numeric_date(payload.remove("nbf"), "nbf")?;
        let iat = numeric_date(payload.remove("iat"), "iat")?;
        if nbf.is_some_and(|n| n > horizon) || iat.is_some_and(|i| i > horizon) {
            return Err(TokenError::NotYetValid);
        }
        match optional_string(payload.remove("iss"), "iss")? {
            None => return Err(TokenError::MissingClaim("iss")),
            Some(iss) if iss != rules.issuer => return Err(TokenError::InvalidIssuer),
            Some(_) => {}
        }
        let aud = audience_claim(payload.remove("aud"))?.ok_or(TokenError::MissingClaim("aud"))?;
        if !rules.audience.intersects(&aud) {
            return Err(TokenError::InvalidAudience);
        }
        let sub = match payload.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(_) => return Err(TokenError::InvalidClaim("sub")),
            None => return Err(TokenError::MissingClaim("sub")),
        };
        let jti = optional_string(payload.remove("jti"), "jti")?.unwrap_or_default();
        let scopes = if payload.contains_key("scope") || !payload.contains_key("scp") {
            Scopes::from_claims(&payload)
        } else {
            let mut scp = Map::new();
            if let Some(v) = payload.get("scp") {
                scp.insert("scope".to_owned(), v.clone());
            }
            Scopes::from_claims(&scp)
        };
        Ok(Self {
            sub,
            iat: iat.unwrap_or(0),
            exp,
            nbf,
            jti,
            token_type: TokenType::External,
            iss: Some(rules.issuer.to_owned()),
            aud: Some(aud),
            fam: None,
            scopes,
            extra: payload,
        })
    }
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number of seconds; fractions are
/// truncated, as PyJWT does.
fn numeric_date(value: Option<Value>, name: &'static str) -> Result<Option<u64>, TokenError> {
    let Some(value) = value else { return Ok(None) };
    let Value::Number(n) = value else {
        return Err(TokenError::InvalidClaim(name));
    };
    if let Some(u) = n.as_u64() {
        return Ok(Some(u));
    }
    match n.as_f64() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked: finite, >= 0
        Some(f) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
        _ => Err(TokenError::InvalidClaim(name)),
    }
}

fn optional_string(value: Option<Value>, name: &'static str) -> Result<Option<String>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::InvalidClaim(name)),
    }
}

/// `aud` as RFC 7519 allows it: one string or an array of strings.
fn audience_claim(value: Option<Value>) -> Result<Option<Audience>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::String(a)) => Ok(Some(Audience::One(a))),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(TokenError::InvalidClaim("aud")),
            })
            .collect::<Result<_, _>>()
            .map(|all| Some(Audience::Many(all))),
        Some(_) => Err(TokenError::InvalidClaim("aud")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn rules() -> Rules<'static> {
        Rules {
            now: NOW,
            leeway: 30,
            issuer: None,
            audience: None,
            expected: TokenType::Access,
        }
    }

    fn payload() -> Map<String, Value> {
        json!({"sub": "u1", "iat": NOW, "exp": NOW + 60, "jti": "j", "type": "access", "role": "x"})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn with(k: &str, v: Value) -> Map<String, Value> {
        let mut p = payload();
        p.insert(k.into(), v);
        p
    }

    fn without(k: &str) -> Map<String, Value> {
        let mut p = payload();
        p.remove(k);
        p
    }

    #[test]
    fn accepts_a_good_payload_and_keeps_extras() {
        let c = Claims::validate(payload(), &rules()).unwrap();
        assert_eq!((c.sub.as_str(), c.iat, c.exp), ("u1", NOW, NOW + 60));
        assert_eq!(c.extra.len(), 1);
        assert_eq!(c.extra["role"], "x");
    }

    #[test]
    fn exp_is_required_and_checked_with_leeway() {
        assert!(matches!(
            Claims::validate(without("exp"), &rules()),
            Err(TokenError::MissingClaim("exp"))
        ));
        let r = rules();
        assert!(Claims::validate(with("exp", json!(NOW - 29)), &r).is_ok());
        assert!(matches!(
            Claims::validate(with("exp", json!(NOW - 30)), &r),
            Err(TokenError::Expired)
        ));
        assert!(matches!(
            Claims::validate(with("exp", json!("soon")), &r),
            Err(TokenError::InvalidClaim("exp"))
        ));
        assert!(matches!(
            Claims::validate(with("exp", json!(-1)), &r),
            Err(TokenError::InvalidClaim("exp"))
        ));
    }

    #[test]
    fn nbf_and_future_iat_are_honoured_with_leeway() {
        let r = rules();
        assert!(Claims::validate(with("nbf", json!(NOW + 30)), &r).is_ok());
        assert!(matches!(
            Claims::validate(with("nbf", json!(NOW + 31)), &r),
            Err(TokenError::NotYetValid)
        ));
        assert!(matches!(
            Claims::validate(with("iat", json!(NOW + 31)), &r),
            Err(TokenError::NotYetValid)
        ));
        assert!(matches!(
            Claims::validate(without("iat"), &r),
            Err(TokenError::MissingClaim("iat"))
        ));
    }

    #[test]
    fn fractional_dates_are_truncated() {
        let c = Claims::validate(with("iat", json!(NOW as f64 + 0.9)), &rules()).unwrap();
        assert_eq!(c.iat, NOW);
    }

    #[test]
    fn type_must_match() {
        let mut r = rules();
        r.expected = TokenType::Refresh;
        assert!(matches!(
            Claims::validate(payload(), &r),
            Err(TokenError::WrongType { .. })
        ));
        assert!(matches!(
            Claims::validate(without("type"), &rules()),
            Err(TokenError::MissingClaim("type"))
        ));
        assert!(matches!(
            Claims::validate(with("type", json!(1)), &rules()),
            Err(TokenError::InvalidClaim("type"))
        ));
    }

    #[test]
    fn issuer_is_required_once_configured() {
        let mut r = rules();
        r.issuer = Some("me");
        assert!(matches!(
            Claims::validate(payload(), &r),
            Err(TokenError::MissingClaim("iss"))
        ));
        assert!(matches!(
            Claims::validate(with("iss", json!("you")), &r),
            Err(TokenError::InvalidIssuer)
        ));
        assert!(Claims::validate(with("iss", json!("me")), &r).is_ok());
        // Not configured: a present iss is kept, not checked (as PyJWT).
        assert_eq!(
            Claims::validate(with("iss", json!("x")), &rules())
                .unwrap()
                .iss
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn audience_string_or_list() {
        let want = Audience::Many(vec!["api".into(), "web".into()]);
        let mut r = rules();
        r.audience = Some(&want);
        assert!(matches!(
            Claims::validate(payload(), &r),
            Err(TokenError::MissingClaim("aud"))
        ));
        assert!(Claims::validate(with("aud", json!("web")), &r).is_ok());
        assert!(Claims::validate(with("aud", json!(["x", "api"])), &r).is_ok());
        assert!(matches!(
            Claims::validate(with("aud", json!(["x"])), &r),
            Err(TokenError::InvalidAudience)
        ));
        assert!(matches!(
            Claims::validate(with("aud", json!([1])), &r),
            Err(TokenError::InvalidClaim("aud"))
        ));
        // No audience configured: a token that names one is not for us.
        assert!(matches!(
            Claims::validate(with("aud", json!("api")), &rules()),
            Err(TokenError::InvalidAudience)
        ));
    }

    #[test]
    fn sub_and_jti_must_be_non_empty_strings() {
        for (k, v) in [
            ("sub", json!("")),
            ("sub", json!(42)),
            ("jti", json!("")),
            ("jti", json!(null)),
        ] {
            assert!(
                matches!(
                    Claims::validate(with(k, v), &rules()),
                    Err(TokenError::InvalidClaim(_))
                ),
                "{k}"
            );
        }
        assert!(matches!(
            Claims::validate(without("sub"), &rules()),
            Err(TokenError::MissingClaim("sub"))
        ));
    }

    #[test]
    fn serialises_back_to_the_flat_object() {
        let c = Claims::validate(with("scope", json!("a b")), &rules()).unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["sub"], "u1");
        assert_eq!(v["type"], "access");
        assert_eq!(v["scope"], "a b");
        assert_eq!(v["role"], "x");
    }

    #[test]
    fn debug_hides_extra_values() {
        let c = Claims::validate(with("email", json!("alice@example.com")), &rules()).unwrap();
        assert!(!format!("{c:?}").contains("alice@"));
    }
}
