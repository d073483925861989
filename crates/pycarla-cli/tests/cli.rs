//! The `pycarla` command line against real jackd, fluidsynth and the impulse instrument.

use std::collections::BTreeSet;

use assert_cmd::Command;
use predicates::prelude::*;
use pycarla_integration::*;

/// `pycarla render` with the impulse instrument as `--host-cmd`.
fn pycarla_with_impulses() -> Command {
    let mut command = pycarla();
    command
        .arg("render")
        .arg("--host-cmd")
        .arg(impulse_instrument());
    command
}

#[test]
fn every_shared_file_through_fluidsynth_has_exact_length_and_sound() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<_> = SHARED.iter().map(|name| midi(name)).collect();
    pycarla()
        .args([
            "render",
            "--sf2",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
            "-o",
        ])
        .arg(dir.path())
        .args(&inputs)
        .assert()
        .success()
        .stderr("");
    for input in &inputs {
        let stem = input.file_stem().unwrap().to_string_lossy();
        let wav = read_wav(&dir.path().join(format!("{stem}.wav")));
        assert_eq!(wav.spec.sample_rate, 48_000);
        assert_eq!(wav.spec.channels, 2);
        assert_eq!(wav.spec.sample_format, hound::SampleFormat::Float);
        for channel in &wav.channels {
            assert_eq!(
                channel.len() as u64,
                expected_frames(input, 2, 48_000),
                "{stem}"
            );
            assert!(channel.iter().any(|s| s.abs() > 0.01), "{stem} is silent");
        }
    }
}

#[test]
fn onsets_csv_frames_equal_the_impulse_frames() {
    // At 256 the private server runs at the render's period; at 1024 and 4096 it starts at 256
    // and each render switches to the period asked for and back (two files: back and forth).
    for period in ["256", "1024", "4096"] {
        let dir = tempfile::tempdir().unwrap();
        pycarla_with_impulses()
            .args([midi("k525short.mid"), midi("test19.mid")])
            .arg("-o")
            .arg(dir.path())
            .arg("--onsets")
            .arg(dir.path().join("x.csv"))
            .args(["--period", period, "--tail", "0.5"])
            .assert()
            .success();
        for name in ["k525short", "test19"] {
            let text = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("frame,seconds,channel,note,velocity"));
            let csv_frames: BTreeSet<u64> = lines
                .map(|line| line.split(',').next().unwrap().parse().unwrap())
                .collect();
            let wav = read_wav(&dir.path().join(format!("{name}.wav")));
            let impulses: BTreeSet<u64> = impulse_frames(&wav.channels[0]).into_iter().collect();
            assert!(!impulses.is_empty());
            assert_eq!(csv_frames, impulses, "{name} at period {period}");
        }
    }
}

/// `--server`: a server somebody else runs, with their synth on it. Every onset lands on its
/// frame at a small and a large period, file after file (the server freewheels from one to the
/// next) and command after command, and the server is left as it was found: running, out of
/// freewheel (a freewheeling jackd refuses new clients, so the next command would fail), with
/// none of our clients left.
#[test]
fn renders_on_a_server_the_user_runs_and_leaves_it_as_found() {
    impulse_instrument();
    for period in [256, 4096] {
        let server = pycarla_integration::TestServer::start(period);
        let synth = server.host(pycarla_integration::impulse_host());
        for (round, names) in [&["test19", "k525short"][..], &["test19"]]
            .iter()
            .enumerate()
        {
            let dir = tempfile::tempdir().unwrap();
            // One input names its files; several write `<stem>.wav` and `<stem>.csv` each.
            let (output, onsets) = match names {
                [one] => (
                    dir.path().join(format!("{one}.wav")),
                    dir.path().join(format!("{one}.csv")),
                ),
                _ => (dir.path().to_path_buf(), dir.path().join("x.csv")),
            };
            pycarla()
                .args(["render", "-q", "--server", &server.name, "--tail", "0.5"])
                .args(names.iter().map(|name| midi(&format!("{name}.mid"))))
                .arg("-o")
                .arg(output)
                .arg("--onsets")
                .arg(onsets)
                .assert()
                .success();
            for name in *names {
                let text = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
                let csv_frames: BTreeSet<u64> = text
                    .lines()
                    .skip(1)
                    .map(|line| line.split(',').next().unwrap().parse().unwrap())
                    .collect();
                let wav = read_wav(&dir.path().join(format!("{name}.wav")));
                let impulses: BTreeSet<u64> =
                    impulse_frames(&wav.channels[0]).into_iter().collect();
                assert!(!impulses.is_empty());
                assert_eq!(
                    csv_frames, impulses,
                    "period {period}, command {round}, {name}"
                );
            }
        }
        assert!(synth.is_alive() && server.server().is_alive());
        let listed = pycarla()
            .args(["ports", "--server", &server.name])
            .assert()
            .success();
        let ports = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
        assert!(ports.contains("Carla:events-in"), "{ports}");
        let ours: Vec<&str> = ports
            .lines()
            .filter(|port| !port.starts_with("system:") && !port.starts_with("Carla:"))
            .collect();
        assert!(ours.is_empty(), "left on the server: {ours:?}");
    }
}

#[test]
fn two_jobs_give_the_same_files_as_one() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let inputs: Vec<_> = ["test01.mid", "test06.mid", "test19.mid", "k525short.mid"]
        .iter()
        .map(|name| midi(name))
        .collect();
    for (dir, jobs) in [(&one, "1"), (&two, "2")] {
        pycarla_with_impulses()
            .args(["--jobs", jobs, "--tail", "0.25", "-o"])
            .arg(dir.path())
            .args(&inputs)
            .assert()
            .success();
    }
    for input in &inputs {
        let name = format!("{}.wav", input.file_stem().unwrap().to_string_lossy());
        let a = std::fs::read(one.path().join(&name)).unwrap();
        let b = std::fs::read(two.path().join(&name)).unwrap();
        assert!(a == b, "{name} differs between --jobs 1 and --jobs 2");
    }
}

#[test]
fn tail_auto_ends_after_half_a_second_of_silence() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    pycarla_with_impulses()
        .arg(midi("test01.mid"))
        .args(["--tail", "auto", "-o"])
        .arg(&wav)
        .assert()
        .success();
    // The impulse instrument is silent between impulses: the file ends exactly half a second
    // after the end of the MIDI.
    let frames = read_wav(&wav).channels[0].len() as u64;
    assert_eq!(
        frames,
        expected_frames(&midi("test01.mid"), 0, 48_000) + 24_000
    );
}

#[test]
fn integer_formats_and_sample_rate() {
    let dir = tempfile::tempdir().unwrap();
    for (format, bits) in [("wav16", 16), ("wav24", 24)] {
        let wav = dir.path().join(format!("{format}.wav"));
        pycarla_with_impulses()
            .arg(midi("test01.mid"))
            .args([
                "--format",
                format,
                "--sample-rate",
                "44100",
                "--tail",
                "1",
                "-o",
            ])
            .arg(&wav)
            .assert()
            .success();
        let read = read_wav(&wav);
        assert_eq!(read.spec.bits_per_sample, bits);
        assert_eq!(read.spec.sample_rate, 44_100);
        assert_eq!(
            read.channels[0].len() as u64,
            expected_frames(&midi("test01.mid"), 1, 44_100)
        );
    }
}

#[test]
fn one_note() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("c4.wav");
    pycarla()
        .args([
            "note",
            "60",
            "--velocity",
            "100",
            "--duration",
            "0.5",
            "--tail",
            "1",
        ])
        .arg("--host-cmd")
        .arg(impulse_instrument())
        .arg("-o")
        .arg(&wav)
        .assert()
        .success();
    let read = read_wav(&wav);
    assert_eq!(read.channels[0].len(), 72_000);
    assert_eq!(impulse_frames(&read.channels[0]), [0]);
    assert!((read.channels[0][0] - 100.0 / 127.0).abs() < 1e-6);
}

#[test]
fn duration_prints_seconds() {
    pycarla()
        .arg("duration")
        .arg(midi("test01.mid"))
        .assert()
        .success()
        .stdout("3.96875\n");
    pycarla()
        .arg("duration")
        .arg(midi("test01.mid"))
        .arg(midi("test06.mid"))
        .assert()
        .success()
        .stdout(predicate::str::contains("test01.mid\t3.96875\n"))
        .stdout(predicate::str::contains("test06.mid\t32.02604166666"));
}

// Error paths: exit code non-zero, one line saying what failed, for which file, what to do.

#[test]
fn bad_midi_in_a_batch_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.mid");
    std::fs::write(&garbage, b"this is not MIDI").unwrap();
    let out = dir.path().join("out");
    pycarla_with_impulses()
        .args(["--tail", "0.1", "-o"])
        .arg(&out)
        .arg(&garbage)
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("garbage.mid").and(predicate::str::contains("MThd")));
    assert!(
        out.join("test01.wav").is_file(),
        "the good file is still rendered"
    );
    assert!(!out.join("garbage.wav").exists());
}

#[test]
fn missing_midi_file_is_named() {
    pycarla_with_impulses()
        .arg("/nonexistent/song.mid")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/song.mid"));
}

#[test]
fn missing_soundfont_is_named() {
    pycarla()
        .args(["render", "--sf2", "/nonexistent/piano.sf2"])
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/piano.sf2"));
}

#[test]
fn missing_jackd_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    pycarla()
        .env("PATH", dir.path())
        .args([
            "render",
            "--engine",
            "jack",
            "--sf2",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        ])
        .arg(midi("test01.mid"))
        .arg("-o")
        .arg(dir.path().join("x.wav"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("apt-get install"));
}

#[test]
fn host_that_never_becomes_ready_times_out_with_its_output() {
    pycarla()
        .args([
            "render",
            "--host-cmd",
            "sh -c 'echo warming-up >&2; sleep 30'",
        ])
        .args(["--ready-timeout", "1"])
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not ready").and(predicate::str::contains("warming-up")));
}

/// `--server` naming no running server: the synth the user runs there, or a host we start
/// there, fails with the server named, and nothing is written.
#[test]
fn a_server_that_does_not_run_is_named_and_nothing_is_written() {
    let impulses = impulse_instrument();
    for host in [None, Some(impulses)] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = pycarla();
        command.args(["render", "-q", "--server", "pycarla-test-no-such-server"]);
        if let Some(host) = &host {
            command.arg("--host-cmd").arg(host);
        }
        command
            .arg("-o")
            .arg(dir.path())
            .arg(midi("test01.mid"))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "cannot reach JACK server `pycarla-test-no-such-server`",
            ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn jobs_with_server_is_a_usage_error() {
    pycarla()
        .args(["render", "--server", "x", "--jobs", "2"])
        .arg(midi("test01.mid"))
        .arg(midi("test06.mid"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--jobs"));
}

#[test]
fn bad_tail_is_a_usage_error() {
    pycarla()
        .args(["render", "--tail=-1"])
        .arg(midi("test01.mid"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--tail"));
}

#[test]
fn default_path_through_carla_when_carla_is_installed() {
    // A `Carla` on PATH that is really the impulse instrument (it takes Carla's command line,
    // registers Carla's ports and prints "Carla ready!"): a SoundFont then goes through Carla,
    // with a generated project, and every note still lands on its frame.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(impulse_instrument(), bin.path().join("Carla")).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    let (wav, csv) = (dir.path().join("c.wav"), dir.path().join("c.csv"));
    pycarla()
        .env("PATH", path)
        .env("XDG_DATA_HOME", dir.path()) // no Carla installed by `pycarla download`
        // Carla's executable without its library: its front end plays (else pycarla's own host).
        .env("PYCARLA_CARLA_LIBDIR", dir.path())
        .args([
            "render",
            "--engine",
            "jack",
            "--sf2",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
            "--tail",
            "0.5",
        ])
        .arg(midi("test01.mid"))
        .arg("-o")
        .arg(&wav)
        .arg("--onsets")
        .arg(&csv)
        .assert()
        .success();
    let onsets: BTreeSet<u64> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let impulses: BTreeSet<u64> = impulse_frames(&read_wav(&wav).channels[0])
        .into_iter()
        .collect();
    assert_eq!(onsets, impulses, "rendered through the Carla path");
}

#[test]
fn download_installs_a_verified_local_archive() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("Carla-2.5.10");
    std::fs::create_dir_all(&tree).unwrap();
    let exe = tree.join("Carla");
    std::fs::write(&exe, "#!/bin/sh\n").unwrap();
    std::process::Command::new("chmod")
        .arg("755")
        .arg(&exe)
        .status()
        .unwrap();
    let archive = dir.path().join("carla.tar.xz");
    let status = std::process::Command::new("tar")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .arg("Carla-2.5.10")
        .status()
        .unwrap();
    assert!(status.success());
    let dest = dir.path().join("install");
    // Without a hash: refused, with what to do.
    pycarla()
        .args(["download", "--version", "2.5.10", "--from-file"])
        .arg(&archive)
        .arg("--dest")
        .arg(&dest)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--sha256"));
    assert!(!dest.exists());
    // With the wrong hash: refused.
    pycarla()
        .args([
            "download",
            "--version",
            "2.5.10",
            "--sha256",
            &"0".repeat(64),
            "--from-file",
        ])
        .arg(&archive)
        .arg("--dest")
        .arg(&dest)
        .assert()
        .code(1);
    assert!(!dest.exists());
    // Trust on first use: installed, the hash printed, the executable's path on stdout.
    pycarla()
        .args([
            "download",
            "--version",
            "2.5.10",
            "--trust-on-first-use",
            "--from-file",
        ])
        .arg(&archive)
        .arg("--dest")
        .arg(&dest)
        .assert()
        .success()
        .stdout(predicate::str::contains("Carla"))
        .stderr(predicate::str::contains("SHA-256"));
    assert!(dest.is_dir());
}

#[test]
fn missing_synth_says_how_to_install_it() {
    // jackd is there, fluidsynth is not: the SoundFont cannot be played.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/bin/jackd", bin.path().join("jackd")).unwrap();
    pycarla()
        .env("PATH", bin.path())
        .env("XDG_DATA_HOME", bin.path())
        .env("PYCARLA_CARLA_LIBDIR", bin.path()) // no Carla's library either
        .args([
            "render",
            "--engine",
            "jack",
            "--sf2",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        ])
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("fluidsynth")
                .and(predicate::str::contains("apt-get install fluidsynth")),
        );
}

#[test]
fn without_carla_a_soundfont_falls_back_to_jack_and_a_plugin_chain_says_what_is_missing() {
    // An empty library directory stands for a machine without Carla.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("fallback.wav");
    pycarla()
        .env("PYCARLA_CARLA_LIBDIR", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .args([
            "render",
            "-q",
            "--sf2",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
            "--tail",
            "0.2",
        ])
        .arg(midi("test01.mid"))
        .arg("-o")
        .arg(&wav)
        .assert()
        .success();
    assert!(read_wav(&wav).channels[0].iter().any(|s| *s != 0.0));
    pycarla()
        .env("PYCARLA_CARLA_LIBDIR", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .args(["render", "--plugin", "http://distrho.sf.net/plugins/Kars"])
        .arg(midi("test01.mid"))
        .arg("-o")
        .arg(dir.path().join("x.wav"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("Carla is not installed")
                .and(predicate::str::contains("libcarla_host-plugin.so")),
        );
}

#[test]
fn jalv_ports_are_found_by_type_whatever_the_plugin_names_them() {
    // Kars names its ports `lv2_events_in` and `lv2_audio_out_1` (mono), mda's `event_in` and
    // `left_out`/`right_out`: both play on the JACK engine.
    let dir = tempfile::tempdir().unwrap();
    for (uri, channels) in [
        ("http://distrho.sf.net/plugins/Kars", 1),
        ("http://drobilla.net/plugins/mda/Piano", 2),
    ] {
        let wav = dir.path().join("jalv.wav");
        pycarla()
            .args([
                "render", "-q", "--engine", "jack", "--tail", "0.5", "--lv2", uri,
            ])
            .arg(midi("test01.mid"))
            .arg("-o")
            .arg(&wav)
            .assert()
            .success();
        let audio = read_wav(&wav);
        assert_eq!(audio.channels.len(), channels, "{uri}");
        assert!(
            audio.channels[0].iter().any(|s| s.abs() > 0.001),
            "{uri} is silent"
        );
    }
}

#[test]
fn doctor_reports_every_carla_and_says_what_is_missing() {
    let report = pycarla().args(["doctor", "--json"]).assert().success();
    let json: serde_json::Value =
        serde_json::from_slice(&report.get_output().stdout).expect("JSON");
    for found in json["carla"].as_array().expect("a list") {
        let path = found["path"].as_str().unwrap();
        assert!(std::path::Path::new(path).is_file(), "{path}");
        assert!(
            found["formats"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "lv2")
        );
        assert!(
            found["version"].as_str().unwrap().starts_with('2'),
            "{found}"
        );
    }
    // An empty library directory stands for a machine without Carla: the report says so, with
    // the packages that bring it, and the default instrument goes to JACK.
    let dir = tempfile::tempdir().unwrap();
    let report = pycarla()
        .env("PYCARLA_CARLA_LIBDIR", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .args(["doctor"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&report.get_output().stdout).to_string();
    assert!(text.contains("carla: none found"), "{text}");
    assert!(
        text.contains("missing Carla") && text.contains("pacman -S carla"),
        "{text}"
    );
    assert!(
        text.contains("engine for the default instrument: jack"),
        "{text}"
    );
}
