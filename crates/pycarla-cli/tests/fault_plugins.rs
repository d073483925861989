//! Real plugins that misbehave (the CLAP fixtures of `crates/fault-plugins`), in batches: an
//! instrument that raises SIGSEGV on one key fails the files that play it, naming the plugin
//! and the signal, and the batch goes on (`--jobs 2 --retries 1`, offline and on JACK through
//! pycarla's Carla host); one whose `process` never returns fails its file within seconds of
//! its last block (`--stall-timeout`), as a retryable stall, and the batch goes on.
//!
//! Skipped, with a message, without a Carla that hosts CLAP (2.6 or later).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pycarla::smf::testing::single_track_file;
use pycarla_integration::{fault_plugins, pycarla, read_wav, record_carla_skip};

const CRASH: &str = "org.pycarla.fixtures.crash-on-note";
const HANG: &str = "org.pycarla.fixtures.hang-in-process";
/// The fixture's default "Crash Key".
const CRASH_KEY: u8 = 120;

/// Whether a Carla that hosts CLAP is installed.
fn clap_carla() -> bool {
    let found = pycarla::carla::carla_for(&[pycarla::carla_lib::Format::Clap]);
    if let Err(error) = &found {
        record_carla_skip(&format!("no Carla hosts CLAP: {error}"));
    }
    found.is_ok()
}

/// A file of `keys`, one note-on every half second from 0.5 s (480 ticks a beat, 120 BPM).
fn notes(dir: &Path, name: &str, keys: &[u8]) -> PathBuf {
    let mut events = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        events.push((if index == 0 { 480 } else { 360 }, vec![0x90, *key, 100]));
        events.push((120, vec![0x80, *key, 0]));
    }
    let path = dir.join(name);
    std::fs::write(&path, single_track_file(480, &events)).unwrap();
    path
}

fn manifest_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn line_for<'a>(lines: &'a [serde_json::Value], midi: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|line| line["midi"].as_str().is_some_and(|m| m.ends_with(midi)))
        .unwrap_or_else(|| panic!("no manifest line for {midi}: {lines:?}"))
}

/// Renders `inputs` into `dir/out` through `plugin` of the fixtures with `extra` options.
fn batch(
    dir: &Path,
    plugin: &str,
    inputs: &[PathBuf],
    extra: &[&str],
) -> (i32, Vec<serde_json::Value>) {
    let manifest = dir.join("manifest.jsonl");
    let _ = std::fs::remove_file(&manifest);
    let output = pycarla()
        .args(["render", "-q", "--tail", "0.5", "--plugin"])
        .arg(format!("{}#{plugin}", fault_plugins().display()))
        .args(extra)
        .arg("--manifest")
        .arg(&manifest)
        .arg("-o")
        .arg(dir.join("out"))
        .args(inputs)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        manifest_lines(&manifest),
    )
}

fn crash_batch(engine: &str) {
    if !clap_carla() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        notes(dir.path(), "before.mid", &[60, 64]),
        notes(dir.path(), "crash.mid", &[60, CRASH_KEY, 64]),
        notes(dir.path(), "after.mid", &[67, 72, 76]),
    ];
    let (code, lines) = batch(
        dir.path(),
        CRASH,
        &inputs,
        &["--engine", engine, "--jobs", "2", "--retries", "1"],
    );
    assert_eq!(code, 1, "{lines:?}");
    let crashed = line_for(&lines, "crash.mid");
    assert_eq!(crashed["status"], "failed");
    let error = crashed["error"].as_str().unwrap();
    assert!(error.contains("SIGSEGV"), "{engine}: {error}");
    assert!(
        error.contains(CRASH) || error.contains("Crash On Note"),
        "{engine}: {error}"
    );
    assert!(!dir.path().join("out/crash.wav").exists());
    for (name, keys) in [("before", 2u64), ("after", 3)] {
        let line = line_for(&lines, &format!("{name}.mid"));
        assert_eq!(line["status"], "rendered", "{engine}: {line}");
        // Each note-on starts a full-level cosine on its own frame: 24000, then every 24000.
        let wav = read_wav(&dir.path().join(format!("out/{name}.wav")));
        let channel = &wav.channels[0];
        let onsets: Vec<u64> = (1..channel.len())
            .filter(|&i| channel[i] != 0.0 && channel[i - 1] == 0.0)
            .map(|i| i as u64)
            .collect();
        let expected: Vec<u64> = (1..=keys).map(|k| k * 24_000).collect();
        assert_eq!(onsets, expected, "{engine}: {name}");
    }
}

#[test]
fn a_plugin_that_crashes_on_a_note_fails_its_file_and_the_batch_goes_on_offline() {
    crash_batch("offline");
}

#[test]
fn a_plugin_that_crashes_on_a_note_fails_its_file_and_the_batch_goes_on_on_jack() {
    // jackd is installed wherever the tests run (.ci/run installs it); a missing one fails.
    crash_batch("jack");
}

#[test]
fn a_plugin_that_never_returns_fails_its_file_within_the_stall_timeout() {
    if !clap_carla() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The hang starts at the first note-on; a file of controllers alone renders.
    let quiet = dir.path().join("quiet.mid");
    std::fs::write(
        &quiet,
        single_track_file(480, &[(480, vec![0xB0, 7, 100]), (480, vec![0xB0, 10, 64])]),
    )
    .unwrap();
    let inputs = [notes(dir.path(), "hangs.mid", &[60, 64]), quiet];
    let started = Instant::now();
    let (code, lines) = batch(
        dir.path(),
        HANG,
        &inputs,
        &[
            "--engine",
            "offline",
            "--jobs",
            "2",
            "--retries",
            "1",
            "--stall-timeout",
            "2",
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(code, 1, "{lines:?}");
    let hung = line_for(&lines, "hangs.mid");
    assert_eq!(hung["status"], "failed");
    let error = hung["error"].as_str().unwrap();
    assert!(error.contains("stopped making progress"), "{error}");
    assert!(error.contains(HANG) || error.contains("Hang"), "{error}");
    assert_eq!(line_for(&lines, "quiet.mid")["status"], "rendered");
    // Two attempts of 2 s each and their workers' start, not the whole-render timeout
    // (a minute and more).
    assert!(elapsed < Duration::from_secs(40), "{elapsed:?}");
}
