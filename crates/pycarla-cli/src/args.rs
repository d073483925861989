//! The `pycarla` command line surface (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Render MIDI into audio through any plugin (Carla, SoundFonts, SFZ, LV2, any JACK program).
///
/// Without an instrument option, the General MIDI SoundFont found on the system
/// (/usr/share/sounds/sf2/FluidR3_GM.sf2) is used: through Carla if Carla is installed
/// (`pycarla download`), else through fluidsynth. Without --server, each render gets a private,
/// headless JACK server (dummy backend) that is stopped afterwards.
#[derive(Debug, Parser)]
#[command(name = "pycarla", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render MIDI files to WAV.
    Render(RenderArgs),
    /// Render one note (pycarla's synthesize_midi_note).
    Note(NoteArgs),
    /// Print the duration of MIDI files in seconds (pycarla's get_smf_duration).
    Duration {
        /// MIDI files.
        #[arg(required = true)]
        midi: Vec<PathBuf>,
    },
    /// List the ports of a JACK server.
    Ports {
        /// The server's name (default: $JACK_DEFAULT_SERVER, else "default").
        #[arg(long)]
        server: Option<String>,
    },
    /// Say what Carla sees in a plugin, a SoundFont, an SFZ or a project: name, maker,
    /// format, ports, latency, parameters with their ranges, programs, MIDI programs.
    Plugin {
        /// The plugin as `--plugin` takes it (or an .sf2/.sf3/.sfz, or a .carxp project).
        spec: String,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
        /// Save the plugin's state, after the settings given, to FILE: a VST2 .fxp for a
        /// name ending so, else Carla's .carxs (for --state).
        #[arg(long, value_name = "FILE")]
        save_state: Option<PathBuf>,
        /// Settings applied before the state is saved (and checked against the plugin).
        #[command(flatten)]
        controls: ControlArgs,
    },
    /// Say what this machine has for rendering (every Carla, jackd, fluidsynth, jalv, the
    /// General MIDI SoundFont, the engine for the default instrument) and how to get what is
    /// missing.
    Doctor {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Download, verify and install Carla.
    Download(DownloadArgs),
    /// Run Carla with its GUI to prepare projects (pycarla's --run).
    Run {
        /// A project to open.
        #[arg(long)]
        project: Option<PathBuf>,
    },
}

/// What is set in the chain's plugins (offline engine). N is the plugin's 1-based position
/// in the chain (default 1, the instrument).
#[derive(Debug, Clone, Default, Args)]
pub struct ControlArgs {
    /// Sets a parameter of plugin N before every file, in the parameter's own units: PARAM is
    /// its name (any case), its symbol or its index (`pycarla plugin SPEC` lists them).
    /// Repeatable.
    #[arg(long = "set", value_name = "[N:]PARAM=VALUE")]
    pub set: Vec<String>,
    /// Loads a preset of plugin N before every file: a program or MIDI program by name (any
    /// case) or 0-based index, or BANK/PROGRAM (for a SoundFont, sent as bank select and
    /// program change on every channel before the file's own messages, which still apply
    /// after it). Repeatable.
    #[arg(long, value_name = "[N:]NAME|INDEX|BANK/PROGRAM")]
    pub preset: Vec<String>,
    /// Loads a saved state into plugin N before its preset and parameters: Carla's .carxs
    /// (`pycarla plugin SPEC --save-state`), or a VST2 .fxp/.fxb. Repeatable.
    #[arg(long, value_name = "[N:]FILE")]
    pub state: Vec<String>,
    /// Draws a parameter of plugin N at random for every file, within LOW:HIGH or its whole
    /// range, by the seed rule (--seed, the input, the plugin): `all` draws every automatable
    /// parameter not given to --set. Repeatable.
    #[arg(long, value_name = "[N:]PARAM[=LOW:HIGH]|[N:]all")]
    pub randomize: Vec<String>,
    /// Draws one of plugin N's presets for every file by the seed rule. Repeatable.
    #[arg(long, value_name = "[N:]", num_args = 0..=1, default_missing_value = "1")]
    pub randomize_preset: Vec<String>,
    /// Automates parameters: CSV with the header `seconds,plugin,parameter,value`, or JSON
    /// {"automation": [{"plugin": N, "parameter": NAME, "points": [[seconds, value], …]}]}.
    /// Each value holds from its time on, from the frame round(seconds · rate).
    #[arg(long, value_name = "FILE")]
    pub automation: Option<PathBuf>,
    /// Maps the file's controller CC (any channel) onto a parameter's range, from the frame
    /// of each message; the controller still reaches the plugin. Repeatable.
    #[arg(long, value_name = "CC=[N:]PARAM")]
    pub cc: Vec<String>,
}

/// Which synth, and where it runs.
#[derive(Debug, Clone, Args)]
pub struct InstrumentArgs {
    /// A plugin, hosted by Carla's library: an LV2 URI, a .so (VST2, LADSPA or DSSI), a .vst3,
    /// an .sf2/.sf3 or an .sfz; `TYPE:` may prefix it (lv2, vst2, vst3, ladspa, dssi, sf2, sfz)
    /// and `#LABEL` pick one plugin of a library. Repeat it for a chain: the first is the
    /// instrument, the others are effects, in order.
    #[arg(long, value_name = "SPEC", group = "instrument")]
    pub plugin: Vec<String>,
    /// What is set in the plugins.
    #[command(flatten)]
    pub controls: ControlArgs,
    /// A Carla project (.carxp).
    #[arg(long, value_name = "FILE.carxp", group = "instrument")]
    pub project: Option<PathBuf>,
    /// A SoundFont (.sf2 / .sf3).
    #[arg(long, value_name = "FILE", group = "instrument")]
    pub sf2: Option<PathBuf>,
    /// An SFZ instrument (needs Carla).
    #[arg(long, value_name = "FILE", group = "instrument")]
    pub sfz: Option<PathBuf>,
    /// An LV2 plugin URI (hosted by Carla's library; by jalv on the JACK engine).
    #[arg(long, value_name = "URI", group = "instrument")]
    pub lv2: Option<String>,
    /// Any JACK program as the synth, e.g. "fluidsynth -a jack -m jack font.sf2" (split like a
    /// shell would, quotes included); it runs with JACK_DEFAULT_SERVER set to the server in use.
    #[arg(long, value_name = "CMD ARGS", group = "instrument")]
    pub host_cmd: Option<String>,
    /// The synth's MIDI input port (glob).
    #[arg(long, value_name = "GLOB", default_value = "Carla:events-in")]
    pub midi_port: String,
    /// The synth's audio output ports (glob), one WAV channel each.
    #[arg(long, value_name = "GLOB", default_value = "Carla:audio-out*")]
    pub audio_ports: String,
    /// Use this running JACK server instead of a private one; with no instrument option,
    /// play to the synth already running there (through --midi-port / --audio-ports).
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,
    /// Which engine renders: `offline` (Carla's library in a worker process, as fast as the
    /// plugins allow), `jack` (a JACK server; needed for --host-cmd, --server, --realtime), or
    /// `auto`: offline wherever Carla can host the instrument.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
    /// JACK engine: keep the synth running from one file to the next (faster; a file then
    /// inherits programs, controllers and effect tails from the one before). By default every
    /// file starts from the instrument's initial state.
    #[arg(long)]
    pub keep_state: bool,
    /// Sample rate of the offline engine or of the private server.
    #[arg(long, value_name = "HZ", default_value_t = 48_000)]
    pub sample_rate: u32,
    /// Frames per block (offline; default 4096) or per period of the private server (default
    /// 1024). Timing is exact at any size.
    #[arg(long, value_name = "FRAMES")]
    pub period: Option<u32>,
}

/// How the audio is written.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Seconds recorded after the last MIDI message, or "auto": until the output stays below
    /// -90 dBFS for 0.5 s (at most 30 s).
    #[arg(long, value_name = "SECONDS|auto", default_value = "2")]
    pub tail: String,
    /// Render in real time (no freewheel).
    #[arg(long)]
    pub realtime: bool,
    /// Output format: WAV (f32 never clips) or FLAC (streamed, lossless from 16/24 bits).
    #[arg(long, value_enum, default_value_t = Format::F32)]
    pub format: Format,
    /// Normalise every output (each stem and the mix too) to this integrated loudness (EBU
    /// R128, in LUFS, e.g. -23); the gain is recorded in the manifest and stem metadata.
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub normalize: Option<f64>,
    /// Gain in dB applied to the instrument's output before clipping is counted and the
    /// samples are written (--normalize, if given, then sets the final level).
    #[arg(
        long,
        value_name = "DB",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub gain: f64,
    /// Restart the synth (and server) and render a file again after a crash, up to N times.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Seconds the synth host may take to become ready.
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    pub ready_timeout: f64,
    /// Offline: fail a file whose plugin finishes no block for this many seconds (a plugin
    /// that never returns from its processing); retryable with --retries.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub stall_timeout: f64,
    /// Only errors on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// Offline where Carla can host the instrument, else JACK.
    Auto,
    /// Carla's library, in a worker process.
    Offline,
    /// A JACK server.
    Jack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// 32-bit float.
    F32,
    /// 24-bit integer.
    Wav24,
    /// 16-bit integer.
    Wav16,
    /// FLAC, 16-bit.
    Flac16,
    /// FLAC, 24-bit.
    Flac24,
}

/// How `--stems` splits a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StemsArg {
    /// One stem per MIDI channel (`ch01`…).
    Channel,
    /// One stem per track (`track03-Bass`…).
    Track,
    /// One stem per General MIDI program (`program032`…, 0-based), drums on their own.
    Program,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// MIDI files.
    #[arg(required = true, value_name = "MIDI")]
    pub midi: Vec<PathBuf>,
    /// The WAV for one input; a directory for several (`<stem>.wav` each). Default: `<stem>.wav`
    /// in the current directory.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Write the note-on onsets (frame, seconds, channel, note, velocity) to this CSV; for
    /// several inputs, one `<stem>.csv` beside each WAV.
    #[arg(long, value_name = "FILE.csv")]
    pub onsets: Option<PathBuf>,
    /// Append one JSON line per input to this file as it finishes: midi, output, status
    /// (rendered, skipped, failed), frames, sample_rate, channels, seconds, engine, error,
    /// instrument.
    #[arg(long, value_name = "FILE.jsonl")]
    pub manifest: Option<PathBuf>,
    /// Skip an input whose output exists (outputs appear only once complete, so an existing one
    /// is finished): resume an interrupted batch.
    #[arg(long)]
    pub skip_existing: bool,
    /// Render only shard K of N (K from 0): a deterministic split of the sorted inputs, for
    /// cluster job arrays. Without it, Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or
    /// Kubernetes' JOB_COMPLETION_INDEX with --shards N, choose the shard.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// With JOB_COMPLETION_INDEX (a Kubernetes Indexed Job): how many shards there are.
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Render N files at a time (one worker process each; on JACK each with its own server).
    /// With --stems, N parts of a file at a time.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Render each part of a file alone and their mix: for `song.mid` a directory `song/` with
    /// `mix.<ext>`, one file per part that plays notes, and `metadata.json`.
    #[arg(long, value_enum, value_name = "SPLIT")]
    pub stems: Option<StemsArg>,
    /// With --stems: which instrument plays which part (a TOML file of rules by program,
    /// drums, channel or track name; see the README).
    #[arg(long, value_name = "FILE.toml", requires = "stems")]
    pub map: Option<PathBuf>,
    /// Chooses among a map rule's instruments: the same seed, the same choices.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Render every input through this plugin chain too, as `NAME=SPEC[,SPEC…]` (repeatable):
    /// outputs are named `<stem>.NAME.<ext>`.
    #[arg(long, value_name = "NAME=SPEC[,SPEC]")]
    pub variant: Vec<String>,
    /// Render every input through each named chain of this TOML file too (`[variant.NAME]`
    /// tables with `plugin` or `plugins` and their own settings: `params`, `preset`, `state`,
    /// `randomize`, `randomize_preset`; see the README): outputs `<stem>.NAME.<ext>`.
    #[arg(long, value_name = "FILE.toml")]
    pub variants: Option<PathBuf>,
    #[command(flatten)]
    pub instrument: InstrumentArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct NoteArgs {
    /// MIDI key, 0–127.
    pub pitch: i64,
    /// Velocity, 0–127.
    #[arg(long, default_value_t = 64)]
    pub velocity: i64,
    /// Seconds between note on and note off.
    #[arg(long, default_value_t = 1.0)]
    pub duration: f64,
    /// Sustain pedal (CC64), 0–127.
    #[arg(long, default_value_t = 0)]
    pub sustain: i64,
    /// Soft pedal (CC67), 0–127.
    #[arg(long, default_value_t = 0)]
    pub soft: i64,
    /// Sostenuto pedal (CC66), 0–127.
    #[arg(long, default_value_t = 0)]
    pub sostenuto: i64,
    /// Channel, 0–15.
    #[arg(long, default_value_t = 0)]
    pub channel: i64,
    /// Program, 0–127.
    #[arg(long, default_value_t = 0)]
    pub program: i64,
    /// The WAV to write.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    #[command(flatten)]
    pub instrument: InstrumentArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    /// Carla version.
    #[arg(long)]
    pub version: Option<String>,
    /// Installation directory (default: ~/.local/share/pycarla/carla/<version>).
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Mirror to download from.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Install from a local archive instead of downloading.
    #[arg(long, value_name = "ARCHIVE")]
    pub from_file: Option<PathBuf>,
    /// Expected SHA-256 of the archive.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Install an archive with no known hash, printing the hash computed.
    #[arg(long)]
    pub trust_on_first_use: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        // clap checks names, groups and flags of every subcommand (e.g. `download --version`
        // must not clash with an automatic version flag).
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
