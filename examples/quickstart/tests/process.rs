//! The quickstart as a real process on a random loopback port, configured only through
//! `ROCKET_*` environment variables, driven over plain HTTP/1.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const SECRET: &str = "process-test-secret-process-test-secret-0123";

struct Server {
    child: Child,
    port: u16,
    db: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db.display()));
        }
    }
}

fn command(name: &str) -> (Command, std::path::PathBuf) {
    let db = std::env::temp_dir().join(format!(
        "quickstart-process-{name}-{}.sqlite3",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&db);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", "0")
        .env("ROCKET_CLI_COLORS", "false")
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASE", &db)
        .env("ROCKET_AUTH_PASSWORDS", "{m_cost=1024,t_cost=1,p_cost=1}")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    (cmd, db)
}

/// Starts the server and waits for "Rocket has launched from http://127.0.0.1:PORT".
fn start(mut cmd: Command, db: std::path::PathBuf) -> Server {
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
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not report its port");
    Server { child, port, db }
}

/// One HTTP/1.1 request; returns status, headers (lowercased names) and the JSON body.
fn request(
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

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_full_flow_against_a_real_server_configured_from_the_environment() {
    let (mut cmd, db) = command("flow");
    cmd.env("ROCKET_AUTH_SECRET", SECRET)
        .env("ROCKET_AUTH_ISSUER", "quickstart-test")
        .env("ROCKET_AUTH_AUDIENCE", "quickstart-api")
        .env("ROCKET_AUTH_ACCESS_TTL", "120")
        .env("ROCKET_ADMINS", "root@example.com");
    let server = start(cmd, db);
    let port = server.port;

    assert_eq!(
        request(port, "GET", "/health", None, None).2,
        json!({"status": "ok"})
    );

    let creds = json!({"email": "root@example.com", "password": "correct horse"});
    assert_eq!(
        request(port, "POST", "/register", None, Some(&creds)).0,
        201
    );
    assert_eq!(
        request(port, "POST", "/register", None, Some(&creds)).0,
        409
    );

    let (status, _, pair) = request(port, "POST", "/login", None, Some(&creds));
    assert_eq!(status, 200);
    assert_eq!(pair["expires_in"], 120, "ROCKET_AUTH_ACCESS_TTL applies");
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();

    let (status, headers, body) = request(port, "GET", "/me", None, None);
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer"))
    );
    assert_eq!(body, json!({"detail": "Missing bearer token"}));

    let (status, _, claims) = request(port, "GET", "/claims", Some(access), None);
    assert_eq!(status, 200);
    assert_eq!(
        claims["iss"], "quickstart-test",
        "ROCKET_AUTH_ISSUER applies"
    );
    assert_eq!(
        claims["aud"], "quickstart-api",
        "ROCKET_AUTH_AUDIENCE applies"
    );
    assert_eq!(claims["scope"], "admin", "ROCKET_ADMINS applies");
    assert_eq!(request(port, "GET", "/admin", Some(access), None).0, 200);
    assert_eq!(
        request(port, "GET", "/me", Some(access), None).2["user_id"],
        claims["sub"]
    );

    let (status, _, next) = request(
        port,
        "POST",
        "/refresh",
        None,
        Some(&json!({"refresh_token": refresh})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        request(
            port,
            "POST",
            "/refresh",
            None,
            Some(&json!({"refresh_token": refresh}))
        )
        .0,
        401
    );
    let next_refresh = next["refresh_token"].as_str().unwrap();
    assert_eq!(
        request(
            port,
            "POST",
            "/logout",
            None,
            Some(&json!({"refresh_token": next_refresh}))
        )
        .2,
        json!({"ok": true})
    );
    assert_eq!(
        request(
            port,
            "POST",
            "/refresh",
            None,
            Some(&json!({"refresh_token": next_refresh}))
        )
        .0,
        401
    );
}

#[test]
fn a_weak_secret_stops_the_process_with_a_message_naming_the_key() {
    let (mut cmd, db) = command("weak");
    cmd.env("ROCKET_AUTH_SECRET", "too-short");
    let output = cmd.output().unwrap();
    let _ = std::fs::remove_file(&db);
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("`secret` is 9 bytes but HS256 needs at least 32"),
        "{text}"
    );
    assert!(text.contains("ROCKET_AUTH_SECRET"), "{text}");
}
