//! Password benchmarks: argon2id hash and verify for each preset.
//!
//! ```sh
//! export CARGO_TARGET_DIR=/work/target
//! cargo bench -p auth-core --bench passwords    # ~30 s
//! ```
//!
//! - `password/hash/<preset>`: `PasswordHasher::hash` (fresh salt each time).
//! - `password/verify/<preset>`: `PasswordHasher::verify` of the right password against
//!   a hash made with the same preset.
//!
//! Presets: `HAWKAPI` (hawkapi-auth's m = 64 MiB, t = 3, p = 4; the default) and
//! `OWASP_MINIMUM` (m = 19 MiB, t = 2, p = 1). One operation takes tens to hundreds of
//! milliseconds, so samples are few and flat (one timed call each).
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::expect_used,
    reason = "a benchmark harness: criterion's macros make undocumented pub fns, and a setup failure should abort loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use auth_core::{PasswordHasher, PasswordParams};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

const PASSWORD: &str = "correct horse battery staple";

fn passwords(c: &mut Criterion) {
    let mut g = c.benchmark_group("password");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for (name, params) in [
        ("HAWKAPI", PasswordParams::HAWKAPI),
        ("OWASP_MINIMUM", PasswordParams::OWASP_MINIMUM),
    ] {
        let hasher = PasswordHasher::new(params);
        let stored = hasher.hash(PASSWORD).expect("hash");
        assert!(hasher.verify(PASSWORD, &stored));
        g.bench_function(format!("hash/{name}"), |b| {
            b.iter(|| hasher.hash(black_box(PASSWORD)).expect("hash"));
        });
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| hasher.verify(black_box(PASSWORD), black_box(&stored)));
        });
    }
    g.finish();
}

criterion_group!(benches, passwords);
criterion_main!(benches);
