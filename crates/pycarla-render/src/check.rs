//! The render check that sees partial loss: note-ons that make no sound.
//!
//! A wholly silent render is easy to see; an instrument that loaded late (its first seconds
//! silent) or dropped a part is not. Every note-on that should sound — velocity above 0, on a
//! channel whose volume (CC7) and expression (CC11) are above 0 — is looked at in the output's
//! envelope: if the output stays below −100 dBFS (|x| < 1e-5) for the 100 ms after it, it made
//! no sound. Such note-ons are counted; a run of them with no sounding note-on between, spanning
//! more than a second, fails the render. Quiet music and one-shot sounds pass (silence between
//! notes or while a note is held is not looked at), and one drum key without a sample among
//! sounding notes is not a span.

use smf::Timeline;

/// Frames per envelope step (`audio_io::ENVELOPE_FRAMES`: the writer keeps the peak of each).
pub use audio_io::ENVELOPE_FRAMES;

/// Below this a sample is silence (−100 dBFS).
pub const SILENCE: f32 = 1e-5;

/// How long after a note-on the output must stay silent for the note to count as lost.
pub const LISTEN_SECONDS: f64 = 0.1;

/// A run of lost notes longer than this fails the render.
pub const LOST_SPAN_SECONDS: f64 = 1.0;

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoteLoss {
    /// Note-ons that should sound and made no sound.
    pub silent_note_ons: u64,
    /// The longest run of them (first and last note-on, in seconds), when it spans more than
    /// [`LOST_SPAN_SECONDS`].
    pub lost_span: Option<(f64, f64)>,
}

/// Looks at every note-on of `timeline` that should sound in `envelope` (the peak of each
/// [`ENVELOPE_FRAMES`] output frames, at `sample_rate`).
pub fn note_loss(timeline: &Timeline, envelope: &[f32], sample_rate: u32) -> NoteLoss {
    let listen = (LISTEN_SECONDS * f64::from(sample_rate)).round() as u64;
    let mut volume = [100u8; 16];
    let mut expression = [127u8; 16];
    let mut loss = NoteLoss::default();
    // The current run of lost note-ons: its first and last frames.
    let mut run: Option<(u64, u64)> = None;
    let mut longest: Option<(u64, u64)> = None;
    let close = |run: &mut Option<(u64, u64)>, longest: &mut Option<(u64, u64)>| {
        if let Some((first, last)) = run.take()
            && longest.is_none_or(|(a, b)| last - first > b - a)
        {
            *longest = Some((first, last));
        }
    };
    for (frame, event) in timeline.frames(sample_rate) {
        let bytes = event.message.bytes();
        let (Some(&status), Some(&data1)) = (bytes.first(), bytes.get(1)) else {
            continue;
        };
        let channel = usize::from(status & 0x0F);
        match status & 0xF0 {
            0xB0 if data1 == 7 => volume[channel] = bytes.get(2).copied().unwrap_or(0),
            0xB0 if data1 == 11 => expression[channel] = bytes.get(2).copied().unwrap_or(0),
            0x90 if bytes.get(2).is_some_and(|&velocity| velocity > 0) => {
                if volume[channel] == 0 || expression[channel] == 0 {
                    continue;
                }
                let first = (frame / ENVELOPE_FRAMES) as usize;
                let last = (frame + listen).div_ceil(ENVELOPE_FRAMES) as usize;
                // Past the end of what was written: nothing to judge (a short render is
                // caught by its length).
                if first >= envelope.len() {
                    continue;
                }
                let window = &envelope[first..last.min(envelope.len())];
                if window.iter().all(|&peak| peak < SILENCE) {
                    loss.silent_note_ons += 1;
                    run = Some(run.map_or((frame, frame), |(start, _)| (start, frame)));
                } else {
                    close(&mut run, &mut longest);
                }
            }
            _ => {}
        }
    }
    close(&mut run, &mut longest);
    let seconds = |frame: u64| frame as f64 / f64::from(sample_rate);
    loss.lost_span = longest
        .map(|(first, last)| (seconds(first), seconds(last)))
        .filter(|(first, last)| last - first > LOST_SPAN_SECONDS);
    loss
}

#[cfg(test)]
mod tests {
    use super::*;
    use smf::testing::single_track_file;

    const RATE: u32 = 48_000;

    /// 480 ticks a beat at 120 BPM: 960 ticks a second.
    fn timeline(events: &[(u32, Vec<u8>)]) -> Timeline {
        Timeline::parse(&single_track_file(480, events)).unwrap()
    }

    /// A note-on every half second for `seconds`, on channel 1.
    fn notes(seconds: u32, first: &[Vec<u8>]) -> Vec<(u32, Vec<u8>)> {
        let mut events: Vec<(u32, Vec<u8>)> = first.iter().map(|b| (0, b.clone())).collect();
        for _ in 0..seconds * 2 {
            events.push((0, vec![0x90, 60, 100]));
            events.push((480, vec![0x80, 60, 0]));
        }
        events
    }

    /// An envelope of `seconds`, sounding from frame `from` to frame `to`.
    fn envelope(seconds: u32, sounding: impl Fn(u64) -> bool) -> Vec<f32> {
        let steps = u64::from(seconds * RATE) / ENVELOPE_FRAMES;
        (0..steps)
            .map(|step| {
                if sounding(step * ENVELOPE_FRAMES) {
                    0.5
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn an_instrument_that_sounds_late_fails_and_names_the_span() {
        let t = timeline(&notes(10, &[]));
        // Silent for the first 4 s: note-ons at 0, 0.5 … 3.5 s made no sound.
        let loss = note_loss(
            &t,
            &envelope(11, |frame| frame >= 4 * u64::from(RATE)),
            RATE,
        );
        assert_eq!(loss.silent_note_ons, 8);
        assert_eq!(loss.lost_span, Some((0.0, 3.5)));
    }

    #[test]
    fn one_shot_sounds_and_rests_pass() {
        // A click at each note-on and silence between: every note sounds.
        let t = timeline(&notes(10, &[]));
        let click = |frame: u64| frame % 24_000 < ENVELOPE_FRAMES;
        assert_eq!(
            note_loss(&t, &envelope(11, click), RATE),
            NoteLoss::default()
        );
    }

    #[test]
    fn a_fade_to_volume_zero_is_not_loss() {
        let mut events = notes(2, &[]);
        events.push((0, vec![0xB0, 7, 0]));
        events.extend(notes(5, &[]));
        let t = timeline(&events);
        // Sound only while the volume is up (the first 2 s).
        let loss = note_loss(&t, &envelope(8, |frame| frame < 2 * u64::from(RATE)), RATE);
        assert_eq!(loss, NoteLoss::default());
    }

    #[test]
    fn one_missing_drum_key_among_sounding_notes_is_counted_but_is_no_span() {
        let mut events = Vec::new();
        for _ in 0..20 {
            events.push((0, vec![0x99, 36, 100])); // sounds
            events.push((240, vec![0x99, 99, 100])); // no sample: silent
            events.push((240, vec![0x89, 36, 0]));
        }
        let t = timeline(&events);
        // Sound for 0.1 s after each kick (every half second), nothing after the key-99 hits.
        let loss = note_loss(&t, &envelope(11, |frame| frame % 24_000 < 4_800), RATE);
        assert_eq!(loss.silent_note_ons, 20);
        assert_eq!(loss.lost_span, None);
    }
}
