//! The instrument plays what the file says, proved against references rather than against
//! pycarla-rs itself:
//! - the default General MIDI instrument against the real `fluidsynth -F` (FluidSynth's own
//!   renderer, what `pretty_midi` uses) on the shared files: level and envelope;
//! - channel 1's volume, balance and pan against the same file without them (they must not
//!   move the other channels), through a SoundFont and through DISTRHO Kars, offline and on
//!   JACK through pycarla's Carla host;
//! - a Carla patchbay project is ready before its first block (a one-sample click SFZ: every
//!   click on its frame, at every block size; Carla's own FluidR3 project, three times);
//! - the same samples on every run (Kars draws from the C library's `rand()`).
//!
//! Skipped, with a message, where Carla (or fluidsynth, for the reference) is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use pycarla::{EngineChoice, Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::{
    self as support, SHARED, carla_or_skip, click_sfz, impulse_frames, midi, read_wav, use_helper,
};
use smf::testing::single_track_file;

const FLUID_GM: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
const KARS_LV2: &str = "http://distrho.sf.net/plugins/Kars";
const RATE: u32 = 48_000;

fn carla() -> bool {
    use_helper(
        pycarla::offline::WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-worker"),
    );
    use_helper(
        pycarla::jack_host::JACK_HOST_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-jack-host"),
    );
    carla_or_skip(pycarla::offline::carla_library()).is_some()
}

fn scratch() -> tempfile::TempDir {
    support::scratch("pycarla-fidelity-")
}

fn offline() -> RenderOptions {
    RenderOptions::default().engine(EngineChoice::Offline)
}

/// RMS level in dBFS of frames `range` over every channel.
fn level_db(channels: &[Vec<f32>], range: std::ops::Range<usize>) -> f64 {
    let mut power = 0.0f64;
    let mut count = 0usize;
    for channel in channels {
        let end = range.end.min(channel.len());
        for &sample in &channel[range.start.min(end)..end] {
            power += f64::from(sample) * f64::from(sample);
            count += 1;
        }
    }
    10.0 * (power / count.max(1) as f64).max(1e-30).log10()
}

/// A one-track file at 480 ticks a beat, 120 BPM (1 tick = 1/960 s), of `events`
/// (`(delta ticks, bytes)`).
fn write_midi(dir: &Path, name: &str, events: &[(u32, Vec<u8>)]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, single_track_file(480, events)).unwrap();
    path
}

/// Notes on channel 2 (a piano chord, then a held note), after `first` on channel 1.
fn channel_two_music(first: &[Vec<u8>]) -> Vec<(u32, Vec<u8>)> {
    let mut events: Vec<(u32, Vec<u8>)> = first.iter().map(|bytes| (0, bytes.clone())).collect();
    events.extend([
        (96, vec![0x91, 60, 100]),
        (0, vec![0x91, 64, 90]),
        (480, vec![0x81, 60, 0]),
        (0, vec![0x81, 64, 0]),
        (0, vec![0x91, 67, 110]),
        (960, vec![0x81, 67, 0]),
    ]);
    events
}

#[test]
fn channel_one_controllers_move_only_channel_one() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let plain = write_midi(dir.path(), "plain.mid", &channel_two_music(&[]));
    // Channel 1 at volume 0, balance and pan hard left: its own business, none of channel 2's.
    let with_controls = write_midi(
        dir.path(),
        "controls.mid",
        &channel_two_music(&[vec![0xB0, 7, 0], vec![0xB0, 8, 0], vec![0xB0, 10, 0]]),
    );
    let jack = RenderOptions::default()
        .engine(EngineChoice::Jack)
        .tail(Tail::Seconds(1.0));
    for (instrument, options, engine) in [
        (Instrument::SoundFont(FLUID_GM.into()), offline(), "offline"),
        (
            Instrument::Plugins(vec![KARS_LV2.into()]),
            offline(),
            "offline",
        ),
        (Instrument::SoundFont(FLUID_GM.into()), jack, "jack"),
    ] {
        let mut renderer = Renderer::new(instrument.clone(), options).unwrap();
        let render = |renderer: &mut Renderer, midi: &Path, name: &str| {
            let output = dir.path().join(name);
            // One name for the seed rule: Kars draws each note's wave from `rand()`, seeded
            // per file.
            renderer.set_draw_key("song");
            let timeline = smf::Timeline::from_path(midi).unwrap();
            renderer
                .render_timeline(&timeline, &output, None::<&Path>, |_, _| {})
                .unwrap();
            read_wav(&output).channels
        };
        let reference = render(&mut renderer, &plain, "plain.wav");
        let controlled = render(&mut renderer, &with_controls, "controls.wav");
        let what = format!("{} on {engine}", instrument.label());
        assert!(
            level_db(&reference, 0..usize::MAX) > -60.0,
            "{what}: the reference sounds"
        );
        for (side, (a, b)) in reference.iter().zip(&controlled).enumerate() {
            let level = level_db(std::slice::from_ref(b), 0..usize::MAX);
            let against = level_db(std::slice::from_ref(a), 0..usize::MAX);
            // Offline both renders are the same samples; on JACK, the same level.
            assert!(
                (level - against).abs() < 0.1,
                "{what}, channel {side}: {level:.2} dB with channel 1's controllers, {against:.2} dB without"
            );
            if engine == "offline" {
                assert_eq!(a, b, "{what}, channel {side}: the samples differ");
            }
        }
    }
}

/// `fluidsynth -F` at 48 kHz, float: the reference renderer of SoundFonts.
fn fluidsynth_reference(midi: &Path, output: &Path) -> Option<()> {
    let status = Command::new("fluidsynth")
        .args([
            "-n", "-i", "-q", "-r", "48000", "-O", "float", "-T", "wav", "-F",
        ])
        .arg(output)
        .arg(FLUID_GM)
        .arg(midi)
        .status()
        .ok()?;
    (status.success() && output.is_file()).then_some(())
}

#[test]
fn the_default_instrument_sounds_like_fluidsynth_itself() {
    if !carla() {
        return;
    }
    let dir = scratch();
    if fluidsynth_reference(&midi("test01.mid"), &dir.path().join("probe.wav")).is_none() {
        support::record_carla_skip("fluidsynth (the reference renderer) is not installed");
        return;
    }
    let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), offline()).unwrap();
    let second = RATE as usize;
    for name in SHARED {
        let reference = dir.path().join(format!("{name}.ref.wav"));
        fluidsynth_reference(&midi(name), &reference).unwrap();
        let ours = dir.path().join(format!("{name}.wav"));
        renderer
            .render_file(midi(name), &ours, None::<&Path>)
            .unwrap();
        let (reference, ours) = (read_wav(&reference).channels, read_wav(&ours).channels);
        let frames = reference[0].len().min(ours[0].len());
        let whole = level_db(&ours, 0..frames) - level_db(&reference, 0..frames);
        let (mut compared, mut close) = (0, 0);
        for start in (0..frames.saturating_sub(second)).step_by(second) {
            let window = start..start + second;
            let against = level_db(&reference, window.clone());
            if against > -60.0 {
                compared += 1;
                if (level_db(&ours, window) - against).abs() <= 3.0 {
                    close += 1;
                }
            }
        }
        eprintln!(
            "{name}: whole file {whole:+.2} dB against fluidsynth -F; {close} of {compared} one-second windows within 3 dB"
        );
        assert!(
            whole.abs() <= 1.0,
            "{name}: {whole:+.2} dB against fluidsynth -F"
        );
        assert!(
            close as f64 >= 0.95 * compared as f64,
            "{name}: only {close} of {compared} windows within 3 dB of fluidsynth -F"
        );
    }
}

/// A click every half second for `seconds` (a note of 0.1 s each).
fn clicks_every_half_second(dir: &Path, seconds: u32) -> PathBuf {
    let mut events = Vec::new();
    for _ in 0..seconds * 2 {
        events.push((0, vec![0x90, 60, 100]));
        events.push((96, vec![0x80, 60, 0]));
        events.push((384, vec![0x80, 61, 0]));
    }
    write_midi(dir, "clicks.mid", &events)
}

#[test]
fn a_patchbay_project_is_ready_before_its_first_block() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let sfz = click_sfz(dir.path(), RATE);
    let project = dir.path().join("click.carxp");
    std::fs::write(&project, pycarla::carla_project("SFZ", &sfz)).unwrap();
    let file = clicks_every_half_second(dir.path(), 60);
    let expected: Vec<u64> = (0..120).map(|k| k * u64::from(RATE) / 2).collect();
    let jack = |period| {
        RenderOptions::default()
            .engine(EngineChoice::Jack)
            .period(Some(period))
    };
    for (options, what) in [
        (offline().period(Some(64)), "offline, block 64"),
        (offline().period(Some(1024)), "offline, block 1024"),
        (offline().period(Some(4096)), "offline, block 4096"),
        // On JACK through pycarla's Carla host: 256 is also the private server's set-up period.
        (jack(256), "JACK, period 256"),
        (jack(1024), "JACK, period 1024"),
    ] {
        let mut renderer =
            Renderer::new(Instrument::CarlaProject(project.clone()), options).unwrap();
        let output = dir.path().join(format!("clicks-{what}.wav"));
        renderer.render_file(&file, &output, None::<&Path>).unwrap();
        let wav = read_wav(&output);
        let starts: Vec<u64> =
            impulse_frames(&wav.channels[0])
                .into_iter()
                .fold(Vec::new(), |mut starts, frame| {
                    if starts.last().is_none_or(|last: &u64| frame > last + 8) {
                        starts.push(frame);
                    }
                    starts
                });
        assert_eq!(starts, expected, "{what}");
    }
    // Carla's own FluidR3 patchbay project, rendered three times in a row.
    let fluid = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/carla/fluidr3-gm-patchbay.carxp");
    let mut renderer = Renderer::new(Instrument::CarlaProject(fluid), offline()).unwrap();
    for run in 0..3 {
        let output = dir.path().join(format!("fluid-{run}.wav"));
        renderer
            .render_file(midi("test01.mid"), &output, None::<&Path>)
            .unwrap();
        let wav = read_wav(&output);
        let level = level_db(&wav.channels, 0..48_000);
        assert!(
            level > -50.0,
            "run {run}: the first second is at {level:.1} dB"
        );
    }
}

#[test]
fn kars_gives_the_same_samples_on_every_run_and_the_seed_changes_them() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let render = |name: &str, options: RenderOptions| {
        let output = dir.path().join(name);
        // A fresh renderer (a fresh worker process) each time: another address-space layout.
        let mut renderer =
            Renderer::new(Instrument::Plugins(vec![KARS_LV2.into()]), options).unwrap();
        renderer
            .render_file(midi("test01.mid"), &output, None::<&Path>)
            .unwrap();
        read_wav(&output).channels
    };
    let first = render("a.wav", offline());
    assert_eq!(first, render("b.wav", offline()), "two runs differ");
    assert_ne!(
        first,
        render("c.wav", offline().seed(7)),
        "the seed changes nothing"
    );
}

/// A note-on every half second for `seconds`.
fn notes_every_half_second(dir: &Path, name: &str, first: &[Vec<u8>], seconds: u32) -> PathBuf {
    let mut events: Vec<(u32, Vec<u8>)> = first.iter().map(|bytes| (0, bytes.clone())).collect();
    for _ in 0..seconds * 2 {
        events.push((0, vec![0x90, 60, 100]));
        events.push((480, vec![0x80, 60, 0]));
    }
    write_midi(dir, name, &events)
}

#[test]
fn an_instrument_that_starts_late_fails_the_file_naming_the_span() {
    let dir = scratch();
    let file = notes_every_half_second(dir.path(), "notes.mid", &[], 10);
    let impulse = support::impulse_instrument().display().to_string();
    let render = |deaf: u32| {
        let instrument = Instrument::Command {
            command: vec![
                "sh".into(),
                "-c".into(),
                format!("IMPULSE_DEAF_NOTES={deaf} exec {impulse}"),
            ],
            midi_port: "Carla:events-in".into(),
            audio_ports: "Carla:audio-out*".into(),
        };
        let options = RenderOptions::default()
            .engine(EngineChoice::Jack)
            .tail(Tail::Seconds(0.5));
        let mut renderer = Renderer::new(instrument, options).unwrap();
        renderer.render_file(
            &file,
            dir.path().join(format!("deaf-{deaf}.wav")),
            None::<&Path>,
        )
    };
    // The first 8 note-ons (0 to 3.5 s) make no sound: the file fails, naming the span.
    let error = render(8).unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("notes from 0.00 s to 3.50 s made no sound"),
        "{message}"
    );
    // One note-on lost is counted, not a failure.
    let report = render(1).unwrap();
    assert_eq!(report.silent_note_ons, 1);
    assert_eq!(render(0).unwrap().silent_note_ons, 0);
}

#[test]
fn quiet_music_rests_and_a_fade_to_volume_zero_pass_the_check() {
    if !carla() {
        return;
    }
    let dir = scratch();
    // Two seconds of notes, four of rest, two more, then the volume faded to 0 and notes on.
    let mut events: Vec<(u32, Vec<u8>)> = Vec::new();
    for _ in 0..4 {
        events.push((0, vec![0x90, 60, 30]));
        events.push((480, vec![0x80, 60, 0]));
    }
    events.push((3840, vec![0x90, 64, 20]));
    events.push((960, vec![0x80, 64, 0]));
    for value in (0..=100u8).rev().step_by(10) {
        events.push((48, vec![0xB0, 7, value]));
    }
    for _ in 0..6 {
        events.push((0, vec![0x90, 67, 100]));
        events.push((480, vec![0x80, 67, 0]));
    }
    let file = write_midi(dir.path(), "quiet.mid", &events);
    let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), offline()).unwrap();
    let report = renderer
        .render_file(&file, dir.path().join("quiet.wav"), None::<&Path>)
        .unwrap();
    assert_eq!(report.silent_note_ons, 0);
}

#[test]
fn gain_comes_before_clipping_and_clipping_is_counted() {
    if !carla() {
        return;
    }
    let dir = scratch();
    let file = midi("test01.mid");
    let render = |name: &str, options: RenderOptions| {
        let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), options).unwrap();
        let output = dir.path().join(name);
        let report = renderer.render_file(&file, &output, None::<&Path>).unwrap();
        (report, read_wav(&output).channels)
    };
    let (plain, reference) = render("plain.wav", offline());
    assert_eq!(
        plain.clipped_samples,
        0,
        "peak {:.1} dBFS",
        plain.peak_dbfs()
    );
    // +6.02 dB is twice the amplitude, sample for sample.
    let (louder, doubled) = render("louder.wav", offline().gain(20.0 * 2f64.log10()));
    for (a, b) in reference.iter().zip(&doubled) {
        for (x, y) in a.iter().zip(b) {
            assert!((2.0 * x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{x} {y}");
        }
    }
    assert!((louder.peak_dbfs() - plain.peak_dbfs() - 6.02).abs() < 0.01);
    // Far too loud into 16 bits: clipped, counted exactly, and the file holds full scale.
    let gain = 40.0;
    let (clipped, samples) = render(
        "clipped.wav",
        offline().gain(gain).format(pycarla::WavFormat::Int16),
    );
    let factor = 10f32.powf(gain as f32 / 20.0);
    let expected = reference
        .iter()
        .flatten()
        .filter(|x| (*x * factor).abs() >= 1.0)
        .count() as u64;
    assert!(expected > 0);
    assert_eq!(clipped.clipped_samples, expected);
    let at_full_scale = samples
        .iter()
        .flatten()
        .filter(|x| x.abs() >= 32767.0 / 32768.0)
        .count() as u64;
    assert!(at_full_scale >= expected, "{at_full_scale} < {expected}");
    // Float keeps what is above full scale, and still counts it.
    let (float, kept) = render("float.wav", offline().gain(gain));
    assert_eq!(float.clipped_samples, expected);
    assert!(kept.iter().flatten().any(|x| x.abs() > 1.0));
}

#[test]
fn system_exclusive_messages_carla_cannot_play_are_counted() {
    if !carla() {
        return;
    }
    let dir = scratch();
    // A GS reset and a GS "use for rhythm part" on channel 11, then two keys on channel 11.
    let gs_reset = vec![
        0xF0, 0x0A, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41, 0xF7,
    ];
    let rhythm = vec![
        0xF0, 0x0A, 0x41, 0x10, 0x42, 0x12, 0x40, 0x1A, 0x15, 0x02, 0x0F, 0xF7,
    ];
    let file = write_midi(
        dir.path(),
        "gs.mid",
        &[
            (0, gs_reset),
            (0, rhythm),
            (96, vec![0x9A, 38, 110]),
            (480, vec![0x8A, 38, 0]),
        ],
    );
    let mut renderer = Renderer::new(Instrument::SoundFont(FLUID_GM.into()), offline()).unwrap();
    let report = renderer
        .render_file(&file, dir.path().join("gs.wav"), None::<&Path>)
        .unwrap();
    assert_eq!(report.sysex_dropped, 2);
    let report = renderer
        .render_file(midi("test01.mid"), dir.path().join("t.wav"), None::<&Path>)
        .unwrap();
    assert_eq!(report.sysex_dropped, 0);
}
