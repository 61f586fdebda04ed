//! The behaviour every revocation store must show. `contract_tests!(Backend)` expands to
//! one `#[test]` per rule for a backend.

use std::future::Future;
use std::ops::Deref;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{
    Changes, Consumed, Cursor, RefreshStatus, RefreshUse, Revocation, RevocationStore, StoreError,
};

/// How a test gets stores.
pub trait Backend: Send + Sync + 'static {
    type Store: RevocationStore;

    /// A fresh, empty store isolated from every other test (its own file, its own key
    /// prefix). `None` skips the test (the backend's server is not running, outside CI).
    fn fresh(&self) -> impl Future<Output = Option<Self::Store>> + Send;

    /// Another handle on the same store, as another process would open it.
    fn twin(&self, of: &Self::Store) -> impl Future<Output = Self::Store> + Send;

    /// Whether `purge_expired` removes anything (false for a store whose server expires
    /// entries by itself).
    const PURGES: bool = true;
}

/// A store and what must outlive it (its temp file, the cleanup of its key prefix):
/// fields drop in order, so the store closes first. Every trait method is passed
/// through, so the suite tests the store's own methods, never a trait default.
pub struct Held<S, G> {
    pub store: S,
    pub guard: G,
}

impl<S, G> Deref for Held<S, G> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.store
    }
}

impl<S: RevocationStore, G: Send + Sync + 'static> RevocationStore for Held<S, G> {
    async fn revoke(&self, revocations: &[Revocation]) -> Result<(), StoreError> {
        self.store.revoke(revocations).await
    }
    async fn consume(&self, token: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        self.store.consume(token).await
    }
    async fn refresh_status(&self, token: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        self.store.refresh_status(token).await
    }
    fn is_shared(&self) -> bool {
        self.store.is_shared()
    }
    async fn snapshot(&self) -> Result<Changes, StoreError> {
        self.store.snapshot().await
    }
    async fn changes(&self, cursor: &Cursor, wait: Duration) -> Result<Changes, StoreError> {
        self.store.changes(cursor, wait).await
    }
    async fn purge_expired(&self) -> Result<usize, StoreError> {
        self.store.purge_expired().await
    }
    fn name(&self) -> &'static str {
        self.store.name()
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// A unique id (tests run in parallel against the same server).
pub fn uid(tag: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{tag}-{}-{}-{}",
        std::process::id(),
        now(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub struct Token {
    pub jti: String,
    pub family: String,
    pub subject: String,
    pub issued_at: u64,
    pub ttl: u64,
}

impl Token {
    pub fn new(family: &str, subject: &str) -> Self {
        Self {
            jti: uid("jti"),
            family: family.to_owned(),
            subject: subject.to_owned(),
            issued_at: now(),
            ttl: 3600,
        }
    }
    pub fn use_(&self) -> RefreshUse<'_> {
        RefreshUse::new(
            &self.jti,
            &self.family,
            &self.subject,
            self.issued_at,
            now() + self.ttl,
            now() + self.ttl,
        )
    }
}

pub async fn revocations_are_reported<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let (fam, sub) = (uid("fam"), uid("sub"));
    let by_token = Token::new(&fam, &sub);
    let by_family = Token::new(&fam, &sub);
    let other = Token::new(&uid("fam"), &uid("sub"));
    assert_eq!(
        store.refresh_status(&by_token.use_()).await.unwrap(),
        RefreshStatus::Usable
    );

    store
        .revoke(&[Revocation::Token {
            jti: by_token.jti.clone(),
            expires_at: now() + 60,
        }])
        .await
        .unwrap();
    assert_eq!(
        store.refresh_status(&by_token.use_()).await.unwrap(),
        RefreshStatus::Revoked
    );
    assert_eq!(
        store.refresh_status(&by_family.use_()).await.unwrap(),
        RefreshStatus::Usable
    );

    store
        .revoke(&[Revocation::Family {
            family: fam.clone(),
            expires_at: now() + 60,
        }])
        .await
        .unwrap();
    assert_eq!(
        store.refresh_status(&by_family.use_()).await.unwrap(),
        RefreshStatus::Revoked
    );
    assert_eq!(
        store.consume(&by_family.use_()).await.unwrap(),
        Consumed::Revoked
    );
    assert_eq!(
        store.refresh_status(&other.use_()).await.unwrap(),
        RefreshStatus::Usable
    );
    // Revoking again is not an error.
    store
        .revoke(&[Revocation::Family {
            family: fam,
            expires_at: now() + 60,
        }])
        .await
        .unwrap();
}

pub async fn subject_cutoffs_cover_earlier_tokens_only<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let sub = uid("sub");
    let mut early = Token::new(&uid("fam"), &sub);
    early.issued_at = now() - 10;
    let mut at_cutoff = Token::new(&uid("fam"), &sub);
    at_cutoff.issued_at = now() - 5;
    let mut late = Token::new(&uid("fam"), &sub);
    late.issued_at = now() - 4;
    let cutoff = now() - 5;
    store
        .revoke(&[Revocation::Subject {
            subject: sub.clone(),
            cutoff,
            expires_at: now() + 60,
        }])
        .await
        .unwrap();
    assert_eq!(
        store.refresh_status(&early.use_()).await.unwrap(),
        RefreshStatus::Revoked
    );
    assert_eq!(
        store.refresh_status(&at_cutoff.use_()).await.unwrap(),
        RefreshStatus::Revoked
    );
    assert_eq!(
        store.refresh_status(&late.use_()).await.unwrap(),
        RefreshStatus::Usable
    );
    assert_eq!(
        store.consume(&early.use_()).await.unwrap(),
        Consumed::Revoked
    );
    // A cutoff never moves back.
    store
        .revoke(&[Revocation::Subject {
            subject: sub,
            cutoff: cutoff - 100,
            expires_at: now() + 60,
        }])
        .await
        .unwrap();
    assert_eq!(
        store.refresh_status(&at_cutoff.use_()).await.unwrap(),
        RefreshStatus::Revoked
    );
}

pub async fn consuming_twice_revokes_the_family<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let fam = uid("fam");
    let first = Token::new(&fam, "s");
    let second = Token::new(&fam, "s");
    assert_eq!(store.consume(&first.use_()).await.unwrap(), Consumed::Fresh);
    assert_eq!(
        store.refresh_status(&first.use_()).await.unwrap(),
        RefreshStatus::Used
    );
    assert_eq!(
        store.refresh_status(&second.use_()).await.unwrap(),
        RefreshStatus::Usable
    );
    assert_eq!(
        store.consume(&first.use_()).await.unwrap(),
        Consumed::Reused
    );
    assert_eq!(
        store.refresh_status(&second.use_()).await.unwrap(),
        RefreshStatus::Revoked,
        "the family is revoked"
    );
    assert_eq!(
        store.consume(&second.use_()).await.unwrap(),
        Consumed::Revoked
    );
    assert_eq!(
        store.consume(&first.use_()).await.unwrap(),
        Consumed::Revoked
    );
}

pub async fn of_concurrent_consumes_exactly_one_is_fresh<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let other = b.twin(&store).await;
    let stores = std::sync::Arc::new((store, other));
    for _ in 0..5 {
        let token = std::sync::Arc::new(Token::new(&uid("fam"), "s"));
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (stores, token) = (stores.clone(), token.clone());
                tokio::spawn(async move {
                    let store = if i % 2 == 0 { &stores.0 } else { &stores.1 };
                    store.consume(&token.use_()).await.unwrap()
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let fresh = outcomes.iter().filter(|o| **o == Consumed::Fresh).count();
        assert_eq!(fresh, 1, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Consumed::Fresh | Consumed::Reused | Consumed::Revoked))
        );
        assert!(
            outcomes.contains(&Consumed::Reused),
            "later uses are replays"
        );
    }
}

pub async fn entries_expire_with_their_tokens<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let fam = uid("fam");
    let mut used = Token::new(&fam, "s");
    used.ttl = 1;
    let revoked = Token::new(&uid("fam"), "s");
    assert_eq!(store.consume(&used.use_()).await.unwrap(), Consumed::Fresh);
    store
        .revoke(&[Revocation::Token {
            jti: revoked.jti.clone(),
            expires_at: now() + 1,
        }])
        .await
        .unwrap();
    // An entry that already expired is not kept at all.
    let past = Token::new(&uid("fam"), "s");
    store
        .revoke(&[Revocation::Token {
            jti: past.jti.clone(),
            expires_at: now().saturating_sub(1),
        }])
        .await
        .unwrap();
    assert_eq!(
        store.refresh_status(&past.use_()).await.unwrap(),
        RefreshStatus::Usable
    );

    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        store.refresh_status(&revoked.use_()).await.unwrap(),
        RefreshStatus::Usable
    );
    let mut again = Token::new(&fam, "s");
    again.jti.clone_from(&used.jti);
    assert_eq!(
        store.refresh_status(&again.use_()).await.unwrap(),
        RefreshStatus::Usable,
        "the used mark expired"
    );
}

pub async fn purging_drops_what_expired_and_keeps_the_rest<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    let (short, long) = (Token::new(&uid("fam"), "s"), Token::new(&uid("fam"), "s"));
    let mut used = Token::new(&uid("fam"), "s");
    used.ttl = 1;
    assert_eq!(store.consume(&used.use_()).await.unwrap(), Consumed::Fresh);
    store
        .revoke(&[
            Revocation::Token {
                jti: short.jti.clone(),
                expires_at: now() + 1,
            },
            Revocation::Token {
                jti: long.jti.clone(),
                expires_at: now() + 3600,
            },
            Revocation::Subject {
                subject: "purge-subject".into(),
                cutoff: now(),
                expires_at: now() + 3600,
            },
        ])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let dropped = store.purge_expired().await.unwrap();
    if B::PURGES {
        assert!(
            dropped >= 2,
            "the revoked token and the used mark: {dropped}"
        );
    }
    assert_eq!(
        store.purge_expired().await.unwrap(),
        0,
        "nothing left to purge"
    );
    assert_eq!(
        store.refresh_status(&long.use_()).await.unwrap(),
        RefreshStatus::Revoked,
        "a live revocation survives the purge"
    );
    let mut cut = Token::new(&uid("fam"), "purge-subject");
    cut.issued_at = now() - 10;
    assert_eq!(
        store.refresh_status(&cut.use_()).await.unwrap(),
        RefreshStatus::Revoked,
        "a live subject cutoff survives the purge"
    );
    assert_eq!(
        store.refresh_status(&short.use_()).await.unwrap(),
        RefreshStatus::Usable
    );
}

pub async fn other_handles_see_revocations_through_changes<B: Backend>(b: &B) {
    let Some(store) = b.fresh().await else { return };
    if !store.is_shared() {
        return;
    }
    let other = b.twin(&store).await;
    let before = Revocation::Family {
        family: uid("fam"),
        expires_at: now() + 60,
    };
    store.revoke(std::slice::from_ref(&before)).await.unwrap();
    let expired = Revocation::Token {
        jti: uid("jti"),
        expires_at: now().saturating_sub(1),
    };
    store.revoke(std::slice::from_ref(&expired)).await.unwrap();

    let snapshot = other.snapshot().await.unwrap();
    assert!(
        snapshot.revocations.contains(&before),
        "{:?}",
        snapshot.revocations
    );
    assert!(!snapshot.revocations.contains(&expired));

    let after = [
        Revocation::Token {
            jti: uid("jti"),
            expires_at: now() + 60,
        },
        Revocation::Subject {
            subject: uid("sub"),
            cutoff: now(),
            expires_at: now() + 60,
        },
    ];
    store.revoke(&after).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor: Cursor = snapshot.cursor;
    for _ in 0..10 {
        let changes = other
            .changes(&cursor, Duration::from_millis(500))
            .await
            .unwrap();
        seen.extend(changes.revocations);
        cursor = changes.cursor;
        if after.iter().all(|r| seen.contains(r)) {
            break;
        }
    }
    assert!(after.iter().all(|r| seen.contains(r)), "{seen:?}");
    assert!(!seen.contains(&before), "changes start after the snapshot");

    // A reuse detected through one handle is a family revocation the other one hears of.
    let fam = uid("fam");
    let t = Token::new(&fam, "s");
    assert_eq!(store.consume(&t.use_()).await.unwrap(), Consumed::Fresh);
    assert_eq!(other.consume(&t.use_()).await.unwrap(), Consumed::Reused);
    let mut heard = false;
    for _ in 0..10 {
        let changes = store
            .changes(&cursor, Duration::from_millis(500))
            .await
            .unwrap();
        cursor = changes.cursor;
        if changes
            .revocations
            .iter()
            .any(|r| matches!(r, Revocation::Family { family, .. } if *family == fam))
        {
            heard = true;
            break;
        }
    }
    assert!(heard, "the family revoked by reuse is in the change feed");

    // Nothing new: an empty answer with a usable cursor, not an error.
    let quiet = other
        .changes(&cursor, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(
        quiet
            .revocations
            .iter()
            .all(|r| !matches!(r, Revocation::Token { .. }))
    );
}

/// One `#[test]` per contract rule for `$backend`.
#[macro_export]
macro_rules! contract_tests {
    ($backend:expr) => {
        $crate::contract_tests!(@each $backend;
            revocations_are_reported,
            subject_cutoffs_cover_earlier_tokens_only,
            consuming_twice_revokes_the_family,
            of_concurrent_consumes_exactly_one_is_fresh,
            entries_expire_with_their_tokens,
            purging_drops_what_expired_and_keeps_the_rest,
            other_handles_see_revocations_through_changes,
        );
    };
    (@each $backend:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::contract::runtime().block_on($crate::contract::$name(&$backend));
            }
        )+
    };
}
