//! The pass after a render, for what needs the whole file first: loudness normalisation
//! (EBU R128 integrated loudness, measured with `ebur128`), the sum of stems into their mix,
//! and writing the format asked for from the engine's 32-bit float output. Everything streams
//! block by block: memory stays flat however long the file.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rt_core::{AudioFormat, AudioWriter, Sink};

use crate::error::{Error, Result};

/// Frames read per block.
const BLOCK: usize = 8192;

/// A 32-bit float WAV read block by block.
struct FloatReader {
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
}

impl FloatReader {
    fn open(path: &Path) -> Result<FloatReader> {
        let reader = hound::WavReader::open(path).map_err(|e| audio_error(path, e))?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Float || spec.bits_per_sample != 32 {
            return Err(Error::Audio {
                path: path.to_path_buf(),
                reason: "expected the engine's 32-bit float WAV".into(),
            });
        }
        Ok(FloatReader {
            path: path.to_path_buf(),
            channels: usize::from(spec.channels),
            reader,
        })
    }

    fn sample_rate(&self) -> u32 {
        self.reader.spec().sample_rate
    }

    /// Fills `block` with up to `BLOCK` interleaved frames; the number of frames read.
    fn read(&mut self, block: &mut Vec<f32>) -> Result<usize> {
        block.clear();
        let mut samples = self.reader.samples::<f32>();
        for _ in 0..BLOCK * self.channels {
            match samples.next() {
                Some(sample) => block.push(sample.map_err(|e| audio_error(&self.path, e))?),
                None => break,
            }
        }
        Ok(block.len() / self.channels)
    }
}

/// The integrated loudness of a float WAV in LUFS; `None` for silence (no gated block).
pub(crate) fn loudness(path: &Path) -> Result<Option<f64>> {
    let mut reader = FloatReader::open(path)?;
    let mut meter = ebur128::EbuR128::new(
        reader.channels as u32,
        reader.sample_rate(),
        ebur128::Mode::I,
    )
    .map_err(|e| Error::Audio {
        path: path.to_path_buf(),
        reason: format!("loudness meter: {e}"),
    })?;
    let mut block = Vec::new();
    while reader.read(&mut block)? > 0 {
        meter.add_frames_f32(&block).map_err(|e| Error::Audio {
            path: path.to_path_buf(),
            reason: format!("loudness meter: {e}"),
        })?;
    }
    let lufs = meter.loudness_global().map_err(|e| Error::Audio {
        path: path.to_path_buf(),
        reason: format!("loudness meter: {e}"),
    })?;
    Ok(lufs.is_finite().then_some(lufs))
}

/// The gain in dB that brings `path` to `target` LUFS (0 for silence).
pub(crate) fn gain_to(path: &Path, target: f64) -> Result<f64> {
    Ok(loudness(path)?.map_or(0.0, |lufs| target - lufs))
}

/// Writes `input` (float WAV) as `output` in `format`, `gain_db` applied, with `channels`
/// channels (a mono input is copied to each) and exactly `frames` frames (silence appended).
/// Returns what was written: its peak (before clipping) and the samples clipped.
pub(crate) fn write_as(
    input: &Path,
    output: &Path,
    format: AudioFormat,
    gain_db: f64,
    channels: usize,
    frames: u64,
) -> Result<rt_core::Recording> {
    let mut reader = FloatReader::open(input)?;
    let sample_rate = reader.sample_rate();
    let sink = Sink::File {
        path: output.to_path_buf(),
        format,
    };
    let mut writer = AudioWriter::open(&sink, channels, sample_rate)?;
    let gain = 10f32.powf(gain_db as f32 / 20.0);
    let (mut block, mut out) = (Vec::new(), Vec::new());
    let mut written = 0u64;
    loop {
        let read = reader.read(&mut block)?;
        if read == 0 {
            break;
        }
        out.clear();
        for frame in block.chunks_exact(reader.channels) {
            for channel in 0..channels {
                out.push(frame[channel.min(reader.channels - 1)] * gain);
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
    Ok(writer.finish(frames, sample_rate)?)
}

/// Writes the sample-wise sum of `inputs` (float WAVs at one rate) to `output` as a float WAV
/// of `channels` channels and `frames` frames: shorter inputs count as silence past their end,
/// mono inputs count on every channel.
pub(crate) fn mix(
    inputs: &[PathBuf],
    output: &Path,
    channels: usize,
    frames: u64,
) -> Result<rt_core::Recording> {
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
            for (index, frame) in block.chunks_exact(reader.channels).take(read).enumerate() {
                for channel in 0..channels {
                    sum[index * channels + channel] += frame[channel.min(reader.channels - 1)];
                }
            }
        }
        writer.write(&sum)?;
        written += n as u64;
    }
    Ok(writer.finish(frames, sample_rate)?)
}

fn audio_error(path: &Path, error: hound::Error) -> Error {
    Error::Audio {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_float(path: &Path, channels: usize, samples: &[f32]) {
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

    fn read_float(path: &Path) -> Vec<f32> {
        hound::WavReader::open(path)
            .unwrap()
            .samples::<f32>()
            .map(Result::unwrap)
            .collect()
    }

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

    #[test]
    fn normalising_reaches_the_target_loudness() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("in.wav"), dir.path().join("out.wav"));
        let tone: Vec<f32> = (0..96_000)
            .flat_map(|i| {
                let s = (i as f32 * 2.0 * std::f32::consts::PI * 997.0 / 48_000.0).sin() * 0.1;
                [s, s]
            })
            .collect();
        write_float(&input, 2, &tone);
        let gain = gain_to(&input, -23.0).unwrap();
        write_as(&input, &output, AudioFormat::Float32, gain, 2, 96_000).unwrap();
        let after = loudness(&output).unwrap().unwrap();
        assert!((after + 23.0).abs() < 0.05, "{after} LUFS");
        assert_eq!(gain_to(&dir.path().join("in.wav"), -23.0).unwrap(), gain);
        write_float(&input, 2, &[0.0; 96_000]);
        assert_eq!(loudness(&input).unwrap(), None);
    }
}
