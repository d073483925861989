//! The one error type of the crate: every variant names the process (what, pid, executable)
//! and carries the tail of its output, because "jackd exited" alone never explains anything.

use std::path::PathBuf;
use std::process::ExitStatus;

/// What can go wrong while starting, watching or stopping supervised processes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The executable could not be started at all (missing, not executable, ...).
    #[error("cannot start {what} ({}): {source}", program.display())]
    Spawn {
        /// The process's role, e.g. ``jackd `pycarla-0` ``.
        what: String,
        /// The executable asked for.
        program: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// No executable of these names lies on `PATH` (e.g. Carla is not installed).
    #[error("cannot find {} on PATH: install it or pass its path", names.join(" or "))]
    NotFound {
        /// The names looked for.
        names: Vec<String>,
    },
    /// The process ended, while starting or afterwards, without being asked to.
    #[error("{what} (pid {pid}) exited unexpectedly with {status}; last output:\n{tail}")]
    Exited {
        /// The process's role.
        what: String,
        /// Its process id.
        pid: u32,
        /// How it ended.
        status: ExitStatus,
        /// The last lines it wrote (stdout and stderr).
        tail: String,
    },
    /// The process did not become ready in time; it has been stopped.
    #[error(
        "{what} (pid {pid}) was not ready after {seconds:.1} s (waiting for {waiting_for}); last output:\n{tail}"
    )]
    Timeout {
        /// The process's role.
        what: String,
        /// Its process id.
        pid: u32,
        /// How long we waited.
        seconds: f64,
        /// What was missing: ports (by pattern), a line of output, a server.
        waiting_for: String,
        /// The last lines it wrote.
        tail: String,
    },
    /// Waiting for the process to become ready was interrupted (the caller's flag, e.g. a
    /// Ctrl-C); it has been stopped.
    #[error("{what} (pid {pid}): interrupted while it was starting")]
    Interrupted {
        /// The process's role.
        what: String,
        /// Its process id.
        pid: u32,
    },
    /// The process reported a failure (e.g. Carla's "Failed to load a plugin"); it has been
    /// stopped.
    #[error("{what} (pid {pid}) failed: {line}; last output:\n{tail}")]
    Failed {
        /// The process's role.
        what: String,
        /// Its process id.
        pid: u32,
        /// The line that reported the failure.
        line: String,
        /// The last lines it wrote.
        tail: String,
    },
    /// A host speaking the [`protocol`](crate::protocol) could not load something (a plugin,
    /// a project, its JACK client); it has been stopped. No ready timeout is waited for.
    #[error("{what} (pid {pid}): {message}")]
    LoadFailed {
        /// The process's role.
        what: String,
        /// Its process id.
        pid: u32,
        /// What failed to load: the plugin as the user named it, the project, `JACK`.
        item: String,
        /// The host's reason (Carla's own error).
        message: String,
    },
    /// A server of this name already runs (and is not ours).
    #[error("a JACK server named `{name}` is already running; pick another name or attach to it")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// Every name of the pool is taken, or JACK's registry of servers is full.
    #[error(
        "no JACK server name free among `{prefix}-0` … `{prefix}-{last}` (JACK holds at most 8 servers, \
         and a server killed with SIGKILL keeps its slot until one starts under its name); last jackd output:\n{tail}"
    )]
    NoFreeName {
        /// The pool's prefix.
        prefix: String,
        /// The pool's last index.
        last: usize,
        /// The last jackd's output.
        tail: String,
    },
    /// JACK's registry of servers is full (at most 8; a server killed with SIGKILL keeps its
    /// slot until a server of the same name starts).
    #[error(
        "cannot start JACK server `{name}`: too many JACK servers are registered (at most 8; a server \
         killed with SIGKILL keeps its slot until one starts under its name); jackd said:\n{tail}"
    )]
    RegistryFull {
        /// The name asked for.
        name: String,
        /// jackd's output.
        tail: String,
    },
    /// A server to attach to does not answer.
    #[error("cannot reach JACK server `{name}`: {source}")]
    Unreachable {
        /// The server's name.
        name: String,
        /// Why the client could not open.
        source: jack_client::Error,
    },
    /// Talking to the server failed (bad port pattern, client refused, ...).
    #[error("JACK error on server `{server}`: {source}")]
    Jack {
        /// The server's name.
        server: String,
        /// What the client saw.
        source: jack_client::Error,
    },
    /// Ports did not appear in time (outside of a host's start).
    #[error("no port matches {patterns} on server `{server}` after {seconds:.1} s")]
    NoPorts {
        /// The server's name.
        server: String,
        /// The missing patterns, quoted.
        patterns: String,
        /// How long we waited.
        seconds: f64,
    },
    /// A file needed by the host (project, SoundFont, config) is missing or cannot be written.
    #[error("{what} {}: {source}", path.display())]
    File {
        /// What the file is for, e.g. "Carla project".
        what: String,
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A name or argument cannot be passed to a process (e.g. it holds a NUL byte).
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// What the value is.
        what: String,
        /// The value.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// The process was stopped through this handle (and not restarted since).
    #[error("{what} was stopped")]
    Stopped {
        /// The process's role.
        what: String,
    },
    /// The operation needs a process this handle did not start (an attached server).
    #[error("cannot {action} JACK server `{name}`: it was attached to, not started by us")]
    NotOwned {
        /// The server's name.
        name: String,
        /// What was asked.
        action: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
