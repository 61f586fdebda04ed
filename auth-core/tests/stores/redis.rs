//! The contract, on `RedisStore` against a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379/`), plus what only Redis has: a server that is down or stops
//! answering, the key layout and its TTLs, log trimming, the change feed between
//! instances, and the blocking read kept off the command connection.
//!
//! Every store gets its own key prefix; the owner of a prefix deletes its keys when it
//! is dropped (and every key has a TTL anyway).

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use auth_core::{
    Consumed, Cursor, Issuer, IssuerConfig, RedisStore, RefreshStatus, Revocation, RevocationStore,
    StoreError, TokenError, random_secret,
};

use crate::contract::{Backend, Held, Token, now, runtime, uid};

fn url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".to_owned())
}

/// Redis is not reachable: fail under CI, skip loudly (once) elsewhere.
fn unreachable(e: &StoreError) {
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!(
            "CI is set but Redis is unreachable ({e}): start a Redis server or point REDIS_URL at \
             one; the RedisStore tests do not skip under CI"
        );
    }
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n\
             ************************************************************************\n\
             *** SKIPPING the RedisStore tests: Redis is unreachable ({e}).\n\
             *** Start one (e.g. `redis-server`) or set REDIS_URL; under CI they fail.\n\
             ************************************************************************\n"
        );
    });
}

/// A store on its own prefix; the first handle deletes the prefix's keys when dropped.
pub type Scoped = Held<RedisStore, PrefixCleanup>;

/// Deletes the keys of a test's prefix when dropped (`None` for twins).
pub struct PrefixCleanup(Option<String>);

impl Drop for PrefixCleanup {
    fn drop(&mut self) {
        if let Some(prefix) = &self.0 {
            delete_prefix(prefix);
        }
    }
}

/// SCAN + DEL of `{prefix}:*`, synchronously (drop cannot await); errors are ignored.
fn delete_prefix(prefix: &str) {
    let Ok(client) = redis::Client::open(url()) else {
        return;
    };
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
        return;
    };
    let pattern = format!("{{{prefix}}}:*");
    let mut cursor = 0u64;
    loop {
        let Ok((next, keys)): redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query(&mut con)
        else {
            return;
        };
        if !keys.is_empty() {
            let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(&keys).query(&mut con);
        }
        if next == 0 {
            return;
        }
        cursor = next;
    }
}

/// A store on a new prefix, or `None` (skip) when Redis is unreachable outside CI.
async fn fresh() -> Option<Scoped> {
    match RedisStore::connect(&url(), &uid("auth-test")).await {
        Ok(store) => {
            let prefix = store.prefix().to_owned();
            Some(Held {
                store,
                guard: PrefixCleanup(Some(prefix)),
            })
        }
        Err(e) => {
            unreachable(&e);
            None
        }
    }
}

/// Another instance on the same prefix: its own connections.
async fn twin(of: &RedisStore) -> Scoped {
    Held {
        store: RedisStore::connect(&url(), of.prefix())
            .await
            .expect("Redis answered a moment ago"),
        guard: PrefixCleanup(None),
    }
}

struct Redis;

impl Backend for Redis {
    type Store = Scoped;
    // Redis drops expired keys itself, and the log is trimmed on every write.
    const PURGES: bool = false;

    async fn fresh(&self) -> Option<Self::Store> {
        fresh().await
    }

    async fn twin(&self, of: &Self::Store) -> Self::Store {
        twin(of).await
    }
}

crate::contract_tests!(Redis);

/// A plain connection, to look at what the store wrote.
async fn raw() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Every key matching `pattern` (SCAN, not KEYS: the server is shared).
async fn scan(con: &mut redis::aio::MultiplexedConnection, pattern: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

fn block_on<F: Future<Output = ()>>(f: F) {
    runtime().block_on(f);
}

#[test]
fn a_redis_that_is_down_fails_connect_quickly() {
    block_on(async {
        let started = Instant::now();
        let err = RedisStore::connect("redis://127.0.0.1:1/", "auth")
            .await
            .expect_err("nothing listens on port 1");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err,
                StoreError::Unavailable {
                    backend: "redis",
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("127.0.0.1:1"), "{msg}");

        assert!(RedisStore::connect("not a url", "auth").await.is_err());
        for prefix in ["", "a{b}", "a b"] {
            let err = RedisStore::connect(&url(), prefix).await.unwrap_err();
            assert!(err.to_string().contains("prefix"), "{err}");
        }
    });
}

#[test]
fn a_server_that_never_answers_fails_connect_within_the_deadline() {
    block_on(async {
        let hole = Proxy::start(None);
        let started = Instant::now();
        let err = RedisStore::connect(&format!("redis://{}/", hole.addr), "auth")
            .await
            .expect_err("a black hole is not Redis");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    });
}

/// Every key is under the `{prefix}` hash tag, every key has a TTL matching what it
/// revokes, expiries only extend, cutoffs only move forward.
#[test]
fn keys_share_one_hash_tag_and_expire() {
    block_on(async {
        let Some(store) = fresh().await else { return };
        let tag = format!("{{{}}}:", store.prefix());
        let (jti, fam, sub) = (uid("jti"), uid("fam"), uid("sub"));
        let t = now();
        store
            .revoke(&[
                Revocation::Token {
                    jti: jti.clone(),
                    expires_at: t + 60,
                },
                Revocation::Family {
                    family: fam.clone(),
                    expires_at: t + 120,
                },
                Revocation::Subject {
                    subject: sub.clone(),
                    cutoff: t - 10,
                    expires_at: t + 90,
                },
                Revocation::Token {
                    jti: uid("past"),
                    expires_at: t - 1,
                },
            ])
            .await
            .unwrap();
        let used = Token::new(&uid("fam"), "s");
        assert_eq!(store.consume(&used.use_()).await.unwrap(), Consumed::Fresh);

        let mut con = raw().await;
        // Look for anything containing the prefix, to catch a key without the tag.
        let keys = scan(&mut con, &format!("*{}*", store.prefix())).await;
        assert_eq!(keys.len(), 5, "tok, fam, sub, used, log: {keys:?}");
        for key in &keys {
            assert!(key.starts_with(&tag), "{key} is outside the hash tag");
            let ttl: i64 = redis::cmd("TTL")
                .arg(key)
                .query_async(&mut con)
                .await
                .unwrap();
            assert!(ttl > 0, "{key} has no TTL ({ttl})");
        }
        let probe = con.clone();
        let ttl = |key: String| {
            let mut con = probe.clone();
            async move {
                redis::cmd("TTL")
                    .arg(key)
                    .query_async::<i64>(&mut con)
                    .await
                    .unwrap()
            }
        };
        let tok_ttl = ttl(format!("{tag}tok:{jti}")).await;
        assert!((58..=60).contains(&tok_ttl), "{tok_ttl}");
        assert!((118..=120).contains(&ttl(format!("{tag}fam:{fam}")).await));
        assert!((88..=90).contains(&ttl(format!("{tag}sub:{sub}")).await));
        let used_ttl = ttl(format!("{tag}used:{}", used.jti)).await;
        assert!((3598..=3600).contains(&used_ttl), "{used_ttl}");
        let log_ttl = ttl(format!("{tag}log")).await;
        assert!(
            log_ttl > 30 * 24 * 3600,
            "the log is kept for the retention: {log_ttl}"
        );
        let used_value: String = redis::cmd("GET")
            .arg(format!("{tag}used:{}", used.jti))
            .query_async(&mut con)
            .await
            .unwrap();
        let (family, attempt) = used_value.split_once(' ').expect("`<family> <attempt id>`");
        assert_eq!(family, used.family, "the used mark holds the family");
        assert_eq!(attempt.len(), 32, "and the id of the attempt that used it");
        let len: usize = redis::cmd("XLEN")
            .arg(format!("{tag}log"))
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(len, 3, "one log entry per revocation not already expired");

        // An earlier expiry never shortens; a later one extends; a cutoff never moves back.
        store
            .revoke(&[
                Revocation::Token {
                    jti: jti.clone(),
                    expires_at: t + 10,
                },
                Revocation::Subject {
                    subject: sub.clone(),
                    cutoff: t - 100,
                    expires_at: t + 300,
                },
            ])
            .await
            .unwrap();
        assert!((58..=60).contains(&ttl(format!("{tag}tok:{jti}")).await));
        assert!((298..=300).contains(&ttl(format!("{tag}sub:{sub}")).await));
        let cutoff: u64 = redis::cmd("GET")
            .arg(format!("{tag}sub:{sub}"))
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(cutoff, t - 10);
        store
            .revoke(&[Revocation::Subject {
                subject: sub.clone(),
                cutoff: t - 5,
                expires_at: t + 30,
            }])
            .await
            .unwrap();
        let cutoff: u64 = redis::cmd("GET")
            .arg(format!("{tag}sub:{sub}"))
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(cutoff, t - 5, "a later cutoff moves forward");
        assert!((298..=300).contains(&ttl(format!("{tag}sub:{sub}")).await));
    });
}

#[test]
fn the_log_is_trimmed_to_the_retention() {
    block_on(async {
        let Some(store) = fresh().await else { return };
        // Same prefix, one-second retention (the owner `_owner` cleans up).
        let (_owner, store) = (
            &store,
            RedisStore::connect(&url(), store.prefix())
                .await
                .unwrap()
                .with_retention(Duration::from_secs(1)),
        );
        let log = format!("{{{}}}:log", store.prefix());
        let mut con = raw().await;
        let many: Vec<_> = (0..150)
            .map(|i| Revocation::Token {
                jti: format!("old-{i}"),
                expires_at: now() + 600,
            })
            .collect();
        store.revoke(&many).await.unwrap();
        let len: usize = redis::cmd("XLEN")
            .arg(&log)
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(len, 150);
        let pttl: i64 = redis::cmd("PTTL")
            .arg(&log)
            .query_async(&mut con)
            .await
            .unwrap();
        assert!(
            (1..=1000).contains(&pttl),
            "the log lives for the retention: {pttl}"
        );

        tokio::time::sleep(Duration::from_millis(1200)).await;
        let fresh_one = Revocation::Token {
            jti: "new".into(),
            expires_at: now() + 600,
        };
        store
            .revoke(std::slice::from_ref(&fresh_one))
            .await
            .unwrap();
        let len: usize = redis::cmd("XLEN")
            .arg(&log)
            .query_async(&mut con)
            .await
            .unwrap();
        // `MINID ~` drops whole stream nodes (100 entries by default), so some of the old
        // entries may remain; the first node must be gone.
        assert!((1..=51).contains(&len), "{len}");
        let snapshot = store.snapshot().await.unwrap();
        assert!(snapshot.revocations.contains(&fresh_one));
        assert!(snapshot.revocations.len() <= 51);
    });
}

/// What one instance revokes, another hears of through `changes` while it waits, not
/// after the wait.
#[test]
fn changes_hear_another_instance_within_the_wait() {
    block_on(async {
        let Some(writer) = fresh().await else { return };
        let reader = twin(&writer).await;
        let cursor = reader.snapshot().await.unwrap().cursor;
        let family = uid("fam");
        let revocation = Revocation::Family {
            family: family.clone(),
            expires_at: now() + 60,
        };
        let started = Instant::now();
        let (changes, ()) = tokio::join!(reader.changes(&cursor, Duration::from_secs(5)), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            writer
                .revoke(std::slice::from_ref(&revocation))
                .await
                .unwrap();
        });
        let changes = changes.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(changes.revocations, vec![revocation]);
        assert_ne!(changes.cursor, cursor);

        // Nothing new: an empty answer after about the wait, with the same cursor.
        let started = Instant::now();
        let quiet = reader
            .changes(&changes.cursor, Duration::from_millis(300))
            .await
            .unwrap();
        assert!(quiet.revocations.is_empty());
        assert_eq!(quiet.cursor, changes.cursor);
        assert!(started.elapsed() >= Duration::from_millis(250));
        // No wait: at once.
        let started = Instant::now();
        let now_only = reader
            .changes(&changes.cursor, Duration::ZERO)
            .await
            .unwrap();
        assert!(now_only.revocations.is_empty());
        assert!(started.elapsed() < Duration::from_millis(500));
    });
}

/// A waiting `changes` has its own connection: commands on the same store go on.
#[test]
fn a_blocked_read_does_not_stall_commands() {
    block_on(async {
        let Some(store) = fresh().await else { return };
        let cursor = store.snapshot().await.unwrap().cursor;
        let token = Token::new(&uid("fam"), "s");
        let (waited, timings) =
            tokio::join!(store.changes(&cursor, Duration::from_secs(2)), async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let mut timings = Vec::new();
                for _ in 0..5 {
                    let started = Instant::now();
                    store.refresh_status(&token.use_()).await.unwrap();
                    timings.push(started.elapsed());
                }
                timings
            });
        assert!(waited.unwrap().revocations.is_empty());
        assert!(
            timings.iter().all(|t| *t < Duration::from_millis(500)),
            "{timings:?}"
        );
    });
}

#[test]
fn unreadable_events_and_cursors_do_not_break_the_feed() {
    block_on(async {
        let Some(store) = fresh().await else { return };
        let log = format!("{{{}}}:log", store.prefix());
        let before = Revocation::Token {
            jti: uid("jti"),
            expires_at: now() + 60,
        };
        store.revoke(std::slice::from_ref(&before)).await.unwrap();
        let cursor = store.snapshot().await.unwrap().cursor;
        let mut con = raw().await;
        let _: String = redis::cmd("XADD")
            .arg(&log)
            .arg("*")
            .arg("kind")
            .arg("bogus")
            .arg("id")
            .arg("x")
            .query_async(&mut con)
            .await
            .unwrap();
        let after = Revocation::Token {
            jti: uid("jti"),
            expires_at: now() + 60,
        };
        store.revoke(std::slice::from_ref(&after)).await.unwrap();
        let changes = store
            .changes(&cursor, Duration::from_millis(200))
            .await
            .unwrap();
        assert_eq!(
            changes.revocations,
            vec![after.clone()],
            "the bad entry is skipped"
        );
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(snapshot.cursor, changes.cursor);
        assert!(snapshot.revocations.contains(&before) && snapshot.revocations.contains(&after));

        // An empty (never loaded) or garbled cursor reads the log from its start.
        for bad in [Cursor::default(), Cursor("garbage".into())] {
            let all = store
                .changes(&bad, Duration::from_millis(100))
                .await
                .unwrap();
            assert_eq!(all.revocations, vec![before.clone(), after.clone()]);
            assert_eq!(all.cursor, changes.cursor);
        }
    });
}

/// Exactly one of many concurrent consumes is fresh, over four separate instances.
#[test]
fn one_fresh_consume_across_four_instances() {
    block_on(async {
        let Some(first) = fresh().await else { return };
        let mut stores = vec![];
        for _ in 0..3 {
            stores.push(twin(&first).await);
        }
        stores.push(first);
        let stores = Arc::new(stores);
        for _ in 0..5 {
            let token = Arc::new(Token::new(&uid("fam"), "s"));
            let tasks: Vec<_> = (0..64)
                .map(|i| {
                    let (stores, token) = (stores.clone(), token.clone());
                    tokio::spawn(async move { stores[i % 4].consume(&token.use_()).await.unwrap() })
                })
                .collect();
            let mut outcomes = Vec::new();
            for t in tasks {
                outcomes.push(t.await.unwrap());
            }
            let fresh = outcomes.iter().filter(|o| **o == Consumed::Fresh).count();
            assert_eq!(fresh, 1, "{outcomes:?}");
            assert_eq!(
                stores[0].refresh_status(&token.use_()).await.unwrap(),
                RefreshStatus::Revoked,
                "the replays revoked the family"
            );
        }
    });
}

/// End to end: two issuers (two instances) on one Redis share rotation, reuse detection
/// and session revocation; the follower hears of a revocation through its sync loop.
#[test]
fn issuers_on_two_instances_share_sessions() {
    block_on(async {
        let Some(a_store) = fresh().await else { return };
        let b_store = twin(&a_store).await;
        let config = IssuerConfig::hs256(random_secret());
        let a = Issuer::builder(config.clone())
            .store(a_store)
            .build()
            .unwrap();
        let b = Issuer::builder(config).store(b_store).build().unwrap();
        a.load_revocations().await.unwrap();
        b.load_revocations().await.unwrap();
        let follower = b.clone();
        let sync = tokio::spawn(async move { follower.sync_revocations(tokio::time::sleep).await });

        let pair = a.issue_pair("user-1", &()).unwrap();
        b.verify_access(&pair.access_token).unwrap();
        let next = b
            .rotate(&pair.refresh_token)
            .await
            .unwrap()
            .issue(&())
            .unwrap();
        assert!(matches!(
            a.rotate(&pair.refresh_token).await,
            Err(TokenError::Reused)
        ));
        assert!(matches!(
            b.rotate(&next.refresh_token).await,
            Err(TokenError::Revoked)
        ));
        // B never saw the replay: its sync loop brings the family revocation.
        let started = Instant::now();
        while b.verify_access(&next.access_token).is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the revocation did not reach the other instance"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(matches!(
            b.verify_access(&next.access_token),
            Err(TokenError::Revoked)
        ));

        sync.abort();
        let _ = sync.await;
    });
}

/// Rough latency of one consume against this Redis (printed; the bound is loose).
#[test]
fn consume_latency() {
    block_on(async {
        let Some(store) = fresh().await else { return };
        let tokens: Vec<_> = (0..300).map(|_| Token::new(&uid("fam"), "s")).collect();
        for t in &tokens[..20] {
            store.consume(&t.use_()).await.unwrap();
        }
        let started = Instant::now();
        for t in &tokens[20..] {
            assert_eq!(store.consume(&t.use_()).await.unwrap(), Consumed::Fresh);
        }
        let each = started.elapsed() / 280;
        let _ = writeln!(
            std::io::stderr(),
            "RedisStore: one consume takes {each:?} (sequential, 280 runs)"
        );
        assert!(each < Duration::from_millis(50), "{each:?}");
    });
}

/// A Redis that stops answering (connections hang) or goes away (connections reset, new
/// ones refused) makes calls fail fast, and the store recovers when it is back.
#[test]
fn outages_fail_fast_and_recover() {
    block_on(async {
        let Some(direct) = fresh().await else { return };
        let info = redis::Client::open(url()).unwrap();
        let redis::ConnectionAddr::Tcp(host, port) = info.get_connection_info().addr().clone()
        else {
            return;
        };
        let upstream = format!("{host}:{port}");
        let Ok(upstream_addr) = upstream.parse::<SocketAddr>() else {
            return;
        };
        let proxy = Proxy::start(Some(upstream_addr));
        let proxied_url = url().replace(&upstream, &proxy.addr.to_string());
        let store = RedisStore::connect(&proxied_url, direct.prefix())
            .await
            .unwrap();
        let token = Token::new(&uid("fam"), "s");
        assert_eq!(
            store.refresh_status(&token.use_()).await.unwrap(),
            RefreshStatus::Usable
        );
        let cursor = store.snapshot().await.unwrap().cursor;
        store.changes(&cursor, Duration::ZERO).await.unwrap();

        for (outage, mode) in [("hanging", HOLD), ("refusing", REFUSE)] {
            proxy.set(mode);
            for _ in 0..3 {
                let started = Instant::now();
                let err = store.refresh_status(&token.use_()).await.unwrap_err();
                assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
                assert!(
                    started.elapsed() < Duration::from_millis(2600),
                    "{outage}: {:?}",
                    started.elapsed()
                );
            }
            let started = Instant::now();
            let err = store
                .changes(&cursor, Duration::from_millis(500))
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{outage}: {:?}",
                started.elapsed()
            );

            proxy.set(FORWARD);
            let started = Instant::now();
            loop {
                if store.refresh_status(&token.use_()).await.is_ok()
                    && store.changes(&cursor, Duration::ZERO).await.is_ok()
                {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{outage}: no recovery"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(
                store
                    .consume(&Token::new(&uid("fam"), "s").use_())
                    .await
                    .unwrap(),
                Consumed::Fresh
            );
        }
    });
}

const FORWARD: u8 = 0;
/// Connections stay open but nothing is forwarded: a hung server or a network partition.
const HOLD: u8 = 1;
/// Open connections are reset and new ones closed at once: a server that went away.
const REFUSE: u8 = 2;

/// A TCP proxy in front of Redis whose behaviour can be switched (`None`: a black hole).
struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: Option<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(if upstream.is_some() {
            FORWARD
        } else {
            HOLD
        }));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (m, o) = (mode.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                match (m.load(Ordering::SeqCst), upstream) {
                    (REFUSE, _) => drop(client),
                    (FORWARD, Some(up)) => {
                        let Ok(server) = TcpStream::connect(up) else {
                            continue;
                        };
                        let mut open = o.lock().unwrap();
                        open.push(client.try_clone().unwrap());
                        open.push(server.try_clone().unwrap());
                        pump(
                            client.try_clone().unwrap(),
                            server.try_clone().unwrap(),
                            m.clone(),
                        );
                        pump(server, client, m.clone());
                    }
                    _ => o.lock().unwrap().push(client),
                }
            }
        });
        Self { addr, mode, open }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        if mode == REFUSE {
            for s in self.open.lock().unwrap().drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, mode: Arc<AtomicU8>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            while mode.load(Ordering::SeqCst) == HOLD {
                std::thread::sleep(Duration::from_millis(10));
            }
            if mode.load(Ordering::SeqCst) == REFUSE || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}
