//! Carla's plugin host as a library: every plugin format Carla hosts (LV2, VST2, VST3, LADSPA,
//! DSSI, SF2/SF3, SFZ) and Carla projects, in this process, offline, processed block by block
//! with MIDI events at exact frame offsets.
//!
//! Carla's `libcarla_host-plugin.so` is loaded at run time ([`CarlaLibrary::find`]), so a
//! program using this crate builds and runs without Carla and can say clearly when it is
//! missing. One job: load plugins and projects into one of Carla's in-process engines
//! ([`Engine`]: the rack or the patchbay), process blocks, report Carla's errors.
//!
//! [`standalone`] runs Carla's engine on JACK instead (`libcarla_standalone2.so`, the library
//! under Carla's own front end), for hosts that play in real time.
//!
//! Plugins run in the caller's process: a crashing plugin takes the process down. Hosts that
//! must survive that (pycarla-rs does) use this crate in a worker process.

mod engine;
mod error;
pub mod ffi;
mod host;
pub mod installs;
mod library;
mod loader;
pub mod lv2_bundle;
mod plugin;
pub mod plugin_info;
pub mod standalone;
mod state;

pub use engine::{Engine, EngineKind, MidiEvent, midi_event};
pub use error::{Error, Result};
/// The defaults pycarla's hosts give the plugins they load (see `Host::add_plugin`).
pub mod host_defaults {
    pub use crate::host::{FLUIDSYNTH_DEFAULT_GAIN, FLUIDSYNTH_DEFAULT_POLYPHONY};
}
pub use installs::{CarlaInstall, FoundBy, Version};
pub use library::{CarlaLibrary, LIBRARY_DIR_VAR, LIBRARY_NAME, find_library, search_dirs};
pub use plugin::{Format, Plugin, PluginSpec};
pub use plugin_info::{MidiProgram, ParameterInfo, PluginInfo};
