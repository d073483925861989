//! Keyword arguments → the library's [`Instrument`] and [`RenderOptions`], as the `pycarla`
//! command maps its options (one instrument option at most; none: the General MIDI SoundFont).
//!
//! `render`, `render_batch` and `Renderer` take the same keywords: they come in as `**options`
//! and are read here, once ([`Settings::from_keywords`]), with the errors an explicit signature
//! would raise.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use audio_io::AudioFormat;
use pycarla::{EngineChoice, Instrument, RenderOptions, Tail};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

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
    pub plugin: Option<crate::controls::PluginEntries>,
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
    pub gain: f64,
    /// Loudness to normalise each file to, in LUFS (EBU R128).
    pub normalize: Option<f64>,
    pub seed: u64,
    pub stall_timeout: f64,
    /// `params=`, `preset=`, `state=`, `randomize=`, `randomize_preset=`, `automation=`,
    /// `cc=`: the CLI's `--set`, `--preset`, `--state`, `--randomize`, `--randomize-preset`,
    /// `--automation`, `--cc`.
    pub controls: crate::controls::ControlKeywords,
}

impl Settings {
    /// The keywords `options` of `function` (named as Python names it in errors: `render()`,
    /// `Renderer.__new__()`); a keyword not given takes the default `pycarla render` has.
    pub fn from_keywords(
        function: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Settings> {
        let mut options = Keywords::new(function, options)?;
        let settings = Settings {
            plugin: options.optional("plugin")?,
            project: options.optional("project")?,
            sf2: options.optional("sf2")?,
            sfz: options.optional("sfz")?,
            lv2: options.optional("lv2")?,
            host_cmd: options.optional("host_cmd")?,
            midi_port: options.or("midi_port", "Carla:events-in".into())?,
            audio_ports: options.or("audio_ports", "Carla:audio-out*".into())?,
            server: options.optional("server")?,
            engine: options.optional("engine")?,
            sample_rate: options.or("sample_rate", 48_000)?,
            period: options.optional("period")?,
            tail: options.or("tail", TailArg::Seconds(2.0))?,
            realtime: options.or("realtime", false)?,
            format: options.or("format", "f32".into())?,
            retries: options.or("retries", 0)?,
            timeout: options.optional("timeout")?,
            ready_timeout: options.or("ready_timeout", 20.0)?,
            keep_state: options.or("keep_state", false)?,
            gain: options.or("gain", 0.0)?,
            normalize: options.optional("normalize")?,
            seed: options.or("seed", 0)?,
            stall_timeout: options.or("stall_timeout", 10.0)?,
            controls: crate::controls::ControlKeywords {
                params: options.optional("params")?,
                preset: options.optional("preset")?,
                state: options.optional("state")?,
                randomize: options.optional("randomize")?,
                randomize_preset: options.optional("randomize_preset")?,
                automation: options.optional("automation")?,
                cc: options.optional("cc")?,
            },
        };
        options.finish()?;
        Ok(settings)
    }

    /// The instrument and the options; `interrupt` stops the render.
    pub fn resolve(
        self,
        py: Python<'_>,
        interrupt: Arc<AtomicBool>,
    ) -> PyResult<(Instrument, RenderOptions)> {
        let plugin_given = self.plugin.is_some();
        let chosen = [
            plugin_given,
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
        let chain = self.plugin.map(|entries| entries.0).unwrap_or_default();
        let controls = self.controls.into_controls(py, &chain)?;
        let instrument = if !chain.is_empty() {
            Instrument::Plugins(chain.into_iter().map(|entry| entry.spec).collect())
        } else if plugin_given {
            return Err(usage(py, "plugin: an empty list"));
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
        let format: AudioFormat = self
            .format
            .parse()
            .map_err(|error: audio_io::Error| usage(py, error.to_string()))?;
        if let Some(lufs) = self.normalize
            && !(-70.0..=0.0).contains(&lufs)
        {
            return Err(usage(
                py,
                format!("normalize={lufs}: expected LUFS between -70 and 0"),
            ));
        }
        let seconds = |what: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| usage(py, format!("{what}={value}: expected seconds ≥ 0")))
        };
        let options = RenderOptions::default()
            .engine(engine)
            .sample_rate(self.sample_rate)
            .period(self.period)
            .tail(tail)
            .realtime(self.realtime)
            .format(format)
            .server(self.server)
            .retries(self.retries)
            .timeout(self.timeout.map(|t| seconds("timeout", t)).transpose()?)
            .ready_timeout(seconds("ready_timeout", self.ready_timeout)?)
            .interrupt(Some(interrupt))
            .keep_state(self.keep_state)
            .gain(self.gain)
            .normalize(self.normalize)
            .seed(self.seed)
            .stall_timeout(seconds("stall_timeout", self.stall_timeout)?)
            .controls(controls);
        Ok((instrument, options))
    }
}

/// A value a keyword can have (the types of [`Settings`]' fields).
trait Keyword<'py>: for<'b> FromPyObject<'b, 'py, Error = PyErr> {}

impl<'py, T: for<'b> FromPyObject<'b, 'py, Error = PyErr>> Keyword<'py> for T {}

/// Keyword arguments taken one by one, as PyO3 takes a signature's: a value of the wrong type
/// raises its own error noted "while processing '<name>'", a keyword nobody takes raises
/// `TypeError: <function> got an unexpected keyword argument '<name>'`.
struct Keywords<'a, 'py> {
    function: &'a str,
    /// The keywords not taken yet (a copy: the caller's dict stays as it was).
    left: Option<Bound<'py, PyDict>>,
}

impl<'a, 'py> Keywords<'a, 'py> {
    fn new(function: &'a str, given: Option<&Bound<'py, PyDict>>) -> PyResult<Self> {
        Ok(Keywords {
            function,
            left: given.map(|given| given.copy()).transpose()?,
        })
    }

    /// The keyword `name`, if given.
    fn take<T: Keyword<'py>>(&mut self, name: &str) -> PyResult<Option<T>> {
        let Some(left) = &self.left else {
            return Ok(None);
        };
        let Some(value) = left.get_item(name)? else {
            return Ok(None);
        };
        left.del_item(name)?;
        match value.extract::<T>() {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                let py = value.py();
                let note = format!("while processing '{name}'");
                let _ = error.value(py).call_method1("add_note", (note,));
                Err(error)
            }
        }
    }

    /// The keyword `name`; `None` when not given or given as `None`.
    fn optional<T: Keyword<'py>>(&mut self, name: &str) -> PyResult<Option<T>> {
        Ok(self.take::<Option<T>>(name)?.flatten())
    }

    /// The keyword `name`, or `default` when not given.
    fn or<T: Keyword<'py>>(&mut self, name: &str, default: T) -> PyResult<T> {
        Ok(self.take(name)?.unwrap_or(default))
    }

    /// Fails on the first keyword not taken.
    fn finish(self) -> PyResult<()> {
        let unknown = self.left.and_then(|left| left.keys().iter().next());
        match unknown {
            Some(name) => Err(PyTypeError::new_err(format!(
                "{} got an unexpected keyword argument '{name}'",
                self.function
            ))),
            None => Ok(()),
        }
    }
}
