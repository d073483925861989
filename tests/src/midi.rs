//! The real MIDI files the tests share (see `tests/data/midi/SOURCES.md`).

use std::path::{Path, PathBuf};

/// The shared MIDI files' directory.
pub fn midi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/midi")
}

/// A shared MIDI file by name.
pub fn midi(name: &str) -> PathBuf {
    midi_dir().join(name)
}

/// The shared MIDI files' names, sorted.
pub const SHARED: [&str; 5] = [
    "k525short.mid",
    "test01.mid",
    "test03.mid",
    "test06.mid",
    "test19.mid",
];

/// The shared MIDI files' paths, sorted by name.
pub fn midi_files() -> Vec<PathBuf> {
    SHARED.iter().map(|name| midi(name)).collect()
}

/// Frames of a file plus its tail: round((duration + tail) · sr), exactly.
pub fn expected_frames(midi: &Path, tail: u32, sample_rate: u32) -> u64 {
    let timeline = smf::Timeline::from_path(midi).expect("parses");
    (timeline.duration() + smf::ExactTime::new(u128::from(tail), 1)).frame(sample_rate)
}
