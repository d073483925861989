//! Helpers for this crate's unit tests.

use std::path::Path;

use crate::{AudioFormat, AudioWriter, Sink};

/// Writes interleaved `samples` as a 48 kHz float WAV.
pub(crate) fn write_float(path: &Path, channels: usize, samples: &[f32]) {
    let sink = Sink::File {
        path: path.to_path_buf(),
        format: AudioFormat::Float32,
    };
    let mut writer = AudioWriter::open(&sink, channels, 48_000).unwrap();
    writer.write(samples).unwrap();
    writer
        .finish((samples.len() / channels) as u64, 48_000)
        .unwrap();
}

/// A float WAV's samples, interleaved.
pub(crate) fn read_float(path: &Path) -> Vec<f32> {
    hound::WavReader::open(path)
        .unwrap()
        .samples::<f32>()
        .map(Result::unwrap)
        .collect()
}
