//! [`RedisStore`]: being written.

/// Revocations in Redis (being written).
#[derive(Debug)]
pub struct RedisStore;
