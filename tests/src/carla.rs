//! Whether Carla is here, and a record of every test skipped for lack of it (cargo hides a
//! passing test's output, so `cargo xtask ci` counts the skips from a file).

use std::fmt::Display;
use std::path::{Path, PathBuf};

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
