//! Re-encoding: the engine's 32-bit float WAV written again in the format asked for, with a
//! gain, a channel count and an exact length — the last pass of a render that was normalised,
//! or asked for a format the engine does not write directly.

use std::path::Path;

use crate::error::Result;
use crate::format::AudioFormat;
use crate::reader::{BLOCK, FloatReader};
use crate::sink::{AudioWriter, Recording, Sink};

/// Writes `input` (float WAV) as `output` in `format`, `gain_db` applied, with `channels`
/// channels (a mono input is copied to each) and exactly `frames` frames (silence appended).
/// Returns what was written: its peak (before clipping) and the samples clipped.
pub fn write_as(
    input: &Path,
    output: &Path,
    format: AudioFormat,
    gain_db: f64,
    channels: usize,
    frames: u64,
) -> Result<Recording> {
    let mut reader = FloatReader::open(input)?;
    let sample_rate = reader.sample_rate();
    let sink = Sink::File {
        path: output.to_path_buf(),
        format,
    };
    let mut writer = AudioWriter::open(&sink, channels, sample_rate)?;
    let gain = 10f32.powf(gain_db as f32 / 20.0);
    let input_channels = reader.channels();
    let (mut block, mut out) = (Vec::new(), Vec::new());
    let mut written = 0u64;
    loop {
        let read = reader.read(&mut block)?;
        if read == 0 {
            break;
        }
        out.clear();
        for frame in block.chunks_exact(input_channels) {
            for channel in 0..channels {
                out.push(frame[channel.min(input_channels - 1)] * gain);
            }
        }
        let keep = (read as u64).min(frames - written) as usize;
        writer.write(&out[..keep * channels])?;
        written += keep as u64;
    }
    let silence = vec![0.0f32; BLOCK * channels];
    while written < frames {
        let n = (frames - written).min(BLOCK as u64) as usize;
        writer.write(&silence[..n * channels])?;
        written += n as u64;
    }
    writer.finish(frames, sample_rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{read_float, write_float};

    #[test]
    fn mono_is_copied_to_each_channel_and_the_length_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("in.wav"), dir.path().join("out.wav"));
        write_float(&input, 1, &[0.5, -0.25, 0.125]);
        // +6.02 dB doubles every sample; asking for 2 frames drops the third.
        let gain = 20.0 * 2f64.log10();
        let recording = write_as(&input, &output, AudioFormat::Float32, gain, 2, 2).unwrap();
        assert_eq!(recording.frames, 2);
        let samples = read_float(&output);
        let expected = [1.0, 1.0, -0.5, -0.5];
        assert!(
            samples
                .iter()
                .zip(expected)
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{samples:?}"
        );
        // Asking for more frames than the input has appends silence.
        write_as(&input, &output, AudioFormat::Float32, 0.0, 1, 5).unwrap();
        assert_eq!(read_float(&output), [0.5, -0.25, 0.125, 0.0, 0.0]);
    }
}
