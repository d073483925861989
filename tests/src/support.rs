//! Helpers of the facade's and the command line's tests: the shared MIDI files, binaries
//! built on demand (the impulse instrument test fixture, the offline engine's worker), reading
//! WAVs, and watching processes.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A shared MIDI file by name.
pub fn midi(name: &str) -> PathBuf {
    crate::midi_dir().join(name)
}

/// The shared MIDI files' names.
pub const SHARED: [&str; 5] = [
    "k525short.mid",
    "test01.mid",
    "test03.mid",
    "test06.mid",
    "test19.mid",
];

/// The impulse instrument (a test fixture of this package), built if needed.
pub fn impulse_instrument() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| built("pycarla-integration", "impulse-instrument"))
}

/// The misbehaving CLAP plugins of `crates/fault-plugins` as one `.clap` file, built if
/// needed: `FILE#org.pycarla.fixtures.crash-on-note`, `…hang-in-process`, `…delay` (its
/// "Delay" parameter, in frames, reported as latency), `…delay-1000`, `…delay-10000`.
pub fn fault_plugins() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let library = cargo_build(&["-p", "fault-plugins", "--lib"], "libfault_plugins.so");
        // Carla and pycarla know a CLAP plugin by its file's extension.
        let clap = library.with_file_name("pycarla-fixtures.clap");
        std::fs::copy(&library, &clap).expect("copying the fixture plugins");
        clap
    })
}

/// Builds binary `bin` of `package` in the test's own profile and returns its path.
fn built(package: &str, bin: &str) -> PathBuf {
    cargo_build(&["-p", package, "--bin", bin], bin)
}

/// Runs `cargo build ARGS` in the test's own profile; returns the path of `artifact` there.
fn cargo_build(args: &[&str], artifact: &str) -> PathBuf {
    let path = crate::fixture_binary(artifact);
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(["build", "--quiet"]).args(args);
    if path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "release")
    {
        command.arg("--release");
    }
    let status = command.status().expect("cargo");
    assert!(status.success(), "building {artifact}");
    assert!(path.is_file(), "{} missing", path.display());
    path
}

/// Whether Carla's host library is installed (or `$PYCARLA_CARLA_LIBDIR` names one), for tests
/// of the offline engine. Prints why a test is skipped.
pub fn carla_installed() -> bool {
    carla_or_skip(carla_lib::find_library(&[])).is_some()
}

/// The file under the workspace's `target/` where skipped Carla tests leave a line each: cargo
/// hides a passing test's output, so `cargo xtask ci` counts the skips from here.
pub fn carla_skips_file() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join(CARLA_SKIPS)
}

/// The skip file's name under `target/`.
pub const CARLA_SKIPS: &str = "carla-skipped-tests.txt";

/// What a test found of Carla (its library, say), or `None` where Carla is not installed
/// (or `$PYCARLA_CARLA_LIBDIR` names a directory without it), with the reason printed and a
/// line appended to [`carla_skips_file`], so that the skip shows in `cargo xtask ci`'s summary.
pub fn carla_or_skip<T, E: Display>(found: Result<T, E>) -> Option<T> {
    match found {
        Ok(found) => Some(found),
        Err(error) => {
            record_carla_skip(&error.to_string());
            None
        }
    }
}

/// Prints and records one test skipped for lack of Carla.
pub fn record_carla_skip(why: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string();
    let binary = std::env::args().next().unwrap_or_default();
    let binary = Path::new(&binary)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    eprintln!("skipped (no Carla): {why}");
    let file = carla_skips_file();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let line = format!("{binary}\t{test}\t{}\n", why.replace(['\n', '\t'], " "));
    if let Ok(mut out) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
    {
        // One write of a short line: appends from parallel tests do not interleave.
        let _ = out.write_all(line.as_bytes());
    }
}

/// Points the code under test at this package's own build of a helper executable (the
/// offline worker, the JACK host): sets `var` to `exe`, once per variable, before the test
/// that asks starts the helper.
pub fn use_helper(var: &str, exe: &str) {
    static SETTING: Mutex<()> = Mutex::new(());
    let _setting = SETTING.lock().unwrap_or_else(PoisonError::into_inner);
    if std::env::var_os(var).is_none_or(|set| set != exe) {
        // SAFETY: once per variable, under the lock, before the test that asks starts its
        // helper; other tests read the environment through std, which locks it against this.
        unsafe { std::env::set_var(var, exe) };
    }
}

/// A temporary directory for a test's files, its name starting with `prefix` (the test file's)
/// so that anything left behind says where it came from.
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temporary directory")
}

/// A WAV read back, planar.
#[derive(Debug)]
pub struct Wav {
    /// Its format.
    pub spec: hound::WavSpec,
    /// Planar.
    pub channels: Vec<Vec<f32>>,
}

/// Reads a WAV (float or integer samples, as floats).
pub fn read_wav(path: &Path) -> Wav {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let n = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut channels = vec![Vec::with_capacity(samples.len() / n.max(1)); n];
    for (i, s) in samples.into_iter().enumerate() {
        channels[i % n].push(s);
    }
    Wav { spec, channels }
}

/// The largest absolute sample of a WAV: whether a render sounds.
pub fn peak(path: &Path) -> f32 {
    read_wav(path)
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |p, s| p.max(s.abs()))
}

/// Frames of a file plus its tail: round((duration + tail) · sr), exactly.
pub fn expected_frames(midi: &Path, tail: u32, sample_rate: u32) -> u64 {
    let timeline = smf::Timeline::from_path(midi).expect("parses");
    (timeline.duration() + smf::ExactTime::new(u128::from(tail), 1)).frame(sample_rate)
}

/// Frames holding a non-zero sample.
pub fn impulse_frames(channel: &[f32]) -> Vec<u64> {
    channel
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != 0.0)
        .map(|(i, _)| i as u64)
        .collect()
}

/// Direct children of `pid` (from /proc), with their command names.
pub fn children_of(pid: u32) -> Vec<(u32, String)> {
    let mut children = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return children;
    };
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_string();
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("");
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == pid && state != "Z" {
            children.push((child, comm));
        }
    }
    children
}

/// Whether a process exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Waits up to `seconds` for `condition`.
pub fn eventually(seconds: f64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    condition()
}

/// Sends `signal` to process `pid`.
pub fn kill(pid: u32, signal: i32) {
    // SAFETY: kill(2) on a pid this test observed as a child of its own child.
    unsafe { libc::kill(pid as libc::pid_t, signal) };
}

/// An SFZ that plays a one-sample click, at full level, on every key, channel and velocity.
pub fn click_sfz(dir: &Path, sample_rate: u32) -> PathBuf {
    sfz_of(dir, "click", &[1.0, 0.0, 0.0, 0.0], sample_rate)
}

/// An SFZ named `name` that plays `samples` on every key, channel and velocity.
pub fn sfz_of(dir: &Path, name: &str, samples: &[f32], sample_rate: u32) -> PathBuf {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(dir.join(format!("{name}.wav")), spec).unwrap();
    for &sample in samples {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    let sfz = dir.join(format!("{name}.sfz"));
    std::fs::write(
        &sfz,
        format!("<region> sample={name}.wav loop_mode=one_shot amp_veltrack=0 ampeg_attack=0 ampeg_release=0\n"),
    )
    .unwrap();
    sfz
}
