//! The JWS compact serialisation (RFC 7515 §7.1), parsed strictly.
//!
//! jsonwebtoken provides the cryptography; the framing, the header rules and the JSON
//! parsing are ours, so that every refusal has a precise reason and the payload is only
//! parsed once its signature has verified.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::TokenError;
use crate::json::parse_object;

/// The parts of a compact JWS that have passed framing and header checks.
pub(crate) struct Parsed<'t> {
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub(crate) signing_input: &'t str,
    /// The base64url payload, decoded only after the signature verifies.
    pub(crate) payload_b64: &'t str,
    /// The base64url signature.
    pub(crate) signature: &'t str,
    /// The header's `alg`.
    pub(crate) alg: String,
    /// The header's `kid`, when present.
    pub(crate) kid: Option<String>,
}

/// Splits a token and checks its header. `max_bytes` is enforced before anything else.
pub(crate) fn parse(token: &str, max_bytes: usize) -> Result<Parsed<'_>, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge { limit: max_bytes });
    }
    let (signing_input, signature) = token
        .rsplit_once('.')
        .ok_or(TokenError::Malformed("expected three dot-separated parts"))?;
    let (header_b64, payload_b64) = signing_input
        .split_once('.')
        .ok_or(TokenError::Malformed("expected three dot-separated parts"))?;
    if payload_b64.contains('.') {
        // Five parts is a JWE; more is garbage. Neither is for us.
        return Err(TokenError::Malformed("expected three dot-separated parts"));
    }
    if header_b64.is_empty() || payload_b64.is_empty() || signature.is_empty() {
        return Err(TokenError::Malformed("empty part"));
    }
    let header = decode_object(header_b64, "header")?;
    let (alg, kid) = check_header(&header)?;
    Ok(Parsed {
        signing_input,
        payload_b64,
        signature,
        alg,
        kid,
    })
}

/// Decodes the header of a token (already framed by [`parse`]).
pub(crate) fn decode_header(token: &str) -> Result<Map<String, Value>, TokenError> {
    let header_b64 = token.split('.').next().unwrap_or_default();
    decode_object(header_b64, "header")
}

/// Decodes the payload (after signature verification).
pub(crate) fn decode_payload(payload_b64: &str) -> Result<Map<String, Value>, TokenError> {
    decode_object(payload_b64, "payload")
}

fn decode_object(part: &str, what: &'static str) -> Result<Map<String, Value>, TokenError> {
    // The engine refuses padding, the standard alphabet and non-canonical trailing bits,
    // so a token has exactly one encoding.
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| {
        TokenError::Malformed(if what == "header" {
            "header is not base64url"
        } else {
            "payload is not base64url"
        })
    })?;
    parse_object(&bytes).map_err(|reason| {
        TokenError::Malformed(match (what, reason) {
            ("header", "duplicate member name") => "duplicate member name in header",
            ("header", _) => "header is not a JSON object",
            (_, "duplicate member name") => "duplicate member name in payload",
            _ => "payload is not a JSON object",
        })
    })
}

/// Header rules (RFC 7515 §4, RFC 8725 §3):
/// - `alg` is a string (matched against the key's later);
/// - `crit` in any form is refused: we implement no extensions, and §4.1.11 says a
///   recipient that does not understand a listed extension must reject the token;
/// - `b64` (RFC 7797), `enc` and `zip` (JWE) are refused;
/// - `typ`, when present, must say JWT (`JWT`, `at+jwt`, media-type forms, any case);
/// - `kid` is a string, used only to pick among configured keys;
/// - `jku`, `x5u`, `jwk`, `x5c` are ignored: keys never come from the token.
fn check_header(header: &Map<String, Value>) -> Result<(String, Option<String>), TokenError> {
    for unsupported in ["crit", "b64", "enc", "zip"] {
        if header.contains_key(unsupported) {
            return Err(TokenError::UnsupportedHeader(match unsupported {
                "crit" => "crit",
                "b64" => "b64",
                "enc" => "enc",
                _ => "zip",
            }));
        }
    }
    let alg = match header.get("alg") {
        Some(Value::String(a)) => a.clone(),
        Some(_) => return Err(TokenError::Malformed("header `alg` is not a string")),
        None => return Err(TokenError::Malformed("header has no `alg`")),
    };
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if is_jwt_type(t) => {}
        Some(_) => return Err(TokenError::Malformed("header `typ` is not JWT")),
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(TokenError::Malformed("header `kid` is not a string")),
    };
    Ok((alg, kid))
}

fn is_jwt_type(typ: &str) -> bool {
    let t = typ.strip_prefix("application/").unwrap_or(typ);
    t.eq_ignore_ascii_case("jwt") || t.eq_ignore_ascii_case("at+jwt")
}

/// Builds the signing input for a header and payload, both already JSON.
pub(crate) fn signing_input(header_json: &[u8], payload_json: &[u8]) -> String {
    let mut out = String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 8);
    URL_SAFE_NO_PAD.encode_string(header_json, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload_json, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    #[test]
    fn size_limit_comes_first() {
        let long = "a".repeat(100);
        assert!(matches!(
            parse(&long, 99),
            Err(TokenError::TooLarge { limit: 99 })
        ));
    }

    #[test]
    fn framing() {
        for bad in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            ".b.c",
            "a..c",
            "a.b.",
        ] {
            assert!(
                matches!(parse(bad, 8192), Err(TokenError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn base64_must_be_canonical_urlsafe_without_padding() {
        let p = b64("{}");
        for header in [
            "eyJhbGciOiJIUzI1NiJ9=",
            "eyJhbGciOiJIUzI1NiJ9+",
            "eyJhbGciOiJIUzI1NiJ9\n",
        ] {
            let t = format!("{header}.{p}.c2ln");
            assert!(
                matches!(parse(&t, 8192), Err(TokenError::Malformed(_))),
                "{header}"
            );
        }
    }

    #[test]
    fn header_rules() {
        let t = token(
            r#"{"alg":"HS256","typ":"JWT","kid":"k1","jku":"https://evil"}"#,
            "{}",
        );
        let ok = parse(&t, 8192).unwrap();
        assert_eq!((ok.alg.as_str(), ok.kid.as_deref()), ("HS256", Some("k1")));
        assert!(parse(&token(r#"{"alg":"HS256","typ":"at+jwt"}"#, "{}"), 8192).is_ok());
        assert!(
            parse(
                &token(r#"{"alg":"HS256","typ":"application/jwt"}"#, "{}"),
                8192
            )
            .is_ok()
        );

        let refused = [
            (r#"{"alg":"HS256","crit":["exp"]}"#, "crit"),
            (r#"{"alg":"HS256","crit":[]}"#, "crit"),
            (r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#, "crit"),
            (r#"{"alg":"HS256","b64":false}"#, "b64"),
            (r#"{"alg":"dir","enc":"A256GCM"}"#, "enc"),
            (r#"{"alg":"HS256","zip":"DEF"}"#, "zip"),
        ];
        for (h, what) in refused {
            match parse(&token(h, "{}"), 8192) {
                Err(TokenError::UnsupportedHeader(w)) => assert_eq!(w, what),
                other => panic!("{h}: {:?}", other.err()),
            }
        }
        for h in [
            r#"{"typ":"JWT"}"#,
            r#"{"alg":256}"#,
            r#"{"alg":"HS256","typ":"dpop+jwt"}"#,
            r#"{"alg":"HS256","kid":7}"#,
            r#"{"alg":"HS256","alg":"none"}"#,
            r#"[]"#,
        ] {
            assert!(
                matches!(parse(&token(h, "{}"), 8192), Err(TokenError::Malformed(_))),
                "{h}"
            );
        }
    }
}
