//! Unstructured fuzzing of token verification: the input bytes are the token.
//!
//! Covers the size limit, framing, base64url decoding, strict header JSON and the header
//! rules, key selection, algorithm pinning and signature verification (HMAC-SHA256 and
//! ECDSA P-256). Almost no mutated input carries a valid signature, so payload parsing and
//! claim validation are only reached by the (valid) seeds: `verify_structured` covers them.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use auth_core::{Algorithm, Claims, Issuer, IssuerConfig, TokenError, TokenType};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret-0123";
const P256_PEM: &str = include_str!("../../auth-core/tests/data/keys/p256.pem");

fn hs256() -> &'static Issuer {
    static ISSUER: OnceLock<Issuer> = OnceLock::new();
    ISSUER.get_or_init(|| Issuer::new(IssuerConfig::hs256(SECRET)).expect("HS256 issuer"))
}

fn es256() -> &'static Issuer {
    static ISSUER: OnceLock<Issuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        Issuer::new(IssuerConfig::with_private_key(Algorithm::ES256, P256_PEM))
            .expect("ES256 issuer")
    })
}

/// Polls a future that never waits (the in-memory store answers at once).
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("in-memory revocation store future did not complete");
}

fn check(result: &Result<Claims, TokenError>, expected: TokenType, token: &str) {
    match result {
        Ok(c) => {
            assert!(!c.sub.is_empty(), "accepted a token with an empty sub");
            assert!(!c.jti.is_empty(), "accepted a token with an empty jti");
            assert!(c.exp > 0, "accepted a token with exp = 0");
            assert_eq!(c.token_type, expected, "accepted a token of the wrong type");
            assert!(token.len() <= auth_core::DEFAULT_MAX_TOKEN_BYTES);
            // Serialising verified claims back to JSON must not fail.
            serde_json::to_string(c).expect("claims serialise");
            let _ = format!("{c:?}");
        }
        Err(e) => {
            // Display / Debug of every refusal must not panic.
            let _ = e.to_string();
            let _ = format!("{e:?}");
        }
    }
}

fn verify(token: &str) {
    let hs = hs256();
    let es = es256();
    let hs_access = hs.verify_access(token);
    check(&hs_access, TokenType::Access, token);
    let hs_refresh = block_on(hs.verify_refresh(token));
    check(&hs_refresh, TokenType::Refresh, token);
    let es_access = es.verify_access(token);
    check(&es_access, TokenType::Access, token);
    if std::env::var_os("AUTH_FUZZ_DEBUG").is_some_and(|v| v == "1") {
        eprintln!(
            "hs256 access: {:?}\nhs256 refresh: {:?}\nes256 access: {:?}",
            hs_access.as_ref().map(|c| &c.sub),
            hs_refresh.as_ref().map(|c| &c.sub),
            es_access.as_ref().map(|c| &c.sub)
        );
    }
    assert!(
        !(hs_access.is_ok() && hs_refresh.is_ok()),
        "one token verified as both access and refresh"
    );
    assert!(
        !(hs_access.is_ok() && es_access.is_ok()),
        "one token verified with both the HS256 secret and the ES256 key"
    );
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(token) => verify(token),
        // Not UTF-8: verify the lossy decoding (U+FFFD grows the input by up to 3x, which
        // also exercises the size limit).
        Err(_) => verify(&String::from_utf8_lossy(data)),
    }
});
