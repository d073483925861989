//! `pycarla render` on the offline engine (real Carla, real Debian plugins): a `--jobs` batch
//! gives every file the samples it has alone, and load errors print one line. Skipped, with a
//! message, where Carla is not installed.

use assert_cmd::Command;
use predicates::prelude::*;
use pycarla_integration::support::{carla_installed, midi, read_wav};

fn pycarla() -> Command {
    Command::cargo_bin("pycarla").expect("binary")
}

#[test]
fn a_parallel_batch_gives_each_file_the_samples_it_has_alone() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("alone.wav");
    pycarla()
        .args(["render", "-q", "--engine", "offline", "-o"])
        .arg(&alone)
        .arg(midi("test06.mid"))
        .assert()
        .success();
    // test19 changes programs and controllers; whichever worker renders test06 after it, or
    // beside it, test06 must not inherit them.
    let batch = dir.path().join("batch");
    pycarla()
        .args(["render", "-q", "--engine", "offline", "--jobs", "2", "-o"])
        .arg(&batch)
        .args([midi("test19.mid"), midi("test03.mid"), midi("test06.mid")])
        .assert()
        .success();
    assert_eq!(
        read_wav(&alone).channels,
        read_wav(&batch.join("test06.wav")).channels
    );
}

#[test]
fn an_effect_given_as_the_instrument_fails_on_one_line() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pycarla()
        .args([
            "render",
            "-q",
            "--plugin",
            "/usr/lib/ladspa/MVerb-ladspa.so",
            "-o",
        ])
        .arg(dir.path().join("x.wav"))
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("has no MIDI input")
                .and(predicate::str::contains("\n").count(1)),
        );
    assert!(!dir.path().join("x.wav").exists());
}
