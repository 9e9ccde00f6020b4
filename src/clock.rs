//! Time for the runtime: the [`Clock`] trait every add-on reads the time through, the real
//! [`SystemClock`], and the [`ManualClock`] unit tests set by hand (SOP 5.1: injected timers only).
//!
//! Nothing outside this module may call `SystemTime::now()`; add-ons get the time from the host.
//! This module must not sleep or spawn timers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        // A clock set before 1970 reads as the epoch rather than panicking.
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test keeps one clone
/// and hands another to the host.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock { now_ms: Arc::new(AtomicU64::new(start_ms)) }
    }

    /// Sets the time to `now_ms`.
    pub fn set_ms(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by_ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // `fetch_update` never fails with a closure that always returns `Some`.
        let _ = self.now_ms.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(now.saturating_add(by_ms)));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

/// Formats milliseconds since the epoch as RFC 3339 UTC, e.g. `2026-02-04T10:00:00.000Z`.
pub fn format_timestamp_ms(timestamp_ms: u64) -> String {
    let days = timestamp_ms / 86_400_000;
    let in_day = timestamp_ms % 86_400_000;
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes, seconds, millis) =
        (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1_000 % 60, in_day % 1_000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// Howard Hinnant's `civil_from_days` for days since 1970-01-01 (non-negative).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new(1_000);
        let handle: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.advance(Duration::from_secs(2));
        assert_eq!(handle.now_ms(), 3_000);
        clock.set_ms(42);
        assert_eq!(handle.now_ms(), 42);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(format_timestamp_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_timestamp_ms(1_770_199_200_123), "2026-02-04T10:00:00.123Z");
        assert_eq!(format_timestamp_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(format_timestamp_ms(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }
}
