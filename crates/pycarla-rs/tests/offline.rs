//! The offline engine with the real Carla library and real Debian plugins: exact timing at
//! several block sizes (a one-sample click SFZ), every packaged format, chains, projects,
//! isolation from crashing workers, and files that never depend on what was rendered before.
//!
//! Skipped, with a message, where Carla is not installed.

use std::path::Path;

use pycarla::{EngineChoice, EngineKind, Error, Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::{
    self as support, SHARED, carla_or_skip, children_of, click_sfz, eventually, expected_frames,
    impulse_frames, kill, midi, peak, read_wav, sfz_of, use_helper,
};

const KARS_LV2: &str = "http://distrho.sf.net/plugins/Kars";
const FLUID_GM: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// Whether Carla's library is here.
fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

fn offline(period: Option<u32>) -> RenderOptions {
    RenderOptions::default()
        .engine(EngineChoice::Offline)
        .period(period)
}

fn scratch() -> tempfile::TempDir {
    support::scratch("pycarla-offline-")
}

/// Where each click starts: the first non-zero frame of each run (sfizz's interpolator spreads
/// a one-sample click over the next few samples; it never starts it early).
fn click_starts(channel: &[f32]) -> Vec<u64> {
    let sounding = impulse_frames(channel);
    sounding
        .iter()
        .enumerate()
        .filter(|&(index, &frame)| index == 0 || sounding[index - 1] + 1 != frame)
        .map(|(_, &frame)| frame)
        .collect()
}

/// The frames where `midi`'s note-ons must sound.
fn onset_frames(midi: &Path, sample_rate: u32) -> Vec<u64> {
    let timeline = smf::Timeline::from_path(midi).unwrap();
    let mut frames: Vec<u64> = timeline
        .frames(sample_rate)
        .filter(|(_, event)| event.message.note_on().is_some())
        .map(|(frame, _)| frame)
        .collect();
    frames.dedup();
    frames
}

#[test]
fn every_note_on_sounds_at_its_exact_frame_at_every_block_size() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let sfz = click_sfz(dir.path(), 48_000);
    for block in [64, 1024, 4096] {
        let mut renderer =
            Renderer::new(Instrument::Sfz(sfz.clone()), offline(Some(block))).unwrap();
        assert_eq!(renderer.engine(), EngineKind::Offline);
        for name in SHARED {
            let output = dir.path().join(format!("{name}-{block}.wav"));
            let report = renderer
                .render_file(midi(name), &output, None::<&Path>)
                .unwrap();
            assert_eq!(
                report.frames,
                expected_frames(&midi(name), 2, 48_000),
                "{name}"
            );
            let wav = read_wav(&output);
            assert_eq!(
                click_starts(&wav.channels[0]),
                onset_frames(&midi(name), 48_000),
                "{name} at block {block}"
            );
        }
    }
}

#[test]
fn every_packaged_format_renders_the_exact_length_and_sounds() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let file = midi("k525short.mid");
    for spec in [
        KARS_LV2,
        "/usr/lib/vst/Kars-vst.so",
        "/usr/lib/dssi/hexter.so",
        FLUID_GM,
    ] {
        let output = dir.path().join("out.wav");
        let report = pycarla::render(
            Instrument::Plugins(vec![spec.to_string()]),
            &file,
            &output,
            &offline(None),
        )
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(report.frames, expected_frames(&file, 2, 48_000), "{spec}");
        let peak = peak(&output);
        assert!(peak > 0.01, "{spec} is silent");
    }
}

#[test]
fn an_lv2_synth_into_a_ladspa_effect_and_rack_and_patchbay_projects() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let file = midi("k525short.mid");
    let dry = dir.path().join("dry.wav");
    let wet = dir.path().join("wet.wav");
    pycarla::render(
        Instrument::Lv2(KARS_LV2.into()),
        &file,
        &dry,
        &offline(None),
    )
    .unwrap();
    pycarla::render(
        Instrument::Plugins(vec![
            KARS_LV2.into(),
            "/usr/lib/ladspa/MVerb-ladspa.so".into(),
        ]),
        &file,
        &wet,
        &offline(None),
    )
    .unwrap();
    let (dry, wet) = (read_wav(&dry), read_wav(&wet));
    assert_eq!(dry.channels[0].len(), wet.channels[0].len());
    assert_ne!(dry.channels, wet.channels, "the reverb changed nothing");

    // A patchbay project saved by Carla, and a rack project (no patchbay wiring).
    let patchbay = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/carla/fluidr3-gm-patchbay.carxp");
    let rack = dir.path().join("rack.carxp");
    std::fs::write(&rack, rack_project(KARS_LV2)).unwrap();
    for project in [patchbay, rack] {
        let output = dir.path().join("project.wav");
        pycarla::render(
            Instrument::CarlaProject(project.clone()),
            &file,
            &output,
            &offline(None),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", project.display()));
        let peak = peak(&output);
        assert!(peak > 0.01, "{} is silent", project.display());
    }
}

fn rack_project(lv2_uri: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE CARLA-PROJECT>
<CARLA-PROJECT VERSION='2.5'>
 <Plugin>
  <Info>
   <Type>LV2</Type>
   <Name>Kars</Name>
   <URI>{lv2_uri}</URI>
  </Info>
  <Data>
   <Active>Yes</Active>
  </Data>
 </Plugin>
</CARLA-PROJECT>
"
    )
}

#[test]
fn a_file_sounds_the_same_alone_and_after_another_file() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let fluid = || Instrument::SoundFont(FLUID_GM.into());
    let alone = dir.path().join("alone.wav");
    pycarla::render(fluid(), midi("test06.mid"), &alone, &offline(None)).unwrap();
    // test19 changes programs and controllers; test06 must not inherit them.
    let mut renderer = Renderer::new(fluid(), offline(None)).unwrap();
    renderer
        .render_file(
            midi("test19.mid"),
            dir.path().join("first.wav"),
            None::<&Path>,
        )
        .unwrap();
    let after = dir.path().join("after.wav");
    renderer
        .render_file(midi("test06.mid"), &after, None::<&Path>)
        .unwrap();
    assert_eq!(read_wav(&alone).channels, read_wav(&after).channels);

    // In a `--jobs 2` batch too: see pycarla-cli's tests/offline.rs.
}

/// Renders test03.mid, SIGKILLing the worker as soon as it reports progress.
fn render_killing_the_worker(
    renderer: &mut Renderer,
    output: &Path,
) -> Result<pycarla::RenderReport, Error> {
    let pid = renderer.worker_pid().expect("a worker");
    let mut killed = false;
    renderer.render_timeline(
        &smf::Timeline::from_path(midi("test03.mid")).unwrap(),
        output,
        None::<&Path>,
        |done, _| {
            // Mid-render: once some audio is written (the first progress line comes at 0).
            if !killed && done > 0 {
                kill(pid, libc::SIGKILL);
                killed = true;
            }
        },
    )
}

#[test]
fn a_worker_killed_mid_render_fails_that_file_and_a_retry_renders_it() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let output = dir.path().join("killed.wav");
    let mut renderer =
        Renderer::new(Instrument::SoundFont(FLUID_GM.into()), offline(Some(64))).unwrap();
    let pid = renderer.worker_pid().expect("a worker");
    match render_killing_the_worker(&mut renderer, &output) {
        Err(Error::PluginCrashed { status, chain, .. }) => {
            assert!(status.contains("SIGKILL"), "{status}");
            assert!(chain.contains("FluidR3_GM.sf2"), "{chain}");
        }
        other => panic!("expected PluginCrashed, got {other:?}"),
    }
    assert!(
        !output.exists(),
        "an incomplete render must not look finished"
    );
    let partial = read_wav(&pycarla::partial_path(&output));
    assert!(
        !partial.channels[0].is_empty(),
        "the partial file holds what was rendered"
    );
    assert!(eventually(2.0, || !pycarla_integration::alive(pid)));

    // The renderer starts a new worker for the next file.
    let report = renderer
        .render_file(midi("test01.mid"), &output, None::<&Path>)
        .unwrap();
    assert_eq!(
        report.frames,
        expected_frames(&midi("test01.mid"), 2, 48_000)
    );
    assert!(renderer.worker_pid().is_some_and(|new| new != pid));

    // With --retries, a crash renders the file again from the start.
    let options = offline(Some(64)).retries(1);
    let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), options).unwrap();
    let report = render_killing_the_worker(&mut renderer, &output).unwrap();
    assert_eq!(report.attempts, 2);
    assert_eq!(
        report.frames,
        expected_frames(&midi("test03.mid"), 2, 48_000)
    );
    assert_eq!(read_wav(&output).channels[0].len() as u64, report.frames);
}

#[test]
fn workers_end_with_their_renderer() {
    if !carla() {
        return;
    }
    let renderer = Renderer::new(Instrument::Lv2(KARS_LV2.into()), offline(None)).unwrap();
    let pid = renderer.worker_pid().unwrap();
    assert!(
        children_of(std::process::id())
            .iter()
            .any(|(child, _)| *child == pid)
    );
    drop(renderer);
    assert!(eventually(3.0, || !pycarla_integration::alive(pid)));
}

#[test]
fn bad_plugins_fail_before_any_audio_with_carlas_reason() {
    if !carla() {
        return;
    }
    let dir = scratch();
    for (plugins, expected) in [
        (vec!["http://example.org/no-such-plugin"], "Failed to find"),
        (vec!["/usr/lib/ladspa/MVerb-ladspa.so"], "no MIDI input"),
        (
            vec![KARS_LV2, "/usr/lib/ladspa/MVerb-ladspa.so#NoSuchLabel"],
            "NoSuchLabel",
        ),
        (vec!["/nowhere/piano.sf2"], "does not exist"),
    ] {
        let output = dir.path().join("bad.wav");
        let instrument = Instrument::Plugins(plugins.iter().map(|p| p.to_string()).collect());
        let error =
            pycarla::render(instrument, midi("test01.mid"), &output, &offline(None)).unwrap_err();
        assert!(matches!(error, Error::PluginLoad { .. }), "{error:?}");
        assert!(error.to_string().contains(expected), "{error}");
        assert!(!output.exists() && !pycarla::partial_path(&output).exists());
    }
}

#[test]
fn an_automatic_tail_ends_when_the_sound_does() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let output = dir.path().join("auto.wav");
    let options = offline(None).tail(Tail::Auto);
    let report = pycarla::render(
        Instrument::Lv2(KARS_LV2.into()),
        midi("test01.mid"),
        &output,
        &options,
    )
    .unwrap();
    let end = expected_frames(&midi("test01.mid"), 0, 48_000);
    assert!(
        report.frames > end && report.frames < end + 30 * 48_000,
        "{} frames",
        report.frames
    );
    assert_eq!(read_wav(&output).channels[0].len() as u64, report.frames);
}

#[test]
fn a_silent_render_of_notes_is_a_failure_not_a_file() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let silent = sfz_of(dir.path(), "silence", &[0.0; 64], 48_000);
    let output = dir.path().join("silent.wav");
    let error = pycarla::render(
        Instrument::Sfz(silent),
        midi("test01.mid"),
        &output,
        &offline(None),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Silent { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(!output.exists(), "a silent render must not look finished");
    assert!(pycarla::partial_path(&output).exists());
}

#[test]
fn every_common_sample_rate_renders_exact_lengths_and_onsets() {
    if !carla() {
        return;
    }
    let dir = scratch();
    for sample_rate in [16_000, 22_050, 44_100, 48_000, 96_000] {
        let sfz = sfz_of(
            dir.path(),
            &format!("click{sample_rate}"),
            &[1.0, 0.0, 0.0, 0.0],
            sample_rate,
        );
        let options = offline(None).sample_rate(sample_rate);
        let output = dir.path().join(format!("{sample_rate}.wav"));
        let report =
            pycarla::render(Instrument::Sfz(sfz), midi("test19.mid"), &output, &options).unwrap();
        assert_eq!(
            report.frames,
            expected_frames(&midi("test19.mid"), 2, sample_rate)
        );
        let wav = read_wav(&output);
        assert_eq!(wav.spec.sample_rate, sample_rate);
        assert_eq!(
            click_starts(&wav.channels[0]),
            onset_frames(&midi("test19.mid"), sample_rate),
            "at {sample_rate} Hz"
        );
    }
}

#[test]
fn a_plugin_that_stops_making_progress_fails_its_file_within_the_stall_timeout() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let options = offline(Some(64)).stall_timeout(std::time::Duration::from_secs(1));
    let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), options).unwrap();
    let worker = renderer.worker_pid().expect("a worker");
    // A plugin that never returns from its processing, as its worker sees it: the worker
    // stops mid-render (SIGSTOP), once its partial file holds audio.
    let output = dir.path().join("stalled.wav");
    let partial = pycarla::partial_path(&output);
    let stopper = std::thread::spawn(move || {
        let rendering = eventually(20.0, || {
            std::fs::metadata(&partial).is_ok_and(|m| m.len() > 100_000)
        });
        kill(worker, libc::SIGSTOP);
        rendering
    });
    let started = std::time::Instant::now();
    let error = renderer
        .render_file(midi("test03.mid"), &output, None::<&Path>)
        .unwrap_err();
    assert!(stopper.join().unwrap(), "the render never wrote audio");
    assert!(
        matches!(error, Error::PluginStalled { .. }) && error.is_retryable(),
        "{error}"
    );
    // Within a second or so of the last block, not the whole render's 60 s + 10x timeout.
    assert!(
        started.elapsed().as_secs_f64() < 4.0,
        "{:?}",
        started.elapsed()
    );
    assert!(
        eventually(5.0, || !support::alive(worker)),
        "the stopped worker was killed"
    );
    // The next file gets a new worker and renders.
    renderer
        .render_file(
            midi("test01.mid"),
            dir.path().join("next.wav"),
            None::<&Path>,
        )
        .unwrap();
}
