//! [`RedisStore`]: revocations in Redis, shared by every instance of a service. The
//! design (key layout, scripts, connections, operations) is documented on the type,
//! which is what the crate exports.

use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult, Script, Value};

use crate::{
    Changes, Consumed, Cursor, RefreshStatus, RefreshUse, Revocation, RevocationStore, StoreError,
};

/// The store's name, in errors and logs.
const NAME: &str = "redis";
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long Redis may take to answer one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1500);
/// Upper bound on any one call, reconnection included: what a request waits at worst.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Upper bound on [`RedisStore::connect`].
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);
/// How much longer than its `BLOCK` time an `XREAD` may take to answer.
const BLOCK_MARGIN: Duration = Duration::from_secs(2);
/// Default log retention: longer than any sensible refresh-token lifetime.
const DEFAULT_RETENTION: Duration = Duration::from_secs(31 * 24 * 3600);
/// Entries read per `XRANGE` / `XREAD`.
const BATCH: usize = 1000;
/// Revocations recorded per script call (one atomic step each).
const REVOKE_CHUNK: usize = 256;
/// Idle connections kept for `changes`.
const MAX_IDLE_BLOCKING: usize = 4;
/// Expiries are clamped to the end of year 9999 so that milliseconds stay exact in Lua
/// (whose numbers are doubles) and within what Redis accepts.
const MAX_EXPIRY: u64 = 253_402_300_799;

/// Shared by `revoke` and `consume`: the server's time, and helpers that write keys
/// and log entries with the store's expiry rules.
const PRELUDE: &str = r"
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- Keeps KEY (set to VALUE if absent) until EXP, Unix seconds: a later expiry extends
-- it, an earlier one never shortens it. Writes nothing and returns false when EXP is
-- already past.
local function keep(key, value, exp)
  local exp_ms = tonumber(exp) * 1000
  if exp_ms <= now_ms then return false end
  local pttl = redis.call('PTTL', key)
  if pttl == -2 then
    redis.call('SET', key, value, 'EXAT', exp)
  elseif pttl >= 0 and now_ms + pttl < exp_ms then
    redis.call('EXPIREAT', key, exp)
  end
  return true
end

-- A subject cutoff only moves forward; its expiry follows keep().
local function keep_cutoff(key, cutoff, exp)
  if tonumber(exp) * 1000 <= now_ms then return false end
  local current = redis.call('GET', key)
  if current and (tonumber(current) or -1) < tonumber(cutoff) then
    redis.call('SET', key, cutoff, 'KEEPTTL')
  end
  return keep(key, cutoff, exp)
end

-- Appends a revocation to the log, drops entries older than the retention, and keeps
-- the log itself for the retention after its newest entry.
local function log(key, retention_ms, kind, id, cutoff, exp)
  local min_id = math.max(now_ms - retention_ms, 0)
  redis.call('XADD', key, 'MINID', '~', string.format('%d', min_id), '*',
    'kind', kind, 'id', id, 'cutoff', cutoff, 'exp', exp)
  local until_ms = now_ms + retention_ms
  local pttl = redis.call('PTTL', key)
  if pttl < 0 or now_ms + pttl < until_ms then
    redis.call('PEXPIREAT', key, string.format('%d', until_ms))
  end
end
";

/// KEYS: the log, then one key per revocation (`tok:`, `fam:` or `sub:`).
/// ARGV: the retention in ms, then `kind, id, cutoff, exp` per revocation.
/// Returns the number of revocations recorded (those not already expired).
const REVOKE: &str = r"
local retention_ms = tonumber(ARGV[1])
local recorded = 0
for i = 2, #KEYS do
  local a = 2 + (i - 2) * 4
  local kind, id, cutoff, exp = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local kept
  if kind == 'subject' then
    kept = keep_cutoff(KEYS[i], cutoff, exp)
  else
    kept = keep(KEYS[i], '1', exp)
  end
  if kept then
    log(KEYS[1], retention_ms, kind, id, cutoff, exp)
    recorded = recorded + 1
  end
end
return recorded
";

/// KEYS: `tok:<jti>`, `fam:<family>`, `sub:<subject>`, `used:<jti>`, the log.
/// ARGV: `issued_at`, `expires_at` (of the used mark), the family, `family_expires_at`,
/// the retention in ms, an attempt id. Returns `revoked`, `fresh` or `reused`.
///
/// The used mark holds `<family> <attempt id>`: when a reply is lost and the very same
/// attempt is sent again, it finds its own mark and is still `fresh`, not a replay.
const CONSUME: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 'revoked'
end
local cutoff = redis.call('GET', KEYS[3])
-- An unreadable cutoff fails closed.
if cutoff and tonumber(ARGV[1]) <= (tonumber(cutoff) or math.huge) then
  return 'revoked'
end
-- A mark that would already be expired is not kept (the token is past its expiry).
if tonumber(ARGV[2]) * 1000 <= now_ms then
  return 'fresh'
end
local mark = ARGV[3] .. ' ' .. ARGV[6]
if redis.call('SET', KEYS[4], mark, 'NX', 'EXAT', ARGV[2]) then
  return 'fresh'
end
if redis.call('GET', KEYS[4]) == mark then
  return 'fresh'
end
-- Used before: a replay. Revoke the whole family in the same step.
if keep(KEYS[2], '1', ARGV[4]) then
  log(KEYS[5], tonumber(ARGV[5]), 'family', ARGV[3], '0', ARGV[4])
end
return 'reused'
";

/// KEYS: `tok:<jti>`, `fam:<family>`, `sub:<subject>`, `used:<jti>`. ARGV: `issued_at`.
/// Returns `revoked`, `used` or `usable`. Read-only.
const STATUS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 'revoked'
end
local cutoff = redis.call('GET', KEYS[3])
if cutoff and tonumber(ARGV[1]) <= (tonumber(cutoff) or math.huge) then
  return 'revoked'
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return 'used'
end
return 'usable'
";

/// Revocations in Redis, shared by every instance of a service on every host: Redis is
/// the source of truth, and each issuer follows its change log to keep its local view
/// current. Needs the `redis` feature and a Tokio runtime.
///
/// ```no_run
/// use auth_core::{Issuer, IssuerConfig, RedisStore, random_secret};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let cfg = IssuerConfig::hs256(random_secret());
/// let issuer = Issuer::builder(cfg)
///     .store(RedisStore::connect("redis://127.0.0.1/", "auth").await?)
///     .build()?;
/// // At start-up: load the revocations in force, then follow the changes.
/// issuer.load_revocations().await?;
/// let follower = issuer.clone();
/// tokio::spawn(async move { follower.sync_revocations(tokio::time::sleep).await });
/// # Ok(())
/// # }
/// ```
///
/// # Key layout
///
/// Every key of a store lives under one hash tag, the configured prefix in braces
/// (default `auth`):
///
/// | key | type | value | expires |
/// |---|---|---|---|
/// | `{auth}:tok:<jti>` | string | `1` | when the revoked token does |
/// | `{auth}:fam:<family>` | string | `1` | when the last token of the family does |
/// | `{auth}:sub:<subject>` | string | the cutoff (Unix seconds) | when the last token issued before the cutoff does |
/// | `{auth}:used:<jti>` | string | the family | when the used refresh token does |
/// | `{auth}:log` | stream | one entry per revocation: `kind`, `id`, `cutoff`, `exp` | [retention](RedisStore::with_retention) after its newest entry |
///
/// One hash tag puts every key of the store in one Redis Cluster slot. That is what lets
/// the Lua scripts below touch the token, its family, its subject, its "used" mark and
/// the log in one atomic step on a cluster as on a single server (a script may only use
/// keys of one slot). The price is that one node holds all revocation data, which is
/// small: tens of bytes per revoked token or session and per rotation, each gone when
/// its token expires.
///
/// Every key expires with what it revokes: a later expiry extends a key, an earlier one
/// never shortens it, an expiry already past writes nothing, and a subject cutoff only
/// moves forward. The log is trimmed on every write to the store's retention (entries
/// older than that are dropped), so nothing grows without bound.
///
/// # Scripts
///
/// Writes and checks are Lua scripts ([`redis::Script`], sent by SHA with `EVALSHA` and
/// loaded again on `NOSCRIPT`, e.g. after a restart or fail-over), so each is atomic
/// across every process sharing the store, and Rust never reads then writes:
///
/// - `revoke` records revocations and appends one log entry each;
/// - `consume` checks the token, its family and its subject cutoff, then marks the token
///   used with `SET NX` (exactly one concurrent caller succeeds); when the mark was
///   already there it revokes the family and logs that, in the same step;
/// - `status` only reads.
///
/// Expiry is judged by the Redis server's clock (that is what expires the keys), so keep
/// the clocks of Redis and of the issuers synchronised (NTP); the issuers' leeway
/// absorbs small differences.
///
/// # Connections
///
/// Commands share one auto-reconnecting multiplexed connection
/// ([`redis::aio::ConnectionManager`]). Every call is bounded: a Redis that is down or
/// does not answer makes calls fail within about two seconds with
/// [`StoreError::Unavailable`], so a request never hangs (and the issuer fails closed).
/// A connection that stops answering altogether is replaced, not waited on.
///
/// Following changes (`XREAD BLOCK`) blocks a connection for up to the wait, so it never
/// goes through the shared one: each waiting [`changes`](RevocationStore::changes) call
/// uses a dedicated connection (kept for the next call, dropped on any error).
///
/// # Operating Redis
///
/// - **Version:** Redis 6.2 or later (or a compatible server): the scripts use
///   `SET … EXAT`, `XADD … MINID` and exclusive `XRANGE` ranges.
/// - **Persistence is required.** Revocations and "used" marks live only in Redis: if it
///   restarts without its data, revoked tokens and sessions work again and replayed
///   refresh tokens are accepted once more. Enable the append-only file
///   (`appendonly yes`; `appendfsync everysec` loses at most about a second of writes).
/// - **No eviction.** Every key of the store has a TTL, so a `volatile-*` policy (like
///   any `allkeys-*` one) may evict live revocations under memory pressure, silently
///   un-revoking tokens. Set `maxmemory-policy noeviction` (writes then fail, and the
///   issuer fails closed) or give the store its own Redis.
/// - **Retention** (see [`with_retention`](Self::with_retention)) must cover the longest
///   token lifetime plus the leeway, and every instance sharing a prefix should use the
///   same prefix and retention.
/// - **Cluster:** the key layout is cluster-ready (one hash tag), but this store connects
///   to one server URL (a standalone Redis, a primary, or an endpoint that routes by key).
/// - **ACL:** the store's user needs, on the keys `{prefix}:*`, `EVALSHA`, `SCRIPT LOAD`,
///   `XRANGE` and `XREAD`, and the commands the scripts run: `TIME`, `EXISTS`, `GET`,
///   `SET`, `PTTL`, `EXPIREAT`, `PEXPIREAT` and `XADD` (and optionally `INFO`, to check
///   the version at start-up).
pub struct RedisStore {
    client: Client,
    /// Where the store connects, for messages (never the password).
    addr: String,
    manager_config: ConnectionManagerConfig,
    /// The shared command connection, with a generation number so that a connection
    /// that stopped answering is replaced only once.
    commands: Mutex<(u64, ConnectionManager)>,
    /// Idle dedicated connections for `XREAD BLOCK`.
    blocking: Mutex<Vec<MultiplexedConnection>>,
    keys: Keys,
    retention: Duration,
    revoke_script: Script,
    consume_script: Script,
    status_script: Script,
}

impl RedisStore {
    /// Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `redis+unix:///path`) and keeps every key under the hash tag `{prefix}`. Checks
    /// that the server answers and loads the scripts, so a deployment that cannot reach
    /// Redis fails at start-up rather than at the first request.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misconfigured`] when the URL, prefix or server version is unusable;
    /// [`StoreError::Unavailable`] when the server cannot be reached within a few seconds
    /// or refuses the commands the store needs.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        check_prefix(prefix)?;
        let client = Client::open(url).map_err(|e| StoreError::Misconfigured {
            backend: NAME,
            reason: format!("invalid Redis URL: {e}"),
        })?;
        let addr = client.get_connection_info().addr().to_string();
        let cannot = |reason: String| {
            StoreError::unavailable(NAME, format!("cannot connect to Redis at {addr}: {reason}"))
        };
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_millis(500));
        let manager = match tokio::time::timeout(
            CONNECT_DEADLINE,
            ConnectionManager::new_with_config(client.clone(), manager_config.clone()),
        )
        .await
        {
            Ok(Ok(manager)) => manager,
            Ok(Err(e)) => return Err(cannot(e.to_string())),
            Err(_) => return Err(cannot(format!("no answer within {CONNECT_DEADLINE:?}"))),
        };
        let store = Self {
            client,
            addr: addr.clone(),
            manager_config,
            commands: Mutex::new((0, manager)),
            blocking: Mutex::new(Vec::new()),
            keys: Keys::new(prefix),
            retention: DEFAULT_RETENTION,
            revoke_script: Script::new(&format!("{PRELUDE}{REVOKE}")),
            consume_script: Script::new(&format!("{PRELUDE}{CONSUME}")),
            status_script: Script::new(STATUS),
        };
        store.check_server().await?;
        Ok(store)
    }

    /// Keeps the change log for `retention` (default 31 days; at least one second).
    /// An issuer starting up rebuilds its view of revoked access tokens from the log, so
    /// the log must reach back over the longest token lifetime plus the leeway; older
    /// entries are dropped. The keys themselves (what refresh tokens are checked
    /// against) expire with what they revoke, whatever the retention.
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention.max(Duration::from_secs(1));
        self
    }

    /// How long the change log is kept.
    #[must_use]
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// The prefix every key lives under (inside a `{…}` hash tag).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.keys.prefix
    }

    fn retention_ms(&self) -> u64 {
        u64::try_from(self.retention.as_millis()).unwrap_or(u64::MAX)
    }

    /// Checks the server's version (when `INFO` is allowed) and loads the scripts.
    async fn check_server(&self) -> Result<(), StoreError> {
        let info = self
            .call(|mut c| async move {
                redis::cmd("INFO")
                    .arg("server")
                    .query_async::<String>(&mut c)
                    .await
            })
            .await;
        // INFO may be disabled or denied by an ACL: the version check is then skipped.
        if let Ok(info) = info
            && let Some(version) = info
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .map(str::trim)
            && !version_at_least(version, 6, 2)
        {
            return Err(StoreError::Misconfigured {
                backend: NAME,
                reason: format!(
                    "Redis at {} is version {version}: the store needs 6.2 or later",
                    self.addr
                ),
            });
        }
        for script in [
            &self.revoke_script,
            &self.consume_script,
            &self.status_script,
        ] {
            self.call(|mut c| async move { script.prepare_invoke().load_async(&mut c).await })
                .await?;
        }
        Ok(())
    }

    /// Runs `f` on the shared command connection, bounded by [`CALL_TIMEOUT`]. A
    /// connection that timed out is replaced (a half-open TCP connection would otherwise
    /// time out every command until the kernel notices, which takes minutes).
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let (generation, connection) = {
            let guard = self.commands.lock().unwrap_or_else(PoisonError::into_inner);
            (guard.0, guard.1.clone())
        };
        match tokio::time::timeout(CALL_TIMEOUT, f(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) if e.is_timeout() => {
                self.replace_connection(generation);
                Err(StoreError::unavailable(
                    NAME,
                    format!("no answer from {} within {RESPONSE_TIMEOUT:?}", self.addr),
                ))
            }
            Ok(Err(e)) => Err(self.failed(e)),
            Err(_) => {
                self.replace_connection(generation);
                Err(StoreError::unavailable(
                    NAME,
                    format!("no answer from {} within {CALL_TIMEOUT:?}", self.addr),
                ))
            }
        }
    }

    /// A Redis error, with the server it came from.
    fn failed(&self, e: RedisError) -> StoreError {
        StoreError::unavailable(
            NAME,
            Failure {
                addr: self.addr.clone(),
                source: e,
            },
        )
    }

    fn replace_connection(&self, generation: u64) {
        let mut guard = self.commands.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.0 != generation {
            return; // Already replaced by another call.
        }
        // Lazy: connects on the next call, which is bounded like any other.
        match ConnectionManager::new_lazy_with_config(
            self.client.clone(),
            self.manager_config.clone(),
        ) {
            Ok(manager) => *guard = (generation.wrapping_add(1), manager),
            Err(e) => log::warn!("auth: cannot replace the Redis connection: {e}"),
        }
    }

    async fn run_script(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[String],
    ) -> Result<String, StoreError> {
        self.call(|mut c| async move {
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(*key);
            }
            for arg in args {
                invocation.arg(arg.as_str());
            }
            match invocation.invoke_async::<Value>(&mut c).await {
                // A connection that died while idle (Redis restarted) fails the first
                // command; the manager reconnects, and one retry is safe: revocations are
                // idempotent and a consume recognises its own attempt.
                Err(e)
                    if e.is_connection_dropped()
                        || e.is_connection_refusal()
                        || e.is_io_error() =>
                {
                    invocation.invoke_async::<Value>(&mut c).await
                }
                other => other,
            }
        })
        .await
        .and_then(|value| match value {
            Value::SimpleString(s) => Ok(s),
            Value::BulkString(b) => String::from_utf8(b).map_err(|_| corrupt("a non-UTF-8 reply")),
            Value::Int(n) => Ok(n.to_string()),
            other => Err(corrupt(format!("unexpected script reply {other:?}"))),
        })
    }

    /// A dedicated connection for a blocking read: an idle one, or a new one.
    async fn blocking_connection(&self) -> Result<(MultiplexedConnection, bool), StoreError> {
        let idle = self
            .blocking
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(connection) = idle {
            return Ok((connection, true));
        }
        // The response timeout is per call (the wait plus a margin), not per connection.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None);
        match tokio::time::timeout(
            CALL_TIMEOUT,
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await
        {
            Ok(Ok(connection)) => Ok((connection, false)),
            Ok(Err(e)) => Err(self.failed(e)),
            Err(_) => Err(StoreError::unavailable(
                NAME,
                format!("cannot connect to {} within {CALL_TIMEOUT:?}", self.addr),
            )),
        }
    }

    fn return_blocking_connection(&self, connection: MultiplexedConnection) {
        let mut idle = self.blocking.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_BLOCKING {
            idle.push(connection);
        }
    }

    /// `XREAD [BLOCK wait] COUNT 1000 STREAMS log cursor` on a dedicated connection.
    async fn read_after(
        &self,
        cursor: &str,
        wait: Duration,
    ) -> Result<Option<StreamReadReply>, StoreError> {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(BATCH);
        if !wait.is_zero() {
            // `BLOCK 0` would wait forever: never less than 1 ms.
            let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
            cmd.arg("BLOCK").arg(ms);
        }
        cmd.arg("STREAMS").arg(&self.keys.log).arg(cursor);
        let deadline = wait.saturating_add(BLOCK_MARGIN);
        loop {
            let (mut connection, reused) = self.blocking_connection().await?;
            match tokio::time::timeout(
                deadline,
                cmd.query_async::<Option<StreamReadReply>>(&mut connection),
            )
            .await
            {
                Ok(Ok(reply)) => {
                    self.return_blocking_connection(connection);
                    return Ok(reply);
                }
                // An idle connection that died meanwhile (a Redis restart): try a new one.
                Ok(Err(e)) if reused && e.is_connection_dropped() => {}
                Ok(Err(e)) => return Err(self.failed(e)),
                Err(_) => {
                    return Err(StoreError::unavailable(
                        NAME,
                        format!("no answer from {} within {deadline:?}", self.addr),
                    ));
                }
            }
        }
    }

    fn parse_entries(&self, entries: &[StreamId], now: u64, out: &mut Vec<Revocation>) {
        for entry in entries {
            match parse_event(entry) {
                Some(r) if r.expires_at() > now => out.push(r),
                Some(_) => {}
                None => log::warn!(
                    "auth: skipping unreadable revocation event {} in Redis stream {}",
                    entry.id,
                    self.keys.log
                ),
            }
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("addr", &self.addr)
            .field("prefix", &self.keys.prefix)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl RevocationStore for RedisStore {
    async fn revoke(&self, revocations: &[Revocation]) -> Result<(), StoreError> {
        let retention = self.retention_ms().to_string();
        for chunk in revocations.chunks(REVOKE_CHUNK) {
            let mut keys = Vec::with_capacity(chunk.len() + 1);
            let mut args = Vec::with_capacity(chunk.len() * 4 + 1);
            keys.push(self.keys.log.clone());
            args.push(retention.clone());
            for r in chunk {
                let (key, kind, id, cutoff, exp) = match r {
                    Revocation::Token { jti, expires_at } => {
                        (self.keys.token(jti), "token", jti, 0, *expires_at)
                    }
                    Revocation::Family { family, expires_at } => {
                        (self.keys.family(family), "family", family, 0, *expires_at)
                    }
                    Revocation::Subject {
                        subject,
                        cutoff,
                        expires_at,
                    } => (
                        self.keys.subject(subject),
                        "subject",
                        subject,
                        *cutoff,
                        *expires_at,
                    ),
                };
                keys.push(key);
                args.extend([kind.to_owned(), id.clone(), cutoff.to_string(), expiry(exp)]);
            }
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            self.run_script(&self.revoke_script, &keys, &args).await?;
        }
        Ok(())
    }

    async fn consume(&self, t: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        let keys = [
            self.keys.token(t.jti),
            self.keys.family(t.family),
            self.keys.subject(t.subject),
            self.keys.used(t.jti),
            self.keys.log.clone(),
        ];
        let keys = keys.each_ref().map(String::as_str);
        let args = [
            t.issued_at.to_string(),
            expiry(t.expires_at),
            t.family.to_owned(),
            expiry(t.family_expires_at),
            self.retention_ms().to_string(),
            crate::secret::random_hex_id().map_err(|e| StoreError::unavailable(NAME, e))?,
        ];
        match self
            .run_script(&self.consume_script, &keys, &args)
            .await?
            .as_str()
        {
            "fresh" => Ok(Consumed::Fresh),
            "reused" => Ok(Consumed::Reused),
            "revoked" => Ok(Consumed::Revoked),
            other => Err(corrupt(format!("unexpected consume outcome {other:?}"))),
        }
    }

    async fn refresh_status(&self, t: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        let keys = [
            self.keys.token(t.jti),
            self.keys.family(t.family),
            self.keys.subject(t.subject),
            self.keys.used(t.jti),
        ];
        let keys = keys.each_ref().map(String::as_str);
        match self
            .run_script(&self.status_script, &keys, &[t.issued_at.to_string()])
            .await?
            .as_str()
        {
            "usable" => Ok(RefreshStatus::Usable),
            "used" => Ok(RefreshStatus::Used),
            "revoked" => Ok(RefreshStatus::Revoked),
            other => Err(corrupt(format!("unexpected refresh status {other:?}"))),
        }
    }

    fn is_shared(&self) -> bool {
        true
    }

    /// Reads the whole log (which only reaches back over the retention) in batches and
    /// keeps the revocations not yet expired; the cursor is the last entry read.
    async fn snapshot(&self) -> Result<Changes, StoreError> {
        let now = unix_now();
        let mut revocations = Vec::new();
        let mut cursor = String::from("0-0");
        let mut start = String::from("-");
        loop {
            let log = &self.keys.log;
            let from = &start;
            let batch: StreamRangeReply = self
                .call(|mut c| async move {
                    redis::cmd("XRANGE")
                        .arg(log)
                        .arg(from)
                        .arg("+")
                        .arg("COUNT")
                        .arg(BATCH)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            self.parse_entries(&batch.ids, now, &mut revocations);
            let Some(last) = batch.ids.last() else { break };
            cursor.clone_from(&last.id);
            if batch.ids.len() < BATCH {
                break;
            }
            start = format!("({cursor}");
        }
        Ok(Changes::new(revocations, Cursor(cursor)))
    }

    /// `XREAD COUNT 1000 BLOCK <wait> STREAMS log <cursor>` on a dedicated connection (a
    /// blocked read would stall every command sharing its connection). An empty or
    /// invalid cursor reads the whole log (replaying revocations is harmless).
    async fn changes(&self, cursor: &Cursor, wait: Duration) -> Result<Changes, StoreError> {
        let from = if is_stream_id(&cursor.0) {
            cursor.0.as_str()
        } else {
            if !cursor.0.is_empty() {
                log::warn!(
                    "auth: invalid Redis revocation cursor {:?}; reading the log from its start",
                    cursor.0
                );
            }
            "0-0"
        };
        let Some(reply) = self.read_after(from, wait).await? else {
            return Ok(Changes::new(Vec::new(), Cursor(from.to_owned())));
        };
        let now = unix_now();
        let mut revocations = Vec::new();
        let mut next = from.to_owned();
        for stream in &reply.keys {
            self.parse_entries(&stream.ids, now, &mut revocations);
            if let Some(last) = stream.ids.last() {
                next.clone_from(&last.id);
            }
        }
        Ok(Changes::new(revocations, Cursor(next)))
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

/// A Redis error and the server it came from (never the URL: it may hold a password).
#[derive(Debug)]
struct Failure {
    addr: String,
    source: RedisError,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis at {}: {}", self.addr, self.source)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Key names, all under one hash tag.
#[derive(Debug)]
struct Keys {
    prefix: String,
    /// `{prefix}:`
    base: String,
    log: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        let base = format!("{{{prefix}}}:");
        Self {
            prefix: prefix.to_owned(),
            log: format!("{base}log"),
            base,
        }
    }
    fn token(&self, jti: &str) -> String {
        format!("{}tok:{jti}", self.base)
    }
    fn family(&self, family: &str) -> String {
        format!("{}fam:{family}", self.base)
    }
    fn subject(&self, subject: &str) -> String {
        format!("{}sub:{subject}", self.base)
    }
    fn used(&self, jti: &str) -> String {
        format!("{}used:{jti}", self.base)
    }
}

/// The prefix becomes the hash tag: it must be non-empty (an empty tag `{}` would spread
/// the keys over every slot) and hold no braces.
fn check_prefix(prefix: &str) -> Result<(), StoreError> {
    if prefix.is_empty()
        || prefix.len() > 128
        || prefix
            .chars()
            .any(|c| c == '{' || c == '}' || c.is_control() || c.is_whitespace())
    {
        return Err(StoreError::Misconfigured {
            backend: NAME,
            reason: format!(
                "invalid key prefix {prefix:?}: use 1 to 128 characters without braces, spaces \
                 or control characters (e.g. \"auth\")"
            ),
        });
    }
    Ok(())
}

fn expiry(unix_seconds: u64) -> String {
    unix_seconds.min(MAX_EXPIRY).to_string()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn corrupt(detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        backend: NAME,
        detail: detail.into(),
    }
}

/// `<ms>-<seq>`, as Redis writes stream ids.
fn is_stream_id(s: &str) -> bool {
    s.split_once('-')
        .is_some_and(|(ms, seq)| ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok())
}

fn version_at_least(version: &str, major: u64, minor: u64) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

/// A log entry back into a revocation; `None` for anything malformed.
fn parse_event(entry: &StreamId) -> Option<Revocation> {
    let kind: String = entry.get("kind")?;
    let id: String = entry.get("id")?;
    let exp: String = entry.get("exp")?;
    let expires_at = exp.parse().ok()?;
    if id.is_empty() {
        return None;
    }
    match kind.as_str() {
        "token" => Some(Revocation::Token {
            jti: id,
            expires_at,
        }),
        "family" => Some(Revocation::Family {
            family: id,
            expires_at,
        }),
        "subject" => {
            let cutoff: String = entry.get("cutoff")?;
            Some(Revocation::Subject {
                subject: id,
                cutoff: cutoff.parse().ok()?,
                expires_at,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_one_hash_tag() {
        let k = Keys::new("auth");
        assert_eq!(k.token("j"), "{auth}:tok:j");
        assert_eq!(k.family("f"), "{auth}:fam:f");
        assert_eq!(k.subject("s"), "{auth}:sub:s");
        assert_eq!(k.used("j"), "{auth}:used:j");
        assert_eq!(k.log, "{auth}:log");
        assert!(check_prefix("auth").is_ok());
        assert!(check_prefix("my-app.prod").is_ok());
        for bad in ["", "a{b", "a}b", "a b", "a\nb"] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stream_ids_and_versions() {
        assert!(is_stream_id("0-0"));
        assert!(is_stream_id("1700000000000-12"));
        assert!(!is_stream_id(""));
        assert!(!is_stream_id("$"));
        assert!(!is_stream_id("12"));
        assert!(!is_stream_id("a-1"));
        assert!(version_at_least("7.0.15", 6, 2));
        assert!(version_at_least("6.2.0", 6, 2));
        assert!(!version_at_least("6.0.20", 6, 2));
        assert!(!version_at_least("5.0", 6, 2));
    }

    #[test]
    fn expiries_are_clamped() {
        assert_eq!(expiry(u64::MAX), MAX_EXPIRY.to_string());
        assert_eq!(expiry(10), "10");
    }

    fn entry(fields: &[(&str, &str)]) -> StreamId {
        StreamId {
            id: "1-0".into(),
            map: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::BulkString(v.as_bytes().to_vec())))
                .collect(),
            ..StreamId::default()
        }
    }

    #[test]
    fn events_parse_or_are_refused() {
        assert_eq!(
            parse_event(&entry(&[
                ("kind", "subject"),
                ("id", "u"),
                ("cutoff", "5"),
                ("exp", "9")
            ])),
            Some(Revocation::Subject {
                subject: "u".into(),
                cutoff: 5,
                expires_at: 9
            })
        );
        assert_eq!(
            parse_event(&entry(&[
                ("kind", "family"),
                ("id", "f"),
                ("cutoff", "0"),
                ("exp", "9")
            ])),
            Some(Revocation::Family {
                family: "f".into(),
                expires_at: 9
            })
        );
        assert_eq!(parse_event(&entry(&[("kind", "token"), ("id", "j")])), None);
        assert_eq!(
            parse_event(&entry(&[("kind", "bogus"), ("id", "j"), ("exp", "9")])),
            None
        );
        assert_eq!(
            parse_event(&entry(&[("kind", "token"), ("id", "j"), ("exp", "x")])),
            None
        );
    }
}
