use std::path::PathBuf;

/// Everything that can go wrong while reading a MIDI file or building a timeline.
///
/// Every variant names *what* is wrong and *where* (byte offset or track index), so that a user
/// rendering thousands of files can tell which file is broken and how.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file larger than any real MIDI file (and than is safe to read whole).
    #[error("{} is {size} bytes; MIDI files above {max} bytes are refused", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit ([`crate::MAX_FILE_SIZE`]).
        max: u64,
    },
    /// A parse error in a file read from disk.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<Error>,
    },
    /// Zero bytes.
    #[error("empty file: a Standard MIDI File starts with an `MThd` header")]
    Empty,
    /// The first four bytes are not `MThd`.
    #[error("not a Standard MIDI File: expected `MThd` at byte 0, found {found:02x?}")]
    BadMagic {
        /// The bytes found instead (up to four).
        found: Vec<u8>,
    },
    /// The `MThd` chunk is shorter than the six bytes it must hold.
    #[error("header chunk at byte 0 declares {length} bytes; a header holds at least 6")]
    ShortHeader {
        /// The declared length.
        length: u32,
    },
    /// A chunk declares more bytes than remain in the file, or its header is cut.
    #[error(
        "truncated chunk at byte {offset}: it declares {declared} bytes but only {available} remain"
    )]
    TruncatedChunk {
        /// Byte offset of the chunk's header.
        offset: usize,
        /// Declared data length (0 when the chunk header itself is cut).
        declared: u64,
        /// Bytes left after the chunk header.
        available: usize,
    },
    /// Fewer `MTrk` chunks than the header declares.
    #[error("the header declares {declared} tracks but the file holds {found}")]
    MissingTracks {
        /// Tracks the header promises.
        declared: u16,
        /// Tracks present.
        found: usize,
    },
    /// A format-0 file with more than one track.
    #[error("format 0 file holds {found} tracks; format 0 allows exactly one")]
    Format0Tracks {
        /// Tracks present.
        found: usize,
    },
    /// A format this crate cannot turn into one timeline.
    #[error(
        "SMF format {format} is not supported (only 0 and 1: format 2 holds independent sequences with no single timeline)"
    )]
    UnsupportedFormat {
        /// The header's format word.
        format: u16,
    },
    /// A division of zero ticks.
    #[error("the header's time division is zero ticks")]
    ZeroDivision,
    /// An event inside a track could not be read.
    #[error("track {track}, byte {offset}: {reason}")]
    Event {
        /// Index of the track (0-based, in file order).
        track: usize,
        /// Byte offset of the faulty event from the start of the file.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A note parameter out of its MIDI range.
    #[error("{field} = {value} is out of range {min}..={max}")]
    OutOfRange {
        /// The parameter.
        field: &'static str,
        /// The value given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
}
