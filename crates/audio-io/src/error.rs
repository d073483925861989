use std::path::PathBuf;

/// What can go wrong reading, writing or measuring an audio file; each error names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An audio format name that is none of `AudioFormat::name`'s.
    #[error("unknown audio format {name:?}: expected f32, wav24, wav16, flac16 or flac24")]
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// Writing a WAV or FLAC file failed (creating it, a sample, its header).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// hound's error (an I/O error for the writers of this crate).
        source: hound::Error,
    },
    /// A WAV file cannot be opened or read back.
    #[error("audio file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// hound's error.
        source: hound::Error,
    },
    /// A pass that works on the engine's output was given another kind of WAV.
    #[error("audio file {}: expected the engine's 32-bit float WAV", path.display())]
    NotFloat {
        /// The file.
        path: PathBuf,
    },
    /// The loudness meter refused the audio (a channel count or rate it does not support).
    #[error("audio file {}: loudness meter: {source}", path.display())]
    Loudness {
        /// The file.
        path: PathBuf,
        /// ebur128's error.
        source: ebur128::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The I/O error underneath (a missing file, a full disk), or else an `InvalidData` error
    /// holding the cause: for callers that report every file error as an I/O error on the path
    /// they already name.
    pub fn into_io(self) -> std::io::Error {
        let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
        match self {
            Error::Read { source, .. } | Error::Write { source, .. } => match source {
                hound::Error::IoError(source) => source,
                other => invalid(other.to_string()),
            },
            other => invalid(other.to_string()),
        }
    }
}
