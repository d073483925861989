//! The onsets CSV: one row per note-on, at the frame where it sounds.

use std::io::Write;
use std::path::Path;

use smf::Timeline;

use crate::error::{Error, Result};

/// Writes `frame,seconds,channel,note,velocity` for every note-on of `timeline` at
/// `sample_rate`. `frame` is the recorded frame the note starts on (round(t · sr), half to
/// even); `seconds` is the event's exact time. With `latency` (the offline engine), a last
/// column `latency_compensated` gives the frames of plugin latency cut from the start of the
/// audio so that the frames hold.
pub fn write(
    path: &Path,
    timeline: &Timeline,
    sample_rate: u32,
    latency: Option<u64>,
) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io_error)?);
    let (header, extra) = match latency {
        Some(frames) => (",latency_compensated", format!(",{frames}")),
        None => ("", String::new()),
    };
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
