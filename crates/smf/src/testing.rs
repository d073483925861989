//! Builders of small, valid MIDI files, for tests and examples in this and other crates.

/// A variable-length quantity as SMF writes it.
pub fn vlq(value: u32) -> Vec<u8> {
    crate::write::vlq(value)
}

/// The bytes of an `MTrk` chunk holding `events` (`(delta ticks, raw event bytes)`), with an
/// End of Track meta event appended.
pub fn track_chunk(events: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (delta, bytes) in events {
        data.extend(vlq(*delta));
        data.extend_from_slice(bytes);
    }
    data.extend([0x00, 0xFF, 0x2F, 0x00]);
    let mut chunk = b"MTrk".to_vec();
    chunk.extend((data.len() as u32).to_be_bytes());
    chunk.extend(data);
    chunk
}

/// A whole file of the given format and division with one chunk per track.
pub fn file(format: u16, division: u16, tracks: &[Vec<(u32, Vec<u8>)>]) -> Vec<u8> {
    let mut bytes = b"MThd\x00\x00\x00\x06".to_vec();
    bytes.extend(format.to_be_bytes());
    bytes.extend((tracks.len() as u16).to_be_bytes());
    bytes.extend(division.to_be_bytes());
    for track in tracks {
        bytes.extend(track_chunk(track));
    }
    bytes
}

/// A format-0 file with one track of `events` at `ticks_per_beat`.
pub fn single_track_file(ticks_per_beat: u16, events: &[(u32, Vec<u8>)]) -> Vec<u8> {
    file(0, ticks_per_beat, &[events.to_vec()])
}
