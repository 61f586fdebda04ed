//! Several quickstart processes sharing one Redis: revocations cross instances, replays
//! end sessions everywhere, concurrent refreshes have one winner; and a Redis that goes
//! down and comes back: 503s meanwhile, recovery after, nothing lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{
    Server, command, eventually, header, redis_url, request, start, temp_path, unique_prefix,
};
use serde_json::{Value, json};

const SECRET: &str = "instances-test-secret-instances-test-secret-0123";

fn instance(db: &std::path::Path, url: &str, prefix: &str, staleness: Option<u64>) -> Server {
    let mut cmd = command(db);
    cmd.env("ROCKET_AUTH_SECRET", SECRET)
        .env("ROCKET_AUTH_STORE", "redis")
        .env("ROCKET_AUTH_REDIS_URL", url)
        .env("ROCKET_AUTH_REDIS_PREFIX", prefix);
    if let Some(s) = staleness {
        cmd.env("ROCKET_AUTH_MAX_STALENESS", s.to_string());
    }
    start(cmd, Vec::new())
}

fn login(port: u16, email: &str) -> Value {
    let creds = json!({"email": email, "password": "correct horse"});
    let (status, _, pair) = request(port, "POST", "/login", None, Some(&creds));
    assert_eq!(status, 200, "{pair}");
    pair
}

fn register(port: u16, email: &str) {
    let creds = json!({"email": email, "password": "correct horse"});
    assert_eq!(
        request(port, "POST", "/register", None, Some(&creds)).0,
        201
    );
}

fn t<'a>(pair: &'a Value, kind: &str) -> &'a str {
    pair[kind].as_str().unwrap()
}

fn me(port: u16, access: &str) -> u16 {
    request(port, "GET", "/me", Some(access), None).0
}

fn refresh(port: u16, refresh_token: &str) -> (u16, Value) {
    let (status, _, body) = request(
        port,
        "POST",
        "/refresh",
        None,
        Some(&json!({"refresh_token": refresh_token})),
    );
    (status, body)
}

struct Files(Vec<PathBuf>);
impl Drop for Files {
    fn drop(&mut self) {
        for f in &self.0 {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

#[test]
fn two_instances_share_revocations_through_redis() {
    let Some(url) = redis_url("two quickstart instances sharing Redis") else {
        return;
    };
    let db = temp_path("instances-shared");
    let _ = std::fs::remove_file(&db);
    let _files = Files(vec![db.clone()]);
    let prefix = unique_prefix("shared");
    let a = instance(&db, &url, &prefix, None);
    let b = instance(&db, &url, &prefix, None);
    let propagation = Duration::from_secs(2);
    register(a.port, "ivy@example.com");

    // Logout on A: B refuses the session's refresh and access tokens.
    let s1 = login(a.port, "ivy@example.com");
    assert_eq!(me(b.port, t(&s1, "access_token")), 200);
    assert_eq!(
        request(
            a.port,
            "POST",
            "/logout",
            None,
            Some(&json!({"refresh_token": t(&s1, "refresh_token")}))
        )
        .0,
        200
    );
    assert!(
        eventually(propagation, || me(b.port, t(&s1, "access_token")) == 401),
        "B still accepts a logged-out session"
    );
    assert_eq!(refresh(b.port, t(&s1, "refresh_token")).0, 401);

    // Logout everywhere on B: A refuses every earlier token.
    let s2 = login(a.port, "ivy@example.com");
    let s3 = login(b.port, "ivy@example.com");
    assert_eq!(
        request(
            b.port,
            "POST",
            "/logout-all",
            Some(t(&s2, "access_token")),
            None
        )
        .0,
        200
    );
    for s in [&s2, &s3] {
        assert!(
            eventually(propagation, || me(a.port, t(s, "access_token")) == 401),
            "A still accepts a token after logout-all"
        );
        assert_eq!(refresh(a.port, t(s, "refresh_token")).0, 401);
    }

    // A replay on B ends the session on A, including the newer tokens.
    let first = login(a.port, "ivy@example.com");
    let (status, second) = refresh(a.port, t(&first, "refresh_token"));
    assert_eq!(status, 200);
    assert_eq!(
        refresh(b.port, t(&first, "refresh_token")).0,
        401,
        "the replay is refused"
    );
    assert_eq!(
        refresh(a.port, t(&second, "refresh_token")).0,
        401,
        "and the session is over"
    );
    assert!(eventually(propagation, || me(
        a.port,
        t(&second, "access_token")
    ) == 401));
    assert!(eventually(propagation, || me(
        b.port,
        t(&second, "access_token")
    ) == 401));

    // Concurrent refreshes of one token on both instances: exactly one winner.
    for round in 0..3 {
        let pair = login(b.port, "ivy@example.com");
        let token = t(&pair, "refresh_token").to_owned();
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let port = if i % 2 == 0 { a.port } else { b.port };
                let token = token.clone();
                std::thread::spawn(move || refresh(port, &token).0)
            })
            .collect();
        let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 401),
            "{statuses:?}"
        );
    }
}

#[test]
fn an_unreachable_redis_stops_the_launch_with_a_clear_message() {
    let db = temp_path("instances-unreachable");
    let _files = Files(vec![db.clone()]);
    let mut cmd = command(&db);
    cmd.env("ROCKET_AUTH_SECRET", SECRET)
        .env("ROCKET_AUTH_STORE", "redis")
        .env(
            "ROCKET_AUTH_REDIS_URL",
            format!("redis://127.0.0.1:{}/", free_port()),
        );
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("cannot reach the Redis revocation store"),
        "{text}"
    );
    assert!(text.contains("ROCKET_AUTH_REDIS_URL"), "{text}");
}

/// A redis-server of the test's own, with an append-only file so that a restart keeps
/// its data (as production Redis must).
struct PrivateRedis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl PrivateRedis {
    fn start(port: u16, dir: PathBuf) -> Option<Self> {
        let child = Self::spawn(port, &dir)?;
        Some(Self {
            child: Some(child),
            port,
            dir,
        })
    }

    fn spawn(port: u16, dir: &std::path::Path) -> Option<Child> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let child = Command::new(&binary)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .args(["--appendfsync", "always", "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none_or(|v| v.is_empty()),
                    "CI is set and `{binary}` cannot run ({e}): install redis-server or set REDIS_SERVER"
                );
                eprintln!("SKIPPED: the Redis fault test needs `{binary}`: {e}");
                return None;
            }
        };
        let ready = eventually(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(
            ready,
            "the private redis-server did not start on port {port}"
        );
        Some(child)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: Redis flushes its append-only file and exits.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        self.child = Some(Self::spawn(self.port, &self.dir).expect("restart redis-server"));
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_redis_outage_gives_503s_then_recovers_without_losing_revocations() {
    let dir = std::env::temp_dir().join(format!("quickstart-redis-fault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let Some(mut redis) = PrivateRedis::start(free_port(), dir) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}/", redis.port);
    let db = temp_path("instances-fault");
    let _ = std::fs::remove_file(&db);
    let _files = Files(vec![db.clone()]);
    let server = instance(&db, &url, "fault", Some(1));
    let port = server.port;

    register(port, "jo@example.com");
    let ended = login(port, "jo@example.com");
    let live = login(port, "jo@example.com");
    assert_eq!(
        request(
            port,
            "POST",
            "/logout",
            None,
            Some(&json!({"refresh_token": t(&ended, "refresh_token")}))
        )
        .0,
        200
    );

    redis.stop();
    // Everything that needs the store answers 503 with Retry-After, never 401 or 200.
    let (status, headers, body) = request(
        port,
        "POST",
        "/refresh",
        None,
        Some(&json!({"refresh_token": t(&live, "refresh_token")})),
    );
    assert_eq!(status, 503, "{body}");
    assert!(header(&headers, "retry-after").is_some());
    assert_eq!(
        request(
            port,
            "POST",
            "/logout-all",
            Some(t(&live, "access_token")),
            None
        )
        .0,
        503
    );
    // Access checks fail closed once the view is older than max_staleness (1 s here).
    assert!(
        eventually(Duration::from_secs(5), || me(
            port,
            t(&live, "access_token")
        ) == 503),
        "access tokens must fail closed"
    );
    assert_eq!(
        request(port, "GET", "/health", None, None).0,
        200,
        "open routes still work"
    );

    redis.restart();
    // Back by itself: the view catches up, the store answers again.
    assert!(
        eventually(Duration::from_secs(15), || me(
            port,
            t(&live, "access_token")
        ) == 200),
        "no recovery after Redis came back"
    );
    let (status, _) = refresh(port, t(&live, "refresh_token"));
    assert_eq!(status, 200);
    // Nothing revoked before the outage was lost.
    assert_eq!(me(port, t(&ended, "access_token")), 401);
    assert_eq!(refresh(port, t(&ended, "refresh_token")).0, 401);
    // And a new instance started after the outage loads it too.
    let late = instance(&db, &url, "fault", None);
    assert_eq!(me(late.port, t(&ended, "access_token")), 401);
}
