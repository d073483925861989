use std::cmp::Ordering;

/// A point in time as an exact rational number of seconds, `num / den`.
///
/// MIDI time is integer ticks times an integer tempo (µs per beat) divided by the integer
/// ticks-per-beat, so it is rational; keeping it rational means the one rounding to a sample
/// frame happens once, at the end, and exact half frames (common: 384 ticks a beat at 120 bpm is
/// 62.5 frames a tick at 48 kHz) round half to even, as Python and numpy do.
#[derive(Clone, Copy, Debug)]
pub struct ExactTime {
    num: u128,
    den: u128,
}

impl ExactTime {
    /// Zero seconds.
    pub const ZERO: ExactTime = ExactTime { num: 0, den: 1 };

    /// `num / den` seconds. `den` must not be zero.
    pub fn new(num: u128, den: u128) -> Self {
        assert!(den != 0, "ExactTime with a zero denominator");
        ExactTime { num, den }
    }

    /// The nearest whole nanosecond to `seconds` (negative and NaN become zero). For times that
    /// come from outside MIDI files, e.g. a note's duration or a tail.
    ///
    /// The nanosecond keeps the numbers small enough for exact integer arithmetic with any MIDI
    /// time; the price is a second rounding: a duration within 5·10⁻⁵ frames of a half frame
    /// may land one frame off where `round(seconds · sr)` in floating point would not. MIDI
    /// event times never go through here.
    pub fn from_secs_f64(seconds: f64) -> Self {
        let nanos = (seconds * 1e9).round_ties_even();
        let nanos = if nanos.is_finite() && nanos > 0.0 {
            nanos as u128
        } else {
            0
        };
        ExactTime::new(nanos, 1_000_000_000)
    }

    /// The numerator (seconds = numerator / denominator).
    pub fn numerator(self) -> u128 {
        self.num
    }

    /// The denominator.
    pub fn denominator(self) -> u128 {
        self.den
    }

    /// The time in seconds as the nearest `f64`.
    pub fn seconds(self) -> f64 {
        let whole = self.num / self.den;
        let rest = self.num % self.den;
        whole as f64 + rest as f64 / self.den as f64
    }

    /// The sample frame of this time at `sample_rate`: `round(t · sample_rate)`, half to even,
    /// computed in integers (no floating point error).
    ///
    /// ```
    /// // 62.5 frames rounds to 62, 187.5 to 188: half to even.
    /// assert_eq!(smf::ExactTime::new(125, 96_000).frame(48_000), 62);
    /// assert_eq!(smf::ExactTime::new(375, 96_000).frame(48_000), 188);
    /// ```
    pub fn frame(self, sample_rate: u32) -> u64 {
        let scaled = self.num * u128::from(sample_rate);
        let (quotient, remainder) = (scaled / self.den, scaled % self.den);
        let round_up = match (remainder * 2).cmp(&self.den) {
            Ordering::Greater => true,
            Ordering::Equal => quotient % 2 == 1,
            Ordering::Less => false,
        };
        (quotient + u128::from(round_up)) as u64
    }
}

impl std::ops::Add for ExactTime {
    type Output = ExactTime;

    fn add(self, other: ExactTime) -> ExactTime {
        if self.den == other.den {
            ExactTime::new(self.num + other.num, self.den)
        } else {
            ExactTime::new(
                self.num * other.den + other.num * self.den,
                self.den * other.den,
            )
        }
    }
}

impl PartialEq for ExactTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ExactTime {}
impl PartialOrd for ExactTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ExactTime {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}

/// SMPTE frame rates of a timecode division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmpteFps {
    /// 24 frames a second.
    Fps24,
    /// 25 frames a second.
    Fps25,
    /// 30 drop-frame: 29.97 (30000/1001) frames a second.
    Fps29,
    /// 30 frames a second.
    Fps30,
}

impl SmpteFps {
    /// Frames per second as the fraction (numerator, denominator).
    fn ratio(self) -> (u128, u128) {
        match self {
            SmpteFps::Fps24 => (24, 1),
            SmpteFps::Fps25 => (25, 1),
            SmpteFps::Fps29 => (30_000, 1_001),
            SmpteFps::Fps30 => (30, 1),
        }
    }
}

/// The header's time division: how long a tick is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Division {
    /// Metrical time: ticks per quarter note; tick length follows the tempo map.
    TicksPerBeat(u16),
    /// Timecode: ticks per SMPTE frame at a frame rate; tempo events do not apply.
    Timecode(SmpteFps, u8),
}

/// Default tempo before any Set Tempo event: 120 bpm.
const DEFAULT_TEMPO_US: u32 = 500_000;

/// Maps absolute ticks to exact times through the tempo changes of all tracks.
#[derive(Clone, Debug)]
pub(crate) struct TempoMap {
    division: Division,
    /// `(tick, time numerator at tick, tempo from tick on)`; first entry at tick 0.
    segments: Vec<(u64, u128, u32)>,
}

impl TempoMap {
    /// Builds the map from `(tick, µs per beat)` changes in merged order (stable by tick).
    pub(crate) fn new(division: Division, changes: &[(u64, u32)]) -> Self {
        let mut segments = vec![(0u64, 0u128, DEFAULT_TEMPO_US)];
        if let Division::TicksPerBeat(_) = division {
            for &(tick, tempo) in changes {
                let &(last_tick, last_num, last_tempo) = segments.last().expect("non-empty");
                let num = last_num + u128::from(tick - last_tick) * u128::from(last_tempo);
                if tick == last_tick {
                    // Several changes on one tick: the last one in merged order wins.
                    *segments.last_mut().expect("non-empty") = (tick, num, tempo);
                } else {
                    segments.push((tick, num, tempo));
                }
            }
        }
        TempoMap { division, segments }
    }

    /// The exact time of an absolute tick.
    pub(crate) fn time(&self, tick: u64) -> ExactTime {
        match self.division {
            Division::TicksPerBeat(tpb) => {
                let index = self.segments.partition_point(|&(t, _, _)| t <= tick) - 1;
                let (seg_tick, seg_num, tempo) = self.segments[index];
                let num = seg_num + u128::from(tick - seg_tick) * u128::from(tempo);
                ExactTime::new(num, u128::from(tpb) * 1_000_000)
            }
            Division::Timecode(fps, ticks_per_frame) => {
                let (fps_num, fps_den) = fps.ratio();
                ExactTime::new(
                    u128::from(tick) * fps_den,
                    fps_num * u128::from(ticks_per_frame),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_half_to_even() {
        // 384 ticks a beat at 120 bpm: 62.5 frames a tick at 48 kHz.
        let map = TempoMap::new(Division::TicksPerBeat(384), &[]);
        let frames: Vec<u64> = (0..5).map(|t| map.time(t).frame(48_000)).collect();
        assert_eq!(frames, [0, 62, 125, 188, 250]);
    }

    #[test]
    fn tempo_changes_apply_from_their_tick() {
        // 100 ticks at 120 bpm (0.5 s / 100 ticks), then 60 bpm.
        let map = TempoMap::new(Division::TicksPerBeat(100), &[(100, 1_000_000)]);
        assert_eq!(map.time(100).seconds(), 0.5);
        assert_eq!(map.time(150).seconds(), 1.0);
    }

    #[test]
    fn several_changes_on_one_tick_keep_the_last() {
        let map = TempoMap::new(Division::TicksPerBeat(100), &[(0, 250_000), (0, 1_000_000)]);
        assert_eq!(map.time(100).seconds(), 1.0);
    }

    #[test]
    fn timecode_ignores_tempo() {
        let map = TempoMap::new(Division::Timecode(SmpteFps::Fps25, 40), &[(0, 1)]);
        assert_eq!(map.time(1000).seconds(), 1.0);
        let drop_frame = TempoMap::new(Division::Timecode(SmpteFps::Fps29, 1), &[]);
        assert_eq!(drop_frame.time(30_000).frame(1_000), 1_001_000);
    }

    #[test]
    fn from_secs_f64_clamps_negative_and_nan() {
        assert_eq!(ExactTime::from_secs_f64(-1.0), ExactTime::ZERO);
        assert_eq!(ExactTime::from_secs_f64(f64::NAN), ExactTime::ZERO);
        assert_eq!(ExactTime::from_secs_f64(2.5).frame(48_000), 120_000);
    }
}
