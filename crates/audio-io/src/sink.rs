//! The audio sink both engines write through: planar memory or a streamed WAV or FLAC file,
//! integer formats quantised with clipping, the peak, the clipped samples and the envelope
//! counted on the way.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::flac::FlacFile;
use crate::format::AudioFormat;
use crate::wav::WavFile;

/// Bytes buffered before a write(2): one write per ~64 periods of stereo audio rather than per
/// period, so the disk takes less CPU from the render.
const WAV_BUFFER_BYTES: usize = 1 << 20;

/// Where recorded audio goes.
#[derive(Clone, Debug)]
pub enum Sink {
    /// Planar buffers in memory ([`Recording::channels`]).
    Memory,
    /// Streamed to a WAV or FLAC file as it arrives (memory stays flat however long the
    /// render). The file is finalized even when the render fails, holding the frames recorded
    /// so far.
    File {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: AudioFormat,
    },
}

/// The result of a recording.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Frames recorded.
    pub frames: u64,
    /// One buffer per channel ([`Sink::Memory`] only; empty for a file sink).
    pub channels: Vec<Vec<f32>>,
    /// The file written ([`Sink::File`] only).
    pub path: Option<PathBuf>,
    /// The largest absolute sample written (0 for silence).
    pub peak: f32,
    /// Samples at or beyond full scale (|x| ≥ 1): clipped in an integer or FLAC file, kept
    /// as they are in a float one.
    pub clipped: u64,
    /// The largest absolute sample of every [`ENVELOPE_FRAMES`] frames, all channels: enough
    /// to tell, after the render, which notes made a sound.
    pub envelope: Vec<f32>,
}

/// Frames per step of [`Recording::envelope`] (10 ms at 48 kHz).
pub const ENVELOPE_FRAMES: u64 = 480;

impl Recording {
    fn of_file(path: PathBuf, frames: u64, sample_rate: u32) -> Recording {
        Recording {
            sample_rate,
            frames,
            channels: Vec::new(),
            path: Some(path),
            ..Recording::default()
        }
    }
}

/// Where audio goes, opened: appends interleaved frames, finishes into a [`Recording`]. The
/// recorder's drain thread and the offline engine both write through it.
#[derive(Debug)]
pub struct AudioWriter {
    output: Output,
    peak: f32,
    clipped: u64,
    channels: usize,
    envelope: Vec<f32>,
    /// Frames in the envelope's last step so far.
    step_frames: u64,
}

impl AudioWriter {
    /// Opens `sink` for `channels` interleaved channels (creates the WAV file).
    pub fn open(sink: &Sink, channels: usize, sample_rate: u32) -> Result<AudioWriter, Error> {
        Output::open(sink, channels, sample_rate).map(|output| AudioWriter {
            output,
            peak: 0.0,
            clipped: 0,
            channels: channels.max(1),
            envelope: Vec::new(),
            step_frames: ENVELOPE_FRAMES,
        })
    }

    /// Appends interleaved samples, a whole number of frames.
    pub fn write(&mut self, samples: &[f32]) -> Result<(), Error> {
        let touched = self.envelope.len().saturating_sub(1);
        for frame in samples.chunks_exact(self.channels) {
            if self.step_frames == ENVELOPE_FRAMES {
                self.envelope.push(0.0);
                self.step_frames = 0;
            }
            let step = self.envelope.last_mut().expect("pushed above");
            for &sample in frame {
                let level = sample.abs();
                *step = step.max(level);
                self.clipped += u64::from(level >= 1.0);
            }
            self.step_frames += 1;
        }
        self.peak = self.envelope[touched..]
            .iter()
            .fold(self.peak, |peak, &s| peak.max(s));
        self.output.write(samples)
    }

    /// Makes what was written so far a valid file (the WAV header counts it), so that a
    /// process killed later leaves a readable partial file.
    pub fn flush(&mut self) -> Result<(), Error> {
        match &mut self.output {
            Output::Memory { .. } => Ok(()),
            Output::Wav { file, path } => file.flush().map_err(|source| io_error(path, source)),
            Output::Flac { file, path } => file.flush().map_err(|source| io_error(path, source)),
        }
    }

    /// Completes the file (its header) and returns what was written.
    pub fn finish(self, frames: u64, sample_rate: u32) -> Result<Recording, Error> {
        let recording = self.output.finish(frames, sample_rate)?;
        Ok(Recording {
            peak: self.peak,
            clipped: self.clipped,
            envelope: self.envelope,
            ..recording
        })
    }
}

#[derive(Debug)]
enum Output {
    Memory { channels: Vec<Vec<f32>> },
    Wav { file: WavFile, path: PathBuf },
    // Boxed: the encoder's state is large.
    Flac { file: Box<FlacFile>, path: PathBuf },
}

impl Output {
    fn open(sink: &Sink, channels: usize, sample_rate: u32) -> Result<Output, Error> {
        Ok(match sink {
            Sink::Memory => Output::Memory {
                channels: vec![Vec::new(); channels],
            },
            Sink::File { path, format } => {
                let channels = u16::try_from(channels)
                    .map_err(|_| wav_error(path, hound::Error::Unsupported))?;
                let bits = match format {
                    AudioFormat::Flac16 => Some(16),
                    AudioFormat::Flac24 => Some(24),
                    _ => None,
                };
                match bits {
                    Some(bits) => Output::Flac {
                        file: Box::new(
                            FlacFile::create(path, channels, sample_rate, bits)
                                .map_err(|source| io_error(path, source))?,
                        ),
                        path: path.clone(),
                    },
                    // A large buffer: one write(2) per ~64 periods of stereo audio rather than
                    // per period, so the disk thread takes less CPU from the JACK chain.
                    None => Output::Wav {
                        file: WavFile::create(
                            path,
                            channels,
                            sample_rate,
                            *format,
                            WAV_BUFFER_BYTES,
                        )
                        .map_err(|source| io_error(path, source))?,
                        path: path.clone(),
                    },
                }
            }
        })
    }

    /// Appends interleaved samples, a whole number of frames.
    fn write(&mut self, samples: &[f32]) -> Result<(), Error> {
        match self {
            Output::Memory { channels } => {
                // Whole frames always: the ring holds whole frames and is read in whole frames.
                debug_assert_eq!(samples.len() % channels.len(), 0);
                for frame in samples.chunks_exact(channels.len()) {
                    for (channel, &sample) in channels.iter_mut().zip(frame) {
                        channel.push(sample);
                    }
                }
                Ok(())
            }
            Output::Wav { file, path } => {
                file.write(samples).map_err(|source| io_error(path, source))
            }
            Output::Flac { file, path } => {
                file.write(samples).map_err(|source| io_error(path, source))
            }
        }
    }

    fn finish(self, frames: u64, sample_rate: u32) -> Result<Recording, Error> {
        match self {
            Output::Memory { channels, .. } => Ok(Recording {
                sample_rate,
                frames,
                channels,
                ..Recording::default()
            }),
            Output::Wav { file, path } => {
                file.finish().map_err(|source| io_error(&path, source))?;
                Ok(Recording::of_file(path, frames, sample_rate))
            }
            Output::Flac { file, path } => {
                file.finish().map_err(|source| io_error(&path, source))?;
                Ok(Recording::of_file(path, frames, sample_rate))
            }
        }
    }
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    wav_error(path, hound::Error::IoError(source))
}

fn wav_error(path: &Path, source: hound::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::{AudioWriter, ENVELOPE_FRAMES, Sink};

    #[test]
    fn the_writer_counts_clipped_samples_and_keeps_an_envelope() {
        let mut writer = AudioWriter::open(&Sink::Memory, 2, 48_000).unwrap();
        let mut samples = vec![0.0f32; 2 * (ENVELOPE_FRAMES as usize * 2 + 10)];
        samples[1] = 1.0; // at full scale: counts
        samples[2 * ENVELOPE_FRAMES as usize] = -1.5; // beyond: counts
        samples[2 * ENVELOPE_FRAMES as usize + 2] = 0.999; // below: does not
        // Written in two pieces that split a step.
        writer.write(&samples[..2 * 300]).unwrap();
        writer.write(&samples[2 * 300..]).unwrap();
        let recording = writer.finish(0, 48_000).unwrap();
        assert_eq!(recording.clipped, 2);
        assert_eq!(recording.peak, 1.5);
        assert_eq!(recording.envelope, vec![1.0, 1.5, 0.0]);
    }
}
