//! A server and the synth host on it, handled as one: pycarla's `Carla` object.

use std::time::Duration;

use crate::error::Result;
use crate::host::Host;
use crate::running_host::{HostPorts, RunningHost};
use crate::server::{JackServer, RunningServer};

/// A JACK server and one synth host on it. Dropping it stops the host, then the server.
///
/// ```no_run
/// use proc_supervisor::{Host, JackServer, Supervisor};
/// let mut carla = Supervisor::start(
///     &JackServer::dummy(),
///     &Host::carla(None, "/abs/path/project.carxp"),
/// )?;
/// println!("server {}, play into {}", carla.server().name(), carla.host().midi_port_glob());
/// carla.restart_host()?; // pycarla's restart_carla
/// carla.kill();          // both, host first
/// # Ok::<(), proc_supervisor::Error>(())
/// ```
#[derive(Debug)]
pub struct Supervisor {
    // Field order: the host is dropped (stopped) before its server.
    host: RunningHost,
    server: RunningServer,
}

impl Supervisor {
    /// Starts (or attaches to) the server, then the host on it; if the host fails, the server
    /// is stopped again.
    pub fn start(server: &JackServer, host: &Host) -> Result<Supervisor> {
        let server = server.start()?;
        let host = host.start(&server)?;
        Ok(Supervisor { host, server })
    }

    /// The server.
    pub fn server(&self) -> &RunningServer {
        &self.server
    }

    /// The host.
    pub fn host(&self) -> &RunningHost {
        &self.host
    }

    /// `Ok` while both run; otherwise what ended, how, with its last output (server first:
    /// a dead server usually takes the host with it).
    pub fn ensure_alive(&self) -> Result<()> {
        self.server.ensure_alive()?;
        self.host.ensure_alive()
    }

    /// Whether both run.
    pub fn is_alive(&self) -> bool {
        self.ensure_alive().is_ok()
    }

    /// The host's ports now (pycarla's `get_ports`).
    pub fn ports(&self) -> Result<HostPorts> {
        self.host.ports()
    }

    /// Whether every glob of `patterns` matches a port (pycarla's `exists`).
    pub fn exists(&self, patterns: &[&str]) -> Result<bool> {
        self.host.exists(patterns)
    }

    /// Waits until every glob of `patterns` matches a port (pycarla's `wait_exists`).
    pub fn wait_exists(&self, patterns: &[&str], timeout: Duration) -> Result<()> {
        self.host.wait_exists(patterns, timeout)
    }

    /// Stops the host, then the server (an attached server is left running).
    pub fn kill(&mut self) {
        self.host.stop();
        self.server.stop();
    }

    /// Stops the host only (pycarla's `kill_carla`).
    pub fn kill_host(&mut self) {
        self.host.stop();
    }

    /// Restarts both: the server under the same name (unless it is attached: then only the
    /// host), then the host on it.
    pub fn restart(&mut self) -> Result<()> {
        self.host.stop();
        if self.server.is_owned() {
            self.server.restart()?;
        }
        // On the server as it is now: restarted, it may have taken another name.
        self.host.restart_on(&self.server)
    }

    /// Restarts the host only (pycarla's `restart_carla`).
    pub fn restart_host(&mut self) -> Result<()> {
        self.host.restart_on(&self.server)
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.kill();
    }
}
