//! Test fixtures built or written on demand: this package's binaries (the impulse
//! instrument), the misbehaving CLAP plugins, one-sample SFZ instruments, scratch directories,
//! and the helper executables the code under test starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A binary of this package: tests run from `target/<profile>/deps/`, binaries sit one up.
pub fn fixture_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir.join(name)
}

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
