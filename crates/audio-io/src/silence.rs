//! The silence rule of `--tail auto`: a recording ends once the audio stays quiet. Both
//! engines apply it to the frames they write, before they reach the file.

/// Ends a recording once the audio stays quiet: pycarla-rs's `--tail auto`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopOnSilence {
    /// Silence only counts from this frame on (the end of the MIDI).
    pub after_frame: u64,
    /// How many quiet frames in a row end the recording (they are kept).
    pub quiet_frames: u64,
    /// Peak level (linear) at or below which a frame is quiet; -90 dBFS is about 3.2e-5.
    pub threshold: f32,
}

impl StopOnSilence {
    /// How many of the frames in `samples` (interleaved, starting at frame `first`) to keep:
    /// `Some(n)` when the quiet run completes inside them, `None` to keep them all. `run` carries
    /// the current quiet run across calls.
    pub fn keep(
        &self,
        run: &mut u64,
        first: u64,
        samples: &[f32],
        channels: usize,
    ) -> Option<usize> {
        for (index, frame) in samples.chunks_exact(channels).enumerate() {
            if first + (index as u64) < self.after_frame {
                continue;
            }
            if frame.iter().any(|sample| sample.abs() > self.threshold) {
                *run = 0;
            } else {
                *run += 1;
                if *run >= self.quiet_frames {
                    return Some(index + 1);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::StopOnSilence;

    #[test]
    fn silence_counts_only_after_the_end_and_keeps_the_quiet_run() {
        let rule = StopOnSilence {
            after_frame: 4,
            quiet_frames: 3,
            threshold: 0.001,
        };
        // Two channels; frames 0..4 are quiet but before `after_frame`; frame 5 is loud.
        let samples = [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0,
        ];
        let mut run = 0;
        assert_eq!(rule.keep(&mut run, 0, &samples, 2), None);
        assert_eq!(run, 1);
        // The run continues into the next chunk: two more quiet frames end it.
        assert_eq!(rule.keep(&mut run, 7, &[0.0; 8], 2), Some(2));
    }
}
