//! Supervised jackd and synth host processes (Carla, fluidsynth, jalv, any command) for
//! pycarla-rs.
//!
//! pycarla-rs renders MIDI through a synth running as a JACK client on a private JACK server.
//! This crate owns those processes' lives:
//!
//! - [`JackServer`] starts `jackd` (dummy backend by default) under a name from a small reusable
//!   pool (JACK's registry holds eight servers, and only a server of the same name reclaims the
//!   slot of one that crashed), or attaches to a running server;
//! - [`Host`] starts a synth host on it, knowing the globs of its MIDI input and audio outputs,
//!   and waits until it is *ready* (ports registered and, for Carla, `Carla ready!` printed;
//!   a host speaking the [`protocol`] — pycarla's own Carla host — says itself when it is ready
//!   or which plugin failed, and can start while its server is starting: [`Host::prestart`]);
//! - [`Supervisor`] ties one of each together, like pycarla's `Carla` object.
//!
//! Every child runs in its own process group with `JACK_DEFAULT_SERVER` set to its server, is
//! watched by a thread (an unexpected exit is known at once), and is stopped with SIGTERM, then SIGKILL after a deadline, and always reaped. Handles stop what
//! they started when dropped, so an early `?` or a panic leaves no process behind. Errors name
//! the process, its pid, its exit status and its last lines of output.
//!
//! ```no_run
//! use std::time::Duration;
//! use proc_supervisor::{Host, JackServer, Supervisor};
//!
//! let synth = Supervisor::start(
//!     &JackServer::dummy().sample_rate(48_000).period(1024),
//!     &Host::fluidsynth("/usr/share/sounds/sf2/FluidR3_GM.sf2").ready_timeout(Duration::from_secs(10)),
//! )?;
//! // Hand these to rt-core's `SessionOptions::new(server, midi_port, audio_ports)`.
//! let (server, midi, audio) = (
//!     synth.server().name(),
//!     synth.host().midi_port_glob(),
//!     synth.host().audio_ports_glob(),
//! );
//! println!("{server}: play into {midi}, record {audio}");
//! synth.ensure_alive()?; // still running?
//! # Ok::<(), proc_supervisor::Error>(())
//! ```
//!
//! Whether a process still runs is asked one way everywhere: `is_alive()` answers yes or no,
//! `ensure_alive()` answers `Ok` or how it ended (exit status, last output), and
//! [`RunningHost::alive_watch`] gives an [`AliveWatch`] that other threads ask without
//! blocking.
//!
//! libjack keeps per-process state about the server it talks to: a process must talk to one
//! server at a time. This crate's own short-lived clients take a process-wide lock; do not run
//! renders on two servers of one process at once.

mod carla;
mod child;
mod error;
mod host;
mod output;
pub mod ports;
pub mod protocol;
mod running_host;
mod server;
mod supervisor;

pub use child::AliveWatch;
pub use error::{Error, Result};
pub use host::{CarlaLoad, DEFAULT_SOUNDFONT, Host};
pub use running_host::{HostPorts, PendingHost, RunningHost};
pub use server::{DEFAULT_PORT_MAX, JackServer, RunningServer};
pub use supervisor::Supervisor;
