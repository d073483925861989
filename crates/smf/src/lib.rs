//! Standard MIDI Files as an exact, tempo-mapped timeline.
//!
//! This crate turns the bytes of a Standard MIDI File (SMF) into what a renderer needs: the
//! channel and system-exclusive events of all tracks, merged in a stable order, each with its
//! absolute time computed *exactly* from integer ticks and the tempo map, and the file's
//! duration as pycarla's `get_smf_duration` (mido's `MidiFile.length`) reports it.
//!
//! Meta events (tempo, text, end of track…) shape the timeline but never appear in it: they are
//! not MIDI and must never reach a synth's input.
//!
//! Times are [`ExactTime`]s — rationals of seconds — so that converting to a sample frame with
//! [`ExactTime::frame`] rounds `t · sample_rate` once, half to even, with no accumulated error.
//!
//! ```
//! # fn main() -> Result<(), smf::Error> {
//! // A format-0 file: 480 ticks a beat, one note C4 at tick 480, released at 960.
//! let bytes = smf::testing::single_track_file(480, &[
//!     (480, vec![0x90, 60, 100]),
//!     (480, vec![0x80, 60, 0]),
//! ]);
//! let timeline = smf::Timeline::parse(&bytes)?;
//! assert_eq!(timeline.events().len(), 2);
//! // At the default 120 bpm a beat lasts 0.5 s: the note starts at frame 24 000 at 48 kHz.
//! assert_eq!(timeline.events()[0].time.frame(48_000), 24_000);
//! assert_eq!(timeline.duration().seconds(), 1.0);
//! # Ok(()) }
//! ```

mod error;
pub mod general_midi;
mod groups;
mod message;
mod note;
mod parse;
pub mod testing;
mod time;
mod timeline;
mod write;

pub use error::Error;
pub use groups::{DRUM_CHANNEL, Group, GroupBy, GroupKey};
pub use message::Message;
pub use note::Note;
pub use time::{Division, ExactTime, SmpteFps};
pub use timeline::{Event, FROM_EVENTS_TICKS_PER_BEAT, Format, Timeline};

/// The largest file [`Timeline::from_path`] reads: 64 MiB, a hundred times the largest MIDI
/// files of public datasets; anything bigger is a mistake or an attack.
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// The duration of the MIDI file at `path` in seconds, as pycarla's `get_smf_duration` (mido's
/// `MidiFile.length`): the time of the last message of the merged tracks, meta messages included.
///
/// ```no_run
/// let seconds = smf::get_smf_duration("song.mid")?;
/// # Ok::<(), smf::Error>(())
/// ```
pub fn get_smf_duration(path: impl AsRef<std::path::Path>) -> Result<f64, Error> {
    Ok(Timeline::from_path(path)?.duration().seconds())
}
