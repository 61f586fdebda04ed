//! Integration tests of auth-core's public API, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod cache;
mod keyring;
mod keys;
mod passwords;
mod properties;
mod revocation;
mod support;
mod tokens;
