//! The plugin-control keywords, named as the `pycarla` command's options — `params=`
//! (`--set`), `preset=`, `state=`, `randomize=`, `randomize_preset=`, `automation=`, `cc=` —
//! and `Plugin(spec, params=…, preset=…, state=…, randomize=…)` objects in `plugin=`, turned
//! into the library's [`PluginControls`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use pycarla::automation::{Automation, AutomationLane};
use pycarla::settings::PluginControls;
use pyo3::prelude::*;

use crate::errors::usage;
use crate::options::Strings;

/// One plugin of `plugin=`: a spec, or an object with a `spec` attribute and, optionally,
/// `params`, `preset`, `state` and `randomize` for that plugin alone (pycarla_rs.Plugin).
#[derive(Debug, Default)]
pub struct PluginEntry {
    pub spec: String,
    params: BTreeMap<String, f64>,
    preset: Option<String>,
    state: Option<String>,
    randomize: Vec<String>,
}

impl PluginEntry {
    fn from_object(object: &Bound<'_, PyAny>) -> PyResult<PluginEntry> {
        if let Ok(Strings(mut specs)) = object.extract::<Strings>()
            && specs.len() == 1
        {
            return Ok(PluginEntry {
                spec: specs.remove(0),
                ..PluginEntry::default()
            });
        }
        let attribute = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            match object.getattr(name) {
                Ok(value) if value.is_none() => Ok(None),
                Ok(value) => Ok(Some(value)),
                Err(_) => Ok(None),
            }
        };
        let Some(spec) = attribute("spec")? else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "plugin: expected a spec (str or path) or a pycarla_rs.Plugin",
            ));
        };
        let Strings(mut spec) = spec.extract()?;
        let text = |value: Option<Bound<'_, PyAny>>| -> PyResult<Option<String>> {
            value
                .map(|v| v.extract::<Strings>().map(|Strings(s)| s.join(",")))
                .transpose()
        };
        Ok(PluginEntry {
            spec: spec.pop().unwrap_or_default(),
            params: attribute("params")?
                .map(|p| p.extract())
                .transpose()?
                .unwrap_or_default(),
            preset: text(attribute("preset")?)?,
            state: text(attribute("state")?)?,
            randomize: attribute("randomize")?
                .map(|r| r.extract::<Strings>().map(|Strings(s)| s))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// `plugin=`: one entry or a list (a chain, instrument first).
#[derive(Debug)]
pub struct PluginEntries(pub Vec<PluginEntry>);

impl<'a, 'py> FromPyObject<'a, 'py> for PluginEntries {
    type Error = PyErr;

    fn extract(object: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let object = object.to_owned();
        if let Ok(one) = PluginEntry::from_object(&object) {
            return Ok(PluginEntries(vec![one]));
        }
        let mut all = Vec::new();
        for item in object.try_iter()? {
            all.push(PluginEntry::from_object(&item?)?);
        }
        Ok(PluginEntries(all))
    }
}

/// A lane's key in `automation=`: `(plugin, parameter)` or `"[N:]PARAM"`.
#[derive(Debug, FromPyObject)]
pub enum LaneKey {
    Pair(usize, String),
    Text(String),
}

/// A lane's points: `[(seconds, value), …]`, or `(seconds, values)` (two sequences, numpy
/// arrays among them).
#[derive(Debug, FromPyObject)]
pub enum LanePoints {
    Points(Vec<(f64, f64)>),
    Arrays(Vec<f64>, Vec<f64>),
}

/// `automation=`: a CSV or JSON file, or `{key: points}`.
#[derive(Debug, FromPyObject)]
pub enum AutomationArg {
    Lanes(LaneMap),
    File(PathBuf),
}

/// `{key: points}`, in the dict's order.
#[derive(Debug)]
pub struct LaneMap(Vec<(LaneKey, LanePoints)>);

impl<'a, 'py> FromPyObject<'a, 'py> for LaneMap {
    type Error = PyErr;

    fn extract(object: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let dict = object.cast::<pyo3::types::PyDict>()?;
        dict.iter()
            .map(|(key, points)| Ok((key.extract()?, points.extract()?)))
            .collect::<PyResult<_>>()
            .map(LaneMap)
    }
}

/// `randomize_preset=`: `True` (the instrument), a position, or a list of positions.
#[derive(Debug, FromPyObject)]
pub enum PositionsArg {
    Flag(bool),
    One(usize),
    Many(Vec<usize>),
}

/// `cc=`: `{74: "1:Cutoff"}` or `["74=1:Cutoff", …]`.
#[derive(Debug, FromPyObject)]
pub enum CcArg {
    Map(BTreeMap<u8, String>),
    List(Strings),
}

/// The plugin-control keywords as Python gives them.
#[derive(Debug, Default)]
pub struct ControlKeywords {
    /// `{"[N:]PARAM": value}`.
    pub params: Option<BTreeMap<String, f64>>,
    pub preset: Option<Strings>,
    pub state: Option<Strings>,
    pub randomize: Option<Strings>,
    pub randomize_preset: Option<PositionsArg>,
    pub automation: Option<AutomationArg>,
    pub cc: Option<CcArg>,
}

impl ControlKeywords {
    /// The controls these keywords and the chain's `Plugin` objects ask for: a `Plugin`'s own
    /// settings apply to its position in the chain.
    pub fn into_controls(self, py: Python<'_>, chain: &[PluginEntry]) -> PyResult<PluginControls> {
        let fail = |error: pycarla::Error| usage(py, error.to_string());
        let words = |given: Option<Strings>| given.map(|Strings(w)| w).unwrap_or_default();
        let mut params: Vec<String> = self
            .params
            .unwrap_or_default()
            .into_iter()
            .map(|(target, value)| format!("{target}={value}"))
            .collect();
        let (mut presets, mut states, mut randomize) =
            (words(self.preset), words(self.state), words(self.randomize));
        for (index, entry) in chain.iter().enumerate() {
            let position = index + 1;
            params.extend(
                entry
                    .params
                    .iter()
                    .map(|(name, value)| format!("{position}:{name}={value}")),
            );
            presets.extend(entry.preset.iter().map(|p| format!("{position}:{p}")));
            states.extend(entry.state.iter().map(|s| format!("{position}:{s}")));
            randomize.extend(entry.randomize.iter().map(|r| format!("{position}:{r}")));
        }
        Ok(PluginControls {
            params: parse(params).map_err(fail)?,
            presets: parse(presets).map_err(fail)?,
            states: parse(states).map_err(fail)?,
            randomize: parse(randomize).map_err(fail)?,
            randomize_presets: match self.randomize_preset {
                None | Some(PositionsArg::Flag(false)) => Vec::new(),
                Some(PositionsArg::Flag(true)) => vec![1],
                Some(PositionsArg::One(position)) => vec![position],
                Some(PositionsArg::Many(positions)) => positions,
            },
            automation: match self.automation {
                None => Automation::default(),
                Some(AutomationArg::File(path)) => Automation::from_file(path).map_err(fail)?,
                Some(AutomationArg::Lanes(LaneMap(lanes))) => Automation {
                    source: None,
                    lanes: lanes
                        .into_iter()
                        .map(|(key, points)| lane(key, points))
                        .collect::<Result<_, _>>()
                        .map_err(fail)?,
                },
            },
            cc: match self.cc {
                None => Vec::new(),
                Some(CcArg::Map(map)) => parse(
                    map.into_iter()
                        .map(|(cc, target)| format!("{cc}={target}"))
                        .collect(),
                )
                .map_err(fail)?,
                Some(CcArg::List(Strings(words))) => parse(words).map_err(fail)?,
            },
        })
    }
}

/// Every word parsed by the library's vocabulary (as the command's options are).
fn parse<T: std::str::FromStr<Err = pycarla::Error>>(
    words: Vec<String>,
) -> Result<Vec<T>, pycarla::Error> {
    words.iter().map(|w| w.parse()).collect()
}

/// One `automation=` entry as a lane.
fn lane(key: LaneKey, points: LanePoints) -> Result<AutomationLane, pycarla::Error> {
    let (plugin, parameter) = match key {
        LaneKey::Pair(plugin, parameter) => (plugin, parameter),
        LaneKey::Text(text) => {
            // "[N:]PARAM", as --set names a parameter.
            let setting: pycarla::settings::ParameterSetting = format!("{text}=0").parse()?;
            (setting.plugin, setting.parameter)
        }
    };
    let points = match points {
        LanePoints::Points(points) => points,
        LanePoints::Arrays(seconds, values) => {
            if seconds.len() != values.len() {
                return Err(pycarla::Error::Usage(format!(
                    "automation of {plugin}:{parameter}: {} times and {} values",
                    seconds.len(),
                    values.len()
                )));
            }
            seconds.into_iter().zip(values).collect()
        }
    };
    AutomationLane::new(plugin, &parameter, points)
}
