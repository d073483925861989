//! The MIDI `render` and `Renderer.render` take: a path, or MIDI already in memory — the bytes
//! of a Standard MIDI File, a `mido.MidiFile`, a `pretty_midi.PrettyMIDI` (both duck-typed:
//! neither is a dependency) or a list of `(seconds, bytes)` events.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use smf::{Event, ExactTime, Message, Timeline};

use crate::errors::{to_py, usage};

/// Where a render's MIDI comes from.
#[derive(Debug)]
pub enum MidiSource {
    /// A file (its stem is the seed rule's key, as the command's).
    Path(PathBuf),
    /// MIDI from memory, with the seed rule's key: the stem of the file a `mido.MidiFile` was
    /// read from (its `filename`), else empty.
    Timeline(Timeline, String),
}

impl MidiSource {
    /// Reads `object`: a path (`str` or path-like); `bytes`/`bytearray` holding a Standard
    /// MIDI File; an object with `tracks` and `save(file=…)` (mido's `MidiFile`) or with
    /// `instruments` and `write(file)` (pretty_midi's `PrettyMIDI`), saved into memory and read
    /// with its own ticks and tempo map; else an iterable of `(seconds, bytes)` events at
    /// absolute times.
    pub fn extract(object: &Bound<'_, PyAny>) -> PyResult<MidiSource> {
        let py = object.py();
        if let Ok(bytes) = object.cast::<PyBytes>() {
            return parse(py, bytes.as_bytes(), String::new());
        }
        if let Ok(bytes) = object.cast::<PyByteArray>() {
            return parse(py, &bytes.to_vec(), String::new());
        }
        if object.is_instance_of::<PyString>() || object.hasattr("__fspath__")? {
            return Ok(MidiSource::Path(object.extract()?));
        }
        let saved = if object.hasattr("tracks")? && object.hasattr("save")? {
            Some(save_into_memory(object, |file| {
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("file", file)?;
                object.call_method("save", (), Some(&kwargs)).map(drop)
            })?)
        } else if object.hasattr("instruments")? && object.hasattr("write")? {
            Some(save_into_memory(object, |file| {
                object.call_method1("write", (file,)).map(drop)
            })?)
        } else {
            None
        };
        let key = object
            .getattr("filename")
            .and_then(|name| name.extract::<PathBuf>())
            .ok()
            .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        match saved {
            Some(bytes) => parse(py, &bytes, key),
            None => Ok(MidiSource::Timeline(events(object)?, key)),
        }
    }
}

fn parse(py: Python<'_>, bytes: &[u8], key: String) -> PyResult<MidiSource> {
    Timeline::parse(bytes)
        .map(|timeline| MidiSource::Timeline(timeline, key))
        .map_err(|error| to_py(py, pycarla::Error::Midi(error)))
}

/// What `save` writes into an `io.BytesIO`.
fn save_into_memory(
    object: &Bound<'_, PyAny>,
    save: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<()>,
) -> PyResult<Vec<u8>> {
    let file = object.py().import("io")?.getattr("BytesIO")?.call0()?;
    save(&file)?;
    file.call_method0("getvalue")?.extract()
}

/// A timeline from `(seconds, bytes)` events at absolute times, in any order (simultaneous
/// events keep the order given); it lasts until the last event.
fn events(object: &Bound<'_, PyAny>) -> PyResult<Timeline> {
    let py = object.py();
    let not_midi = || {
        usage(
            py,
            "midi: expected a path, the bytes of a MIDI file, a mido.MidiFile, a pretty_midi.PrettyMIDI or a list of (seconds, bytes) events",
        )
    };
    let mut list = Vec::new();
    for item in object.try_iter().map_err(|_| not_midi())? {
        let (seconds, bytes): (f64, Vec<u8>) = item?.extract().map_err(|_| not_midi())?;
        if !(seconds >= 0.0 && seconds.is_finite()) {
            return Err(usage(
                py,
                format!("an event at {seconds} s: times must be ≥ 0"),
            ));
        }
        list.push(Event {
            tick: 0,
            time: ExactTime::from_secs_f64(seconds),
            track: 0,
            message: message(py, &bytes)?,
        });
    }
    Ok(Timeline::from_events(list, ExactTime::ZERO))
}

/// One MIDI message's bytes as the timeline holds it: a channel message, or a sysex.
pub fn message(py: Python<'_>, bytes: &[u8]) -> PyResult<Message> {
    match bytes {
        [status, data @ ..] if *status & 0x80 != 0 && *status < 0xF0 && data.len() <= 2 => {
            let mut wire = [*status, 0, 0];
            wire[1..1 + data.len()].copy_from_slice(data);
            Ok(Message::Channel {
                bytes: wire,
                len: 1 + data.len() as u8,
            })
        }
        [0xF0, ..] => Ok(Message::SysEx(bytes.to_vec().into_boxed_slice())),
        _ => Err(to_py(
            py,
            pycarla::Error::Usage(format!("not a MIDI message to send: {bytes:02X?}")),
        )),
    }
}
