//! Finding and loading `libcarla_host-plugin.so`: at run time, so that whatever uses this crate
//! builds and runs on machines without Carla.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::ffi;
use crate::host::HostFunctions;
use crate::loader::{Loaded, Symbols};

/// The library's file name.
pub const LIBRARY_NAME: &str = "libcarla_host-plugin.so";

/// The environment variable naming the one directory to look in.
pub const LIBRARY_DIR_VAR: &str = "PYCARLA_CARLA_LIBDIR";

/// Carla's host library, loaded, with the functions this crate calls.
#[derive(Debug)]
pub struct CarlaLibrary(Loaded<Functions>);

#[derive(Debug)]
pub(crate) struct Functions {
    pub rack: ffi::GetPluginDescriptor,
    pub patchbay: ffi::GetPluginDescriptor,
    pub create_host_handle: ffi::CreateHostHandle,
    pub host_handle_free: ffi::HostHandleFree,
    pub real_name: ffi::GetPluginName,
    pub host: HostFunctions,
}

impl Functions {
    fn load(symbols: &Symbols<'_>) -> Result<Functions> {
        // SAFETY: each name is given the type of its declaration in Carla's headers.
        unsafe {
            Ok(Functions {
                rack: symbols.get("carla_get_native_rack_plugin")?,
                patchbay: symbols.get("carla_get_native_patchbay_plugin")?,
                create_host_handle: symbols.get("carla_create_native_plugin_host_handle")?,
                host_handle_free: symbols.get("carla_host_handle_free")?,
                real_name: symbols.get("carla_get_real_plugin_name")?,
                host: HostFunctions::load(symbols)?,
            })
        }
    }
}

impl CarlaLibrary {
    /// Loads the library from the first directory of [`search_dirs`] that holds it, `extra`
    /// directories (e.g. a downloaded Carla) last.
    pub fn find(extra: &[PathBuf]) -> Result<CarlaLibrary> {
        CarlaLibrary::open(&find_library(extra)?)
    }

    /// Loads the library from `path`.
    pub fn open(path: &Path) -> Result<CarlaLibrary> {
        Loaded::open(path, Functions::load).map(CarlaLibrary)
    }

    /// The file loaded.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Carla's own idea of where its binaries and resources live.
    pub fn library_folder(&self) -> PathBuf {
        self.0.functions.host.library_folder(self.path())
    }

    pub(crate) fn functions(&self) -> &Functions {
        &self.0.functions
    }
}

/// The library's file in the first directory of [`search_dirs`] that holds it, without loading
/// it (a caller can tell whether Carla is there without running any of Carla's code).
pub fn find_library(extra: &[PathBuf]) -> Result<PathBuf> {
    find_named(LIBRARY_NAME, extra)
}

/// The file `library` in the first directory of [`search_dirs`] that holds it. Carla installs
/// its libraries side by side, so each is looked for the same way.
pub(crate) fn find_named(library: &'static str, extra: &[PathBuf]) -> Result<PathBuf> {
    let searched = search_dirs(extra);
    searched
        .iter()
        .map(|dir| dir.join(library))
        .find(|path| path.is_file())
        .ok_or(Error::NotFound { library, searched })
}

/// Where Carla's library is looked for, in order: what `pkg-config` says, the directories
/// distributions install into, `/opt/*/lib/carla`, then `extra` (each directory, or its
/// `lib/carla`). `$PYCARLA_CARLA_LIBDIR`, when set, is the only place looked in (a Carla of
/// one's own, or none at all). The same order as [`CarlaInstall::find_all`](crate::CarlaInstall::find_all).
pub fn search_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    crate::installs::candidate_dirs(extra)
        .into_iter()
        .map(|(dir, _)| dir)
        .collect()
}

/// Where distributions install Carla's libraries.
pub(crate) const SYSTEM_DIRS: [&str; 4] = [
    "/usr/lib/carla",
    "/usr/lib64/carla",
    "/usr/lib/x86_64-linux-gnu/carla",
    "/usr/local/lib/carla",
];

/// `pkg-config --variable=carla_libdir carla-host-plugin`, when pkg-config and Carla's `.pc`
/// file are there.
pub(crate) fn pkg_config_libdir() -> Option<PathBuf> {
    let output = Command::new("pkg-config")
        .args(["--variable=carla_libdir", "carla-host-plugin"])
        .output()
        .ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}
