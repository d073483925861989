//! Section 12: stems against the mix alone, whole process, on a 16-channel file; section 16:
//! a batch of short files as FLAC against the same batch as WAV.

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
    best_run_with(pycarla, args, output, &[])
}

/// The same with environment variables `env` set.
fn best_run_with(pycarla: &Path, args: &[&str], output: &Path, env: &[(&str, &str)]) -> Duration {
    (0..3)
        .map(|_| {
            let _ = std::fs::remove_dir_all(output);
            let _ = std::fs::remove_file(output);
            let started = Instant::now();
            let status = Command::new(pycarla)
                .envs(env.iter().copied())
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

/// What a batch of 100 short 16-channel General MIDI files (4 s each) costs with `--jobs 2`,
/// whole process, best of three: as 16-bit WAV, as 16-bit FLAC (libFLAC where installed), and
/// as 16-bit FLAC through flacenc.
pub fn flac_cost(pycarla: &Path, scratch: &Path) -> (f64, f64, f64) {
    let inputs = scratch.join("short-files");
    std::fs::create_dir_all(&inputs).expect("input directory");
    for index in 0..100 {
        sixteen_channel_file(&inputs.join(format!("short-{index:03}.mid")), 4);
    }
    let inputs = inputs.to_str().expect("UTF-8 path");
    let run = |format: &str, env: &[(&str, &str)]| {
        best_run_with(
            pycarla,
            &["--jobs", "2", "--format", format, inputs],
            &scratch.join(format!("short-{format}")),
            env,
        )
        .as_secs_f64()
    };
    let wav = run("wav16", &[]);
    let flac = run("flac16", &[]);
    let flacenc = run("flac16", &[("PYCARLA_FLAC_ENCODER", "flacenc")]);
    (wav, flac, flacenc)
}
