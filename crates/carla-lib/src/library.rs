//! Finding and loading `libcarla_host-plugin.so`: at run time, so that whatever uses this crate
//! builds and runs on machines without Carla.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::ffi;

/// The library's file name.
pub const LIBRARY_NAME: &str = "libcarla_host-plugin.so";

/// The environment variable naming the one directory to look in.
pub const LIBRARY_DIR_VAR: &str = "PYCARLA_CARLA_LIBDIR";

/// Carla's host library, loaded, with the functions this crate calls.
#[derive(Debug)]
pub struct CarlaLibrary {
    path: PathBuf,
    pub(crate) functions: Functions,
    // Last: the functions above point into it.
    _library: libloading::Library,
}

#[derive(Debug)]
pub(crate) struct Functions {
    pub rack: ffi::GetPluginDescriptor,
    pub patchbay: ffi::GetPluginDescriptor,
    pub create_host_handle: ffi::CreateHostHandle,
    pub host_handle_free: ffi::HostHandleFree,
    pub add_plugin: ffi::AddPlugin,
    pub load_project: ffi::LoadProject,
    pub last_error: ffi::GetLastError,
    pub plugin_count: ffi::GetPluginCount,
    pub audio_ports: ffi::GetPortCountInfo,
    pub midi_ports: ffi::GetPortCountInfo,
    pub latency: ffi::GetPluginLatency,
    pub real_name: ffi::GetPluginName,
    pub set_engine_option: ffi::SetEngineOption,
    pub library_folder: ffi::GetLibraryFolder,
}

impl CarlaLibrary {
    /// Loads the library from the first directory of [`search_dirs`] that holds it, `extra`
    /// directories (e.g. a downloaded Carla) last.
    pub fn find(extra: &[PathBuf]) -> Result<CarlaLibrary> {
        CarlaLibrary::open(&find_library(extra)?)
    }

    /// Loads the library from `path`.
    pub fn open(path: &Path) -> Result<CarlaLibrary> {
        // SAFETY: loading Carla's library runs its static constructors, which only set up
        // Carla's own state.
        let library = unsafe { libloading::Library::new(path) }.map_err(|source| Error::Load {
            path: path.to_path_buf(),
            source,
        })?;
        macro_rules! function {
            ($name:literal) => {{
                // SAFETY: the symbol is looked up by its C name and given the type of its
                // declaration in Carla's headers (see `ffi`).
                let symbol =
                    unsafe { library.get(concat!($name, "\0").as_bytes()) }.map_err(|source| {
                        Error::Symbol {
                            path: path.to_path_buf(),
                            symbol: $name,
                            source,
                        }
                    })?;
                *symbol
            }};
        }
        let functions = Functions {
            rack: function!("carla_get_native_rack_plugin"),
            patchbay: function!("carla_get_native_patchbay_plugin"),
            create_host_handle: function!("carla_create_native_plugin_host_handle"),
            host_handle_free: function!("carla_host_handle_free"),
            add_plugin: function!("carla_add_plugin"),
            load_project: function!("carla_load_project"),
            last_error: function!("carla_get_last_error"),
            plugin_count: function!("carla_get_current_plugin_count"),
            audio_ports: function!("carla_get_audio_port_count_info"),
            midi_ports: function!("carla_get_midi_port_count_info"),
            latency: function!("carla_get_plugin_latency"),
            real_name: function!("carla_get_real_plugin_name"),
            set_engine_option: function!("carla_set_engine_option"),
            library_folder: function!("carla_get_library_folder"),
        };
        Ok(CarlaLibrary {
            path: path.to_path_buf(),
            functions,
            _library: library,
        })
    }

    /// The file loaded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Carla's own idea of where its binaries and resources live.
    pub fn library_folder(&self) -> PathBuf {
        // SAFETY: returns a static string owned by the library.
        let folder = unsafe { (self.functions.library_folder)() };
        if folder.is_null() {
            return self.path.parent().unwrap_or(Path::new("/")).to_path_buf();
        }
        // SAFETY: non-null, NUL-terminated, static.
        PathBuf::from(
            unsafe { CStr::from_ptr(folder) }
                .to_string_lossy()
                .into_owned(),
        )
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

/// Where Carla's library is looked for, in order: what `pkg-config` says, the usual install
/// directories, then `extra`. `$PYCARLA_CARLA_LIBDIR`, when set, is the only place looked in
/// (a Carla of one's own, or none at all).
pub fn search_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(LIBRARY_DIR_VAR).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = Vec::new();
    if let Some(dir) = pkg_config_libdir() {
        dirs.push(dir);
    }
    for dir in [
        "/usr/lib/carla",
        "/usr/local/lib/carla",
        "/usr/lib64/carla",
        "/usr/lib/x86_64-linux-gnu/carla",
    ] {
        dirs.push(PathBuf::from(dir));
    }
    for dir in extra {
        dirs.push(dir.clone());
        dirs.push(dir.join("lib/carla"));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|dir| seen.insert(dir.clone()));
    dirs
}

/// `pkg-config --variable=carla_libdir carla-host-plugin`, when pkg-config and Carla's `.pc`
/// file are there.
fn pkg_config_libdir() -> Option<PathBuf> {
    let output = Command::new("pkg-config")
        .args(["--variable=carla_libdir", "carla-host-plugin"])
        .output()
        .ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}
