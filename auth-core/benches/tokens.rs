//! Token benchmarks: issue and verify for every algorithm, and the floor that HS256
//! verification is compared with, measured in the same run.
//!
//! ```sh
//! export CARGO_TARGET_DIR=/work/target
//! cargo bench -p auth-core --bench tokens                    # everything (~2 min)
//! cargo bench -p auth-core --bench tokens -- verify_floor    # only the floor group
//! ```
//!
//! Groups:
//! - `issue/<ALG>`: `Issuer::issue_access` of a quickstart-shaped access token (32-hex
//!   `sub`, `{"scope": "admin"}`).
//! - `verify/<ALG>`: `Issuer::verify_access` of that token, first verification: the
//!   issuer's verified-token cache is off (`verify_cache_entries = 0`), so every call
//!   checks the signature and parses the token.
//! - `verify_cached/<ALG>` (HS256, ES256): `Issuer::verify_access_shared` (what the
//!   request guards call) of a token verified before, with the default cache: a cache hit
//!   plus the expiry and revocation-view checks.
//! - `verify_floor/*` (HS256, one token, in one group so the ratios come from one run):
//!   - `auth_core_verify_access`: ours, first verification, as in `verify/HS256`;
//!   - `auth_core_verify_cached`: ours, token seen before, as in `verify_cached/HS256`;
//!   - `jsonwebtoken_decode`: the raw `jsonwebtoken::decode` (jsonwebtoken 12,
//!     `Validation::new(Algorithm::HS256)`) into a `serde_json::Value`;
//!   - `floor_hmac_b64_json`: one HMAC-SHA256 over the signing input (key set up per
//!     call, as jsonwebtoken does), the signature's base64url decoding and a
//!     constant-time comparison, then base64url and JSON decoding of the payload: what
//!     no verifier can avoid;
//!   - `floor_prekeyed_hmac_b64_json`: the same with the HMAC key schedule done once and
//!     the keyed state cloned per call: what a verifier that keeps its keyed HMAC state
//!     (jsonwebtoken builds a verifier, and keys the HMAC, on every call) would pay.
//!
//! The target "first verification ≤ 2× the raw jsonwebtoken decode" reads
//! `verify_floor/auth_core_verify_access ÷ verify_floor/jsonwebtoken_decode`;
//! `bench/micro.sh` runs this file and prints that ratio from criterion's medians.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::expect_used,
    reason = "a benchmark harness: criterion's macros make undocumented pub fns, and a setup failure should abort loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use auth_core::{Algorithm, Issuer, IssuerConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

/// 64 bytes: long enough for HS512 (and HS256/384).
const SECRET: &str = "bench-secret-bench-secret-bench-secret-bench-secret-bench-secret";
/// A quickstart user id (`lower(hex(randomblob(16)))`).
const SUBJECT: &str = "3f0c9a4e5b6d7e8f9012a3b4c5d6e7f8";

fn key_path(file: &str) -> String {
    format!("{}/tests/data/keys/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// An issuer for `alg` with the repository's test key for it; `cache` keeps the
/// verified-token cache (the default) or turns it off.
fn issuer(alg: Algorithm, cache: bool) -> Issuer {
    let config = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            let mut c = IssuerConfig::hs256(SECRET);
            c.algorithm = alg;
            c
        }
        _ => {
            let file = match alg {
                Algorithm::ES256 => "p256.pem",
                Algorithm::ES384 => "p384.pem",
                Algorithm::EdDSA => "ed25519.pem",
                _ => "rsa2048.pem",
            };
            let pem = std::fs::read_to_string(key_path(file)).expect("read a test key");
            IssuerConfig::with_private_key(alg, pem)
        }
    };
    let mut config = config;
    if !cache {
        config.verify_cache_entries = 0;
    }
    Issuer::new(config).expect("build the issuer")
}

fn extra() -> Value {
    json!({"scope": "admin"})
}

fn issue_and_verify(c: &mut Criterion) {
    let mut issue = c.benchmark_group("issue");
    for alg in Algorithm::ALL {
        let iss = issuer(alg, false);
        let extra = extra();
        issue.bench_function(alg.as_str(), |b| {
            b.iter(|| {
                iss.issue_access(black_box(SUBJECT), black_box(&extra))
                    .expect("issue")
            });
        });
    }
    issue.finish();

    let mut verify = c.benchmark_group("verify");
    for alg in Algorithm::ALL {
        let iss = issuer(alg, false);
        let token = iss.issue_access(SUBJECT, &extra()).expect("issue");
        verify.bench_function(alg.as_str(), |b| {
            b.iter(|| iss.verify_access(black_box(&token)).expect("verify"));
        });
    }
    verify.finish();

    let mut cached = c.benchmark_group("verify_cached");
    for alg in [Algorithm::HS256, Algorithm::ES256] {
        let iss = issuer(alg, true);
        let token = iss.issue_access(SUBJECT, &extra()).expect("issue");
        iss.verify_access_shared(&token)
            .expect("first verification");
        cached.bench_function(alg.as_str(), |b| {
            b.iter(|| iss.verify_access_shared(black_box(&token)).expect("verify"));
        });
    }
    cached.finish();
}

/// What no HS256 verifier can avoid: one HMAC-SHA256 over the signing input, decoding
/// and comparing the signature, decoding the payload's base64url and JSON.
fn floor(secret: &[u8], token: &str) -> Value {
    let mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    floor_with(mac, token)
}

/// The floor with an already keyed HMAC state.
fn floor_with(mut mac: Hmac<Sha256>, token: &str) -> Value {
    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let (_, payload) = signing_input.split_once('.').expect("three parts");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    mac.verify_slice(&signature).expect("valid signature");
    let payload = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&payload).expect("JSON")
}

fn verify_floor(c: &mut Criterion) {
    let iss = issuer(Algorithm::HS256, false);
    let token = iss.issue_access(SUBJECT, &extra()).expect("issue");
    let cached = issuer(Algorithm::HS256, true);
    cached
        .verify_access_shared(&token)
        .expect("first verification");
    let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).expect("HMAC key");
    let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);

    // The three agree on the token before anything is timed.
    let ours = iss.verify_access(&token).expect("ours verifies");
    let theirs = jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("jwt verifies");
    assert_eq!(theirs.claims["sub"], ours.sub);
    assert_eq!(floor(SECRET.as_bytes(), &token)["sub"], ours.sub);

    let mut g = c.benchmark_group("verify_floor");
    g.bench_function("auth_core_verify_access", |b| {
        b.iter(|| iss.verify_access(black_box(&token)).expect("verify"));
    });
    g.bench_function("auth_core_verify_cached", |b| {
        b.iter(|| {
            cached
                .verify_access_shared(black_box(&token))
                .expect("verify")
        });
    });
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).expect("decode")
        });
    });
    g.bench_function("floor_hmac_b64_json", |b| {
        b.iter(|| floor(SECRET.as_bytes(), black_box(&token)));
    });
    let keyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    g.bench_function("floor_prekeyed_hmac_b64_json", |b| {
        b.iter(|| floor_with(keyed.clone(), black_box(&token)));
    });
    g.finish();
}

fn config() -> Criterion {
    // Short windows keep the whole file near a minute and a half; the command line
    // (`--warm-up-time`, `--measurement-time`) overrides them.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = issue_and_verify, verify_floor
}
criterion_main!(benches);
