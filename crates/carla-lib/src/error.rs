use std::path::PathBuf;

/// Everything that can go wrong between this crate and Carla's library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No directory searched holds Carla's library.
    #[error(
        "Carla's library ({library}) was not found; searched: {}",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound {
        /// The file looked for (`libcarla_host-plugin.so`, `libcarla_standalone2.so`).
        library: &'static str,
        /// The directories looked in.
        searched: Vec<PathBuf>,
    },
    /// The library exists but could not be loaded.
    #[error("cannot load {}: {source}", .path.display())]
    Load {
        /// The library file.
        path: PathBuf,
        /// What the dynamic loader said.
        source: libloading::Error,
    },
    /// The library lacks a function this crate needs (not Carla 2.4 or later?).
    #[error("{} has no `{symbol}` (Carla 2.4 or later is needed): {source}", .path.display())]
    Symbol {
        /// The library file.
        path: PathBuf,
        /// The missing function.
        symbol: &'static str,
        /// What the dynamic loader said.
        source: libloading::Error,
    },
    /// No Carla found hosts every format asked for.
    #[error(
        "no Carla found hosts {}; found: {}",
        .formats.join(" and "),
        if .found.is_empty() { "none".to_string() } else { .found.join("; ") }
    )]
    NoCarlaFor {
        /// The formats asked for.
        formats: Vec<String>,
        /// Each Carla found, with its version and formats (or why it is unsupported).
        found: Vec<String>,
    },
    /// Carla's rack or patchbay could not be created.
    #[error("Carla could not create its {what} engine")]
    Instantiate {
        /// `rack` or `patchbay`.
        what: &'static str,
    },
    /// Carla's engine could not start on its audio driver (for JACK: no server, or the server
    /// refused the client); `message` is Carla's last error.
    #[error("Carla cannot start its {driver} engine as client `{client}`: {message}")]
    EngineInit {
        /// The driver (`JACK`, `Dummy`).
        driver: String,
        /// The client name asked for.
        client: String,
        /// Carla's explanation.
        message: String,
    },
    /// Carla's engine reported an error while closing (it is closed nonetheless).
    #[error("Carla's {driver} engine did not close cleanly: {message}")]
    EngineClose {
        /// The driver (`JACK`, `Dummy`).
        driver: String,
        /// Carla's explanation.
        message: String,
    },
    /// Carla refused a plugin; `message` is Carla's last error.
    #[error("Carla cannot load {plugin}: {message}")]
    AddPlugin {
        /// The plugin as given.
        plugin: String,
        /// Carla's explanation.
        message: String,
    },
    /// Carla refused a project; `message` is Carla's last error.
    #[error("Carla cannot load the project {}: {message}", .path.display())]
    LoadProject {
        /// The project file.
        path: PathBuf,
        /// Carla's explanation.
        message: String,
    },
    /// The first plugin of a chain must play MIDI.
    #[error(
        "{plugin} has no MIDI input: it cannot be the instrument (give an instrument first, effects after it)"
    )]
    NotAnInstrument {
        /// The plugin.
        plugin: String,
    },
    /// A plugin with no audio output would make the chain silent.
    #[error("{plugin} has no audio output")]
    NoAudioOutput {
        /// The plugin.
        plugin: String,
    },
    /// A plugin description that names no known format.
    #[error("{spec}: {reason}")]
    BadSpec {
        /// The description as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A LADSPA or DSSI file does not hold the plugin asked for.
    #[error("{} holds no plugin labelled {label:?} (it holds: {})", .path.display(), .available.join(", "))]
    LabelNotFound {
        /// The plugin file.
        path: PathBuf,
        /// The label asked for.
        label: String,
        /// The labels it holds.
        available: Vec<String>,
    },
    /// A plugin has no input parameter by that name, symbol or index.
    #[error("{plugin} has no parameter {parameter:?} (it has: {})", .known.join(", "))]
    UnknownParameter {
        /// The plugin.
        plugin: String,
        /// The parameter as given.
        parameter: String,
        /// Its input parameters (name, and symbol where it has one).
        known: Vec<String>,
    },
    /// A value outside a parameter's range.
    #[error("{plugin}: {parameter} = {value} is out of its range {min} to {max}{}", if .unit.is_empty() { String::new() } else { format!(" {}", .unit) })]
    ParameterOutOfRange {
        /// The plugin.
        plugin: String,
        /// The parameter's name.
        parameter: String,
        /// The value asked for.
        value: f32,
        /// Its lowest value.
        min: f32,
        /// Its highest value.
        max: f32,
        /// Its unit, or empty.
        unit: String,
    },
    /// Carla could not load or save a plugin's state.
    #[error("{plugin}: cannot {action} the state {}: {message}", .path.display())]
    PluginState {
        /// The plugin.
        plugin: String,
        /// `load` or `save`.
        action: &'static str,
        /// The state file.
        path: PathBuf,
        /// Carla's reason.
        message: String,
    },
    /// A block longer than the engine's block size.
    #[error("a block of {frames} frames is longer than the engine's block size ({block})")]
    BlockTooLong {
        /// Frames asked for.
        frames: usize,
        /// The block size the engine was made with.
        block: u32,
    },
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
