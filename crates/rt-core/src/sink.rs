//! The audio sink both engines write through: planar memory or a streamed WAV or FLAC file,
//! integer formats quantised with clipping, and the silence rule of `--tail auto`.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::flac::FlacFile;
use crate::wav::WavFile;

/// Bytes buffered before a write(2): one write per ~64 periods of stereo audio rather than per
/// period, so the disk takes less CPU from the render.
const WAV_BUFFER_BYTES: usize = 1 << 20;

/// Ends a recording once the audio stays quiet: pycarla-rs's `--tail auto`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopOnSilence {
    /// Silence only counts from this frame on (the end of the MIDI).
    pub after_frame: u64,
    /// How many quiet frames in a row end the recording (they are kept).
    pub quiet_frames: u64,
    /// Peak level (linear) at or below which a frame is quiet; -90 dBFS is about 3.2e-5.
    pub threshold: f32,
}

impl StopOnSilence {
    /// How many of the frames in `samples` (interleaved, starting at frame `first`) to keep:
    /// `Some(n)` when the quiet run completes inside them, `None` to keep them all. `run` carries
    /// the current quiet run across calls.
    pub fn keep(
        &self,
        run: &mut u64,
        first: u64,
        samples: &[f32],
        channels: usize,
    ) -> Option<usize> {
        for (index, frame) in samples.chunks_exact(channels).enumerate() {
            if first + (index as u64) < self.after_frame {
                continue;
            }
            if frame.iter().any(|sample| sample.abs() > self.threshold) {
                *run = 0;
            } else {
                *run += 1;
                if *run >= self.quiet_frames {
                    return Some(index + 1);
                }
            }
        }
        None
    }
}

/// The file format and sample format of an audio file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// WAV, 32-bit float: no clipping, the synth's exact output.
    #[default]
    Float32,
    /// WAV, 24-bit integer (clipped to ±1).
    Int24,
    /// WAV, 16-bit integer (clipped to ±1).
    Int16,
    /// FLAC, 16-bit (clipped to ±1; lossless from there).
    Flac16,
    /// FLAC, 24-bit (clipped to ±1; lossless from there).
    Flac24,
}

/// The former name of [`AudioFormat`], from when only WAV was written.
pub type WavFormat = AudioFormat;

impl AudioFormat {
    /// Bytes of one sample in a WAV file (`None` for FLAC, whose size depends on the audio).
    pub fn wav_bytes_per_sample(self) -> Option<u64> {
        match self {
            AudioFormat::Float32 => Some(4),
            AudioFormat::Int24 => Some(3),
            AudioFormat::Int16 => Some(2),
            AudioFormat::Flac16 | AudioFormat::Flac24 => None,
        }
    }

    /// The file name extension: `wav` or `flac`.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Flac16 | AudioFormat::Flac24 => "flac",
            _ => "wav",
        }
    }

    /// Whether samples are clipped to ±1 (every integer format).
    pub fn clips(self) -> bool {
        self != AudioFormat::Float32
    }

    /// Every format, by its name.
    pub const ALL: [AudioFormat; 5] = [
        AudioFormat::Float32,
        AudioFormat::Int24,
        AudioFormat::Int16,
        AudioFormat::Flac16,
        AudioFormat::Flac24,
    ];

    /// The user-facing name: `f32`, `wav24`, `wav16`, `flac16`, `flac24`.
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::Float32 => "f32",
            AudioFormat::Int24 => "wav24",
            AudioFormat::Int16 => "wav16",
            AudioFormat::Flac16 => "flac16",
            AudioFormat::Flac24 => "flac24",
        }
    }
}

impl std::fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AudioFormat {
    type Err = crate::Error;

    /// A name of [`AudioFormat::name`] (also `float32`, `int24`, `int16`).
    fn from_str(name: &str) -> Result<AudioFormat, crate::Error> {
        let alias = match name {
            "float32" => "f32",
            "int24" => "wav24",
            "int16" => "wav16",
            other => other,
        };
        AudioFormat::ALL
            .into_iter()
            .find(|format| format.name() == alias)
            .ok_or_else(|| crate::Error::UnknownFormat {
                name: name.to_string(),
            })
    }
}

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
    Error::Wav {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::{AudioWriter, ENVELOPE_FRAMES, Sink, StopOnSilence};

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

    #[test]
    fn silence_counts_only_after_the_end_and_keeps_the_quiet_run() {
        let rule = StopOnSilence {
            after_frame: 4,
            quiet_frames: 3,
            threshold: 0.001,
        };
        // Two channels; frames 0..4 are quiet but before `after_frame`; frame 5 is loud.
        let samples = [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0,
        ];
        let mut run = 0;
        assert_eq!(rule.keep(&mut run, 0, &samples, 2), None);
        assert_eq!(run, 1);
        // The run continues into the next chunk: two more quiet frames end it.
        assert_eq!(rule.keep(&mut run, 7, &[0.0; 8], 2), Some(2));
    }
}
