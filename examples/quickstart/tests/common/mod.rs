//! Running the quickstart binary as a real process, and talking HTTP/1.1 to it.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A running quickstart; killed (and its files removed) on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    files: Vec<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for f in &self.files {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

/// A unique path in the temp directory.
pub fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("quickstart-{name}-{}.sqlite3", std::process::id()))
}

/// The quickstart command with a clean environment: loopback, random port, cheap
/// password hashing, users in `db`.
pub fn command(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", "0")
        .env("ROCKET_CLI_COLORS", "false")
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASE", db)
        .env("ROCKET_AUTH_PASSWORDS", "{m_cost=1024,t_cost=1,p_cost=1}")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the server and waits for "Rocket has launched from http://127.0.0.1:PORT".
/// `files` are removed when the server is dropped.
pub fn start(mut cmd: Command, files: Vec<PathBuf>) -> Server {
    let mut child = cmd.spawn().expect("start the quickstart binary");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("launched from http://").nth(1) {
                let port = addr
                    .trim()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse::<u16>()
                    .unwrap();
                let _ = tx.send(port);
            }
        }
    });
    let Ok(port) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "the server did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Server { child, port, files }
}

/// One HTTP/1.1 request: status, headers (lowercased names) and the JSON body.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (
        status,
        headers,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Polls `f` every 10 ms until it returns true or `limit` passes; returns whether it did.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// The Redis to test against (`REDIS_URL`, default `redis://127.0.0.1:6379/`), or `None`
/// after a loud notice when it is not reachable outside CI.
///
/// # Panics
///
/// When Redis is not reachable and `CI` is set.
pub fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let hostport = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or_default();
    let hostport = hostport.rsplit('@').next().unwrap_or_default().to_owned();
    let reachable = hostport
        .parse::<std::net::SocketAddr>()
        .map(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok())
        .unwrap_or(false);
    if reachable {
        return Some(url);
    }
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "CI is set and Redis is not reachable at {url} (set REDIS_URL): `{test}` cannot be skipped"
    );
    let bar = "#".repeat(80);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n# SKIPPED: {test}: no Redis at {url} (set REDIS_URL)\n{bar}\n"
    );
    None
}

/// A unique key prefix for one test run.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("quickstart-test-{test}-{}-{nanos}", std::process::id())
}
