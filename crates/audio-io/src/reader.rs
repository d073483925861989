//! Reading WAV files back: block by block for the whole-file passes (memory stays flat however
//! long the file), or whole into planar `f32` for callers that want the audio in memory.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Frames read per block by [`FloatReader::read`].
pub const BLOCK: usize = 8192;

/// A 32-bit float WAV (what the engines write before the finishing passes) read block by block.
pub struct FloatReader {
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
}

impl std::fmt::Debug for FloatReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloatReader")
            .field("path", &self.path)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl FloatReader {
    /// Opens `path`; refuses any WAV but 32-bit float.
    pub fn open(path: &Path) -> Result<FloatReader> {
        let reader = hound::WavReader::open(path).map_err(|e| read_error(path, e))?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Float || spec.bits_per_sample != 32 {
            return Err(Error::NotFloat {
                path: path.to_path_buf(),
            });
        }
        Ok(FloatReader {
            path: path.to_path_buf(),
            channels: usize::from(spec.channels),
            reader,
        })
    }

    /// The file's sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.reader.spec().sample_rate
    }

    /// The file's channels (samples per frame).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Fills `block` with up to [`BLOCK`] interleaved frames; the number of frames read (0 at
    /// the end).
    pub fn read(&mut self, block: &mut Vec<f32>) -> Result<usize> {
        block.clear();
        let mut samples = self.reader.samples::<f32>();
        for _ in 0..BLOCK * self.channels {
            match samples.next() {
                Some(sample) => block.push(sample.map_err(|e| read_error(&self.path, e))?),
                None => break,
            }
        }
        Ok(block.len() / self.channels.max(1))
    }
}

/// A whole file's audio in memory, channel after channel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanarAudio {
    /// Channels (at least 1).
    pub channels: usize,
    /// Frames per channel.
    pub frames: usize,
    /// `channels × frames` samples, channel-major: channel `c` is
    /// `samples[c * frames..(c + 1) * frames]`.
    pub samples: Vec<f32>,
}

/// Reads a whole WAV (float or integer samples) as floats in [-1, 1], channel-major.
pub fn read_planar(path: &Path) -> Result<PlanarAudio> {
    let error = |e| read_error(path, e);
    let mut reader = hound::WavReader::open(path).map_err(error)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            // hound refuses 0 bits per sample; `max(1)` keeps the shift in range regardless.
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.max(1) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 * scale))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(error)?;
    let frames = interleaved.len() / channels;
    let mut samples = vec![0.0; channels * frames];
    for (i, frame) in interleaved.chunks_exact(channels).enumerate() {
        for (c, sample) in frame.iter().enumerate() {
            samples[c * frames + i] = *sample;
        }
    }
    Ok(PlanarAudio {
        channels,
        frames,
        samples,
    })
}

fn read_error(path: &Path, source: hound::Error) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write_float;

    #[test]
    fn planar_audio_is_channel_major_and_integers_are_scaled() {
        let dir = tempfile::tempdir().unwrap();
        let float = dir.path().join("f.wav");
        write_float(&float, 2, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        let audio = read_planar(&float).unwrap();
        assert_eq!((audio.channels, audio.frames), (2, 3));
        assert_eq!(audio.samples, [0.1, 0.3, 0.5, 0.2, 0.4, 0.6]);

        let int = dir.path().join("i.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&int, spec).unwrap();
        for sample in [16_384i16, -32_768] {
            writer.write_sample(sample).unwrap();
        }
        writer.finalize().unwrap();
        assert_eq!(read_planar(&int).unwrap().samples, [0.5, -1.0]);
    }

    #[test]
    fn the_block_reader_refuses_integer_files_and_names_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.wav");
        let error = FloatReader::open(&missing).unwrap_err();
        assert!(matches!(error, Error::Read { .. }), "{error}");
        assert!(error.to_string().contains("missing.wav"), "{error}");
        assert_eq!(error.into_io().kind(), std::io::ErrorKind::NotFound);

        let int = dir.path().join("i.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&int, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let error = FloatReader::open(&int).unwrap_err();
        assert!(matches!(error, Error::NotFloat { .. }), "{error}");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::read_planar;
    use crate::{AudioFormat, AudioWriter, Sink};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// A float WAV reads back exactly, each channel in its place.
        #[test]
        fn a_float_file_reads_back_planar(
            channels in 1usize..4,
            frames in proptest::collection::vec(proptest::collection::vec(-2.0f32..2.0, 3), 0..200),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.wav");
            let interleaved: Vec<f32> =
                frames.iter().flat_map(|frame| frame[..channels].to_vec()).collect();
            let sink = Sink::File { path: path.clone(), format: AudioFormat::Float32 };
            let mut writer = AudioWriter::open(&sink, channels, 44_100).unwrap();
            writer.write(&interleaved).unwrap();
            writer.finish(frames.len() as u64, 44_100).unwrap();
            let audio = read_planar(&path).unwrap();
            prop_assert_eq!((audio.channels, audio.frames), (channels, frames.len()));
            for (index, frame) in frames.iter().enumerate() {
                for (channel, &sample) in frame[..channels].iter().enumerate() {
                    prop_assert_eq!(audio.samples[channel * frames.len() + index], sample);
                }
            }
        }
    }
}
