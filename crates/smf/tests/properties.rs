//! Property tests: arbitrary bytes never panic; random valid files keep their events, in order.

use proptest::prelude::*;
use smf::testing::file;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = smf::Timeline::parse(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x00\x60MTrk".to_vec();
        bytes.extend((tail.len() as u32).to_be_bytes());
        bytes.extend(tail);
        let _ = smf::Timeline::parse(&bytes);
    }

    #[test]
    fn random_valid_files_keep_every_event_in_order(
        tracks in proptest::collection::vec(
            proptest::collection::vec(
                (0u32..2_000, prop_oneof![
                    (0u8..16, 0u8..128, 1u8..128).prop_map(|(c, k, v)| vec![0x90 | c, k, v]),
                    (0u8..16, 0u8..128).prop_map(|(c, k)| vec![0x80 | c, k, 0]),
                    (0u8..16, 0u8..128).prop_map(|(c, p)| vec![0xC0 | c, p]),
                    (1u32..2_000_000).prop_map(|t| {
                        let b = t.to_be_bytes();
                        vec![0xFF, 0x51, 0x03, b[1], b[2], b[3]]
                    }),
                ]),
                0..40,
            ),
            1..5,
        ),
        ticks_per_beat in 1u16..2_000,
    ) {
        let bytes = file(1, ticks_per_beat, &tracks);
        let timeline = smf::Timeline::parse(&bytes).unwrap();
        let written = tracks.iter().flatten().filter(|(_, b)| b[0] != 0xFF).count();
        prop_assert_eq!(timeline.events().len(), written);
        let events = timeline.events();
        prop_assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
        if let Some(last) = events.last() {
            prop_assert!(timeline.duration() >= last.time);
        }
    }
}

/// A random event of a track: notes, controllers, programs, pitch bends, tempo changes, a
/// GS-style system-exclusive packet, or a track name.
fn track_event() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u8..16, 0u8..128, 1u8..128).prop_map(|(c, k, v)| vec![0x90 | c, k, v]),
        (0u8..16, 0u8..128).prop_map(|(c, k)| vec![0x80 | c, k, 0]),
        (0u8..16, 0u8..128, 0u8..128).prop_map(|(c, n, v)| vec![0xB0 | c, n, v]),
        (0u8..16, 0u8..128).prop_map(|(c, p)| vec![0xC0 | c, p]),
        (0u8..16, 0u8..128, 0u8..128).prop_map(|(c, l, h)| vec![0xE0 | c, l, h]),
        (1u32..2_000_000).prop_map(|t| {
            let b = t.to_be_bytes();
            vec![0xFF, 0x51, 0x03, b[1], b[2], b[3]]
        }),
        Just(vec![
            0xF0, 0x0A, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41, 0xF7
        ]),
        "[a-z ]{0,12}".prop_map(|name| {
            let mut bytes = vec![0xFF, 0x03, name.len() as u8];
            bytes.extend(name.as_bytes());
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Writing a timeline and parsing it again gives the same events at the same ticks, times
    /// and tracks, the same duration and track names; a part (every other event) likewise.
    #[test]
    fn a_written_timeline_parses_back_to_the_same_events_and_duration(
        tracks in proptest::collection::vec(
            proptest::collection::vec((0u32..3_000, track_event()), 0..40),
            1..5,
        ),
        ticks_per_beat in 1u16..2_000,
        format in 0u16..2,
    ) {
        let tracks = if format == 0 { tracks[..1].to_vec() } else { tracks };
        let bytes = file(format, ticks_per_beat, &tracks);
        let timeline = smf::Timeline::parse(&bytes).unwrap();
        let again = smf::Timeline::parse(&timeline.to_smf()).unwrap();
        prop_assert_eq!(again.events(), timeline.events());
        prop_assert_eq!(again.duration(), timeline.duration());
        prop_assert_eq!(again.format(), timeline.format());
        for track in 0..tracks.len() {
            prop_assert_eq!(again.track_name(track), timeline.track_name(track));
        }
        let part = timeline.subset(|index, _| index % 2 == 0);
        let part_again = smf::Timeline::parse(&part.to_smf()).unwrap();
        prop_assert_eq!(part_again.events(), part.events());
        prop_assert_eq!(part_again.duration(), timeline.duration());
    }
}
