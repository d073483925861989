//! Plugin settings: a parameter of one plugin of the chain set to a value in its own units
//! (`--set [N:]PARAM=VALUE`), what Carla sees in a plugin (`pycarla plugin SPEC --json`), and
//! the values each file was rendered with (the manifest's `params`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One parameter of one plugin of the chain, set before the first block of every file.
///
/// ```
/// use pycarla_render::settings::ParameterSetting;
/// let set: ParameterSetting = "2:Room Size=0.8".parse().unwrap();
/// assert_eq!((set.plugin, set.parameter.as_str(), set.value), (2, "Room Size", 0.8));
/// let set: ParameterSetting = "volume=37.5".parse().unwrap();
/// assert_eq!(set.plugin, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterSetting {
    /// The plugin's 1-based position in the chain (1: the instrument).
    pub plugin: usize,
    /// The parameter: its name (any case), its symbol or its 0-based index.
    pub parameter: String,
    /// The value, in the parameter's own units.
    pub value: f64,
}

impl FromStr for ParameterSetting {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| Error::Usage(format!("parameter setting {text:?}: {why}"));
        let (target, value) = text
            .rsplit_once('=')
            .ok_or_else(|| bad("expected [N:]PARAM=VALUE"))?;
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| bad("the value is not a number"))?;
        let (plugin, parameter) = plugin_position(target).map_err(bad)?;
        if parameter.trim().is_empty() {
            return Err(bad("no parameter named"));
        }
        Ok(ParameterSetting {
            plugin,
            parameter: parameter.trim().to_string(),
            value,
        })
    }
}

/// `N:REST` → (N, REST); `REST` → (1, REST): the plugin's 1-based position in the chain, or
/// why it is not one.
pub(crate) fn plugin_position(text: &str) -> Result<(usize, &str), &'static str> {
    match text.split_once(':') {
        Some((position, rest))
            if !position.is_empty() && position.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match position.parse::<usize>() {
                Ok(0) => Err("plugins are counted from 1 (the instrument)"),
                Ok(position) => Ok((position, rest)),
                Err(_) => Err("the plugin's position is not a number"),
            }
        }
        _ => Ok((1, text)),
    }
}

impl fmt::Display for ParameterSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}={}", self.plugin, self.parameter, self.value)
    }
}

/// A preset of one plugin of the chain, loaded before the first block of every file.
///
/// ```
/// use pycarla_render::settings::{Preset, PresetSetting};
/// let set: PresetSetting = "2:Hall".parse().unwrap();
/// assert_eq!((set.plugin, set.preset), (2, Preset::Name("Hall".into())));
/// assert_eq!("5".parse::<PresetSetting>().unwrap().preset, Preset::Index(5));
/// assert_eq!("0/40".parse::<PresetSetting>().unwrap().preset, Preset::BankProgram(0, 40));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresetSetting {
    /// The plugin's 1-based position in the chain (1: the instrument).
    pub plugin: usize,
    /// Which preset.
    pub preset: Preset,
}

/// A preset as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// A program's or MIDI program's name (any case).
    Name(String),
    /// A program's 0-based index (a MIDI program's, for a plugin without programs).
    Index(u32),
    /// A MIDI program by bank and program number (a SoundFont's presets).
    BankProgram(u32, u32),
}

impl FromStr for PresetSetting {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| Error::Usage(format!("preset {text:?}: {why}"));
        let (plugin, preset) = plugin_position(text).map_err(bad)?;
        let preset = preset.trim();
        let number = |t: &str| t.parse::<u32>().ok();
        let preset = match preset.split_once('/') {
            Some((bank, program)) if number(bank).is_some() && number(program).is_some() => {
                Preset::BankProgram(number(bank).unwrap_or(0), number(program).unwrap_or(0))
            }
            _ => match number(preset) {
                Some(index) => Preset::Index(index),
                None if preset.is_empty() => return Err(bad("no preset named")),
                None => Preset::Name(preset.to_string()),
            },
        };
        Ok(PresetSetting { plugin, preset })
    }
}

impl fmt::Display for PresetSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.preset {
            Preset::Name(name) => write!(f, "{}:{name}", self.plugin),
            Preset::Index(index) => write!(f, "{}:{index}", self.plugin),
            Preset::BankProgram(bank, program) => write!(f, "{}:{bank}/{program}", self.plugin),
        }
    }
}

/// A saved state loaded into one plugin of the chain before its preset and parameters: Carla's
/// `.carxs`, or a VST2 `.fxp`/`.fxb` (an opaque chunk, or a list of parameter values).
///
/// ```
/// use pycarla_render::settings::StateSetting;
/// let state: StateSetting = "2:/tmp/hall.carxs".parse().unwrap();
/// assert_eq!((state.plugin, state.path.to_str()), (2, Some("/tmp/hall.carxs")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSetting {
    /// The plugin's 1-based position in the chain (1: the instrument).
    pub plugin: usize,
    /// The state file.
    pub path: std::path::PathBuf,
}

impl FromStr for StateSetting {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| Error::Usage(format!("state {text:?}: {why}"));
        let (plugin, path) = plugin_position(text).map_err(bad)?;
        if path.trim().is_empty() {
            return Err(bad("no file named"));
        }
        Ok(StateSetting {
            plugin,
            path: path.into(),
        })
    }
}

impl fmt::Display for StateSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.plugin, self.path.display())
    }
}

/// Parameters of one plugin of the chain drawn at random, by the render's seed rule (the same
/// seed, input, part and plugin give the same values on every machine).
///
/// ```
/// use pycarla_render::settings::RandomizeSetting;
/// let r: RandomizeSetting = "2:Room Size=0.2:0.9".parse().unwrap();
/// assert_eq!((r.plugin, r.parameter.as_deref(), r.range), (2, Some("Room Size"), Some((0.2, 0.9))));
/// let all: RandomizeSetting = "all".parse().unwrap();
/// assert_eq!((all.plugin, all.parameter), (1, None));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomizeSetting {
    /// The plugin's 1-based position in the chain (1: the instrument).
    pub plugin: usize,
    /// The parameter (name, symbol or index); `None`: every automatable input parameter not
    /// also set by a [`ParameterSetting`].
    pub parameter: Option<String>,
    /// The range drawn from, in the parameter's units; `None`: its whole range.
    pub range: Option<(f64, f64)>,
}

impl FromStr for RandomizeSetting {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| Error::Usage(format!("randomize {text:?}: {why}"));
        let (plugin, rest) = plugin_position(text).map_err(bad)?;
        let (parameter, range) = match rest.rsplit_once('=') {
            Some((parameter, range)) => {
                let (low, high) = range
                    .split_once(':')
                    .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)))
                    .filter(|(l, h): &(f64, f64)| l.is_finite() && h.is_finite() && l <= h)
                    .ok_or_else(|| bad("expected PARAM=LOW:HIGH with LOW <= HIGH"))?;
                (parameter.trim(), Some((low, high)))
            }
            None => (rest.trim(), None),
        };
        if parameter.is_empty() {
            return Err(bad("no parameter named (or `all`)"));
        }
        if parameter.eq_ignore_ascii_case("all") && range.is_some() {
            return Err(bad("`all` draws each parameter from its own range"));
        }
        Ok(RandomizeSetting {
            plugin,
            parameter: (!parameter.eq_ignore_ascii_case("all")).then(|| parameter.to_string()),
            range,
        })
    }
}

impl fmt::Display for RandomizeSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.plugin,
            self.parameter.as_deref().unwrap_or("all")
        )?;
        match self.range {
            Some((low, high)) => write!(f, "={low}:{high}"),
            None => Ok(()),
        }
    }
}

/// `--randomize-preset [N:]`: the 1-based position of the plugin whose preset is drawn ("" or
/// "N" or "N:").
///
/// ```
/// assert_eq!(pycarla_render::settings::preset_position("").unwrap(), 1);
/// assert_eq!(pycarla_render::settings::preset_position("2:").unwrap(), 2);
/// ```
pub fn preset_position(text: &str) -> Result<usize, Error> {
    let position = text.trim().trim_end_matches(':');
    if position.is_empty() {
        return Ok(1);
    }
    match position.parse::<usize>() {
        Ok(position) if position > 0 => Ok(position),
        _ => Err(Error::Usage(format!(
            "randomize-preset {text:?}: expected the plugin's position (1 for the instrument)"
        ))),
    }
}

/// Everything a render sets in its plugins, applied to a fresh chain before every file's
/// first block in this order — state, preset, drawn preset, parameters, drawn parameters —
/// then automation and controller mappings during the file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginControls {
    /// Parameters set (`--set`).
    pub params: Vec<ParameterSetting>,
    /// Presets loaded (`--preset`).
    pub presets: Vec<PresetSetting>,
    /// State files loaded (`--state`).
    pub states: Vec<StateSetting>,
    /// Parameters drawn by the seed rule (`--randomize`).
    pub randomize: Vec<RandomizeSetting>,
    /// Plugins whose preset is drawn by the seed rule (`--randomize-preset`), 1-based.
    pub randomize_presets: Vec<usize>,
    /// Parameters over time (`--automation`).
    pub automation: crate::automation::Automation,
    /// The file's controllers mapped onto parameters (`--cc`).
    pub cc: Vec<crate::automation::CcMapping>,
}

impl PluginControls {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == PluginControls::default()
    }

    /// The parameters asked for, per plugin of a chain of `plugins`, by the names given: what
    /// an engine that applies them without reporting back (pycarla's Carla host) records.
    pub fn requested_params(&self, plugins: usize) -> Vec<BTreeMap<String, f32>> {
        let mut requested = vec![BTreeMap::new(); plugins];
        for setting in &self.params {
            if let Some(values) = requested.get_mut(setting.plugin - 1) {
                values.insert(setting.parameter.clone(), setting.value as f32);
            }
        }
        requested
    }

    /// What each plugin of the chain (`specs`, as the user named them) rendered with, from the
    /// values a worker applied and the files named here.
    pub fn report(
        &self,
        specs: &[String],
        applied: &[BTreeMap<String, f32>],
        presets: &[Option<String>],
    ) -> Vec<PluginParams> {
        let automation_source = self
            .automation
            .source
            .as_ref()
            .map_or_else(|| "inline".to_string(), |p| p.display().to_string());
        specs
            .iter()
            .enumerate()
            .map(|(index, plugin)| {
                let position = index + 1;
                PluginParams {
                    plugin: plugin.clone(),
                    params: applied.get(index).cloned().unwrap_or_default(),
                    preset: presets.get(index).cloned().flatten(),
                    state: self
                        .states
                        .iter()
                        .rfind(|s| s.plugin == position)
                        .map(|s| s.path.display().to_string()),
                    automation: self
                        .automation
                        .lanes
                        .iter()
                        .any(|lane| lane.plugin == position)
                        .then(|| automation_source.clone()),
                    cc: self
                        .cc
                        .iter()
                        .filter(|m| m.plugin == position)
                        .map(|m| format!("{}={}", m.cc, m.parameter))
                        .collect(),
                }
            })
            .collect()
    }
}

/// The values one plugin of the chain rendered with: a manifest's `params` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginParams {
    /// The plugin as the user named it.
    pub plugin: String,
    /// Every parameter set, by name, with the value applied.
    pub params: BTreeMap<String, f32>,
    /// The preset loaded (`NAME`, or `BANK/PROGRAM NAME` for a MIDI program).
    pub preset: Option<String>,
    /// The state file loaded.
    pub state: Option<String>,
    /// The automation file (`inline` when given in code), when any of its lanes drives this
    /// plugin.
    pub automation: Option<String>,
    /// The file's controllers mapped onto this plugin's parameters (`CC=PARAM`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
}

/// What Carla sees in a plugin, as `pycarla plugin SPEC --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginDescription {
    /// Its name.
    pub name: String,
    /// Its maker.
    pub maker: String,
    /// `lv2`, `vst2`, `vst3`, `clap`, `ladspa`, `dssi`, `sf2` or `sfz` (`internal` for
    /// Carla's own).
    pub format: String,
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
    /// Its input parameters.
    pub parameters: Vec<carla_lib::ParameterInfo>,
    /// Its programs (plugin presets; LV2 presets show up here).
    pub programs: Vec<ProgramDescription>,
    /// Its MIDI programs (a SoundFont's presets).
    pub midi_programs: Vec<carla_lib::MidiProgram>,
}

/// One program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramDescription {
    /// Its 0-based index.
    pub index: u32,
    /// Its name.
    pub name: String,
}

impl From<carla_lib::PluginInfo> for PluginDescription {
    fn from(info: carla_lib::PluginInfo) -> Self {
        PluginDescription {
            name: info.name,
            maker: info.maker,
            format: info.format.map_or("internal", |f| f.name()).to_string(),
            label: info.label,
            audio_ins: info.audio_ins,
            audio_outs: info.audio_outs,
            midi_ins: info.midi_ins,
            latency: info.latency,
            parameters: info.parameters.into_iter().filter(|p| p.input).collect(),
            programs: info
                .programs
                .into_iter()
                .enumerate()
                .map(|(index, name)| ProgramDescription {
                    index: index as u32,
                    name,
                })
                .collect(),
            midi_programs: info.midi_programs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_position_parameter_and_value() {
        let set = |text: &str| text.parse::<ParameterSetting>();
        let plain = set("Volume=50").unwrap();
        assert_eq!(
            (plain.plugin, plain.parameter.as_str(), plain.value),
            (1, "Volume", 50.0)
        );
        let second = set("2:3=0.25").unwrap();
        assert_eq!((second.plugin, second.parameter.as_str()), (2, "3"));
        // A name with a colon that is not a position stays whole.
        assert_eq!(set("Mix:Dry=1").unwrap().parameter, "Mix:Dry");
        for bad in ["Volume", "Volume=loud", "0:Volume=1", "=1", "2:=1"] {
            assert!(set(bad).is_err(), "{bad}");
        }
    }
}
