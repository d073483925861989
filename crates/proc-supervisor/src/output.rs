//! The last lines a child wrote, and the first lines that mattered.
//!
//! A child's stdout and stderr go to pipes read by one thread each, so the child never blocks
//! on a full pipe and an error can quote what the child said last. Only a bounded number of
//! lines is kept (a chatty synth would otherwise grow memory without end), but lines containing
//! a *marker* (e.g. `Carla ready!`) are remembered apart, so that readiness never depends on how
//! much the child printed in between.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Lines kept for error messages.
const KEPT_LINES: usize = 40;
/// Longer lines are cut, so that one runaway line cannot hold megabytes.
const MAX_LINE: usize = 1000;

/// Output of one child: a ring of its last lines and the first line matching each marker.
#[derive(Debug)]
pub(crate) struct OutputLog {
    inner: Mutex<Inner>,
    /// Notified at each marker's first hit: a supervisor waiting for readiness wakes when the
    /// line comes, not at its next poll.
    marked: Condvar,
    markers: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    lines: VecDeque<String>,
    hits: Vec<Option<String>>,
    /// How many markers have been hit.
    hit_count: usize,
}

impl OutputLog {
    /// A log that remembers the first line containing each of `markers` (case-insensitively).
    pub(crate) fn new(markers: &[&str]) -> Arc<Self> {
        Arc::new(OutputLog {
            inner: Mutex::new(Inner {
                lines: VecDeque::new(),
                hits: vec![None; markers.len()],
                hit_count: 0,
            }),
            marked: Condvar::new(),
            markers: markers.iter().map(|m| m.to_lowercase()).collect(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A reader thread cannot panic while holding the lock; be tolerant anyway.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one line.
    pub(crate) fn push(&self, line: &str) {
        let mut line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        let lower = line.to_lowercase();
        let mut inner = self.lock();
        let mut new_hits = 0;
        for (marker, hit) in self.markers.iter().zip(inner.hits.iter_mut()) {
            if hit.is_none() && lower.contains(marker.as_str()) {
                *hit = Some(line.clone());
                new_hits += 1;
            }
        }
        if new_hits > 0 {
            inner.hit_count += new_hits;
            self.marked.notify_all();
        }
        if inner.lines.len() == KEPT_LINES {
            inner.lines.pop_front();
        }
        inner.lines.push_back(line);
    }

    /// The first line that contained marker number `index` (in the order given to `new`).
    pub(crate) fn hit(&self, index: usize) -> Option<String> {
        self.lock().hits.get(index).cloned().flatten()
    }

    /// How many markers have been hit so far (for [`wait_for_marker`](Self::wait_for_marker)).
    pub(crate) fn hit_count(&self) -> usize {
        self.lock().hit_count
    }

    /// Waits up to `timeout` until more than `seen` markers have been hit; whether they were.
    pub(crate) fn wait_for_marker(&self, seen: usize, timeout: Duration) -> bool {
        let inner = self.lock();
        let (inner, _) = self
            .marked
            .wait_timeout_while(inner, timeout, |inner| inner.hit_count <= seen)
            .unwrap_or_else(|p| p.into_inner());
        inner.hit_count > seen
    }

    /// The kept lines, one per line, or a note that there were none.
    pub(crate) fn tail(&self) -> String {
        let inner = self.lock();
        if inner.lines.is_empty() {
            return "(no output)".to_string();
        }
        inner
            .lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads `stream` line by line into the log on a thread of its own, until end of file.
    ///
    /// The thread is detached: it ends when every writer of the pipe is gone, which a
    /// grandchild that escaped the process group could delay indefinitely; nobody waits on it.
    pub(crate) fn follow(self: &Arc<Self>, stream: impl Read + Send + 'static, label: &str) {
        let log = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(format!("output-{label}"))
            .spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut buffer = Vec::new();
                loop {
                    buffer.clear();
                    match reader.read_until(b'\n', &mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => log.push(&String::from_utf8_lossy(&buffer)),
                    }
                }
            });
        if let Err(error) = spawned {
            // Without the thread the pipe fills and the child may block: say so loudly.
            tracing::warn!(%error, "cannot start an output reader thread");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_lines() {
        let log = OutputLog::new(&[]);
        for i in 0..100 {
            log.push(&format!("line {i}\n"));
        }
        let tail = log.tail();
        assert!(tail.starts_with("line 60\n"), "{tail}");
        assert!(tail.ends_with("line 99"), "{tail}");
    }

    #[test]
    fn remembers_the_first_marker_line_even_after_it_scrolled_away() {
        let log = OutputLog::new(&["carla ready!", "Failed to load"]);
        log.push("Carla ready!");
        log.push("FAILED TO LOAD the thing");
        log.push("failed to load another");
        for i in 0..100 {
            log.push(&format!("noise {i}"));
        }
        assert_eq!(log.hit(0).as_deref(), Some("Carla ready!"));
        assert_eq!(log.hit(1).as_deref(), Some("FAILED TO LOAD the thing"));
        assert_eq!(log.hit(2), None);
        assert!(!log.tail().contains("Carla"));
    }

    #[test]
    fn a_marker_wakes_its_waiter_at_once() {
        let log = OutputLog::new(&["ready"]);
        assert!(!log.wait_for_marker(0, Duration::from_millis(1)));
        let writer = Arc::clone(&log);
        let started = std::time::Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            writer.push("noise");
            writer.push("host ready");
        });
        assert!(log.wait_for_marker(0, Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(log.hit_count(), 1);
    }

    #[test]
    fn cuts_long_lines_on_a_char_boundary() {
        let log = OutputLog::new(&[]);
        log.push(&"é".repeat(MAX_LINE));
        assert!(log.tail().len() <= MAX_LINE + '…'.len_utf8());
    }

    #[test]
    fn says_when_there_was_no_output() {
        assert_eq!(OutputLog::new(&[]).tail(), "(no output)");
    }
}
