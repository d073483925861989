//! The formats an audio file is written in: WAV (float or integer) and FLAC, by the names the
//! command line, the Python API and the offline protocol use.

use crate::error::Error;

/// The file format and sample format of an audio file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// WAV, 32-bit float: no clipping, the synth's exact output.
    #[default]
    Float32,
    /// WAV, 24-bit integer (clipped to ±1).
    Int24,
    /// WAV, 16-bit integer (clipped to ±1).
    Int16,
    /// FLAC, 16-bit (clipped to ±1; lossless from there).
    Flac16,
    /// FLAC, 24-bit (clipped to ±1; lossless from there).
    Flac24,
}

/// The former name of [`AudioFormat`], from when only WAV was written.
pub type WavFormat = AudioFormat;

impl AudioFormat {
    /// Bytes of one sample in a WAV file (`None` for FLAC, whose size depends on the audio).
    pub fn wav_bytes_per_sample(self) -> Option<u64> {
        match self {
            AudioFormat::Float32 => Some(4),
            AudioFormat::Int24 => Some(3),
            AudioFormat::Int16 => Some(2),
            AudioFormat::Flac16 | AudioFormat::Flac24 => None,
        }
    }

    /// The file name extension: `wav` or `flac`.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Flac16 | AudioFormat::Flac24 => "flac",
            _ => "wav",
        }
    }

    /// Whether samples are clipped to ±1 (every integer format).
    pub fn clips(self) -> bool {
        self != AudioFormat::Float32
    }

    /// Every format, by its name.
    pub const ALL: [AudioFormat; 5] = [
        AudioFormat::Float32,
        AudioFormat::Int24,
        AudioFormat::Int16,
        AudioFormat::Flac16,
        AudioFormat::Flac24,
    ];

    /// The user-facing name: `f32`, `wav24`, `wav16`, `flac16`, `flac24`.
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::Float32 => "f32",
            AudioFormat::Int24 => "wav24",
            AudioFormat::Int16 => "wav16",
            AudioFormat::Flac16 => "flac16",
            AudioFormat::Flac24 => "flac24",
        }
    }
}

impl std::fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AudioFormat {
    type Err = Error;

    /// A name of [`AudioFormat::name`] (also `float32`, `int24`, `int16`).
    fn from_str(name: &str) -> Result<AudioFormat, Error> {
        let alias = match name {
            "float32" => "f32",
            "int24" => "wav24",
            "int16" => "wav16",
            other => other,
        };
        AudioFormat::ALL
            .into_iter()
            .find(|format| format.name() == alias)
            .ok_or_else(|| Error::UnknownFormat {
                name: name.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::AudioFormat;
    use crate::Error;

    #[test]
    fn every_format_parses_back_from_its_name_and_aliases() {
        for format in AudioFormat::ALL {
            assert_eq!(format.to_string().parse::<AudioFormat>().unwrap(), format);
        }
        assert_eq!("int24".parse::<AudioFormat>().unwrap(), AudioFormat::Int24);
        let error = "mp3".parse::<AudioFormat>().unwrap_err();
        assert!(
            matches!(&error, Error::UnknownFormat { name } if name == "mp3"),
            "{error}"
        );
    }
}
