use std::path::Path;

use midly::{MetaMessage, MidiMessage, TrackEventKind};

use crate::error::Error;
use crate::message::Message;
use crate::parse;
use crate::time::{Division, ExactTime, TempoMap};

/// The division of a timeline built from events ([`Timeline::from_events`]): ticks per beat at
/// the default 120 bpm.
pub const FROM_EVENTS_TICKS_PER_BEAT: u16 = 960;

/// The SMF format of a parsed file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One track.
    SingleTrack,
    /// Simultaneous tracks sharing one tempo map.
    Parallel,
}

/// One channel or system-exclusive event at its absolute time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Absolute time in ticks from the start of the file.
    pub tick: u64,
    /// Absolute time, exact.
    pub time: ExactTime,
    /// The track the event comes from (0-based, file order).
    pub track: usize,
    /// What goes on the wire.
    pub message: Message,
}

/// The immutable, time-ordered list of a MIDI file's wire events, and its duration.
///
/// Simultaneous events keep a stable order — track order, then order within the track — which
/// is what mido's `merge_tracks` does.
#[derive(Clone, Debug)]
pub struct Timeline {
    format: Format,
    division: Division,
    events: Vec<Event>,
    duration: ExactTime,
    /// Each track's first name (its `TrackName` meta event), if it has one.
    track_names: Vec<Option<String>>,
    /// The tempo changes `(tick, µs per beat)` of all tracks in merged order: written back by
    /// [`Timeline::to_smf`].
    tempo_changes: Vec<(u64, u32)>,
    /// The tick of the file's last message, meta messages included (its duration in ticks).
    end_tick: u64,
}

impl Timeline {
    /// Reads and parses the file at `path`; errors name the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let io_error = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io_error)?.len();
        if size > crate::MAX_FILE_SIZE {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                size,
                max: crate::MAX_FILE_SIZE,
            });
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        Timeline::parse(&bytes).map_err(|source| Error::InFile {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    /// Parses a Standard MIDI File held in memory.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let (header, chunks) = parse::chunks(bytes)?;
        let format = match header.format {
            0 if chunks.len() == 1 => Format::SingleTrack,
            0 => {
                return Err(Error::Format0Tracks {
                    found: chunks.len(),
                });
            }
            1 => Format::Parallel,
            format => return Err(Error::UnsupportedFormat { format }),
        };
        debug_assert_eq!(chunks.len(), usize::from(header.tracks));

        // One pass over every track: wire events and tempo changes with absolute ticks, and the
        // last tick of all (meta events included, as mido's length counts them).
        let mut events: Vec<(u64, usize, Message)> = Vec::new();
        let mut tempo_changes: Vec<(u64, usize, u32)> = Vec::new();
        let mut last_tick = 0u64;
        let mut track_names = vec![None; chunks.len()];
        for (track, chunk) in chunks.into_iter().enumerate() {
            let mut tick = 0u64;
            let name = &mut track_names[track];
            parse::track_events(track, chunk, |delta, kind| {
                tick += u64::from(delta);
                match kind {
                    TrackEventKind::Midi { channel, message } => {
                        events.push((tick, track, channel_message(channel.as_int(), message)));
                    }
                    TrackEventKind::SysEx(data) => {
                        let mut bytes = Vec::with_capacity(data.len() + 1);
                        bytes.push(0xF0);
                        bytes.extend_from_slice(data);
                        events.push((tick, track, Message::SysEx(bytes.into())));
                    }
                    TrackEventKind::Escape(data) => {
                        events.push((tick, track, Message::SysEx(data.into())));
                    }
                    TrackEventKind::Meta(MetaMessage::Tempo(tempo)) => {
                        tempo_changes.push((tick, track, tempo.as_int()));
                    }
                    TrackEventKind::Meta(MetaMessage::TrackName(bytes)) if name.is_none() => {
                        *name = Some(String::from_utf8_lossy(bytes).trim().to_string());
                    }
                    TrackEventKind::Meta(_) => {}
                }
            })?;
            last_tick = last_tick.max(tick);
        }

        // Stable sorts by tick keep track order, then order within a track, for equal ticks.
        events.sort_by_key(|&(tick, _, _)| tick);
        tempo_changes.sort_by_key(|&(tick, _, _)| tick);
        let changes: Vec<(u64, u32)> = tempo_changes.iter().map(|&(t, _, us)| (t, us)).collect();
        let tempo = TempoMap::new(header.division, &changes);

        let events = events
            .into_iter()
            .map(|(tick, track, message)| Event {
                tick,
                time: tempo.time(tick),
                track,
                message,
            })
            .collect();
        Ok(Timeline {
            format,
            division: header.division,
            events,
            duration: tempo.time(last_tick),
            track_names,
            tempo_changes: changes,
            end_tick: last_tick,
        })
    }

    /// A timeline from events already at their times (sorted stably by time here), e.g. one note.
    ///
    /// Their ticks are recomputed from their times on a grid of [`FROM_EVENTS_TICKS_PER_BEAT`]
    /// at the default 120 bpm (1 920 ticks a second, rounded half to even), so that
    /// [`Timeline::to_smf`] can write them; the times themselves stay exact.
    pub fn from_events(mut events: Vec<Event>, duration: ExactTime) -> Self {
        events.sort_by_key(|event| event.time);
        let duration = events
            .last()
            .map_or(duration, |last| last.time.max(duration));
        let ticks_per_second = 2 * u32::from(FROM_EVENTS_TICKS_PER_BEAT);
        for event in &mut events {
            event.tick = event.time.frame(ticks_per_second);
        }
        Timeline {
            format: Format::SingleTrack,
            division: Division::TicksPerBeat(FROM_EVENTS_TICKS_PER_BEAT),
            events,
            duration,
            track_names: Vec::new(),
            tempo_changes: Vec::new(),
            end_tick: duration.frame(ticks_per_second),
        }
    }

    /// A timeline of some of this one's events (kept in order), with the same duration, format,
    /// division and track names: a stem's part of the file.
    pub fn subset(&self, mut keep: impl FnMut(usize, &Event) -> bool) -> Timeline {
        Timeline {
            format: self.format,
            division: self.division,
            events: self
                .events
                .iter()
                .enumerate()
                .filter(|(index, event)| keep(*index, event))
                .map(|(_, event)| event.clone())
                .collect(),
            duration: self.duration,
            track_names: self.track_names.clone(),
            tempo_changes: self.tempo_changes.clone(),
            end_tick: self.end_tick,
        }
    }

    /// The name of track `track` (0-based), from its first `TrackName` meta event.
    pub fn track_name(&self, track: usize) -> Option<&str> {
        self.track_names.get(track)?.as_deref()
    }

    /// The wire events in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The time of the last message of the merged tracks, meta messages included: pycarla's
    /// `get_smf_duration`, mido's `MidiFile.length`.
    pub fn duration(&self) -> ExactTime {
        self.duration
    }

    /// The file's SMF format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file's time division.
    pub fn division(&self) -> Division {
        self.division
    }

    /// The tempo changes `(tick, µs per beat)` of all tracks, in merged order.
    pub fn tempo_changes(&self) -> &[(u64, u32)] {
        &self.tempo_changes
    }

    /// The number of tracks of the file (at least 1 for a timeline built from events).
    pub fn track_count(&self) -> usize {
        let used = self.events.iter().map(|e| e.track + 1).max().unwrap_or(1);
        self.track_names.len().max(used)
    }

    /// The tick of the last message, meta messages included: the duration in ticks.
    pub fn end_tick(&self) -> u64 {
        self.end_tick
    }

    /// Each event with its frame at `sample_rate`, `round(t · sample_rate)` half to even, each
    /// computed from the event's absolute time (never from summed deltas).
    pub fn frames(&self, sample_rate: u32) -> impl Iterator<Item = (u64, &Event)> + '_ {
        self.events
            .iter()
            .map(move |event| (event.time.frame(sample_rate), event))
    }
}

fn channel_message(channel: u8, message: MidiMessage) -> Message {
    match message {
        MidiMessage::NoteOff { key, vel } => {
            Message::channel(0x80 | channel, &[key.into(), vel.into()])
        }
        MidiMessage::NoteOn { key, vel } => {
            Message::channel(0x90 | channel, &[key.into(), vel.into()])
        }
        MidiMessage::Aftertouch { key, vel } => {
            Message::channel(0xA0 | channel, &[key.into(), vel.into()])
        }
        MidiMessage::Controller { controller, value } => {
            Message::channel(0xB0 | channel, &[controller.into(), value.into()])
        }
        MidiMessage::ProgramChange { program } => {
            Message::channel(0xC0 | channel, &[program.into()])
        }
        MidiMessage::ChannelAftertouch { vel } => Message::channel(0xD0 | channel, &[vel.into()]),
        MidiMessage::PitchBend { bend } => {
            let raw = bend.0.as_int();
            Message::channel(0xE0 | channel, &[(raw & 0x7F) as u8, (raw >> 7) as u8])
        }
    }
}
