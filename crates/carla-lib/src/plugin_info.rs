//! What Carla sees in a loaded plugin — its name, ports, latency, parameters (with their
//! ranges), programs and MIDI programs — and setting a parameter by name, symbol or index, in
//! the parameter's own units, refused with its range when out of it.

use std::ffi::c_char;

use crate::error::{Error, Result};
use crate::ffi;
use crate::host::{Host, string};
use crate::plugin::Format;

/// One parameter of a plugin. Serialized (feature `serde`) as `pycarla plugin --json` lists a
/// parameter: its index, name, symbol, range, default and unit.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ParameterInfo {
    /// Its index among the plugin's parameters, 0-based (Carla's parameter id).
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Its symbol (LV2), or empty.
    pub symbol: String,
    /// Its lowest value.
    pub min: f32,
    /// Its highest value.
    pub max: f32,
    /// Its default value.
    pub default: f32,
    /// Its unit, or empty.
    pub unit: String,
    /// Whether it is an input (set by the host) rather than an output (a meter).
    #[cfg_attr(feature = "serde", serde(skip_serializing, default = "yes"))]
    pub input: bool,
    /// Whether the plugin lets the host automate it.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default = "yes"))]
    pub automatable: bool,
    /// Whether only whole values mean something (an integer or an on/off switch): a value
    /// drawn at random is rounded.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub integer: bool,
}

/// Serialized parameters are the input parameters a host sets.
#[cfg(feature = "serde")]
fn yes() -> bool {
    true
}

/// A MIDI program (bank and program number) of a plugin: a SoundFont's presets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MidiProgram {
    /// Its bank.
    pub bank: u32,
    /// Its program number.
    pub program: u32,
    /// Its name.
    pub name: String,
}

/// What Carla sees in a plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// Its maker.
    pub maker: String,
    /// Its format (`None` for Carla's internal plugins).
    pub format: Option<Format>,
    /// Its label (the URI for LV2).
    pub label: String,
    /// Audio inputs.
    pub audio_ins: u32,
    /// Audio outputs.
    pub audio_outs: u32,
    /// MIDI inputs.
    pub midi_ins: u32,
    /// The latency it reports, in frames.
    pub latency: u32,
    /// Its parameters, in Carla's order.
    pub parameters: Vec<ParameterInfo>,
    /// Its programs (plugin presets; LV2 presets show up here), by index.
    pub programs: Vec<String>,
    /// Its MIDI programs (a SoundFont's presets).
    pub midi_programs: Vec<MidiProgram>,
    /// Its unique id (a VST2 plugin's four-character code, as written in `.fxp` files).
    pub unique_id: i64,
    /// Whether its state is an opaque chunk (Carla's `PLUGIN_OPTION_USE_CHUNKS`) rather than
    /// its parameters' values.
    pub uses_chunks: bool,
}

impl Host<'_> {
    /// What Carla sees in plugin `id`.
    pub(crate) fn plugin_info(&self, id: u32) -> PluginInfo {
        let f = self.functions();
        let h = self.handle();
        // SAFETY: a live handle and a plugin id it gave; every pointer Carla returns points
        // to a static it owns (or is NULL) and is copied at once.
        unsafe {
            let info = (f.plugin_info)(h, id);
            let (name, maker, label, format, unique_id, options) = if info.is_null() {
                Default::default()
            } else {
                (
                    string((*info).name),
                    string((*info).maker),
                    string((*info).label),
                    Format::from_carla_type((*info).type_),
                    (*info).uniqueId,
                    (*info).optionsEnabled,
                )
            };
            let parameters = (0..(f.parameter_count)(h, id))
                .map(|index| {
                    let info = (f.parameter_info)(h, id, index);
                    let data = (f.parameter_data)(h, id, index);
                    let ranges = (f.parameter_ranges)(h, id, index);
                    let text = |field: fn(&ffi::CarlaParameterInfo) -> *const c_char| {
                        if info.is_null() {
                            String::new()
                        } else {
                            string(field(&*info))
                        }
                    };
                    let (kind, hints) = if data.is_null() {
                        (0, 0)
                    } else {
                        ((*data).type_, (*data).hints)
                    };
                    let ranges = if ranges.is_null() {
                        ffi::ParameterRanges::default()
                    } else {
                        *ranges
                    };
                    ParameterInfo {
                        index,
                        name: text(|i| i.name),
                        symbol: text(|i| i.symbol),
                        unit: text(|i| i.unit),
                        min: ranges.min,
                        max: ranges.max,
                        default: ranges.def,
                        input: kind == ffi::PARAMETER_INPUT,
                        automatable: hints & ffi::PARAMETER_IS_AUTOMATABLE != 0,
                        integer: hints & (ffi::PARAMETER_IS_INTEGER | ffi::PARAMETER_IS_BOOLEAN)
                            != 0,
                    }
                })
                .collect();
            let programs = (0..(f.program_count)(h, id))
                .map(|index| string((f.program_name)(h, id, index)))
                .collect();
            let midi_programs = (0..(f.midi_program_count)(h, id))
                .filter_map(|index| {
                    let data = (f.midi_program_data)(h, id, index);
                    (!data.is_null()).then(|| MidiProgram {
                        bank: (*data).bank,
                        program: (*data).program,
                        name: string((*data).name),
                    })
                })
                .collect();
            PluginInfo {
                name,
                maker,
                format,
                label,
                audio_ins: self.audio_inputs(id),
                audio_outs: self.audio_outputs(id),
                midi_ins: self.midi_inputs(id),
                latency: self.latency(id),
                parameters,
                programs,
                midi_programs,
                unique_id,
                uses_chunks: options & ffi::PLUGIN_OPTION_USE_CHUNKS != 0,
            }
        }
    }

    /// Sets plugin `id`'s parameter `index` to `value` (in its own units).
    pub(crate) fn set_parameter(&self, id: u32, index: u32, value: f32) {
        // SAFETY: a live handle, a plugin id it gave and one of its parameters.
        unsafe { (self.functions().set_parameter_value)(self.handle(), id, index, value) }
    }

    /// Loads plugin `id`'s program `index`.
    pub(crate) fn set_program(&self, id: u32, index: u32) {
        // SAFETY: a live handle, a plugin id it gave; Carla checks the index.
        unsafe { (self.functions().set_program)(self.handle(), id, index) }
    }

    /// Loads plugin `id`'s MIDI program `index`.
    pub(crate) fn set_midi_program(&self, id: u32, index: u32) {
        // SAFETY: a live handle, a plugin id it gave; Carla checks the index.
        unsafe { (self.functions().set_midi_program)(self.handle(), id, index) }
    }

    /// The latency plugin `id` reports, in frames.
    pub(crate) fn latency(&self, id: u32) -> u32 {
        // SAFETY: a live handle and a plugin id it gave.
        unsafe { (self.functions().latency)(self.handle(), id) }
    }
}

impl PluginInfo {
    /// The input parameter `name` names: its name (any case), its symbol or its index.
    pub fn parameter(&self, plugin: &str, name: &str) -> Result<&ParameterInfo> {
        let inputs = || self.parameters.iter().filter(|p| p.input);
        inputs()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .or_else(|| inputs().find(|p| !p.symbol.is_empty() && p.symbol == name))
            .or_else(|| {
                let index: u32 = name.parse().ok()?;
                inputs().find(|p| p.index == index)
            })
            .ok_or_else(|| Error::UnknownParameter {
                plugin: plugin.to_string(),
                parameter: name.to_string(),
                known: inputs()
                    .map(|p| {
                        if p.symbol.is_empty() {
                            p.name.clone()
                        } else {
                            format!("{} ({})", p.name, p.symbol)
                        }
                    })
                    .collect(),
            })
    }
}

impl ParameterInfo {
    /// `value`, or the error naming the range it is out of.
    pub fn check(&self, plugin: &str, value: f32) -> Result<f32> {
        if value.is_finite() && value >= self.min && value <= self.max {
            Ok(value)
        } else {
            Err(Error::ParameterOutOfRange {
                plugin: plugin.to_string(),
                parameter: self.name.clone(),
                value,
                min: self.min,
                max: self.max,
                unit: self.unit.clone(),
            })
        }
    }
}
