//! Section 12: stems against the mix alone, whole process, on a 16-channel file.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// A 16-channel General MIDI file of `seconds`: each channel its own program (channel 10 the
/// drums), eighth notes at 120 bpm, staggered pitches — every channel plays all along.
pub fn sixteen_channel_file(path: &Path, seconds: u32) {
    let mut track = Vec::new();
    for channel in 0u8..16 {
        track.push((0u32, vec![0xC0 | channel, channel * 8]));
    }
    // 480 ticks a beat at 120 bpm: an eighth note is 240 ticks = 0.25 s.
    let steps = seconds * 4;
    for step in 0..steps {
        for channel in 0u8..16 {
            let key = if channel == 9 {
                36 + (step % 8) as u8
            } else {
                48 + channel + (step % 12) as u8
            };
            track.push((0, vec![0x90 | channel, key, 80]));
        }
        for channel in 0u8..16 {
            let key = if channel == 9 {
                36 + (step % 8) as u8
            } else {
                48 + channel + (step % 12) as u8
            };
            let delta = if channel == 0 { 240 } else { 0 };
            track.push((delta, vec![0x80 | channel, key, 0]));
        }
    }
    std::fs::write(path, smf::testing::file(0, 480, &[track])).expect("write MIDI");
}

/// The best of three whole-process runs of `pycarla render` with `args`.
fn best_run(pycarla: &Path, args: &[&str], output: &Path) -> Duration {
    (0..3)
        .map(|_| {
            let _ = std::fs::remove_dir_all(output);
            let _ = std::fs::remove_file(output);
            let started = Instant::now();
            let status = Command::new(pycarla)
                .args(["render", "-q", "--engine", "offline", "--sf2", SOUNDFONT])
                .args(args)
                .arg("-o")
                .arg(output)
                .status()
                .expect("pycarla");
            assert!(status.success(), "pycarla render {args:?}");
            started.elapsed()
        })
        .min()
        .expect("three runs")
}

/// Seconds for the mix alone and for the stems by channel with `--jobs 2`.
pub fn stems_cost(pycarla: &Path, scratch: &Path) -> (f64, f64) {
    let midi = scratch.join("sixteen.mid");
    sixteen_channel_file(&midi, 60);
    let midi = midi.to_str().expect("UTF-8 path");
    let mix = best_run(pycarla, &[midi], &scratch.join("sixteen.wav"));
    let stems = best_run(
        pycarla,
        &["--stems", "channel", "--jobs", "2", midi],
        &scratch.join("sixteen-stems"),
    );
    (mix.as_secs_f64(), stems.as_secs_f64())
}
