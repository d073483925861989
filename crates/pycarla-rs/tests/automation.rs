//! Parameters over time and the latency they set, proved by the audio: a one-sample click SFZ
//! through CMT's amplifier (Debian's `cmt`) whose gain is automated, or driven by a controller
//! of the file, must scale each click by exactly the value in effect at its frame, from the
//! change's frame on, at blocks of 64, 1024 and 4096 frames; through x42's nodelay (Debian's
//! `x42-plugins`), which delays by its setting and reports that delay as its latency, every
//! click must land on the frame it lands on without the delay.
//!
//! Skipped, with a message, where Carla is not installed.

use std::path::{Path, PathBuf};

use pycarla::automation::{Automation, AutomationLane};
use pycarla::settings::PluginControls;
use pycarla::{EngineChoice, Instrument, RenderOptions, RenderReport, Renderer, Tail};
use pycarla_integration::{
    self as support, carla_or_skip, click_sfz, impulse_frames, read_wav, use_helper,
};
use smf::testing::single_track_file;

const AMP: &str = "/usr/lib/ladspa/cmt.so#amp_mono";
const NODELAY: &str = "http://gareus.org/oss/lv2/nodelay";
const RATE: u32 = 48_000;
/// A click every 0.1 s (96 ticks at 480 a beat, 120 BPM).
const CLICK_FRAMES: u64 = 4_800;
const CLICKS: u64 = 20;

fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

/// `CLICKS` clicks, one every 0.1 s from 0, with `controllers` (`(tick, channel, cc, value)`)
/// between them.
fn clicks(dir: &Path, controllers: &[(u32, u8, u8, u8)]) -> PathBuf {
    let mut timed: Vec<(u32, Vec<u8>)> = Vec::new();
    for click in 0..CLICKS as u32 {
        timed.push((click * 96, vec![0x90, 60, 100]));
        timed.push((click * 96 + 48, vec![0x80, 60, 0]));
    }
    for &(tick, channel, cc, value) in controllers {
        timed.push((tick, vec![0xB0 | channel, cc, value]));
    }
    timed.sort_by_key(|(tick, _)| *tick);
    let mut last = 0;
    let events: Vec<(u32, Vec<u8>)> = timed
        .into_iter()
        .map(|(tick, bytes)| {
            let delta = tick - last;
            last = tick;
            (delta, bytes)
        })
        .collect();
    let path = dir.join("clicks.mid");
    std::fs::write(&path, single_track_file(480, &events)).unwrap();
    path
}

fn render(
    dir: &Path,
    chain: &[&str],
    midi: &Path,
    block: u32,
    controls: PluginControls,
) -> (RenderReport, Vec<f32>) {
    let options = RenderOptions::default()
        .engine(EngineChoice::Offline)
        .period(Some(block))
        .tail(Tail::Seconds(0.2))
        .controls(controls);
    let plugins = chain.iter().map(|s| s.to_string()).collect();
    let mut renderer = Renderer::new(Instrument::Plugins(plugins), options).unwrap();
    let output = dir.join("out.wav");
    let report = renderer.render_file(midi, &output, None::<&Path>).unwrap();
    (report, read_wav(&output).channels.swap_remove(0))
}

/// Each click's sample, where click `k` plays at frame `k · CLICK_FRAMES`.
fn click_levels(channel: &[f32]) -> Vec<f32> {
    (0..CLICKS)
        .map(|k| channel[(k * CLICK_FRAMES) as usize])
        .collect()
}

/// The gain in effect at each click, given `(frame, gain)` changes from a gain of 1.
fn expected_gains(changes: &[(u64, f32)]) -> Vec<f32> {
    (0..CLICKS)
        .map(|k| {
            changes
                .iter()
                .rfind(|(frame, _)| *frame <= k * CLICK_FRAMES)
                .map_or(1.0, |(_, gain)| *gain)
        })
        .collect()
}

fn assert_scaled(levels: &[f32], reference: &[f32], gains: &[f32], what: &str) {
    for (k, ((level, full), gain)) in levels.iter().zip(reference).zip(gains).enumerate() {
        assert!(
            (level - full * gain).abs() <= 1e-6,
            "{what}: click {k} is {level}, expected {full} × {gain}"
        );
    }
}

#[test]
fn automation_changes_each_click_from_the_change_frame_at_every_block_size() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-automation-");
    let sfz = click_sfz(dir.path(), RATE);
    let midi = clicks(dir.path(), &[]);
    let sfz = sfz.to_str().unwrap();
    // Changes on a click's frame (it takes the new gain), one frame after one (it keeps the
    // old) and one frame before one (it takes the new), none on a block boundary of 1024.
    let changes: [(u64, f32); 4] = [
        (5 * CLICK_FRAMES, 0.5),
        (8 * CLICK_FRAMES + 1, 0.25),
        (12 * CLICK_FRAMES - 1, 0.125),
        (15 * CLICK_FRAMES + 333, 0.75),
    ];
    let lane = AutomationLane::new(
        2,
        "Gain",
        changes
            .iter()
            .map(|(frame, gain)| (*frame as f64 / f64::from(RATE), f64::from(*gain)))
            .collect(),
    )
    .unwrap();
    let controls = PluginControls {
        automation: Automation {
            source: None,
            lanes: vec![lane],
        },
        ..PluginControls::default()
    };
    let (_, reference) = render(
        dir.path(),
        &[sfz, AMP],
        &midi,
        4096,
        PluginControls::default(),
    );
    let reference = click_levels(&reference);
    assert!(reference.iter().all(|level| *level > 0.1), "{reference:?}");
    for block in [64, 1024, 4096] {
        let (report, channel) = render(dir.path(), &[sfz, AMP], &midi, block, controls.clone());
        assert_scaled(
            &click_levels(&channel),
            &reference,
            &expected_gains(&changes),
            &format!("block {block}"),
        );
        let clicks = impulse_frames(&channel);
        assert_eq!(clicks.len() as u64, CLICKS, "block {block}: {clicks:?}");
        assert_eq!(report.params[1].automation.as_deref(), Some("inline"));
    }
}

#[test]
fn a_controller_on_any_channel_drives_a_parameter_from_its_frame() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-automation-");
    let sfz = click_sfz(dir.path(), RATE);
    let sfz = sfz.to_str().unwrap();
    // CC 20 on channels 3 and 10, between clicks and on one (tick 96 · 6 = click 6).
    let controllers = [
        (200, 2, 20, 64),
        (576, 9, 20, 0),
        (1000, 2, 20, 127),
        (1300, 2, 21, 5),
    ];
    let midi = clicks(dir.path(), &controllers);
    let (_, reference) = render(
        dir.path(),
        &[sfz, AMP],
        &midi,
        4096,
        PluginControls::default(),
    );
    let reference = click_levels(&reference);
    let frame = |tick: u32| u64::from(tick) * 50; // 1 tick = 1/960 s = 50 frames
    let changes: Vec<(u64, f32)> = controllers
        .iter()
        .filter(|c| c.2 == 20)
        .map(|&(tick, _, _, value)| (frame(tick), f32::from(value) / 127.0))
        .collect();
    let controls = PluginControls {
        cc: vec!["20=2:Gain".parse().unwrap()],
        ..PluginControls::default()
    };
    for block in [64, 1024, 4096] {
        let (report, channel) = render(dir.path(), &[sfz, AMP], &midi, block, controls.clone());
        assert_scaled(
            &click_levels(&channel),
            &reference,
            &expected_gains(&changes),
            &format!("block {block}"),
        );
        assert_eq!(report.params[1].cc, ["20=Gain"]);
    }
}

#[test]
fn automation_out_of_range_or_of_an_unknown_parameter_is_refused_before_audio() {
    if !carla() {
        return;
    }
    let dir = support::scratch("pycarla-automation-");
    let sfz = click_sfz(dir.path(), RATE);
    let midi = clicks(dir.path(), &[]);
    for (parameter, value, expected) in [
        ("Gain", 2.0, "out of its range 0 to 1"),
        ("Gian", 0.5, "has no parameter \"Gian\""),
    ] {
        let controls = PluginControls {
            automation: Automation {
                source: None,
                lanes: vec![AutomationLane::new(2, parameter, vec![(0.5, value)]).unwrap()],
            },
            ..PluginControls::default()
        };
        let options = RenderOptions::default()
            .engine(EngineChoice::Offline)
            .controls(controls);
        let plugins = vec![sfz.to_str().unwrap().to_string(), AMP.to_string()];
        let mut renderer = Renderer::new(Instrument::Plugins(plugins), options).unwrap();
        let output = dir.path().join("refused.wav");
        let error = renderer
            .render_file(&midi, &output, None::<&Path>)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
        assert!(
            error.contains("amp_mono") || error.contains("Amplifier"),
            "{error}"
        );
        assert!(!output.exists());
    }
}

#[test]
fn a_reported_latency_set_by_a_parameter_is_cut_and_every_click_keeps_its_frame() {
    if !carla() {
        return;
    }
    if !Path::new("/usr/lib/lv2/nodelay.lv2").exists() {
        support::record_carla_skip("x42-plugins' nodelay.lv2 is not installed");
        return;
    }
    let dir = support::scratch("pycarla-latency-");
    let sfz = click_sfz(dir.path(), RATE);
    let sfz = sfz.to_str().unwrap();
    let midi = clicks(dir.path(), &[]);
    let expected: Vec<u64> = (0..CLICKS).map(|k| k * CLICK_FRAMES).collect();
    for block in [64, 4096] {
        for delay in [0u32, 1, 1000, 4097] {
            let controls = PluginControls {
                params: vec![format!("2:Delay Time={delay}").parse().unwrap()],
                ..PluginControls::default()
            };
            let (report, channel) = render(dir.path(), &[sfz, NODELAY], &midi, block, controls);
            assert_eq!(report.latency, u64::from(delay), "block {block}");
            assert_eq!(
                impulse_frames(&channel),
                expected,
                "delay {delay}, block {block}"
            );
        }
    }
}

#[test]
fn a_clap_plugin_s_latency_set_by_a_parameter_or_fixed_is_cut() {
    if !carla() {
        return;
    }
    if let Err(error) = pycarla::carla::carla_for(&[pycarla::carla_lib::Format::Clap]) {
        support::record_carla_skip(&format!("no Carla hosts CLAP: {error}"));
        return;
    }
    let dir = support::scratch("pycarla-latency-");
    let fixtures = support::fault_plugins().display().to_string();
    // The crash fixture, below its crash key, is a click instrument: a full-level cosine from
    // each note's own frame.
    let instrument = format!("{fixtures}#org.pycarla.fixtures.crash-on-note");
    let midi = clicks(dir.path(), &[]);
    // A cosine that starts at full level where the sample before is near silence (the last
    // note's tail after 0.1 s is below 0.01; no cosine of its frequency moves 0.05 in a frame).
    let onsets = |channel: &[f32]| -> Vec<u64> {
        (0..channel.len())
            .filter(|&i| channel[i].abs() >= 0.1 && (i == 0 || channel[i - 1].abs() < 0.05))
            .map(|i| i as u64)
            .collect()
    };
    let expected: Vec<u64> = (0..CLICKS).map(|k| k * CLICK_FRAMES).collect();
    let (_, alone) = render(
        dir.path(),
        &[&instrument],
        &midi,
        4096,
        PluginControls::default(),
    );
    assert_eq!(onsets(&alone), expected);
    for block in [64, 4096] {
        for delay in [1u32, 1000, 4097] {
            let delay_plugin = format!("{fixtures}#org.pycarla.fixtures.delay");
            let controls = PluginControls {
                params: vec![format!("2:Delay={delay}").parse().unwrap()],
                ..PluginControls::default()
            };
            let (report, channel) = render(
                dir.path(),
                &[&instrument, &delay_plugin],
                &midi,
                block,
                controls,
            );
            assert_eq!(report.latency, u64::from(delay), "block {block}");
            assert_eq!(onsets(&channel), expected, "delay {delay}, block {block}");
        }
        let fixed = format!("{fixtures}#org.pycarla.fixtures.delay-10000");
        let (report, channel) = render(
            dir.path(),
            &[&instrument, &fixed],
            &midi,
            block,
            PluginControls::default(),
        );
        assert_eq!(report.latency, 10_000);
        assert_eq!(onsets(&channel), expected, "fixed 10000, block {block}");
    }
}
