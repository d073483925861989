//! Onsets through fluidsynth, the JACK fallback for SoundFonts on machines without Carla.
//! fluidsynth's JACK driver starts a note at the start of the period it falls in, not at its
//! frame: the fallback keeps the period at 64 frames unless told otherwise, and the onsets CSV
//! says by how much notes may come early. Measured against the same SoundFont rendered by
//! Carla's library (the same FluidSynth, fed every event at its frame).

use std::path::Path;

use pycarla_integration::{carla_installed, pycarla, read_wav};

const GM: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// 40 claves hits (GM percussion key 75, a sharp attack) half a second apart, each at another
/// offset within a period.
fn claves(path: &Path) {
    let mut events = Vec::new();
    let mut last = 0u32;
    for i in 0..40u32 {
        let tick = 480 + i * 480 + (i * 37) % 97;
        events.push((tick - last, vec![0x99, 75, 127]));
        events.push((48, vec![0x89, 75, 0]));
        last = tick + 48;
    }
    std::fs::write(path, smf::testing::file(0, 480, &[events])).unwrap();
}

/// The first frame of each hit: where the left channel first passes 0.02 after the previous
/// hit has died down (hits are 24,000 frames apart).
fn detected_onsets(wav: &Path, expected: &[u64]) -> Vec<i64> {
    let left = &read_wav(wav).channels[0];
    expected
        .iter()
        .map(|&frame| {
            let from = frame.saturating_sub(4_000) as usize;
            let found = (from..left.len())
                .find(|&i| left[i].abs() > 0.02)
                .unwrap_or_else(|| panic!("no hit near frame {frame}"));
            found as i64
        })
        .collect()
}

fn csv_frames(csv: &Path) -> (String, Vec<u64>) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let frames = lines
        .map(|line| line.split(',').next().unwrap().parse().unwrap())
        .collect();
    (header, frames)
}

#[test]
fn the_fluidsynth_fallback_keeps_onsets_within_64_frames_and_says_so() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let midi = dir.path().join("claves.mid");
    claves(&midi);
    // The reference: Carla's library plays every event at its frame.
    let (reference, reference_csv) = (dir.path().join("ref.wav"), dir.path().join("ref.csv"));
    pycarla()
        .args([
            "render", "-q", "--engine", "offline", "--sf2", GM, "--onsets",
        ])
        .arg(&reference_csv)
        .arg(&midi)
        .arg("-o")
        .arg(&reference)
        .assert()
        .success();
    // A machine without Carla: jackd and fluidsynth only.
    let bin = tempfile::tempdir().unwrap();
    for program in ["jackd", "fluidsynth"] {
        std::os::unix::fs::symlink(format!("/usr/bin/{program}"), bin.path().join(program))
            .unwrap();
    }
    let (fallback, fallback_csv) = (dir.path().join("fs.wav"), dir.path().join("fs.csv"));
    pycarla()
        .env("PATH", bin.path())
        .env("XDG_DATA_HOME", bin.path())
        .env("PYCARLA_CARLA_LIBDIR", bin.path())
        .args(["render", "-q", "--sf2", GM, "--onsets"])
        .arg(&fallback_csv)
        .arg(&midi)
        .arg("-o")
        .arg(&fallback)
        .assert()
        .success();
    let (header, frames) = csv_frames(&fallback_csv);
    assert_eq!(
        header,
        "frame,seconds,channel,note,velocity,synth_early_by_up_to"
    );
    assert!(
        std::fs::read_to_string(&fallback_csv)
            .unwrap()
            .lines()
            .skip(1)
            .all(|line| line.ends_with(",64"))
    );
    let (_, reference_frames) = csv_frames(&reference_csv);
    assert_eq!(frames, reference_frames);
    let exact = detected_onsets(&reference, &frames);
    let through_fluidsynth = detected_onsets(&fallback, &frames);
    let errors: Vec<i64> = through_fluidsynth
        .iter()
        .zip(&exact)
        .map(|(fs, exact)| fs - exact)
        .collect();
    assert!(
        errors.iter().all(|error| error.abs() <= 64),
        "onset errors through fluidsynth: {errors:?}"
    );
}
