//! What Carla needs to run headless in patchbay mode.
//!
//! Without a configuration Carla runs in multi-client mode, where no `Carla:*` ports appear; and
//! its OSC port (22752) clashes between instances running in parallel. Each child therefore
//! gets a private `XDG_CONFIG_HOME` holding `falkTX/Carla2.conf` with patchbay mode
//! (`ProcessMode=3`) and OSC off. The user's own `~/.config` is never read nor written.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Carla prints this once its project has loaded (its ports exist some 0.1 s earlier).
pub(crate) const READY_LINE: &str = "Carla ready!";

/// Lines meaning a plugin of the project could not be loaded (Carla still runs and still
/// registers its ports: without this check the render would be silent).
pub(crate) const FAILURE_LINES: &[&str] = &["failed to load"];

/// The private configuration: patchbay mode, OSC off.
pub(crate) const CONFIG: &str = "[Engine]\nProcessMode=3\n\n[OSC]\nEnabled=false\n";

/// A fresh directory to use as `XDG_CONFIG_HOME`, holding `falkTX/Carla2.conf`. Removed when
/// dropped (with the host).
pub(crate) fn private_config() -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("pycarla-carla-config-")
        .tempdir()
        .map_err(|source| Error::File {
            what: "Carla configuration directory".into(),
            path: std::env::temp_dir(),
            source,
        })?;
    let falktx = dir.path().join("falkTX");
    let file = falktx.join("Carla2.conf");
    std::fs::create_dir(&falktx)
        .and_then(|()| std::fs::write(&file, CONFIG))
        .map_err(|source| Error::File {
            what: "Carla configuration".into(),
            path: file,
            source,
        })?;
    Ok(dir)
}

/// `Carla` or `carla` on `PATH`.
pub(crate) fn find_on_path() -> Result<PathBuf> {
    let names = ["Carla", "carla"];
    names
        .iter()
        .find_map(|name| which::which(name).ok())
        .ok_or_else(|| Error::NotFound {
            names: names.map(String::from).to_vec(),
        })
}

/// The `PATH` Carla's front end runs with: the system's own directories first. The front end
/// is Python with PyQt5, and its launcher runs whichever `python3` comes first on `PATH`; a
/// Python of the user's own (pyenv, conda, a virtual environment) lacks the distribution's
/// PyQt5 and the front end dies at its first import.
pub(crate) fn front_end_path() -> std::ffi::OsString {
    let mut dirs = vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_else(|_| "/usr/bin:/bin".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_front_end_finds_the_systems_python_first() {
        let path = super::front_end_path();
        let first = std::env::split_paths(&path).next();
        assert_eq!(first.as_deref(), Some(std::path::Path::new("/usr/bin")));
    }

    #[test]
    fn private_config_sets_patchbay_mode_and_disables_osc() {
        let dir = super::private_config().unwrap();
        let text = std::fs::read_to_string(dir.path().join("falkTX/Carla2.conf")).unwrap();
        assert!(text.contains("[Engine]\nProcessMode=3\n"));
        assert!(text.contains("[OSC]\nEnabled=false\n"));
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(
            !path.exists(),
            "the private configuration is removed with its handle"
        );
    }
}
