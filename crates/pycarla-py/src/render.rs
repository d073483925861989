//! `render`, `render_batch` and `Renderer`: the library's renders, their audio as numpy arrays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use audio_io::AudioFormat;
use numpy::PyArray2;
use numpy::ndarray::Array2;
use pycarla::RenderReport;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{IntoPy, usage};
use crate::midi_source::MidiSource;
use crate::options::Settings;
use crate::run::{Actor, interruptible};

/// Audio read back from a WAV: `channels × frames`, channel-major.
#[derive(Debug)]
pub struct Audio {
    pub channels: usize,
    pub frames: usize,
    pub samples: Vec<f32>,
}

impl Audio {
    /// The `(channels, frames)` float32 array.
    pub fn into_numpy(self, py: Python<'_>) -> PyResult<Bound<'_, PyArray2<f32>>> {
        let array = Array2::from_shape_vec((self.channels, self.frames), self.samples)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        Ok(PyArray2::from_owned_array(py, array))
    }

    /// From one buffer per channel.
    pub fn from_channels(channels: &[Vec<f32>]) -> Audio {
        let frames = channels.first().map_or(0, Vec::len);
        Audio {
            channels: channels.len(),
            frames,
            samples: channels
                .iter()
                .flat_map(|c| c.iter().copied().chain(std::iter::repeat(0.0)).take(frames))
                .collect(),
        }
    }
}

/// Reads a WAV the renders wrote (float or integer samples) as floats in [-1, 1]
/// (`audio_io::read_planar`); a failure is a `RenderIOError` in Python, as any file error.
pub fn read_wav(path: &Path) -> pycarla::Result<Audio> {
    let audio = audio_io::read_planar(path).map_err(|error| pycarla::Error::Io {
        path: path.to_path_buf(),
        source: error.into_io(),
    })?;
    Ok(Audio {
        channels: audio.channels,
        frames: audio.frames,
        samples: audio.samples,
    })
}

/// Renders `midi` with `renderer` into `output` (a temporary file when `None`) and reads the
/// audio back.
fn render_to_audio(
    renderer: &mut pycarla::Renderer,
    midi: &MidiSource,
    output: Option<&Path>,
    onsets: Option<&Path>,
) -> pycarla::Result<(RenderReport, Audio)> {
    let scratch;
    let wav = match output {
        Some(path) => path.to_path_buf(),
        None => {
            scratch = tempfile::Builder::new()
                .prefix("pycarla-py-")
                .tempdir()
                .map_err(|source| pycarla::Error::Io {
                    path: std::env::temp_dir(),
                    source,
                })?;
            scratch.path().join("render.wav")
        }
    };
    let report = match midi {
        MidiSource::Path(path) => renderer.render_file(path, &wav, onsets)?,
        MidiSource::Timeline(timeline, key) => {
            renderer.set_draw_key(key.as_str());
            renderer.render_timeline(timeline, &wav, onsets, |_, _| {})?
        }
    };
    let audio = read_wav(&wav)?;
    Ok((report, audio))
}

/// What one render produced (`render_batch`'s results, `Renderer.render_file`).
#[pyclass(module = "pycarla_rs", frozen, get_all)]
#[derive(Debug)]
pub struct RenderResult {
    /// The MIDI file.
    pub midi: PathBuf,
    /// The WAV written (for a failed render: where it would have been).
    pub output: PathBuf,
    /// `"rendered"`, `"skipped"` (its output existed) or `"failed"`.
    pub status: String,
    /// Frames written.
    pub frames: u64,
    /// Channels (the instrument's outputs).
    pub channels: usize,
    /// Sample rate.
    pub sample_rate: u32,
    /// `"offline"` or `"jack"` (`None` unless rendered).
    pub engine: Option<String>,
    /// Frames of plugin latency cut from the start (offline engine).
    pub latency: u64,
    /// The largest absolute sample.
    pub peak: f32,
    /// Wall-clock seconds of the render.
    pub seconds: f64,
    /// Attempts it took (more than 1 after crashes, with `retries`).
    pub attempts: u32,
    /// The exception, for a failed render.
    pub error: Option<Py<PyAny>>,
    /// The variant it was rendered as (`render_batch(variants=…)`), else `None`.
    pub variant: Option<String>,
    /// Stems written (`render_batch(stems=…)`: `output` is their directory), else `None`.
    pub stems: Option<usize>,
}

#[pymethods]
impl RenderResult {
    /// Whether the file was rendered.
    #[getter]
    fn ok(&self) -> bool {
        self.status == "rendered"
    }

    fn __repr__(&self) -> String {
        format!(
            "RenderResult(midi={:?}, output={:?}, status={:?}, frames={}, channels={}, sample_rate={})",
            self.midi.display().to_string(),
            self.output.display().to_string(),
            self.status,
            self.frames,
            self.channels,
            self.sample_rate
        )
    }
}

impl RenderResult {
    /// A result of `status` with nothing rendered.
    pub fn new(midi: &Path, output: &Path, status: &str) -> RenderResult {
        RenderResult {
            midi: midi.to_path_buf(),
            output: output.to_path_buf(),
            status: status.into(),
            frames: 0,
            channels: 0,
            sample_rate: 0,
            engine: None,
            latency: 0,
            peak: 0.0,
            seconds: 0.0,
            attempts: 0,
            error: None,
            variant: None,
            stems: None,
        }
    }

    /// The result of a render that wrote `report`.
    pub fn rendered(midi: &Path, report: &RenderReport) -> RenderResult {
        RenderResult {
            frames: report.frames,
            channels: report.channels,
            sample_rate: report.sample_rate,
            engine: Some(report.engine.name().into()),
            latency: report.latency,
            peak: report.peak,
            seconds: report.elapsed.as_secs_f64(),
            attempts: report.attempts,
            ..RenderResult::new(midi, &report.output, "rendered")
        }
    }
}

/// Renders MIDI and returns its audio as a `(channels, frames)` float32 array.
///
/// `midi`: a path; the bytes of a Standard MIDI File; a `mido.MidiFile` or a
/// `pretty_midi.PrettyMIDI` (read with their own ticks and tempo map, the same samples as the
/// file they were read from); or a list of `(seconds, bytes)` events at absolute times.
/// Without `output` the WAV goes to a temporary file, deleted after reading. The instrument is
/// one of `plugin` (one spec or a chain: LV2 URI, `.so`, `.vst3`, `.sf2`, `.sfz`), `project`
/// (`.carxp`), `sf2`, `sfz`, `lv2`, `host_cmd` (any JACK program, with `midi_port` and
/// `audio_ports`); none: the General MIDI SoundFont. The other keywords (`server`, `engine`,
/// `sample_rate`, `period`, `tail`, `realtime`, `format`, `retries`, `timeout`,
/// `ready_timeout`, `keep_state`) are the `pycarla render` command's options. Errors raise
/// `pycarla_rs.errors` exceptions with the library's messages; Ctrl-C stops the render cleanly.
#[pyfunction]
#[pyo3(signature = (midi, output=None, *, onsets=None, **options))]
pub fn render<'py>(
    py: Python<'py>,
    midi: &Bound<'py, PyAny>,
    output: Option<PathBuf>,
    onsets: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let settings = Settings::from_keywords("render()", options)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let (instrument, options) = settings.resolve(py, interrupt.clone())?;
    refuse_flac(py, options.format)?;
    let midi = MidiSource::extract(midi)?;
    let audio = interruptible(py, &interrupt, move || {
        // The renderer lives and dies on this thread: its children go with it.
        let mut renderer = pycarla::Renderer::new(instrument, options)?;
        render_to_audio(&mut renderer, &midi, output.as_deref(), onsets.as_deref())
            .map(|(_, audio)| audio)
    })?
    .py_err(py)?;
    audio.into_numpy(py)
}

/// One engine kept across files (`pycarla::Renderer`): a worker process offline, a server and
/// a synth on JACK, on a thread of its own as long as this object lives. Keywords as
/// `render`'s.
#[pyclass(module = "pycarla_rs", frozen)]
#[derive(Debug)]
pub struct Renderer {
    actor: Actor<Option<pycarla::Renderer>>,
    sample_rate: u32,
    engine: &'static str,
    /// The files' format: `render` (audio back as an array) refuses FLAC.
    format: AudioFormat,
}

#[pymethods]
impl Renderer {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Renderer> {
        let settings = Settings::from_keywords("Renderer.__new__()", options)?;
        let actor: Actor<Option<pycarla::Renderer>> = Actor::spawn("pycarla-renderer", |_| None);
        let (instrument, options) = settings.resolve(py, actor.interrupt.clone())?;
        let format = options.format;
        let (sample_rate, engine) = actor
            .call(py, move |slot| {
                let renderer = pycarla::Renderer::new(instrument, options)?;
                let made = (renderer.sample_rate(), renderer.engine().name());
                *slot = Some(renderer);
                Ok(made)
            })?
            .py_err(py)?;
        Ok(Renderer {
            actor,
            sample_rate,
            engine,
            format,
        })
    }

    /// Renders `midi` (as `render` takes it) and returns its audio, `(channels, frames)`
    /// float32; `output` keeps the WAV, `onsets` writes the note-on onsets CSV.
    #[pyo3(signature = (midi, output=None, *, onsets=None))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        midi: &Bound<'py, PyAny>,
        output: Option<PathBuf>,
        onsets: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        refuse_flac(py, self.format)?;
        let midi = MidiSource::extract(midi)?;
        let audio = self
            .actor
            .call(py, move |slot| {
                let renderer = slot.as_mut().ok_or_else(closed)?;
                let result = render_to_audio(renderer, &midi, output.as_deref(), onsets.as_deref());
                if result.as_ref().is_err_and(pycarla::Error::is_retryable) {
                    let _ = renderer.recover();
                }
                result.map(|(_, audio)| audio)
            })?
            .py_err(py)?;
        audio.into_numpy(py)
    }

    /// Renders `midi` into the WAV `output` and says how it went (no audio read back).
    #[pyo3(signature = (midi, output, *, onsets=None))]
    fn render_file(
        &self,
        py: Python<'_>,
        midi: PathBuf,
        output: PathBuf,
        onsets: Option<PathBuf>,
    ) -> PyResult<RenderResult> {
        let source = midi.clone();
        let report = self
            .actor
            .call(py, move |slot| {
                let renderer = slot.as_mut().ok_or_else(closed)?;
                let result = renderer.render_file(&midi, &output, onsets.as_ref());
                if result.as_ref().is_err_and(pycarla::Error::is_retryable) {
                    let _ = renderer.recover();
                }
                result
            })?
            .py_err(py)?;
        Ok(RenderResult::rendered(&source, &report))
    }

    /// The sample rate of the audio.
    #[getter]
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// `"offline"` or `"jack"`.
    #[getter]
    fn engine(&self) -> &'static str {
        self.engine
    }

    /// Stops the engine (worker, or synth and server); the renderer cannot render after.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.actor.call(py, |slot| *slot = None)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Stops the engine; an exception goes on.
    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }
}

/// The audio comes back through a WAV: a FLAC format is for files only.
fn refuse_flac(py: Python<'_>, format: AudioFormat) -> PyResult<()> {
    match format.extension() {
        "wav" => Ok(()),
        _ => Err(usage(
            py,
            format!(
                "format={:?}: the audio comes back as an array; FLAC is for files (Renderer.render_file, render_batch)",
                format.name()
            ),
        )),
    }
}

fn closed() -> pycarla::Error {
    pycarla::Error::Usage("the renderer is closed".into())
}
