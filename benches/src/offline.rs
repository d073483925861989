//! The offline engine against the JACK engine and minihost (an in-process JUCE host from PyPI),
//! whole process, same plugin and files, in one run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use midly::{Smf, TrackEvent, TrackEventKind};

/// The LV2 synth of the comparison: cheap, so hosts' own costs show.
pub const KARS_URI: &str = "http://distrho.sf.net/plugins/Kars";
/// minihost loads LV2 plugins by bundle.
pub const KARS_BUNDLE: &str = "/usr/lib/lv2/Kars.lv2";

/// `midi` played `times` times in a row, as one file (every track repeated after the longest
/// track's end, so tempo maps repeat too).
pub fn repeated(midi: &Path, times: u32, out: &Path) -> PathBuf {
    let bytes = std::fs::read(midi).expect("midi");
    let smf = Smf::parse(&bytes).expect("parses");
    let length: u32 = smf
        .tracks
        .iter()
        .map(|track| track.iter().map(|e| e.delta.as_int()).sum::<u32>())
        .max()
        .unwrap_or(0);
    let mut repeated = Smf::new(smf.header);
    for track in &smf.tracks {
        let mut absolute = Vec::new();
        let mut tick = 0;
        for event in track {
            tick += event.delta.as_int();
            if !matches!(
                event.kind,
                TrackEventKind::Meta(midly::MetaMessage::EndOfTrack)
            ) {
                absolute.push((tick, event.kind));
            }
        }
        let mut events = Vec::new();
        let mut last = 0;
        for copy in 0..times {
            for &(tick, kind) in &absolute {
                let at = tick + copy * length;
                events.push(TrackEvent {
                    delta: (at - last).into(),
                    kind,
                });
                last = at;
            }
        }
        events.push(TrackEvent {
            delta: (times * length - last).into(),
            kind: TrackEventKind::Meta(midly::MetaMessage::EndOfTrack),
        });
        repeated.tracks.push(events);
    }
    repeated.save(out).expect("write the repeated file");
    out.to_path_buf()
}

/// Seconds of the fastest of `runs` runs of `command`, or `None` when it fails.
pub fn best_of(runs: u32, command: impl FnMut() -> Command) -> Option<f64> {
    times_of(runs, command).map(|times| times[0])
}

/// Seconds of each of `runs` runs of `command`, fastest first, or `None` when one fails.
pub fn times_of(runs: u32, mut command: impl FnMut() -> Command) -> Option<Vec<f64>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let output = command().output().ok()?;
        if !output.status.success() {
            eprintln!(
                "failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            return None;
        }
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (!times.is_empty()).then_some(times)
}

/// A Python with `requirement` installed (`pip install REQUIREMENT`), in a virtual environment
/// of the bench's own under `dir`, or `None` when it cannot be installed here. `module` is what
/// must import.
pub fn peer_python(dir: &Path, requirement: &str, module: &str) -> Option<PathBuf> {
    let venv = dir.join(format!("{module}-venv"));
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Some(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", requirement])
            .status()
            .is_ok_and(|s| s.success());
    (created && ready(&python)).then_some(python)
}

/// The peer script's command: minihost renders `midis` in turn, in one process.
pub fn minihost_command(python: &Path, script: &Path, midis: &[PathBuf], out: &Path) -> Command {
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg(KARS_BUNDLE)
        .args(midis)
        .arg("-o")
        .arg(out);
    command
}

/// `pycarla render` with `args`, quiet.
pub fn pycarla_command(pycarla: &Path, args: &[&str], midis: &[PathBuf], out: &Path) -> Command {
    let mut command = Command::new(pycarla);
    command
        .args(["render", "-q"])
        .args(args)
        .args(midis)
        .arg("-o")
        .arg(out);
    command
}

/// Peak resident and private memory of `pycarla` and its worker processes, summed.
pub fn peak_memory_with_children(mut command: Command) -> (f64, f64) {
    let mut child = command.spawn().expect("pycarla");
    let field = |pid: u32, name: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    };
    let children = |pid: u32| -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let (mut rss, mut private) = (0u64, 0u64);
    while child.try_wait().expect("wait").is_none() {
        let mut pids = vec![child.id()];
        pids.extend(children(child.id()));
        rss = rss.max(pids.iter().map(|&p| field(p, "VmRSS:")).sum());
        private = private.max(pids.iter().map(|&p| field(p, "RssAnon:")).sum());
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (rss as f64 / 1024.0, private as f64 / 1024.0)
}
