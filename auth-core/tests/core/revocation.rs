//! Sessions through the issuer: logout, rotation with reuse detection, logout
//! everywhere, access-token revocation, failing stores and stale views.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth_core::{
    Changes, Clock, Consumed, Cursor, Issuer, IssuerConfig, MemoryStore, RefreshStatus, RefreshUse,
    Revocation, RevocationStore, StalePolicy, StoreError, TokenError,
};
use serde_json::json;

use crate::support::*;

fn issuer_with_store(clock: &Clock) -> (Issuer, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    let issuer = Issuer::builder(hs256())
        .shared_store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    (issuer, store)
}

#[test]
fn logout_refuses_the_refresh_token_and_the_sessions_access_tokens() {
    let clock = Clock::manual(NOW);
    let (issuer, store) = issuer_with_store(&clock);
    block_on(async {
        let pair = issuer.issue_pair("u", &()).unwrap();
        let other = issuer.issue_pair("u", &()).unwrap();
        issuer.verify_refresh(&pair.refresh_token).await.unwrap();
        issuer.revoke_refresh(&pair.refresh_token).await.unwrap();
        assert!(matches!(
            issuer.verify_refresh(&pair.refresh_token).await,
            Err(TokenError::Revoked)
        ));
        assert!(
            matches!(
                issuer.verify_access(&pair.access_token),
                Err(TokenError::Revoked)
            ),
            "the session's access token"
        );
        assert!(matches!(
            issuer.rotate(&pair.refresh_token).await,
            Err(TokenError::Revoked)
        ));
        issuer
            .revoke_refresh(&pair.refresh_token)
            .await
            .expect("logging out twice is fine");
        assert!(
            issuer.verify_refresh(&other.refresh_token).await.is_ok(),
            "other sessions live on"
        );
        assert!(issuer.verify_access(&other.access_token).is_ok());

        // Entries live as long as the tokens, then go.
        clock.advance(issuer.refresh_ttl() + 60);
        store.purge();
        assert!(store.is_empty());
    });
}

#[test]
fn revoking_a_forged_or_foreign_token_is_an_error_not_a_silent_success() {
    let clock = Clock::manual(NOW);
    let (issuer, store) = issuer_with_store(&clock);
    let foreign = Issuer::new(IssuerConfig::hs256(
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
        assert!(matches!(
            issuer.revoke_access(&forged).await,
            Err(TokenError::InvalidSignature)
        ));
    });
    assert!(store.is_empty(), "nothing was recorded");
}

#[test]
fn rotation_issues_the_next_pair_and_a_replay_revokes_the_whole_session() {
    let clock = Clock::manual(NOW);
    let (issuer, _) = issuer_with_store(&clock);
    block_on(async {
        let first = issuer.issue_pair("u", &json!({"scope": "read"})).unwrap();
        let rotation = issuer.rotate(&first.refresh_token).await.unwrap();
        assert_eq!(rotation.claims().sub, "u");
        let second = rotation.issue(&json!({"scope": "read"})).unwrap();
        assert_eq!(second.family, first.family, "same session");
        assert_ne!(second.refresh_token, first.refresh_token);
        let third = issuer
            .rotate(&second.refresh_token)
            .await
            .unwrap()
            .issue(&())
            .unwrap();
        assert!(issuer.verify_access(&third.access_token).is_ok());

        // The thief replays the first refresh token: refused, and the session dies.
        assert!(matches!(
            issuer.rotate(&first.refresh_token).await,
            Err(TokenError::Reused)
        ));
        assert!(matches!(
            issuer.rotate(&third.refresh_token).await,
            Err(TokenError::Revoked)
        ));
        assert!(matches!(
            issuer.verify_refresh(&third.refresh_token).await,
            Err(TokenError::Revoked)
        ));
        assert!(matches!(
            issuer.verify_access(&third.access_token),
            Err(TokenError::Revoked)
        ));
        // Another session of the same user is untouched.
        let fresh = issuer.issue_pair("u", &()).unwrap();
        assert!(issuer.rotate(&fresh.refresh_token).await.is_ok());
    });
}

#[test]
fn a_used_refresh_token_no_longer_verifies() {
    let clock = Clock::manual(NOW);
    let (issuer, _) = issuer_with_store(&clock);
    block_on(async {
        let pair = issuer.issue_pair("u", &()).unwrap();
        let _next = issuer
            .rotate(&pair.refresh_token)
            .await
            .unwrap()
            .issue(&())
            .unwrap();
        assert!(matches!(
            issuer.verify_refresh(&pair.refresh_token).await,
            Err(TokenError::Revoked)
        ));
    });
}

#[test]
fn of_many_concurrent_rotations_exactly_one_wins() {
    let store = Arc::new(MemoryStore::new());
    let issuer = Issuer::builder(hs256())
        .shared_store(store)
        .build()
        .unwrap();
    let pair = issuer.issue_pair("u", &()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let results: Vec<bool> = rt.block_on(async {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (issuer, token) = (issuer.clone(), pair.refresh_token.clone());
                tokio::spawn(async move { issuer.rotate(&token).await.is_ok() })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
}

#[test]
fn refresh_tokens_without_a_family_start_one_named_after_them() {
    // hawkapi-auth's refresh tokens have no `fam`.
    let clock = Clock::manual(NOW);
    let (issuer, _) = issuer_with_store(&clock);
    block_on(async {
        let legacy = issuer.issue_refresh("u", &()).unwrap();
        assert!(issuer.verify_refresh(&legacy).await.unwrap().fam.is_none());
        let legacy_jti = issuer.verify_refresh(&legacy).await.unwrap().jti;
        let next = issuer.rotate(&legacy).await.unwrap().issue(&()).unwrap();
        assert_eq!(
            next.family, legacy_jti,
            "the session continues under the legacy token's id"
        );
        assert!(matches!(
            issuer.rotate(&legacy).await,
            Err(TokenError::Reused)
        ));
        assert!(
            matches!(
                issuer.rotate(&next.refresh_token).await,
                Err(TokenError::Revoked)
            ),
            "a replay ends the session"
        );
    });
}

#[test]
fn logging_out_everywhere_refuses_every_earlier_token_of_the_subject_only() {
    let clock = Clock::manual(NOW);
    let (issuer, _) = issuer_with_store(&clock);
    block_on(async {
        let a = issuer.issue_pair("alice", &()).unwrap();
        let b = issuer.issue_pair("alice", &()).unwrap();
        let lone_access = issuer.issue_access("alice", &()).unwrap();
        let bob = issuer.issue_pair("bob", &()).unwrap();
        clock.advance(5);
        issuer.revoke_subject("alice").await.unwrap();

        for t in [&a.access_token, &b.access_token, &lone_access] {
            assert!(matches!(issuer.verify_access(t), Err(TokenError::Revoked)));
        }
        for t in [&a.refresh_token, &b.refresh_token] {
            assert!(matches!(
                issuer.verify_refresh(t).await,
                Err(TokenError::Revoked)
            ));
            assert!(matches!(issuer.rotate(t).await, Err(TokenError::Revoked)));
        }
        assert!(
            issuer.verify_access(&bob.access_token).is_ok(),
            "other subjects live on"
        );

        // A new login in the very same second is not caught by the cutoff.
        let after = issuer.issue_pair("alice", &()).unwrap();
        assert!(issuer.verify_access(&after.access_token).is_ok());
        assert!(issuer.rotate(&after.refresh_token).await.is_ok());
    });
}

#[test]
fn one_access_token_can_be_revoked() {
    let clock = Clock::manual(NOW);
    let (issuer, _) = issuer_with_store(&clock);
    block_on(async {
        let pair = issuer.issue_pair("u", &()).unwrap();
        let other = issuer.issue_access("u", &()).unwrap();
        let claims = issuer.revoke_access(&pair.access_token).await.unwrap();
        assert!(matches!(
            issuer.verify_access(&pair.access_token),
            Err(TokenError::Revoked)
        ));
        assert!(issuer.verify_access(&other).is_ok());
        assert!(
            issuer.rotate(&pair.refresh_token).await.is_ok(),
            "the session lives on"
        );
        issuer
            .revoke_access(&pair.access_token)
            .await
            .expect("twice is fine");
        let lone = issuer.issue_access("u", &()).unwrap();
        let lone_claims = issuer.verify_access(&lone).unwrap();
        issuer
            .revoke_jti(&lone_claims.jti, lone_claims.exp)
            .await
            .unwrap();
        assert!(issuer.verify_access(&lone).is_err());
        assert!(claims.exp > NOW);
    });
}

/// A store whose backend is down.
struct DownStore(AtomicBool);

impl RevocationStore for DownStore {
    async fn revoke(&self, _: &[Revocation]) -> Result<(), StoreError> {
        self.0.store(true, Ordering::SeqCst);
        Err(StoreError::unavailable("down", "connection refused"))
    }
    async fn consume(&self, _: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        Err(StoreError::unavailable("down", "connection refused"))
    }
    async fn refresh_status(&self, _: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        Err(StoreError::unavailable("down", "connection refused"))
    }
}

#[test]
fn a_store_that_cannot_answer_fails_closed() {
    let issuer = Issuer::builder(hs256())
        .store(DownStore(AtomicBool::new(false)))
        .build()
        .unwrap();
    let pair = issuer.issue_pair("u", &()).unwrap();
    block_on(async {
        for err in [
            issuer
                .verify_refresh(&pair.refresh_token)
                .await
                .unwrap_err(),
            issuer
                .rotate(&pair.refresh_token)
                .await
                .map(|_| ())
                .unwrap_err(),
            issuer
                .revoke_refresh(&pair.refresh_token)
                .await
                .unwrap_err(),
        ] {
            assert!(err.is_store_failure(), "{err}");
            assert!(err.to_string().contains("unavailable"));
        }
        assert!(issuer.revoke_subject("u").await.is_err());
    });
    // The view of an unshared store is the issuer's own: access checks go on.
    assert!(issuer.verify_access(&pair.access_token).is_ok());
}

/// A shared store whose change feed can be switched off.
#[derive(Default)]
struct FlakyFeed {
    down: AtomicBool,
    inner: MemoryStore,
}

impl RevocationStore for FlakyFeed {
    async fn revoke(&self, r: &[Revocation]) -> Result<(), StoreError> {
        self.inner.revoke(r).await
    }
    async fn consume(&self, t: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        self.inner.consume(t).await
    }
    async fn refresh_status(&self, t: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        self.inner.refresh_status(t).await
    }
    fn is_shared(&self) -> bool {
        true
    }
    async fn changes(&self, cursor: &Cursor, _: Duration) -> Result<Changes, StoreError> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("flaky", "connection refused"))
        } else {
            Ok(Changes::new(Vec::new(), cursor.clone()))
        }
    }
}

#[test]
fn a_stale_view_fails_closed_by_default_and_recovers_by_itself() {
    for policy in [StalePolicy::FailClosed, StalePolicy::ServeStale] {
        let store = Arc::new(FlakyFeed::default());
        let issuer = Issuer::builder(hs256())
            .shared_store(store.clone())
            .max_staleness(Duration::from_millis(200))
            .stale_policy(policy)
            .build()
            .unwrap();
        let token = issuer.issue_access("u", &()).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            issuer.load_revocations().await.unwrap();
            let sync = tokio::spawn({
                let issuer = issuer.clone();
                async move { issuer.sync_revocations(tokio::time::sleep).await }
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(issuer.verify_access(&token).is_ok(), "fresh");

            store.down.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(400)).await;
            let stale = issuer.verify_access(&token);
            match policy {
                StalePolicy::FailClosed => {
                    let err = stale.unwrap_err();
                    assert!(err.is_store_failure(), "{err}");
                }
                _ => assert!(stale.is_ok(), "serve_stale keeps serving"),
            }
            assert!(issuer.revocations_age() > Duration::from_millis(200));

            store.down.store(false, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2500)).await;
            assert!(issuer.verify_access(&token).is_ok(), "recovered by itself");
            sync.abort();
        });
    }
}

#[test]
fn a_million_entries_stay_correct_and_expiry_is_drained_incrementally() {
    let clock = Clock::manual(NOW);
    let store = MemoryStore::with_clock(clock.clone());
    let ids: Vec<String> = (0..1_000_000u64)
        .map(|i| format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    let status = |store: &MemoryStore, jti: &str| {
        block_on(store.refresh_status(&RefreshUse::new(
            jti,
            "no-family",
            "s",
            NOW,
            NOW + 10,
            NOW + 10,
        )))
        .unwrap()
    };
    block_on(async {
        for (i, id) in ids.iter().enumerate() {
            // Half expire in 10 s, half in an hour.
            let exp = if i % 2 == 0 { NOW + 10 } else { NOW + 3600 };
            store
                .revoke(&[Revocation::Token {
                    jti: id.clone(),
                    expires_at: exp,
                }])
                .await
                .unwrap();
        }
    });
    assert_eq!(store.len(), 1_000_000);
    assert_eq!(status(&store, &ids[0]), RefreshStatus::Revoked);
    assert_eq!(status(&store, &ids[999_999]), RefreshStatus::Revoked);
    assert_eq!(
        status(&store, "ffffffffffffffffffffffffffffffff"),
        RefreshStatus::Usable
    );

    clock.advance(11);
    assert_eq!(
        status(&store, &ids[0]),
        RefreshStatus::Usable,
        "expired entries no longer count"
    );
    // One write drains a bounded number of expired entries: no full scan per call.
    block_on(store.revoke(&[Revocation::Token {
        jti: "00000000000000000000000000000001".into(),
        expires_at: NOW + 3600,
    }]))
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
    assert_eq!(status(&store, &ids[1]), RefreshStatus::Revoked);
}
