//! End-to-end tests of the `authctl` binary: its output is loaded back through auth-core,
//! and tokens made by auth-core are inspected and verified by it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Algorithm, Clock, Issuer, IssuerConfig, KeyConfig};
use serde_json::{Value, json};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/data/keys/");

fn key_path(name: &str) -> String {
    format!("{KEYS}{name}")
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(key_path(name)).unwrap()
}

/// The result of one run of `authctl`.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn finish(output: Output) -> Run {
    let run = Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "authctl panicked: {}",
        run.stderr
    );
    run
}

fn authctl(args: &[&str]) -> Run {
    finish(
        Command::new(env!("CARGO_BIN_EXE_authctl"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

fn authctl_with_stdin(args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child.wait_with_output().unwrap())
}

/// A fresh directory in the temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("authctl-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An issuer signing with the test key `name` as the single key (tokens without `kid`).
fn issuer(alg: Algorithm, name: &str) -> Issuer {
    let mut config = IssuerConfig::with_private_key(alg, key_text(name));
    config.audience = Some("my-api".into());
    config.issuer = Some("my-service".into());
    Issuer::new(config).unwrap()
}

/// The two PEM blocks `keygen` prints.
fn split_pems(stdout: &str) -> (String, String) {
    let end = "-----END PRIVATE KEY-----\n";
    let at = stdout.find(end).expect("a private key") + end.len();
    let (private, public) = stdout.split_at(at);
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(public.ends_with("-----END PUBLIC KEY-----\n"));
    (private.to_owned(), public.to_owned())
}

fn kid_from_stderr(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("kid: "))
        .expect("a kid line")
        .to_owned()
}

// ---------------------------------------------------------------------------- secret

#[test]
fn secret_is_86_url_safe_characters_and_only_that_on_stdout() {
    let a = authctl(&["secret"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let secret = a.stdout.strip_suffix('\n').unwrap();
    assert_eq!(secret.len(), 86);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(!a.stderr.contains(secret), "the secret is not repeated");
    assert!(a.stderr.contains("ROCKET_AUTH_SECRET"));
    let b = authctl(&["secret", "--quiet"]);
    assert_ne!(a.stdout, b.stdout);
    assert!(b.stderr.is_empty());
    // It is a working HS512 secret.
    let mut config = IssuerConfig::hs256(secret);
    config.algorithm = Algorithm::HS512;
    Issuer::new(config).unwrap();
}

#[test]
fn secret_bytes_sets_the_length_with_a_floor_of_32() {
    let r = authctl(&["secret", "--bytes", "48"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.trim_end().len(), 64);
    let r = authctl(&["secret", "--bytes=32"]);
    assert_eq!(r.stdout.trim_end().len(), 43);
    for bad in ["31", "0", "lots", "100000"] {
        let r = authctl(&["secret", "--bytes", bad]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains("--bytes"), "{}", r.stderr);
    }
}

// ---------------------------------------------------------------------------- keygen

fn keygen_round_trip(alg: Algorithm, extra: &[&str]) {
    let mut args = vec!["keygen", "--alg", alg.as_str()];
    args.extend_from_slice(extra);
    let r = authctl(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (private, public) = split_pems(&r.stdout);
    let kid = kid_from_stderr(&r.stderr);

    // The private key signs, the public key verifies, as a service would load them.
    let signer = Issuer::new(IssuerConfig::with_private_key(alg, private.as_str())).unwrap();
    let verifier = Issuer::new(IssuerConfig::with_public_key(alg, public.as_str())).unwrap();
    let token = signer.issue_access("user-1", &()).unwrap();
    assert_eq!(verifier.verify_access(&token).unwrap().sub, "user-1");

    // The kid is the thumbprint auth-core gives the key in a ring.
    let mut config = IssuerConfig::default();
    config.keys = vec![KeyConfig::public_pem(alg, public.as_str())];
    let ring = Issuer::new(config).unwrap();
    assert_eq!(ring.keys()[0].kid.as_deref(), Some(kid.as_str()));

    // A key of another run is another key.
    let other = authctl(&args);
    let (other_private, _) = split_pems(&other.stdout);
    let other_signer = Issuer::new(IssuerConfig::with_private_key(alg, other_private)).unwrap();
    let forged = other_signer.issue_access("user-1", &()).unwrap();
    assert!(verifier.verify_access(&forged).is_err());
}

#[test]
fn keygen_es256_keys_load_and_verify_each_other() {
    keygen_round_trip(Algorithm::ES256, &[]);
}

#[test]
fn keygen_eddsa_keys_load_and_verify_each_other() {
    keygen_round_trip(Algorithm::EdDSA, &[]);
}

#[test]
fn keygen_rs256_keys_load_and_verify_each_other() {
    keygen_round_trip(Algorithm::RS256, &["--bits", "2048"]);
}

#[test]
fn keygen_out_writes_a_private_file_readable_by_its_owner_only() {
    let dir = TempDir::new();
    let prefix = dir.path("es384");
    let prefix = prefix.to_str().unwrap();
    let r = authctl(&["keygen", "--alg", "ES384", "--out", prefix]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let private = std::fs::read_to_string(format!("{prefix}.pem")).unwrap();
    let public = std::fs::read_to_string(format!("{prefix}.pub.pem")).unwrap();
    Issuer::new(IssuerConfig::with_private_key(Algorithm::ES384, private)).unwrap();
    Issuer::new(IssuerConfig::with_public_key(Algorithm::ES384, public)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(format!("{prefix}.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwrites.
    let again = authctl(&["keygen", "--alg", "ES384", "--out", prefix]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
}

#[test]
fn keygen_refuses_hmac_and_bad_options() {
    let r = authctl(&["keygen", "--alg", "HS256"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("authctl secret"), "{}", r.stderr);
    assert_eq!(authctl(&["keygen"]).code, 2);
    assert_eq!(authctl(&["keygen", "--alg", "none"]).code, 2);
    assert_eq!(
        authctl(&["keygen", "--alg", "ES256", "--bits", "2048"]).code,
        2
    );
    assert_eq!(
        authctl(&["keygen", "--alg", "RS256", "--bits", "1024"]).code,
        2
    );
}

// ---------------------------------------------------------------------------- jwks

#[test]
fn jwks_has_the_kids_and_algorithms_and_no_private_members() {
    let r = authctl(&[
        "jwks",
        &key_path("p256.pem"),
        "--kid",
        "2026-08",
        &key_path("ed25519.pub.pem"),
        "--alg",
        "PS256",
        &key_path("rsa2048.pem"),
        &key_path("p384.pub.pem"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let jwks: Value = serde_json::from_str(&r.stdout).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4);

    let mut config = IssuerConfig::default();
    config.keys = vec![KeyConfig::private_pem(
        Algorithm::ES256,
        key_text("p256.pem"),
    )];
    let p256_kid = Issuer::new(config).unwrap().keys()[0].kid.clone().unwrap();

    let expected = [
        (p256_kid.as_str(), "ES256", "EC"),
        ("2026-08", "EdDSA", "OKP"),
        ("", "PS256", "RSA"),
        ("", "ES384", "EC"),
    ];
    for (key, (kid, alg, kty)) in keys.iter().zip(expected) {
        if !kid.is_empty() {
            assert_eq!(key["kid"], kid);
        }
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        assert_eq!(key["alg"], alg);
        assert_eq!(key["kty"], kty);
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "{private} in {key}");
        }
    }
}

#[test]
fn jwks_refuses_what_a_service_would() {
    let r = authctl(&["jwks", &key_path("rsa1024.pem")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("2048"), "{}", r.stderr);
    let r = authctl(&["jwks", &key_path("p256.sec1.pem")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("PKCS#8"), "{}", r.stderr);
    let r = authctl(&["jwks", &key_path("p256.pem"), &key_path("p256.pub.pem")]);
    assert_eq!(r.code, 2, "the same key twice: same kid");
    assert_eq!(authctl(&["jwks"]).code, 2);
    assert_eq!(
        authctl(&["jwks", &key_path("p256.pem"), "--kid", "late"]).code,
        2
    );
    assert_eq!(authctl(&["jwks", "/nonexistent/key.pem"]).code, 2);
}

// ---------------------------------------------------------------------------- decode

#[test]
fn decode_without_a_key_shows_unverified_claims_and_times() {
    let token = issuer(Algorithm::ES256, "p256.pem")
        .issue_access("user-42", &json!({"role": "admin"}))
        .unwrap();
    let r = authctl(&["decode", &token]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("UNVERIFIED"), "{}", r.stdout);
    assert!(r.stdout.contains("\"sub\": \"user-42\""));
    assert!(r.stdout.contains("\"role\": \"admin\""));
    assert!(r.stdout.contains("\"alg\": \"ES256\""));
    assert!(r.stdout.contains("expires in 1"), "{}", r.stdout); // 14 or 15 min
    assert!(r.stdout.contains("Z  (issued"), "{}", r.stdout);
    assert!(r.stdout.contains("signature: NOT CHECKED"));
    assert!(!r.stdout.contains("signature: valid"));
}

#[test]
fn decode_with_the_right_key_is_valid() {
    let token = issuer(Algorithm::ES256, "p256.pem")
        .issue_access("user-42", &())
        .unwrap();
    for key in ["p256.pub.pem", "p256.pem"] {
        let r = authctl(&[
            "decode",
            &token,
            "--key",
            &key_path(key),
            "--aud",
            "my-api",
            "--iss",
            "my-service",
        ]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("signature: valid"), "{}", r.stdout);
        assert!(r.stdout.contains("claims: valid (access token)"));
        assert!(r.stdout.contains("claims (verified)"));
        assert!(!r.stdout.contains("UNVERIFIED"));
    }
}

#[test]
fn decode_with_the_wrong_key_fails_with_the_reason() {
    let token = issuer(Algorithm::ES256, "p256.pem")
        .issue_access("user-42", &())
        .unwrap();
    let r = authctl(&[
        "decode",
        &token,
        "--key",
        &key_path("p256-other.pub.pem"),
        "--aud",
        "my-api",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("signature: INVALID: token signature is invalid"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("UNVERIFIED"));

    // A key of another type: the token's `alg` is not the key's.
    let r = authctl(&[
        "decode",
        &token,
        "--key",
        &key_path("rsa2048.pub.pem"),
        "--aud",
        "my-api",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("token algorithm does not match the configured key"),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_reports_audience_and_issuer_refusals() {
    let token = issuer(Algorithm::EdDSA, "ed25519.pem")
        .issue_access("user-42", &())
        .unwrap();
    let key = key_path("ed25519.pub.pem");
    let r = authctl(&["decode", &token, "--key", &key]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("signature: valid"));
    assert!(
        r.stdout
            .contains("claims: INVALID: token audience is not accepted")
    );
    assert!(r.stdout.contains("pass --aud"), "{}", r.stdout);
    let r = authctl(&[
        "decode", &token, "--key", &key, "--aud", "my-api", "--iss", "other",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("token issuer is not accepted"),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_an_expired_token_fails_with_expired() {
    let clock = Clock::manual(now() - 3 * 3600);
    let mut config = IssuerConfig::hs256("an-hmac-secret-for-the-cli-tests-of-authctl");
    config.access_ttl = 900;
    let old = Issuer::builder(config).clock(clock).build().unwrap();
    let token = old.issue_access("user-42", &()).unwrap();
    let r = authctl(&[
        "decode",
        &token,
        "--secret",
        "an-hmac-secret-for-the-cli-tests-of-authctl",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("signature: valid"), "{}", r.stdout);
    assert!(r.stdout.contains("claims: INVALID: token has expired"));
    assert!(r.stdout.contains("expired 2 h ago"), "{}", r.stdout);
    assert!(!r.stdout.contains("an-hmac-secret"), "never print a secret");
    assert!(!r.stderr.contains("an-hmac-secret"));

    // Without a key it decodes, and says when it expired.
    let r = authctl(&["decode", &token]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("expired 2 h ago"));
}

#[test]
fn decode_reads_stdin_and_a_secret_file_and_verifies_hmac() {
    let secret = "another-hmac-secret-for-the-cli-tests-of-authctl-hs384!";
    let mut config = IssuerConfig::hs256(secret);
    config.algorithm = Algorithm::HS384;
    let token = Issuer::new(config)
        .unwrap()
        .issue_refresh("user-42", &())
        .unwrap();
    let dir = TempDir::new();
    let file = dir.path("secret.txt");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let r = authctl_with_stdin(
        &["decode", "-", "--secret-file", file.to_str().unwrap()],
        &format!("Bearer {token}\n"),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("checked with: HS384 secret"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("claims: valid (refresh token)"));
    assert!(!r.stdout.contains(secret));

    let r = authctl_with_stdin(
        &[
            "decode",
            "-",
            "--secret",
            "a-wrong-secret-that-is-long-enough-for-hs384-0123",
        ],
        &token,
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("token signature is invalid"));
}

#[test]
fn decode_with_a_jwks_picks_the_key_by_kid() {
    let jwks = authctl(&[
        "jwks",
        "--kid",
        "2026-11",
        &key_path("p256.pem"),
        &key_path("rsa2048.pem"),
    ]);
    assert_eq!(jwks.code, 0, "{}", jwks.stderr);
    let dir = TempDir::new();
    let file = dir.path("jwks.json");
    std::fs::write(&file, &jwks.stdout).unwrap();
    let file = file.to_str().unwrap();

    let mut config = IssuerConfig::default();
    config.keys = vec![
        KeyConfig::private_pem(Algorithm::ES256, key_text("p256.pem"))
            .with_kid("2026-11")
            .active(),
    ];
    let ring = Issuer::new(config).unwrap();
    let token = ring.issue_access("user-42", &()).unwrap();
    let r = authctl(&["decode", &token, "--jwks", file]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("claims: valid"));

    let mut config = IssuerConfig::default();
    config.keys = vec![
        KeyConfig::private_pem(Algorithm::ES256, key_text("p256.pem"))
            .with_kid("2026-12")
            .active(),
    ];
    let token = Issuer::new(config)
        .unwrap()
        .issue_access("user-42", &())
        .unwrap();
    let r = authctl(&["decode", &token, "--jwks", file]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("token names a key id that is not configured"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"2026-12\""));
}

#[test]
fn decode_garbage_fails_cleanly() {
    let huge = "a".repeat(20_000);
    for garbage in [
        "garbage",
        "a.b.c",
        "...",
        "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
        huge.as_str(),
    ] {
        let r = authctl(&["decode", garbage]);
        assert_eq!(r.code, 1, "{garbage}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr
                .starts_with("authctl: error: cannot read the token: "),
            "{}",
            r.stderr
        );
        let r = authctl(&["decode", garbage, "--key", &key_path("p256.pub.pem")]);
        assert_eq!(r.code, 1);
    }
    let r = authctl_with_stdin(&["decode", "-"], "\u{feff}\u{0}é.ü.\n");
    assert_eq!(r.code, 1);
}

#[test]
fn decode_usage_errors_exit_2() {
    let token = issuer(Algorithm::ES256, "p256.pem")
        .issue_access("u", &())
        .unwrap();
    assert_eq!(authctl(&["decode"]).code, 2);
    assert_eq!(authctl(&["decode", &token, "--frobnicate"]).code, 2);
    assert_eq!(authctl(&["decode", &token, token.as_str()]).code, 2);
    assert_eq!(authctl(&["decode", &token, "--secret", "short"]).code, 2);
    assert_eq!(
        authctl(&["decode", &token, "--key", "/nonexistent.pem"]).code,
        2
    );
    assert_eq!(
        authctl(&[
            "decode",
            &token,
            "--key",
            &key_path("p256.pem"),
            "--secret",
            "x"
        ])
        .code,
        2
    );
    assert_eq!(authctl(&["decode", &token, "--aud", "x"]).code, 2);
}

// ---------------------------------------------------------------------------- help

#[test]
fn help_for_the_tool_and_each_command() {
    let r = authctl(&["--help"]);
    assert_eq!(r.code, 0);
    for command in ["secret", "keygen", "jwks", "decode"] {
        assert!(r.stdout.contains(command));
        let r = authctl(&[command, "--help"]);
        assert_eq!(r.code, 0, "{command}");
        assert!(
            r.stdout.contains(&format!("authctl {command}")),
            "{command}"
        );
        assert_eq!(authctl(&["help", command]).stdout, r.stdout);
    }
    assert_eq!(authctl(&[]).code, 2);
    assert_eq!(authctl(&["frobnicate"]).code, 2);
    assert_eq!(authctl(&["--version"]).code, 0);
}
