//! The player's schedule and the pure logic of which events a cycle plays.

use std::ops::Range;

use crate::error::Error;

/// The largest MIDI message the player sends (long sysex included).
pub const MAX_MESSAGE_LEN: usize = 65_536;

/// Time-ordered MIDI events at absolute frames relative to the start frame, built before the
/// take. Bytes of all events live in one buffer so the callback never touches the heap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    frames: Vec<u64>,
    spans: Vec<(u32, u32)>,
    bytes: Vec<u8>,
}

impl Schedule {
    /// An empty schedule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `message` at `frame`; frames must not decrease.
    pub fn push(&mut self, frame: u64, message: &[u8]) -> Result<(), Error> {
        if let Some(&previous) = self.frames.last()
            && frame < previous
        {
            return Err(Error::Unsorted { frame, previous });
        }
        // Offsets into the byte buffer are 32-bit: refuse what would not fit.
        if message.is_empty()
            || message.len() > MAX_MESSAGE_LEN
            || self.bytes.len() + message.len() > u32::MAX as usize
        {
            return Err(Error::BadMessage {
                frame,
                len: message.len(),
            });
        }
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(message);
        self.frames.push(frame);
        self.spans.push((start, message.len() as u32));
        Ok(())
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frames of all events, non-decreasing.
    pub fn frames(&self) -> &[u64] {
        &self.frames
    }

    /// Event `index`: its frame and bytes.
    pub fn get(&self, index: usize) -> (u64, &[u8]) {
        let (start, len) = self.spans[index];
        (
            self.frames[index],
            &self.bytes[start as usize..(start + len) as usize],
        )
    }

    /// The frame of the last event, if any.
    pub fn last_frame(&self) -> Option<u64> {
        self.frames.last().copied()
    }
}

/// The events of `frames` due in the cycle covering relative frames `[cycle, cycle + n)`,
/// starting from `cursor` (the first event not yet played). Events before `cycle` that were
/// never played — impossible when cycles are contiguous — are played at offset 0 rather than lost.
///
/// Binary search, no allocation: safe in a process callback.
pub fn due(frames: &[u64], cursor: usize, cycle: u64, n: u32) -> Range<usize> {
    let end = cycle + u64::from(n);
    let rest = &frames[cursor.min(frames.len())..];
    cursor..cursor + rest.partition_point(|&frame| frame < end)
}

/// The offset within the cycle at which an event at `frame` is written.
pub fn offset(frame: u64, cycle: u64) -> u32 {
    frame.saturating_sub(cycle) as u32
}

/// How many frames of a cycle covering `[cycle, cycle + n)` belong to a recording of `total`
/// frames (relative frames `[0, total)`).
pub fn frames_to_record(cycle: u64, n: u32, total: u64) -> u32 {
    total.saturating_sub(cycle).min(u64::from(n)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn push_rejects_time_travel_and_empty_messages() {
        let mut schedule = Schedule::new();
        schedule.push(10, &[0x90, 1, 1]).unwrap();
        assert!(matches!(
            schedule.push(9, &[0x80, 1, 0]),
            Err(Error::Unsorted { .. })
        ));
        assert!(matches!(
            schedule.push(11, &[]),
            Err(Error::BadMessage { .. })
        ));
        assert_eq!(schedule.get(0), (10, &[0x90, 1, 1][..]));
    }

    proptest! {
        /// Every event is emitted exactly once, in its own cycle, at its exact offset, whatever
        /// the sequence of period sizes.
        #[test]
        fn every_event_once_at_its_frame(
            mut frames in proptest::collection::vec(0u64..50_000, 0..300),
            periods in proptest::collection::vec(prop::sample::select(vec![1u32, 16, 64, 128, 256, 1000, 1024, 4096]), 1..64),
        ) {
            frames.sort_unstable();
            let mut emitted = Vec::new();
            let (mut cursor, mut cycle) = (0usize, 0u64);
            for &n in periods.iter().cycle() {
                if cursor == frames.len() { break; }
                let range = due(&frames, cursor, cycle, n);
                for &frame in &frames[range.clone()] {
                    let offset = offset(frame, cycle);
                    prop_assert!(offset < n);
                    emitted.push(cycle + u64::from(offset));
                }
                cursor = range.end;
                cycle += u64::from(n);
            }
            prop_assert_eq!(emitted, frames);
        }

        /// The recorder takes exactly `total` frames over any period sequence.
        #[test]
        fn recorder_takes_exactly_total(
            total in 0u64..100_000,
            periods in proptest::collection::vec(1u32..5000, 1..40),
        ) {
            let (mut taken, mut cycle) = (0u64, 0u64);
            for &n in periods.iter().cycle() {
                if cycle >= total { break; }
                let k = frames_to_record(cycle, n, total);
                prop_assert!(k <= n);
                taken += u64::from(k);
                cycle += u64::from(n);
            }
            prop_assert_eq!(taken, total);
        }
    }
}
