//! jackd: a private server per render (or per parallel job), or an attached one.
//!
//! JACK's shared-memory registry holds at most eight servers. A jackd killed with SIGKILL never
//! frees its slot, and a stale slot is reclaimed only by a new server *of the same name*. So:
//!
//! - private servers take their names from a small reusable pool (`pycarla-0` …
//!   `pycarla-15`): a name left stale by a crash is reclaimed by the next start, instead of
//!   leaking a slot for good;
//! - a name held by a live server makes jackd exit with "server already active": the next name
//!   is tried; so is the next one when the registry is full ("Too many servers"), since a later
//!   name of the pool may be a stale slot of ours;
//! - servers are stopped with SIGTERM (jackd then leaves the registry), SIGKILL only after a
//!   deadline.
//!
//! Ready means "a client can open on it" *and* jackd printed `JACK server starting`, which it
//! does only once the name is registered as its own: a client that opens on another live
//! server of the same name, in the milliseconds before our jackd gives up, does not count.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::child::{Supervised, jack_command};
use crate::error::{Error, Result};
use crate::ports::{Backoff, Probe};

/// Output markers of jackd (see [`Launch`]).
const STARTING: usize = 0;
const NAME_TAKEN: usize = 1;
const REGISTRY_FULL: usize = 2;
const MARKERS: [&str; 3] = [
    "JACK server starting",
    "server already active",
    "Too many servers",
];

/// How a private server is named.
#[derive(Clone, Debug)]
enum Naming {
    /// `prefix-0` … `prefix-(size-1)`, the first one that works.
    Pool { prefix: String, size: usize },
    /// Exactly this name.
    Exact(String),
}

/// Ports of a private dummy server: room for a synth with 32 stereo outputs and the clients
/// around it, at under half the memory of jackd's default.
pub const DEFAULT_PORT_MAX: u32 = 128;

/// What to run.
#[derive(Clone, Debug)]
enum Mode {
    /// `jackd --no-realtime --port-max PORTS -n NAME -d dummy -r RATE -p PERIOD`.
    Dummy {
        rate: u32,
        period: u32,
        port_max: u32,
    },
    /// `jackd -n NAME ARGS…`.
    Args(Vec<String>),
    /// A server somebody else runs: never started nor stopped by us.
    Attach(String),
}

/// How to get a JACK server: a builder for [`RunningServer`].
///
/// ```no_run
/// use proc_supervisor::JackServer;
/// let server = JackServer::dummy().sample_rate(48_000).period(1024).start()?;
/// println!("jackd {} runs as pid {:?}", server.name(), server.pid());
/// # Ok::<(), proc_supervisor::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct JackServer {
    mode: Mode,
    naming: Naming,
    program: PathBuf,
    start_timeout: Duration,
    stop_timeout: Duration,
}

impl JackServer {
    fn new(mode: Mode) -> Self {
        JackServer {
            mode,
            naming: Naming::Pool {
                prefix: "pycarla".to_string(),
                size: 16,
            },
            program: PathBuf::from("jackd"),
            start_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(3),
        }
    }

    /// A private server on the dummy backend (no sound card; the mode for offline renders):
    /// 48 kHz, 1024-frame periods, no realtime scheduling.
    pub fn dummy() -> Self {
        JackServer::new(Mode::Dummy {
            rate: 48_000,
            period: 1024,
            port_max: DEFAULT_PORT_MAX,
        })
    }

    /// A private server with jackd arguments of your own, as pycarla's server options, e.g.
    /// `["-R", "-d", "alsa"]`. They follow `-n NAME`; do not pass a name yourself.
    pub fn with_args<S: Into<String>>(args: impl IntoIterator<Item = S>) -> Self {
        JackServer::new(Mode::Args(args.into_iter().map(Into::into).collect()))
    }

    /// A server that already runs under `name`: used, checked, never started nor stopped.
    pub fn attach(name: impl Into<String>) -> Self {
        JackServer::new(Mode::Attach(name.into()))
    }

    /// Sample rate of the dummy backend (ignored by the other modes).
    pub fn sample_rate(mut self, rate: u32) -> Self {
        if let Mode::Dummy { rate: r, .. } = &mut self.mode {
            *r = rate;
        }
        self
    }

    /// Most ports the dummy server holds (`jackd --port-max`). Every client maps the server's
    /// shared memory, which grows with it: jackd's own default makes each client's resident
    /// memory about 110 MB, 128 ports about 47 MB.
    pub fn port_max(mut self, ports: u32) -> Self {
        if let Mode::Dummy { port_max, .. } = &mut self.mode {
            *port_max = ports;
        }
        self
    }

    /// Period (frames per cycle) of the dummy backend (ignored by the other modes).
    pub fn period(mut self, period: u32) -> Self {
        if let Mode::Dummy { period: p, .. } = &mut self.mode {
            *p = period;
        }
        self
    }

    /// Runs the server under exactly this name instead of a name of the pool; starting fails
    /// with [`Error::NameTaken`] when a live server holds it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.naming = Naming::Exact(name.into());
        self
    }

    /// Takes names from the pool `prefix-0` … `prefix-(size-1)` (default `pycarla`, 16).
    pub fn name_pool(mut self, prefix: impl Into<String>, size: usize) -> Self {
        self.naming = Naming::Pool {
            prefix: prefix.into(),
            size: size.max(1),
        };
        self
    }

    /// The jackd executable (default `jackd` on `PATH`).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// How long a start may take before it fails (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// How long jackd gets to exit after SIGTERM before SIGKILL (default 3 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Starts the server (or checks the attached one) and waits until it takes clients.
    pub fn start(&self) -> Result<RunningServer> {
        self.start_and_probe(true)
    }

    /// As [`start`](Self::start), but an attached server is taken as running without opening
    /// a client to ask: for a caller that opens its own client at once and so learns the same.
    /// The probing client would cost the server one of its cycles to close (85 ms at period
    /// 4096).
    pub fn start_without_probe(&self) -> Result<RunningServer> {
        self.start_and_probe(false)
    }

    /// Opens probing clients on `name` until one opens or the start timeout passes.
    fn probe_until_reachable(&self, name: &str) -> Result<()> {
        let deadline = Instant::now() + self.start_timeout;
        let mut backoff = Backoff::new();
        loop {
            match Probe::open(name) {
                Ok(_) => return Ok(()),
                Err(source) if Instant::now() >= deadline => {
                    return Err(Error::Unreachable {
                        name: name.to_string(),
                        source,
                    });
                }
                Err(_) => backoff.sleep(deadline),
            }
        }
    }

    fn start_and_probe(&self, probe: bool) -> Result<RunningServer> {
        if let Mode::Attach(name) = &self.mode {
            check_name(name)?;
            if probe {
                self.probe_until_reachable(name)?;
            }
            return Ok(RunningServer {
                config: self.clone(),
                name: name.clone(),
                child: None,
                last_exit: None,
                last_tail: String::new(),
            });
        }
        if let Mode::Args(args) = &self.mode
            && let Some(bad) = args
                .iter()
                .take_while(|a| a.as_str() != "-d" && !a.starts_with("--driver"))
                .find(|a| *a == "-n" || a.starts_with("--name"))
        {
            return Err(Error::Invalid {
                what: "jackd argument".into(),
                value: bad.clone(),
                reason: "the server's name is chosen by JackServer (use .name())".into(),
            });
        }
        let (names, prefix) = match &self.naming {
            Naming::Exact(name) => (vec![name.clone()], None),
            Naming::Pool { prefix, size } => (
                (0..*size).map(|i| format!("{prefix}-{i}")).collect(),
                Some((prefix.clone(), size - 1)),
            ),
        };
        let mut last_tail = String::new();
        for name in names {
            check_name(&name)?;
            match self.launch(&name)? {
                Launch::Ready(child) => {
                    return Ok(RunningServer {
                        config: self.clone(),
                        name,
                        child: Some(child),
                        last_exit: None,
                        last_tail: String::new(),
                    });
                }
                Launch::NameTaken(tail) | Launch::RegistryFull(tail) if prefix.is_some() => {
                    tracing::debug!(%name, "server name unavailable, trying the next one");
                    last_tail = tail;
                }
                Launch::NameTaken(_) => return Err(Error::NameTaken { name }),
                Launch::RegistryFull(tail) => return Err(Error::RegistryFull { name, tail }),
            }
        }
        let (prefix, last) = prefix.unwrap_or_default();
        Err(Error::NoFreeName {
            prefix,
            last,
            tail: last_tail,
        })
    }

    fn args(&self, name: &str) -> Vec<String> {
        let mut args = Vec::new();
        match &self.mode {
            Mode::Dummy {
                rate,
                period,
                port_max,
            } => {
                args.extend(["--no-realtime", "--port-max"].map(String::from));
                args.push(port_max.to_string());
                args.extend(["-n", name, "-d", "dummy", "-r"].map(String::from));
                args.push(rate.to_string());
                args.push("-p".into());
                args.push(period.to_string());
            }
            Mode::Args(extra) => {
                args.extend(["-n", name].map(String::from));
                args.extend(extra.iter().cloned());
            }
            Mode::Attach(_) => {}
        }
        args
    }

    /// One attempt under `name`.
    fn launch(&self, name: &str) -> Result<Launch> {
        let mut command = jack_command(&self.program, name);
        command.args(self.args(name));
        // A server whose supervisor died gets SIGKILL: freewheeling, jackd 1.9.21 waits forever
        // for the dead supervisor's clients and ignores SIGTERM (its registry slot is reclaimed
        // by the next server of that name).
        let mut child = Supervised::spawn(
            command,
            format!("jackd `{name}`"),
            &MARKERS,
            self.stop_timeout,
            nix::sys::signal::Signal::SIGKILL,
        )?;
        let started = Instant::now();
        let deadline = started + self.start_timeout;
        let mut backoff = Backoff::new();
        loop {
            let seen = child.hit_count();
            if let Some(status) = child.exit_status() {
                let tail = child.wait_for_output_tail();
                if child.hit(NAME_TAKEN).is_some() {
                    return Ok(Launch::NameTaken(tail));
                }
                if child.hit(REGISTRY_FULL).is_some() {
                    return Ok(Launch::RegistryFull(tail));
                }
                return Err(child.exited_error(status));
            }
            if child.hit(STARTING).is_some() && Probe::open(name).is_ok() {
                child.ensure_alive()?;
                tracing::debug!(name, pid = child.pid(), elapsed = ?started.elapsed(), "jackd ready");
                return Ok(Launch::Ready(child));
            }
            if Instant::now() >= deadline {
                child.stop();
                return Err(Error::Timeout {
                    what: child.what().to_string(),
                    pid: child.pid(),
                    seconds: started.elapsed().as_secs_f64(),
                    waiting_for: "a client to open on it".into(),
                    tail: child.tail(),
                });
            }
            backoff.sleep_or_marker(deadline, &child, seen);
        }
    }
}

/// The outcome of one attempt to start jackd under a name.
enum Launch {
    Ready(Supervised),
    NameTaken(String),
    RegistryFull(String),
}

/// Server names travel to libjack as C strings and into shared-memory file names.
fn check_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.contains('\0') {
        "it holds a NUL byte"
    } else if name.contains('/') {
        "it holds a `/`"
    } else if name.len() > 63 {
        "it is longer than 63 bytes"
    } else {
        return Ok(());
    };
    Err(Error::Invalid {
        what: "JACK server name".into(),
        value: name.to_string(),
        reason: reason.into(),
    })
}

/// A JACK server in use. Dropping it stops the server if we started it.
#[derive(Debug)]
pub struct RunningServer {
    config: JackServer,
    name: String,
    child: Option<Supervised>,
    last_exit: Option<ExitStatus>,
    last_tail: String,
}

impl RunningServer {
    /// The server's name: give it to clients (rt-core's sessions, `JACK_DEFAULT_SERVER`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// jackd's process id; `None` for an attached server or after [`stop`](Self::stop).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Supervised::pid)
    }

    /// Whether we started this server (and will stop it).
    pub fn is_owned(&self) -> bool {
        !matches!(self.config.mode, Mode::Attach(_))
    }

    /// How jackd ended, if it did (after [`stop`](Self::stop): how it stopped). Never blocks.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match &self.child {
            Some(child) => child.exit_status(),
            None => self.last_exit,
        }
    }

    /// Whether the server runs. For a server we started this looks at the process (instant);
    /// for an attached one it opens a client.
    pub fn is_alive(&self) -> bool {
        self.ensure_alive().is_ok()
    }

    /// `Ok` while the server runs; otherwise how it ended, with jackd's last output.
    pub fn ensure_alive(&self) -> Result<()> {
        match (&self.child, &self.config.mode) {
            (Some(child), _) => child.ensure_alive(),
            (None, Mode::Attach(name)) => {
                Probe::open(name)
                    .map(drop)
                    .map_err(|source| Error::Unreachable {
                        name: name.clone(),
                        source,
                    })
            }
            (None, _) => Err(Error::Stopped {
                what: format!("jackd `{}`", self.name),
            }),
        }
    }

    /// `Err` if the jackd we started has ended; `Ok` for an attached server (no JACK call, so
    /// it may run while one of our probing clients is open).
    pub(crate) fn check_process(&self) -> Result<()> {
        match &self.child {
            Some(child) => child.ensure_alive(),
            None if self.is_owned() => Err(Error::Stopped {
                what: format!("jackd `{}`", self.name),
            }),
            None => Ok(()),
        }
    }

    /// The last lines jackd wrote (kept after a stop; empty for an attached server).
    pub fn tail(&self) -> String {
        self.child
            .as_ref()
            .map_or_else(|| self.last_tail.clone(), Supervised::tail)
    }

    /// Stops the server if we started it: SIGTERM, then SIGKILL after the stop timeout; the
    /// process is reaped. An attached server is left alone. Stopping twice does nothing.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.last_exit = child.stop();
            self.last_tail = child.tail();
        }
    }

    /// Kills the server at once (SIGKILL) if we started it: for a jackd that no longer answers,
    /// e.g. one waiting forever in freewheel for a client that died. Its registry slot is
    /// reclaimed when a server of the same name starts (see [`restart`](Self::restart)).
    pub fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.last_exit = child.kill_now();
            self.last_tail = child.tail();
        }
    }

    /// Stops the server and starts it again under the same name (clients and hosts that know
    /// the name find it again) — or, for a server named from a pool whose name another process
    /// took meanwhile, under the next free name: check [`name`](Self::name) afterwards. Fails
    /// for an attached server.
    pub fn restart(&mut self) -> Result<()> {
        if !self.is_owned() {
            return Err(Error::NotOwned {
                name: self.name.clone(),
                action: "restart".into(),
            });
        }
        self.stop();
        match self.config.launch(&self.name)? {
            Launch::Ready(child) => {
                self.child = Some(child);
                self.last_exit = None;
                Ok(())
            }
            // Another process took the name meanwhile (its slot was free once ours died): a
            // pooled server simply takes the next free name of its pool.
            Launch::NameTaken(_) if matches!(self.config.naming, Naming::Pool { .. }) => {
                *self = self.config.start()?;
                Ok(())
            }
            Launch::NameTaken(_) => Err(Error::NameTaken {
                name: self.name.clone(),
            }),
            Launch::RegistryFull(tail) => Err(Error::RegistryFull {
                name: self.name.clone(),
                tail,
            }),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_arguments_name_the_server_before_the_driver() {
        let args = JackServer::dummy()
            .sample_rate(44_100)
            .period(256)
            .args("x");
        assert_eq!(
            args,
            [
                "--no-realtime",
                "--port-max",
                "128",
                "-n",
                "x",
                "-d",
                "dummy",
                "-r",
                "44100",
                "-p",
                "256"
            ]
        );
    }

    #[test]
    fn custom_arguments_follow_the_name() {
        let args = JackServer::with_args(["-R", "-d", "alsa"]).args("y");
        assert_eq!(args, ["-n", "y", "-R", "-d", "alsa"]);
    }

    #[test]
    fn custom_arguments_may_not_name_the_server() {
        let error = JackServer::with_args(["-n", "mine", "-d", "dummy"])
            .start()
            .unwrap_err();
        assert!(matches!(error, Error::Invalid { .. }), "{error}");
    }

    #[test]
    fn bad_names_are_refused_before_anything_runs() {
        for name in ["", "a/b", "a\0b"] {
            let error = JackServer::dummy().name(name).start().unwrap_err();
            assert!(matches!(error, Error::Invalid { .. }), "{name:?}: {error}");
        }
    }
}
