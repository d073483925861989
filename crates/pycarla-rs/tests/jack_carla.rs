//! The JACK engine through pycarla's own Carla host (`pycarla-jack-host`: Carla's engine on
//! JACK, no Python front end), on private dummy servers: a `--plugin` chain and Carla projects
//! render and sound, every note-on of a click SFZ lands on its exact frame, the host really is
//! ours, and a plugin that cannot load is a typed error naming it — at once, not after the
//! ready timeout.
//!
//! Skipped, with a message, where Carla is not installed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pycarla::{EngineChoice, Error, Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::{
    self as support, carla_or_skip, expected_frames, impulse_frames, midi, peak, read_wav,
    use_helper,
};

const KARS_LV2: &str = "http://distrho.sf.net/plugins/Kars";

/// Whether Carla's standalone library is here. Points the renderer at this
/// package's host executable.
fn carla() -> bool {
    use_helper(
        pycarla::jack_host::JACK_HOST_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-jack-host"),
    );
    carla_or_skip(pycarla::jack_host::standalone_library()).is_some()
}

fn jack(period: u32) -> RenderOptions {
    RenderOptions::default()
        .engine(EngineChoice::Jack)
        .period(Some(period))
        .tail(Tail::Seconds(1.0))
}

fn scratch() -> tempfile::TempDir {
    support::scratch("pycarla-jack-carla-")
}

/// The command line of a live process.
fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

/// Renders `test01.mid` through `instrument`; checks the length, that it sounds and that the
/// host was pycarla's own.
fn renders_and_sounds(instrument: Instrument, dir: &Path, name: &str) {
    let mut renderer = Renderer::new(instrument, jack(1024)).unwrap();
    let pid = renderer.host().and_then(|host| host.pid()).unwrap();
    assert!(
        cmdline(pid).contains("pycarla-jack-host"),
        "{name}: the host is {}",
        cmdline(pid)
    );
    let output = dir.join(format!("{name}.wav"));
    let report = renderer
        .render_file(midi("test01.mid"), &output, None::<&Path>)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        report.frames,
        expected_frames(&midi("test01.mid"), 1, 48_000)
    );
    assert!(peak(&output) > 0.01, "{name} is silent");
}

#[test]
fn plugin_chains_and_projects_render_through_carlas_engine_on_jack() {
    if !carla() {
        return;
    }
    let _turn = pycarla_integration::one_server_at_a_time();
    let dir = scratch();
    renders_and_sounds(
        Instrument::Plugins(vec![KARS_LV2.into()]),
        dir.path(),
        "kars",
    );
    renders_and_sounds(
        Instrument::Plugins(vec![
            KARS_LV2.into(),
            "/usr/lib/ladspa/MVerb-ladspa.so".into(),
        ]),
        dir.path(),
        "kars-mverb",
    );
    // A patchbay project saved by Carla, and a rack project (no patchbay wiring).
    let patchbay = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/carla/fluidr3-gm-patchbay.carxp");
    let rack = dir.path().join("rack.carxp");
    std::fs::write(
        &rack,
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE CARLA-PROJECT>\n\
             <CARLA-PROJECT VERSION='2.5'>\n <Plugin>\n  <Info>\n   <Type>LV2</Type>\n\
             <Name>Kars</Name>\n   <URI>{KARS_LV2}</URI>\n  </Info>\n  <Data>\n\
             <Active>Yes</Active>\n  </Data>\n </Plugin>\n</CARLA-PROJECT>\n"
        ),
    )
    .unwrap();
    renders_and_sounds(Instrument::CarlaProject(patchbay), dir.path(), "patchbay");
    renders_and_sounds(Instrument::CarlaProject(rack), dir.path(), "rack");
}

#[test]
fn every_note_on_of_a_click_sfz_sounds_at_its_exact_frame() {
    if !carla() {
        return;
    }
    let _turn = pycarla_integration::one_server_at_a_time();
    let dir = scratch();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(dir.path().join("click.wav"), spec).unwrap();
    for sample in [1.0f32, 0.0, 0.0, 0.0] {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    let sfz = dir.path().join("click.sfz");
    std::fs::write(
        &sfz,
        "<region> sample=click.wav loop_mode=one_shot amp_veltrack=0 ampeg_attack=0 ampeg_release=0\n",
    )
    .unwrap();
    let file = midi("test06.mid");
    let timeline = smf::Timeline::from_path(&file).unwrap();
    let mut onsets: Vec<u64> = timeline
        .frames(48_000)
        .filter(|(_, event)| event.message.note_on().is_some())
        .map(|(frame, _)| frame)
        .collect();
    onsets.dedup();
    let mut renderer = Renderer::new(Instrument::Sfz(sfz), jack(1024)).unwrap();
    let output = dir.path().join("clicks.wav");
    renderer.render_file(&file, &output, None::<&Path>).unwrap();
    // sfizz spreads a one-sample click over the next samples; a click starts where a run of
    // sounding frames starts.
    let sounding = impulse_frames(&read_wav(&output).channels[0]);
    let starts: Vec<u64> = sounding
        .iter()
        .enumerate()
        .filter(|&(index, &frame)| index == 0 || sounding[index - 1] + 1 != frame)
        .map(|(_, &frame)| frame)
        .collect();
    assert_eq!(starts, onsets);
}

#[test]
fn a_plugin_that_cannot_load_is_an_error_naming_it_at_once() {
    if !carla() {
        return;
    }
    let _turn = pycarla_integration::one_server_at_a_time();
    for (plugins, named, reason) in [
        (
            vec!["http://example.org/no-such-plugin"],
            "http://example.org/no-such-plugin",
            "Failed to find",
        ),
        (
            vec![KARS_LV2, "/nowhere/reverb.so"],
            "/nowhere/reverb.so",
            "does not exist",
        ),
        (
            vec!["/usr/lib/ladspa/MVerb-ladspa.so"],
            "/usr/lib/ladspa/MVerb-ladspa.so",
            "no MIDI input",
        ),
    ] {
        let options = jack(1024).ready_timeout(Duration::from_secs(30));
        let started = Instant::now();
        let error = Renderer::new(
            Instrument::Plugins(plugins.iter().map(|p| p.to_string()).collect()),
            options,
        )
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{named}: {:?} to fail",
            started.elapsed()
        );
        match &error {
            Error::Process(pycarla::proc_supervisor::Error::LoadFailed {
                item, message, ..
            }) => {
                assert_eq!(item, named);
                assert!(message.contains(reason), "{message}");
            }
            other => panic!("{named}: {other:?}"),
        }
        assert!(!error.is_retryable(), "{error}");
    }
}
