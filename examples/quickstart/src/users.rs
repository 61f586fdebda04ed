//! Users in an embedded SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rocket::tokio::task;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

/// A stored account.
#[derive(Clone)]
pub struct StoredUser {
    /// Random 128-bit id (hex): the `sub` of the user's tokens.
    pub id: String,
    /// Normalised (trimmed, lowercased) email.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

impl fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Why a user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The email is already registered.
    #[error("email already registered")]
    Duplicate,
    /// SQLite failed (I/O, corruption, lock timeout).
    #[error("user database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The blocking task did not complete.
    #[error("user database task failed")]
    Task,
}

/// The user table, shared by all requests. SQLite calls are blocking, so every call runs
/// on Rocket's blocking pool.
#[derive(Clone)]
pub struct Users {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Users {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or the schema cannot be created.
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (
                id            TEXT PRIMARY KEY,
                email         TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_at    INTEGER NOT NULL DEFAULT (unixepoch())
            );",
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, UserError> + Send + 'static,
    ) -> Result<T, UserError> {
        let conn = self.conn.clone();
        task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(|_| UserError::Task)?
    }

    /// Creates a user and returns it.
    ///
    /// # Errors
    ///
    /// [`UserError::Duplicate`] when the email is taken.
    pub async fn create(
        &self,
        email: String,
        password_hash: String,
    ) -> Result<StoredUser, UserError> {
        self.run(move |conn| {
            let id: String = conn
                .query_row(
                    "INSERT INTO users (id, email, password_hash) VALUES (lower(hex(randomblob(16))), ?1, ?2) RETURNING id",
                    params![email, password_hash],
                    |row| row.get(0),
                )
                .map_err(|e| match e.sqlite_error_code() {
                    Some(ErrorCode::ConstraintViolation) => UserError::Duplicate,
                    _ => UserError::Db(e),
                })?;
            Ok(StoredUser { id, email, password_hash })
        })
        .await
    }

    /// Finds a user by (normalised) email.
    ///
    /// # Errors
    ///
    /// Database failures.
    pub async fn by_email(&self, email: String) -> Result<Option<StoredUser>, UserError> {
        self.run(move |conn| {
            Ok(conn
                .query_row(SELECT_BY_EMAIL, params![email], row_to_user)
                .optional()?)
        })
        .await
    }

    /// Finds a user by id.
    ///
    /// # Errors
    ///
    /// Database failures.
    pub async fn by_id(&self, id: String) -> Result<Option<StoredUser>, UserError> {
        self.run(move |conn| {
            Ok(conn
                .query_row(SELECT_BY_ID, params![id], row_to_user)
                .optional()?)
        })
        .await
    }

    /// Replaces a user's password hash (rehash on login).
    ///
    /// # Errors
    ///
    /// Database failures.
    pub async fn set_password_hash(
        &self,
        id: String,
        password_hash: String,
    ) -> Result<(), UserError> {
        self.run(move |conn| {
            conn.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?;
            Ok(())
        })
        .await
    }
}

const SELECT_BY_EMAIL: &str = "SELECT id, email, password_hash FROM users WHERE email = ?1";
const SELECT_BY_ID: &str = "SELECT id, email, password_hash FROM users WHERE id = ?1";

fn row_to_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredUser> {
    Ok(StoredUser {
        id: row.get(0)?,
        email: row.get(1)?,
        password_hash: row.get(2)?,
    })
}
