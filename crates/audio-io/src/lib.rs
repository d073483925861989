//! Audio files, with no JACK and no real-time code: what both engines write their audio
//! through, and the passes that need a whole file.
//!
//! - [`AudioWriter`] takes interleaved `f32` frames and sends them to a [`Sink`]: planar
//!   memory, or a WAV or FLAC file streamed as it arrives (memory stays flat however long the
//!   render). Integer formats are quantised with clipping; the peak, the clipped samples and an
//!   envelope are counted on the way and come back in the [`Recording`]. A file is valid after
//!   each [`AudioWriter::flush`] and complete after [`AudioWriter::finish`]: a process killed
//!   in between leaves a readable file holding what was flushed.
//! - [`AudioFormat`] names the formats (`f32`, `wav24`, `wav16`, `flac16`, `flac24`).
//! - [`StopOnSilence`] is the rule of `--tail auto` that ends a recording once it stays quiet.
//! - [`reader`] reads WAVs back, [`mixdown`] sums parts into their mix, [`loudness`] measures
//!   EBU R128 loudness for normalisation and [`reencode`] writes the engine's float output in
//!   the format asked for.
//!
//! rt-core's recorder (on JACK) and the offline engine both write through [`AudioWriter`];
//! the renderer runs the whole-file passes after a render.
//!
//! ```
//! use audio_io::{AudioFormat, AudioWriter, Sink};
//! # fn main() -> Result<(), audio_io::Error> {
//! # let dir = std::env::temp_dir().join(format!("audio-io-doctest-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).expect("a scratch directory");
//! let path = dir.join("tone.flac");
//! let format: AudioFormat = "flac16".parse()?;
//! let sink = Sink::File { path: path.clone(), format };
//! let mut writer = AudioWriter::open(&sink, 2, 48_000)?;
//! writer.write(&[0.5, -0.5, 1.5, 0.0])?; // two stereo frames; 1.5 is clipped
//! let recording = writer.finish(2, 48_000)?;
//! assert_eq!((recording.peak, recording.clipped), (1.5, 1));
//! assert_eq!(recording.path.as_deref(), Some(path.as_path()));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```

mod error;
mod flac;
mod format;
mod libflac;
pub mod loudness;
pub mod mixdown;
pub mod reader;
pub mod reencode;
mod silence;
mod sink;
#[cfg(test)]
mod testing;
mod wav;

pub use error::{Error, Result};
pub use format::{AudioFormat, WavFormat};
pub use reader::{PlanarAudio, read_planar};
pub use silence::StopOnSilence;
pub use sink::{AudioWriter, ENVELOPE_FRAMES, Recording, Sink};
