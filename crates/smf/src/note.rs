use crate::error::Error;
use crate::message::Message;
use crate::time::ExactTime;
use crate::timeline::{Event, Timeline};

/// One note with its pedals and program, as pycarla's `synthesize_midi_note`.
///
/// ```
/// let note = smf::Note { pitch: 60, velocity: 80, duration: 2.0, ..smf::Note::default() };
/// let timeline = note.timeline()?;
/// // program change, sustain, sostenuto, soft, note on, then note off after two seconds.
/// assert_eq!(timeline.events().len(), 6);
/// assert_eq!(timeline.duration().seconds(), 2.0);
/// # Ok::<(), smf::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    /// MIDI key, 0–127.
    pub pitch: i64,
    /// Note-on (and note-off) velocity, 0–127.
    pub velocity: i64,
    /// Seconds between note on and note off, ≥ 0.
    pub duration: f64,
    /// CC64 value, 0–127.
    pub sustain: i64,
    /// CC67 value, 0–127.
    pub soft: i64,
    /// CC66 value, 0–127.
    pub sostenuto: i64,
    /// Channel, 0–15.
    pub channel: i64,
    /// Program, 0–127.
    pub program: i64,
}

impl Default for Note {
    fn default() -> Self {
        Note {
            pitch: 60,
            velocity: 64,
            duration: 1.0,
            sustain: 0,
            soft: 0,
            sostenuto: 0,
            channel: 0,
            program: 0,
        }
    }
}

impl Note {
    /// The messages of the note: program change, CC64 sustain, CC66 sostenuto, CC67 soft and
    /// note on at time 0, note off at `duration`; every value checked against its range.
    pub fn timeline(&self) -> Result<Timeline, Error> {
        let data = |field, value| check(field, value, 127);
        let channel = check("channel", self.channel, 15)?;
        let (pitch, velocity) = (data("pitch", self.pitch)?, data("velocity", self.velocity)?);
        if !(self.duration >= 0.0 && self.duration.is_finite()) {
            return Err(Error::OutOfRange {
                field: "duration",
                value: self.duration,
                min: 0.0,
                max: f64::MAX,
            });
        }
        let at_start = [
            Message::channel(0xC0 | channel, &[data("program", self.program)?]),
            Message::channel(0xB0 | channel, &[64, data("sustain", self.sustain)?]),
            Message::channel(0xB0 | channel, &[66, data("sostenuto", self.sostenuto)?]),
            Message::channel(0xB0 | channel, &[67, data("soft", self.soft)?]),
            Message::channel(0x90 | channel, &[pitch, velocity]),
        ];
        let end = ExactTime::from_secs_f64(self.duration);
        let mut events: Vec<Event> = at_start
            .into_iter()
            .map(|message| Event {
                tick: 0,
                time: ExactTime::ZERO,
                track: 0,
                message,
            })
            .collect();
        events.push(Event {
            tick: 0,
            time: end,
            track: 0,
            message: Message::channel(0x80 | channel, &[pitch, velocity]),
        });
        Ok(Timeline::from_events(events, end))
    }
}

fn check(field: &'static str, value: i64, max: i64) -> Result<u8, Error> {
    if (0..=max).contains(&value) {
        Ok(value as u8)
    } else {
        Err(Error::OutOfRange {
            field,
            value: value as f64,
            min: 0.0,
            max: max as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_pycarla_order() {
        let note = Note {
            pitch: 64,
            velocity: 100,
            duration: 1.5,
            sustain: 127,
            soft: 10,
            sostenuto: 20,
            channel: 3,
            program: 5,
        };
        let timeline = note.timeline().unwrap();
        let bytes: Vec<&[u8]> = timeline
            .events()
            .iter()
            .map(|e| e.message.bytes())
            .collect();
        assert_eq!(
            bytes,
            [
                &[0xC3, 5][..],
                &[0xB3, 64, 127],
                &[0xB3, 66, 20],
                &[0xB3, 67, 10],
                &[0x93, 64, 100],
                &[0x83, 64, 100],
            ]
        );
        assert_eq!(timeline.events()[5].time.frame(48_000), 72_000);
    }

    #[test]
    fn out_of_range_values_are_typed_errors() {
        let cases = [
            Note {
                pitch: 128,
                ..Note::default()
            },
            Note {
                velocity: -1,
                ..Note::default()
            },
            Note {
                channel: 16,
                ..Note::default()
            },
            Note {
                program: 200,
                ..Note::default()
            },
            Note {
                duration: -0.1,
                ..Note::default()
            },
            Note {
                duration: f64::NAN,
                ..Note::default()
            },
        ];
        for note in cases {
            assert!(
                matches!(note.timeline(), Err(Error::OutOfRange { .. })),
                "{note:?}"
            );
        }
    }
}
