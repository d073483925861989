//! What the caller and a worker process say to each other: one JSON object a line, a job on the
//! worker's stdin, progress and one reply on its stdout.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What plays: a chain of plugins (instrument first) or a Carla project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Chain {
    /// Plugin descriptions as `carla_lib::PluginSpec` parses them.
    Plugins(Vec<String>),
    /// A `.carxp` file.
    Project(PathBuf),
}

/// The output file's format (mirrors `audio_io::AudioFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// WAV, 32-bit float.
    Float32,
    /// WAV, 24-bit integer.
    Int24,
    /// WAV, 16-bit integer.
    Int16,
    /// FLAC, 16-bit.
    Flac16,
    /// FLAC, 24-bit.
    Flac24,
}

impl From<audio_io::AudioFormat> for Format {
    fn from(format: audio_io::AudioFormat) -> Format {
        use audio_io::AudioFormat as A;
        match format {
            A::Float32 => Format::Float32,
            A::Int24 => Format::Int24,
            A::Int16 => Format::Int16,
            A::Flac16 => Format::Flac16,
            A::Flac24 => Format::Flac24,
        }
    }
}

impl From<Format> for audio_io::AudioFormat {
    fn from(format: Format) -> audio_io::AudioFormat {
        use audio_io::AudioFormat as A;
        match format {
            Format::Float32 => A::Float32,
            Format::Int24 => A::Int24,
            Format::Int16 => A::Int16,
            Format::Flac16 => A::Flac16,
            Format::Flac24 => A::Flac24,
        }
    }
}

/// `audio_io::StopOnSilence`, carried across.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub after_frame: u64,
    pub quiet_frames: u64,
    pub threshold: f32,
}

/// One file to render. Times are already frames: the caller computed them with the one timing
/// rule both engines share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Carla's `libcarla_host-plugin.so`, found by the caller.
    pub library: PathBuf,
    pub chain: Chain,
    pub sample_rate: u32,
    /// Frames per `process` call.
    pub block: u32,
    /// `(frame, message)` in time order.
    pub events: Vec<(u64, Vec<u8>)>,
    /// Frames to write (the most, with a silence rule).
    pub total: u64,
    pub silence: Option<Silence>,
    /// Where the worker writes (the caller renames it once complete).
    pub output: PathBuf,
    pub format: Format,
    /// The seed of the C library's generators for this file ([`crate::seed::draw`] of the
    /// render's seed, the file and `"libc"`), set after the chain is loaded and before the
    /// first block.
    #[serde(default)]
    pub libc_seed: u64,
    /// Parameters to set after the chain is loaded, before the first block.
    #[serde(default)]
    pub settings: Vec<crate::settings::ParameterSetting>,
    /// Presets to load after the chain is loaded (before `settings`).
    #[serde(default)]
    pub presets: Vec<crate::settings::PresetSetting>,
    /// State files to load after the chain is loaded (before `presets`).
    #[serde(default)]
    pub states: Vec<crate::settings::StateSetting>,
    /// Plugins (1-based positions) whose preset is drawn, after `presets`.
    #[serde(default)]
    pub randomize_presets: Vec<usize>,
    /// Parameters drawn at random, after `settings`.
    #[serde(default)]
    pub randomize: Vec<crate::settings::RandomizeSetting>,
    /// The seed of the draws ([`crate::seed::draw`] of the render's seed, the file and
    /// `"randomize"`), mixed with each plugin's position, spec and parameter.
    #[serde(default)]
    pub randomize_seed: u64,
    /// Parameter automation, times already frames.
    #[serde(default)]
    pub automation: Vec<FrameLane>,
    /// The file's controllers mapped onto parameters.
    #[serde(default)]
    pub cc_maps: Vec<crate::automation::CcMapping>,
    /// Describe the chain's plugins ([`Reply::Described`]) instead of rendering.
    #[serde(default)]
    pub describe: bool,
    /// With `describe`: save the first plugin's state here after the controls.
    #[serde(default)]
    pub save_state: Option<PathBuf>,
}

impl Job {
    /// A job for `chain` at `sample_rate` with `controls` (automation times turned into
    /// frames, random draws seeded by `randomize_seed`), nothing to play and nowhere to write:
    /// the caller fills in the rest.
    pub fn new(
        library: PathBuf,
        chain: Chain,
        sample_rate: u32,
        controls: &crate::settings::PluginControls,
        randomize_seed: u64,
    ) -> Job {
        Job {
            library,
            chain,
            sample_rate,
            block: crate::render::OFFLINE_BLOCK,
            events: Vec::new(),
            total: 0,
            silence: None,
            output: PathBuf::new(),
            format: Format::Float32,
            libc_seed: 0,
            settings: controls.params.clone(),
            presets: controls.presets.clone(),
            states: controls.states.clone(),
            randomize_presets: controls.randomize_presets.clone(),
            randomize: controls.randomize.clone(),
            randomize_seed,
            automation: controls
                .automation
                .lanes
                .iter()
                .map(|lane| FrameLane {
                    plugin: lane.plugin,
                    parameter: lane.parameter.clone(),
                    points: lane.frames(sample_rate),
                })
                .collect(),
            cc_maps: controls.cc.clone(),
            describe: false,
            save_state: None,
        }
    }
}

/// An automation lane with its times as frames.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameLane {
    /// The plugin's 1-based position.
    pub plugin: usize,
    /// The parameter: name, symbol or index.
    pub parameter: String,
    /// `(frame, value)` in time order.
    pub points: Vec<(u64, f64)>,
}

/// What a worker says while and after rendering a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Frames written so far, of at most `total`.
    Progress { done: u64, total: u64 },
    /// The file is complete.
    Done(Done),
    /// The job failed; the worker can take another.
    Failed(Failure),
    /// What Carla sees in each plugin of the chain (a job that asked to describe).
    Described(Vec<crate::settings::PluginDescription>),
}

/// A finished render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub frames: u64,
    /// The largest absolute sample written.
    pub peak: f32,
    pub channels: usize,
    /// Frames of plugin latency removed from the start.
    pub latency: u64,
    /// System-exclusive messages Carla's native API could not carry.
    pub dropped_sysex: u64,
    /// The chain's plugins, as Carla names them.
    pub plugins: Vec<String>,
    /// Samples at or beyond full scale in the file.
    #[serde(default)]
    pub clipped: u64,
    /// The output's envelope (`audio_io::Recording::envelope`), for the render check.
    #[serde(default)]
    pub envelope: Vec<f32>,
    /// The parameters set, per plugin of the chain (names as the plugin gives them).
    #[serde(default)]
    pub params: Vec<std::collections::BTreeMap<String, f32>>,
    /// The preset loaded, per plugin of the chain.
    #[serde(default)]
    pub presets: Vec<Option<String>>,
    /// A plugin of the chain keeps state in the worker's process beyond its instance: the
    /// next file must render in a fresh worker.
    #[serde(default)]
    pub fresh_worker_next: bool,
}

/// Why a job failed, sorted so the caller can rebuild a typed error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// Carla's library is missing or unusable.
    NoCarla(String),
    /// A plugin or project could not be loaded (nothing was rendered).
    Load(String),
    /// Writing the audio failed.
    Output(String),
    /// The job itself does not make sense.
    Job(String),
}
