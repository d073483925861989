//! Parameter automation: a plugin parameter's value changing over the file's time, read from
//! a CSV or JSON file (`--automation FILE`) or given in code, and controllers of the file
//! mapped onto a parameter's range (`--cc CC=[N:]PARAM`). Each value holds from its time on;
//! a change at time t takes effect at frame round(t · sample_rate), half to even, the rule every
//! MIDI event follows (the offline engine splits its blocks there).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Every automated parameter of a render, with where it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    /// The file it was read from (`None` when given in code), named in manifests.
    pub source: Option<PathBuf>,
    /// One lane per automated parameter.
    pub lanes: Vec<AutomationLane>,
}

/// One parameter of one plugin of the chain over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationLane {
    /// The plugin's 1-based position in the chain (1: the instrument).
    pub plugin: usize,
    /// The parameter: its name (any case), its symbol or its 0-based index.
    pub parameter: String,
    /// `(seconds, value)`, in time order; each value holds until the next.
    pub points: Vec<(f64, f64)>,
}

impl AutomationLane {
    /// A lane, its points sorted by time (stably: of two points at one time the later given
    /// wins). Negative or non-finite times and non-finite values are refused.
    pub fn new(plugin: usize, parameter: &str, mut points: Vec<(f64, f64)>) -> Result<Self> {
        if plugin == 0 {
            return Err(Error::Usage(
                "automation: plugins are counted from 1 (the instrument)".into(),
            ));
        }
        if let Some((time, value)) = points
            .iter()
            .find(|(t, v)| !t.is_finite() || *t < 0.0 || !v.is_finite())
        {
            return Err(Error::Usage(format!(
                "automation of {plugin}:{parameter}: point ({time}, {value}) is not a time of 0 s or later and a finite value"
            )));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(AutomationLane {
            plugin,
            parameter: parameter.trim().to_string(),
            points,
        })
    }

    /// The points as `(frame, value)` at `sample_rate`: round(t · sample_rate), half to even.
    pub fn frames(&self, sample_rate: u32) -> Vec<(u64, f64)> {
        self.points
            .iter()
            .map(|&(t, v)| (smf::ExactTime::from_secs_f64(t).frame(sample_rate), v))
            .collect()
    }
}

impl Automation {
    /// Reads an automation file: CSV with the header `seconds,plugin,parameter,value`, or JSON
    /// `{"automation": [{"plugin": N, "parameter": NAME, "points": [[seconds, value], …]}]}`
    /// (chosen by the file's first character).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Automation> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::ControlFile {
            path: path.to_path_buf(),
            line: 0,
            reason: format!("cannot read: {e}"),
        })?;
        let lanes = if text.trim_start().starts_with('{') {
            lanes_from_json(&text)
        } else {
            lanes_from_csv(&text)
        }
        .map_err(|(line, reason)| Error::ControlFile {
            path: path.to_path_buf(),
            line,
            reason,
        })?;
        Ok(Automation {
            source: Some(path.to_path_buf()),
            lanes,
        })
    }

    /// Whether nothing is automated.
    pub fn is_empty(&self) -> bool {
        self.lanes.is_empty()
    }
}

/// A reason, and the 1-based line it is on (0: none).
type Located<T> = std::result::Result<T, (usize, String)>;

/// The lanes of a CSV automation file, in the order their parameters first appear.
fn lanes_from_csv(text: &str) -> Located<Vec<AutomationLane>> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let header: Vec<String> = match lines.next() {
        Some((_, line)) => csv_fields(line)
            .into_iter()
            .map(|f| f.to_ascii_lowercase())
            .collect(),
        None => return Err((0, "the file is empty".into())),
    };
    if header != ["seconds", "plugin", "parameter", "value"] {
        return Err((
            1,
            "expected the header seconds,plugin,parameter,value (or a JSON object)".into(),
        ));
    }
    // Rows gathered by parameter, in the order parameters first appear; sorted and checked
    // by `AutomationLane::new` at the end.
    let mut gathered: Vec<AutomationLane> = Vec::new();
    for (line_number, line) in lines {
        let bad = |why: String| (line_number, why);
        let fields = csv_fields(line);
        let [seconds, plugin, parameter, value] = fields.as_slice() else {
            return Err(bad(format!("expected 4 fields, found {}", fields.len())));
        };
        let number = |text: &str, what: &str| {
            text.parse::<f64>()
                .map_err(|_| bad(format!("the {what} {text:?} is not a number")))
        };
        let point = (number(seconds, "time")?, number(value, "value")?);
        let plugin: usize = plugin
            .parse()
            .map_err(|_| bad(format!("the plugin {plugin:?} is not a position (1, 2…)")))?;
        match gathered
            .iter_mut()
            .find(|lane| lane.plugin == plugin && lane.parameter == *parameter)
        {
            Some(lane) => lane.points.push(point),
            None => gathered.push(AutomationLane {
                plugin,
                parameter: parameter.clone(),
                points: vec![point],
            }),
        }
    }
    gathered
        .into_iter()
        .map(|lane| {
            AutomationLane::new(lane.plugin, &lane.parameter, lane.points)
                .map_err(|e| (0, e.to_string()))
        })
        .collect()
}

/// A CSV line's fields, trimmed; double quotes around a field keep its commas.
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field).trim().to_string()),
            c => field.push(c),
        }
    }
    fields.push(field.trim().to_string());
    fields
}

/// The lanes of a JSON automation file.
fn lanes_from_json(text: &str) -> Located<Vec<AutomationLane>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        automation: Vec<Lane>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Lane {
        #[serde(default = "instrument")]
        plugin: usize,
        parameter: NameOrIndex,
        points: Vec<(f64, f64)>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrIndex {
        Name(String),
        Index(u32),
    }
    fn instrument() -> usize {
        1
    }
    let file: File = serde_json::from_str(text).map_err(|e| (e.line(), e.to_string()))?;
    file.automation
        .into_iter()
        .map(|lane| {
            let parameter = match lane.parameter {
                NameOrIndex::Name(name) => name,
                NameOrIndex::Index(index) => index.to_string(),
            };
            AutomationLane::new(lane.plugin, &parameter, lane.points)
                .map_err(|e| (0, e.to_string()))
        })
        .collect()
}

/// One of the file's controllers (on any channel) driving a parameter across its range: value
/// 0 gives the parameter's minimum, 127 its maximum, linearly between. The controller still
/// reaches the plugin too.
///
/// ```
/// use pycarla_render::automation::CcMapping;
/// let map: CcMapping = "74=2:Cutoff".parse().unwrap();
/// assert_eq!((map.cc, map.plugin, map.parameter.as_str()), (74, 2, "Cutoff"));
/// assert_eq!("1=Volume".parse::<CcMapping>().unwrap().plugin, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CcMapping {
    /// The controller number, 0 to 127.
    pub cc: u8,
    /// The plugin's 1-based position in the chain.
    pub plugin: usize,
    /// The parameter: its name (any case), its symbol or its 0-based index.
    pub parameter: String,
}

impl FromStr for CcMapping {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Usage(format!("controller mapping {text:?}: {why}"));
        let (cc, target) = text
            .split_once('=')
            .ok_or_else(|| bad("expected CC=[N:]PARAM"))?;
        let cc: u8 = cc
            .trim()
            .parse()
            .ok()
            .filter(|cc| *cc < 128)
            .ok_or_else(|| bad("the controller is not a number from 0 to 127"))?;
        let (plugin, parameter) = crate::settings::plugin_position(target).map_err(bad)?;
        if parameter.trim().is_empty() {
            return Err(bad("no parameter named"));
        }
        Ok(CcMapping {
            cc,
            plugin,
            parameter: parameter.trim().to_string(),
        })
    }
}

impl fmt::Display for CcMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.cc, self.plugin, self.parameter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_give_the_same_lanes() {
        let csv =
            "seconds,plugin,parameter,value\n0.5,2,Gain,0.25\n0,2,Gain,1\n1,1,\"Cut, off\",3\n";
        let json = r#"{"automation": [
            {"plugin": 2, "parameter": "Gain", "points": [[0.5, 0.25], [0, 1]]},
            {"parameter": "Cut, off", "points": [[1, 3]]}]}"#;
        let from_csv = lanes_from_csv(csv).unwrap();
        assert_eq!(from_csv, lanes_from_json(json).unwrap());
        assert_eq!(
            from_csv[0].points,
            [(0.0, 1.0), (0.5, 0.25)],
            "sorted by time"
        );
        assert_eq!(from_csv[1].parameter, "Cut, off");
    }

    #[test]
    fn bad_files_name_the_line() {
        assert_eq!(lanes_from_csv("time,value\n").unwrap_err().0, 1);
        let error =
            lanes_from_csv("seconds,plugin,parameter,value\n0,1,Gain,1\nx,1,Gain,1\n").unwrap_err();
        assert_eq!(error.0, 3, "{error:?}");
        assert!(lanes_from_csv("seconds,plugin,parameter,value\n-1,1,Gain,1\n").is_err());
        assert!(
            lanes_from_json(r#"{"automation": [{"plugin": 0, "parameter": "a", "points": []}]}"#)
                .is_err()
        );
    }

    #[test]
    fn times_become_frames_half_to_even() {
        let lane = AutomationLane::new(1, "g", vec![(62.5 / 48_000.0, 1.0), (1.0, 2.0)]).unwrap();
        assert_eq!(lane.frames(48_000), [(62, 1.0), (48_000, 2.0)]);
    }
}
