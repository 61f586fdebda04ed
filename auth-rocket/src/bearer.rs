//! Strict parsing of `Authorization: Bearer <token>` (RFC 6750 §2.1, RFC 9110 §11).

use rocket::Request;

use crate::AuthError;

/// The bearer token of a request.
///
/// - no `Authorization` header, or one with another scheme (`Basic ..`): the client did
///   not try bearer auth, so [`AuthError::MissingToken`] (plain `Bearer` challenge);
/// - the `Bearer` scheme (any case) followed by one or more spaces and exactly one
///   token68 (`A-Z a-z 0-9 - . _ ~ + /` then `=` padding): the token;
/// - anything else that claims to be bearer auth (no token, two tokens, odd
///   characters, several `Authorization` headers): [`AuthError::InvalidToken`].
pub(crate) fn bearer_token<'r>(req: &'r Request<'_>) -> Result<&'r str, AuthError> {
    let mut values = req.headers().get("Authorization");
    let Some(value) = values.next() else {
        return Err(AuthError::MissingToken);
    };
    if values.next().is_some() {
        return Err(AuthError::invalid("several Authorization headers"));
    }
    parse(value)
}

fn parse(value: &str) -> Result<&str, AuthError> {
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(AuthError::invalid("Bearer scheme without a token"));
    }
    if !is_token68(token) {
        return Err(AuthError::invalid("Authorization value is not one token68"));
    }
    Ok(token)
}

fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bearer_in_any_case_with_one_token() {
        for v in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER  abc.def.ghi",
            " Bearer abc.def.ghi ",
            "Bearer\tabc.def.ghi",
        ] {
            assert_eq!(parse(v).unwrap(), "abc.def.ghi", "{v:?}");
        }
        assert_eq!(parse("Bearer abc==").unwrap(), "abc==");
    }

    #[test]
    fn other_schemes_are_missing_credentials() {
        for v in [
            "",
            "Basic dXNlcjpwYXNz",
            "Token abc",
            "Bearerabc.def",
            "Bearer-abc",
        ] {
            assert_eq!(parse(v), Err(AuthError::MissingToken), "{v:?}");
        }
    }

    #[test]
    fn malformed_bearer_credentials_are_invalid() {
        for v in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer \"abc\"",
            "Bearer ===",
            "Bearer a=b",
            "Bearer é",
        ] {
            assert!(
                matches!(parse(v), Err(AuthError::InvalidToken { .. })),
                "{v:?}"
            );
        }
    }
}
