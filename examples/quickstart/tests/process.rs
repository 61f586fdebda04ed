//! The quickstart as a real process on a random loopback port, configured only through
//! `ROCKET_*` environment variables, driven over plain HTTP/1.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{command as base_command, header, request, start, temp_path};
use serde_json::json;

const SECRET: &str = "process-test-secret-process-test-secret-0123";

fn command(name: &str) -> (std::process::Command, std::path::PathBuf) {
    let db = temp_path(&format!("process-{name}"));
    let _ = std::fs::remove_file(&db);
    (base_command(&db), db)
}

#[test]
fn the_full_flow_against_a_real_server_configured_from_the_environment() {
    let (mut cmd, db) = command("flow");
    cmd.env("ROCKET_AUTH_SECRET", SECRET)
        .env("ROCKET_AUTH_ISSUER", "quickstart-test")
        .env("ROCKET_AUTH_AUDIENCE", "quickstart-api")
        .env("ROCKET_AUTH_ACCESS_TTL", "120")
        .env("ROCKET_ADMINS", "root@example.com");
    let server = start(cmd, vec![db]);
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
