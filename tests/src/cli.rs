//! The `pycarla` command as the tests run it: one builder, so that every test runs the same
//! binary the same way.

use std::path::PathBuf;

/// The `pycarla` executable of this build (cargo builds it for the command's tests).
pub fn pycarla_exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("pycarla")
}

/// `pycarla` with no arguments yet.
pub fn pycarla() -> assert_cmd::Command {
    assert_cmd::Command::new(pycarla_exe())
}

/// `pycarla render ARGS…`.
pub fn pycarla_render<I, S>(args: I) -> assert_cmd::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = pycarla();
    command.arg("render").args(args);
    command
}
