//! The revocation check with 0, 1 thousand and 1 million revoked entries, and the memory
//! an entry costs.
//!
//! ```sh
//! cargo bench -p auth-core --bench revocation
//! ```
//!
//! - `revocation_check/<N>/same_token`: `Issuer::check_revoked` of one (not revoked)
//!   token's claims, again and again, with N revoked tokens in the view: the lookups stay
//!   in the CPU cache.
//! - `revocation_check/<N>/many_tokens`: the same over 4096 distinct tokens in turn: the
//!   lookups touch memory all over the table, as a server seeing many clients does.
//! - `revocation_verify_cached/<N>`: `Issuer::verify_access_shared` of a token seen before (cache
//!   hit + time checks + the revocation check): the whole per-request cost.
//!
//! Before the timings, the memory per entry is printed: resident memory grown by revoking
//! 1 million tokens, divided by a million, for the store alone and for the issuer (store
//! and local view together).
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark harness: criterion's macros make undocumented pub fns, and a setup failure should abort loudly"
)]

use std::hint::black_box;
use std::sync::Arc;

use auth_core::{Claims, Issuer, IssuerConfig, MemoryStore, Revocation, RevocationStore};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const SECRET: &str = "revocation-bench-secret-revocation-bench-secret";
const SIZES: [usize; 3] = [0, 1_000, 1_000_000];

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn jti(i: usize) -> String {
    format!(
        "{:032x}",
        (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)
    )
}

/// An issuer whose view holds `n` revoked tokens.
fn issuer_with(n: usize) -> Issuer {
    let issuer = Issuer::new(IssuerConfig::hs256(SECRET)).unwrap();
    block_on(async {
        for i in 0..n {
            issuer
                .revoke_jti(&jti(i), u64::from(u32::MAX))
                .await
                .unwrap();
        }
    });
    issuer
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn memory_per_entry() {
    const N: usize = 1_000_000;
    let before = resident_bytes();
    let store = MemoryStore::new();
    block_on(async {
        for i in 0..N {
            store
                .revoke(&[Revocation::Token {
                    jti: jti(i),
                    expires_at: u64::from(u32::MAX),
                }])
                .await
                .unwrap();
        }
    });
    let store_only = resident_bytes().saturating_sub(before);
    drop(store);
    let before = resident_bytes();
    let issuer = issuer_with(N);
    let both = resident_bytes().saturating_sub(before);
    drop(issuer);
    if store_only == 0 {
        println!("memory per revoked entry: /proc/self/statm unavailable");
        return;
    }
    println!(
        "memory per revoked entry (1,000,000 entries, resident memory): store {:.0} bytes; store + local view {:.0} bytes (view {:.0})",
        store_only as f64 / N as f64,
        both as f64 / N as f64,
        both.saturating_sub(store_only) as f64 / N as f64
    );
}

fn benches(c: &mut Criterion) {
    memory_per_entry();
    let mut group = c.benchmark_group("revocation_check");
    for n in SIZES {
        let issuer = issuer_with(n);
        let pool: Vec<Claims> = (0..4096)
            .map(|_| {
                issuer
                    .verify_access(&issuer.issue_pair("user", &()).unwrap().access_token)
                    .unwrap()
            })
            .collect();
        let one = pool[0].clone();
        group.bench_with_input(
            BenchmarkId::new(n.to_string(), "same_token"),
            &one,
            |b, claims| {
                b.iter(|| issuer.check_revoked(black_box(claims)).unwrap());
            },
        );
        let mut i = 0;
        group.bench_function(BenchmarkId::new(n.to_string(), "many_tokens"), |b| {
            b.iter(|| {
                i = (i + 1) & 4095;
                issuer.check_revoked(black_box(&pool[i])).unwrap();
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("revocation_verify_cached");
    for n in SIZES {
        let issuer = issuer_with(n);
        let token = issuer.issue_pair("user", &()).unwrap().access_token;
        let _: Arc<Claims> = issuer.verify_access_shared(&token).unwrap();
        group.bench_function(n.to_string(), |b| {
            b.iter(|| issuer.verify_access_shared(black_box(&token)).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = revocation;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(revocation);
