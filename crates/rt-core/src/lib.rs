//! The real-time heart of pycarla-rs: a sample-accurate MIDI player and an audio recorder, two
//! JACK clients that start on the same absolute frame.
//!
//! The promise: **the sound of an event scheduled at frame `f` starts at recorded index `f`**,
//! for every period size, in freewheel and in realtime mode. How it is kept:
//!
//! - The [`Schedule`] is built and sorted before the take; it reaches the player's callback as a
//!   job through an allocation-free mailbox (two `rtrb` rings), and the callback only walks it
//!   ([`schedule::due`]), writing each event at its offset within the cycle.
//! - Player and recorder share one [`StartSync`]: the first armed callback publishes
//!   `start = cycle_start + n_frames` (the next cycle) with a compare-exchange, and both then work
//!   in frames relative to `start`.
//! - The recorder's callback copies port buffers into an `rtrb` ring; a helper thread drains it
//!   into memory or a WAV or FLAC file through the `audio-io` crate's [`AudioWriter`] (this
//!   crate holds no file code). Overflows are counted and reported, never hidden.
//! - Callbacks never allocate, free, lock, log or make system calls: every job is allocated
//!   (and later freed) on the control side and crosses threads through `rtrb`; state comes back
//!   through atomics.
//!
//! [`Session`] keeps a [`Player`] and a [`Recorder`] connected to running synth ports and
//! renders takes through them:
//!
//! ```no_run
//! use rt_core::{Schedule, Session, SessionOptions, Sink};
//! # fn main() -> Result<(), rt_core::Error> {
//! let mut schedule = Schedule::new();
//! schedule.push(0, &[0x90, 60, 100])?;      // note on at frame 0
//! schedule.push(48_000, &[0x80, 60, 0])?;   // note off one second later
//! let options = SessionOptions::new("my-server", "Carla:events-in", "Carla:audio-out*");
//! let recording = Session::run(&options, &schedule, 96_000, Sink::Memory)?;
//! println!("{} channels", recording.channels.len());
//! # Ok(()) }
//! ```

mod drain;
mod duplex;
mod error;
mod mailbox;
mod player;
mod recorder;
pub mod schedule;
mod session;
pub mod sync;
pub mod watch;

/// The audio sink the recorder writes through, from the `audio-io` crate (kept under its
/// former path; new code imports `audio_io` directly).
pub mod sink {
    pub use audio_io::{
        AudioFormat, AudioWriter, ENVELOPE_FRAMES, Recording, Sink, StopOnSilence, WavFormat,
    };
}

pub use audio_io::{
    AudioFormat, AudioWriter, ENVELOPE_FRAMES, Recording, Sink, StopOnSilence, WavFormat,
};
pub use error::Error;
/// Clients on a named server, ports by glob and type, freewheel (the `jack-client` crate).
pub use jack_client as client;
pub use player::Player;
pub use recorder::Recorder;
pub use schedule::Schedule;
pub use session::{AliveCheck, STALL_TIMEOUT, Session, SessionOptions};
pub use sync::StartSync;

/// The callbacks and the jobs they work on, for tests that wire them by hand (the
/// allocation-free rule) and for benchmarks. Not part of the API.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod internals {
    pub use crate::drain::Drain;
    pub use crate::duplex::DuplexProcess;
    pub use crate::mailbox::{Mailbox, Postman, mailbox};
    pub use crate::player::{PlayerJob, PlayerProcess, PlayerStatus};
    pub use crate::recorder::{RecorderJob, RecorderProcess, RecorderStatus};
}
