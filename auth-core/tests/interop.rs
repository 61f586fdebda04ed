//! Wire compatibility with the Python hawkapi-auth, both ways.
//!
//! * Python -> Rust: `tests/data/interop/python-vectors.json` (tokens and password
//!   hashes made by hawkapi-auth 0.2.1, committed) must verify here with the claims
//!   hawkapi-auth itself read, or be refused with the expected [`TokenError`].
//! * Rust -> Python: tokens and hashes made here are checked live by hawkapi-auth via
//!   `tests/interop/verify_rust_tokens.py`, with the venv made by
//!   `scripts/interop-venv.sh` (or the python named by `AUTH_INTEROP_PYTHON`).
//!
//! See `tests/interop/README.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth_core::{
    Algorithm, Audience, Claims, Clock, Issuer, IssuerConfig, PasswordHasher, PasswordParams,
    Secret, TokenError, TokenType, hash_password, needs_rehash, verify_password,
};
use serde_json::{Value, json};

fn core_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn key_pem(name: &str) -> String {
    let path = core_dir().join("tests/data/keys").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn load_python_vectors() -> Value {
    let path = core_dir().join("tests/data/interop/python-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; regenerate it with tests/interop/generate_vectors.py",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("python-vectors.json is not valid JSON")
}

fn audience_from(v: &Value) -> Option<Audience> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Audience::One(s.clone())),
        Value::Array(items) => Some(Audience::Many(
            items
                .iter()
                .map(|i| i.as_str().expect("audience items are strings").to_owned())
                .collect(),
        )),
        other => panic!("unexpected audience {other}"),
    }
}

/// The auth-core configurations equivalent to a vector's `verify` configuration: the
/// one with every key it names and, for key pairs, also a verify-only one with just the
/// public key. All must reach the same verdict.
fn rust_verifiers(c: &Value) -> Vec<(&'static str, Issuer)> {
    let algorithm: Algorithm = c["algorithm"].as_str().unwrap().parse().unwrap();
    let base = || {
        let mut config = IssuerConfig::default();
        config.algorithm = algorithm;
        config.issuer = c["issuer"].as_str().map(str::to_owned);
        config.audience = audience_from(&c["audience"]);
        config
    };
    let mut out = Vec::new();
    let mut full = base();
    full.secret = c["secret"].as_str().map(Secret::new);
    full.private_key = c["private_key_file"]
        .as_str()
        .map(|f| Secret::new(key_pem(f)));
    full.public_key = c["public_key_file"].as_str().map(key_pem);
    let full = Issuer::new(full).unwrap_or_else(|e| panic!("config {c}: {e}"));
    out.push(("configured keys", full));
    if let Some(public) = c["public_key_file"].as_str() {
        let mut verify_only = base();
        verify_only.public_key = Some(key_pem(public));
        let verify_only = Issuer::new(verify_only).unwrap_or_else(|e| panic!("config {c}: {e}"));
        assert!(!verify_only.can_issue());
        out.push(("public key only", verify_only));
    }
    out
}

async fn verify(issuer: &Issuer, verify_as: &str, token: &str) -> Result<Claims, TokenError> {
    match verify_as {
        "access" => issuer.verify_access(token),
        "refresh" => issuer.verify_refresh(token).await,
        other => panic!("unknown verify_as {other:?}"),
    }
}

/// A stable name for a refusal, as written in the vectors (`Expired`,
/// `WrongType:access`, `MissingClaim:iss`, ...).
fn error_code(e: &TokenError) -> String {
    match e {
        TokenError::WrongType { expected } => format!("WrongType:{expected}"),
        TokenError::MissingClaim(c) => format!("MissingClaim:{c}"),
        TokenError::InvalidClaim(c) => format!("InvalidClaim:{c}"),
        TokenError::Malformed(m) => format!("Malformed:{m}"),
        TokenError::UnsupportedHeader(h) => format!("UnsupportedHeader:{h}"),
        other => format!("{other:?}"),
    }
}

fn scopes_of(claims: &Claims) -> Vec<String> {
    claims.scopes.iter().map(str::to_owned).collect()
}

/// The members that differ between two JSON objects, as `name: rust R != python P`.
fn object_diff(rust: &Value, python: &Value) -> String {
    let (Some(r), Some(p)) = (rust.as_object(), python.as_object()) else {
        return format!("rust {rust} != python {python}");
    };
    let absent = json!("<absent>");
    let mut names: Vec<&String> = r.keys().chain(p.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| r.get(*n) != p.get(*n))
        .map(|n| {
            format!(
                "{n:?}: rust {} != python {}",
                r.get(n).unwrap_or(&absent),
                p.get(n).unwrap_or(&absent)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares what auth-core read from a Python token with what hawkapi-auth read and
/// with what the generator put in. Returns the differences.
fn compare_claims(v: &Value, claims: &Claims) -> Vec<String> {
    let mut diffs = Vec::new();
    let py = &v["python"]["claims"];
    // The whole flat claims object, as hawkapi-auth's verify returned it.
    let ours = serde_json::to_value(claims).unwrap();
    if &ours != py {
        diffs.push(format!("claims differ: {}", object_diff(&ours, py)));
    }
    let mut check = |what: &str, got: Value, want: &Value| {
        if &got != want {
            diffs.push(format!("{what}: rust {got} != python {want}"));
        }
    };
    // Field by field, against what the generator asked hawkapi-auth to issue.
    let issue = &v["issue"];
    check("sub", json!(claims.sub), &v["subject"]);
    check("type", json!(claims.token_type.as_str()), &issue["kind"]);
    check("iss", json!(claims.iss), &issue["issuer"]);
    check("aud", json!(claims.aud), &issue["audience"]);
    check("iat", json!(claims.iat), &py["iat"]);
    check("exp", json!(claims.exp), &py["exp"]);
    check("jti", json!(claims.jti), &py["jti"]);
    for (name, want) in v["extra_claims"].as_object().unwrap() {
        let got = if name == "fam" {
            json!(claims.fam)
        } else {
            claims.extra.get(name).cloned().unwrap_or(json!("<absent>"))
        };
        check(&format!("extra claim {name:?}"), got, want);
    }
    check("scopes", json!(scopes_of(claims)), &v["python"]["scopes"]);
    diffs
}

/// (a) Every hawkapi-auth token verifies in auth-core with the same claims, or is
/// refused with the expected error.
#[tokio::test]
async fn python_tokens_verify_in_rust() {
    let doc = load_python_vectors();
    let vectors = doc["tokens"].as_array().expect("`tokens` array");
    // Guard against a truncated or regenerated-wrongly vector file.
    let ids: Vec<&str> = vectors.iter().map(|v| v["id"].as_str().unwrap()).collect();
    for alg in ["hs256", "rs256", "es256"] {
        for kind in ["access", "refresh"] {
            for variant in ["plain", "extras", "iss-aud", "iss-aud-list"] {
                let id = format!("{alg}-{kind}-{variant}");
                assert!(ids.contains(&id.as_str()), "vector {id} is missing");
            }
        }
        for neg in [
            "expired-access",
            "expired-refresh",
            "tampered-payload",
            "tampered-signature",
            "refresh-as-access",
            "access-as-refresh",
        ] {
            let id = format!("{alg}-{neg}");
            assert!(ids.contains(&id.as_str()), "vector {id} is missing");
        }
    }
    for id in [
        "hs256-wrong-secret",
        "rs256-wrong-key",
        "es256-wrong-key",
        "hs256-wrong-issuer",
        "hs256-wrong-audience",
        "hs256-aud-without-configured-audience",
    ] {
        assert!(ids.contains(&id), "vector {id} is missing");
    }

    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for v in vectors {
        let id = v["id"].as_str().unwrap();
        let token = v["token"].as_str().unwrap();
        let verify_as = v["verify_as"].as_str().unwrap();
        let want_ok = v["rust"]["ok"].as_bool().unwrap();
        for (how, issuer) in rust_verifiers(&v["verify"]) {
            let label = format!("{id} ({how})");
            match (verify(&issuer, verify_as, token).await, want_ok) {
                (Ok(claims), true) => {
                    assert_eq!(
                        v["python"]["ok"], true,
                        "{label}: vector says rust accepts but python did not"
                    );
                    let diffs = compare_claims(v, &claims);
                    if diffs.is_empty() {
                        accepted += 1;
                    } else {
                        failures.push(format!("{label}: {}", diffs.join("; ")));
                    }
                }
                (Ok(claims), false) => failures.push(format!(
                    "{label}: accepted (sub {:?}) but expected {}",
                    claims.sub, v["rust"]["error"]
                )),
                (Err(e), true) => failures.push(format!(
                    "{label}: refused with {} ({e}) but hawkapi-auth accepts it",
                    error_code(&e)
                )),
                (Err(e), false) => {
                    let want = v["rust"]["error"].as_str().unwrap();
                    if error_code(&e) == want {
                        refused += 1;
                    } else {
                        failures.push(format!(
                            "{label}: refused with {} ({e}), expected {want}",
                            error_code(&e)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the hawkapi-auth token checks failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    eprintln!(
        "interop: {} hawkapi-auth tokens, {} verifier checks: {accepted} accepted with identical \
         claims, {refused} refused as expected",
        vectors.len(),
        accepted + refused
    );
}

/// (b) hawkapi-auth / argon2-cffi password hashes verify in auth-core, and
/// `needs_rehash` agrees.
#[test]
fn python_password_hashes_verify_in_rust() {
    let doc = load_python_vectors();
    let entries = doc["passwords"].as_array().expect("`passwords` array");
    assert!(
        entries.len() >= 8,
        "expected at least 8 password vectors, found {}",
        entries.len()
    );
    // Two verifications of up to 64 MiB each per entry: spread them over threads.
    let results: Vec<(String, bool, bool, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .iter()
            .map(|e| {
                s.spawn(move || {
                    let hash = e["hash"].as_str().unwrap();
                    (
                        e["id"].as_str().unwrap().to_owned(),
                        verify_password(e["password"].as_str().unwrap(), hash),
                        verify_password(e["wrong_password"].as_str().unwrap(), hash),
                        needs_rehash(hash),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    for (e, (id, right, wrong, rehash)) in entries.iter().zip(results) {
        let py = &e["python"];
        if json!(right) != py["verify"] {
            failures.push(format!(
                "{id}: verify(right password) rust {right}, python {}",
                py["verify"]
            ));
        }
        if wrong {
            failures.push(format!("{id}: the wrong password verified"));
        }
        if json!(wrong) != py["verify_wrong"] {
            failures.push(format!(
                "{id}: verify(wrong password) rust {wrong}, python {}",
                py["verify_wrong"]
            ));
        }
        if json!(rehash) != e["rust"]["needs_rehash"] {
            failures.push(format!(
                "{id}: needs_rehash rust {rehash}, expected {} (python said {})",
                e["rust"]["needs_rehash"], py["needs_rehash"]
            ));
        }
        if e["id"].as_str().unwrap().starts_with("hawkapi-") {
            assert!(
                right && !rehash,
                "{id}: a hawkapi_auth.hash_password hash must verify without rehash"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "password interop failures:\n  {}",
        failures.join("\n  ")
    );
}

/// The interpreter of the interop venv, or `None` (after a skip notice) when it is not
/// there outside CI. In CI a missing venv fails the test.
fn interop_python() -> Option<PathBuf> {
    let (python, from_env) = match std::env::var_os("AUTH_INTEROP_PYTHON") {
        Some(p) if !p.is_empty() => (PathBuf::from(p), true),
        _ => (
            core_dir()
                .parent()
                .unwrap()
                .join(".venv-interop/bin/python"),
            false,
        ),
    };
    if python.is_file() {
        return Some(python);
    }
    let why = format!(
        "no interop python at {}{}: run `scripts/interop-venv.sh` (needs Python >= 3.12) to \
         create the hawkapi-auth venv, or set AUTH_INTEROP_PYTHON",
        python.display(),
        if from_env {
            " (from AUTH_INTEROP_PYTHON)"
        } else {
            ""
        }
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("CI is set, so the Rust -> Python interop check may not be skipped: {why}");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing
    // tests, and this notice must be seen without `--nocapture`.
    let bar = "#".repeat(80);
    let notice = format!(
        "\n{bar}\n# SKIPPED: Rust -> Python (hawkapi-auth) interop check\n# {why}\n{bar}\n"
    );
    let _ = writeln!(std::io::stderr(), "{notice}");
    None
}

const RUST_SECRET: &str = "auth-core interop secret, Rust side, at least 32 bytes";
const RUST_UNICODE_SECRET: &str = "Rust-sëcret 🔑 日本語 — more than thirty-two bytes";

fn extras() -> Value {
    json!({
        "role": "admin",
        "scope": "read write  admin",
        "scopes": ["ignored", "because", "scope", "wins"],
        "org": {"id": 7, "name": "Acme", "tags": ["a", "b"], "parent": null, "active": true},
        "display_name": "Zoë Ångström 🔑 日本語",
        "ünïcødé_kéy": "value",
        "count": 42,
        "negative": -7,
        "ratio": 3.25,
        "big": 9_007_199_254_740_993_u64,
        "admin": false,
        "nothing": null,
        "empty_list": [],
        "empty_object": {},
    })
}

/// A signing configuration for auth-core and the same configuration for hawkapi-auth.
struct Setup {
    name: &'static str,
    algorithm: Algorithm,
    secret: Option<&'static str>,
    key_files: Option<(&'static str, &'static str)>,
    /// Sign through a key ring with this `kid` (tokens carry it in their header).
    kid: Option<&'static str>,
}

/// 64 bytes and more: enough for HS512 (and HS384).
const RUST_LONG_SECRET: &str =
    "auth-core interop secret for HS384 and HS512, sixty-four bytes or more";

const fn asym(
    name: &'static str,
    algorithm: Algorithm,
    private: &'static str,
    public: &'static str,
) -> Setup {
    Setup {
        name,
        algorithm,
        secret: None,
        key_files: Some((private, public)),
        kid: None,
    }
}

/// Every algorithm, and a key-ring setup whose tokens carry a `kid`.
const SETUPS: [Setup; 14] = [
    Setup {
        name: "hs256",
        algorithm: Algorithm::HS256,
        secret: Some(RUST_SECRET),
        key_files: None,
        kid: None,
    },
    Setup {
        name: "hs256-unicode-secret",
        algorithm: Algorithm::HS256,
        secret: Some(RUST_UNICODE_SECRET),
        key_files: None,
        kid: None,
    },
    Setup {
        name: "hs384",
        algorithm: Algorithm::HS384,
        secret: Some(RUST_LONG_SECRET),
        key_files: None,
        kid: None,
    },
    Setup {
        name: "hs512",
        algorithm: Algorithm::HS512,
        secret: Some(RUST_LONG_SECRET),
        key_files: None,
        kid: None,
    },
    asym("rs256", Algorithm::RS256, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("rs384", Algorithm::RS384, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("rs512", Algorithm::RS512, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("ps256", Algorithm::PS256, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("ps384", Algorithm::PS384, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("ps512", Algorithm::PS512, "rsa2048.pem", "rsa2048.pub.pem"),
    asym("es256", Algorithm::ES256, "p256.pem", "p256.pub.pem"),
    asym("es384", Algorithm::ES384, "p384.pem", "p384.pub.pem"),
    asym("eddsa", Algorithm::EdDSA, "ed25519.pem", "ed25519.pub.pem"),
    Setup {
        name: "es256-ring-kid",
        algorithm: Algorithm::ES256,
        secret: None,
        key_files: Some(("p256.pem", "p256.pub.pem")),
        kid: Some("interop-2026"),
    },
];

impl Setup {
    fn rust(&self, issuer: Option<&str>, audience: Option<&Audience>) -> IssuerConfig {
        let mut c = IssuerConfig::default();
        match (self.kid, self.key_files) {
            (Some(kid), Some((private, _))) => {
                c.keys = vec![
                    auth_core::KeyConfig::private_pem(
                        self.algorithm,
                        Secret::new(key_pem(private)),
                    )
                    .with_kid(kid)
                    .active(),
                ];
            }
            _ => {
                c.algorithm = self.algorithm;
                c.secret = self.secret.map(Secret::new);
                c.private_key = self
                    .key_files
                    .map(|(private, _)| Secret::new(key_pem(private)));
            }
        }
        c.issuer = issuer.map(str::to_owned);
        c.audience = audience.cloned();
        c
    }

    fn python(&self, issuer: Option<&str>, audience: Option<&Audience>) -> Value {
        json!({
            "algorithm": self.algorithm.to_string(),
            "secret": self.secret,
            "private_key": self.key_files.map(|(private, _)| key_pem(private)),
            "public_key": self.key_files.map(|(_, public)| key_pem(public)),
            "issuer": issuer,
            "audience": audience,
        })
    }
}

/// One token for hawkapi-auth to check, and what it must say.
struct RustToken {
    id: String,
    verify_as: TokenType,
    token: String,
    python_config: Value,
    /// `Ok(claims as auth-core reads them)` or `Err(substring of hawkapi-auth's error)`.
    expect: Result<Value, &'static str>,
}

async fn rust_tokens() -> Vec<RustToken> {
    let one = Audience::from("interop-api");
    let many = Audience::Many(vec!["interop-api".into(), "interop-web".into()]);
    let iss = Some("https://auth.interop.example");
    let mut out = Vec::new();
    for setup in &SETUPS {
        let shapes: [(&str, Option<&str>, Option<&Audience>, Value); 4] = [
            ("plain", None, None, json!(null)),
            ("extras", None, None, extras()),
            ("iss-aud", iss, Some(&one), json!({"role": "user"})),
            (
                "iss-aud-list",
                iss,
                Some(&many),
                json!({"scopes": ["read", "write"]}),
            ),
        ];
        for (shape, issuer_name, audience, extra) in shapes {
            let issuer = Issuer::new(setup.rust(issuer_name, audience)).unwrap();
            for kind in [TokenType::Access, TokenType::Refresh] {
                let subject = if shape == "plain" {
                    "usér-Ωμέγα-😀"
                } else {
                    "user-42"
                };
                let (token, claims) = if kind == TokenType::Access {
                    let token = issuer.issue_access(subject, &extra).unwrap();
                    let claims = issuer.verify_access(&token).unwrap();
                    (token, claims)
                } else {
                    let token = issuer.issue_refresh(subject, &extra).unwrap();
                    let claims = issuer.verify_refresh(&token).await.unwrap();
                    (token, claims)
                };
                out.push(RustToken {
                    id: format!("{}-{kind}-{shape}", setup.name),
                    verify_as: kind,
                    token,
                    python_config: setup.python(issuer_name, audience),
                    expect: Ok(serde_json::to_value(&claims).unwrap()),
                });
            }
        }
    }

    // Refusals: hawkapi-auth must refuse these auth-core tokens too.
    let hs = &SETUPS[0];
    let issuer = Issuer::new(hs.rust(None, None)).unwrap();
    let refresh = issuer.issue_refresh("user-42", &()).unwrap();
    out.push(RustToken {
        id: "hs256-refresh-as-access".into(),
        verify_as: TokenType::Access,
        token: refresh,
        python_config: hs.python(None, None),
        expect: Err("expected 'access' token"),
    });
    let access = issuer.issue_access("user-42", &()).unwrap();
    out.push(RustToken {
        id: "hs256-access-as-refresh".into(),
        verify_as: TokenType::Refresh,
        token: access.clone(),
        python_config: hs.python(None, None),
        expect: Err("expected 'refresh' token"),
    });
    let mut wrong_secret = hs.python(None, None);
    wrong_secret["secret"] = json!("a different secret of more than thirty-two bytes");
    out.push(RustToken {
        id: "hs256-wrong-secret".into(),
        verify_as: TokenType::Access,
        token: access,
        python_config: wrong_secret,
        expect: Err("Signature verification failed"),
    });
    // Issued in 2001 with the default 15-minute TTL.
    let past = Issuer::builder(hs.rust(None, None))
        .clock(Clock::manual(1_000_000_000))
        .build()
        .unwrap();
    out.push(RustToken {
        id: "hs256-expired".into(),
        verify_as: TokenType::Access,
        token: past.issue_access("user-42", &()).unwrap(),
        python_config: hs.python(None, None),
        expect: Err("Signature has expired"),
    });
    let audience = Audience::from("other-api");
    let other_aud = Issuer::new(hs.rust(None, Some(&audience))).unwrap();
    out.push(RustToken {
        id: "hs256-wrong-audience".into(),
        verify_as: TokenType::Access,
        token: other_aud.issue_access("user-42", &()).unwrap(),
        python_config: hs.python(None, Some(&Audience::from("interop-api"))),
        expect: Err("Audience doesn't match"),
    });
    out
}

/// One password hash for hawkapi-auth to check.
struct RustHash {
    id: &'static str,
    password: String,
    hash: String,
    needs_rehash: bool,
}

fn rust_hashes() -> Vec<RustHash> {
    let long: String = "Tr0ub4dor&3 ".repeat(17).chars().take(200).collect();
    let cases: Vec<(&'static str, String, bool)> = vec![
        (
            "default-ascii",
            "correct horse battery staple".into(),
            false,
        ),
        ("default-unicode", "pässwörd 🔑 日本語 Ωμέγα".into(), false),
        ("default-empty", String::new(), false),
        ("default-long-200", long, false),
        ("owasp-minimum", "correct horse battery staple".into(), true),
    ];
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .into_iter()
            .map(|(id, password, owasp)| {
                s.spawn(move || {
                    let hash = if owasp {
                        PasswordHasher::new(PasswordParams::OWASP_MINIMUM)
                            .hash(&password)
                            .unwrap()
                    } else {
                        hash_password(&password).unwrap()
                    };
                    RustHash {
                        id,
                        password,
                        hash,
                        needs_rehash: owasp,
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// (c) Tokens and password hashes made by auth-core verify in hawkapi-auth, live.
#[tokio::test]
async fn rust_tokens_verify_in_python() {
    let Some(python) = interop_python() else {
        return;
    };
    let started = Instant::now();
    let tokens = rust_tokens().await;
    let hashes = rust_hashes();

    let input = json!({
        "tokens": tokens.iter().map(|t| json!({
            "id": t.id,
            "verify_as": t.verify_as.as_str(),
            "token": t.token,
            "config": t.python_config,
        })).collect::<Vec<_>>(),
        "passwords": hashes.iter().map(|h| json!({
            "id": h.id,
            "password": h.password,
            "wrong_password": format!("{}x", h.password),
            "hash": h.hash,
        })).collect::<Vec<_>>(),
    });
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let input_path = std::env::temp_dir().join(format!(
        "auth-core-interop-{}-{nanos}.json",
        std::process::id()
    ));
    std::fs::write(&input_path, serde_json::to_vec_pretty(&input).unwrap()).unwrap();

    let script = core_dir().join("tests/interop/verify_rust_tokens.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&input_path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let _ = std::fs::remove_file(&input_path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {} failed ({}): {stderr}\n(is the venv up to date? run scripts/interop-venv.sh)",
        python.display(),
        script.display(),
        output.status
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "verify_rust_tokens.py printed no JSON report ({e}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });

    let mut failures = Vec::new();
    let by_id: BTreeMap<&str, &Value> = report["tokens"]
        .as_array()
        .expect("report.tokens")
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    assert_eq!(by_id.len(), tokens.len(), "one report entry per token");
    for t in &tokens {
        let r = by_id[t.id.as_str()];
        match (&t.expect, r["ok"].as_bool().unwrap()) {
            (Ok(claims), true) => {
                if &r["claims"] != claims {
                    failures.push(format!(
                        "{}: claims differ: {}",
                        t.id,
                        object_diff(claims, &r["claims"])
                    ));
                }
            }
            (Ok(_), false) => {
                failures.push(format!("{}: hawkapi-auth refused it: {}", t.id, r["error"]))
            }
            (Err(want), true) => failures.push(format!(
                "{}: hawkapi-auth accepted it, expected a refusal containing {want:?}",
                t.id
            )),
            (Err(want), false) => {
                let got = r["error"].as_str().unwrap_or_default();
                if !got.contains(want) {
                    failures.push(format!(
                        "{}: hawkapi-auth refused it with {got:?}, expected {want:?}",
                        t.id
                    ));
                }
            }
        }
    }
    let pw_reports = report["passwords"].as_array().expect("report.passwords");
    assert_eq!(pw_reports.len(), hashes.len(), "one report entry per hash");
    for (h, r) in hashes.iter().zip(pw_reports) {
        assert_eq!(r["id"], h.id);
        let want = json!({"id": h.id, "verify": true, "verify_wrong": false, "needs_rehash": h.needs_rehash});
        if r != &want {
            failures.push(format!(
                "password {} ({}): hawkapi-auth said {r}, expected {want}",
                h.id, h.hash
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "hawkapi-auth ({}) disagrees with auth-core:\n  {}",
        report["versions"],
        failures.join("\n  ")
    );
    eprintln!(
        "interop: hawkapi-auth ({}) checked {} auth-core tokens and {} hashes in {:.2?}",
        report["versions"],
        tokens.len(),
        hashes.len(),
        started.elapsed()
    );
}
