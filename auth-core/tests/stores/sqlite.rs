//! The contract, on the SQLite store: every test gets its own file in the temp dir, and
//! `twin` opens a second store (a second connection, as another process would) on it.
//! Then what only a file-backed store shows: surviving a restart, handles in separate
//! threads and runtimes, expiry and bounded growth, and an issuer end to end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    Clock, Consumed, Cursor, Issuer, IssuerConfig, RefreshStatus, RefreshUse, Revocation,
    RevocationStore, SqliteStore, StoreError, TokenError, random_secret,
};

use crate::contract::{Backend, Held, Token, now, runtime, uid};

/// A database file in the temp dir, deleted (with its WAL and shared-memory files) when
/// the last handle on it is dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Arc<Self> {
        Arc::new(Self(
            std::env::temp_dir().join(format!("{}.sqlite3", uid("auth-core-store"))),
        ))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A store and the file it lives in (dropped after the store).
type Handle = Held<SqliteStore, Arc<TempDb>>;

fn open(db: &Arc<TempDb>) -> Handle {
    Held {
        store: SqliteStore::open(&db.0).unwrap(),
        guard: db.clone(),
    }
}

struct Sqlite;

impl Backend for Sqlite {
    type Store = Handle;

    async fn fresh(&self) -> Option<Self::Store> {
        Some(open(&TempDb::new()))
    }

    async fn twin(&self, of: &Self::Store) -> Self::Store {
        open(&of.guard)
    }
}

crate::contract_tests!(Sqlite);

fn count(path: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_file_is_set_up_for_several_processes() {
    let db = TempDb::new();
    let store = SqliteStore::open(&db.0).unwrap();
    assert_eq!(store.name(), "sqlite");
    assert!(store.is_shared());
    assert_eq!(store.path(), db.0.as_path());
    let conn = rusqlite::Connection::open(&db.0).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.retain(|t| t != "sqlite_sequence");
    assert!(tables.iter().all(|t| t.starts_with("auth_")), "{tables:?}");
    assert_eq!(tables.len(), 6, "{tables:?}");
    // Opening again (another process starting) is fine.
    drop(SqliteStore::open(&db.0).unwrap());
}

#[test]
fn an_unknown_schema_version_is_refused() {
    let db = TempDb::new();
    drop(SqliteStore::open(&db.0).unwrap());
    rusqlite::Connection::open(&db.0)
        .unwrap()
        .execute(
            "UPDATE auth_meta SET value = 99 WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let err = SqliteStore::open(&db.0).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}

#[test]
fn an_unusable_path_is_an_error_not_a_panic() {
    let dir = std::env::temp_dir().join(uid("auth-core-missing-dir"));
    let err = SqliteStore::open(dir.join("nested").join("auth.sqlite3")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                backend: "sqlite",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn revocations_and_used_marks_survive_a_restart() {
    let db = TempDb::new();
    let (fam, sub) = (uid("fam"), uid("sub"));
    let used = Token::new(&uid("fam"), "s");
    let revoked = Token::new(&uid("fam"), "s");
    let in_family = Token::new(&fam, "s");
    let mut cut_off = Token::new(&uid("fam"), &sub);
    cut_off.issued_at = now() - 10;
    let revocations = [
        Revocation::Token {
            jti: revoked.jti.clone(),
            expires_at: now() + 60,
        },
        Revocation::Family {
            family: fam,
            expires_at: now() + 60,
        },
        Revocation::Subject {
            subject: sub,
            cutoff: now() - 5,
            expires_at: now() + 60,
        },
    ];
    runtime().block_on(async {
        let store = SqliteStore::open(&db.0).unwrap();
        store.revoke(&revocations).await.unwrap();
        assert_eq!(store.consume(&used.use_()).await.unwrap(), Consumed::Fresh);
    });
    // A new runtime and a new connection: the process restarted.
    runtime().block_on(async {
        let store = SqliteStore::open(&db.0).unwrap();
        for t in [&revoked, &in_family, &cut_off] {
            assert_eq!(
                store.refresh_status(&t.use_()).await.unwrap(),
                RefreshStatus::Revoked
            );
        }
        assert_eq!(
            store.refresh_status(&used.use_()).await.unwrap(),
            RefreshStatus::Used
        );
        assert_eq!(
            store.consume(&used.use_()).await.unwrap(),
            Consumed::Reused,
            "a replay after the restart is still caught"
        );
        let snapshot = store.snapshot().await.unwrap();
        for r in &revocations {
            assert!(snapshot.revocations.contains(r), "{r:?}");
        }
        // Plus the family revoked by the replay.
        assert_eq!(snapshot.revocations.len(), 4, "{:?}", snapshot.revocations);
    });
}

#[test]
fn revoking_is_idempotent_and_only_extends() {
    let db = TempDb::new();
    let clock = Clock::manual(1_000_000);
    runtime().block_on(async {
        let store = SqliteStore::open_with_clock(&db.0, clock.clone()).unwrap();
        let t = |exp| Revocation::Token {
            jti: "j".into(),
            expires_at: exp,
        };
        let s = |cutoff, exp| Revocation::Subject {
            subject: "u".into(),
            cutoff,
            expires_at: exp,
        };
        store
            .revoke(&[t(1_000_100), s(999_990, 1_000_100)])
            .await
            .unwrap();
        let start = store.snapshot().await.unwrap().cursor;
        // Same again, an earlier expiry, an earlier cutoff: nothing changes, nothing is logged.
        store.revoke(&[t(1_000_100), t(1_000_050)]).await.unwrap();
        store.revoke(&[s(999_980, 1_000_050)]).await.unwrap();
        let quiet = store.changes(&start, Duration::ZERO).await.unwrap();
        assert!(quiet.revocations.is_empty(), "{:?}", quiet.revocations);
        assert_eq!(quiet.cursor, start);
        // A later expiry extends; a later cutoff moves forward and keeps the longer expiry.
        store
            .revoke(&[t(1_000_200), s(999_995, 1_000_020)])
            .await
            .unwrap();
        let moved = store.changes(&start, Duration::ZERO).await.unwrap();
        assert_eq!(
            moved.revocations,
            vec![t(1_000_200), s(999_995, 1_000_100)],
            "the log holds each entry as it now stands"
        );
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(snapshot.cursor, moved.cursor);
        assert!(snapshot.revocations.contains(&t(1_000_200)));
        assert!(snapshot.revocations.contains(&s(999_995, 1_000_100)));
        assert_eq!(snapshot.revocations.len(), 2);
        // An expiry already past is not stored.
        store
            .revoke(&[Revocation::Family {
                family: "f".into(),
                expires_at: 1_000_000,
            }])
            .await
            .unwrap();
        assert_eq!(store.snapshot().await.unwrap().revocations.len(), 2);
    });
}

#[test]
fn expired_entries_are_purged_and_growth_is_bounded() {
    let db = TempDb::new();
    let clock = Clock::manual(1_000_000);
    runtime().block_on(async {
        let store = SqliteStore::open_with_clock(&db.0, clock.clone()).unwrap();
        let short: Vec<_> = (0..300)
            .map(|i| Revocation::Token {
                jti: format!("short-{i}"),
                expires_at: 1_000_010,
            })
            .collect();
        store.revoke(&short).await.unwrap();
        for i in 0..100 {
            let jti = format!("used-{i}");
            let t = RefreshUse::new(&jti, "f", "s", 999_999, 1_000_010, 1_000_010);
            assert_eq!(store.consume(&t).await.unwrap(), Consumed::Fresh);
        }
        let before = store.snapshot().await.unwrap();
        assert_eq!(before.revocations.len(), 300);
        assert_eq!(count(&db.0, "auth_revoked_tokens"), 300);
        assert_eq!(count(&db.0, "auth_used_refresh_tokens"), 100);

        clock.advance(10);
        // Expired: gone from the answers at once, before any purge.
        assert!(store.snapshot().await.unwrap().revocations.is_empty());
        let stale = store
            .changes(&Cursor("0".into()), Duration::ZERO)
            .await
            .unwrap();
        assert!(stale.revocations.is_empty());
        assert_eq!(
            stale.cursor, before.cursor,
            "expired rows are skipped, not re-read"
        );
        let t = RefreshUse::new("used-0", "f", "s", 999_999, 1_000_100, 1_000_100);
        assert_eq!(
            store.refresh_status(&t).await.unwrap(),
            RefreshStatus::Usable
        );

        // Each write deletes a few expired rows of each table...
        store
            .revoke(&[Revocation::Token {
                jti: "long".into(),
                expires_at: 1_000_100,
            }])
            .await
            .unwrap();
        assert_eq!(count(&db.0, "auth_revoked_tokens"), 300 - 64 + 1);
        assert_eq!(count(&db.0, "auth_used_refresh_tokens"), 100 - 64);
        // ...and `purge` the rest.
        assert_eq!(store.purge().await.unwrap(), (300 - 64) + (100 - 64));
        assert_eq!(count(&db.0, "auth_revoked_tokens"), 1);
        assert_eq!(count(&db.0, "auth_used_refresh_tokens"), 0);
        assert_eq!(count(&db.0, "auth_revocation_log"), 1);
        assert_eq!(store.purge().await.unwrap(), 0);

        // A cursor taken before the purge still works: sequence numbers never go back.
        let after = store.changes(&before.cursor, Duration::ZERO).await.unwrap();
        assert_eq!(after.revocations.len(), 1);

        // Under a steady load of short-lived entries the tables stay small.
        for round in 0..50u64 {
            let batch: Vec<_> = (0..10)
                .map(|i| Revocation::Token {
                    jti: format!("steady-{round}-{i}"),
                    expires_at: clock.now() + 2,
                })
                .collect();
            store.revoke(&batch).await.unwrap();
            clock.advance(1);
        }
        assert!(count(&db.0, "auth_revoked_tokens") <= 31);
        assert!(count(&db.0, "auth_revocation_log") <= 31);
    });
}

#[test]
fn cursors_from_elsewhere_or_beyond_the_end_read_from_the_start() {
    let db = TempDb::new();
    runtime().block_on(async {
        let store = SqliteStore::open(&db.0).unwrap();
        let r = Revocation::Family {
            family: uid("fam"),
            expires_at: now() + 60,
        };
        store.revoke(std::slice::from_ref(&r)).await.unwrap();
        for cursor in ["", "not a number", "1700000000000-0", "999999"] {
            let changes = store
                .changes(&Cursor(cursor.into()), Duration::from_millis(100))
                .await
                .unwrap();
            assert_eq!(changes.revocations, vec![r.clone()], "{cursor:?}");
            assert_eq!(changes.cursor, Cursor("1".into()));
        }
    });
}

#[test]
fn changes_wait_for_news_and_return_empty_after_the_wait() {
    let db = TempDb::new();
    runtime().block_on(async {
        let store = SqliteStore::open(&db.0).unwrap();
        let other = SqliteStore::open(&db.0).unwrap();
        let cursor = store.snapshot().await.unwrap().cursor;

        let started = std::time::Instant::now();
        let quiet = store
            .changes(&cursor, Duration::from_millis(200))
            .await
            .unwrap();
        assert!(quiet.revocations.is_empty());
        assert_eq!(quiet.cursor, cursor);
        assert!(started.elapsed() >= Duration::from_millis(190));

        let r = Revocation::Token {
            jti: uid("jti"),
            expires_at: now() + 60,
        };
        let writer = {
            let r = r.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                other.revoke(&[r]).await.unwrap();
            })
        };
        let started = std::time::Instant::now();
        let news = store
            .changes(&cursor, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(news.revocations, vec![r]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "returned as soon as news arrived"
        );
        writer.await.unwrap();
    });
}

/// Four handles, each on its own connection, thread and runtime (as four processes would
/// be), race to consume the same refresh tokens.
#[test]
fn handles_in_separate_threads_and_runtimes_consume_each_token_once() {
    const HANDLES: usize = 4;
    const TOKENS: usize = 40;
    let db = TempDb::new();
    drop(SqliteStore::open(&db.0).unwrap());
    let tokens: Arc<Vec<Token>> =
        Arc::new((0..TOKENS).map(|_| Token::new(&uid("fam"), "s")).collect());
    let barrier = Arc::new(std::sync::Barrier::new(HANDLES));
    let threads: Vec<_> = (0..HANDLES)
        .map(|_| {
            let (path, tokens, barrier) = (db.0.clone(), tokens.clone(), barrier.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let store = SqliteStore::open(&path).unwrap();
                barrier.wait();
                rt.block_on(async {
                    let mut outcomes = Vec::new();
                    for t in tokens.iter() {
                        outcomes.push(store.consume(&t.use_()).await.unwrap());
                    }
                    outcomes
                })
            })
        })
        .collect();
    let outcomes: Vec<Vec<Consumed>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for i in 0..TOKENS {
        let of_token: Vec<_> = outcomes.iter().map(|o| o[i]).collect();
        assert_eq!(
            of_token.iter().filter(|o| **o == Consumed::Fresh).count(),
            1,
            "token {i}: {of_token:?}"
        );
        assert!(
            of_token.contains(&Consumed::Reused),
            "token {i}: {of_token:?}"
        );
    }
}

/// Two issuers (two processes) on one file: a replay seen by one revokes the session for
/// both, and an access token revoked by one is refused by the other once it follows the
/// change feed.
#[test]
fn two_issuers_share_sessions_through_the_file() {
    let db = TempDb::new();
    let secret = random_secret();
    runtime().block_on(async {
        let issuer = |store: SqliteStore| {
            Issuer::builder(IssuerConfig::hs256(secret.clone()))
                .store(store)
                .build()
                .unwrap()
        };
        let a = issuer(SqliteStore::open(&db.0).unwrap());
        let b = issuer(SqliteStore::open(&db.0).unwrap());
        assert_eq!(a.store_name(), "sqlite");
        a.load_revocations().await.unwrap();
        b.load_revocations().await.unwrap();
        let follower = {
            let b = b.clone();
            tokio::spawn(async move { b.sync_revocations(tokio::time::sleep).await })
        };

        let first = a.issue_pair("user-1", &()).unwrap();
        let second = a
            .rotate(&first.refresh_token)
            .await
            .unwrap()
            .issue(&())
            .unwrap();
        assert!(matches!(
            b.rotate(&first.refresh_token).await,
            Err(TokenError::Reused)
        ));
        assert!(matches!(
            a.rotate(&second.refresh_token).await,
            Err(TokenError::Revoked)
        ));

        let other = a.issue_pair("user-2", &()).unwrap();
        b.verify_access(&other.access_token).unwrap();
        a.revoke_access(&other.access_token).await.unwrap();
        let mut refused = false;
        for _ in 0..100 {
            if matches!(
                b.verify_access(&other.access_token),
                Err(TokenError::Revoked)
            ) {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "the other issuer heard of the revocation");
        follower.abort();

        // A third process starting later loads everything in force.
        let c = issuer(SqliteStore::open(&db.0).unwrap());
        assert!(c.load_revocations().await.unwrap() >= 2);
        assert!(matches!(
            c.verify_access(&other.access_token),
            Err(TokenError::Revoked)
        ));
        assert!(matches!(
            c.verify_access(&second.access_token),
            Err(TokenError::Revoked)
        ));
    });
}

#[test]
fn works_without_a_tokio_runtime() {
    let db = TempDb::new();
    let store = SqliteStore::open(&db.0).unwrap();
    let t = Token::new(&uid("fam"), "s");
    let outcome = block_on_here(store.consume(&t.use_())).unwrap();
    assert_eq!(outcome, Consumed::Fresh);
    let quiet = block_on_here(store.changes(&Cursor::default(), Duration::from_secs(5))).unwrap();
    assert!(quiet.revocations.is_empty());
}

/// Polls a future to completion on this thread, outside any Tokio runtime.
fn block_on_here<F: Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Thread(std::thread::Thread);
    impl Wake for Thread {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Thread(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}
