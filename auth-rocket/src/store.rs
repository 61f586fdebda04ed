//! [`StoreConfig`]: which revocation store the fairing connects, and how stale its local
//! view may get.

use std::path::PathBuf;
use std::time::Duration;

use auth_core::{IssuerBuilder, Secret, StalePolicy};
use serde::Deserialize;

/// The revocation store: keys `store`, `store_path`, `redis_url`, `redis_prefix`,
/// `max_staleness` and `stale_policy` of the `auth` table.
///
/// ```toml
/// [default.auth]
/// store = "redis"                      # "memory" (default) | "sqlite" | "redis"
/// redis_url = "redis://127.0.0.1:6379/"
/// redis_prefix = "auth"
/// max_staleness = 10                   # seconds
/// stale_policy = "fail_closed"         # or "serve_stale"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StoreConfig {
    /// Which store. _Default:_ `memory` (one process; revocations lost on restart).
    pub store: StoreKind,
    /// The SQLite file, for `store = "sqlite"`. _Default:_ `auth-revocations.sqlite3`.
    pub store_path: PathBuf,
    /// The Redis URL, for `store = "redis"` (`redis://[:password@]host:port/db`; treated
    /// as a secret: it may hold a password). _Default:_ `redis://127.0.0.1:6379/`.
    pub redis_url: Secret,
    /// Prefix (and Redis Cluster hash tag) of every key. _Default:_ `auth`.
    pub redis_prefix: String,
    /// Seconds the local view of a shared store may go without news from it before
    /// access-token checks follow `stale_policy`. _Default:_ 10.
    pub max_staleness: u64,
    /// `fail_closed` (503 while the view is stale) or `serve_stale`. _Default:_
    /// `fail_closed`.
    pub stale_policy: StalePolicy,
}

/// The kinds of revocation store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StoreKind {
    /// In this process's memory: one instance, lost on restart.
    #[default]
    Memory,
    /// An SQLite file: the processes of one host, survives restarts (feature `sqlite`).
    Sqlite,
    /// Redis: every instance on every host (feature `redis`).
    Redis,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            store: StoreKind::Memory,
            store_path: PathBuf::from("auth-revocations.sqlite3"),
            redis_url: Secret::new("redis://127.0.0.1:6379/"),
            redis_prefix: "auth".to_owned(),
            max_staleness: 10,
            stale_policy: StalePolicy::FailClosed,
        }
    }
}

impl StoreConfig {
    /// Connects the configured store and hands it to `builder`.
    ///
    /// # Errors
    ///
    /// A message for the launch log when the store cannot be opened or reached, or is not
    /// compiled in.
    pub async fn apply(
        &self,
        builder: IssuerBuilder,
        longest_ttl: Duration,
    ) -> Result<IssuerBuilder, String> {
        let builder = builder
            .max_staleness(Duration::from_secs(self.max_staleness))
            .stale_policy(self.stale_policy);
        match self.store {
            StoreKind::Memory => Ok(builder),
            StoreKind::Sqlite => self.sqlite(builder),
            StoreKind::Redis => self.redis(builder, longest_ttl).await,
        }
    }

    #[cfg(feature = "sqlite")]
    fn sqlite(&self, builder: IssuerBuilder) -> Result<IssuerBuilder, String> {
        let store = auth_core::SqliteStore::open(&self.store_path).map_err(|e| {
            format!(
                "cannot open the SQLite revocation store {}: {e}; set `store_path` (ROCKET_AUTH_STORE_PATH) to a writable file",
                self.store_path.display()
            )
        })?;
        Ok(builder.store(store))
    }

    #[cfg(not(feature = "sqlite"))]
    fn sqlite(&self, _: IssuerBuilder) -> Result<IssuerBuilder, String> {
        Err("`store = \"sqlite\"` needs the `sqlite` feature of auth-rocket".to_owned())
    }

    #[cfg(feature = "redis")]
    async fn redis(
        &self,
        builder: IssuerBuilder,
        longest_ttl: Duration,
    ) -> Result<IssuerBuilder, String> {
        let store = auth_core::RedisStore::connect(self.redis_url.expose(), &self.redis_prefix).await.map_err(|e| {
            format!("cannot reach the Redis revocation store: {e}; check `redis_url` (ROCKET_AUTH_REDIS_URL) and that Redis runs")
        })?;
        Ok(builder.store(store.with_retention(longest_ttl)))
    }

    #[cfg(not(feature = "redis"))]
    async fn redis(&self, _: IssuerBuilder, _: Duration) -> Result<IssuerBuilder, String> {
        Err("`store = \"redis\"` needs the `redis` feature of auth-rocket".to_owned())
    }
}
