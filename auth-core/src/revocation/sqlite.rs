//! [`SqliteStore`]: revocations and used refresh tokens in an SQLite file, shared by the
//! processes of one host and kept across restarts.
//!
//! Every SQLite call runs on Tokio's blocking pool, on one connection per store handle
//! (guarded by a mutex that is never held across an `.await`). Writes that must be atomic
//! ([`consume`](RevocationStore::consume) above all) run in one `BEGIN IMMEDIATE`
//! transaction, which SQLite serialises across every connection to the file, whichever
//! process holds it. Other processes learn of revocations through an append-only change
//! log (`auth_revocation_log`), which [`changes`](RevocationStore::changes) polls.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{
    Changes, Clock, Consumed, Cursor, RefreshStatus, RefreshUse, Revocation, RevocationStore,
    StoreError,
};

/// The store's name, in errors and logs.
const BACKEND: &str = "sqlite";
/// How long a connection waits for another one (of any process) to release the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between two polls of the change log while [`changes`](RevocationStore::changes)
/// waits.
const POLL: Duration = Duration::from_millis(25);
/// Most change-log rows read by one poll.
const BATCH: i64 = 512;
/// Expired rows deleted from each table by every write, so that the tables shrink faster
/// than they grow under any steady load.
const PURGE_PER_WRITE: i64 = 64;
/// Expired rows deleted from each table per transaction by [`SqliteStore::purge`], so
/// that a large purge never holds the write lock for long.
const PURGE_CHUNK: i64 = 4096;
/// The version of the schema below, kept in `auth_meta`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS auth_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS auth_revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_revoked_tokens_expires_at
    ON auth_revoked_tokens (expires_at);

CREATE TABLE IF NOT EXISTS auth_used_refresh_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    family     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_used_refresh_tokens_expires_at
    ON auth_used_refresh_tokens (expires_at);

CREATE TABLE IF NOT EXISTS auth_revoked_families (
    family     TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_revoked_families_expires_at
    ON auth_revoked_families (expires_at);

CREATE TABLE IF NOT EXISTS auth_subject_cutoffs (
    subject    TEXT PRIMARY KEY NOT NULL,
    cutoff     INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_subject_cutoffs_expires_at
    ON auth_subject_cutoffs (expires_at);

CREATE TABLE IF NOT EXISTS auth_revocation_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('token', 'family', 'subject')),
    id         TEXT NOT NULL,
    cutoff     INTEGER,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_revocation_log_expires_at
    ON auth_revocation_log (expires_at);
";

/// Deletes expired rows, `?1` = now, `?2` = the most rows to delete. The first four are
/// entries (counted by [`SqliteStore::purge`]), the last the change log.
const PURGES: [&str; 5] = [
    "DELETE FROM auth_revoked_tokens WHERE jti IN
        (SELECT jti FROM auth_revoked_tokens WHERE expires_at <= ?1 LIMIT ?2)",
    "DELETE FROM auth_used_refresh_tokens WHERE jti IN
        (SELECT jti FROM auth_used_refresh_tokens WHERE expires_at <= ?1 LIMIT ?2)",
    "DELETE FROM auth_revoked_families WHERE family IN
        (SELECT family FROM auth_revoked_families WHERE expires_at <= ?1 LIMIT ?2)",
    "DELETE FROM auth_subject_cutoffs WHERE subject IN
        (SELECT subject FROM auth_subject_cutoffs WHERE expires_at <= ?1 LIMIT ?2)",
    "DELETE FROM auth_revocation_log WHERE seq IN
        (SELECT seq FROM auth_revocation_log WHERE expires_at <= ?1 LIMIT ?2)",
];

/// Revocations and used refresh tokens in an SQLite file.
///
/// **When to use it:** several processes on **one host** (workers of one server, a CLI
/// that revokes sessions, a restart) must see the same revocations and rotate refresh
/// tokens atomically, and revocations must survive restarts. The file can be the
/// application's own database: every table is prefixed `auth_`.
///
/// **When not:** processes on **several hosts** must share revocations. SQLite over a
/// network file system is not safe (its locks are unreliable there); use the Redis store.
/// For a single process whose revocations may be lost on restart, the in-memory store is
/// enough.
///
/// # How it works
///
/// Opening switches the file to WAL mode (a lasting property of the file, which suits an
/// application database too: readers no longer wait for writers). Each connection uses
/// `synchronous=NORMAL` (a power loss may forget the last few writes, a crash of the
/// process does not) and a busy timeout of 5 s, so processes wait for each other's
/// writes rather than fail; a store still busy after that answers
/// [`StoreError::Unavailable`], and the issuer fails closed. Every call runs on Tokio's
/// blocking pool, so the store needs a Tokio runtime (Rocket's) with the time driver.
///
/// [`consume`](RevocationStore::consume) reads and writes in one `BEGIN IMMEDIATE`
/// transaction, which SQLite serialises across every connection and process: of any
/// number of concurrent rotations of one refresh token, exactly one sees
/// [`Consumed::Fresh`]. Every recorded revocation is also appended to a change log that
/// the other processes' issuers poll (every 25 ms while they wait for news), so an access
/// token revoked in one process is refused by the others within about that delay.
///
/// Entries are deleted once their tokens have expired: a few on every write, and all at
/// once by [`purge`](Self::purge) (for a periodic task), so the file never grows without
/// bound.
///
/// Cloning gives another handle on the same connection; [`open`](Self::open) the file
/// again for a separate connection.
///
/// # Example
///
/// ```
/// use auth_core::{Issuer, IssuerConfig, SqliteStore, random_secret};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("auth-core-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("auth.sqlite3");
/// // Every process of the host opens the same file, e.g. "/var/lib/myapp/auth.sqlite3".
/// let store = SqliteStore::open(&path)?;
/// let issuer = Issuer::builder(IssuerConfig::hs256(random_secret()))
///     .store(store)
///     .build()?;
/// # drop(issuer);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
///
/// Then, at start-up, load the revocations already in force and follow the other
/// processes' ones (the Rocket fairing does both):
///
/// ```no_run
/// # async fn start(issuer: auth_core::Issuer) -> Result<(), auth_core::StoreError> {
/// issuer.load_revocations().await?;
/// let follower = issuer.clone();
/// tokio::spawn(async move { follower.sync_revocations(tokio::time::sleep).await });
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Arc<Path>,
    clock: Clock,
}

impl SqliteStore {
    /// Opens the store in the SQLite file at `path`, creating the file and its tables if
    /// needed.
    ///
    /// Blocks briefly (up to the busy timeout, if another process is writing): call it at
    /// start-up.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the file cannot be opened or created, or its
    /// tables cannot be created; [`StoreError::Corrupt`] when they were created by an
    /// incompatible version of this crate.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with_clock(path, Clock::system())
    }

    /// Like [`open`](Self::open), reading time from `clock` (for tests).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Clock) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let (conn, version) = connect(path).map_err(unavailable)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Corrupt {
                backend: BACKEND,
                detail: format!(
                    "the `auth_` tables are at schema version {version}, this version of \
                     auth-core reads version {SCHEMA_VERSION}: upgrade auth-core or use another file"
                ),
            });
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::from(path),
            clock,
        })
    }

    /// The file this store was opened on.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes every expired entry (and expired change-log rows); returns how many
    /// entries (revocations and used refresh tokens) were deleted. Writes already delete a
    /// few expired rows each; call this from a periodic task to reclaim the rest.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the file cannot be written.
    pub async fn purge(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            // One transaction per chunk, so other processes can write in between.
            let (entries, full) = self
                .run(|conn, now| {
                    let tx = begin_write(conn)?;
                    let mut entries = 0;
                    let mut full = false;
                    for (i, sql) in PURGES.iter().enumerate() {
                        let n = tx
                            .execute(sql, params![to_sql(now), PURGE_CHUNK])
                            .map_err(unavailable)?;
                        if i < PURGES.len() - 1 {
                            entries += n;
                        }
                        full |= i64::try_from(n).is_ok_and(|n| n >= PURGE_CHUNK);
                    }
                    tx.commit().map_err(unavailable)?;
                    Ok((entries, full))
                })
                .await?;
            total += entries;
            if !full {
                return Ok(total);
            }
        }
    }

    /// Runs `f` with the connection and the current time on Tokio's blocking pool (or in
    /// place, outside a Tokio runtime).
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, u64) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let clock = self.clock.clone();
        let job = move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            // A transaction left open (its rollback failed, or a panic unwound through it)
            // would make every later `BEGIN` fail: close it first.
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK").map_err(unavailable)?;
            }
            let now = clock.now();
            f(&mut conn, now)
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // No Tokio runtime (a synchronous tool driving the future by hand): there is
            // no async worker to keep free, so run in place rather than fail.
            return job();
        }
        tokio::task::spawn_blocking(job)
            .await
            .map_err(unavailable)?
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl RevocationStore for SqliteStore {
    async fn revoke(&self, revocations: &[Revocation]) -> Result<(), StoreError> {
        if revocations.is_empty() {
            return Ok(());
        }
        let revocations = revocations.to_vec();
        self.run(move |conn, now| {
            let tx = begin_write(conn)?;
            for r in &revocations {
                record(&tx, r, now)?;
            }
            purge_some(&tx, now)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn consume(&self, t: &RefreshUse<'_>) -> Result<Consumed, StoreError> {
        let t = OwnedUse::from(t);
        self.run(move |conn, now| {
            let tx = begin_write(conn)?;
            let (revoked, used) = status(&tx, &t, now)?;
            let outcome = if revoked {
                Consumed::Revoked
            } else if used {
                record(
                    &tx,
                    &Revocation::Family {
                        family: t.family.clone(),
                        expires_at: t.family_expires_at,
                    },
                    now,
                )?;
                Consumed::Reused
            } else {
                // As in the memory store, a mark that would already be expired is not kept.
                if t.expires_at > now {
                    // An expired mark may still be there, not yet purged: replace it.
                    tx.execute(
                        "INSERT INTO auth_used_refresh_tokens (jti, family, expires_at)
                         VALUES (?1, ?2, ?3)
                         ON CONFLICT (jti) DO UPDATE SET
                             family = excluded.family, expires_at = excluded.expires_at",
                        params![t.jti, t.family, to_sql(t.expires_at)],
                    )
                    .map_err(unavailable)?;
                }
                Consumed::Fresh
            };
            if outcome != Consumed::Revoked {
                purge_some(&tx, now)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(outcome)
        })
        .await
    }

    async fn refresh_status(&self, t: &RefreshUse<'_>) -> Result<RefreshStatus, StoreError> {
        let t = OwnedUse::from(t);
        self.run(move |conn, now| {
            Ok(match status(conn, &t, now)? {
                (true, _) => RefreshStatus::Revoked,
                (false, true) => RefreshStatus::Used,
                (false, false) => RefreshStatus::Usable,
            })
        })
        .await
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn snapshot(&self) -> Result<Changes, StoreError> {
        self.run(|conn, now| {
            // One read transaction: the tables and the cursor are from the same moment.
            let tx = conn.transaction().map_err(unavailable)?;
            let mut revocations = Vec::new();
            read_ids(
                &tx,
                "SELECT jti, expires_at FROM auth_revoked_tokens WHERE expires_at > ?1",
                now,
                |jti, expires_at| Revocation::Token { jti, expires_at },
                &mut revocations,
            )?;
            read_ids(
                &tx,
                "SELECT family, expires_at FROM auth_revoked_families WHERE expires_at > ?1",
                now,
                |family, expires_at| Revocation::Family { family, expires_at },
                &mut revocations,
            )?;
            let subjects = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT subject, cutoff, expires_at FROM auth_subject_cutoffs
                         WHERE expires_at > ?1",
                    )
                    .map_err(unavailable)?;
                stmt.query_map([to_sql(now)], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })
                .map_err(unavailable)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(unavailable)?
            };
            for (subject, cutoff, expires_at) in subjects {
                revocations.push(Revocation::Subject {
                    subject,
                    cutoff: from_sql(cutoff)?,
                    expires_at: from_sql(expires_at)?,
                });
            }
            let last = last_seq(&tx)?;
            tx.commit().map_err(unavailable)?;
            Ok(Changes::new(revocations, Cursor(last.to_string())))
        })
        .await
    }

    async fn changes(&self, cursor: &Cursor, wait: Duration) -> Result<Changes, StoreError> {
        let deadline = Instant::now().checked_add(wait);
        let can_sleep = tokio::runtime::Handle::try_current().is_ok();
        let mut after = parse_cursor(cursor);
        loop {
            let batch = self
                .run(move |conn, now| read_log(conn, after, now))
                .await?;
            after = batch.cursor;
            if !batch.revocations.is_empty() {
                return Ok(Changes::new(batch.revocations, Cursor(after.to_string())));
            }
            if batch.more {
                // Only expired rows so far, or a cursor to restart from: read on at once.
                continue;
            }
            let left = deadline.map_or(POLL, |d| d.saturating_duration_since(Instant::now()));
            if left.is_zero() || !can_sleep {
                return Ok(Changes::new(Vec::new(), Cursor(after.to_string())));
            }
            tokio::time::sleep(left.min(POLL)).await;
        }
    }

    async fn purge_expired(&self) -> Result<usize, StoreError> {
        self.purge().await
    }

    fn name(&self) -> &'static str {
        BACKEND
    }
}

/// A [`RefreshUse`] that can move to the blocking pool.
struct OwnedUse {
    jti: String,
    family: String,
    subject: String,
    issued_at: u64,
    expires_at: u64,
    family_expires_at: u64,
}

impl From<&RefreshUse<'_>> for OwnedUse {
    fn from(t: &RefreshUse<'_>) -> Self {
        Self {
            jti: t.jti.to_owned(),
            family: t.family.to_owned(),
            subject: t.subject.to_owned(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            family_expires_at: t.family_expires_at,
        }
    }
}

/// Change-log rows read by one poll.
struct Batch {
    revocations: Vec<Revocation>,
    /// The last sequence number read (or where to restart from).
    cursor: i64,
    /// True when reading on at once may find more (a full batch of expired rows, or a
    /// cursor reset).
    more: bool,
}

fn unavailable(e: impl Into<crate::error::BoxError>) -> StoreError {
    StoreError::unavailable(BACKEND, e)
}

/// Opens the file, sets it up, and returns the connection and the schema version.
fn connect(path: &Path) -> rusqlite::Result<(Connection, i64)> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!(
            "auth: the SQLite revocation store {} runs in journal mode `{mode}`, not WAL: \
             readers and writers will block each other",
            path.display()
        );
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Create the schema in a write transaction, so that processes starting together do
    // not race on it.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT OR IGNORE INTO auth_meta (key, value) VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION],
    )?;
    let version = tx.query_row(
        "SELECT value FROM auth_meta WHERE key = 'schema_version'",
        [],
        |row| row.get(0),
    )?;
    tx.commit()?;
    Ok((conn, version))
}

/// Starts a transaction that holds the file's write lock from its first statement, so
/// that what it reads cannot change before it writes (across processes too).
fn begin_write(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)
}

/// Whether the token (or its family, or its subject) is revoked, and whether it was used.
fn status(conn: &Connection, t: &OwnedUse, now: u64) -> Result<(bool, bool), StoreError> {
    conn.query_row(
        "SELECT
             EXISTS (SELECT 1 FROM auth_revoked_tokens WHERE jti = ?1 AND expires_at > ?4)
             OR EXISTS (SELECT 1 FROM auth_revoked_families WHERE family = ?2 AND expires_at > ?4)
             OR EXISTS (SELECT 1 FROM auth_subject_cutoffs
                        WHERE subject = ?3 AND expires_at > ?4 AND cutoff >= ?5),
             EXISTS (SELECT 1 FROM auth_used_refresh_tokens WHERE jti = ?1 AND expires_at > ?4)",
        params![t.jti, t.family, t.subject, to_sql(now), to_sql(t.issued_at)],
        |row| Ok((row.get::<_, bool>(0)?, row.get::<_, bool>(1)?)),
    )
    .map_err(unavailable)
}

/// Records one revocation (idempotent: a later expiry extends, a subject cutoff only
/// moves forward, an expiry already past is not stored) and appends it to the change
/// log when it changed anything.
fn record(tx: &Transaction<'_>, r: &Revocation, now: u64) -> Result<(), StoreError> {
    if r.expires_at() <= now {
        return Ok(());
    }
    // Each upsert returns the row as it now stands, or nothing when it was unchanged.
    let (kind, id, changed) = match r {
        Revocation::Token { jti, expires_at } => {
            let changed = tx
                .query_row(
                    "INSERT INTO auth_revoked_tokens (jti, expires_at) VALUES (?1, ?2)
                     ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at
                     WHERE excluded.expires_at > auth_revoked_tokens.expires_at
                     RETURNING NULL, expires_at",
                    params![jti, to_sql(*expires_at)],
                    log_values,
                )
                .optional();
            ("token", jti, changed)
        }
        Revocation::Family { family, expires_at } => {
            let changed = tx
                .query_row(
                    "INSERT INTO auth_revoked_families (family, expires_at) VALUES (?1, ?2)
                     ON CONFLICT (family) DO UPDATE SET expires_at = excluded.expires_at
                     WHERE excluded.expires_at > auth_revoked_families.expires_at
                     RETURNING NULL, expires_at",
                    params![family, to_sql(*expires_at)],
                    log_values,
                )
                .optional();
            ("family", family, changed)
        }
        Revocation::Subject {
            subject,
            cutoff,
            expires_at,
        } => {
            let changed = tx
                .query_row(
                    "INSERT INTO auth_subject_cutoffs (subject, cutoff, expires_at)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (subject) DO UPDATE SET
                         cutoff = max(cutoff, excluded.cutoff),
                         expires_at = max(expires_at, excluded.expires_at)
                     WHERE excluded.cutoff > auth_subject_cutoffs.cutoff
                        OR excluded.expires_at > auth_subject_cutoffs.expires_at
                     RETURNING cutoff, expires_at",
                    params![subject, to_sql(*cutoff), to_sql(*expires_at)],
                    log_values,
                )
                .optional();
            ("subject", subject, changed)
        }
    };
    if let Some((cutoff, expires_at)) = changed.map_err(unavailable)? {
        tx.execute(
            "INSERT INTO auth_revocation_log (kind, id, cutoff, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![kind, id, cutoff, expires_at],
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

fn log_values(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Option<i64>, i64)> {
    Ok((row.get(0)?, row.get(1)?))
}

/// Deletes a few expired rows of every table.
fn purge_some(tx: &Transaction<'_>, now: u64) -> Result<(), StoreError> {
    for sql in PURGES {
        tx.execute(sql, params![to_sql(now), PURGE_PER_WRITE])
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Reads `(id, expires_at)` rows into revocations.
fn read_ids(
    tx: &Transaction<'_>,
    sql: &str,
    now: u64,
    make: impl Fn(String, u64) -> Revocation,
    out: &mut Vec<Revocation>,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(sql).map_err(unavailable)?;
    let rows = stmt
        .query_map([to_sql(now)], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(unavailable)?;
    for row in rows {
        let (id, expires_at) = row.map_err(unavailable)?;
        out.push(make(id, from_sql(expires_at)?));
    }
    Ok(())
}

/// The last sequence number ever given to a change-log row (0 before the first).
fn last_seq(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row(
        "SELECT coalesce(
             (SELECT seq FROM sqlite_sequence WHERE name = 'auth_revocation_log'), 0)",
        [],
        |row| row.get(0),
    )
    .map_err(unavailable)
}

/// Reads the change-log rows after `after`, skipping expired ones.
fn read_log(conn: &mut Connection, after: i64, now: u64) -> Result<Batch, StoreError> {
    let tx = conn.transaction().map_err(unavailable)?;
    let rows = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT seq, kind, id, cutoff, expires_at FROM auth_revocation_log
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(unavailable)?;
        stmt.query_map(params![after, BATCH], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .map_err(unavailable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?
    };
    if rows.is_empty() {
        let last = last_seq(&tx)?;
        tx.commit().map_err(unavailable)?;
        if after > last {
            // The cursor is beyond the end of this log: the file was replaced (restored
            // from a backup, recreated). Start again from its beginning rather than wait
            // for sequence numbers it may never reach.
            log::warn!(
                "auth: revocation cursor {after} is beyond the end ({last}) of the SQLite \
                 change log; the file was replaced? Reading it again from the start"
            );
            return Ok(Batch {
                revocations: Vec::new(),
                cursor: 0,
                more: true,
            });
        }
        return Ok(Batch {
            revocations: Vec::new(),
            cursor: after,
            more: false,
        });
    }
    tx.commit().map_err(unavailable)?;
    let more = i64::try_from(rows.len()).is_ok_and(|n| n >= BATCH);
    let mut cursor = after;
    let mut revocations = Vec::with_capacity(rows.len());
    for (seq, kind, id, cutoff, expires_at) in rows {
        cursor = seq;
        let expires_at = from_sql(expires_at)?;
        if expires_at <= now {
            continue;
        }
        revocations.push(match (kind.as_str(), cutoff) {
            ("token", _) => Revocation::Token {
                jti: id,
                expires_at,
            },
            ("family", _) => Revocation::Family {
                family: id,
                expires_at,
            },
            ("subject", Some(cutoff)) => Revocation::Subject {
                subject: id,
                cutoff: from_sql(cutoff)?,
                expires_at,
            },
            _ => {
                return Err(StoreError::Corrupt {
                    backend: BACKEND,
                    detail: format!("change-log row {seq} is of kind `{kind}` without a cutoff"),
                });
            }
        });
    }
    Ok(Batch {
        revocations,
        cursor,
        more,
    })
}

/// A cursor is the last sequence number read; anything else reads from the start.
fn parse_cursor(cursor: &Cursor) -> i64 {
    cursor.0.trim().parse::<i64>().map_or(0, |n| n.max(0))
}

/// Times are stored as SQLite integers (`i64`); later than `i64::MAX` means "never".
fn to_sql(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn from_sql(t: i64) -> Result<u64, StoreError> {
    u64::try_from(t).map_err(|_| StoreError::Corrupt {
        backend: BACKEND,
        detail: format!("negative time {t}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_or_restart() {
        assert_eq!(parse_cursor(&Cursor("42".into())), 42);
        assert_eq!(parse_cursor(&Cursor(String::new())), 0);
        assert_eq!(parse_cursor(&Cursor("1-0".into())), 0, "a Redis stream id");
        assert_eq!(parse_cursor(&Cursor("-5".into())), 0);
    }

    #[test]
    fn times_saturate_and_negative_ones_are_corrupt() {
        assert_eq!(to_sql(u64::MAX), i64::MAX);
        assert_eq!(to_sql(7), 7);
        assert_eq!(from_sql(7).ok(), Some(7));
        assert!(matches!(from_sql(-1), Err(StoreError::Corrupt { .. })));
    }
}
