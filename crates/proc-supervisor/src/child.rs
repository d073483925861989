//! One supervised child process: its own process group, a watcher thread, a polite stop.
//!
//! - The child leads a new process group, so that stopping it also stops whatever it spawned
//!   (Carla's plugin bridges, a shell's children) and a Ctrl-C meant for us does not reach it
//!   half-way through a render.
//! - A watcher thread waits for the child's exit with `waitid(WNOWAIT)`: the child stays a
//!   zombie (its pid and process group cannot be reused) until the watcher, under the state lock,
//!   has killed what remains of the group and reaped it. Signals are sent under the same lock,
//!   only while the exit has not been recorded, so a signal never reaches a recycled pid.
//! - The exit status is stored as soon as it is known: [`Supervised::exit_status`] never blocks,
//!   and an unexpected exit is seen at once.
//! - The child starts with an empty signal mask and default dispositions for SIGTERM & co.
//! - Stopping sends SIGTERM to the group (jackd then leaves JACK's server registry cleanly),
//!   waits up to a deadline, then sends SIGKILL.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::output::OutputLog;

/// How long to wait for a child to die after SIGKILL before giving up on it (it may be stuck
/// in the kernel); it is still reaped by the watcher whenever it does die.
const KILL_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct ExitState {
    status: Option<ExitStatus>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<ExitState>,
    exited: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ExitState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether a supervised process is alive, readable from any thread without blocking (a
/// render's polling loop asks it every millisecond).
#[derive(Clone, Debug)]
pub struct AliveWatch(Arc<Shared>);

impl AliveWatch {
    /// Whether the process still runs.
    pub fn is_alive(&self) -> bool {
        self.exit_status().is_none()
    }

    /// How the process ended, or `None` while it runs.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.0.lock().status
    }
}

/// A running child, stopped (and reaped) when dropped.
#[derive(Debug)]
pub(crate) struct Supervised {
    what: String,
    pid: u32,
    shared: Arc<Shared>,
    output: Arc<OutputLog>,
    /// Held open: fluidsynth and jalv quit at the end of their standard input.
    stdin: Option<ChildStdin>,
    watcher: Option<std::thread::JoinHandle<()>>,
    stop_timeout: Duration,
}

impl Supervised {
    /// Starts `command` in a new process group with piped stdin/stdout/stderr.
    ///
    /// `what` names the child in errors; `markers` are output lines to remember (see
    /// [`OutputLog`]).
    ///
    /// `on_parent_death` is the signal the child gets when the thread that started it dies
    /// (its supervisor SIGKILLed or OOM-killed included): nothing outlives its supervisor.
    pub(crate) fn spawn(
        mut command: Command,
        what: String,
        markers: &[&str],
        stop_timeout: Duration,
        on_parent_death: Signal,
    ) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        // SAFETY: the hook runs between fork and exec and makes only async-signal-safe calls.
        unsafe { command.pre_exec(move || clean_signals(on_parent_death)) };
        command
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let program = PathBuf::from(command.get_program());
        let mut child = command.spawn().map_err(|source| Error::Spawn {
            what: what.clone(),
            program: program.clone(),
            source,
        })?;
        let pid = child.id();
        tracing::debug!(pid, %what, program = %program.display(), "started");
        let output = OutputLog::new(markers);
        if let Some(stdout) = child.stdout.take() {
            output.follow(stdout, &format!("{pid}-stdout"));
        }
        if let Some(stderr) = child.stderr.take() {
            output.follow(stderr, &format!("{pid}-stderr"));
        }
        let stdin = child.stdin.take();
        let shared = Arc::new(Shared::default());
        let watcher = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("watch-{pid}"))
                .spawn(move || watch(child, &shared))
        };
        let watcher = match watcher {
            Ok(handle) => handle,
            Err(source) => {
                // No watcher, no supervision: undo the start. The child was moved into the
                // failed closure and dropped, so kill its group by pid; it is still our
                // unreaped child, hence the pid cannot have been reused.
                let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
                // SAFETY: waitpid on our own child's pid with a null status pointer.
                unsafe { nix::libc::waitpid(pid as i32, std::ptr::null_mut(), 0) };
                return Err(Error::Spawn {
                    what,
                    program,
                    source,
                });
            }
        };
        Ok(Supervised {
            what,
            pid,
            shared,
            output,
            stdin,
            watcher: Some(watcher),
            stop_timeout,
        })
    }

    /// The child's process id (also its process group id).
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The child's role, for messages.
    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    /// How the child ended, or `None` while it runs. Never blocks.
    pub(crate) fn exit_status(&self) -> Option<ExitStatus> {
        self.shared.lock().status
    }

    /// The last lines of the child's stdout and stderr.
    pub(crate) fn tail(&self) -> String {
        self.output.tail()
    }

    /// The first output line containing marker `index`.
    pub(crate) fn hit(&self, index: usize) -> Option<String> {
        self.output.hit(index)
    }

    /// How many of the markers have been hit so far.
    pub(crate) fn hit_count(&self) -> usize {
        self.output.hit_count()
    }

    /// Waits up to `timeout` until more than `seen` markers have been hit; whether they were.
    pub(crate) fn wait_for_marker(&self, seen: usize, timeout: Duration) -> bool {
        self.output.wait_for_marker(seen, timeout)
    }

    /// `Err(Exited)` when the child has ended.
    pub(crate) fn ensure_alive(&self) -> Result<()> {
        match self.exit_status() {
            None => Ok(()),
            Some(status) => Err(self.exited_error(status)),
        }
    }

    /// The error describing an exit with `status`.
    pub(crate) fn exited_error(&self, status: ExitStatus) -> Error {
        Error::Exited {
            what: self.what.clone(),
            pid: self.pid,
            status,
            tail: self.wait_for_output_tail(),
        }
    }

    /// The tail, after giving the reader threads a moment to drain what a dying child wrote
    /// last (its final words explain the exit).
    pub(crate) fn wait_for_output_tail(&self) -> String {
        std::thread::sleep(Duration::from_millis(20));
        self.output.tail()
    }

    /// Waits up to `timeout` for the child to end.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.status.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self
                .shared
                .exited
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.status
    }

    /// Sends `signal` to the child's process group, unless the child has already ended.
    pub(crate) fn signal(&self, signal: Signal) {
        let state = self.shared.lock();
        if state.status.is_none() {
            // The child is alive or an unreaped zombie: its pid is still its process group's.
            if let Err(errno) = killpg(Pid::from_raw(self.pid as i32), signal) {
                tracing::debug!(pid = self.pid, %errno, ?signal, "killpg failed");
            }
        }
    }

    /// Writes `line` and a newline to the child's stdin (a host waiting to be told its server).
    pub(crate) fn send_line(&mut self, line: &str) -> std::io::Result<()> {
        use std::io::Write;
        match &mut self.stdin {
            Some(stdin) => writeln!(stdin, "{line}").and_then(|()| stdin.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// A handle that tells, without blocking, whether and how the child ended.
    pub(crate) fn alive_watch(&self) -> AliveWatch {
        AliveWatch(self.shared.clone())
    }

    /// Kills the child's group with SIGKILL at once (for a child that is wedged), and reaps it.
    pub(crate) fn kill_now(&mut self) -> Option<ExitStatus> {
        self.stop_timeout = Duration::ZERO;
        self.stop()
    }

    /// Stops the child: SIGTERM to its group, then SIGKILL after the stop timeout. Returns how
    /// it ended (`None` only if it survived SIGKILL for seconds, i.e. is stuck in the kernel).
    pub(crate) fn stop(&mut self) -> Option<ExitStatus> {
        if self.exit_status().is_none() {
            tracing::debug!(pid = self.pid, what = %self.what, "stopping (SIGTERM)");
            self.signal(Signal::SIGTERM);
            if self.wait_timeout(self.stop_timeout).is_none() {
                if !self.stop_timeout.is_zero() {
                    tracing::warn!(pid = self.pid, what = %self.what, "no exit after SIGTERM: SIGKILL");
                }
                self.signal(Signal::SIGKILL);
                self.wait_timeout(KILL_WAIT);
            }
        }
        // Closing stdin after the signal: some hosts would otherwise treat EOF as a quit command
        // and race with the signal handler; it no longer matters now.
        self.stdin.take();
        let status = self.exit_status();
        if status.is_some()
            && let Some(watcher) = self.watcher.take()
        {
            let _ = watcher.join();
        }
        status
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The watcher: waits for the exit without reaping, cleans the group, reaps, publishes.
fn watch(mut child: Child, shared: &Shared) {
    let pid = Pid::from_raw(child.id() as i32);
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
    // Any other error (none is expected for our own child) falls through to the reaping wait.
    while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), flags) {}
    let mut state = shared.lock();
    // The leader is a zombie: its group id is still reserved. Whatever it left running in
    // its group (plugin bridges, ...) belongs to it and goes too.
    let _ = killpg(pid, Signal::SIGKILL);
    let status = child.wait();
    state.status = Some(match status {
        Ok(status) => status,
        // Cannot happen for our own unreaped child; record a generic failure rather than hang.
        Err(_) => std::os::unix::process::ExitStatusExt::from_raw(0x7f00),
    });
    drop(state);
    shared.exited.notify_all();
}

/// In the child, before exec: `on_parent_death` when its parent dies, an empty signal mask and
/// default dispositions for the stop signals. Children inherit the spawning thread's mask (libjack blocks signals in threads that
/// open clients; a CLI may block them for `sigwait`) and ignored dispositions survive exec:
/// either would make the child deaf to our SIGTERM.
fn clean_signals(on_parent_death: Signal) -> std::io::Result<()> {
    use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, pthread_sigmask, signal};
    nix::sys::prctl::set_pdeathsig(on_parent_death)?;
    pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
    for stop in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        // SAFETY: installing the default disposition; no handler code is involved.
        unsafe { signal(stop, SigHandler::SigDfl) }?;
    }
    Ok(())
}

/// `Command` for `program` with `JACK_DEFAULT_SERVER=server`: every child talks to our server.
pub(crate) fn jack_command(program: impl AsRef<OsStr>, server: &str) -> Command {
    let mut command = Command::new(program);
    command.env("JACK_DEFAULT_SERVER", server);
    command
}
