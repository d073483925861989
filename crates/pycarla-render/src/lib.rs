//! Rendering MIDI into audio through any plugin: instruments (plugin specs, SoundFonts,
//! projects, JACK programs), render options, plugin controls (parameters, presets, state,
//! randomisation, automation), the [`Renderer`] over the offline engine (Carla's library in a
//! worker process) and the JACK engine (a private server, pycarla's Carla host), stems and
//! instrument maps, pycarla's compatibility classes.
//!
//! Most callers use it through the `pycarla-rs` crate (`pycarla::…`), which re-exports it with
//! the dataset layer.
//!
//! ```no_run
//! use pycarla_render::{Instrument, RenderOptions, Tail};
//! let options = RenderOptions::default().tail(Tail::Auto);
//! pycarla_render::render(Instrument::default_soundfont()?, "song.mid", "song.wav", &options)?;
//! # Ok::<(), pycarla_render::Error>(())
//! ```

pub mod automation;
pub mod carla;
pub mod check;
mod compat;
pub mod doctor;
mod error;
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

pub use audio_io;
pub use audio_io::WavFormat;
pub use carla_fetch;
pub use carla_lib;
pub use compat::{AudioRecorder, MidiPlayer};
pub use error::{Error, Result};
pub use instrument::{Instrument, carla_project, find_carla, find_on_path};
pub use map::{InstrumentMap, MapChoice, Variant, parse_variants, read_variants};
pub use proc_supervisor;
pub use proc_supervisor::{Host, JackServer, Supervisor as Carla};
pub use render::{
    EngineChoice, EngineKind, JACK_PERIOD, OFFLINE_BLOCK, RenderOptions, RenderReport, Renderer,
    Tail, dbfs, engine_for, host_for, partial_path, render, render_batch,
};
pub use rt_core;
pub use smf;
pub use smf::Note;

/// The duration of a MIDI file in seconds, as pycarla's `get_smf_duration` (mido's
/// `MidiFile.length`).
pub fn get_smf_duration(path: impl AsRef<std::path::Path>) -> Result<f64> {
    Ok(smf::get_smf_duration(path)?)
}
