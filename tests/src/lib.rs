//! Shared helpers for the end-to-end tests: the Python interop interpreter, throwaway
//! SQLite files, and a quickstart configuration for tests.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rocket::figment::Figment;

/// The workspace root.
#[must_use]
pub fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The Python of the hawkapi-auth interop venv (`scripts/interop-venv.sh`), or the one
/// named by `AUTH_INTEROP_PYTHON`.
///
/// Returns `None` after a loud notice when it is missing outside CI.
///
/// # Panics
///
/// When it is missing and `CI` is set: CI must not skip interop checks.
#[must_use]
pub fn interop_python(check: &str) -> Option<PathBuf> {
    let python = match std::env::var_os("AUTH_INTEROP_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join(".venv-interop/bin/python"),
    };
    if python.is_file() {
        return Some(python);
    }
    let why = format!(
        "no interop python at {}: run `scripts/interop-venv.sh` (needs Python >= 3.12) or set AUTH_INTEROP_PYTHON",
        python.display()
    );
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "CI is set, so `{check}` may not be skipped: {why}"
    );
    let bar = "#".repeat(80);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n# SKIPPED: {check}\n# {why}\n{bar}\n"
    );
    None
}

/// A SQLite path in the temp directory, removed (with its WAL files) on drop.
#[derive(Debug)]
pub struct TempDb(pub PathBuf);

impl TempDb {
    /// A fresh path unique to this process and `name`.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("auth-tests-{name}-{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// A quickstart configuration for tests: quiet, cheap password hashing, `secret`, and
/// the database at `db`.
#[must_use]
pub fn quickstart_figment(db: &TempDb, secret: &str) -> Figment {
    rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("auth.secret", secret))
        .merge(("auth.passwords.m_cost", 1024))
        .merge(("auth.passwords.t_cost", 1))
        .merge(("auth.passwords.p_cost", 1))
        .merge(("database", db.0.display().to_string()))
}
