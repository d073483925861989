//! One plugin in every format Carla hosts: DISTRHO Kars (and its 3 Band EQ after it) as LV2,
//! VST2 (Debian's builds), VST3 and CLAP (`../shared/plugins`, built from Debian's source).
//! Each renders the exact length with every note on its frame, alone and before an effect
//! whose master gain is turned down 24 dB; as LV2, VST3 and CLAP Kars lists the same
//! parameters, halves every sample at half its volume and renders the same samples.
//!
//! Skipped, with a message, where Carla or a format's plugins are missing.

use std::path::{Path, PathBuf};

use pycarla::settings::PluginControls;
use pycarla::{EngineChoice, Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::{self as support, carla_or_skip, read_wav, use_helper};
use smf::testing::single_track_file;

/// (format, Kars, 3 Band EQ, the EQ's master at -24 dB in its own units).
const FORMATS: [(&str, &str, &str, &str); 4] = [
    (
        "lv2",
        "http://distrho.sf.net/plugins/Kars",
        "http://distrho.sf.net/plugins/3BandEQ",
        "2:Master=-24",
    ),
    // VST2 parameters are normalised: 0 is the bottom of the range.
    (
        "vst2",
        "/usr/lib/vst/Kars-vst.so",
        "/usr/lib/vst/3BandEQ-vst.so",
        "2:Master=0",
    ),
    (
        "vst3",
        "/usr/lib/vst3/Kars.vst3",
        "/usr/lib/vst3/3BandEQ.vst3",
        "2:Master=-24",
    ),
    (
        "clap",
        "/usr/lib/clap/Kars.clap",
        "/usr/lib/clap/3BandEQ.clap",
        "2:Master=-24",
    ),
];
const RATE: u32 = 48_000;

fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

/// Whether `spec`'s plugin file is installed and a Carla hosts its format (says why not).
fn available(format: &str, spec: &str) -> bool {
    let path = Path::new(spec);
    if path.is_absolute() && !path.exists() {
        support::record_carla_skip(&format!("{spec} is not installed"));
        return false;
    }
    let wanted = pycarla::carla_lib::Format::from_name(format).expect("a format");
    match pycarla::carla::carla_for(&[wanted]) {
        Ok(_) => true,
        Err(error) => {
            support::record_carla_skip(&format!("no Carla hosts {format}: {error}"));
            false
        }
    }
}

/// Seven notes, one every 0.375 s from 0 (frames 0, 18000, 36000…), no controllers.
fn notes(dir: &Path) -> (PathBuf, Vec<u64>) {
    let mut events = Vec::new();
    for (index, key) in [48u8, 52, 55, 60, 64, 67, 72].into_iter().enumerate() {
        events.push((
            if index == 0 { 0 } else { 120 },
            vec![0x90, key, 90 + index as u8],
        ));
        events.push((240, vec![0x80, key, 0]));
    }
    let path = dir.join("notes.mid");
    std::fs::write(&path, single_track_file(480, &events)).unwrap();
    (path, (0..7).map(|k| k * 18_000).collect())
}

fn render(chain: &[&str], midi: &Path, dir: &Path, controls: &[&str]) -> Vec<f32> {
    let options = RenderOptions::default()
        .engine(EngineChoice::Offline)
        .tail(Tail::Seconds(1.0))
        .controls(PluginControls {
            params: controls.iter().map(|c| c.parse().unwrap()).collect(),
            ..PluginControls::default()
        });
    let plugins = chain.iter().map(|s| s.to_string()).collect();
    let mut renderer = Renderer::new(Instrument::Plugins(plugins), options).unwrap();
    let output = dir.join("out.wav");
    let report = renderer.render_file(midi, &output, None::<&Path>).unwrap();
    let expected = support::expected_frames(midi, 1, RATE);
    assert_eq!(report.frames, expected, "{chain:?}");
    read_wav(&output).channels.swap_remove(0)
}

/// Where sound starts after silence: Kars' notes end in exact zeros before the next.
fn onsets(channel: &[f32]) -> Vec<u64> {
    (0..channel.len())
        .filter(|&i| channel[i] != 0.0 && (i == 0 || channel[i - 1] == 0.0))
        .map(|i| i as u64)
        .collect()
}

fn rms_db(channel: &[f32]) -> f64 {
    let power: f64 = channel.iter().map(|s| f64::from(*s).powi(2)).sum();
    10.0 * (power / channel.len() as f64).log10()
}

#[test]
fn every_format_alone_and_before_an_effect_keeps_length_and_timing() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-formats-");
    let (midi, expected) = notes(dir.path());
    for (format, kars, eq, master_down) in FORMATS {
        if !available(format, kars) || !available(format, eq) {
            continue;
        }
        let alone = render(&[kars], &midi, dir.path(), &[]);
        assert_eq!(onsets(&alone), expected, "{format}: Kars alone");
        let through = render(&[kars, eq], &midi, dir.path(), &[master_down]);
        let drop = rms_db(&alone) - rms_db(&through);
        assert!(
            (drop - 24.0).abs() < 1.0,
            "{format}: the EQ's master at -24 dB took {drop:.2} dB"
        );
        let flat = render(&[kars, eq], &midi, dir.path(), &[]);
        assert!(
            (rms_db(&alone) - rms_db(&flat)).abs() < 0.5,
            "{format}: a flat EQ"
        );
        let first = expected[1] as usize;
        assert!(
            flat[first - 1].abs() < 1e-4 && flat[first].abs() > 1e-4,
            "{format}: the EQ keeps the timing"
        );
    }
}

#[test]
fn kars_as_lv2_vst3_and_clap_lists_the_same_parameters_and_renders_the_same() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-formats-");
    let (midi, _) = notes(dir.path());
    let mut renders = Vec::new();
    for (format, kars, _, _) in FORMATS.into_iter().filter(|f| f.0 != "vst2") {
        if !available(format, kars) {
            continue;
        }
        let described =
            pycarla::offline::describe(&Instrument::Plugins(vec![kars.into()])).unwrap();
        let parameters: Vec<(String, f32, f32, f32)> = described[0]
            .parameters
            .iter()
            .map(|p| (p.name.clone(), p.min, p.max, p.default))
            .collect();
        assert_eq!(
            parameters,
            [
                ("Sustain".to_string(), 0.0, 1.0, 0.0),
                ("Release".to_string(), 0.0, 5.0, 0.01),
                ("Volume".to_string(), 0.0, 100.0, 75.0)
            ],
            "{format}"
        );
        let full = render(&[kars], &midi, dir.path(), &[]);
        assert_eq!(
            full,
            render(&[kars], &midi, dir.path(), &[]),
            "{format}: repeats"
        );
        let half = render(&[kars], &midi, dir.path(), &["Volume=37.5"]);
        for (a, b) in full.iter().zip(&half) {
            assert!(
                (a * 0.5 - b).abs() <= 1e-6 + 1e-5 * a.abs(),
                "{format}: {a} {b}"
            );
        }
        renders.push((format, full));
    }
    // The same code behind three formats, and the same seed for its rand(): the same samples.
    for pair in renders.windows(2) {
        assert!(
            pair[0].1 == pair[1].1,
            "{} and {} differ",
            pair[0].0,
            pair[1].0
        );
    }
}

/// A JACK render (a private dummy server, pycarla's Carla host) of `midi` through `chain`.
fn render_on_jack(
    chain: &[&str],
    midi: &Path,
    dir: &Path,
    controls: &[&str],
) -> Result<(pycarla::RenderReport, Vec<f32>), pycarla::Error> {
    use_helper(
        pycarla::jack_host::JACK_HOST_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-jack-host"),
    );
    let options = RenderOptions::default()
        .engine(EngineChoice::Jack)
        .tail(Tail::Seconds(1.0))
        .controls(PluginControls {
            params: controls.iter().map(|c| c.parse().unwrap()).collect(),
            ..PluginControls::default()
        });
    let plugins = chain.iter().map(|s| s.to_string()).collect();
    let mut renderer = Renderer::new(Instrument::Plugins(plugins), options)?;
    let output = dir.join("jack.wav");
    let report = renderer.render_file(midi, &output, None::<&Path>)?;
    Ok((report, read_wav(&output).channels.swap_remove(0)))
}

#[test]
fn vst3_and_clap_on_jack_play_every_note_on_its_frame_and_take_a_parameter() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-formats-jack-");
    let (midi, expected) = notes(dir.path());
    for (format, kars, _, _) in FORMATS
        .into_iter()
        .filter(|f| ["vst3", "clap"].contains(&f.0))
    {
        if !available(format, kars) {
            continue;
        }
        let (report, full) = render_on_jack(&[kars], &midi, dir.path(), &[]).unwrap();
        assert_eq!(report.engine, pycarla::EngineKind::Jack);
        assert_eq!(onsets(&full), expected, "{format} on JACK");
        // VST3 plays on JACK through a Carla 2.5 where there is one (see `carla_for_jack`),
        // whose VST3 host gives parameters normalised to 0..1.
        let carla = Instrument::Plugins(vec![kars.into()])
            .carla_on_jack()
            .unwrap();
        let normalised = format == "vst3"
            && carla
                .version
                .is_some_and(|v| v < pycarla::carla_lib::installs::VST3_COMPLETE);
        let (half_volume, too_loud, range) = if normalised {
            (0.375, "Volume=1.01", "0 to 1")
        } else {
            (37.5, "Volume=101", "0 to 100")
        };
        let (report, half) = render_on_jack(
            &[kars],
            &midi,
            dir.path(),
            &[&format!("Volume={half_volume}")],
        )
        .unwrap();
        assert_eq!(onsets(&half), expected, "{format} on JACK, half volume");
        assert_eq!(report.params[0].params.get("Volume"), Some(&half_volume));
        // Kars draws each note's wave from rand(), which the JACK engine does not seed: the
        // two renders differ in detail, and their levels by a few tenths of a dB.
        let drop = rms_db(&full) - rms_db(&half);
        assert!(
            (drop - 6.02).abs() < 1.5,
            "{format} on JACK: half volume took {drop:.2} dB"
        );
        let error = render_on_jack(&[kars], &midi, dir.path(), &[too_loud])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("out of its range {range}")),
            "{format}: {error}"
        );
    }
}
