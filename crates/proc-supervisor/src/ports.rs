//! Short-lived JACK clients that look at a server: is it up, which ports exist.
//!
//! libjack keeps per-process global state for the server it talks to, and clients open on two
//! servers at once crash the process. Every client of this crate is therefore opened under one
//! process-wide lock and closed before the lock is released. (Clients opened elsewhere in the
//! process, e.g. by an rt-core session, are not covered: talk to one server at a time.)

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jack::Client;
use jack_client::PortKind;

use crate::error::{Error, Result};

static ONE_CLIENT_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A probing client on one server, holding the process-wide lock while it lives.
pub(crate) struct Probe {
    // Field order: the client closes before the lock is released.
    client: Client,
    _lock: MutexGuard<'static, ()>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("client", &self.client.name())
            .finish()
    }
}

impl Probe {
    /// Opens a probing client on `server` (never starting a server).
    pub(crate) fn open(server: &str) -> std::result::Result<Probe, jack_client::Error> {
        let lock = ONE_CLIENT_AT_A_TIME
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let client = jack_client::open(&jack_client::unique_client_name("probe"), server)?;
        Ok(Probe {
            client,
            _lock: lock,
        })
    }

    /// Ports matching `pattern`.
    pub(crate) fn matching(
        &self,
        pattern: &str,
    ) -> std::result::Result<Vec<String>, jack_client::Error> {
        jack_client::matching_ports(&self.client, pattern)
    }

    /// Ports of `kind` matching `pattern`.
    pub(crate) fn matching_of(
        &self,
        pattern: &str,
        kind: PortKind,
    ) -> std::result::Result<Vec<String>, jack_client::Error> {
        jack_client::matching_ports_of(&self.client, pattern, kind)
    }

    /// The patterns of `patterns` that match no port (empty when all exist).
    pub(crate) fn missing<'a>(
        &self,
        patterns: &[&'a str],
    ) -> std::result::Result<Vec<&'a str>, jack_client::Error> {
        let mut missing = Vec::new();
        for pattern in patterns {
            if self.matching(pattern)?.is_empty() {
                missing.push(*pattern);
            }
        }
        Ok(missing)
    }
}

/// Backoff for polling: starts fast (readiness is usually a matter of milliseconds), settles at
/// a rate that costs the server nothing.
#[derive(Debug)]
pub(crate) struct Backoff(Duration);

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff(Duration::from_millis(5))
    }

    /// Sleeps, but never past `deadline`.
    pub(crate) fn sleep(&mut self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(self.0.min(left));
        self.0 = (self.0 * 2).min(Duration::from_millis(50));
    }

    /// Sleeps like [`sleep`](Self::sleep), but wakes as soon as `child` prints a marker line
    /// beyond the first `seen` (a ready line is acted on when it comes, not at the next poll);
    /// the backoff then starts again from its shortest step.
    pub(crate) fn sleep_or_marker(
        &mut self,
        deadline: Instant,
        child: &crate::child::Supervised,
        seen: usize,
    ) {
        let left = deadline.saturating_duration_since(Instant::now());
        if child.wait_for_marker(seen, self.0.min(left)) {
            *self = Backoff::new();
        } else {
            self.0 = (self.0 * 2).min(Duration::from_millis(50));
        }
    }
}

/// All ports of server `server` whose full name matches the glob `pattern`.
///
/// ```no_run
/// let outputs = proc_supervisor::ports::matching("pycarla-0", "fluidsynth:*")?;
/// # Ok::<(), proc_supervisor::Error>(())
/// ```
pub fn matching(server: &str, pattern: &str) -> Result<Vec<String>> {
    let probe = Probe::open(server).map_err(|source| jack_error(server, source))?;
    probe
        .matching(pattern)
        .map_err(|source| jack_error(server, source))
}

/// Whether every pattern of `patterns` matches at least one port of `server`.
pub fn exists(server: &str, patterns: &[&str]) -> Result<bool> {
    let probe = Probe::open(server).map_err(|source| jack_error(server, source))?;
    let missing = probe
        .missing(patterns)
        .map_err(|source| jack_error(server, source))?;
    Ok(missing.is_empty())
}

/// Waits until every pattern of `patterns` matches at least one port of `server`.
pub fn wait_exists(server: &str, patterns: &[&str], timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let deadline = started + timeout;
    let probe = Probe::open(server).map_err(|source| jack_error(server, source))?;
    let mut backoff = Backoff::new();
    loop {
        let missing = probe
            .missing(patterns)
            .map_err(|source| jack_error(server, source))?;
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::NoPorts {
                server: server.to_string(),
                patterns: quote_all(&missing),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        backoff.sleep(deadline);
    }
}

pub(crate) fn jack_error(server: &str, source: jack_client::Error) -> Error {
    Error::Jack {
        server: server.to_string(),
        source,
    }
}

/// `` `a`, `b` `` for messages.
pub(crate) fn quote_all(patterns: &[&str]) -> String {
    patterns
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
