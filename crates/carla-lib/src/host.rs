//! Carla's host API (`CarlaHost.h`), which both of Carla's libraries export: the functions
//! looked up once, and the calls both engines make on a host handle — adding plugins, loading
//! projects, setting options, reading Carla's errors — so that the offline engine and the
//! standalone one report the same failures the same way.

use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::ptr;

use crate::error::{Error, Result};
use crate::ffi;
use crate::loader::Symbols;
use crate::plugin::Plugin;

/// FluidSynth's own default gain (`synth.gain`), which Carla's FluidSynth replaces with 1.0.
pub const FLUIDSYNTH_DEFAULT_GAIN: f32 = 0.2;
/// FluidSynth's own default polyphony (`synth.polyphony`); Carla's FluidSynth sets 64.
pub const FLUIDSYNTH_DEFAULT_POLYPHONY: f32 = 256.0;
/// Carla's FluidSynth's "Polyphony" parameter.
const FLUIDSYNTH_POLYPHONY_PARAMETER: u32 = 11;

/// The host API's functions, from either library.
#[derive(Debug)]
pub(crate) struct HostFunctions {
    add_plugin: ffi::AddPlugin,
    load_project: ffi::LoadProject,
    last_error: ffi::GetLastError,
    plugin_count: ffi::GetPluginCount,
    audio_ports: ffi::GetPortCountInfo,
    midi_ports: ffi::GetPortCountInfo,
    set_engine_option: ffi::SetEngineOption,
    library_folder: ffi::GetLibraryFolder,
    set_ctrl_channel: ffi::SetCtrlChannel,
    set_volume: ffi::SetVolume,
    pub(crate) set_parameter_value: ffi::SetParameterValue,
    pub(crate) plugin_info: ffi::GetPluginInfo,
    pub(crate) parameter_count: ffi::GetCount,
    pub(crate) parameter_info: ffi::GetParameterInfo,
    pub(crate) parameter_data: ffi::GetParameterData,
    pub(crate) parameter_ranges: ffi::GetParameterRanges,
    pub(crate) program_count: ffi::GetCount,
    pub(crate) program_name: ffi::GetProgramName,
    pub(crate) midi_program_count: ffi::GetCount,
    pub(crate) midi_program_data: ffi::GetMidiProgramData,
    pub(crate) latency: ffi::GetPluginLatency,
    pub(crate) set_program: ffi::SetProgram,
    pub(crate) set_midi_program: ffi::SetProgram,
    pub(crate) load_plugin_state: ffi::PluginStateFile,
    pub(crate) save_plugin_state: ffi::PluginStateFile,
    pub(crate) chunk_data: ffi::GetChunkData,
    pub(crate) set_chunk_data: ffi::SetChunkData,
    pub(crate) parameter_value: ffi::GetCurrentParameterValue,
    pub(crate) set_active: ffi::SetActive,
}

impl HostFunctions {
    /// Looks the functions up in a library being loaded.
    pub(crate) fn load(symbols: &Symbols<'_>) -> Result<HostFunctions> {
        // SAFETY: each name is given the type of its declaration in `CarlaHost.h`.
        unsafe {
            Ok(HostFunctions {
                add_plugin: symbols.get("carla_add_plugin")?,
                load_project: symbols.get("carla_load_project")?,
                last_error: symbols.get("carla_get_last_error")?,
                plugin_count: symbols.get("carla_get_current_plugin_count")?,
                audio_ports: symbols.get("carla_get_audio_port_count_info")?,
                midi_ports: symbols.get("carla_get_midi_port_count_info")?,
                set_engine_option: symbols.get("carla_set_engine_option")?,
                library_folder: symbols.get("carla_get_library_folder")?,
                set_ctrl_channel: symbols.get("carla_set_ctrl_channel")?,
                set_volume: symbols.get("carla_set_volume")?,
                set_parameter_value: symbols.get("carla_set_parameter_value")?,
                plugin_info: symbols.get("carla_get_plugin_info")?,
                parameter_count: symbols.get("carla_get_parameter_count")?,
                parameter_info: symbols.get("carla_get_parameter_info")?,
                parameter_data: symbols.get("carla_get_parameter_data")?,
                parameter_ranges: symbols.get("carla_get_parameter_ranges")?,
                program_count: symbols.get("carla_get_program_count")?,
                program_name: symbols.get("carla_get_program_name")?,
                midi_program_count: symbols.get("carla_get_midi_program_count")?,
                midi_program_data: symbols.get("carla_get_midi_program_data")?,
                latency: symbols.get("carla_get_plugin_latency")?,
                set_program: symbols.get("carla_set_program")?,
                set_midi_program: symbols.get("carla_set_midi_program")?,
                load_plugin_state: symbols.get("carla_load_plugin_state")?,
                save_plugin_state: symbols.get("carla_save_plugin_state")?,
                chunk_data: symbols.get("carla_get_chunk_data")?,
                set_chunk_data: symbols.get("carla_set_chunk_data")?,
                parameter_value: symbols.get("carla_get_current_parameter_value")?,
                set_active: symbols.get("carla_set_active")?,
            })
        }
    }

    /// Where Carla's binaries (plugin bridges, discovery) and `resources/` live: Carla's own
    /// answer, else the directory of `library`, the file these functions were loaded from.
    pub(crate) fn library_folder(&self, library: &Path) -> PathBuf {
        // SAFETY: returns a static string owned by the library (or NULL).
        let folder = unsafe { string((self.library_folder)()) };
        if folder.is_empty() {
            library.parent().unwrap_or(Path::new("/")).to_path_buf()
        } else {
            PathBuf::from(folder)
        }
    }
}

/// A live host handle with the functions to call on it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Host<'a> {
    functions: &'a HostFunctions,
    handle: ffi::CarlaHostHandle,
}

impl<'a> Host<'a> {
    /// # Safety
    /// `handle` is a live host handle of the library `functions` come from, and stays live as
    /// long as the `Host` is used.
    pub(crate) unsafe fn new(functions: &'a HostFunctions, handle: ffi::CarlaHostHandle) -> Self {
        Host { functions, handle }
    }

    pub(crate) fn functions(&self) -> &'a HostFunctions {
        self.functions
    }

    pub(crate) fn handle(&self) -> ffi::CarlaHostHandle {
        self.handle
    }

    /// Sets one of the engine's options (`ffi::ENGINE_OPTION_*`); Carla copies `text`.
    pub(crate) fn set_option(&self, option: i32, value: i32, text: Option<&CStr>) {
        // SAFETY: a live handle; the text, if any, is NUL-terminated.
        unsafe {
            (self.functions.set_engine_option)(
                self.handle,
                option,
                value,
                text.map_or(ptr::null(), CStr::as_ptr),
            );
        }
    }

    /// Adds a plugin at the end of the chain (or to the patchbay).
    pub(crate) fn add_plugin(&self, plugin: &Plugin) -> Result<u32> {
        let id = self.plugin_count();
        let add_error = |message: String| Error::AddPlugin {
            plugin: format!("{} ({})", plugin.name, plugin.format),
            message,
        };
        let to_c =
            |text: &str| CString::new(text).map_err(|_| add_error("a NUL byte in its name".into()));
        let filename = to_c(&plugin.filename.to_string_lossy())?;
        let label = to_c(&plugin.label)?;
        // SAFETY: a live handle and NUL-terminated strings that outlive the call.
        let added = unsafe {
            (self.functions.add_plugin)(
                self.handle,
                ffi::BINARY_NATIVE,
                plugin.carla_type(),
                filename.as_ptr(),
                ptr::null(),
                label.as_ptr(),
                0,
                ptr::null(),
                plugin.format.options(),
            )
        };
        if !added || self.plugin_count() != id + 1 {
            return Err(add_error(self.last_error()));
        }
        if self.audio_outputs(id) == 0 {
            return Err(Error::NoAudioOutput {
                plugin: plugin.name.clone(),
            });
        }
        self.play_as_the_file_says(id, plugin.format);
        Ok(id)
    }

    /// Makes the plugin play what the file says and sound like its format's reference:
    /// - no control channel: Carla turns CC7/CC8/CC10 (and bank/program) arriving on a
    ///   plugin's control channel (MIDI channel 1 unless told) into the plugin's own volume,
    ///   balance and pan, so channel 1's controllers would move every channel; with none, every
    ///   channel's messages reach the plugin as they are (the options given to
    ///   `carla_add_plugin` pass them on);
    /// - a SoundFont plays at FluidSynth's own defaults, as `fluidsynth -F` does: Carla's
    ///   FluidSynth sets gain 1.0 and polyphony 64, FluidSynth's defaults are 0.2 and 256.
    ///   FluidSynth's gain scales every voice and the effects they feed, so Carla's output
    ///   volume of 0.2 is the same scaling.
    pub(crate) fn play_as_the_file_says(&self, id: u32, format: crate::plugin::Format) {
        // SAFETY: a live handle and a plugin id it just gave.
        unsafe { (self.functions.set_ctrl_channel)(self.handle, id, -1) };
        if format == crate::plugin::Format::Sf2 {
            // SAFETY: as above; index 11 is Carla's FluidSynth "Polyphony" parameter (2.4 to
            // 2.6: `FluidSynthPolyphony = 11`).
            unsafe {
                (self.functions.set_volume)(self.handle, id, FLUIDSYNTH_DEFAULT_GAIN);
                (self.functions.set_parameter_value)(
                    self.handle,
                    id,
                    FLUIDSYNTH_POLYPHONY_PARAMETER,
                    FLUIDSYNTH_DEFAULT_POLYPHONY,
                );
            }
        }
    }

    /// Adds the first plugin of a chain: it must take MIDI.
    pub(crate) fn add_instrument(&self, plugin: &Plugin) -> Result<u32> {
        let id = self.add_plugin(plugin)?;
        if self.midi_inputs(id) == 0 {
            return Err(Error::NotAnInstrument {
                plugin: plugin.name.clone(),
            });
        }
        Ok(id)
    }

    /// Loads a Carla project (`.carxp`); it must hold a plugin.
    pub(crate) fn load_project(&self, path: &Path) -> Result<()> {
        let error = |message: String| Error::LoadProject {
            path: path.to_path_buf(),
            message,
        };
        let c_path = CString::new(path.to_string_lossy().into_owned())
            .map_err(|_| error("a NUL byte in its path".into()))?;
        // SAFETY: a live handle and a NUL-terminated path.
        let loaded = unsafe { (self.functions.load_project)(self.handle, c_path.as_ptr()) };
        if !loaded {
            return Err(error(self.last_error()));
        }
        if self.plugin_count() == 0 {
            return Err(error("it holds no plugin".into()));
        }
        Ok(())
    }

    /// Plugins loaded.
    pub(crate) fn plugin_count(&self) -> u32 {
        // SAFETY: a live handle.
        unsafe { (self.functions.plugin_count)(self.handle) }
    }

    /// The plugin's MIDI inputs.
    pub(crate) fn midi_inputs(&self, id: u32) -> u32 {
        self.port_count(self.functions.midi_ports, id).ins
    }

    /// The plugin's audio outputs.
    pub(crate) fn audio_outputs(&self, id: u32) -> u32 {
        self.port_count(self.functions.audio_ports, id).outs
    }

    /// The plugin's audio inputs.
    pub(crate) fn audio_inputs(&self, id: u32) -> u32 {
        self.port_count(self.functions.audio_ports, id).ins
    }

    fn port_count(&self, get: ffi::GetPortCountInfo, id: u32) -> ffi::CarlaPortCountInfo {
        // SAFETY: a live handle; Carla returns a pointer to a static it owns (or NULL).
        unsafe {
            let info = get(self.handle, id);
            if info.is_null() {
                Default::default()
            } else {
                *info
            }
        }
    }

    /// Carla's last error, or a placeholder when it gave none.
    pub(crate) fn last_error(&self) -> String {
        // SAFETY: a live handle; the string is Carla's, copied at once.
        let message = unsafe { string((self.functions.last_error)(self.handle)) };
        if message.is_empty() {
            "no reason given".into()
        } else {
            message
        }
    }
}

/// Copies a C string Carla owns (empty for NULL).
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
pub(crate) unsafe fn string(text: *const c_char) -> String {
    if text.is_null() {
        String::new()
    } else {
        // SAFETY: by the caller.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}
