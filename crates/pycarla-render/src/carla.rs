//! Which Carla renders: every Carla on the machine ([`carla_lib::installs`]), a `pycarla
//! download` install among them, and the one that hosts an instrument's formats — the same
//! choice for the offline engine and pycarla's Carla host on JACK.

use std::path::PathBuf;

use carla_lib::{CarlaInstall, Format, PluginSpec};

use crate::error::{Error, Result};
use crate::instrument::Instrument;

/// How to get Carla, for messages (no command of this library's own: the library may be
/// used without the `pycarla` command).
pub const INSTALL_HINT: &str = "install your distribution's `carla` package (Ubuntu, Arch, Fedora, KXStudio), \
     or build Carla from its source as its INSTALL.md says";

/// Every Carla on the machine, in the order preferred (see
/// [`CarlaInstall::find_all`]), `pycarla download` installs last.
///
/// Looked for once per process and search environment: a render asks several times (the
/// engine's choice, the worker's library, pycarla's Carla host, the report), and each search
/// runs `pkg-config` and reads `/opt`.
pub fn installs() -> Vec<CarlaInstall> {
    type Key = [Option<std::ffi::OsString>; 3];
    static FOUND: std::sync::Mutex<Vec<(Key, Vec<CarlaInstall>)>> =
        std::sync::Mutex::new(Vec::new());
    let key: Key = [
        std::env::var_os(carla_lib::LIBRARY_DIR_VAR),
        std::env::var_os("PKG_CONFIG_PATH"),
        carla_fetch::install_root()
            .ok()
            .map(PathBuf::into_os_string),
    ];
    let mut found = FOUND.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, installs)) = found.iter().find(|(searched, _)| *searched == key) {
        return installs.clone();
    }
    let installs = search();
    found.push((key, installs.clone()));
    installs
}

/// Every Carla, looked for now.
fn search() -> Vec<CarlaInstall> {
    let downloaded: Vec<PathBuf> = carla_fetch::install_root()
        .ok()
        .and_then(|root| std::fs::read_dir(root).ok())
        .map(|entries| {
            let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            dirs.sort();
            dirs
        })
        .unwrap_or_default();
    CarlaInstall::find_all(&downloaded)
}

/// The Carla that hosts every format of `formats` (`[]`: any usable Carla) on the offline
/// engine: VST3 on 2.6 where there is one (controllers, programs, state).
pub fn carla_for(formats: &[Format]) -> Result<CarlaInstall> {
    carla_with(formats, carla_lib::installs::Vst3Preference::Complete)
}

/// The Carla that hosts every format of `formats` on the JACK engine: VST3 on a Carla before
/// 2.6 where there is one, whose VST3 host plays every event on its frame (2.6's plays notes
/// up to a period late on JACK; the offline engine works around it by ending its blocks at
/// events, which a JACK cycle cannot do).
pub fn carla_for_jack(formats: &[Format]) -> Result<CarlaInstall> {
    carla_with(formats, carla_lib::installs::Vst3Preference::SampleAccurate)
}

fn carla_with(
    formats: &[Format],
    vst3: carla_lib::installs::Vst3Preference,
) -> Result<CarlaInstall> {
    let installs = installs();
    if installs.is_empty() {
        // Say where it was looked for.
        let searched = carla_lib::find_library(&[])
            .err()
            .map_or_else(|| "no Carla found".to_string(), |e| e.to_string());
        return Err(Error::Missing {
            program: "Carla".into(),
            hint: format!("{searched}; {INSTALL_HINT}"),
        });
    }
    let chosen = carla_lib::installs::choose_with(&installs, formats, vst3).map_err(|error| {
        Error::Missing {
            program: "Carla".into(),
            hint: format!("{error}; {INSTALL_HINT}"),
        }
    })?;
    // Once per Carla and process: the choice is made again for every renderer.
    static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let first_time = || {
        let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
        let new = !warned.contains(&chosen.library);
        if new {
            warned.push(chosen.library.clone());
        }
        new
    };
    let complete = chosen
        .version
        .is_some_and(|version| version >= carla_lib::installs::VST3_COMPLETE);
    if formats.contains(&Format::Vst3) && !complete && first_time() {
        tracing::warn!(
            carla = %chosen.describe(),
            "this Carla's VST3 host drops MIDI controllers and cannot restore a plugin's state; a Carla 2.6 build hosts them (on the offline engine)"
        );
    }
    if formats.contains(&Format::Vst3)
        && complete
        && vst3 == carla_lib::installs::Vst3Preference::SampleAccurate
        && first_time()
    {
        tracing::warn!(
            carla = %chosen.describe(),
            "on JACK this Carla's VST3 host plays notes up to a period late (a Carla 2.5 build, or the offline engine, plays them on their frames)"
        );
    }
    Ok(chosen)
}

/// The first usable Carla's host library (any format).
pub fn carla_library() -> Result<PathBuf> {
    carla_for(&[]).map(|install| install.library)
}

/// The formats a chain of plugin descriptions needs (a `.so` is VST2, LADSPA or DSSI, which
/// every Carla hosts, so it asks for nothing).
pub fn formats_of(specs: &[String]) -> Vec<Format> {
    let mut formats: Vec<Format> = specs
        .iter()
        .filter_map(|spec| PluginSpec::parse(spec).ok()?.format)
        .collect();
    formats.dedup();
    formats
}

impl Instrument {
    /// The plugin formats Carla needs to host this instrument (none for a project: its
    /// plugins are read by Carla itself).
    pub fn carla_formats(&self) -> Vec<Format> {
        match self.offline_chain() {
            Some(crate::offline::protocol::Chain::Plugins(specs)) => formats_of(&specs),
            _ => Vec::new(),
        }
    }

    /// The Carla that renders this instrument offline.
    pub fn carla(&self) -> Result<CarlaInstall> {
        carla_for(&self.carla_formats())
    }

    /// The Carla pycarla's Carla host loads for this instrument on JACK.
    pub fn carla_on_jack(&self) -> Result<CarlaInstall> {
        carla_for_jack(&self.carla_formats())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_asks_for_the_formats_its_descriptions_name() {
        let chain =
            |specs: &[&str]| formats_of(&specs.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(chain(&["http://x/y", "/a/b.so"]), vec![Format::Lv2]);
        assert_eq!(
            chain(&["/a/K.clap", "/a/M.vst3"]),
            vec![Format::Clap, Format::Vst3]
        );
        assert_eq!(
            Instrument::SoundFont("/a/gm.sf2".into()).carla_formats(),
            vec![Format::Sf2]
        );
        assert!(
            Instrument::CarlaProject("/a/p.carxp".into())
                .carla_formats()
                .is_empty()
        );
    }
}
