//! Any bytes through the SMF parser and the timeline: an error or a timeline, never a panic,
//! and a timeline's invariants hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(timeline) = smf::Timeline::parse(data) {
        let events = timeline.events();
        assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
        if let Some(last) = events.last() {
            assert!(timeline.duration() >= last.time);
        }
        for (_, event) in timeline.frames(48_000) {
            assert!(!event.message.bytes().is_empty());
        }
    }
});
