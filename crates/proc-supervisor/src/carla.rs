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

#[cfg(test)]
mod tests {
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
