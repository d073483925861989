//! One instance of Carla's rack or patchbay, hosted in this process, offline, processed block
//! by block.

use std::ffi::{CString, c_char, c_void};
use std::path::Path;
use std::ptr;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ffi;
use crate::host::{Host, string};
use crate::library::CarlaLibrary;
use crate::plugin::Plugin;
use crate::plugin_info::PluginInfo;

/// Carla's two in-process engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Plugins chained in the order added: instrument, then effects (stereo).
    Rack,
    /// Plugins wired as a project's `<Patchbay>` connections say.
    Patchbay,
}

impl EngineKind {
    /// The engine a project was saved from: a project with patchbay connections needs the
    /// patchbay (in the rack its wiring would be lost and it would be silent).
    pub fn for_project(project_xml: &str) -> EngineKind {
        let patchbay = project_xml
            .split_once("<Patchbay>")
            .is_some_and(|(_, rest)| {
                rest.split_once("</Patchbay>")
                    .is_some_and(|(wiring, _)| wiring.contains("<Connection>"))
            });
        if patchbay {
            EngineKind::Patchbay
        } else {
            EngineKind::Rack
        }
    }

    fn name(self) -> &'static str {
        match self {
            EngineKind::Rack => "rack",
            EngineKind::Patchbay => "patchbay",
        }
    }
}

/// A MIDI message of at most 4 bytes at a frame offset within a block.
pub type MidiEvent = ffi::NativeMidiEvent;

/// Makes a [`MidiEvent`]; `None` for messages Carla's native API cannot carry (empty, or
/// longer than 4 bytes: system exclusive).
pub fn midi_event(offset: u32, bytes: &[u8]) -> Option<MidiEvent> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let mut data = [0; 4];
    data[..bytes.len()].copy_from_slice(bytes);
    Some(MidiEvent {
        time: offset,
        port: 0,
        size: bytes.len() as u8,
        data,
    })
}

/// Carla's plugin discovery (its LV2 world, its caches) is global to the process and not
/// thread-safe: engines are created, loaded and dropped one at a time.
static LOADING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn loading() -> std::sync::MutexGuard<'static, ()> {
    LOADING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What Carla asks its host: the engine's settings and the transport.
#[derive(Debug)]
struct HostState {
    sample_rate: f64,
    block: u32,
    time: ffi::NativeTimeInfo,
}

/// One of Carla's engines with its plugins. Not `Send`: it is used from the thread that made
/// it, and only [`retire`](Engine::retire) hands it to another thread to be destroyed.
///
/// ```no_run
/// use carla_lib::{CarlaLibrary, Engine, EngineKind, PluginSpec, midi_event};
/// let library = std::sync::Arc::new(CarlaLibrary::find(&[])?);
/// let mut engine = Engine::new(library, EngineKind::Rack, 48_000, 1024)?;
/// let kars = PluginSpec::parse("http://distrho.sf.net/plugins/Kars")?.resolve()?;
/// engine.add_instrument(&kars)?;
/// engine.activate();
/// let (mut left, mut right) = (vec![0.0; 1024], vec![0.0; 1024]);
/// let events = [midi_event(0, &[0x90, 60, 100]).unwrap()];
/// engine.process(&events, &mut left, &mut right)?;
/// # Ok::<(), carla_lib::Error>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    kind: EngineKind,
    descriptor: *const ffi::NativePluginDescriptor,
    handle: ffi::NativePluginHandle,
    host_handle: ffi::CarlaHostHandle,
    active: bool,
    silence: Vec<f32>,
    // Carla keeps pointers to these: they live, unmoved, as long as the engine.
    _host: Box<ffi::NativeHostDescriptor>,
    state: Box<HostState>,
    _resource_dir: CString,
    _ui_name: CString,
    // Last: the function pointers above point into it.
    library: Arc<CarlaLibrary>,
}

impl Engine {
    /// Creates an engine at `sample_rate` that processes blocks of at most `block` frames.
    pub fn new(
        library: Arc<CarlaLibrary>,
        kind: EngineKind,
        sample_rate: u32,
        block: u32,
    ) -> Result<Engine> {
        let _loading = loading();
        let instantiate_error = Error::Instantiate { what: kind.name() };
        let descriptor = match kind {
            // SAFETY: returns a static descriptor owned by the library.
            EngineKind::Rack => unsafe { (library.functions().rack)() },
            EngineKind::Patchbay => unsafe { (library.functions().patchbay)() },
        };
        if descriptor.is_null() {
            return Err(instantiate_error);
        }
        let mut state = Box::new(HostState {
            sample_rate: f64::from(sample_rate),
            block,
            time: ffi::NativeTimeInfo {
                playing: true,
                ..Default::default()
            },
        });
        let resource_dir = CString::new(
            library
                .library_folder()
                .join("resources")
                .to_string_lossy()
                .into_owned(),
        )
        .unwrap_or_default();
        let ui_name = CString::new("pycarla").expect("no NUL");
        let host = Box::new(ffi::NativeHostDescriptor {
            handle: (&mut *state as *mut HostState).cast(),
            resourceDir: resource_dir.as_ptr(),
            uiName: ui_name.as_ptr(),
            uiParentId: 0,
            get_buffer_size,
            get_sample_rate,
            is_offline,
            get_time_info,
            write_midi_event,
            ui_parameter_changed,
            ui_midi_program_changed,
            ui_custom_data_changed,
            ui_closed,
            ui_open_file: no_file,
            ui_save_file: no_file,
            dispatcher,
        });
        // SAFETY: the descriptor is Carla's; `instantiate` gets a host descriptor that lives,
        // unmoved, as long as the engine.
        let handle = unsafe {
            match (*descriptor).instantiate {
                Some(instantiate) => instantiate(&*host),
                None => ptr::null_mut(),
            }
        };
        if handle.is_null() {
            return Err(instantiate_error);
        }
        // SAFETY: a live instance of this descriptor.
        let host_handle = unsafe { (library.functions().create_host_handle)(descriptor, handle) };
        if host_handle.is_null() {
            // SAFETY: the instance just made, cleaned up once; there is no host handle to free.
            unsafe {
                if let Some(cleanup) = (*descriptor).cleanup {
                    cleanup(handle);
                }
            }
            return Err(instantiate_error);
        }
        let engine = Engine {
            kind,
            descriptor,
            handle,
            host_handle,
            active: false,
            silence: vec![0.0; block as usize],
            _host: host,
            state,
            _resource_dir: resource_dir,
            _ui_name: ui_name,
            library,
        };
        // Carla's rack runs a second instance of every mono plugin to make it stereo: twice the
        // work for the same sound. Mono plugins run once; the rack copies their output.
        engine
            .host()
            .set_option(ffi::ENGINE_OPTION_FORCE_STEREO, 0, None);
        Ok(engine)
    }

    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// The largest block [`process`](Engine::process) takes.
    pub fn block_size(&self) -> u32 {
        self.state.block
    }

    /// Adds a plugin at the end of the chain.
    pub fn add_plugin(&mut self, plugin: &Plugin) -> Result<u32> {
        let _loading = loading();
        self.host().add_plugin(plugin)
    }

    /// Adds the first plugin of a chain: it must take MIDI.
    pub fn add_instrument(&mut self, plugin: &Plugin) -> Result<u32> {
        let _loading = loading();
        self.host().add_instrument(plugin)
    }

    /// Loads a Carla project (`.carxp`) into this engine; it is ready to play when this
    /// returns.
    ///
    /// Carla loads a project's plugins (a SoundFont, an SFZ's samples) before it returns, but
    /// its patchbay takes new plugins and connections into its processing order only when a
    /// background thread rebuilds it, every 100 ms: a render faster than that played into a
    /// graph without the instrument (silence, or the first notes lost). A change of block size
    /// rebuilds the order at once, so the patchbay is told of a larger block and then of its
    /// own again.
    pub fn load_project(&mut self, path: &Path) -> Result<()> {
        let _loading = loading();
        self.host().load_project(path)?;
        if self.kind == EngineKind::Patchbay {
            self.rebuild_graph();
        }
        Ok(())
    }

    /// Makes Carla's patchbay rebuild its processing order now (see
    /// [`load_project`](Engine::load_project)).
    fn rebuild_graph(&mut self) {
        let block = self.state.block;
        for size in [block.saturating_mul(2), block] {
            // SAFETY: a live instance; the opcode takes the new size as its value.
            unsafe {
                if let Some(dispatcher) = (*self.descriptor).dispatcher {
                    dispatcher(
                        self.handle,
                        ffi::NATIVE_PLUGIN_OPCODE_BUFFER_SIZE_CHANGED,
                        0,
                        size as isize,
                        ptr::null_mut(),
                        0.0,
                    );
                }
            }
        }
    }

    /// Destroys the engine on a thread of its own and returns at once. Carla's teardown waits
    /// for its idle thread's next 25 ms tick; a caller that renders the next file meanwhile does
    /// not pay it (engines are still created and destroyed one at a time).
    pub fn retire(self) -> std::thread::JoinHandle<()> {
        /// The engine, sent to be dropped.
        struct Retired(#[allow(dead_code)] Engine);
        // SAFETY: a retired engine is only dropped, never used again; Carla's engine teardown
        // does not depend on the thread it runs on, and `LOADING` keeps it apart from loads.
        unsafe impl Send for Retired {}
        let retired = Retired(self);
        std::thread::spawn(move || {
            let retired = retired;
            drop(retired);
        })
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

    /// The plugin's name as the plugin gives it.
    pub fn plugin_name(&self, id: u32) -> String {
        // SAFETY: a live host handle; the string is Carla's, copied at once.
        unsafe { string((self.library.functions().real_name)(self.host_handle, id)) }
    }

    /// What Carla sees in plugin `id` (its format as Carla reports it).
    pub fn plugin_info(&self, id: u32) -> PluginInfo {
        self.host().plugin_info(id)
    }

    /// Sets plugin `id`'s parameter `index` to `value`, in the parameter's own units, before
    /// the next block.
    pub fn set_parameter(&mut self, id: u32, index: u32, value: f32) {
        self.host().set_parameter(id, index, value);
    }

    /// Loads plugin `id`'s program `index` (its presets; LV2 presets are programs).
    pub fn set_program(&mut self, id: u32, index: u32) {
        self.host().set_program(id, index);
    }

    /// Loads plugin `id`'s MIDI program `index` (a DSSI patch, say).
    pub fn set_midi_program(&mut self, id: u32, index: u32) {
        self.host().set_midi_program(id, index);
    }

    /// Loads a Carla state file (`.carxs`) into plugin `id`, named `plugin` in errors.
    pub fn load_state(&mut self, id: u32, plugin: &str, path: &Path) -> Result<()> {
        self.host().load_state(id, plugin, path)
    }

    /// Saves plugin `id`'s state as a Carla state file (`.carxs`).
    pub fn save_state(&self, id: u32, plugin: &str, path: &Path) -> Result<()> {
        self.host().save_state(id, plugin, path)
    }

    /// Plugin `id`'s opaque state chunk, when it keeps its state in one.
    pub fn chunk(&self, id: u32) -> Option<Vec<u8>> {
        self.host().chunk(id)
    }

    /// Gives plugin `id` an opaque state chunk (a VST2 `.fxp`'s payload).
    pub fn set_chunk(&mut self, id: u32, chunk: &[u8]) {
        self.host().set_chunk(id, chunk);
    }

    /// Deactivates and activates plugin `id` again (see [`Engine::settle`]).
    pub fn restart_plugin(&mut self, id: u32) {
        self.host().restart(id);
    }

    /// Plugin `id`'s parameter `index` as it is now, in its own units.
    pub fn parameter_value(&self, id: u32, index: u32) -> f32 {
        self.host().parameter_value(id, index)
    }

    /// The latency the plugin reports, in frames.
    pub fn plugin_latency(&self, id: u32) -> u32 {
        self.host().latency(id)
    }

    /// The latency of the whole chain: what its plugins report, added up (a rack runs them in
    /// series; a patchbay project is treated the same way).
    pub fn latency(&self) -> u64 {
        (0..self.plugin_count())
            .map(|id| u64::from(self.plugin_latency(id)))
            .sum()
    }

    /// Carla's host API on this engine's host handle.
    fn host(&self) -> Host<'_> {
        // SAFETY: the host handle lives as long as the engine.
        unsafe { Host::new(&self.library.functions().host, self.host_handle) }
    }

    /// Starts processing (once the plugins are loaded).
    pub fn activate(&mut self) {
        if !self.active {
            // SAFETY: a live instance.
            if let Some(activate) = unsafe { (*self.descriptor).activate } {
                unsafe { activate(self.handle) };
            }
            self.active = true;
        }
    }

    /// Runs the chain on `frames` of silence, without MIDI, in runs of at most
    /// [`SETTLE_RUN`] frames, and puts the transport back at frame 0: plugins apply parameters
    /// set since loading (many smooth a change over their first runs; x42's nodelay applies a
    /// new delay only in the run after it reports it) and update the latency they report (an
    /// LV2 plugin reports it through an output port, which Carla reads after each run). A CLAP
    /// plugin changes its latency only when it is activated again, which it asks the host for
    /// from a run; Carla does that only from an idle callback its native engine never runs, so
    /// every CLAP plugin is deactivated and activated again after the runs.
    pub fn settle(&mut self, frames: u32) -> Result<()> {
        let block = self.state.block.min(SETTLE_RUN) as usize;
        let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
        let mut remaining = frames as usize;
        while remaining > 0 {
            let n = remaining.min(block);
            self.process(&[], &mut left[..n], &mut right[..n])?;
            remaining -= n;
        }
        for id in 0..self.plugin_count() {
            if self.plugin_info(id).format == Some(crate::plugin::Format::Clap) {
                self.restart_plugin(id);
            }
        }
        self.state.time.frame = 0;
        Ok(())
    }

    /// Processes one block: `events` (offsets within the block, in time order) in, stereo out.
    /// The transport advances by the block's length.
    pub fn process(
        &mut self,
        events: &[MidiEvent],
        left: &mut [f32],
        right: &mut [f32],
    ) -> Result<()> {
        let frames = left.len().min(right.len());
        if frames > self.state.block as usize {
            return Err(Error::BlockTooLong {
                frames,
                block: self.state.block,
            });
        }
        self.activate();
        let mut inputs = [self.silence.as_mut_ptr(), self.silence.as_mut_ptr()];
        let mut outputs = [left.as_mut_ptr(), right.as_mut_ptr()];
        // SAFETY: a live, active instance; two input and two output buffers of at least
        // `frames` samples (the engine's inputs read silence); events outlive the call.
        unsafe {
            if let Some(process) = (*self.descriptor).process {
                process(
                    self.handle,
                    inputs.as_mut_ptr(),
                    outputs.as_mut_ptr(),
                    frames as u32,
                    events.as_ptr(),
                    events.len() as u32,
                );
            }
        }
        self.silence[..frames].fill(0.0);
        self.state.time.frame += frames as u64;
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _loading = loading();
        // SAFETY: the instance and host handle are live and dropped once, handle first.
        unsafe {
            if self.active
                && let Some(deactivate) = (*self.descriptor).deactivate
            {
                deactivate(self.handle);
            }
            (self.library.functions().host_handle_free)(self.host_handle);
            if let Some(cleanup) = (*self.descriptor).cleanup {
                cleanup(self.handle);
            }
        }
    }
}

/// The longest run of [`Engine::settle`]: several runs, whatever the block size.
pub const SETTLE_RUN: u32 = 512;

// The host callbacks Carla calls. They only read the state the engine owns.

unsafe extern "C" fn get_buffer_size(handle: ffi::NativeHostHandle) -> u32 {
    // SAFETY: `handle` is the engine's `HostState`.
    unsafe { (*handle.cast::<HostState>()).block }
}

unsafe extern "C" fn get_sample_rate(handle: ffi::NativeHostHandle) -> f64 {
    // SAFETY: as above.
    unsafe { (*handle.cast::<HostState>()).sample_rate }
}

unsafe extern "C" fn is_offline(_: ffi::NativeHostHandle) -> bool {
    true
}

unsafe extern "C" fn get_time_info(handle: ffi::NativeHostHandle) -> *const ffi::NativeTimeInfo {
    // SAFETY: as above.
    unsafe { &(*handle.cast::<HostState>()).time }
}

unsafe extern "C" fn write_midi_event(
    _: ffi::NativeHostHandle,
    _: *const ffi::NativeMidiEvent,
) -> bool {
    // MIDI the chain sends out is not recorded.
    false
}

unsafe extern "C" fn ui_parameter_changed(_: ffi::NativeHostHandle, _: u32, _: f32) {}

unsafe extern "C" fn ui_midi_program_changed(_: ffi::NativeHostHandle, _: u8, _: u32, _: u32) {}

unsafe extern "C" fn ui_custom_data_changed(
    _: ffi::NativeHostHandle,
    _: *const c_char,
    _: *const c_char,
) {
}

unsafe extern "C" fn ui_closed(_: ffi::NativeHostHandle) {}

/// Opening or saving a file through a dialog: there is no UI, so no file.
unsafe extern "C" fn no_file(
    _: ffi::NativeHostHandle,
    _: bool,
    _: *const c_char,
    _: *const c_char,
) -> *const c_char {
    ptr::null()
}

unsafe extern "C" fn dispatcher(
    _: ffi::NativeHostHandle,
    _: i32,
    _: i32,
    _: isize,
    _: *mut c_void,
    _: f32,
) -> isize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_with_patchbay_wiring_need_the_patchbay() {
        let patchbay = include_str!("../tests/data/patchbay.carxp");
        assert_eq!(EngineKind::for_project(patchbay), EngineKind::Patchbay);
        let rack = "<CARLA-PROJECT><Plugin/><Patchbay>\n </Patchbay></CARLA-PROJECT>";
        assert_eq!(EngineKind::for_project(rack), EngineKind::Rack);
        assert_eq!(
            EngineKind::for_project("<CARLA-PROJECT/>"),
            EngineKind::Rack
        );
    }

    #[test]
    fn only_short_messages_become_events() {
        assert_eq!(
            midi_event(5, &[0x90, 60, 1]).map(|e| (e.time, e.size)),
            Some((5, 3))
        );
        assert!(midi_event(0, &[]).is_none());
        assert!(midi_event(0, &[0xF0, 1, 2, 3, 0xF7]).is_none());
    }
}
