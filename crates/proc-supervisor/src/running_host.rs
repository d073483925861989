//! A synth host in use: started, watched until ready, stopped (or restarted) on demand.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::child::{AliveWatch, Supervised};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ports::{self, Backoff, Probe, jack_error, quote_all};
use crate::protocol;
use crate::server::RunningServer;

/// How long a stopped host's JACK client may take to leave the server.
const CLIENT_GONE_TIMEOUT: Duration = Duration::from_secs(2);

/// The ports of a running host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostPorts {
    /// Matches of the MIDI input glob (normally one).
    pub midi_in: Vec<String>,
    /// Matches of the audio outputs glob, in JACK's order.
    pub audio_out: Vec<String>,
}

/// A synth host in use. Dropping it stops it.
#[derive(Debug)]
pub struct RunningHost {
    config: Host,
    server: String,
    child: Option<Supervised>,
    config_dir: Option<tempfile::TempDir>,
    last_exit: Option<ExitStatus>,
    last_tail: String,
}

impl RunningHost {
    /// Starts `config` on the server called `server` and waits for readiness; `supervised` is
    /// that server's handle when we run it (a dying server then fails the wait early).
    pub(crate) fn launched(
        config: Host,
        server: &str,
        supervised: Option<&RunningServer>,
    ) -> Result<RunningHost> {
        let mut host = RunningHost {
            config,
            server: server.to_string(),
            child: None,
            config_dir: None,
            last_exit: None,
            last_tail: String::new(),
        };
        host.launch(supervised)?;
        Ok(host)
    }

    /// Spawns the child and waits for readiness; on any failure the child is stopped.
    fn launch(&mut self, server: Option<&RunningServer>) -> Result<()> {
        let (command, config_dir) = self.config.build_command(&self.server)?;
        let child = spawn_host(&self.config, command)?;
        self.finish_launch(child, config_dir, server)
    }

    /// Waits for a spawned child's readiness; on any failure the child is stopped.
    fn finish_launch(
        &mut self,
        mut child: Supervised,
        config_dir: Option<tempfile::TempDir>,
        server: Option<&RunningServer>,
    ) -> Result<()> {
        let started = Instant::now();
        if let Err(error) = self.await_ready(&child, server, started) {
            child.stop();
            self.wait_client_gone();
            return Err(error);
        }
        tracing::debug!(what = %child.what(), pid = child.pid(), elapsed = ?started.elapsed(), "host ready");
        if !self.config.min_wait.is_zero() {
            std::thread::sleep(self.config.min_wait);
            if let Err(error) = child.ensure_alive() {
                self.wait_client_gone();
                return Err(error);
            }
        }
        self.child = Some(child);
        self.config_dir = config_dir;
        self.last_exit = None;
        Ok(())
    }

    /// Waits until the ports exist and the ready lines were printed; fails on exit, failure
    /// line, dead server or deadline. Leaves the child running either way.
    fn await_ready(
        &self,
        child: &Supervised,
        server: Option<&RunningServer>,
        started: Instant,
    ) -> Result<()> {
        let config = &self.config;
        let ready_count = config.ready_lines.len();
        let marker_count = ready_count + config.failure_lines.len();
        let failed = |child: &Supervised| {
            (ready_count..marker_count)
                .find_map(|index| child.hit(index))
                .map(|line| match protocol::parse_failed(&line) {
                    Some((item, message)) => Error::LoadFailed {
                        what: child.what().to_string(),
                        pid: child.pid(),
                        item,
                        message,
                    },
                    None => Error::Failed {
                        what: child.what().to_string(),
                        pid: child.pid(),
                        line,
                        tail: child.tail(),
                    },
                })
        };
        let wanted = config.port_globs();
        let deadline = started + config.ready_timeout;
        let mut backoff = Backoff::new();
        let mut probe: Option<Probe> = None;
        loop {
            let seen = child.hit_count();
            if let Some(status) = child.exit_status() {
                // A host that reported its failure and then exited: the report explains it.
                let exited = child.exited_error(status);
                return Err(failed(child).unwrap_or(exited));
            }
            if config
                .interrupt
                .as_ref()
                .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Err(Error::Interrupted {
                    what: child.what().to_string(),
                    pid: child.pid(),
                });
            }
            if let Some(server) = server {
                // Not `check`: for an attached server it would open a second probing client
                // while ours holds the lock.
                server.check_process()?;
            }
            if let Some(error) = failed(child) {
                return Err(error);
            }
            if probe.is_none() {
                probe = Probe::open(&self.server).ok();
            }
            let mut missing = Vec::new();
            for (glob, kind) in &wanted {
                let found = match &probe {
                    Some(probe) => !probe
                        .matching_of(glob, *kind)
                        .map_err(|source| jack_error(&self.server, source))?
                        .is_empty(),
                    None => false,
                };
                if !found {
                    missing.push(glob.as_str());
                }
            }
            let waiting_for = if missing.is_empty() {
                (0..ready_count)
                    .find(|&index| child.hit(index).is_none())
                    .map(|index| format!("a line `{}`", config.ready_lines[index]))
            } else {
                Some(format!("ports {}", quote_all(&missing)))
            };
            let Some(waiting_for) = waiting_for else {
                // The ready line and a failure line may arrive together: failure wins.
                return failed(child).map_or(Ok(()), Err);
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: child.what().to_string(),
                    pid: child.pid(),
                    seconds: started.elapsed().as_secs_f64(),
                    waiting_for,
                    tail: child.wait_for_output_tail(),
                });
            }
            backoff.sleep_or_marker(deadline, child, seen);
        }
    }

    /// Waits (briefly) until the host's ports have left the server.
    ///
    /// JACK removes a dead client asynchronously. Until it has, a new host registering the same
    /// client name gets another one (`fluidsynth-01`), and jackd 1.9.21 asked to stop in the
    /// meantime hangs (it then needs SIGKILL, which leaks its registry slot).
    fn wait_client_gone(&self) {
        let deadline = Instant::now() + CLIENT_GONE_TIMEOUT;
        let Ok(probe) = Probe::open(&self.server) else {
            return; // No server, no client.
        };
        let globs = [self.config.midi_port_glob(), self.config.audio_ports_glob()];
        let mut backoff = Backoff::new();
        loop {
            let remaining = globs
                .iter()
                .any(|glob| probe.matching(glob).is_ok_and(|ports| !ports.is_empty()));
            if !remaining {
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!(server = %self.server, "the stopped host's ports are still registered");
                return;
            }
            backoff.sleep(deadline);
        }
    }

    /// The host's process id; `None` after [`stop`](Self::stop).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Supervised::pid)
    }

    /// The server the host runs on.
    pub fn server_name(&self) -> &str {
        &self.server
    }

    /// The host's JACK client name.
    pub fn client_name(&self) -> &str {
        &self.config.client_name
    }

    /// The glob of the host's MIDI input (for rt-core's `SessionOptions`).
    pub fn midi_port_glob(&self) -> String {
        self.config.midi_port_glob()
    }

    /// The glob of the host's audio outputs (for rt-core's `SessionOptions`).
    pub fn audio_ports_glob(&self) -> String {
        self.config.audio_ports_glob()
    }

    /// How the host ended, if it did (after [`stop`](Self::stop): how it stopped). Never blocks.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match &self.child {
            Some(child) => child.exit_status(),
            None => self.last_exit,
        }
    }

    /// A handle that tells from any thread, without blocking, whether the host process ended
    /// (`None` once the host is stopped).
    pub fn alive_watch(&self) -> Option<AliveWatch> {
        self.child.as_ref().map(Supervised::alive_watch)
    }

    /// Whether the host process runs (instant: no JACK call).
    pub fn is_alive(&self) -> bool {
        self.child
            .as_ref()
            .is_some_and(|c| c.exit_status().is_none())
    }

    /// `Ok` while the host runs; otherwise how it ended, with its last output.
    pub fn ensure_alive(&self) -> Result<()> {
        match &self.child {
            Some(child) => child.ensure_alive(),
            None => Err(Error::Stopped {
                what: self.config.what(),
            }),
        }
    }

    /// The last lines the host wrote, stdout and stderr (kept after a stop).
    pub fn tail(&self) -> String {
        self.child
            .as_ref()
            .map_or_else(|| self.last_tail.clone(), Supervised::tail)
    }

    /// The host's ports now (pycarla's `get_ports`).
    pub fn ports(&self) -> Result<HostPorts> {
        let probe = Probe::open(&self.server).map_err(|e| jack_error(&self.server, e))?;
        let matching = |glob: String, kind| {
            probe
                .matching_of(&glob, kind)
                .map_err(|e| jack_error(&self.server, e))
        };
        let [(midi, midi_kind), (audio, audio_kind)] = self.config.port_globs();
        Ok(HostPorts {
            midi_in: matching(midi, midi_kind)?,
            audio_out: matching(audio, audio_kind)?,
        })
    }

    /// Whether every glob of `patterns` matches a port on the host's server (pycarla's
    /// `exists`).
    pub fn exists(&self, patterns: &[&str]) -> Result<bool> {
        ports::exists(&self.server, patterns)
    }

    /// Waits until every glob of `patterns` matches a port (pycarla's `wait_exists`).
    pub fn wait_exists(&self, patterns: &[&str], timeout: Duration) -> Result<()> {
        ports::wait_exists(&self.server, patterns, timeout)
    }

    /// Stops the host: SIGTERM to its process group, SIGKILL after the stop timeout; reaped.
    /// Stopping twice does nothing.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.last_exit = child.stop();
            self.last_tail = child.tail();
            self.wait_client_gone();
        }
        self.config_dir = None;
    }

    /// Stops the host and starts it again on the same server, waiting for readiness.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.launch(None)
    }

    /// Stops the host and starts it again on `server` as it is now (a restarted server may have
    /// another name), waiting for readiness and failing early if `server` dies meanwhile.
    pub fn restart_on(&mut self, server: &RunningServer) -> Result<()> {
        self.stop();
        self.server = server.name().to_string();
        self.launch(Some(server))
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Spawns a host's command with its markers. A host whose supervisor died gets SIGTERM: it can
/// still close its JACK client cleanly.
fn spawn_host(config: &Host, command: std::process::Command) -> Result<Supervised> {
    let markers: Vec<&str> = config
        .ready_lines
        .iter()
        .chain(&config.failure_lines)
        .map(String::as_str)
        .collect();
    Supervised::spawn(
        command,
        config.what(),
        &markers,
        config.stop_timeout,
        nix::sys::signal::Signal::SIGTERM,
    )
}

/// A host started before its server ([`Host::prestart`]): it loads what it can and waits to
/// be told the server. Dropping it stops it.
#[derive(Debug)]
pub struct PendingHost {
    config: Host,
    /// `None` for hosts that cannot wait: they start in [`PendingHost::start`].
    child: Option<(Supervised, Option<tempfile::TempDir>)>,
}

impl PendingHost {
    pub(crate) fn spawn(config: Host) -> Result<PendingHost> {
        if !config.waits_for_server() {
            return Ok(PendingHost {
                config,
                child: None,
            });
        }
        // The server is named later, on stdin: none in the environment meanwhile.
        let (mut command, config_dir) = config.build_command("")?;
        command
            .env_remove("JACK_DEFAULT_SERVER")
            .arg("--wait-server");
        let child = spawn_host(&config, command)?;
        Ok(PendingHost {
            config,
            child: Some((child, config_dir)),
        })
    }

    /// Tells the host its server (ours, running) and waits until the host is ready.
    pub fn start(self, server: &RunningServer) -> Result<RunningHost> {
        self.join(server.name(), Some(server))
    }

    /// Tells the host the server called `server` (which somebody else runs) and waits until
    /// the host is ready.
    pub fn start_on(self, server: &str) -> Result<RunningHost> {
        self.join(server, None)
    }

    fn join(self, name: &str, server: Option<&RunningServer>) -> Result<RunningHost> {
        let Some((mut child, config_dir)) = self.child else {
            return RunningHost::launched(self.config, name, server);
        };
        if let Err(error) = child.send_line(&protocol::server_line(name)) {
            // The host is gone: waiting for readiness reports how it ended.
            tracing::debug!(%error, pid = child.pid(), "cannot tell the host its server");
        }
        let mut host = RunningHost {
            config: self.config,
            server: name.to_string(),
            child: None,
            config_dir: None,
            last_exit: None,
            last_tail: String::new(),
        };
        host.finish_launch(child, config_dir, server)?;
        Ok(host)
    }
}
