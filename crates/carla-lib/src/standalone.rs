//! Carla's engine on a real audio driver — JACK — through `libcarla_standalone2.so`, the library
//! under Carla's own front end, without that front end (Python and Qt, half a second to start).
//!
//! The offline [`Engine`](crate::Engine) processes blocks the caller hands it; this one is
//! driven by its driver: on JACK it is a client (`events-in`, `audio-out1`, `audio-out2`, …)
//! whose process callback Carla owns. The caller loads plugins or a project, then calls
//! [`StandaloneEngine::idle`] regularly (Carla's housekeeping runs there) until it closes the
//! engine. The library keeps one engine per process.
//!
//! ```no_run
//! use std::sync::Arc;
//! use carla_lib::standalone::{Driver, StandaloneEngine, StandaloneLibrary};
//! use carla_lib::{EngineKind, PluginSpec};
//! let library = Arc::new(StandaloneLibrary::find(&[])?);
//! let mut engine = StandaloneEngine::start(library, Driver::Jack, EngineKind::Rack, "Carla")?;
//! engine.add_instrument(&PluginSpec::parse("http://distrho.sf.net/plugins/Kars")?.resolve()?)?;
//! engine.play();
//! while engine.is_running() {
//!     engine.idle();
//!     std::thread::sleep(std::time::Duration::from_millis(20));
//! }
//! # Ok::<(), carla_lib::Error>(())
//! ```

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::EngineKind;
use crate::error::{Error, Result};
use crate::ffi;
use crate::host::{Host, HostFunctions};
use crate::library::find_named;
use crate::loader::{Loaded, Symbols};
use crate::plugin::Plugin;

/// The library's file name.
pub const STANDALONE_LIBRARY_NAME: &str = "libcarla_standalone2.so";

/// `libcarla_standalone2.so`, loaded, with the functions this module calls.
#[derive(Debug)]
pub struct StandaloneLibrary(Loaded<Functions>);

#[derive(Debug)]
struct Functions {
    host_init: ffi::StandaloneHostInit,
    engine_init: ffi::EngineInit,
    engine_close: ffi::EngineClose,
    engine_idle: ffi::EngineIdle,
    is_engine_running: ffi::IsEngineRunning,
    about_to_close: ffi::SetEngineAboutToClose,
    transport_play: ffi::TransportPlay,
    host: HostFunctions,
}

impl Functions {
    fn load(symbols: &Symbols<'_>) -> Result<Functions> {
        // SAFETY: each name is given the type of its declaration in `CarlaHost.h`.
        unsafe {
            Ok(Functions {
                host_init: symbols.get("carla_standalone_host_init")?,
                engine_init: symbols.get("carla_engine_init")?,
                engine_close: symbols.get("carla_engine_close")?,
                engine_idle: symbols.get("carla_engine_idle")?,
                is_engine_running: symbols.get("carla_is_engine_running")?,
                about_to_close: symbols.get("carla_set_engine_about_to_close")?,
                transport_play: symbols.get("carla_transport_play")?,
                host: HostFunctions::load(symbols)?,
            })
        }
    }
}

/// The file in the first directory of [`search_dirs`](crate::search_dirs) that holds it
/// (`$PYCARLA_CARLA_LIBDIR`, `pkg-config`, `/usr/lib/carla`, …, then `extra`), not loaded.
pub fn find_standalone_library(extra: &[PathBuf]) -> Result<PathBuf> {
    find_named(STANDALONE_LIBRARY_NAME, extra)
}

impl StandaloneLibrary {
    /// Loads the library found by [`find_standalone_library`].
    pub fn find(extra: &[PathBuf]) -> Result<StandaloneLibrary> {
        StandaloneLibrary::open(&find_standalone_library(extra)?)
    }

    /// Loads the library from `path`.
    pub fn open(path: &Path) -> Result<StandaloneLibrary> {
        Loaded::open(path, Functions::load).map(StandaloneLibrary)
    }

    /// The file loaded.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Where Carla's binaries (plugin bridges, discovery) and `resources/` live: Carla's own
    /// answer, else the library's directory.
    pub fn library_folder(&self) -> PathBuf {
        self.functions().host.library_folder(self.path())
    }

    fn functions(&self) -> &Functions {
        &self.0.functions
    }
}

/// The audio driver an engine runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// A JACK client on the server `$JACK_DEFAULT_SERVER` names (Carla never starts one).
    Jack,
    /// No device: Carla's own timer drives it (for tests without a JACK server).
    Dummy,
}

impl Driver {
    fn name(self) -> &'static str {
        match self {
            Driver::Jack => "JACK",
            Driver::Dummy => "Dummy",
        }
    }
}

/// The library's one engine per process is in use.
static IN_USE: AtomicBool = AtomicBool::new(false);

/// Carla's engine running on a driver, with its plugins. Closed (its client leaves the server)
/// by [`close`](StandaloneEngine::close) or when dropped.
#[derive(Debug)]
pub struct StandaloneEngine {
    handle: ffi::CarlaHostHandle,
    kind: EngineKind,
    driver: Driver,
    open: bool,
    // Last: the function pointers used above point into it.
    library: Arc<StandaloneLibrary>,
}

impl StandaloneEngine {
    /// Starts the engine as client `client_name`: the rack (`--plugin` chains, plugins in the
    /// order added) or the patchbay (a project's wiring). On JACK the client and its ports
    /// exist when this returns.
    ///
    /// The settings mirror the offline engine's: a mono plugin runs once (no second instance to
    /// force stereo), plugins run in this process (no bridges), the transport is Carla's own
    /// (playing once [`play`](Self::play) is called: no JACK transport master is needed), and
    /// OSC is off (parallel engines would fight over its fixed port).
    pub fn start(
        library: Arc<StandaloneLibrary>,
        driver: Driver,
        kind: EngineKind,
        client_name: &str,
    ) -> Result<StandaloneEngine> {
        let init_error = |message: String| Error::EngineInit {
            driver: driver.name().to_string(),
            client: client_name.to_string(),
            message,
        };
        let client = CString::new(client_name)
            .ok()
            .filter(|c| !c.as_bytes().is_empty())
            .ok_or_else(|| init_error("the client name is empty or holds a NUL byte".into()))?;
        if IN_USE.swap(true, Ordering::SeqCst) {
            return Err(init_error(
                "Carla's standalone library runs one engine per process, and one runs".into(),
            ));
        }
        // SAFETY: returns the library's global standalone handle.
        let handle = unsafe { (library.functions().host_init)() };
        if handle.is_null() {
            IN_USE.store(false, Ordering::SeqCst);
            return Err(init_error("no standalone host handle".into()));
        }
        // SAFETY: the library's global handle, which lives as long as the library.
        let host = unsafe { Host::new(&library.functions().host, handle) };
        let folder = library.library_folder();
        let binaries = CString::new(folder.to_string_lossy().into_owned()).unwrap_or_default();
        let resources = CString::new(folder.join("resources").to_string_lossy().into_owned())
            .unwrap_or_default();
        let mode = match kind {
            EngineKind::Rack => ffi::ENGINE_PROCESS_MODE_CONTINUOUS_RACK,
            EngineKind::Patchbay => ffi::ENGINE_PROCESS_MODE_PATCHBAY,
        };
        host.set_option(ffi::ENGINE_OPTION_PROCESS_MODE, mode, None);
        host.set_option(
            ffi::ENGINE_OPTION_TRANSPORT_MODE,
            ffi::ENGINE_TRANSPORT_MODE_INTERNAL,
            None,
        );
        host.set_option(ffi::ENGINE_OPTION_FORCE_STEREO, 0, None);
        host.set_option(ffi::ENGINE_OPTION_PREFER_PLUGIN_BRIDGES, 0, None);
        host.set_option(ffi::ENGINE_OPTION_PREFER_UI_BRIDGES, 0, None);
        host.set_option(ffi::ENGINE_OPTION_OSC_ENABLED, 0, None);
        // Without these Carla looks for its bridges and resources beside *our* executable.
        host.set_option(ffi::ENGINE_OPTION_PATH_BINARIES, 0, Some(&binaries));
        host.set_option(ffi::ENGINE_OPTION_PATH_RESOURCES, 0, Some(&resources));
        let driver_name = CString::new(driver.name()).expect("no NUL");
        // SAFETY: a live handle and NUL-terminated strings that outlive the call.
        let started = unsafe {
            (library.functions().engine_init)(handle, driver_name.as_ptr(), client.as_ptr())
        };
        if !started {
            // Carla deleted the engine that failed; its handle and last error remain.
            let message = host.last_error();
            IN_USE.store(false, Ordering::SeqCst);
            return Err(init_error(message));
        }
        Ok(StandaloneEngine {
            handle,
            kind,
            driver,
            open: true,
            library,
        })
    }

    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// The driver it runs on.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// Adds a plugin at the end of the rack's chain (or to the patchbay).
    pub fn add_plugin(&mut self, plugin: &Plugin) -> Result<u32> {
        self.host().add_plugin(plugin)
    }

    /// Adds the first plugin of a chain: it must take MIDI.
    pub fn add_instrument(&mut self, plugin: &Plugin) -> Result<u32> {
        self.host().add_instrument(plugin)
    }

    /// Loads a Carla project (`.carxp`); a project with patchbay wiring needs an engine
    /// started as [`EngineKind::Patchbay`] ([`EngineKind::for_project`] tells).
    pub fn load_project(&mut self, path: &Path) -> Result<()> {
        self.host().load_project(path)
    }

    /// Starts Carla's transport (plugins that follow it see it playing, as offline).
    pub fn play(&mut self) {
        // SAFETY: a live engine.
        unsafe { (self.library.functions().transport_play)(self.handle) }
    }

    /// Carla's housekeeping (callbacks, deferred deletions, plugin idle work): call it every
    /// few tens of milliseconds while the engine runs.
    pub fn idle(&mut self) {
        if self.open {
            // SAFETY: a live engine (`carla_engine_idle` must not be called on a closed one).
            unsafe { (self.library.functions().engine_idle)(self.handle) }
        }
    }

    /// Whether the engine still runs (on JACK: false once the server shut down).
    pub fn is_running(&self) -> bool {
        // SAFETY: a live handle.
        self.open && unsafe { (self.library.functions().is_engine_running)(self.handle) }
    }

    /// Plugins loaded.
    pub fn plugin_count(&self) -> u32 {
        self.host().plugin_count()
    }

    /// The plugin's MIDI inputs.
    pub fn midi_inputs(&self, id: u32) -> u32 {
        self.host().midi_inputs(id)
    }

    /// The plugin's audio outputs.
    pub fn audio_outputs(&self, id: u32) -> u32 {
        self.host().audio_outputs(id)
    }

    /// What Carla sees in plugin `id`.
    pub fn plugin_info(&self, id: u32) -> crate::PluginInfo {
        self.host().plugin_info(id)
    }

    /// Sets plugin `id`'s parameter `index` to `value`, in the parameter's own units.
    pub fn set_parameter(&mut self, id: u32, index: u32, value: f32) {
        self.host().set_parameter(id, index, value);
    }

    /// Carla's host API on the library's handle.
    fn host(&self) -> Host<'_> {
        // SAFETY: the library's global handle, which lives as long as the library.
        unsafe { Host::new(&self.library.functions().host, self.handle) }
    }

    /// Closes the engine: plugins removed, the client closed (its ports leave the server).
    pub fn close(mut self) -> Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<()> {
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        // SAFETY: a live engine, closed once; Carla closes it even when it reports an error.
        let closed = unsafe {
            (self.library.functions().about_to_close)(self.handle);
            (self.library.functions().engine_close)(self.handle)
        };
        IN_USE.store(false, Ordering::SeqCst);
        if closed {
            Ok(())
        } else {
            Err(Error::EngineClose {
                driver: self.driver.name().to_string(),
                message: self.host().last_error(),
            })
        }
    }
}

impl Drop for StandaloneEngine {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            tracing::warn!(%error, "Carla's engine did not close cleanly");
        }
    }
}
