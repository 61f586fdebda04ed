//! Refresh revocation through the issuer, and the in-memory store at scale.

use std::sync::atomic::{AtomicBool, Ordering};

use auth_core::{Clock, Issuer, MemoryStore, RevocationStore, StoreError, TokenError};

use crate::support::*;

#[test]
fn revoking_a_refresh_token_refuses_it_until_it_expires() {
    let clock = Clock::manual(NOW);
    let store = std::sync::Arc::new(MemoryStore::with_clock(clock.clone()));
    let issuer = Issuer::builder(hs256())
        .shared_store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    block_on(async {
        let refresh = issuer.issue_refresh("u", &()).unwrap();
        let other = issuer.issue_refresh("u", &()).unwrap();
        issuer.verify_refresh(&refresh).await.unwrap();
        let claims = issuer.revoke_refresh(&refresh).await.unwrap();
        assert!(matches!(
            issuer.verify_refresh(&refresh).await,
            Err(TokenError::Revoked)
        ));
        assert!(
            issuer.verify_refresh(&other).await.is_ok(),
            "only that token"
        );
        issuer
            .revoke_refresh(&refresh)
            .await
            .expect("revoking twice is fine");
        assert_eq!(store.len(), 1);

        // The entry lives exactly as long as the token.
        clock.set(claims.exp + 31);
        assert!(matches!(
            issuer.verify_refresh(&refresh).await,
            Err(TokenError::Expired)
        ));
        assert_eq!(store.purge(), 1);
        assert!(store.is_empty());
    });
}

#[test]
fn revoking_a_forged_or_foreign_token_is_an_error_not_a_silent_success() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let issuer = Issuer::builder(hs256())
        .shared_store(store.clone())
        .build()
        .unwrap();
    let foreign = Issuer::new(auth_core::IssuerConfig::hs256(
        "a-different-secret-a-different-secret!!",
    ))
    .unwrap();
    block_on(async {
        let forged = foreign.issue_refresh("u", &()).unwrap();
        assert!(matches!(
            issuer.revoke_refresh(&forged).await,
            Err(TokenError::InvalidSignature)
        ));
        assert!(issuer.revoke_refresh("garbage").await.is_err());
        let access = issuer.issue_access("u", &()).unwrap();
        assert!(matches!(
            issuer.revoke_refresh(&access).await,
            Err(TokenError::WrongType { .. })
        ));
    });
    assert!(store.is_empty(), "nothing was recorded");
}

#[test]
fn access_tokens_are_stateless() {
    let issuer = Issuer::new(hs256()).unwrap();
    let access = issuer.issue_access("u", &()).unwrap();
    let refresh = issuer.issue_refresh("u", &()).unwrap();
    block_on(issuer.revoke_refresh(&refresh)).unwrap();
    assert!(issuer.verify_access(&access).is_ok());
}

/// A store whose backend is down.
struct DownStore(AtomicBool);

impl RevocationStore for DownStore {
    async fn revoke(&self, _: &str, _: u64) -> Result<(), StoreError> {
        self.0.store(true, Ordering::SeqCst);
        Err(StoreError::unavailable("down", "connection refused"))
    }
    async fn is_revoked(&self, _: &str) -> Result<bool, StoreError> {
        Err(StoreError::unavailable("down", "connection refused"))
    }
}

#[test]
fn a_store_that_cannot_answer_fails_closed() {
    let issuer = Issuer::builder(hs256())
        .store(DownStore(AtomicBool::new(false)))
        .build()
        .unwrap();
    let refresh = issuer.issue_refresh("u", &()).unwrap();
    block_on(async {
        let err = issuer.verify_refresh(&refresh).await.unwrap_err();
        assert!(err.is_store_failure(), "{err}");
        assert!(err.to_string().contains("unavailable"));
        assert!(
            issuer
                .revoke_refresh(&refresh)
                .await
                .unwrap_err()
                .is_store_failure()
        );
    });
}

#[test]
fn a_million_entries_stay_correct_and_expiry_is_drained_incrementally() {
    let clock = Clock::manual(NOW);
    let store = MemoryStore::with_clock(clock.clone());
    let ids: Vec<String> = (0..1_000_000u64)
        .map(|i| format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    block_on(async {
        for (i, id) in ids.iter().enumerate() {
            // Half expire in 10 s, half in an hour.
            let exp = if i % 2 == 0 { NOW + 10 } else { NOW + 3600 };
            store.revoke(id, exp).await.unwrap();
        }
        assert_eq!(store.len(), 1_000_000);
        assert!(store.is_revoked(&ids[0]).await.unwrap());
        assert!(store.is_revoked(&ids[999_999]).await.unwrap());
        assert!(
            !store
                .is_revoked("ffffffffffffffffffffffffffffffff")
                .await
                .unwrap()
        );

        clock.advance(11);
        assert!(
            !store.is_revoked(&ids[0]).await.unwrap(),
            "expired entries no longer count"
        );
        // One revoke drains a bounded number of expired entries: no full scan per call.
        store
            .revoke("00000000000000000000000000000001", NOW + 3600)
            .await
            .unwrap();
        let after_one = store.len();
        assert!(
            after_one >= 1_000_001 - 8,
            "drained {} entries in one call",
            1_000_001 - after_one
        );
        // The explicit purge removes exactly the expired half.
        assert_eq!(store.purge() + (1_000_001 - after_one), 500_000);
        assert_eq!(store.len(), 500_001);
        assert!(store.is_revoked(&ids[1]).await.unwrap());
    });
}
