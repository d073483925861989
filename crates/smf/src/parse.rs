//! Reading the chunk structure and the events of each track.
//!
//! The chunk layer is checked here (rather than left to midly) so that every structural fault
//! gets an error with the byte offset where it is; events inside a track are read by midly in
//! strict mode, which rejects corrupt data instead of silently dropping the rest of a track.

use crate::error::Error;
use crate::time::{Division, SmpteFps};

/// The header chunk's fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub(crate) format: u16,
    pub(crate) tracks: u16,
    pub(crate) division: Division,
}

/// A track chunk's data and where it starts in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TrackChunk<'a> {
    pub(crate) offset: usize,
    pub(crate) data: &'a [u8],
}

/// Splits `bytes` into the header and the `MTrk` chunks, checking every length.
pub(crate) fn chunks(bytes: &[u8]) -> Result<(Header, Vec<TrackChunk<'_>>), Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    if !bytes.starts_with(b"MThd") {
        return Err(Error::BadMagic {
            found: bytes[..bytes.len().min(4)].to_vec(),
        });
    }
    let (id, header_data, mut rest_offset) = chunk_at(bytes, 0)?;
    debug_assert_eq!(id, *b"MThd");
    if header_data.len() < 6 {
        return Err(Error::ShortHeader {
            length: header_data.len() as u32,
        });
    }
    let word = |i: usize| u16::from_be_bytes([header_data[i], header_data[i + 1]]);
    let (format, tracks, raw_division) = (word(0), word(2), word(4));
    let division = division(raw_division)?;

    let mut track_chunks = Vec::with_capacity(usize::from(tracks));
    // Alien chunks are skipped, as the SMF specification asks; bytes after the declared number
    // of tracks are ignored (many files carry trailing padding).
    while track_chunks.len() < usize::from(tracks) && rest_offset < bytes.len() {
        let (id, data, next) = chunk_at(bytes, rest_offset)?;
        if id == *b"MTrk" {
            track_chunks.push(TrackChunk {
                offset: rest_offset + 8,
                data,
            });
        }
        rest_offset = next;
    }
    if track_chunks.len() < usize::from(tracks) {
        return Err(Error::MissingTracks {
            declared: tracks,
            found: track_chunks.len(),
        });
    }
    Ok((
        Header {
            format,
            tracks,
            division,
        },
        track_chunks,
    ))
}

/// The chunk starting at `offset`: its id, its data and the offset after it.
fn chunk_at(bytes: &[u8], offset: usize) -> Result<([u8; 4], &[u8], usize), Error> {
    let available = bytes.len() - offset;
    if available < 8 {
        return Err(Error::TruncatedChunk {
            offset,
            declared: 0,
            available: available.saturating_sub(8),
        });
    }
    let id: [u8; 4] = bytes[offset..offset + 4].try_into().expect("4 bytes");
    let length = u32::from_be_bytes(bytes[offset + 4..offset + 8].try_into().expect("4 bytes"));
    let start = offset + 8;
    let end = start as u64 + u64::from(length);
    if end > bytes.len() as u64 {
        return Err(Error::TruncatedChunk {
            offset,
            declared: u64::from(length),
            available: bytes.len() - start,
        });
    }
    Ok((id, &bytes[start..end as usize], end as usize))
}

fn division(raw: u16) -> Result<Division, Error> {
    if raw & 0x8000 == 0 {
        if raw == 0 {
            return Err(Error::ZeroDivision);
        }
        return Ok(Division::TicksPerBeat(raw));
    }
    let [fps_byte, ticks_per_frame] = raw.to_be_bytes();
    let fps = match (fps_byte as i8).unsigned_abs() {
        24 => SmpteFps::Fps24,
        25 => SmpteFps::Fps25,
        29 => SmpteFps::Fps29,
        30 => SmpteFps::Fps30,
        _ => {
            return Err(Error::Event {
                track: 0,
                offset: 12,
                reason: format!("SMPTE division with unknown frame rate {}", fps_byte as i8),
            });
        }
    };
    if ticks_per_frame == 0 {
        return Err(Error::ZeroDivision);
    }
    Ok(Division::Timecode(fps, ticks_per_frame))
}

/// Calls `visit(delta, event)` for each event of a track, with the error's file offset on failure.
pub(crate) fn track_events<'a>(
    track: usize,
    chunk: TrackChunk<'a>,
    mut visit: impl FnMut(u32, midly::TrackEventKind<'a>),
) -> Result<(), Error> {
    let mut events = midly::EventIter::new(chunk.data);
    loop {
        let consumed = chunk.data.len() - events.unread().len();
        match events.next() {
            None => return Ok(()),
            Some(Ok(event)) => visit(event.delta.as_int(), event.kind),
            Some(Err(error)) => {
                return Err(Error::Event {
                    track,
                    offset: chunk.offset + consumed,
                    reason: describe(&error),
                });
            }
        }
    }
}

/// midly's error and its cause, as one phrase.
fn describe(error: &midly::Error) -> String {
    let mut reason = error.kind().message().to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}
