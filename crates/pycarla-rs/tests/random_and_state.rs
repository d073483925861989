//! Parameters drawn by the seed rule and states saved without a GUI, proved by the audio: a
//! drawn value renders the same samples as the same value set by hand, the same seed draws
//! the same values and another seed others; a state saved after a setting (Carla's `.carxs`
//! for DISTRHO Kars as LV2, a VST2 `.fxp` for Kars as VST2) renders the same samples as the
//! setting itself; a VST2 preset of another plugin is refused naming both ids.
//!
//! Skipped, with a message, where Carla is not installed.

use std::collections::BTreeSet;
use std::path::Path;

use pycarla::settings::PluginControls;
use pycarla::{EngineChoice, Instrument, RenderOptions, RenderReport, Renderer};
use pycarla_integration::{self as support, carla_or_skip, midi, read_wav, use_helper};

const KARS_LV2: &str = "http://distrho.sf.net/plugins/Kars";
const KARS_VST2: &str = "/usr/lib/vst/Kars-vst.so";
const NEKOBI_VST2: &str = "/usr/lib/vst/Nekobi-vst.so";
const HEXTER: &str = "/usr/lib/dssi/hexter.so";

fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

fn controls(set: &[&str], randomize: &[&str]) -> PluginControls {
    PluginControls {
        params: set.iter().map(|s| s.parse().unwrap()).collect(),
        randomize: randomize.iter().map(|s| s.parse().unwrap()).collect(),
        ..PluginControls::default()
    }
}

fn render(
    plugin: &str,
    controls: PluginControls,
    seed: u64,
    dir: &Path,
) -> Result<(RenderReport, Vec<Vec<f32>>), pycarla::Error> {
    let options = RenderOptions::default()
        .engine(EngineChoice::Offline)
        .seed(seed)
        .controls(controls);
    let mut renderer = Renderer::new(Instrument::Plugins(vec![plugin.into()]), options)?;
    let output = dir.join("out.wav");
    let report = renderer.render_file(midi("test01.mid"), &output, None::<&Path>)?;
    Ok((report, read_wav(&output).channels))
}

#[test]
fn a_drawn_value_repeats_with_its_seed_and_sounds_as_the_value_set_by_hand() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-random-");
    let drawn = |seed| {
        let (report, audio) =
            render(KARS_LV2, controls(&[], &["Volume=10:90"]), seed, dir.path()).unwrap();
        (report.params[0].params["Volume"], audio)
    };
    let (first, audio) = drawn(1);
    assert!((10.0..=90.0).contains(&first), "{first}");
    let (again, audio_again) = drawn(1);
    assert_eq!(
        (first, &audio),
        (again, &audio_again),
        "the same seed draws the same"
    );
    let (other, _) = drawn(2);
    assert_ne!(first, other, "another seed draws another value");
    let (_, by_hand) = render(
        KARS_LV2,
        controls(&[&format!("Volume={first}")], &[]),
        1,
        dir.path(),
    )
    .unwrap();
    assert_eq!(audio, by_hand, "the drawn value is the value applied");
}

#[test]
fn randomize_all_draws_every_parameter_but_those_set() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-random-");
    let (report, _) = render(KARS_LV2, controls(&["Volume=50"], &["all"]), 7, dir.path()).unwrap();
    let info = &pycarla::offline::describe(&Instrument::Plugins(vec![KARS_LV2.into()])).unwrap()[0];
    let params = &report.params[0].params;
    assert_eq!(params["Volume"], 50.0, "set by hand, not drawn");
    assert_eq!(params.len(), info.parameters.len(), "{params:?}");
    for parameter in &info.parameters {
        let value = params[&parameter.name];
        assert!(
            (parameter.min..=parameter.max).contains(&value),
            "{} = {value}",
            parameter.name
        );
    }
    // An integer parameter gets whole values (nodelay's mode, 0 to 3).
    if Path::new("/usr/lib/lv2/nodelay.lv2").exists() {
        let plugins = vec![
            support::click_sfz(dir.path(), 48_000).display().to_string(),
            "http://gareus.org/oss/lv2/nodelay".into(),
        ];
        for seed in 0..4 {
            let options = RenderOptions::default()
                .engine(EngineChoice::Offline)
                .seed(seed)
                .controls(controls(&[], &["2:Operation Mode"]));
            let mut renderer =
                Renderer::new(Instrument::Plugins(plugins.clone()), options).unwrap();
            let report = renderer
                .render_file(midi("test01.mid"), dir.path().join("n.wav"), None::<&Path>)
                .unwrap();
            let mode = report.params[1].params["Operation Mode"];
            assert_eq!(mode.fract(), 0.0, "seed {seed}: {mode}");
        }
    }
}

#[test]
fn a_drawn_preset_repeats_with_its_seed() {
    if !carla() {
        return;
    }
    if !Path::new(HEXTER).exists() {
        support::record_carla_skip("hexter is not installed");
        return;
    }
    let dir = support::scratch("pycarla-random-");
    let preset = |seed| {
        let controls = PluginControls {
            randomize_presets: vec![1],
            ..PluginControls::default()
        };
        let (report, _) = render(HEXTER, controls, seed, dir.path()).unwrap();
        report.params[0].preset.clone().expect("a preset is drawn")
    };
    let drawn: BTreeSet<String> = (0..4).map(preset).collect();
    assert!(drawn.len() >= 2, "four seeds drew {drawn:?}");
    assert_eq!(preset(3), preset(3));
}

/// Saves `plugin`'s state after `set` to `state`, then renders with the state and with the
/// setting: the same samples, and not the default's.
fn state_renders_as_its_setting(plugin: &str, set: &str, state: &Path, dir: &Path) {
    let instrument = Instrument::Plugins(vec![plugin.into()]);
    pycarla::offline::describe_with(&instrument, &controls(&[set], &[]), Some(state)).unwrap();
    assert!(state.is_file(), "{} saved", state.display());
    let (_, by_setting) = render(plugin, controls(&[set], &[]), 0, dir).unwrap();
    let with_state = PluginControls {
        states: vec![format!("1:{}", state.display()).parse().unwrap()],
        ..PluginControls::default()
    };
    let (report, by_state) = render(plugin, with_state, 0, dir).unwrap();
    let (_, default) = render(plugin, PluginControls::default(), 0, dir).unwrap();
    assert_eq!(by_state, by_setting, "{plugin}: the state sounds as {set}");
    assert_ne!(by_state, default, "{plugin}: {set} changes the sound");
    assert_eq!(report.params[0].state.as_deref(), state.to_str());
}

#[test]
fn a_saved_carla_state_renders_as_the_settings_it_was_saved_after() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-state-");
    state_renders_as_its_setting(
        KARS_LV2,
        "Volume=37.5",
        &dir.path().join("kars.carxs"),
        dir.path(),
    );
}

#[test]
fn a_vst2_fxp_renders_as_the_settings_it_was_saved_after_and_fits_no_other_plugin() {
    if !carla() {
        return;
    }
    if !Path::new(KARS_VST2).exists() {
        support::record_carla_skip("DISTRHO's VST2 plugins (dpf-plugins-vst) are not installed");
        return;
    }
    let dir = support::scratch("pycarla-state-");
    let fxp = dir.path().join("kars.fxp");
    state_renders_as_its_setting(KARS_VST2, "Volume=0.3", &fxp, dir.path());
    let preset = pycarla::fxp::Vst2Preset::read(&fxp).unwrap();
    assert!(
        matches!(preset.content, pycarla::fxp::Vst2Content::Parameters(ref v) if v.contains(&0.3))
    );
    let with_state = PluginControls {
        states: vec![format!("{}", fxp.display()).parse().unwrap()],
        ..PluginControls::default()
    };
    std::fs::remove_file(dir.path().join("out.wav")).unwrap();
    let error = render(NEKOBI_VST2, with_state, 0, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("was saved from the plugin with id"),
        "{error}"
    );
    assert!(
        !dir.path().join("out.wav").exists(),
        "refused before any audio"
    );
}
