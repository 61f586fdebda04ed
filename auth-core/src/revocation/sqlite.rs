//! [`SqliteStore`]: being written.

/// Revocations in an SQLite file (being written).
#[derive(Debug)]
pub struct SqliteStore;
