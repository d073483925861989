//! Splitting a timeline into the parts that play notes — by channel, by track or by General
//! MIDI program — for rendering each part on its own (stems).
//!
//! A part must sound alone as it sounds in the whole: each one carries, besides its notes, the
//! channel's controllers, pitch bends, pressure and program changes of every channel it plays
//! on (a CC on channel 3 shapes every part that plays on channel 3), and every
//! system-exclusive message (they address the whole synth). Note-offs and polyphonic pressure
//! follow the note-on they belong to, so a note never hangs in one part and stops in another.

use std::collections::{BTreeMap, BTreeSet};

use crate::message::Message;
use crate::timeline::{Event, Timeline};

/// The General MIDI percussion channel (channel 10, 0-based 9).
pub const DRUM_CHANNEL: u8 = 9;

/// How to split a timeline into parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One part per MIDI channel.
    Channel,
    /// One part per track of the file.
    Track,
    /// One part per General MIDI program (the program on the note's channel when it starts),
    /// and the percussion channel on its own.
    Program,
}

/// Which part an event belongs to. Orders as the parts are listed: by number, drums last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    /// A MIDI channel, 0-based.
    Channel(u8),
    /// A track, 0-based in file order.
    Track(usize),
    /// A General MIDI program, 0-based (0 = Acoustic Grand Piano).
    Program(u8),
    /// The percussion channel, under [`GroupBy::Program`].
    Drums,
}

impl GroupKey {
    /// A file-name-safe label: `ch01` (channels count from 1, as musicians do), `track03`,
    /// `program032` (0-based, as the MIDI data has it), `drums`.
    pub fn label(&self) -> String {
        match self {
            GroupKey::Channel(channel) => format!("ch{:02}", channel + 1),
            GroupKey::Track(track) => format!("track{track:02}"),
            GroupKey::Program(program) => format!("program{program:03}"),
            GroupKey::Drums => "drums".to_string(),
        }
    }
}

/// One part of a timeline: its events as a timeline of their own (same duration), and what it
/// plays.
#[derive(Clone, Debug)]
pub struct Group {
    /// Which part.
    pub key: GroupKey,
    /// The part's events.
    pub timeline: Timeline,
    /// How many notes it starts (note-ons with a velocity above zero).
    pub notes: usize,
    /// The channels its notes play on, 0-based.
    pub channels: BTreeSet<u8>,
    /// The programs its notes play with (the channel's program at each note-on; 0 before any
    /// program change), percussion excluded.
    pub programs: BTreeSet<u8>,
    /// The tracks its notes come from, 0-based.
    pub tracks: BTreeSet<usize>,
}

impl Timeline {
    /// The parts of this timeline that play notes, ordered by [`GroupKey`]. Parts without a
    /// note are left out: a track of controllers only is not a stem.
    pub fn groups(&self, by: GroupBy) -> Vec<Group> {
        let owners = note_owners(self.events(), by);
        // Which channels each group plays on: their shared events go with it.
        let mut plays_on: BTreeMap<GroupKey, BTreeSet<u8>> = BTreeMap::new();
        for (event, owner) in self.events().iter().zip(&owners) {
            if let (Some(key), Some((channel, _, _))) = (owner, event.message.note_on()) {
                plays_on.entry(*key).or_default().insert(channel);
            }
        }
        let programs = programs_at_events(self.events());
        plays_on
            .into_iter()
            .map(|(key, channels)| {
                let timeline = self.subset(|index, event| match owners[index] {
                    Some(owner) => owner == key,
                    None => match channel_of(&event.message) {
                        Some(channel) => channels.contains(&channel),
                        None => true,
                    },
                });
                let mut group = Group {
                    key,
                    notes: 0,
                    channels,
                    programs: BTreeSet::new(),
                    tracks: BTreeSet::new(),
                    timeline: Timeline::from_events(Vec::new(), self.duration()),
                };
                for (index, event) in self.events().iter().enumerate() {
                    if owners[index] == Some(key)
                        && let Some((channel, _, _)) = event.message.note_on()
                    {
                        group.notes += 1;
                        group.tracks.insert(event.track);
                        if channel != DRUM_CHANNEL {
                            group.programs.insert(programs[index]);
                        }
                    }
                }
                group.timeline = timeline;
                group
            })
            .collect()
    }
}

/// The channel of a channel message.
fn channel_of(message: &Message) -> Option<u8> {
    match message {
        Message::Channel { bytes, .. } => Some(bytes[0] & 0x0F),
        Message::SysEx(_) => None,
    }
}

/// For each event, the program its channel plays at that moment (0 before any change; 0 for
/// system-exclusive messages).
fn programs_at_events(events: &[Event]) -> Vec<u8> {
    let mut current = [0u8; 16];
    events
        .iter()
        .map(|event| {
            if let [status, program] = event.message.bytes()
                && status & 0xF0 == 0xC0
            {
                current[usize::from(status & 0x0F)] = *program;
            }
            channel_of(&event.message).map_or(0, |channel| current[usize::from(channel)])
        })
        .collect()
}

/// For each event, the group that owns it alone: note-ons, and the note-offs and polyphonic
/// pressure of the notes they start. `None` for events shared by every group that plays on
/// their channel (controllers, program changes, pitch bend, channel pressure) and for
/// system-exclusive messages (shared by all).
fn note_owners(events: &[Event], by: GroupBy) -> Vec<Option<GroupKey>> {
    let mut program = [0u8; 16];
    // The owners of the notes sounding on each (channel, key), oldest first: a key struck twice
    // before its note-off releases the first strike first.
    let mut sounding: BTreeMap<(u8, u8), Vec<GroupKey>> = BTreeMap::new();
    events
        .iter()
        .map(|event| {
            let bytes = event.message.bytes();
            let status = *bytes.first()?;
            if !event.message.is_channel() {
                return None;
            }
            let channel = status & 0x0F;
            match (status & 0xF0, bytes) {
                (0xC0, [_, new]) => {
                    program[usize::from(channel)] = *new;
                    None
                }
                (0x90, [_, key, velocity]) if *velocity > 0 => {
                    let owner = match by {
                        GroupBy::Channel => GroupKey::Channel(channel),
                        GroupBy::Track => GroupKey::Track(event.track),
                        GroupBy::Program if channel == DRUM_CHANNEL => GroupKey::Drums,
                        GroupBy::Program => GroupKey::Program(program[usize::from(channel)]),
                    };
                    sounding.entry((channel, *key)).or_default().push(owner);
                    Some(owner)
                }
                (0x80 | 0x90, [_, key, _]) => {
                    let strikes = sounding.get_mut(&(channel, *key))?;
                    (!strikes.is_empty()).then(|| strikes.remove(0))
                }
                (0xA0, [_, key, _]) => sounding.get(&(channel, *key))?.last().copied(),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::file;
    use proptest::prelude::*;

    /// Piano on channel 1 switching to program 40 halfway, a bass on channel 2 (program 33,
    /// with a controller), drums on channel 10, one track each, and a GM reset up front.
    fn band() -> Timeline {
        let name = |text: &str| {
            let mut bytes = vec![0xFF, 0x03, text.len() as u8];
            bytes.extend(text.as_bytes());
            bytes
        };
        let piano = vec![
            (0, name("Piano")),
            (0, vec![0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7]),
            (0, vec![0x90, 60, 100]),
            (0, vec![0x90, 64, 100]),
            (480, vec![0x80, 60, 0]),
            (0, vec![0x90, 64, 0]),
            (0, vec![0xC0, 40]),
            (0, vec![0x90, 67, 90]),
            (480, vec![0x80, 67, 0]),
        ];
        let bass = vec![
            (0, name("Bass")),
            (0, vec![0xC1, 33]),
            (0, vec![0xB1, 7, 90]),
            (0, vec![0x91, 36, 100]),
            (960, vec![0x81, 36, 0]),
        ];
        let drums = vec![(0, vec![0x99, 36, 120]), (240, vec![0x89, 36, 0])];
        Timeline::parse(&file(1, 480, &[piano, bass, drums])).unwrap()
    }

    fn keys(groups: &[Group]) -> Vec<GroupKey> {
        groups.iter().map(|group| group.key).collect()
    }

    fn bytes(group: &Group) -> Vec<Vec<u8>> {
        group
            .timeline
            .events()
            .iter()
            .map(|event| event.message.bytes().to_vec())
            .collect()
    }

    #[test]
    fn by_channel_each_part_has_its_channel_and_the_shared_sysex() {
        let groups = band().groups(GroupBy::Channel);
        use GroupKey::Channel;
        assert_eq!(keys(&groups), [Channel(0), Channel(1), Channel(9)]);
        assert_eq!(groups[0].notes, 3);
        assert_eq!(groups[0].programs, [0, 40].into());
        assert_eq!(
            bytes(&groups[1]),
            [
                vec![0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7],
                vec![0xC1, 33],
                vec![0xB1, 7, 90],
                vec![0x91, 36, 100],
                vec![0x81, 36, 0],
            ]
        );
        assert!(
            groups
                .iter()
                .all(|g| g.timeline.duration() == band().duration())
        );
        assert_eq!(groups[2].key.label(), "ch10");
    }

    #[test]
    fn by_program_a_program_change_splits_a_channel_and_drums_stand_alone() {
        let groups = band().groups(GroupBy::Program);
        use GroupKey::{Drums, Program};
        assert_eq!(keys(&groups), [Program(0), Program(33), Program(40), Drums]);
        assert_eq!(groups[0].notes, 2);
        // Program 0's part: its notes and their note-offs, and channel 1's program change.
        assert_eq!(
            bytes(&groups[0])[1..],
            [
                vec![0x90, 60, 100],
                vec![0x90, 64, 100],
                vec![0x80, 60, 0],
                vec![0x90, 64, 0],
                vec![0xC0, 40],
            ]
        );
        assert_eq!(
            bytes(&groups[2])[1..],
            [vec![0xC0, 40], vec![0x90, 67, 90], vec![0x80, 67, 0]]
        );
        assert_eq!(groups[3].label_and_programs(), ("drums".into(), vec![]));
    }

    #[test]
    fn by_track_parts_know_their_track_names() {
        let timeline = band();
        let groups = timeline.groups(GroupBy::Track);
        use GroupKey::Track;
        assert_eq!(keys(&groups), [Track(0), Track(1), Track(2)]);
        assert_eq!(timeline.track_name(1), Some("Bass"));
        assert_eq!(timeline.track_name(2), None);
        assert_eq!(groups[1].tracks, [1].into());
    }

    impl Group {
        fn label_and_programs(&self) -> (String, Vec<u8>) {
            (self.key.label(), self.programs.iter().copied().collect())
        }
    }

    fn event() -> impl Strategy<Value = (u32, Vec<u8>)> {
        let channel = 0u8..16;
        let key = 60u8..64;
        (
            0u32..100,
            prop_oneof![
                (channel.clone(), key.clone(), 0u8..128).prop_map(|(c, k, v)| vec![0x90 | c, k, v]),
                (channel.clone(), key).prop_map(|(c, k)| vec![0x80 | c, k, 0]),
                (channel.clone(), 0u8..128).prop_map(|(c, p)| vec![0xC0 | c, p]),
                (channel, 0u8..128).prop_map(|(c, v)| vec![0xB0 | c, 7, v]),
            ],
        )
    }

    proptest! {
        /// Every note-on lands in exactly one part; every other event of the file is in at
        /// least one part unless it belongs to a channel no part plays on.
        #[test]
        fn every_note_is_in_exactly_one_part(
            tracks in prop::collection::vec(prop::collection::vec(event(), 0..40), 1..4),
        ) {
            let timeline = Timeline::parse(&file(1, 96, &tracks)).unwrap();
            let notes = timeline.events().iter().filter(|e| e.message.note_on().is_some()).count();
            for by in [GroupBy::Channel, GroupBy::Track, GroupBy::Program] {
                let groups = timeline.groups(by);
                let in_parts: usize = groups
                    .iter()
                    .map(|g| g.timeline.events().iter().filter(|e| e.message.note_on().is_some()).count())
                    .sum();
                prop_assert_eq!(in_parts, notes);
                prop_assert_eq!(groups.iter().map(|g| g.notes).sum::<usize>(), notes);
                for group in &groups {
                    prop_assert!(group.notes > 0);
                    prop_assert_eq!(group.timeline.duration(), timeline.duration());
                }
            }
        }
    }
}
