//! `cargo xtask bench`'s end-to-end report: pycarla-rs against the JACK limit, in one run on one
//! machine. Writes `target/bench/report.md` and `target/bench/report.json`.
//!
//! Needs release builds of `pycarla` and the impulse-instrument test fixture, named by the
//! environment variables `PYCARLA_BIN` and `IMPULSE_BIN` (xtask sets them).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod datasets;
mod empty_client;
mod jack_carla;
mod offline;
mod periods;
mod users_server;

use proc_supervisor::JackServer;
use pycarla::{Instrument, RenderOptions, Renderer, Tail};

const SAMPLE_RATE: u32 = 48_000;
const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

struct Row {
    key: String,
    label: String,
    value: f64,
    unit: &'static str,
    target: String,
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let midi_dir = root.join("tests/data/midi");
    let impulse = PathBuf::from(std::env::var("IMPULSE_BIN").expect("IMPULSE_BIN"));
    let pycarla_bin = PathBuf::from(std::env::var("PYCARLA_BIN").expect("PYCARLA_BIN"));
    // Renderers made in this process start `pycarla __jack-host` as their Carla host on JACK.
    pycarla::jack_host::set_jack_host_command(pycarla_bin.clone(), vec!["__jack-host".into()]);
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |key: &str, label: String, value: f64, unit: &'static str, target: &str| {
        eprintln!("{label}: {value:.3} {unit}");
        rows.push(Row {
            key: key.into(),
            label,
            value,
            unit,
            target: target.into(),
        });
    };
    let test03 = midi_dir.join("test03.mid");
    // `BENCH_ONLY=1,2` runs only those sections (for profiling); the report then holds only them.
    let only: Option<Vec<u32>> = std::env::var("BENCH_ONLY").ok().map(|list| {
        list.split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    });
    let runs = |section: u32| only.as_ref().is_none_or(|list| list.contains(&section));

    // 1. The JACK limit.
    let mut limits = Vec::new();
    for period in [128u32, 1024].into_iter().filter(|_| runs(1) || runs(2)) {
        let limit = jack_limit(period, Graph::Unconnected);
        let chained = jack_limit(period, Graph::Render(&impulse));
        let looped = jack_limit(period, Graph::Loop(&impulse));
        limits.push((limit, looped));
        push(
            &format!("jack_limit_p{period}"),
            format!("JACK limit: 3 empty clients in freewheel, period {period}"),
            limit,
            "× realtime",
            "",
        );
        push(
            &format!("jack_limit_graph_p{period}"),
            format!(
                "JACK limit: two clients, empty player → impulse instrument → empty recorder, period {period}"
            ),
            chained,
            "× realtime",
            "",
        );
        push(
            &format!("jack_limit_loop_p{period}"),
            format!(
                "JACK limit: a render's graph, one empty client → impulse instrument → the same client, period {period}"
            ),
            looped,
            "× realtime",
            "",
        );
    }

    // 2. The impulse instrument through pycarla-rs.
    for (period, &(limit, graph)) in [128u32, 1024].into_iter().zip(&limits).filter(|_| runs(2)) {
        let (whole, speed) = best_speed(
            impulse_instrument(&impulse),
            period,
            &test03,
            scratch.path(),
        );
        push(
            &format!("impulse_whole_p{period}"),
            format!("pycarla-rs, impulse instrument, test03.mid, period {period}: whole render"),
            whole,
            "× realtime",
            "",
        );
        push(
            &format!("impulse_p{period}"),
            format!("… steady state (first to last recorded frame), period {period}"),
            speed,
            "× realtime",
            "",
        );
        push(
            &format!("impulse_ratio_p{period}"),
            format!("… ratio to the JACK limit (unconnected clients), period {period}"),
            speed / limit,
            "",
            "≥ 0.8",
        );
        push(
            &format!("impulse_ratio_graph_p{period}"),
            format!("… ratio to the render-graph JACK limit, period {period}"),
            speed / graph,
            "",
            "≥ 0.8",
        );
    }

    // 3. fluidsynth.
    for period in [128u32, 1024].into_iter().filter(|_| runs(3)) {
        let (speed, _) = best_speed(
            Instrument::SoundFont(SOUNDFONT.into()),
            period,
            &test03,
            scratch.path(),
        );
        push(
            &format!("fluidsynth_p{period}"),
            format!(
                "JACK engine, FluidR3 GM SoundFont (pycarla's Carla host if Carla is installed, else fluidsynth), test03.mid, period {period}"
            ),
            speed,
            "× realtime",
            "",
        );
    }

    // 4. Peak memory of a render streamed to disk.
    if runs(4) {
        let (peak_rss, peak_private) =
            peak_memory(&pycarla_bin, &test03, &scratch.path().join("rss.wav"));
        push(
        "peak_rss_mb",
        "Peak RSS of `pycarla render --engine jack` (test03.mid, FluidR3 GM, to disk), JACK shared memory included".into(),
        peak_rss,
        "MB",
        "",
    );
        push(
            "peak_private_mb",
            "… of which private (anonymous) memory, peak".into(),
            peak_private,
            "MB",
            "≤ 10",
        );
    }

    // 5. Startup.
    if runs(5) {
        let startup = startup_seconds(scratch.path());
        push(
            "startup_s",
            "Startup, JACK engine: server + SoundFont host ready + first recorded frame (median of 3)".into(),
            startup,
            "s",
            "≤ 0.3",
        );
        if pycarla::jack_host::standalone_library().is_ok() {
            let mut kars = first_frame_seconds(
                Instrument::Plugins(vec![offline::KARS_URI.into()]),
                scratch.path(),
            );
            kars.sort_by(f64::total_cmp);
            push(
                "startup_kars_s",
                "… the same with Kars (LV2) through pycarla's Carla host (median of 3)".into(),
                kars[1],
                "s",
                "≤ 0.3",
            );
        }
    }

    // 6. Batch.
    if runs(6) {
        let speedup = batch_speedup(&pycarla_bin, &test03, scratch.path());
        push(
            "batch_speedup",
            "Batch of 4 files (JACK engine, FluidR3 GM), --jobs 2 over --jobs 1".into(),
            speedup,
            "×",
            "≥ 1.8",
        );
    }

    // 7. Timing.
    if runs(7) {
        let (worst, checked) = worst_onset_error(&impulse, &midi_dir, scratch.path());
        push(
            "max_onset_error_frames",
            format!("Largest onset error, all shared files, periods 64–4096 ({checked} onsets)"),
            worst,
            "frames",
            "0",
        );
    }

    // 8–11. The offline engine, the JACK engine and minihost.
    if runs(8) {
        offline_sections(&pycarla_bin, &midi_dir, &root, scratch.path(), &mut push);
    }

    // 13. The JACK engine with Carla: pycarla's Carla host against Carla's front end.
    if runs(13) && pycarla::jack_host::standalone_library().is_ok() {
        jack_carla::sections(&pycarla_bin, scratch.path(), &mut push);
    }

    // 14. The whole render at a small and a large period.
    if runs(14) {
        let wav = scratch.path().join("period.wav");
        let at =
            |period| periods::whole_render_seconds(&pycarla_bin, &impulse, &test03, period, &wav);
        let (small, large) = (at(1024), at(4096));
        push(
            "whole_p1024_seconds",
            "JACK, impulse instrument, test03.mid, private server, period 1024: whole process"
                .into(),
            small,
            "s",
            "",
        );
        push(
            "whole_p4096_seconds",
            "… period 4096: whole process".into(),
            large,
            "s",
            "no slower than 1024",
        );
    }

    // 15. A long file on the user's server: pycarla-rs, pycarla 0.3.3 and JACK's own cost.
    if runs(15) {
        users_server_section(
            &pycarla_bin,
            &impulse,
            &root,
            &test03,
            scratch.path(),
            &mut push,
        );
    }

    // 12. Stems against the mix alone.
    if runs(12) && Path::new(SOUNDFONT).is_file() && pycarla::offline::carla_library().is_ok() {
        let (mix, stems) = datasets::stems_cost(&pycarla_bin, scratch.path());
        push(
            "stems_mix_seconds",
            "Offline, FluidR3 GM, 16-channel 60 s file: the mix alone, whole process".into(),
            mix,
            "s",
            "",
        );
        push(
            "stems_seconds",
            "… 16 stems by channel and their mix, --jobs 2, whole process".into(),
            stems,
            "s",
            "",
        );
        push(
            "stems_cost_ratio",
            "… stems ÷ mix alone".into(),
            stems / mix,
            "×",
            "≤ 1.3",
        );
    }

    // 16. A batch of short files as FLAC against the same batch as WAV.
    if runs(16) && Path::new(SOUNDFONT).is_file() && pycarla::offline::carla_library().is_ok() {
        let (wav, flac, flacenc) = datasets::flac_cost(&pycarla_bin, scratch.path());
        push(
            "batch_wav16_seconds",
            "Offline, FluidR3 GM, 100 short 16-channel files (4 s), --jobs 2, as wav16: whole process".into(),
            wav,
            "s",
            "",
        );
        push(
            "batch_flac16_seconds",
            "… as flac16 (libFLAC)".into(),
            flac,
            "s",
            "",
        );
        push(
            "batch_flac16_flacenc_seconds",
            "… as flac16 through flacenc (where libFLAC is missing)".into(),
            flacenc,
            "s",
            "",
        );
        push(
            "batch_flac_over_wav",
            "… flac16 (libFLAC) ÷ wav16".into(),
            flac / wav,
            "×",
            "≤ 1.3",
        );
    }

    write_report(&root.join("target/bench"), &rows);
}

/// The offline engine against the JACK engine and minihost on Kars (LV2), whole process.
fn offline_sections(
    pycarla: &Path,
    midi_dir: &Path,
    root: &Path,
    scratch: &Path,
    push: &mut impl FnMut(&str, String, f64, &'static str, &str),
) {
    let long = offline::repeated(
        &midi_dir.join("k525short.mid"),
        20,
        &scratch.join("k525x20.mid"),
    );
    let seconds = smf::get_smf_duration(&long).expect("duration");
    let out = scratch.join("offline-out");
    let kars = ["--plugin", offline::KARS_URI];
    let ours = offline::best_of(3, || {
        offline::pycarla_command(
            pycarla,
            &kars,
            std::slice::from_ref(&long),
            &out.join("a.wav"),
        )
    })
    .expect("offline render");
    push(
        "offline_kars_long_s",
        format!(
            "Offline engine, Kars LV2, one {seconds:.0} s file (k525short × 20): whole process"
        ),
        ours,
        "s",
        "",
    );
    push(
        "offline_kars_long_x",
        "… × realtime".into(),
        seconds / ours,
        "× realtime",
        "",
    );
    // The same plugin in the other formats Carla hosts: each format's host overhead (VST3
    // ends a block at every event, see pycarla's offline engine).
    for (format, spec) in [
        ("vst3", "/usr/lib/vst3/Kars.vst3"),
        ("clap", "/usr/lib/clap/Kars.clap"),
    ] {
        if !Path::new(spec).exists() {
            continue;
        }
        if let Some(time) = offline::best_of(3, || {
            offline::pycarla_command(
                pycarla,
                &["--plugin", spec],
                std::slice::from_ref(&long),
                &out.join(format!("{format}.wav")),
            )
        }) {
            push(
                &format!("offline_kars_{format}_long_s"),
                format!(
                    "… Kars as {} ({spec}), same file: whole process ({:.2}× LV2's)",
                    format.to_uppercase(),
                    time / ours
                ),
                time,
                "s",
                "",
            );
        }
    }
    if let Some(jack) = offline::best_of(1, || {
        offline::pycarla_command(
            pycarla,
            &["--engine", "jack", "--lv2", offline::KARS_URI],
            std::slice::from_ref(&long),
            &out.join("j.wav"),
        )
    }) {
        push(
            "jack_kars_long_s",
            "JACK engine (private server, jalv), same file: whole process".into(),
            jack,
            "s",
            "",
        );
    }
    let four: Vec<PathBuf> = ["test03.mid", "test06.mid", "test19.mid", "k525short.mid"]
        .iter()
        .map(|name| midi_dir.join(name))
        .collect();
    let ours_four = offline::best_of(3, || {
        let mut args = kars.to_vec();
        args.extend(["--jobs", "2"]);
        offline::pycarla_command(pycarla, &args, &four, &out.join("four"))
    })
    .expect("offline batch");
    push(
        "offline_kars_four_jobs2_s",
        "Offline engine, Kars, 4 shared files (227 s of music), --jobs 2: whole process".into(),
        ours_four,
        "s",
        "",
    );
    let script = root.join("benches/peers/minihost_render.py");
    match offline::peer_python(&root.join("target/bench"), "minihost", "minihost") {
        Some(python) => {
            if let Some(peer) = offline::best_of(3, || {
                offline::minihost_command(
                    &python,
                    &script,
                    std::slice::from_ref(&long),
                    &out.join("mh"),
                )
            }) {
                push(
                    "minihost_kars_long_s",
                    "minihost, same file: whole process".into(),
                    peer,
                    "s",
                    "",
                );
                push(
                    "offline_over_minihost_long",
                    "… offline engine's speed over minihost's".into(),
                    peer / ours,
                    "×",
                    "≥ 2",
                );
            }
            if let Some(peer) = offline::best_of(3, || {
                offline::minihost_command(&python, &script, &four, &out.join("mh4"))
            }) {
                push(
                    "minihost_kars_four_s",
                    "minihost, the 4 files in turn: whole process".into(),
                    peer,
                    "s",
                    "",
                );
                push(
                    "offline_over_minihost_four",
                    "… offline engine (--jobs 2) over minihost".into(),
                    peer / ours_four,
                    "×",
                    "≥ 3",
                );
            }
        }
        None => eprintln!("minihost could not be installed: its rows are left out"),
    }
    // Overhead per file: 20 files of test01 against the same music as one file, no tails.
    let one = midi_dir.join("test01.mid");
    let copies: Vec<PathBuf> = (0..20)
        .map(|index| {
            let copy = scratch.join(format!("short{index:02}.mid"));
            std::fs::copy(&one, &copy).expect("copy");
            copy
        })
        .collect();
    let joined = offline::repeated(&one, 20, &scratch.join("short-x20.mid"));
    let mut no_tail = kars.to_vec();
    no_tail.extend(["--tail", "0"]);
    let many = offline::best_of(3, || {
        offline::pycarla_command(pycarla, &no_tail, &copies, &out.join("many"))
    });
    let single = offline::best_of(3, || {
        offline::pycarla_command(
            pycarla,
            &no_tail,
            std::slice::from_ref(&joined),
            &out.join("joined.wav"),
        )
    });
    if let (Some(many), Some(single)) = (many, single) {
        push(
            "offline_overhead_per_file_ms",
            "Offline engine, overhead per file in a batch (20 × test01 against the same music as one file)".into(),
            (many - single) / 19.0 * 1000.0,
            "ms",
            "≤ 20",
        );
    }
    let fluid = offline::best_of(3, || {
        offline::pycarla_command(
            pycarla,
            &["--sf2", SOUNDFONT],
            &[midi_dir.join("test03.mid")],
            &out.join("fluid.wav"),
        )
    })
    .expect("offline FluidR3");
    push(
        "offline_fluid_x",
        "Offline engine, FluidR3 GM, test03.mid: whole process".into(),
        160.8 / fluid,
        "× realtime",
        "",
    );
    let (rss, private) = offline::peak_memory_with_children(offline::pycarla_command(
        pycarla,
        &kars,
        std::slice::from_ref(&long),
        &out.join("m.wav"),
    ));
    push(
        "offline_peak_rss_mb",
        "Offline engine, peak RSS of pycarla + worker, streamed to disk (Kars, long file)".into(),
        rss,
        "MB",
        "",
    );
    push(
        "offline_peak_private_mb",
        "… of which private".into(),
        private,
        "MB",
        "≤ 10",
    );
}

/// Section 15 (see [`users_server`]): test03 twice over (322 s) at period 1024 and 4096.
fn users_server_section(
    pycarla: &Path,
    impulse: &Path,
    root: &Path,
    test03: &Path,
    scratch: &Path,
    push: &mut impl FnMut(&str, String, f64, &'static str, &str),
) {
    let long = offline::repeated(test03, 2, &scratch.join("test03x2.mid"));
    let seconds = smf::get_smf_duration(&long).expect("duration");
    let out = scratch.join("users-server");
    std::fs::create_dir_all(&out).expect("output dir");
    let script = root.join("benches/peers/pycarla_render.py");
    let peer = offline::peer_python(&root.join("target/bench"), "pycarla==0.3.3", "pycarla")
        .map(|python| (python, script));
    if peer.is_none() {
        eprintln!("pycarla 0.3.3 could not be installed: its rows are left out");
    }
    let mut whole = Vec::new();
    for period in [1024, 4096] {
        // The command's default tail: 2 s after the last message.
        let frames = ((seconds + 2.0) * f64::from(SAMPLE_RATE)).round() as u64;
        let at =
            users_server::measure(pycarla, impulse, peer.as_ref(), &long, frames, period, &out);
        let floor = seconds / jack_limit(period, Graph::Loop(impulse));
        let p = at.period;
        push(
            &format!("users_server_p{p}_s"),
            format!(
                "A server the user runs, impulse instrument as Carla, {seconds:.0} s file (test03 × 2), \
                 period {p}: pycarla-rs, whole process (median of {})",
                users_server::RUNS
            ),
            at.ours.0,
            "s",
            if p == 4096 { "no slower than 1024" } else { "" },
        );
        push(
            &format!("users_server_floor_ratio_p{p}"),
            format!("… over JACK's own cost for the render's graph ({floor:.2} s)"),
            at.ours.0 / floor,
            "×",
            "≤ 1.25",
        );
        push(
            &format!("users_server_over_empty_client_p{p}"),
            format!(
                "… over an empty client making the render's JACK calls on the same server (open, \
                 activate, connect, freewheel as many cycles, close: {:.2} s, median)",
                at.jack_alone.0
            ),
            at.ours.0 / at.jack_alone.0,
            "×",
            "",
        );
        if let Some(((median, best), failed)) = at.peer {
            push(
                &format!("users_server_pycarla_p{p}_s"),
                format!(
                    "… pycarla 0.3.3, same server and file (median; best {best:.2} s; {failed} of \
                     {} runs failed)",
                    users_server::RUNS
                ),
                median,
                "s",
                "",
            );
            push(
                &format!("users_server_over_pycarla_p{p}"),
                "… pycarla's median over pycarla-rs's".into(),
                median / at.ours.0,
                "×",
                "≥ 3",
            );
        }
        whole.push(at.ours.0);
    }
    push(
        "users_server_4096_over_1024",
        "… pycarla-rs at 4096 over at 1024".into(),
        whole[1] / whole[0],
        "×",
        "≤ 1",
    );
}

fn impulse_instrument(path: &Path) -> Instrument {
    Instrument::Command {
        command: vec![path.display().to_string()],
        midi_port: "Carla:events-in".into(),
        audio_ports: "Carla:audio-out*".into(),
    }
}

/// How the three clients of a limit measurement are arranged.
#[derive(Clone, Copy)]
enum Graph<'a> {
    /// Three clients of this process, unconnected (JACK may run them in parallel).
    Unconnected,
    /// A render's graph: an empty client → the impulse instrument (its own process) → an empty
    /// client, so the only difference from a render is the player's and recorder's work.
    Render(&'a Path),
    /// One empty client that both plays into the impulse instrument and records it (the
    /// instrument's outputs come back as a feedback connection).
    Loop(&'a Path),
}

/// Freewheel cycles a second of a server with three clients that do nothing, as × realtime
/// (the best of three one-second windows).
fn jack_limit(period: u32, graph: Graph) -> f64 {
    let server = JackServer::dummy().period(period).start().expect("jackd");
    let _instrument = match graph {
        Graph::Render(impulse) | Graph::Loop(impulse) => Some(
            proc_supervisor::Host::command(
                impulse,
                Vec::<String>::new(),
                "Carla:events-in",
                "Carla:audio-out*",
            )
            .start(&server)
            .expect("impulse instrument"),
        ),
        Graph::Unconnected => None,
    };
    let cycles = Arc::new(AtomicU64::new(0));
    let count = match graph {
        Graph::Unconnected => 3,
        Graph::Render(_) => 2,
        Graph::Loop(_) => 1,
    };
    let connected = !matches!(graph, Graph::Unconnected);
    let clients: Vec<_> = (0..count)
        .map(|index| {
            // The first client plays (and counts), the last one records.
            let ports = (connected && index == 0, connected && index == count - 1);
            let counter = empty_client::CycleCounter((index == 0).then(|| cycles.clone()));
            empty_client::open(server.name(), &format!("empty{index}"), ports, counter)
        })
        .collect();
    if connected {
        let name = |client: &jack::AsyncClient<_, _>| client.as_client().name().to_string();
        empty_client::connect_to_instrument(
            clients[0].as_client(),
            &name(&clients[0]),
            &name(&clients[count - 1]),
        );
    }
    rt_core::client::set_freewheel(clients[0].as_client(), true);
    std::thread::sleep(Duration::from_millis(200));
    let mut best = 0f64;
    for _ in 0..3 {
        let (start, t0) = (cycles.load(Ordering::Relaxed), Instant::now());
        std::thread::sleep(Duration::from_secs(1));
        let (end, elapsed) = (cycles.load(Ordering::Relaxed), t0.elapsed());
        best = best.max((end - start) as f64 / elapsed.as_secs_f64());
    }
    rt_core::client::set_freewheel(clients[0].as_client(), false);
    drop(clients);
    best * f64::from(period) / f64::from(SAMPLE_RATE)
}

/// The best × realtime of three renders of `midi` (server and host already running): of the
/// whole render (setup of the clients included), and of its steady state (from the first
/// recorded frame to the last).
fn best_speed(instrument: Instrument, period: u32, midi: &Path, scratch: &Path) -> (f64, f64) {
    let options = RenderOptions::default()
        .engine(pycarla::EngineChoice::Jack)
        .period(Some(period))
        .tail(Tail::Seconds(2.0))
        // The same synth for the three runs: what is measured is the render, not a restart.
        .keep_state(true);
    let mut renderer = Renderer::new(instrument, options).expect("renderer");
    let timeline = smf::Timeline::from_path(midi).expect("midi");
    let wav = scratch.join("speed.wav");
    let (mut whole, mut steady) = (0f64, 0f64);
    for _ in 0..3 {
        let started = Instant::now();
        let mut first: Option<(Instant, u64)> = None;
        let mut last = (started, 0u64);
        let report = renderer
            .render_timeline(&timeline, &wav, None::<&Path>, |done, _| {
                if done > 0 {
                    let now = Instant::now();
                    first.get_or_insert((now, done));
                    if done > last.1 {
                        last = (now, done);
                    }
                }
            })
            .expect("render");
        whole = whole.max(report.times_realtime());
        if let Some((t0, f0)) = first {
            let seconds = (last.1 - f0) as f64 / f64::from(SAMPLE_RATE);
            steady = steady.max(seconds / last.0.duration_since(t0).as_secs_f64());
        }
    }
    (whole, steady)
}

/// Peak resident memory of a CLI render, in MB: `VmHWM` (JACK's shared memory included) and
/// the largest `RssAnon` (private memory), sampled from /proc until the process exits. (wait4's
/// `ru_maxrss` would count the synth host, a descendant, too.)
fn peak_memory(pycarla: &Path, midi: &Path, wav: &Path) -> (f64, f64) {
    let mut child = Command::new(pycarla)
        .args(["render", "-q", "--engine", "jack", "--sf2", SOUNDFONT])
        .arg(midi)
        .arg("-o")
        .arg(wav)
        .spawn()
        .expect("pycarla");
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (mut hwm_kb, mut private_kb) = (0u64, 0u64);
    while child.try_wait().expect("wait").is_none() {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            hwm_kb = hwm_kb.max(field(&text, "VmHWM:"));
            private_kb = private_kb.max(field(&text, "RssAnon:"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (hwm_kb as f64 / 1024.0, private_kb as f64 / 1024.0)
}

/// From before starting the server to the first recorded frame of a note through fluidsynth.
fn startup_seconds(scratch: &Path) -> f64 {
    let mut times = first_frame_seconds(Instrument::SoundFont(SOUNDFONT.into()), scratch);
    times.sort_by(f64::total_cmp);
    // Where the time goes: the server alone, and the server plus the host.
    let server_alone = (0..3)
        .map(|_| {
            let started = Instant::now();
            let server = JackServer::dummy().start().expect("jackd");
            let elapsed = started.elapsed().as_secs_f64();
            drop(server);
            elapsed
        })
        .fold(f64::INFINITY, f64::min);
    let with_host = (0..3)
        .map(|_| {
            let started = Instant::now();
            let server = JackServer::dummy().start().expect("jackd");
            let host = proc_supervisor::Host::fluidsynth(SOUNDFONT)
                .start(&server)
                .expect("fluidsynth");
            let elapsed = started.elapsed().as_secs_f64();
            drop(host);
            drop(server);
            elapsed
        })
        .fold(f64::INFINITY, f64::min);
    eprintln!(
        "startup breakdown: jackd ready {server_alone:.3} s; + fluidsynth ready {with_host:.3} s"
    );
    times[1]
}

/// Wall time of four copies of `midi` with --jobs 1 over --jobs 2.
fn batch_speedup(pycarla: &Path, midi: &Path, scratch: &Path) -> f64 {
    let inputs: Vec<PathBuf> = ["a", "b", "c", "d"]
        .iter()
        .map(|name| {
            let copy = scratch.join(format!("{name}.mid"));
            std::fs::copy(midi, &copy).expect("copy");
            copy
        })
        .collect();
    let run = |jobs: &str| {
        let out = scratch.join(format!("batch-{jobs}"));
        let started = Instant::now();
        let status = Command::new(pycarla)
            .args([
                "render", "-q", "--engine", "jack", "--sf2", SOUNDFONT, "--jobs", jobs, "-o",
            ])
            .arg(&out)
            .args(&inputs)
            .status()
            .expect("pycarla");
        assert!(status.success(), "batch with --jobs {jobs}");
        started.elapsed().as_secs_f64()
    };
    let one = run("1");
    let two = run("2");
    eprintln!("batch: --jobs 1 {one:.2} s, --jobs 2 {two:.2} s");
    one / two
}

/// The largest distance between an onset's expected frame and its impulse, over every shared
/// file and periods 64–4096; a missing or extra impulse counts as an infinite error.
fn worst_onset_error(impulse: &Path, midi_dir: &Path, scratch: &Path) -> (f64, usize) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(midi_dir)
        .expect("midi dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .collect();
    files.sort();
    let (mut worst, mut checked) = (0f64, 0usize);
    for period in [64u32, 128, 256, 512, 1024, 2048, 4096] {
        let options = RenderOptions::default()
            .period(Some(period))
            .tail(Tail::Seconds(0.5))
            // The impulse instrument has no state to carry over.
            .keep_state(true);
        let mut renderer = Renderer::new(impulse_instrument(impulse), options).expect("renderer");
        for file in &files {
            let timeline = smf::Timeline::from_path(file).expect("midi");
            let wav = scratch.join("timing.wav");
            renderer
                .render_file(file, &wav, None::<&Path>)
                .expect("render");
            let expected: BTreeSet<u64> = timeline
                .frames(SAMPLE_RATE)
                .filter(|(_, e)| e.message.note_on().is_some())
                .map(|(f, _)| f)
                .collect();
            let mut reader = hound::WavReader::open(&wav).expect("wav");
            let got: BTreeSet<u64> = reader
                .samples::<f32>()
                .step_by(2)
                .enumerate()
                .filter(|(_, s)| *s.as_ref().expect("sample") != 0.0)
                .map(|(i, _)| i as u64)
                .collect();
            if got.len() != expected.len() {
                worst = f64::INFINITY;
            }
            for (want, have) in expected.iter().zip(&got) {
                worst = worst.max(want.abs_diff(*have) as f64);
            }
            checked += expected.len();
        }
    }
    (worst, checked)
}

fn write_report(dir: &Path, rows: &[Row]) {
    std::fs::create_dir_all(dir).expect("target/bench");
    let host = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let mut md = format!(
        "# pycarla-rs benchmark report\n\nOne run, one machine ({host}, {} cores). Reproduce: `cargo xtask bench`.\n\n| measure | value | target |\n|---|---|---|\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut json = String::from("{\n");
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {:.3} {} | {} |",
            row.label, row.value, row.unit, row.target
        );
        let value = if row.value.is_finite() {
            format!("{}", row.value)
        } else {
            "null".into()
        };
        let _ = writeln!(
            json,
            "  \"{}\": {{\"value\": {value}, \"unit\": \"{}\", \"target\": \"{}\"}}{}",
            row.key,
            row.unit,
            row.target,
            if i + 1 < rows.len() { "," } else { "" }
        );
    }
    json.push_str("}\n");
    std::fs::write(dir.join("report.md"), md).expect("report.md");
    std::fs::write(dir.join("report.json"), json).expect("report.json");
    eprintln!("wrote {}", dir.join("report.md").display());
}

/// Seconds from creating a JACK-engine renderer of `instrument` (private server) to the first
/// recorded frame of one note, three times.
fn first_frame_seconds(instrument: Instrument, scratch: &Path) -> Vec<f64> {
    let note = smf::Note::default().timeline().expect("note");
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let mut first = None;
            let options = RenderOptions::default().engine(pycarla::EngineChoice::Jack);
            let mut renderer = Renderer::new(instrument.clone(), options).expect("renderer");
            eprintln!(
                "  renderer ready after {:.3} s",
                started.elapsed().as_secs_f64()
            );
            renderer
                .render_timeline(&note, scratch.join("note.wav"), None::<&Path>, |done, _| {
                    if done > 0 && first.is_none() {
                        first = Some(started.elapsed());
                    }
                })
                .expect("render");
            first.expect("frames recorded").as_secs_f64()
        })
        .collect()
}
