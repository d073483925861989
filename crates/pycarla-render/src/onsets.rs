//! The onsets CSV: one row per note-on, at the frame where it sounds.

use std::io::Write;
use std::path::Path;

use smf::Timeline;

use crate::error::{Error, Result};

/// What the onsets CSV says besides the notes: how the engine and the synth shaped them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnsetNotes {
    /// Offline engine: frames of plugin latency cut from the start of the audio so that the
    /// frames hold (column `latency_compensated`).
    pub latency: Option<u64>,
    /// JACK engine, a synth that starts notes at the start of the period they fall in
    /// (fluidsynth): the period; its notes sound up to this many frames before their frame
    /// (column `synth_early_by_up_to`).
    pub synth_quantum: Option<u32>,
}

/// Writes `frame,seconds,channel,note,velocity` for every note-on of `timeline` at
/// `sample_rate`. `frame` is the frame the note is played at (round(t · sr), half to even);
/// `seconds` is the event's exact time; `notes` add columns saying what moved the sound.
pub fn write(path: &Path, timeline: &Timeline, sample_rate: u32, notes: OnsetNotes) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io_error)?);
    let (mut header, mut extra) = (String::new(), String::new());
    if let Some(frames) = notes.latency {
        header.push_str(",latency_compensated");
        extra.push_str(&format!(",{frames}"));
    }
    if let Some(period) = notes.synth_quantum {
        header.push_str(",synth_early_by_up_to");
        extra.push_str(&format!(",{period}"));
    }
    writeln!(out, "frame,seconds,channel,note,velocity{header}").map_err(io_error)?;
    for (frame, event) in timeline.frames(sample_rate) {
        if let Some((channel, note, velocity)) = event.message.note_on() {
            writeln!(
                out,
                "{frame},{:.9},{channel},{note},{velocity}{extra}",
                event.time.seconds()
            )
            .map_err(io_error)?;
        }
    }
    out.flush().map_err(io_error)
}
