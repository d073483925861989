//! The Python package's tests: a virtual environment under `target/`, `pip install
//! crates/pycarla-py pytest numpy` (maturin builds the extension module with cargo), then
//! pytest on `crates/pycarla-py/tests`.

use std::path::PathBuf;
use std::process::Command;

use crate::{run, workspace_root};

/// The virtual environment, kept between runs (pip then rebuilds only what changed).
fn venv() -> PathBuf {
    workspace_root().join("target").join("pycarla-py-venv")
}

/// Creates the environment if needed, installs the package and runs its tests.
pub fn pytest() -> Result<(), String> {
    let venv = venv();
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "crates/pycarla-py",
        "pytest",
        "numpy",
        // MIDI from memory is tested with the objects users pass (duck-typed, not dependencies).
        "mido",
        "pretty_midi",
    ]))?;
    run(Command::new(&python).args(["-m", "pytest", "crates/pycarla-py/tests"]))
}
