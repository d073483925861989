//! Plugin parameters, proved by the audio they change rather than by the value read back:
//! DISTRHO Kars' Volume halves its output sample for sample, errors name the plugin, the
//! parameter and its range before any audio, and `offline::describe` reports what Carla sees.
//!
//! Skipped, with a message, where Carla is not installed.

use std::path::Path;

use pycarla::{EngineChoice, Instrument, RenderOptions, Renderer};
use pycarla_integration::{self as support, carla_or_skip, midi, read_wav, use_helper};

const KARS_LV2: &str = "http://distrho.sf.net/plugins/Kars";

fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

fn kars_with(settings: &[&str]) -> RenderOptions {
    RenderOptions::default()
        .engine(EngineChoice::Offline)
        .params(settings.iter().map(|s| s.parse().unwrap()).collect())
}

#[test]
fn kars_volume_at_half_its_default_halves_every_sample() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-params-");
    let render = |name: &str, options: RenderOptions| {
        let mut renderer =
            Renderer::new(Instrument::Plugins(vec![KARS_LV2.into()]), options).unwrap();
        let output = dir.path().join(name);
        let report = renderer
            .render_file(midi("test01.mid"), &output, None::<&Path>)
            .unwrap();
        (report, read_wav(&output).channels)
    };
    let (_, default) = render("default.wav", kars_with(&[]));
    // By name (any case), by symbol and by index: the same parameter, the same audio.
    for setting in ["volume=37.5", "Volume=37.5", "2=37.5"] {
        let (report, half) = render("half.wav", kars_with(&[setting]));
        let mut compared = 0;
        for (a, b) in default[0].iter().zip(&half[0]) {
            assert!(
                (a * 0.5 - b).abs() <= 1e-6 + 1e-5 * a.abs(),
                "{setting}: {a} {b}"
            );
            compared += usize::from(a.abs() > 1e-3);
        }
        assert!(compared > 1000, "{setting}: the render sounds");
        assert_eq!(report.params.len(), 1);
        assert_eq!(report.params[0].plugin, KARS_LV2);
        assert_eq!(report.params[0].params.get("Volume"), Some(&37.5));
    }
}

#[test]
fn a_parameter_unknown_or_out_of_range_is_refused_before_any_audio() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-params-");
    let render = |options: RenderOptions| {
        let mut renderer =
            Renderer::new(Instrument::Plugins(vec![KARS_LV2.into()]), options).unwrap();
        let output = dir.path().join("refused.wav");
        let error = renderer
            .render_file(midi("test01.mid"), &output, None::<&Path>)
            .unwrap_err()
            .to_string();
        assert!(!output.exists(), "no output for {error}");
        error
    };
    let error = render(kars_with(&["Volume=1000"]));
    assert!(
        error.contains("Volume = 1000 is out of its range 0 to 100 %") && error.contains("Kars"),
        "{error}"
    );
    let error = render(kars_with(&["Loudness=1"]));
    assert!(
        error.contains("no parameter \"Loudness\"") && error.contains("Volume (volume)"),
        "{error}"
    );
    let error = render(kars_with(&["2:Volume=1"]));
    assert!(error.contains("no plugin 2"), "{error}");
    // The JACK engine sets parameters (pycarla's Carla host); the other controls are the
    // offline engine's, and JACK says so at once.
    let jack = RenderOptions::default()
        .engine(EngineChoice::Jack)
        .presets(vec!["0".parse().unwrap()]);
    let error = Renderer::new(Instrument::Plugins(vec![KARS_LV2.into()]), jack)
        .unwrap_err()
        .to_string();
    assert!(error.contains("offline engine only"), "{error}");
}

#[test]
fn describe_reports_what_carla_sees_in_each_format() {
    if !carla() {
        return;
    }
    let kars = pycarla::offline::describe(&Instrument::Plugins(vec![KARS_LV2.into()])).unwrap();
    let kars = &kars[0];
    assert_eq!((kars.name.as_str(), kars.format.as_str()), ("Kars", "lv2"));
    assert_eq!((kars.audio_outs, kars.midi_ins, kars.latency), (1, 1, 0));
    let names: Vec<&str> = kars.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Sustain", "Release", "Volume"]);
    let volume = &kars.parameters[2];
    assert_eq!((volume.min, volume.max, volume.default), (0.0, 100.0, 75.0));
    assert_eq!(volume.symbol, "volume");
    // hexter's patches are MIDI programs; FluidR3's presets too, drums in bank 128.
    let hexter =
        pycarla::offline::describe(&Instrument::Plugins(vec!["/usr/lib/dssi/hexter.so".into()]))
            .unwrap();
    assert!(
        hexter[0].midi_programs.len() >= 32,
        "{:?}",
        hexter[0].midi_programs.len()
    );
    let gm = pycarla::offline::describe(&Instrument::SoundFont(
        "/usr/share/sounds/sf2/FluidR3_GM.sf2".into(),
    ))
    .unwrap();
    assert_eq!(gm[0].format, "sf2");
    assert!(gm[0].midi_programs.iter().any(|p| p.bank == 128));
    assert!(
        gm[0]
            .midi_programs
            .iter()
            .any(|p| (p.bank, p.program) == (0, 0))
    );
}

fn render_with(
    instrument: Instrument,
    presets: &[&str],
    midi_file: &Path,
    output: &Path,
) -> Result<(pycarla::RenderReport, Vec<Vec<f32>>), pycarla::Error> {
    let options = RenderOptions::default()
        .engine(EngineChoice::Offline)
        .presets(presets.iter().map(|s| s.parse().unwrap()).collect());
    let mut renderer = Renderer::new(instrument, options)?;
    let report = renderer.render_file(midi_file, output, None::<&Path>)?;
    Ok((report, read_wav(output).channels))
}

#[test]
fn hexter_presets_differ_repeat_and_are_found_by_name() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-presets-");
    let hexter = || Instrument::Plugins(vec!["/usr/lib/dssi/hexter.so".into()]);
    let file = midi("test01.mid");
    let render = |presets: &[&str], name: &str| {
        render_with(hexter(), presets, &file, &dir.path().join(name)).unwrap()
    };
    let (report, five) = render(&["5"], "five.wav");
    assert_eq!(report.params[0].preset.as_deref(), Some("0/5 E.GRAND 1"));
    assert_eq!(five, render(&["5"], "again.wav").1, "a preset repeats");
    let (_, zero) = render(&["0"], "zero.wav");
    assert_ne!(five, zero, "two presets sound different");
    assert_eq!(
        zero,
        render(&["elec piano"], "named.wav").1,
        "by name, any case"
    );
    let error = render_with(
        hexter(),
        &["No Such Patch"],
        &file,
        &dir.path().join("x.wav"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("has no preset 1:No Such Patch") && error.contains("0/0 Elec Piano"),
        "{error}"
    );
}

#[test]
fn a_soundfont_preset_plays_as_a_program_change_on_every_channel_would() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-presets-");
    let notes = |first: Vec<(u32, Vec<u8>)>| {
        let mut events = first;
        for (channel, key) in [(0u8, 60u8), (1, 64), (2, 67)] {
            events.push((0, vec![0x90 | channel, key, 100]));
        }
        events.push((960, vec![0x80, 60, 0]));
        events.push((0, vec![0x81, 64, 0]));
        events.push((0, vec![0x82, 67, 0]));
        events
    };
    let write = |name: &str, events: Vec<(u32, Vec<u8>)>| {
        let path = dir.path().join(name);
        std::fs::write(&path, smf::testing::single_track_file(480, &events)).unwrap();
        path
    };
    let plain = write("plain.mid", notes(Vec::new()));
    // The reference: the same notes after a bank select and program change 40 (violin) on
    // every channel, in the file itself.
    let mut changes = Vec::new();
    for channel in 0u8..16 {
        changes.push((0, vec![0xB0 | channel, 0, 0]));
        changes.push((0, vec![0xC0 | channel, 40]));
    }
    let violin = write("violin.mid", notes(changes));
    let gm = || Instrument::SoundFont("/usr/share/sounds/sf2/FluidR3_GM.sf2".into());
    let (report, preset) =
        render_with(gm(), &["0/40"], &plain, &dir.path().join("preset.wav")).unwrap();
    assert_eq!(report.params[0].preset.as_deref(), Some("0/40 Violin"));
    let (_, reference) = render_with(gm(), &[], &violin, &dir.path().join("ref.wav")).unwrap();
    assert_eq!(preset, reference);
    let (_, piano) = render_with(gm(), &[], &plain, &dir.path().join("piano.wav")).unwrap();
    assert_ne!(preset, piano);
}

#[test]
fn hexter_repeats_a_file_in_one_renderer_though_it_keeps_state_in_its_process() {
    if !carla() {
        return;
    }
    // DSSI plugins share their library's state among instances: hexter rendered the same file
    // differently the third time in one worker. Each file after one now gets a fresh worker.
    let dir = support::scratch("pycarla-presets-");
    let options = RenderOptions::default()
        .engine(EngineChoice::Offline)
        .presets(vec!["5".parse().unwrap()]);
    let mut renderer = Renderer::new(
        Instrument::Plugins(vec!["/usr/lib/dssi/hexter.so".into()]),
        options,
    )
    .unwrap();
    let renders: Vec<Vec<Vec<f32>>> = (0..4)
        .map(|run| {
            let output = dir.path().join(format!("run{run}.wav"));
            renderer
                .render_file(midi("test01.mid"), &output, None::<&Path>)
                .unwrap();
            read_wav(&output).channels
        })
        .collect();
    for (run, samples) in renders.iter().enumerate().skip(1) {
        assert_eq!(samples, &renders[0], "run {run}");
    }
}
