//! The verified-token cache answers a token seen before without verifying it again, and
//! never extends its life.

use auth_core::{Issuer, IssuerConfig, TokenError};

use crate::support::*;

fn configs() -> [IssuerConfig; 2] {
    let on = hs256();
    let mut off = hs256();
    off.verify_cache_entries = 0;
    [on, off]
}

#[test]
fn a_cached_token_still_expires_on_time() {
    for config in configs() {
        let (issuer, clock) = issuer_at(config);
        let token = issuer.issue_access("u", &()).unwrap();
        for _ in 0..3 {
            assert!(issuer.verify_access(&token).is_ok());
        }
        clock.advance(900 + 30);
        assert!(matches!(
            issuer.verify_access(&token),
            Err(TokenError::Expired)
        ));
        assert!(matches!(
            issuer.verify_access_shared(&token),
            Err(TokenError::Expired)
        ));
    }
}

#[test]
fn a_cached_token_is_still_checked_for_revocation() {
    for config in configs() {
        let (issuer, _) = issuer_at(config);
        let pair = issuer.issue_pair("u", &()).unwrap();
        assert!(issuer.verify_access(&pair.access_token).is_ok());
        block_on(issuer.revoke_refresh(&pair.refresh_token)).unwrap();
        assert!(matches!(
            issuer.verify_access(&pair.access_token),
            Err(TokenError::Revoked)
        ));

        let other = issuer.issue_pair("v", &()).unwrap();
        assert!(issuer.verify_access(&other.access_token).is_ok());
        block_on(issuer.revoke_subject("v")).unwrap();
        assert!(matches!(
            issuer.verify_access(&other.access_token),
            Err(TokenError::Revoked)
        ));
    }
}

#[test]
fn a_cached_answer_is_shared_and_equal_to_a_fresh_one() {
    let issuer = Issuer::new(hs256()).unwrap();
    let token = issuer
        .issue_access("u", &serde_json::json!({"role": "r"}))
        .unwrap();
    let first = issuer.verify_access_shared(&token).unwrap();
    let second = issuer.verify_access_shared(&token).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "the second answer comes from the cache"
    );
    let mut off = hs256();
    off.verify_cache_entries = 0;
    let uncached = Issuer::new(off).unwrap().verify_access(&token).unwrap();
    assert_eq!(*first, uncached);
}

#[test]
fn only_the_exact_bytes_hit() {
    let issuer = Issuer::new(hs256()).unwrap();
    let token = issuer.issue_access("u", &()).unwrap();
    assert!(issuer.verify_access(&token).is_ok());
    // Same payload, other signature bytes: not a hit, and refused.
    let (head, sig) = token.rsplit_once('.').unwrap();
    let flipped = format!(
        "{head}.{}{}",
        &sig[..sig.len() - 1],
        if sig.ends_with('A') { 'B' } else { 'A' }
    );
    assert!(issuer.verify_access(&flipped).is_err());
}
