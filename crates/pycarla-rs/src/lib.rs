//! Render MIDI into audio through any plugin — LV2, VST2/VST3, LADSPA, DSSI, SF2/SF3, SFZ —
//! by driving the Carla plugin host (or fluidsynth, jalv, or any JACK program) over JACK.
//!
//! The successor of the Python library *pycarla*: every note lands on the exact sample it
//! should (`round(t · sample_rate)`, half to even), renders run as fast as the synth allows
//! (JACK freewheel), and a crashing plugin or server ends a render with an error — never a hang,
//! an orphan process or a silently short file.
//!
//! The whole workflow is one call:
//!
//! ```no_run
//! use pycarla::{Instrument, RenderOptions, Tail};
//! let options = RenderOptions::default().tail(Tail::Auto);
//! pycarla::render(Instrument::default_soundfont()?, "song.mid", "song.wav", &options)?;
//! # Ok::<(), pycarla::Error>(())
//! ```
//!
//! [`Renderer`] keeps one server and host for many files; [`MidiPlayer`] and [`AudioRecorder`]
//! mirror pycarla's classes; the layers below are re-exported: [`smf`] (MIDI files),
//! [`rt_core`] (the real-time player and recorder), [`proc_supervisor`] (jackd and synth hosts)
//! and [`carla_fetch`] (installing Carla).

pub mod automation;
pub mod carla;
pub mod check;
mod compat;
pub mod doctor;
mod error;
mod finish;
pub mod fxp;
mod instrument;
pub mod jack_host;
mod map;
pub mod offline;
pub mod onsets;
mod render;
pub mod seed;
pub mod settings;
pub mod stems;

pub use carla_fetch;
pub use carla_lib;
pub use compat::{AudioRecorder, MidiPlayer};
pub use error::{Error, Result};
pub use instrument::{Instrument, carla_project, find_carla, find_on_path};
pub use map::{InstrumentMap, MapChoice, Variant, read_variants};
pub use proc_supervisor;
pub use proc_supervisor::{Host, JackServer, Supervisor as Carla};
pub use render::{
    EngineChoice, EngineKind, JACK_PERIOD, OFFLINE_BLOCK, RenderOptions, RenderReport, Renderer,
    Tail, dbfs, engine_for, host_for, partial_path, render, render_batch,
};
pub use rt_core;
pub use rt_core::WavFormat;
pub use smf;
pub use smf::Note;

/// The duration of a MIDI file in seconds, as pycarla's `get_smf_duration` (mido's
/// `MidiFile.length`).
pub fn get_smf_duration(path: impl AsRef<std::path::Path>) -> Result<f64> {
    Ok(smf::get_smf_duration(path)?)
}
