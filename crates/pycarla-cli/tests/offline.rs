//! `pycarla render` on the offline engine (real Carla, real Debian plugins): a `--jobs` batch
//! gives every file the samples it has alone, and load errors print one line. Skipped, with a
//! message, where Carla is not installed.

use predicates::prelude::*;
use pycarla_integration::{carla_installed, midi, pycarla, read_wav};

/// `pycarla render -q ARGS… -o DIR/x.wav test01.mid`, which must fail on one line (exit 1).
fn refused(args: &[&str], dir: &std::path::Path) -> assert_cmd::assert::Assert {
    pycarla()
        .args(["render", "-q"])
        .args(args)
        .arg("-o")
        .arg(dir.join("x.wav"))
        .arg(midi("test01.mid"))
        .assert()
        .code(1)
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
    refused(&["--plugin", "/usr/lib/ladspa/MVerb-ladspa.so"], dir.path()).stderr(
        predicate::str::contains("has no MIDI input").and(predicate::str::contains("\n").count(1)),
    );
    assert!(!dir.path().join("x.wav").exists());
}

#[test]
fn plugin_says_what_carla_sees_and_set_is_recorded_in_the_manifest() {
    if !carla_installed() {
        return;
    }
    let kars = "http://distrho.sf.net/plugins/Kars";
    let output = pycarla()
        .args(["plugin", "--json", kars])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "audio_ins",
            "audio_outs",
            "format",
            "label",
            "latency",
            "maker",
            "midi_ins",
            "midi_programs",
            "name",
            "parameters",
            "programs"
        ]
    );
    let volume = &json["parameters"][2];
    assert_eq!(volume["name"], "Volume");
    assert_eq!(
        (volume["min"].as_f64(), volume["max"].as_f64()),
        (Some(0.0), Some(100.0))
    );
    let mut keys: Vec<&str> = volume
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["default", "index", "max", "min", "name", "symbol", "unit"]
    );

    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.jsonl");
    pycarla()
        .args([
            "render",
            "-q",
            "--plugin",
            kars,
            "--set",
            "volume=50",
            "--manifest",
        ])
        .arg(&manifest)
        .arg("-o")
        .arg(dir.path().join("k.wav"))
        .arg(midi("test01.mid"))
        .assert()
        .success();
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&manifest).unwrap().trim()).unwrap();
    assert_eq!(line["params"][0]["plugin"], kars);
    assert_eq!(line["params"][0]["params"]["Volume"], 50.0);
    // Out of range: one line naming the plugin, the parameter and its range; no audio.
    refused(&["--plugin", kars, "--set", "Volume=101"], dir.path()).stderr(
        predicate::str::contains("Volume = 101 is out of its range 0 to 100 %"),
    );
    assert!(!dir.path().join("x.wav").exists());
}

#[test]
fn an_lv2_bundle_directory_plays_the_plugin_it_declares() {
    if !carla_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let render = |spec: &str, name: &str| {
        let wav = dir.path().join(name);
        pycarla()
            .args(["render", "-q", "--plugin", spec, "-o"])
            .arg(&wav)
            .arg(midi("test01.mid"))
            .assert()
            .success();
        read_wav(&wav).channels
    };
    // Kars by its URI and by its bundle: the same plugin, the same seed, the same samples.
    assert_eq!(
        render("http://distrho.sf.net/plugins/Kars", "uri.wav"),
        render("/usr/lib/lv2/Kars.lv2", "bundle.wav")
    );
    // A bundle of several plugins takes `#URI`, and says which it holds when not given one.
    render(
        "/usr/lib/lv2/mda.lv2#http://drobilla.net/plugins/mda/Piano",
        "piano.wav",
    );
    refused(&["--plugin", "/usr/lib/lv2/mda.lv2"], dir.path()).stderr(
        predicate::str::contains("plugins: name one as /usr/lib/lv2/mda.lv2#URI").and(
            predicate::str::contains("http://drobilla.net/plugins/mda/Piano"),
        ),
    );
}

#[test]
fn a_state_saved_without_a_gui_automation_and_draws_are_in_the_manifest() {
    if !carla_installed() {
        return;
    }
    let kars = "http://distrho.sf.net/plugins/Kars";
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("kars.carxs");
    pycarla()
        .args(["plugin", kars, "--set", "Volume=40", "--save-state"])
        .arg(&state)
        .assert()
        .success();
    assert!(state.is_file());
    let automation = dir.path().join("release.csv");
    std::fs::write(
        &automation,
        "seconds,plugin,parameter,value\n0.5,1,Release,0.25\n",
    )
    .unwrap();
    let manifest = dir.path().join("manifest.jsonl");
    let render = |extra: &[&str], name: &str| {
        pycarla()
            .args(["render", "-q", "--plugin", kars, "--manifest"])
            .arg(&manifest)
            .args(extra)
            .arg("-o")
            .arg(dir.path().join(name))
            .arg(midi("test01.mid"))
            .assert()
            .success();
        let text = std::fs::read_to_string(&manifest).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        line["params"][0].clone()
    };
    let params = render(
        &[
            "--state",
            state.to_str().unwrap(),
            "--automation",
            automation.to_str().unwrap(),
            "--cc",
            "74=Sustain",
        ],
        "a.wav",
    );
    assert_eq!(params["state"], state.to_str().unwrap());
    assert_eq!(params["automation"], automation.to_str().unwrap());
    assert_eq!(params["cc"][0], "74=Sustain");
    let drawn = |seed: &str| {
        render(&["--randomize", "Volume=10:90", "--seed", seed], "r.wav")["params"]["Volume"]
            .as_f64()
            .unwrap()
    };
    let (first, again, other) = (drawn("1"), drawn("1"), drawn("2"));
    assert!((10.0..=90.0).contains(&first), "{first}");
    assert_eq!(first, again);
    assert_ne!(first, other);
    // A bad automation file: one line naming the file and the line, before any render.
    std::fs::write(
        &automation,
        "seconds,plugin,parameter,value\nsoon,1,Release,1\n",
    )
    .unwrap();
    pycarla()
        .args(["render", "-q", "--plugin", kars, "--automation"])
        .arg(&automation)
        .arg("-o")
        .arg(dir.path().join("x.wav"))
        .arg(midi("test01.mid"))
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("release.csv:2: the time \"soon\" is not a number")
                .and(predicate::function(|text: &str| text.lines().count() == 1)),
        );
    assert!(!dir.path().join("x.wav").exists());
}
