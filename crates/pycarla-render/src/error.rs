use std::path::PathBuf;

/// Everything a render can fail with, each with what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A MIDI file could not be read or parsed.
    #[error("bad MIDI file: {0}")]
    Midi(#[from] smf::Error),
    /// Playing or recording on JACK failed.
    #[error("{0}")]
    Realtime(#[from] rt_core::Error),
    /// Starting, watching or stopping jackd or the synth host failed.
    #[error("{0}")]
    Process(#[from] proc_supervisor::Error),
    /// Installing Carla failed.
    #[error("{0}")]
    Fetch(#[from] carla_fetch::Error),
    /// The synth host died during the render.
    #[error(
        "the synth host {what} died during the render ({status}); retries restart it and render the file again; last output:\n{tail}"
    )]
    HostDied {
        /// Which host.
        what: String,
        /// How it ended.
        status: String,
        /// Its last lines of output.
        tail: String,
    },
    /// The offline engine's worker died while rendering: a plugin crashed (or was killed).
    #[error(
        "the plugin worker (pid {pid}) running {chain} died during the render ({status}); the file was not completed; last output:\n{tail}"
    )]
    PluginCrashed {
        /// The plugins it ran, as given.
        chain: String,
        /// The worker's process id.
        pid: u32,
        /// How it ended (e.g. "killed by SIGSEGV").
        status: String,
        /// Its last lines of output.
        tail: String,
    },
    /// Carla could not load the plugins or project (nothing was rendered).
    #[error("{message}")]
    PluginLoad {
        /// The plugins, as given.
        chain: String,
        /// What Carla said.
        message: String,
    },
    /// The offline engine's worker failed in another way (writing the audio, a bad job).
    #[error("offline render failed: {message}")]
    Worker {
        /// What went wrong.
        message: String,
    },
    /// The render is silent while the MIDI plays notes: a broken instrument, not a dataset row.
    #[error("the render is silent though the MIDI plays notes (left as {})", output.display())]
    Silent {
        /// The partial file left.
        output: PathBuf,
    },
    /// A stretch of the file's notes made no sound (an instrument that was not ready, or a
    /// part lost): partial loss, not a dataset row.
    #[error(
        "notes from {from:.2} s to {to:.2} s made no sound ({count} silent note-ons in all; left as {})",
        output.display()
    )]
    NotesMadeNoSound {
        /// The partial file left.
        output: PathBuf,
        /// The first silent note-on of the longest run, in seconds.
        from: f64,
        /// Its last, in seconds.
        to: f64,
        /// Silent note-ons in the whole file.
        count: u64,
    },
    /// An offline render stopped making progress: no block finished for `seconds` (a plugin
    /// that never returns from its processing). The worker was killed.
    #[error(
        "{chain} stopped making progress: no block finished for {seconds:.1} s after {done_frames} frames (the worker, pid {pid}, was killed)"
    )]
    PluginStalled {
        /// The plugins, as the user named them.
        chain: String,
        /// How long nothing came.
        seconds: f64,
        /// Frames written before.
        done_frames: u64,
        /// The worker's process id.
        pid: u32,
    },
    /// The render is shorter than the length asked for.
    #[error("the render has {frames} frames, {expected} were asked for (left as {})", output.display())]
    Short {
        /// The partial file left.
        output: PathBuf,
        /// Frames rendered.
        frames: u64,
        /// Frames asked for.
        expected: u64,
    },
    /// A program the instrument needs is not installed.
    #[error("{program} is not installed: {hint}")]
    Missing {
        /// The program or file.
        program: String,
        /// The command that installs it.
        hint: String,
    },
    /// An instrument file that does not exist.
    #[error("instrument file {} does not exist", path.display())]
    NoInstrumentFile {
        /// The path given.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Options that do not fit together.
    #[error("{0}")]
    Usage(String),
    /// An instrument map that cannot be used.
    #[error("{}:{line}: {reason}", path.display())]
    Map {
        /// The map file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An automation file, or a plugin state file, that cannot be used.
    #[error("{}{}: {reason}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
    ControlFile {
        /// The file.
        path: PathBuf,
        /// The line (1-based; 0 when the fault is not on one line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An audio file cannot be written, read back or measured (the finishing passes: stems,
    /// normalisation, re-encoding; the compatibility recorder's file).
    #[error("{0}")]
    Audio(#[from] audio_io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether restarting the host (and server) and rendering again could help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::HostDied { .. }
                | Error::PluginCrashed { .. }
                | Error::Silent { .. }
                | Error::NotesMadeNoSound { .. }
                | Error::PluginStalled { .. }
                | Error::Short { .. }
                | Error::Realtime(
                    rt_core::Error::ClientGone { .. }
                        | rt_core::Error::SynthDied { .. }
                        | rt_core::Error::ServerShutdown { .. }
                        | rt_core::Error::Timeout { .. }
                        | rt_core::Error::Stalled { .. }
                        | rt_core::Error::Xrun { .. }
                )
                | Error::Process(proc_supervisor::Error::Exited { .. })
        )
    }
}
