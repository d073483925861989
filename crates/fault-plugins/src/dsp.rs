//! The sound: decaying cosine clicks for the instruments, a delay line for the effect. Plain
//! safe Rust, deterministic (no randomness, no state shared between instances).

use std::f64::consts::TAU;

/// Voices sounding at once; a new note takes the slot of the oldest beyond that.
const VOICES: usize = 16;
/// Below this a voice is silent and skipped.
const SILENT: f64 = 1e-5;
/// Time constant of a click's decay, in seconds: short, so notes stay apart.
const DECAY_SECONDS: f64 = 0.02;

#[derive(Clone, Copy, Default)]
struct Voice {
    phase: f64,
    step: f64,
    amp: f64,
    decay: f64,
}

/// Decaying cosines, one per note-on. A cosine (not a sine) so that the note's first frame
/// is already at full amplitude: a test finds the onset at exactly the note's frame.
#[derive(Default)]
pub struct Clicks {
    voices: [Voice; VOICES],
    next: usize,
}

impl Clicks {
    /// Starts a click for `key` (MIDI key) at `velocity` (0..1).
    pub fn note_on(&mut self, key: u8, velocity: f64, sample_rate: f64) {
        let freq = 440.0 * 2f64.powf((f64::from(key) - 69.0) / 12.0);
        self.voices[self.next % VOICES] = Voice {
            phase: 0.0,
            step: TAU * freq / sample_rate,
            amp: 0.5 * velocity.clamp(0.0, 1.0),
            decay: (-1.0 / (DECAY_SECONDS * sample_rate)).exp(),
        };
        self.next = (self.next + 1) % VOICES;
    }

    /// The next frame (mono; the instruments play it on both channels).
    pub fn tick(&mut self) -> f32 {
        let mut sum = 0.0;
        for v in self.voices.iter_mut().filter(|v| v.amp > SILENT) {
            sum += v.amp * v.phase.cos();
            v.phase = (v.phase + v.step) % TAU;
            v.amp *= v.decay;
        }
        sum as f32
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// A stereo delay of a fixed number of frames (set anew at each activation).
pub struct DelayLine {
    /// `delay + 1` frames: the one written now and the `delay` before it.
    frames: Vec<[f32; 2]>,
    pos: usize,
}

impl DelayLine {
    pub fn new(delay: u32) -> Self {
        Self {
            frames: vec![[0.0; 2]; delay as usize + 1],
            pos: 0,
        }
    }

    /// Takes one input frame and gives the one from `delay` frames ago (silence at first).
    /// Writing before reading makes a delay of 0 a plain copy.
    pub fn tick(&mut self, input: [f32; 2]) -> [f32; 2] {
        let len = self.frames.len();
        self.frames[self.pos] = input;
        self.pos = (self.pos + 1) % len;
        // The slot after the one just written is the oldest: written `len - 1` frames ago.
        self.frames[self.pos % len]
    }

    pub fn reset(&mut self) {
        self.frames.fill([0.0; 2]);
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_line_delays_by_exactly_its_length() {
        for delay in [0u32, 1, 7, 1000] {
            let mut line = DelayLine::new(delay);
            let out: Vec<f32> = (0..2000)
                .map(|i| line.tick([i as f32 + 1.0; 2])[0])
                .collect();
            let first = out.iter().position(|&x| x != 0.0).unwrap();
            assert_eq!(first, delay as usize);
            assert_eq!(out[first], 1.0);
        }
    }

    #[test]
    fn a_click_starts_at_full_amplitude_and_decays() {
        let mut clicks = Clicks::default();
        assert_eq!(clicks.tick(), 0.0);
        clicks.note_on(60, 1.0, 48000.0);
        assert_eq!(clicks.tick(), 0.5);
        let later: f32 = (0..48000).map(|_| clicks.tick().abs()).last().unwrap();
        assert!(later < 1e-4);
    }
}
