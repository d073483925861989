//! The few C types of `CarlaNative.h`, `CarlaHost.h` and `CarlaBackend.h` that the engine uses,
//! laid out as the headers lay them out (checked against the installed headers by
//! `tests/layout.rs`).

#![allow(non_camel_case_types, non_snake_case, missing_docs)]

use std::ffi::{c_char, c_void};

pub type NativeHostHandle = *mut c_void;
pub type NativePluginHandle = *mut c_void;
pub type CarlaHostHandle = *mut c_void;

/// `NativeMidiEvent`: one short MIDI message at a frame offset within the block.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NativeMidiEvent {
    pub time: u32,
    pub port: u8,
    pub size: u8,
    pub data: [u8; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeTimeInfoBBT {
    pub valid: bool,
    pub bar: i32,
    pub beat: i32,
    pub tick: f64,
    pub barStartTick: f64,
    pub beatsPerBar: f32,
    pub beatType: f32,
    pub ticksPerBeat: f64,
    pub beatsPerMinute: f64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeTimeInfo {
    pub playing: bool,
    pub frame: u64,
    pub usecs: u64,
    pub bbt: NativeTimeInfoBBT,
}

#[repr(C)]
#[derive(Debug)]
pub struct NativeHostDescriptor {
    pub handle: NativeHostHandle,
    pub resourceDir: *const c_char,
    pub uiName: *const c_char,
    pub uiParentId: usize,
    pub get_buffer_size: unsafe extern "C" fn(NativeHostHandle) -> u32,
    pub get_sample_rate: unsafe extern "C" fn(NativeHostHandle) -> f64,
    pub is_offline: unsafe extern "C" fn(NativeHostHandle) -> bool,
    pub get_time_info: unsafe extern "C" fn(NativeHostHandle) -> *const NativeTimeInfo,
    pub write_midi_event: unsafe extern "C" fn(NativeHostHandle, *const NativeMidiEvent) -> bool,
    pub ui_parameter_changed: unsafe extern "C" fn(NativeHostHandle, u32, f32),
    pub ui_midi_program_changed: unsafe extern "C" fn(NativeHostHandle, u8, u32, u32),
    pub ui_custom_data_changed:
        unsafe extern "C" fn(NativeHostHandle, *const c_char, *const c_char),
    pub ui_closed: unsafe extern "C" fn(NativeHostHandle),
    pub ui_open_file:
        unsafe extern "C" fn(NativeHostHandle, bool, *const c_char, *const c_char) -> *const c_char,
    pub ui_save_file:
        unsafe extern "C" fn(NativeHostHandle, bool, *const c_char, *const c_char) -> *const c_char,
    pub dispatcher:
        unsafe extern "C" fn(NativeHostHandle, i32, i32, isize, *mut c_void, f32) -> isize,
}

/// `NativePluginDescriptor` up to `dispatcher`: the fields after it are only valid for some
/// plugins and never read here.
#[repr(C)]
#[derive(Debug)]
pub struct NativePluginDescriptor {
    pub category: i32,
    pub hints: i32,
    pub supports: i32,
    pub audioIns: u32,
    pub audioOuts: u32,
    pub midiIns: u32,
    pub midiOuts: u32,
    pub paramIns: u32,
    pub paramOuts: u32,
    pub name: *const c_char,
    pub label: *const c_char,
    pub maker: *const c_char,
    pub copyright: *const c_char,
    pub instantiate:
        Option<unsafe extern "C" fn(*const NativeHostDescriptor) -> NativePluginHandle>,
    pub cleanup: Option<unsafe extern "C" fn(NativePluginHandle)>,
    pub get_parameter_count: Option<unsafe extern "C" fn(NativePluginHandle) -> u32>,
    pub get_parameter_info: Option<unsafe extern "C" fn(NativePluginHandle, u32) -> *const c_void>,
    pub get_parameter_value: Option<unsafe extern "C" fn(NativePluginHandle, u32) -> f32>,
    pub get_midi_program_count: Option<unsafe extern "C" fn(NativePluginHandle) -> u32>,
    pub get_midi_program_info:
        Option<unsafe extern "C" fn(NativePluginHandle, u32) -> *const c_void>,
    pub set_parameter_value: Option<unsafe extern "C" fn(NativePluginHandle, u32, f32)>,
    pub set_midi_program: Option<unsafe extern "C" fn(NativePluginHandle, u8, u32, u32)>,
    pub set_custom_data:
        Option<unsafe extern "C" fn(NativePluginHandle, *const c_char, *const c_char)>,
    pub ui_show: Option<unsafe extern "C" fn(NativePluginHandle, bool)>,
    pub ui_idle: Option<unsafe extern "C" fn(NativePluginHandle)>,
    pub ui_set_parameter_value: Option<unsafe extern "C" fn(NativePluginHandle, u32, f32)>,
    pub ui_set_midi_program: Option<unsafe extern "C" fn(NativePluginHandle, u8, u32, u32)>,
    pub ui_set_custom_data:
        Option<unsafe extern "C" fn(NativePluginHandle, *const c_char, *const c_char)>,
    pub activate: Option<unsafe extern "C" fn(NativePluginHandle)>,
    pub deactivate: Option<unsafe extern "C" fn(NativePluginHandle)>,
    pub process: Option<
        unsafe extern "C" fn(
            NativePluginHandle,
            *mut *mut f32,
            *mut *mut f32,
            u32,
            *const NativeMidiEvent,
            u32,
        ),
    >,
    pub get_state: Option<unsafe extern "C" fn(NativePluginHandle) -> *mut c_char>,
    pub set_state: Option<unsafe extern "C" fn(NativePluginHandle, *const c_char)>,
    pub dispatcher: Option<
        unsafe extern "C" fn(NativePluginHandle, i32, i32, isize, *mut c_void, f32) -> isize,
    >,
}

/// `CarlaPortCountInfo`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CarlaPortCountInfo {
    pub ins: u32,
    pub outs: u32,
}

/// `BinaryType::BINARY_POSIX64` (`BINARY_NATIVE` on 64-bit Linux).
#[cfg(target_pointer_width = "64")]
pub const BINARY_NATIVE: i32 = 2;
#[cfg(target_pointer_width = "32")]
pub const BINARY_NATIVE: i32 = 1;

/// `EngineOption::ENGINE_OPTION_FORCE_STEREO`.
pub const ENGINE_OPTION_FORCE_STEREO: i32 = 3;
/// `EngineOption::ENGINE_OPTION_PLUGIN_PATH`.
pub const ENGINE_OPTION_PLUGIN_PATH: i32 = 19;
/// `EngineOption::ENGINE_OPTION_PROCESS_MODE` (an `EngineProcessMode`).
pub const ENGINE_OPTION_PROCESS_MODE: i32 = 1;
/// `EngineOption::ENGINE_OPTION_TRANSPORT_MODE` (an `EngineTransportMode`).
pub const ENGINE_OPTION_TRANSPORT_MODE: i32 = 2;
/// `EngineOption::ENGINE_OPTION_PREFER_PLUGIN_BRIDGES`.
pub const ENGINE_OPTION_PREFER_PLUGIN_BRIDGES: i32 = 4;
/// `EngineOption::ENGINE_OPTION_PREFER_UI_BRIDGES`.
pub const ENGINE_OPTION_PREFER_UI_BRIDGES: i32 = 5;
/// `EngineOption::ENGINE_OPTION_OSC_ENABLED`.
pub const ENGINE_OPTION_OSC_ENABLED: i32 = 15;
/// `EngineOption::ENGINE_OPTION_PATH_BINARIES`.
pub const ENGINE_OPTION_PATH_BINARIES: i32 = 20;
/// `EngineOption::ENGINE_OPTION_PATH_RESOURCES`.
pub const ENGINE_OPTION_PATH_RESOURCES: i32 = 21;

/// `EngineProcessMode::ENGINE_PROCESS_MODE_CONTINUOUS_RACK`.
pub const ENGINE_PROCESS_MODE_CONTINUOUS_RACK: i32 = 2;
/// `EngineProcessMode::ENGINE_PROCESS_MODE_PATCHBAY`.
pub const ENGINE_PROCESS_MODE_PATCHBAY: i32 = 3;
/// `EngineTransportMode::ENGINE_TRANSPORT_MODE_INTERNAL`.
pub const ENGINE_TRANSPORT_MODE_INTERNAL: i32 = 1;

pub const PLUGIN_LADSPA: i32 = 2;
pub const PLUGIN_DSSI: i32 = 3;
pub const PLUGIN_LV2: i32 = 4;
pub const PLUGIN_VST2: i32 = 5;
pub const PLUGIN_VST3: i32 = 6;
pub const PLUGIN_SF2: i32 = 10;
pub const PLUGIN_SFZ: i32 = 11;
/// `NATIVE_PLUGIN_OPCODE_BUFFER_SIZE_CHANGED` (`CarlaNative.h`): the value is the new size.
pub const NATIVE_PLUGIN_OPCODE_BUFFER_SIZE_CHANGED: i32 = 1;
/// `PluginType::PLUGIN_CLAP` (Carla 2.6 and later).
pub const PLUGIN_CLAP: i32 = 14;

pub const PLUGIN_OPTION_MAP_PROGRAM_CHANGES: u32 = 0x004;
pub const PLUGIN_OPTION_SEND_CONTROL_CHANGES: u32 = 0x010;
pub const PLUGIN_OPTION_SEND_CHANNEL_PRESSURE: u32 = 0x020;
pub const PLUGIN_OPTION_SEND_NOTE_AFTERTOUCH: u32 = 0x040;
pub const PLUGIN_OPTION_SEND_PITCHBEND: u32 = 0x080;
pub const PLUGIN_OPTION_SEND_ALL_SOUND_OFF: u32 = 0x100;
pub const PLUGIN_OPTION_SEND_PROGRAM_CHANGES: u32 = 0x200;

pub type GetPluginDescriptor = unsafe extern "C" fn() -> *const NativePluginDescriptor;
pub type CreateHostHandle =
    unsafe extern "C" fn(*const NativePluginDescriptor, NativePluginHandle) -> CarlaHostHandle;
pub type HostHandleFree = unsafe extern "C" fn(CarlaHostHandle);
pub type AddPlugin = unsafe extern "C" fn(
    CarlaHostHandle,
    i32,
    i32,
    *const c_char,
    *const c_char,
    *const c_char,
    i64,
    *const c_void,
    u32,
) -> bool;
pub type LoadProject = unsafe extern "C" fn(CarlaHostHandle, *const c_char) -> bool;
pub type GetLastError = unsafe extern "C" fn(CarlaHostHandle) -> *const c_char;
pub type GetPluginCount = unsafe extern "C" fn(CarlaHostHandle) -> u32;
pub type GetPortCountInfo = unsafe extern "C" fn(CarlaHostHandle, u32) -> *const CarlaPortCountInfo;
pub type GetPluginLatency = unsafe extern "C" fn(CarlaHostHandle, u32) -> u32;
pub type GetPluginName = unsafe extern "C" fn(CarlaHostHandle, u32) -> *const c_char;
pub type SetEngineOption = unsafe extern "C" fn(CarlaHostHandle, i32, i32, *const c_char);
pub type GetLibraryFolder = unsafe extern "C" fn() -> *const c_char;
pub type SetCtrlChannel = unsafe extern "C" fn(CarlaHostHandle, u32, i8);
pub type SetVolume = unsafe extern "C" fn(CarlaHostHandle, u32, f32);
pub type SetParameterValue = unsafe extern "C" fn(CarlaHostHandle, u32, u32, f32);

// `libcarla_standalone2.so`: one engine per process, driven by a real audio driver (JACK).
pub type StandaloneHostInit = unsafe extern "C" fn() -> CarlaHostHandle;
pub type EngineInit = unsafe extern "C" fn(CarlaHostHandle, *const c_char, *const c_char) -> bool;
pub type EngineClose = unsafe extern "C" fn(CarlaHostHandle) -> bool;
pub type EngineIdle = unsafe extern "C" fn(CarlaHostHandle);
pub type IsEngineRunning = unsafe extern "C" fn(CarlaHostHandle) -> bool;
pub type SetEngineAboutToClose = unsafe extern "C" fn(CarlaHostHandle) -> bool;
pub type TransportPlay = unsafe extern "C" fn(CarlaHostHandle);

/// `CarlaPluginInfo` (`CarlaHost.h`).
#[repr(C)]
#[derive(Debug)]
pub struct CarlaPluginInfo {
    pub type_: i32,
    pub category: i32,
    pub hints: u32,
    pub optionsAvailable: u32,
    pub optionsEnabled: u32,
    pub filename: *const c_char,
    pub name: *const c_char,
    pub label: *const c_char,
    pub maker: *const c_char,
    pub copyright: *const c_char,
    pub iconName: *const c_char,
    pub uniqueId: i64,
}

/// `CarlaParameterInfo` (`CarlaHost.h`).
#[repr(C)]
#[derive(Debug)]
pub struct CarlaParameterInfo {
    pub name: *const c_char,
    pub symbol: *const c_char,
    pub unit: *const c_char,
    pub comment: *const c_char,
    pub groupName: *const c_char,
    pub scalePointCount: u32,
}

/// `ParameterData` (`CarlaBackend.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ParameterData {
    pub type_: i32,
    pub hints: u32,
    pub index: i32,
    pub rindex: i32,
    pub midiChannel: u8,
    pub mappedControlIndex: i16,
    pub mappedMinimum: f32,
    pub mappedMaximum: f32,
    pub mappedFlags: u32,
}

/// `ParameterRanges` (`CarlaBackend.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ParameterRanges {
    pub def: f32,
    pub min: f32,
    pub max: f32,
    pub step: f32,
    pub stepSmall: f32,
    pub stepLarge: f32,
}

/// `MidiProgramData` (`CarlaBackend.h`).
#[repr(C)]
#[derive(Debug)]
pub struct MidiProgramData {
    pub bank: u32,
    pub program: u32,
    pub name: *const c_char,
}

/// `ParameterType::PARAMETER_INPUT`.
pub const PARAMETER_INPUT: i32 = 1;
/// `PARAMETER_IS_AUTOMATABLE` (a parameter hint).
pub const PARAMETER_IS_AUTOMATABLE: u32 = 0x020;
/// `PARAMETER_IS_BOOLEAN` (a parameter hint): only its minimum and maximum are meaningful.
pub const PARAMETER_IS_BOOLEAN: u32 = 0x001;
/// `PARAMETER_IS_INTEGER` (a parameter hint): only whole values are meaningful.
pub const PARAMETER_IS_INTEGER: u32 = 0x002;
/// `PLUGIN_OPTION_USE_CHUNKS` (a plugin option): the plugin's state is an opaque chunk.
pub const PLUGIN_OPTION_USE_CHUNKS: u32 = 0x008;

pub type GetPluginInfo = unsafe extern "C" fn(CarlaHostHandle, u32) -> *const CarlaPluginInfo;
pub type GetCount = unsafe extern "C" fn(CarlaHostHandle, u32) -> u32;
pub type GetParameterInfo =
    unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> *const CarlaParameterInfo;
pub type GetParameterData = unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> *const ParameterData;
pub type GetParameterRanges =
    unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> *const ParameterRanges;
pub type GetProgramName = unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> *const c_char;
pub type GetMidiProgramData =
    unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> *const MidiProgramData;
pub type SetProgram = unsafe extern "C" fn(CarlaHostHandle, u32, u32);
pub type PluginStateFile = unsafe extern "C" fn(CarlaHostHandle, u32, *const c_char) -> bool;
pub type GetChunkData = unsafe extern "C" fn(CarlaHostHandle, u32) -> *const c_char;
pub type SetChunkData = unsafe extern "C" fn(CarlaHostHandle, u32, *const c_char);
pub type SetActive = unsafe extern "C" fn(CarlaHostHandle, u32, bool);
pub type GetCurrentParameterValue = unsafe extern "C" fn(CarlaHostHandle, u32, u32) -> f32;
