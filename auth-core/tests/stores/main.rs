//! The store contract: one suite of behaviour every `RevocationStore` must show, run
//! against each store this crate ships. Stores that need a server (Redis) talk to a real
//! one; when none is reachable the suite fails under `CI` and is skipped loudly elsewhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod contract;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
