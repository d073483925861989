//! The five shared real MIDI files against mido 1.3.3's `MidiFile.length` (pycarla's
//! `get_smf_duration`) and their channel-event counts (tests/data/midi/SOURCES.md).

use std::path::PathBuf;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/midi")
        .join(name)
}

const ORACLE: [(&str, f64, usize); 5] = [
    ("test01.mid", 3.968750000, 56),
    ("test03.mid", 160.833482900, 2_817),
    ("test06.mid", 32.026041667, 240),
    ("test19.mid", 17.755208333, 3_434),
    ("k525short.mid", 16.365545803, 462),
];

#[test]
fn durations_match_mido_to_a_microsecond() {
    for (name, seconds, _) in ORACLE {
        let duration = smf::get_smf_duration(shared(name)).unwrap();
        assert!(
            (duration - seconds).abs() < 1e-6,
            "{name}: {duration} s, mido says {seconds} s"
        );
    }
}

#[test]
fn channel_event_counts_match() {
    for (name, _, channel_events) in ORACLE {
        let timeline = smf::Timeline::from_path(shared(name)).unwrap();
        let count = timeline
            .events()
            .iter()
            .filter(|e| e.message.is_channel())
            .count();
        assert_eq!(count, channel_events, "{name}");
    }
}

#[test]
fn events_are_in_time_order_and_within_the_duration() {
    for (name, _, _) in ORACLE {
        let timeline = smf::Timeline::from_path(shared(name)).unwrap();
        let events = timeline.events();
        assert!(events.windows(2).all(|w| w[0].time <= w[1].time), "{name}");
        assert!(
            events.iter().all(|e| e.time <= timeline.duration()),
            "{name}"
        );
        // Frames come from absolute time: monotonic too.
        let frames: Vec<u64> = timeline.frames(48_000).map(|(f, _)| f).collect();
        assert!(frames.windows(2).all(|w| w[0] <= w[1]), "{name}");
    }
}

/// Every part of the five real files, written as its own MIDI file, parses back to exactly its
/// events at their times, with the whole file's duration (mido's length, checked above).
#[test]
fn every_part_of_the_real_files_writes_back_exactly() {
    for (name, seconds, _) in ORACLE {
        let timeline = smf::Timeline::from_path(shared(name)).unwrap();
        for by in [
            smf::GroupBy::Channel,
            smf::GroupBy::Track,
            smf::GroupBy::Program,
        ] {
            for group in timeline.groups(by) {
                let again = smf::Timeline::parse(&group.timeline.to_smf()).unwrap();
                assert_eq!(
                    again.events(),
                    group.timeline.events(),
                    "{name} {:?}",
                    group.key
                );
                let duration = again.duration().seconds();
                assert!((duration - seconds).abs() < 1e-6, "{name}: {duration} s");
            }
        }
    }
}
