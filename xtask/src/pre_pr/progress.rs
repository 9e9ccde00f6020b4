//! What `pre-pr` prints while it works: on a terminal a live progress line (the running step and
//! its elapsed time, redrawn in place), otherwise plain lines only. With `--json` every line goes
//! to stderr so stdout holds nothing but the JSON report.
//!
//! It only decides *how* lines look and where they go; the steps decide what they say. Every
//! line passes the redaction layer (`redact.rs`): a step's detail may quote git, a URL or a
//! commit subject, and a failed command's output anything.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::output::Paint;

/// How often the live line is redrawn.
const TICK: Duration = Duration::from_millis(100);

pub struct Console {
    to_stderr: bool,
    live: bool,
    paint: Paint,
    /// The live line's label and start, shared with the drawing thread; `None` when idle.
    current: Arc<Mutex<Option<(String, Instant)>>>,
}

/// A running activity: the live line on a terminal, nothing otherwise. Finish it to get its time.
/// Activities nest (a verify command inside the verify step): the inner one takes over the live
/// line and gives it back when it finishes; only the outermost one owns the drawing thread.
pub struct Activity<'a> {
    console: &'a Console,
    started: Instant,
    /// What the live line showed before this activity (the enclosing one), restored at the end.
    previous: Option<(String, Instant)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Console {
    pub fn new(json: bool) -> Console {
        let terminal = if json { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() };
        let paint = if json { Paint::stderr() } else { Paint::stdout() };
        Console { to_stderr: json, live: terminal, paint, current: Arc::new(Mutex::new(None)) }
    }

    fn write(&self, text: &str) {
        let text = crate::redact::text(text);
        // Holding the lock keeps the drawing thread from interleaving with this line.
        let _guard = self.current.lock();
        let clear = if self.live { "\r\x1b[2K" } else { "" };
        if self.to_stderr {
            let _ = write!(std::io::stderr(), "{clear}{text}");
        } else {
            let _ = write!(std::io::stdout(), "{clear}{text}");
            let _ = std::io::stdout().flush();
        }
    }

    /// The styling of the stream this console writes to.
    pub fn paint(&self) -> Paint {
        self.paint
    }

    /// A cargo-style status line: the verb right-aligned and coloured, then the message.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        let padded = format!("{verb:>12}");
        let verb = match verb {
            "Failed" => self.paint.red_bold(&padded),
            "Skipped" | "Warning" => self.paint.yellow_bold(&padded),
            "Running" | "Would" => self.paint.cyan_bold(&padded),
            _ => self.paint.green_bold(&padded),
        };
        self.write(&format!("{verb} {message}\n"));
    }

    /// Lines printed as they are (a failed command's output, the summary table).
    pub fn text(&self, text: &str) {
        let mut text = text.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        self.write(&text);
    }

    pub fn warning(&self, message: impl std::fmt::Display) {
        let _guard = self.current.lock();
        if self.live && !self.to_stderr {
            let _ = write!(std::io::stdout(), "\r\x1b[2K");
            let _ = std::io::stdout().flush();
        }
        crate::output::warning(message);
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Starts an activity; on a terminal its label and elapsed time are redrawn until it finishes.
    pub fn begin(&self, label: impl Into<String>) -> Activity<'_> {
        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let mut activity = Activity { console: self, started, previous: None, stop, thread: None };
        if !self.live {
            return activity;
        }
        let already_drawing = match self.current.lock() {
            Ok(mut current) => {
                activity.previous = current.replace((label.into(), started));
                activity.previous.is_some()
            }
            Err(_) => return activity,
        };
        if already_drawing {
            return activity;
        }
        let (current, stop, to_stderr, paint) =
            (self.current.clone(), activity.stop.clone(), self.to_stderr, self.paint);
        activity.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(guard) = current.lock() {
                    if let Some((label, since)) = guard.as_ref() {
                        let line = format!(
                            "\r\x1b[2K{} {label} {}",
                            paint.cyan_bold(&format!("{:>12}", "Running")),
                            paint.dim(&format!("({})", duration(since.elapsed())))
                        );
                        if to_stderr {
                            let _ = write!(std::io::stderr(), "{line}");
                        } else {
                            let _ = write!(std::io::stdout(), "{line}");
                            let _ = std::io::stdout().flush();
                        }
                    }
                }
                std::thread::sleep(TICK);
            }
        }));
        activity
    }
}

impl Activity<'_> {
    /// Stops the live line and returns the activity's duration.
    pub fn finish(mut self) -> Duration {
        self.stop_drawing();
        self.started.elapsed()
    }

    fn stop_drawing(&mut self) {
        if !self.console.live || self.stop.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Ok(mut current) = self.console.current.lock() {
            *current = self.previous.take();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.console.write("");
    }
}

impl Drop for Activity<'_> {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}

/// `0.4s`, `12.3s`, `2m 03s`.
pub fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = duration.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(420)), "0.4s");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(duration(Duration::from_secs(123)), "2m 03s");
    }
}
