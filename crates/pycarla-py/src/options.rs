//! Keyword arguments → the library's [`Instrument`] and [`RenderOptions`], as the `pycarla`
//! command maps its options (one instrument option at most; none: the General MIDI SoundFont).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use pycarla::{EngineChoice, Instrument, RenderOptions, Tail, WavFormat};
use pyo3::prelude::*;

use crate::errors::{IntoPy, usage};

/// `tail=`: seconds, or `"auto"`.
#[derive(Debug, FromPyObject)]
pub enum TailArg {
    /// Seconds after the last message.
    Seconds(f64),
    /// `"auto"`.
    Word(String),
}

/// A list of strings, or one (a path-like counts as its path).
#[derive(Debug)]
pub struct Strings(pub Vec<String>);

impl<'a, 'py> FromPyObject<'a, 'py> for Strings {
    type Error = PyErr;

    fn extract(object: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let one = |item: &Bound<'py, PyAny>| -> PyResult<String> {
            if let Ok(text) = item.extract::<String>() {
                return Ok(text);
            }
            let path: PathBuf = item.extract()?;
            Ok(path.to_string_lossy().into_owned())
        };
        let object = object.to_owned();
        if let Ok(single) = one(&object) {
            return Ok(Strings(vec![single]));
        }
        let mut all = Vec::new();
        for item in object.try_iter()? {
            all.push(one(&item?)?);
        }
        Ok(Strings(all))
    }
}

/// Every option of a render, as Python passes them.
#[derive(Debug)]
pub struct Settings {
    pub plugin: Option<Strings>,
    pub project: Option<PathBuf>,
    pub sf2: Option<PathBuf>,
    pub sfz: Option<PathBuf>,
    pub lv2: Option<String>,
    pub host_cmd: Option<Strings>,
    pub midi_port: String,
    pub audio_ports: String,
    pub server: Option<String>,
    pub engine: Option<String>,
    pub sample_rate: u32,
    pub period: Option<u32>,
    pub tail: TailArg,
    pub realtime: bool,
    pub format: String,
    pub retries: u32,
    pub timeout: Option<f64>,
    pub ready_timeout: f64,
    pub keep_state: bool,
}

impl Settings {
    /// The instrument and the options; `interrupt` stops the render.
    pub fn resolve(
        self,
        py: Python<'_>,
        interrupt: Arc<AtomicBool>,
    ) -> PyResult<(Instrument, RenderOptions)> {
        let chosen = [
            self.plugin.is_some(),
            self.project.is_some(),
            self.sf2.is_some(),
            self.sfz.is_some(),
            self.lv2.is_some(),
            self.host_cmd.is_some(),
        ]
        .iter()
        .filter(|given| **given)
        .count();
        if chosen > 1 {
            return Err(usage(
                py,
                "give one instrument: plugin, project, sf2, sfz, lv2 or host_cmd",
            ));
        }
        let instrument = if let Some(Strings(plugins)) = self.plugin {
            if plugins.is_empty() {
                return Err(usage(py, "plugin: an empty list"));
            }
            Instrument::Plugins(plugins)
        } else if let Some(project) = self.project {
            Instrument::CarlaProject(project)
        } else if let Some(sf2) = self.sf2 {
            Instrument::SoundFont(sf2)
        } else if let Some(sfz) = self.sfz {
            Instrument::Sfz(sfz)
        } else if let Some(uri) = self.lv2 {
            Instrument::Lv2(uri)
        } else if let Some(Strings(words)) = self.host_cmd {
            // One string is a command line, split like a shell would; a list is taken as is.
            let command = match words.as_slice() {
                [line] => shlex::split(line)
                    .filter(|words| !words.is_empty())
                    .ok_or_else(|| {
                        usage(py, format!("host_cmd {line:?}: unbalanced quotes or empty"))
                    })?,
                _ => words,
            };
            Instrument::Command {
                command,
                midi_port: self.midi_port,
                audio_ports: self.audio_ports,
            }
        } else if self.server.is_some() {
            Instrument::Running {
                midi_port: self.midi_port,
                audio_ports: self.audio_ports,
            }
        } else {
            Instrument::default_soundfont().py_err(py)?
        };
        let tail = match self.tail {
            TailArg::Seconds(seconds) if seconds >= 0.0 && seconds.is_finite() => {
                Tail::Seconds(seconds)
            }
            TailArg::Word(word) if word == "auto" => Tail::Auto,
            TailArg::Seconds(seconds) => {
                return Err(usage(
                    py,
                    format!("tail={seconds}: expected seconds ≥ 0 or \"auto\""),
                ));
            }
            TailArg::Word(word) => {
                return Err(usage(
                    py,
                    format!("tail={word:?}: expected seconds ≥ 0 or \"auto\""),
                ));
            }
        };
        let engine = match self.engine.as_deref() {
            None | Some("auto") => EngineChoice::Auto,
            Some("offline") => EngineChoice::Offline,
            Some("jack") => EngineChoice::Jack,
            Some(other) => {
                return Err(usage(
                    py,
                    format!("engine={other:?}: expected \"auto\", \"offline\" or \"jack\""),
                ));
            }
        };
        let format = match self.format.as_str() {
            "f32" | "float32" => WavFormat::Float32,
            "wav24" | "int24" => WavFormat::Int24,
            "wav16" | "int16" => WavFormat::Int16,
            other => {
                return Err(usage(
                    py,
                    format!("format={other:?}: expected \"f32\", \"wav24\" or \"wav16\""),
                ));
            }
        };
        let seconds = |what: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| usage(py, format!("{what}={value}: expected seconds ≥ 0")))
        };
        // Options the library gains later keep their defaults (`..` below).
        #[allow(clippy::needless_update)]
        let options = RenderOptions {
            engine,
            sample_rate: self.sample_rate,
            period: self.period,
            tail,
            realtime: self.realtime,
            format,
            server: self.server,
            retries: self.retries,
            timeout: self.timeout.map(|t| seconds("timeout", t)).transpose()?,
            ready_timeout: seconds("ready_timeout", self.ready_timeout)?,
            interrupt: Some(interrupt),
            keep_instrument_state: self.keep_state,
            ..RenderOptions::default()
        };
        Ok((instrument, options))
    }
}
