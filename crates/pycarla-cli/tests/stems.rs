//! Datasets on the offline engine (real Carla, FluidR3 GM, Kars): stems by channel and by
//! program (counts, exact lengths, mix = sum), instrument maps chosen by seed, variants, FLAC
//! and loudness normalisation. Skipped, with a message, where Carla is not installed.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use pycarla_integration::{
    carla_installed, expected_frames, midi, pycarla_exe, pycarla_render, read_wav,
};

const GM: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
const KARS: &str = "http://distrho.sf.net/plugins/Kars";

fn pycarla() -> Command {
    pycarla_render(["-q", "--engine", "offline", "--tail", "1"])
}

fn metadata(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("metadata.json")).expect("metadata.json");
    serde_json::from_str(&text).expect("JSON")
}

/// Every stem has the mix's length and channels, and the mix is their sample-wise sum.
fn assert_mix_is_the_sum(dir: &Path, stems: usize, frames: u64) {
    let meta = metadata(dir);
    let files: Vec<String> = meta["stems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), stems, "{meta}");
    assert_eq!(meta["frames"], frames);
    let mix = read_wav(&dir.join("mix.wav"));
    assert_eq!(mix.channels[0].len() as u64, frames);
    let mut sum = vec![vec![0.0f32; frames as usize]; mix.channels.len()];
    for file in &files {
        let stem = read_wav(&dir.join(file));
        assert_eq!(stem.channels.len(), mix.channels.len(), "{file}");
        assert_eq!(stem.channels[0].len() as u64, frames, "{file}");
        assert!(
            stem.channels[0].iter().any(|s| *s != 0.0),
            "{file} is silent"
        );
        for (total, channel) in sum.iter_mut().zip(&stem.channels) {
            for (t, s) in total.iter_mut().zip(channel) {
                *t += s;
            }
        }
    }
    for (total, channel) in sum.iter().zip(&mix.channels) {
        assert!(total == channel, "the mix is not the sum of the stems");
    }
}

#[test]
fn stems_by_channel_and_by_program_have_exact_lengths_and_sum_to_the_mix() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let song = midi("k525short.mid");
    let frames = expected_frames(&song, 1, 48_000);
    // Five channels, all playing General MIDI program 48 (String Ensemble 1).
    let by_channel = dir.path().join("by-channel");
    pycarla()
        .args(["--sf2", GM, "--stems", "channel", "--jobs", "2", "-o"])
        .arg(&by_channel)
        .arg(&song)
        .assert()
        .success();
    assert_mix_is_the_sum(&by_channel, 5, frames);
    let meta = metadata(&by_channel);
    assert_eq!(meta["split"], "channel");
    assert_eq!(meta["stems"][0]["file"], "ch01.wav");
    assert_eq!(meta["stems"][0]["channels"], serde_json::json!([1]));
    assert_eq!(meta["stems"][0]["programs"], serde_json::json!([48]));
    assert_eq!(meta["stems"][0]["notes"], 45);
    assert_eq!(meta["stems"][0]["midi_program_name"], "String Ensemble 1");
    assert_eq!(meta["stems"][0]["inst_class"], "Strings (continued)");

    let by_program = dir.path().join("by-program");
    pycarla()
        .args(["--sf2", GM, "--stems", "program", "-o"])
        .arg(&by_program)
        .arg(&song)
        .assert()
        .success();
    assert_mix_is_the_sum(&by_program, 1, frames);
    assert_eq!(metadata(&by_program)["stems"][0]["file"], "program048.wav");
    assert!(!dir.path().join("by-program.partial").exists());
}

#[test]
fn a_map_with_a_seed_chooses_the_same_instruments_twice() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        format!("[[rule]]\nprogram = 48\nchoose = [\"{GM}\", \"{KARS}\"]\n"),
    )
    .unwrap();
    let instruments = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        pycarla()
            .args(["--sf2", GM, "--stems", "channel", "--map"])
            .arg(&map)
            .args(["--seed", seed, "--jobs", "2", "-o"])
            .arg(&out)
            .arg(midi("k525short.mid"))
            .assert()
            .success();
        let meta = metadata(&out);
        assert_eq!(meta["seed"], seed.parse::<u64>().unwrap());
        meta["stems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["instrument"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first = instruments("a", "7");
    assert_eq!(first, instruments("b", "7"));
    assert!(first.iter().all(|i| i == GM || i == KARS), "{first:?}");
}

#[test]
fn a_wrong_map_is_refused_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "[[rule]]\nprogram = 48\nplugin = \"a.sf2\"\nloud = true\n",
    )
    .unwrap();
    pycarla_integration::pycarla()
        .args(["render", "--stems", "program", "--map"])
        .arg(&map)
        .arg(midi("test01.mid"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("map.toml:4:").and(predicate::str::contains("loud")));
}

#[test]
fn flac_decodes_to_the_exact_frames_of_the_wav_and_variants_name_their_outputs() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let song = midi("test01.mid");
    pycarla()
        .args([
            "--format",
            "wav24",
            "--variant",
            &format!("gm={GM}"),
            "--variant",
        ])
        .arg(format!("kars={KARS}"))
        .arg("-o")
        .arg(dir.path())
        .arg(&song)
        .assert()
        .success();
    pycarla()
        .args(["--format", "flac24", "--variant", &format!("gm={GM}"), "-o"])
        .arg(dir.path())
        .arg(&song)
        .assert()
        .success();
    let wav = read_wav(&dir.path().join("test01.gm.wav"));
    assert!(dir.path().join("test01.kars.wav").is_file());
    let mut flac = claxon::FlacReader::open(dir.path().join("test01.gm.flac")).unwrap();
    let frames = expected_frames(&song, 1, 48_000);
    assert_eq!(flac.streaminfo().samples, Some(frames));
    let decoded: Vec<i32> = flac.samples().map(Result::unwrap).collect();
    let channels = wav.channels.len();
    for (index, sample) in decoded.iter().enumerate() {
        let from_wav = wav.channels[index % channels][index / channels];
        assert_eq!(*sample as f32 / 8_388_608.0, from_wav, "sample {index}");
    }
}

#[test]
fn normalised_outputs_reach_the_loudness_asked_for() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("song");
    pycarla()
        .args([
            "--sf2",
            GM,
            "--stems",
            "channel",
            "--normalize",
            "-20",
            "-o",
        ])
        .arg(&out)
        .arg(midi("k525short.mid"))
        .assert()
        .success();
    let meta = metadata(&out);
    assert_eq!(meta["normalize_lufs"], -20.0);
    assert!(meta["mix_gain_db"].is_number());
    for file in ["mix.wav", "ch02.wav"] {
        let wav = read_wav(&out.join(file));
        let mut meter = ebur128::EbuR128::new(2, 48_000, ebur128::Mode::I).unwrap();
        let interleaved: Vec<f32> = (0..wav.channels[0].len())
            .flat_map(|i| [wav.channels[0][i], wav.channels[1][i]])
            .collect();
        meter.add_frames_f32(&interleaved).unwrap();
        let lufs = meter.loudness_global().unwrap();
        assert!((lufs + 20.0).abs() < 0.1, "{file}: {lufs} LUFS");
    }
}

#[test]
fn a_batch_interrupted_by_sigint_resumes_rendering_only_what_is_missing() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("midi");
    std::fs::create_dir(&inputs).unwrap();
    for name in ["k525short", "test01", "test03", "test06", "test19"] {
        std::fs::copy(
            midi(&format!("{name}.mid")),
            inputs.join(format!("{name}.mid")),
        )
        .unwrap();
    }
    let (out, manifest) = (dir.path().join("out"), dir.path().join("manifest.jsonl"));
    let batch = || {
        let mut command = std::process::Command::new(pycarla_exe());
        command
            .args([
                "render", "-q", "--engine", "offline", "--tail", "1", "--sf2", GM,
            ])
            .arg(&inputs)
            .arg("-o")
            .arg(&out)
            .arg("--manifest")
            .arg(&manifest);
        command
    };
    let mut first = batch().spawn().unwrap();
    // Interrupt once the first file is complete, while another renders.
    let started = std::time::Instant::now();
    while !out.join("k525short.wav").exists() {
        assert!(started.elapsed().as_secs() < 120, "no output appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(first.id() as i32, libc::SIGINT) };
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let done_first: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".wav"))
        .collect();
    assert!(
        done_first.len() < 5,
        "the interrupt came too late: {done_first:?}"
    );

    let second = batch().arg("--skip-existing").status().unwrap();
    assert!(second.success());
    let text = std::fs::read_to_string(&manifest).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let with_status = |status: &str| {
        let mut names: Vec<String> = lines
            .iter()
            .filter(|line| line["status"] == status)
            .map(|line| {
                line["midi"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        names.sort();
        names
    };
    let rendered = with_status("rendered");
    let skipped = with_status("skipped");
    // Every file rendered exactly once over both runs; the second run skipped exactly what the
    // first completed.
    assert_eq!(
        rendered,
        [
            "k525short.mid",
            "test01.mid",
            "test03.mid",
            "test06.mid",
            "test19.mid"
        ]
    );
    let mut expected_skips: Vec<String> = done_first
        .iter()
        .map(|name| name.replace(".wav", ".mid"))
        .collect();
    expected_skips.sort();
    assert_eq!(skipped, expected_skips);
    for name in ["k525short", "test01", "test03", "test06", "test19"] {
        let wav = read_wav(&out.join(format!("{name}.wav")));
        assert_eq!(
            wav.channels[0].len() as u64,
            expected_frames(&midi(&format!("{name}.mid")), 1, 48_000),
            "{name}"
        );
    }
}

#[test]
fn stems_metadata_counts_clipped_samples_and_an_integer_format_warns() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    pycarla()
        .args(["--sf2", GM, "--stems", "channel", "--format", "wav16", "-o"])
        .arg(&plain)
        .arg(midi("test01.mid"))
        .assert()
        .success();
    let meta = metadata(&plain);
    assert_eq!(meta["mix_clipped_samples"], 0);
    assert!(meta["mix_peak_dbfs"].as_f64().unwrap() < 0.0);
    for stem in meta["stems"].as_array().unwrap() {
        assert_eq!(stem["clipped_samples"], 0, "{stem}");
        assert_eq!(stem["silent_note_ons"], 0, "{stem}");
        assert!(stem["peak_dbfs"].is_number(), "{stem}");
    }
    // 40 dB too loud into 16 bits: counted per file, and said on stderr (not quiet).
    let loud = dir.path().join("loud");
    let output = pycarla_integration::pycarla()
        .args(["render", "--engine", "offline", "--tail", "1", "--sf2", GM])
        .args([
            "--stems", "channel", "--format", "wav16", "--gain", "40", "-o",
        ])
        .arg(&loud)
        .arg(midi("test01.mid"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).to_string();
    assert!(stderr.contains("samples clipped"), "{stderr}");
    let meta = metadata(&loud);
    assert!(meta["mix_clipped_samples"].as_u64().unwrap() > 0);
    assert!(meta["mix_peak_dbfs"].as_f64().unwrap() > 0.0);
}

#[test]
fn map_rules_and_variants_carry_plugin_settings() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A map rule's settings reach the parts it chooses for, and their metadata.
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        format!("[[rule]]\nprogram = 48\nplugin = \"{KARS}\"\nparams = {{ Volume = 37.5 }}\n"),
    )
    .unwrap();
    let out = dir.path().join("stems");
    pycarla()
        .args(["--sf2", GM, "--stems", "channel", "--map"])
        .arg(&map)
        .arg("-o")
        .arg(&out)
        .arg(midi("k525short.mid"))
        .assert()
        .success();
    let meta = metadata(&out);
    let stems = meta["stems"].as_array().unwrap();
    let mapped: Vec<&serde_json::Value> =
        stems.iter().filter(|s| s["instrument"] == KARS).collect();
    assert!(!mapped.is_empty(), "{stems:?}");
    for stem in &mapped {
        assert_eq!(stem["params"][0]["params"]["Volume"], 37.5, "{stem}");
    }
    for stem in stems.iter().filter(|s| s["instrument"] != KARS) {
        assert_eq!(stem["params"][0]["params"], serde_json::json!({}), "{stem}");
    }
    // Variants of a TOML file: each its chain and settings, proved by the samples.
    let variants = dir.path().join("variants.toml");
    std::fs::write(
        &variants,
        format!(
            "[variant.soft]\nplugin = \"{KARS}\"\nparams = {{ Volume = 37.5 }}\n\n[variant.full]\nplugin = \"{KARS}\"\nparams = {{ Volume = 75 }}\n"
        ),
    )
    .unwrap();
    let manifest = dir.path().join("manifest.jsonl");
    pycarla()
        .arg("--variants")
        .arg(&variants)
        .arg("--manifest")
        .arg(&manifest)
        .arg("-o")
        .arg(dir.path())
        .arg(midi("test01.mid"))
        .assert()
        .success();
    let soft = read_wav(&dir.path().join("test01.soft.wav")).channels;
    let full = read_wav(&dir.path().join("test01.full.wav")).channels;
    let mut compared = 0;
    for (a, b) in full[0].iter().zip(&soft[0]) {
        assert!((a * 0.5 - b).abs() <= 1e-6 + 1e-5 * a.abs(), "{a} {b}");
        compared += usize::from(a.abs() > 1e-3);
    }
    assert!(compared > 1000);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let soft_line = lines.iter().find(|l| l["variant"] == "soft").unwrap();
    assert_eq!(soft_line["params"][0]["params"]["Volume"], 37.5);
}

/// A General MIDI song of the shapes public files have: a conductor track with a GS reset and
/// a tempo change, a piano on channel 1 that turns into a violin (program change mid-song) with
/// a sustain pedal, a fingered bass on channel 2 with pitch bends, and drums on channel 10.
fn band(path: &Path) {
    let conductor = vec![
        (
            0,
            vec![
                0xF0, 0x0A, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41, 0xF7,
            ],
        ),
        (0, vec![0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20]),
        (1_920, vec![0xFF, 0x51, 0x03, 0x06, 0x1A, 0x80]),
    ];
    let mut piano = vec![(0, b"\xFF\x03\x05Piano".to_vec()), (0, vec![0xC0, 0])];
    let mut bass = vec![(0, b"\xFF\x03\x04Bass".to_vec()), (0, vec![0xC1, 33])];
    let mut drums = vec![(0, b"\xFF\x03\x05Drums".to_vec())];
    for beat in 0..8u8 {
        if beat == 4 {
            piano.push((0, vec![0xC0, 40]));
        }
        piano.extend([
            (0, vec![0xB0, 64, 127]),
            (0, vec![0x90, 60 + beat, 90]),
            (240, vec![0x80, 60 + beat, 0]),
            (240, vec![0xB0, 64, 0]),
        ]);
        bass.extend([
            (0, vec![0x91, 36 + beat, 100]),
            (120, vec![0xE1, 0x00, 0x50]),
            (120, vec![0xE1, 0x00, 0x40]),
            (240, vec![0x81, 36 + beat, 0]),
        ]);
        drums.extend([(0, vec![0x99, 36, 110]), (480, vec![0x89, 36, 0])]);
    }
    let tracks = [conductor, piano, bass, drums];
    std::fs::write(path, smf::testing::file(1, 480, &tracks)).unwrap();
}

/// The note-ons of a MIDI file as (exact time, bytes), sorted.
fn note_ons(path: &Path) -> Vec<(smf::ExactTime, Vec<u8>)> {
    let timeline = smf::Timeline::from_path(path).unwrap();
    let mut notes: Vec<_> = timeline
        .events()
        .iter()
        .filter(|e| e.message.note_on().is_some())
        .map(|e| (e.time, e.message.bytes().to_vec()))
        .collect();
    notes.sort();
    notes
}

#[test]
fn stems_carry_their_own_midi_and_slakh_metadata() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let song = dir.path().join("band.mid");
    band(&song);
    let frames = expected_frames(&song, 1, 48_000);
    let out = dir.path().join("band");
    pycarla()
        .args(["--sf2", GM, "--stems", "program", "--jobs", "2", "-o"])
        .arg(&out)
        .arg(&song)
        .assert()
        .success();
    assert_mix_is_the_sum(&out, 4, frames);
    let meta = metadata(&out);
    let slakh: Vec<(String, u64, String, String, bool)> = meta["stems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["midi"].as_str().unwrap().to_string(),
                s["program_num"].as_u64().unwrap(),
                s["midi_program_name"].as_str().unwrap().to_string(),
                s["inst_class"].as_str().unwrap().to_string(),
                s["is_drum"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("program000.mid", 0, "Acoustic Grand Piano", "Piano", false),
        (
            "program033.mid",
            33,
            "Electric Bass (finger)",
            "Bass",
            false,
        ),
        ("program040.mid", 40, "Violin", "Strings", false),
        ("drums.mid", 128, "Drums", "Drums", true),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(f, p, n, c, d)| (f.to_string(), *p, n.to_string(), c.to_string(), *d))
        .collect();
    assert_eq!(slakh, expected);

    // The mix's MIDI is the file itself; the stems' MIDI share out its notes exactly, each
    // with the file's length, and hold the shared controllers and the GS reset.
    assert_eq!(meta["mix_midi"], "mix.mid");
    assert_eq!(
        std::fs::read(out.join("mix.mid")).unwrap(),
        std::fs::read(&song).unwrap()
    );
    let mut shared_out: Vec<_> = Vec::new();
    let duration = smf::Timeline::from_path(&song).unwrap().duration();
    for (stem, (file, ..)) in meta["stems"].as_array().unwrap().iter().zip(&slakh) {
        let part = smf::Timeline::from_path(out.join(file)).unwrap();
        assert_eq!(part.duration(), duration, "{file}");
        let notes = note_ons(&out.join(file));
        assert_eq!(
            notes.len() as u64,
            stem["notes"].as_u64().unwrap(),
            "{file}"
        );
        let sysex = part.events().iter().filter(|e| !e.message.is_channel());
        assert_eq!(sysex.count(), 1, "{file}: the GS reset");
        shared_out.extend(notes);
    }
    shared_out.sort();
    assert_eq!(shared_out, note_ons(&song));
    let piano = smf::Timeline::from_path(out.join("program000.mid")).unwrap();
    let pedals = piano
        .events()
        .iter()
        .filter(|e| e.message.bytes()[0] == 0xB0);
    assert_eq!(
        pedals.count(),
        16,
        "channel 1's pedal goes with both of its programs"
    );

    // Rendering a stem's MIDI alone gives that stem's samples: it holds what the stem played.
    let again = dir.path().join("drums-again.wav");
    pycarla()
        .args(["--sf2", GM, "-o"])
        .arg(&again)
        .arg(out.join("drums.mid"))
        .assert()
        .success();
    assert!(read_wav(&again).channels == read_wav(&out.join("drums.wav")).channels);
}
