//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! - `setup`: install the system packages the project needs (apt-get as root, else the exact
//!   `sudo apt-get install …` line).
//! - `ci [--no-carla]`: formatting, clippy with warnings denied, every test (unit, doc,
//!   integration), then one `carla-summary:` line: the Carla libraries found and how many
//!   tests skipped for lack of one. `--no-carla` runs everything as on a machine without
//!   Carla (`PYCARLA_CARLA_LIBDIR` set to an empty directory).
//! - `test-integration`: every test against real JACK servers and synths (the packages in
//!   `jack_tests::PACKAGES`; it fails if a test file elsewhere uses JACK).
//! - `bench`: the criterion micro-benchmarks.
//! - `fuzz [SECONDS]`: fuzz the SMF parser (cargo-fuzz, libFuzzer) for a bounded time (60 s),
//!   seeded with the shared MIDI files.
//! - `demo`: set up if needed, then render a bundled MIDI file to a WAV.
//! - `pytest`: build and install the Python package in a virtual environment, run its tests
//!   (also part of `ci`).

mod jack_tests;
mod python;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian packages: JACK (server, library and headers for jack-sys's build), liblzma for
/// carla-fetch's tar.xz support, the synth hosts the tests and the default instrument use, the
/// General MIDI SoundFont and real plugins. Carla itself is not packaged by Debian: `setup`
/// installs the distribution's `carla` where it has one (Ubuntu) and otherwise says where
/// Carla comes from.
const PACKAGES: &[&str] = &[
    "jackd2",
    "libjack-jackd2-dev",
    "pkg-config",
    "liblzma-dev",
    "fluidsynth",
    "fluid-soundfont-gm",
    "jalv",
    "mda-lv2",
    // Real plugins of every format Carla hosts, for the offline engine's tests and benchmarks.
    "dpf-plugins-lv2",
    "dpf-plugins-vst",
    "dpf-plugins-ladspa",
    "dpf-plugins-dssi",
    "hexter",
    "cmt",
    "x42-plugins",
    // libFLAC, loaded at run time for fast FLAC output (flacenc otherwise).
    "libflac12",
    // The Python package's tests build it in a virtual environment.
    "python3-venv",
];

/// Commands that must exist after setup, with the package that provides each.
const REQUIRED_COMMANDS: &[(&str, &str)] = &[
    ("jackd", "jackd2"),
    ("fluidsynth", "fluidsynth"),
    ("jalv", "jalv"),
    ("pkg-config", "pkg-config"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("ci") => ci(args.get(1).map(String::as_str)),
        Some("test-integration") => jack_tests::run(&workspace_root()),
        Some("bench") => bench(),
        Some("demo") => demo(),
        Some("pytest") => python::pytest(),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        _ => Err(
            "usage: cargo xtask <setup|ci [--no-carla]|test-integration|bench|fuzz [SECONDS]|demo|pytest>"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn run(command: &mut Command) -> Result<(), String> {
    eprintln!("$ {command:?}");
    let status = command
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

fn cargo(args: &[&str]) -> Result<(), String> {
    run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args(args))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn missing_packages() -> Vec<&'static str> {
    PACKAGES
        .iter()
        .copied()
        .filter(|package| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .is_ok_and(|out| {
                    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
                })
        })
        .collect()
}

fn setup() -> Result<(), String> {
    let missing = missing_packages();
    if missing.is_empty() {
        eprintln!("setup: all system packages are installed");
    } else if is_root() {
        run(Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    } else {
        return Err(format!(
            "missing system packages; install them with:\n  sudo apt-get install -y {}",
            missing.join(" ")
        ));
    }
    carla_setup()?;
    for (command, package) in REQUIRED_COMMANDS {
        if Command::new("sh")
            .args(["-c", &format!("command -v {command}")])
            .output()
            .map_or(true, |out| !out.status.success())
        {
            return Err(format!("`{command}` is still missing (package {package})"));
        }
    }
    Ok(())
}

/// Carla: the distribution's `carla` package where apt has a candidate (Ubuntu's universe),
/// else one line saying where it comes from. Never builds it.
fn carla_setup() -> Result<(), String> {
    let installed = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "carla"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"));
    let has_library = ["/usr/lib/carla", "/usr/local/lib/carla", "/usr/lib64/carla"]
        .iter()
        .any(|dir| Path::new(dir).join("libcarla_host-plugin.so").is_file());
    if installed || has_library {
        return Ok(());
    }
    let candidate = Command::new("apt-cache")
        .args(["policy", "carla"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).to_string())
        .unwrap_or_default();
    let apt_has_it = candidate
        .lines()
        .any(|line| line.trim().starts_with("Candidate:") && !line.contains("(none)"));
    if apt_has_it && is_root() {
        return run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "carla"])
            .env("DEBIAN_FRONTEND", "noninteractive"));
    }
    if apt_has_it {
        eprintln!("setup: Carla: sudo apt-get install -y carla");
    } else {
        eprintln!(
            "setup: Carla is not packaged here (pacman -S carla on Arch, dnf install Carla on Fedora; \
             elsewhere build it from github.com/falkTX/Carla as its INSTALL.md says): without it \
             pycarla renders SoundFonts through fluidsynth and LV2 through jalv on JACK"
        );
    }
    Ok(())
}

fn ci(flag: Option<&str>) -> Result<(), String> {
    let root = workspace_root();
    match flag {
        None => {}
        Some("--no-carla") => {
            // A directory without Carla: the library then finds none (see carla-lib).
            let empty = root.join("target/no-carla");
            std::fs::create_dir_all(&empty).map_err(|e| format!("{}: {e}", empty.display()))?;
            // SAFETY: xtask is single-threaded; set before any child starts.
            unsafe { std::env::set_var("PYCARLA_CARLA_LIBDIR", &empty) };
        }
        Some(other) => return Err(format!("ci takes --no-carla, not {other}")),
    }
    let skips = root.join("target").join(CARLA_SKIPS);
    let _ = std::fs::remove_file(&skips);
    let result = (|| {
        cargo(&["fmt", "--all", "--check"])?;
        // `test-integration` must keep finding every JACK test.
        jack_tests::check(&root)?;
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])?;
        cargo(&["test", "--workspace", "--all-targets"])?;
        cargo(&["test", "--workspace", "--doc"])?;
        python::pytest()
    })();
    eprintln!("{}", carla_summary(&skips));
    result
}

/// Where skipped Carla tests leave a line each (`tests/src/support.rs`, the Python conftest).
const CARLA_SKIPS: &str = "carla-skipped-tests.txt";

/// `carla-summary: libraries: …; tests skipped for lack of Carla: N`, one line to grep.
fn carla_summary(skips: &Path) -> String {
    let skipped = std::fs::read_to_string(skips)
        .map(|text| text.lines().filter(|line| !line.is_empty()).count())
        .unwrap_or(0);
    let doctor = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "run",
            "--quiet",
            "-p",
            "pycarla-cli",
            "--bin",
            "pycarla",
            "--",
            "doctor",
        ])
        .current_dir(workspace_root())
        .output();
    let libraries: Vec<String> = doctor
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| line.strip_prefix("carla: "))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let libraries = if libraries.is_empty() {
        "none".to_string()
    } else {
        libraries.join("; ")
    };
    format!("carla-summary: libraries: {libraries}; tests skipped for lack of Carla: {skipped}")
}

/// The criterion micro-benchmarks, then the end-to-end report (`target/bench/report.md`).
fn bench() -> Result<(), String> {
    cargo(&["bench", "-p", "pycarla-benches"])?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "pycarla-cli",
        "--bin",
        "pycarla",
        "-p",
        "pycarla-integration",
        "--bin",
        "impulse-instrument",
        "-p",
        "pycarla-benches",
        "--bin",
        "bench-report",
    ])?;
    let release = workspace_root().join("target/release");
    run(Command::new(release.join("bench-report"))
        .env("PYCARLA_BIN", release.join("pycarla"))
        .env("IMPULSE_BIN", release.join("impulse-instrument")))
}

/// Fuzzes `smf::Timeline::parse` for `seconds` (default 60), seeded from tests/data/midi.
/// libFuzzer needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain accept
/// them, so no other toolchain is needed.
fn fuzz(seconds: Option<&str>) -> Result<(), String> {
    let seconds: u64 = seconds
        .unwrap_or("60")
        .parse()
        .map_err(|_| "fuzz takes seconds".to_string())?;
    let has_cargo_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_cargo_fuzz {
        cargo(&["install", "cargo-fuzz", "--locked"])?;
    }
    let root = workspace_root();
    let corpus = root.join("fuzz/corpus/smf_parse");
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    for entry in std::fs::read_dir(root.join("tests/data/midi")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "mid") {
            let seed = corpus.join(path.file_name().expect("a file"));
            std::fs::copy(&path, seed).map_err(|e| e.to_string())?;
        }
    }
    run(Command::new("cargo")
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "smf_parse", "--fuzz-dir", "fuzz"])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}")))
}

fn demo() -> Result<(), String> {
    setup()?;
    let midi = workspace_root().join("tests/data/midi/k525short.mid");
    let out = workspace_root().join("target/demo/k525short.wav");
    let manifest = workspace_root().join("target/demo/manifest.jsonl");
    let _ = std::fs::remove_file(&manifest);
    cargo(&[
        "run",
        "--release",
        "-p",
        "pycarla-cli",
        "--bin",
        "pycarla",
        "--",
        "render",
        midi.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
        "--manifest",
        manifest.to_str().expect("utf-8 path"),
    ])?;
    let line = std::fs::read_to_string(&manifest).unwrap_or_default();
    let field = |name: &str| {
        let key = format!("\"{name}\":\"");
        line.rsplit_once(&key)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_string())
    };
    eprintln!(
        "demo: wrote {} (engine: {}{})",
        out.display(),
        field("engine").unwrap_or_else(|| "unknown".into()),
        field("carla")
            .map(|carla| format!(", {carla}"))
            .unwrap_or_default()
    );
    Ok(())
}
