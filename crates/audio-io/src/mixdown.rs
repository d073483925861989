//! The mixdown of parts (stems) into one file: their sample-wise sum, streamed block by block.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::format::AudioFormat;
use crate::reader::{BLOCK, FloatReader};
use crate::sink::{AudioWriter, Recording, Sink};

/// Writes the sample-wise sum of `inputs` (float WAVs at one rate) to `output` as a float WAV
/// of `channels` channels and `frames` frames: shorter inputs count as silence past their end,
/// mono inputs count on every channel.
pub fn mix(inputs: &[PathBuf], output: &Path, channels: usize, frames: u64) -> Result<Recording> {
    let mut readers = inputs
        .iter()
        .map(|path| FloatReader::open(path))
        .collect::<Result<Vec<_>>>()?;
    let sample_rate = readers.first().map_or(48_000, FloatReader::sample_rate);
    let sink = Sink::File {
        path: output.to_path_buf(),
        format: AudioFormat::Float32,
    };
    let mut writer = AudioWriter::open(&sink, channels, sample_rate)?;
    let (mut block, mut sum) = (Vec::new(), Vec::new());
    let mut written = 0u64;
    while written < frames {
        let n = (frames - written).min(BLOCK as u64) as usize;
        sum.clear();
        sum.resize(n * channels, 0.0f32);
        for reader in &mut readers {
            let read = reader.read(&mut block)?.min(n);
            let input_channels = reader.channels();
            for (index, frame) in block.chunks_exact(input_channels).take(read).enumerate() {
                for channel in 0..channels {
                    sum[index * channels + channel] += frame[channel.min(input_channels - 1)];
                }
            }
        }
        writer.write(&sum)?;
        written += n as u64;
    }
    writer.finish(frames, sample_rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{read_float, write_float};

    #[test]
    fn the_mix_is_the_sum_with_short_and_mono_inputs_padded() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, mix_path) = (
            dir.path().join("a.wav"),
            dir.path().join("b.wav"),
            dir.path().join("mix.wav"),
        );
        write_float(&a, 2, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        write_float(&b, 1, &[0.25, 0.5]);
        mix(&[a, b], &mix_path, 2, 4).unwrap();
        assert_eq!(
            read_float(&mix_path),
            [0.35, 0.45, 0.8, 0.9, 0.5, 0.6, 0.0, 0.0]
        );
    }
}
