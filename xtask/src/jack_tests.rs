//! `cargo xtask test-integration`: every test that needs jackd, found by what it uses, so
//! that a new JACK test in a new place cannot be left out silently.

use std::path::{Path, PathBuf};

/// The packages whose integration tests start or use a JACK server.
pub const PACKAGES: &[&str] = &[
    "pycarla-integration",
    "proc-supervisor",
    "pycarla-rs",
    "pycarla-cli",
];

/// What marks a test file as needing jackd: a private server, the JACK engine, a JACK program
/// as the instrument, or the tests' JACK lock.
const MARKERS: &[&str] = &[
    "TestServer",
    "JackServer",
    "EngineChoice::Jack",
    "\"jack\"",
    "--host-cmd",
    "one_server_at_a_time",
    "Supervisor::",
];

/// Runs the integration tests of [`PACKAGES`], after checking that no test file elsewhere
/// needs jackd.
pub fn run(root: &Path) -> Result<(), String> {
    check(root)?;
    let mut args = vec!["test"];
    for package in PACKAGES {
        args.extend(["-p", package]);
    }
    args.push("--tests");
    crate::cargo(&args)
}

/// Fails naming each test file that uses JACK outside [`PACKAGES`].
pub fn check(root: &Path) -> Result<(), String> {
    let mut strays = Vec::new();
    for (package, dir) in test_dirs(root) {
        if PACKAGES.contains(&package.as_str()) {
            continue;
        }
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if MARKERS.iter().any(|marker| text.contains(marker)) {
                strays.push(format!("{} ({package})", file.display()));
            }
        }
    }
    if strays.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests that need jackd outside xtask's jack_tests::PACKAGES: {}",
            strays.join(", ")
        ))
    }
}

/// Each package's integration-test directory: `crates/*/tests` and `tests/tests`, with the
/// package's name from its manifest.
fn test_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut dirs = Vec::new();
    let mut packages: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    packages.push(root.join("tests"));
    for package in packages {
        let manifest = std::fs::read_to_string(package.join("Cargo.toml")).unwrap_or_default();
        let name = manifest
            .lines()
            .find_map(|line| line.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_default()
            .to_string();
        dirs.push((name, package.join("tests")));
    }
    dirs
}

/// The `.rs` files below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}
