//! Writing a timeline back as a Standard MIDI File: a stem's own MIDI, beside its audio.
//!
//! The file keeps the source's ticks, division, tempo map, track layout and track names, so
//! every event lands at exactly the time it had in the source and the duration (mido's
//! `MidiFile.length`) is the source's too: parsing what [`Timeline::to_smf`] writes gives back
//! the same events, times, tracks and duration. Other meta events (text, lyrics, markers, time
//! signatures) are not kept: a timeline does not hold them.

use crate::message::Message;
use crate::time::{Division, SmpteFps};
use crate::timeline::{Format, Timeline};

/// A variable-length quantity as SMF writes it.
pub(crate) fn vlq(mut value: u32) -> Vec<u8> {
    let mut out = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        out.insert(0, 0x80 | (value & 0x7F) as u8);
        value >>= 7;
    }
    out
}

/// The End of Track meta event's bytes (after its delta).
const END_OF_TRACK: [u8; 3] = [0xFF, 0x2F, 0x00];

impl Timeline {
    /// This timeline as the bytes of a Standard MIDI File (format 0 for a single track, else 1).
    ///
    /// Tempo changes go to the first track, each track keeps its name, and the first track ends
    /// at the source's last tick so the length is unchanged. Deltas beyond an SMF's 28 bits
    /// (over 268 million ticks) are split with empty-text events rather than overflowing.
    ///
    /// ```
    /// # fn main() -> Result<(), smf::Error> {
    /// let bytes = smf::testing::single_track_file(480, &[
    ///     (480, vec![0x90, 60, 100]),
    ///     (480, vec![0x80, 60, 0]),
    /// ]);
    /// let timeline = smf::Timeline::parse(&bytes)?;
    /// let again = smf::Timeline::parse(&timeline.to_smf())?;
    /// assert_eq!(again.events(), timeline.events());
    /// assert_eq!(again.duration(), timeline.duration());
    /// # Ok(()) }
    /// ```
    pub fn to_smf(&self) -> Vec<u8> {
        let tracks = self.track_count();
        // (tick, order within the tick, bytes) per track: tempo first, then the events in order.
        let mut per_track: Vec<Vec<(u64, Vec<u8>)>> = vec![Vec::new(); tracks];
        for (track, events) in per_track.iter_mut().enumerate() {
            if let Some(name) = self.track_name(track) {
                events.push((0, meta(0x03, name.as_bytes())));
            }
        }
        for &(tick, tempo) in self.tempo_changes() {
            per_track[0].push((tick, meta(0x51, &tempo.to_be_bytes()[1..])));
        }
        for event in self.events() {
            per_track[event.track].push((event.tick, wire_bytes(&event.message)));
        }
        // Tempo changes are merged into track 0 by tick; a stable sort keeps same-tick order.
        per_track[0].sort_by_key(|(tick, _)| *tick);

        let format: u16 = match (self.format(), tracks) {
            (Format::SingleTrack, 1) => 0,
            _ => 1,
        };
        let mut bytes = b"MThd\x00\x00\x00\x06".to_vec();
        bytes.extend(format.to_be_bytes());
        bytes.extend((tracks as u16).to_be_bytes());
        bytes.extend(division_word(self.division()).to_be_bytes());
        for (track, events) in per_track.iter().enumerate() {
            let end = if track == 0 { self.end_tick() } else { 0 };
            bytes.extend(track_chunk(events, end));
        }
        bytes
    }
}

/// A meta event's bytes: `FF type length data`.
fn meta(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xFF, kind];
    bytes.extend(vlq(data.len() as u32));
    bytes.extend_from_slice(data);
    bytes
}

/// A wire message as an SMF event: channel messages as they are, a system-exclusive packet as
/// `F0 length data`, anything else as an `F7` escape of its raw bytes.
fn wire_bytes(message: &Message) -> Vec<u8> {
    match message {
        Message::Channel { .. } => message.bytes().to_vec(),
        Message::SysEx(raw) => {
            let (status, data) = match raw.split_first() {
                Some((0xF0, data)) => (0xF0, data),
                _ => (0xF7, &raw[..]),
            };
            let mut bytes = vec![status];
            bytes.extend(vlq(data.len() as u32));
            bytes.extend_from_slice(data);
            bytes
        }
    }
}

/// The header's division word.
fn division_word(division: Division) -> u16 {
    match division {
        Division::TicksPerBeat(ticks) => ticks,
        Division::Timecode(fps, ticks_per_frame) => {
            let fps: i8 = match fps {
                SmpteFps::Fps24 => -24,
                SmpteFps::Fps25 => -25,
                SmpteFps::Fps29 => -29,
                SmpteFps::Fps30 => -30,
            };
            u16::from_be_bytes([fps as u8, ticks_per_frame])
        }
    }
}

/// The largest delta an SMF variable-length quantity holds.
const MAX_DELTA: u64 = 0x0FFF_FFFF;

/// An `MTrk` chunk of `events` at absolute ticks (sorted), ending at `end` or at its last event.
fn track_chunk(events: &[(u64, Vec<u8>)], end: u64) -> Vec<u8> {
    let mut data = Vec::new();
    let mut now = 0u64;
    let mut advance = |data: &mut Vec<u8>, to: u64| {
        while to - now > MAX_DELTA {
            data.extend(vlq(MAX_DELTA as u32));
            data.extend(meta(0x01, b""));
            now += MAX_DELTA;
        }
        data.extend(vlq((to - now) as u32));
        now = to;
    };
    for (tick, bytes) in events {
        advance(&mut data, *tick);
        data.extend_from_slice(bytes);
    }
    let last = events.last().map_or(0, |(tick, _)| *tick);
    advance(&mut data, end.max(last));
    data.extend(END_OF_TRACK);
    let mut chunk = b"MTrk".to_vec();
    chunk.extend((data.len() as u32).to_be_bytes());
    chunk.extend(data);
    chunk
}
