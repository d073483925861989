//! Reading renders back: WAVs as planar floats, their peak, where impulses sound.

use std::path::Path;

/// A WAV read back, planar.
#[derive(Debug)]
pub struct Wav {
    /// Its format.
    pub spec: hound::WavSpec,
    /// Planar.
    pub channels: Vec<Vec<f32>>,
}

/// Reads a WAV (float or integer samples, as floats).
pub fn read_wav(path: &Path) -> Wav {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let n = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut channels = vec![Vec::with_capacity(samples.len() / n.max(1)); n];
    for (i, s) in samples.into_iter().enumerate() {
        channels[i % n].push(s);
    }
    Wav { spec, channels }
}

/// The largest absolute sample of a WAV: whether a render sounds.
pub fn peak(path: &Path) -> f32 {
    read_wav(path)
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |p, s| p.max(s.abs()))
}

/// Frames holding a non-zero sample.
pub fn impulse_frames(channel: &[f32]) -> Vec<u64> {
    channel
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != 0.0)
        .map(|(i, _)| i as u64)
        .collect()
}
