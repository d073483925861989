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
