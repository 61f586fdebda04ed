//! Measures how long a revocation made on one quickstart instance takes to be enforced
//! by another: log in on A, check the access token works on B, log the session out on A,
//! and poll B until it refuses the token. Run by `bench/stores.sh`.
//!
//! ```sh
//! propagation http://127.0.0.1:8001 http://127.0.0.1:8002 200 user@example.com password
//! ```
//!
//! Prints the delay distribution (from A's logout answer to B's first 401) as one JSON
//! object on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    fn open(base: &str) -> Self {
        let addr = base.trim_start_matches("http://");
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Self {
            stream: BufReader::new(stream),
        }
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            self.stream.get_mut(),
            "{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; length];
        self.stream.read_exact(&mut buf).unwrap();
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i.min(sorted.len() - 1)] * 1000.0).round() / 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, a, b, n, email, password] = args.as_slice() else {
        eprintln!("usage: propagation A_URL B_URL ITERATIONS EMAIL PASSWORD");
        std::process::exit(2);
    };
    let iterations: usize = n.parse().unwrap();
    let creds = json!({"email": email, "password": password});
    let mut on_a = Conn::open(a);
    let mut delays_ms = Vec::with_capacity(iterations);
    let mut polls = 0usize;
    for _ in 0..iterations {
        let (status, pair) = on_a.request("POST", "/login", None, Some(&creds));
        assert_eq!(status, 200, "login on A: {pair}");
        let access = pair["access_token"].as_str().unwrap().to_owned();
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        let mut on_b = Conn::open(b);
        assert_eq!(
            on_b.request("GET", "/me", Some(&access), None).0,
            200,
            "B accepts the fresh token"
        );

        // Poll B from another thread while A revokes; record when B first says 401.
        let refused_at: Arc<Mutex<Option<Instant>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let (refused_at, stop, access) = (refused_at.clone(), stop.clone(), access.clone());
            std::thread::spawn(move || {
                let mut count = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    count += 1;
                    if on_b.request("GET", "/me", Some(&access), None).0 == 401 {
                        *refused_at.lock().unwrap() = Some(Instant::now());
                        break;
                    }
                }
                count
            })
        };
        let (status, _) = on_a.request(
            "POST",
            "/logout",
            None,
            Some(&json!({"refresh_token": refresh})),
        );
        let revoked_at = Instant::now();
        assert_eq!(status, 200);
        let deadline = revoked_at + Duration::from_secs(5);
        while refused_at.lock().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        stop.store(true, Ordering::SeqCst);
        polls += poller.join().unwrap();
        let refused = refused_at
            .lock()
            .unwrap()
            .expect("B never refused the revoked token within 5 s");
        // B may refuse before A's answer arrives (the revocation is published first).
        delays_ms.push(refused.saturating_duration_since(revoked_at).as_secs_f64() * 1000.0);
    }
    delays_ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "iterations": iterations,
            "polls_of_b": polls,
            "p50_ms": percentile(&delays_ms, 0.50),
            "p90_ms": percentile(&delays_ms, 0.90),
            "p99_ms": percentile(&delays_ms, 0.99),
            "max_ms": percentile(&delays_ms, 1.0),
        })
    );
}
