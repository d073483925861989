//! Render MIDI into audio through any plugin — LV2, VST2/VST3, CLAP, LADSPA, DSSI, SF2/SF3,
//! SFZ — hosted by Carla, offline or on JACK, or through any JACK program.
//!
//! The successor of the Python library *pycarla*: every note lands on the exact sample it
//! should (`round(t · sample_rate)`, half to even), renders run as fast as the plugin allows,
//! and a crashing plugin or server ends a render with an error — never a hang, an orphan
//! process or a silently short file.
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
//! This crate is the front door: it re-exports the renderer ([`pycarla_render`]: instruments,
//! options, plugin controls, [`Renderer`], both engines, stems and maps) and holds the worker
//! executables; [`dataset`] plans and runs whole datasets (the mirrored tree, variants,
//! shards, skip-existing, the manifest, the pool) as the `pycarla` command and Python do; the
//! layers below are re-exported too: [`smf`] (MIDI files), [`audio_io`] (audio files: the
//! WAV and FLAC writers, reading back, mixdown, loudness), [`rt_core`] (the real-time player
//! and recorder), [`proc_supervisor`] (jackd and synth hosts), [`carla_lib`] (Carla's host
//! library) and [`carla_fetch`] (installing Carla).

pub use pycarla_dataset as dataset;
pub use pycarla_render;
pub use pycarla_render::*;
