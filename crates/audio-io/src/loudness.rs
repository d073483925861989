//! Loudness: the EBU R128 integrated loudness of a file (measured with `ebur128`) and the gain
//! that brings it to a target, for `--normalize`. The gain itself is applied by
//! [`crate::reencode::write_as`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::reader::FloatReader;

/// The integrated loudness of a float WAV in LUFS; `None` for silence (no gated block).
pub fn loudness(path: &Path) -> Result<Option<f64>> {
    let meter_error = |source| Error::Loudness {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = FloatReader::open(path)?;
    let mut meter = ebur128::EbuR128::new(
        reader.channels() as u32,
        reader.sample_rate(),
        ebur128::Mode::I,
    )
    .map_err(meter_error)?;
    let mut block = Vec::new();
    while reader.read(&mut block)? > 0 {
        meter.add_frames_f32(&block).map_err(meter_error)?;
    }
    let lufs = meter.loudness_global().map_err(meter_error)?;
    Ok(lufs.is_finite().then_some(lufs))
}

/// The gain in dB that brings `path` to `target` LUFS (0 for silence).
pub fn gain_to(path: &Path, target: f64) -> Result<f64> {
    Ok(loudness(path)?.map_or(0.0, |lufs| target - lufs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AudioFormat;
    use crate::reencode::write_as;
    use crate::testing::write_float;

    #[test]
    fn normalising_reaches_the_target_loudness() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("in.wav"), dir.path().join("out.wav"));
        let tone: Vec<f32> = (0..96_000)
            .flat_map(|i| {
                let s = (i as f32 * 2.0 * std::f32::consts::PI * 997.0 / 48_000.0).sin() * 0.1;
                [s, s]
            })
            .collect();
        write_float(&input, 2, &tone);
        let gain = gain_to(&input, -23.0).unwrap();
        write_as(&input, &output, AudioFormat::Float32, gain, 2, 96_000).unwrap();
        let after = loudness(&output).unwrap().unwrap();
        assert!((after + 23.0).abs() < 0.05, "{after} LUFS");
        assert_eq!(gain_to(&dir.path().join("in.wav"), -23.0).unwrap(), gain);
        write_float(&input, 2, &[0.0; 96_000]);
        assert_eq!(loudness(&input).unwrap(), None);
    }
}
