//! Helpers of the command-line tests: the shared MIDI files, the impulse instrument test
//! fixture (built on demand), and reading WAVs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn midi(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/midi")
        .join(name)
}

pub const SHARED: [&str; 5] = [
    "k525short.mid",
    "test01.mid",
    "test03.mid",
    "test06.mid",
    "test19.mid",
];

/// The impulse instrument (a test fixture of package pycarla-integration), built if needed.
pub fn impulse_instrument() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
        let path = profile_dir.join("impulse-instrument");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--quiet",
                "-p",
                "pycarla-integration",
                "--bin",
                "impulse-instrument",
            ])
            .status()
            .expect("cargo");
        assert!(status.success(), "building the impulse instrument");
        assert!(path.is_file(), "{} missing", path.display());
        path
    })
}

/// `pycarla` with the impulse instrument as `--host-cmd`.
pub fn pycarla_with_impulses() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("pycarla").expect("binary");
    command
        .arg("render")
        .arg("--host-cmd")
        .arg(impulse_instrument());
    command
}

pub struct Wav {
    pub spec: hound::WavSpec,
    /// Planar.
    pub channels: Vec<Vec<f32>>,
}

pub fn read_wav(path: &Path) -> Wav {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let n = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut channels = vec![Vec::with_capacity(samples.len() / n.max(1)); n];
    for (i, s) in samples.into_iter().enumerate() {
        channels[i % n].push(s);
    }
    Wav { spec, channels }
}

/// Frames of a file plus its tail: round((duration + tail) · sr), exactly.
pub fn expected_frames(midi: &Path, tail: u32, sample_rate: u32) -> u64 {
    let timeline = smf::Timeline::from_path(midi).expect("parses");
    (timeline.duration() + smf::ExactTime::new(u128::from(tail), 1)).frame(sample_rate)
}

/// Frames holding a non-zero sample.
pub fn impulse_frames(channel: &[f32]) -> Vec<u64> {
    channel
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != 0.0)
        .map(|(i, _)| i as u64)
        .collect()
}
