//! General MIDI's program names and instrument families as Slakh2100's metadata spells them
//! (`program_num`, `midi_program_name`, `inst_class`, `is_drum`): the table Slakh publishes
//! beside its dataset (`slakh-utils`, `midi_inst_values/general_midi_inst_0based.txt`), with
//! its quirks kept so that values compare equal to Slakh's — "Guitar harmonics", "Bag pipe",
//! the family "Strings (continued)" for programs 48–55, "Sound effects" for 119–127 (Reverse
//! Cymbal too, which General MIDI counts as percussive) beside "Sound Effects" for 96–103, and
//! the drums as program 128.

/// The name of General MIDI program `program` (0-based), or `None` beyond 127.
///
/// ```
/// assert_eq!(smf::general_midi::program_name(0), Some("Acoustic Grand Piano"));
/// assert_eq!(smf::general_midi::program_name(33), Some("Electric Bass (finger)"));
/// ```
pub fn program_name(program: u8) -> Option<&'static str> {
    PROGRAMS.get(usize::from(program)).copied()
}

/// The instrument family of program `program` (0-based): eight programs each, in order, but
/// for Reverse Cymbal (119), which Slakh files under the sound effects that follow it.
///
/// ```
/// assert_eq!(smf::general_midi::instrument_class(33), Some("Bass"));
/// assert_eq!(smf::general_midi::instrument_class(119), Some("Sound effects"));
/// ```
pub fn instrument_class(program: u8) -> Option<&'static str> {
    const REVERSE_CYMBAL: u8 = 119;
    let family = match program {
        REVERSE_CYMBAL => CLASSES.len() - 1,
        _ => usize::from(program) / 8,
    };
    CLASSES.get(family).copied()
}

/// The family, and the program name, of the percussion channel's parts.
pub const DRUM_CLASS: &str = "Drums";

/// The program number Slakh gives drums: one past the 128 melodic programs, so a drum part
/// never reads as a piano.
pub const DRUM_PROGRAM: u8 = 128;

const CLASSES: [&str; 16] = [
    "Piano",
    "Chromatic Percussion",
    "Organ",
    "Guitar",
    "Bass",
    "Strings",
    "Strings (continued)",
    "Brass",
    "Reed",
    "Pipe",
    "Synth Lead",
    "Synth Pad",
    "Sound Effects",
    "Ethnic",
    "Percussive",
    "Sound effects",
];

const PROGRAMS: [&str; 128] = [
    "Acoustic Grand Piano",
    "Bright Acoustic Piano",
    "Electric Grand Piano",
    "Honky-tonk Piano",
    "Electric Piano 1",
    "Electric Piano 2",
    "Harpsichord",
    "Clavinet",
    "Celesta",
    "Glockenspiel",
    "Music Box",
    "Vibraphone",
    "Marimba",
    "Xylophone",
    "Tubular Bells",
    "Dulcimer",
    "Drawbar Organ",
    "Percussive Organ",
    "Rock Organ",
    "Church Organ",
    "Reed Organ",
    "Accordion",
    "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)",
    "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)",
    "Electric Guitar (clean)",
    "Electric Guitar (muted)",
    "Overdriven Guitar",
    "Distortion Guitar",
    "Guitar harmonics",
    "Acoustic Bass",
    "Electric Bass (finger)",
    "Electric Bass (pick)",
    "Fretless Bass",
    "Slap Bass 1",
    "Slap Bass 2",
    "Synth Bass 1",
    "Synth Bass 2",
    "Violin",
    "Viola",
    "Cello",
    "Contrabass",
    "Tremolo Strings",
    "Pizzicato Strings",
    "Orchestral Harp",
    "Timpani",
    "String Ensemble 1",
    "String Ensemble 2",
    "Synth Strings 1",
    "Synth Strings 2",
    "Choir Aahs",
    "Voice Oohs",
    "Synth Voice",
    "Orchestra Hit",
    "Trumpet",
    "Trombone",
    "Tuba",
    "Muted Trumpet",
    "French Horn",
    "Brass Section",
    "Synth Brass 1",
    "Synth Brass 2",
    "Soprano Sax",
    "Alto Sax",
    "Tenor Sax",
    "Baritone Sax",
    "Oboe",
    "English Horn",
    "Bassoon",
    "Clarinet",
    "Piccolo",
    "Flute",
    "Recorder",
    "Pan Flute",
    "Blown Bottle",
    "Shakuhachi",
    "Whistle",
    "Ocarina",
    "Lead 1 (square)",
    "Lead 2 (sawtooth)",
    "Lead 3 (calliope)",
    "Lead 4 (chiff)",
    "Lead 5 (charang)",
    "Lead 6 (voice)",
    "Lead 7 (fifths)",
    "Lead 8 (bass + lead)",
    "Pad 1 (new age)",
    "Pad 2 (warm)",
    "Pad 3 (polysynth)",
    "Pad 4 (choir)",
    "Pad 5 (bowed)",
    "Pad 6 (metallic)",
    "Pad 7 (halo)",
    "Pad 8 (sweep)",
    "FX 1 (rain)",
    "FX 2 (soundtrack)",
    "FX 3 (crystal)",
    "FX 4 (atmosphere)",
    "FX 5 (brightness)",
    "FX 6 (goblins)",
    "FX 7 (echoes)",
    "FX 8 (sci-fi)",
    "Sitar",
    "Banjo",
    "Shamisen",
    "Koto",
    "Kalimba",
    "Bag pipe",
    "Fiddle",
    "Shanai",
    "Tinkle Bell",
    "Agogo",
    "Steel Drums",
    "Woodblock",
    "Taiko Drum",
    "Melodic Tom",
    "Synth Drum",
    "Reverse Cymbal",
    "Guitar Fret Noise",
    "Breath Noise",
    "Seashore",
    "Bird Tweet",
    "Telephone Ring",
    "Helicopter",
    "Applause",
    "Gunshot",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_has_a_name_and_a_family() {
        for program in 0..=127u8 {
            assert!(program_name(program).is_some_and(|n| !n.is_empty()));
            assert!(instrument_class(program).is_some());
        }
        assert_eq!(program_name(128), None);
        assert_eq!(program_name(40), Some("Violin"));
        assert_eq!(instrument_class(40), Some("Strings"));
        assert_eq!(program_name(48), Some("String Ensemble 1"));
        assert_eq!(instrument_class(48), Some("Strings (continued)"));
        assert_eq!(instrument_class(100), Some("Sound Effects"));
        assert_eq!(program_name(31), Some("Guitar harmonics"));
        assert_eq!(instrument_class(118), Some("Percussive"));
        assert_eq!(instrument_class(128), None);
    }
}
