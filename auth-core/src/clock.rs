//! Time, injectable for tests.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the issuer and the stores read the current time (Unix seconds).
///
/// [`Clock::system`] in production. In tests, [`Clock::manual`] gives a clock you set and
/// advance by hand, so expiry can be tested without sleeping:
///
/// ```
/// use auth_core::Clock;
///
/// let clock = Clock::manual(1_700_000_000);
/// clock.advance(60);
/// assert_eq!(clock.now(), 1_700_000_060);
/// ```
#[derive(Clone, Default)]
pub struct Clock(Source);

#[derive(Clone, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The operating system's wall clock.
    #[must_use]
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that stands still at `unix_seconds` until [`set`](Self::set) or
    /// [`advance`](Self::advance) moves it. Clones share the same time.
    #[must_use]
    pub fn manual(unix_seconds: u64) -> Self {
        Self(Source::Manual(Arc::new(AtomicU64::new(unix_seconds))))
    }

    /// The current time in Unix seconds.
    #[must_use]
    pub fn now(&self) -> u64 {
        match &self.0 {
            // A wall clock before 1970 is a broken host; treat it as the epoch rather
            // than panic. Every token would then look issued in the future and be refused.
            Source::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            Source::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// True for a [`manual`](Self::manual) clock.
    #[must_use]
    pub fn is_manual(&self) -> bool {
        matches!(self.0, Source::Manual(_))
    }

    /// Sets a manual clock; does nothing on the system clock.
    pub fn set(&self, unix_seconds: u64) {
        if let Source::Manual(t) = &self.0 {
            t.store(unix_seconds, Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward; does nothing on the system clock.
    pub fn advance(&self, seconds: u64) {
        if let Source::Manual(t) = &self.0 {
            t.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::System"),
            Source::Manual(t) => write!(f, "Clock::Manual({})", t.load(Ordering::SeqCst)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_recent_and_ignores_set() {
        let c = Clock::system();
        let now = c.now();
        assert!(now > 1_700_000_000);
        c.set(5);
        assert!(c.now() >= now);
    }

    #[test]
    fn manual_clones_share_time() {
        let a = Clock::manual(10);
        let b = a.clone();
        a.advance(5);
        assert_eq!(b.now(), 15);
        b.set(100);
        assert_eq!(a.now(), 100);
    }
}
