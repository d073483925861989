//! `render`, `render_batch` and `Renderer`: the library's renders, their audio as numpy arrays.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use numpy::PyArray2;
use numpy::ndarray::Array2;
use pycarla::{Instrument, RenderOptions, RenderReport};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{IntoPy, to_py, usage};
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

/// Reads a WAV the renders wrote (float or integer samples) as floats in [-1, 1].
pub fn read_wav(path: &Path) -> pycarla::Result<Audio> {
    let io = |error: hound::Error| pycarla::Error::Io {
        path: path.to_path_buf(),
        source: match error {
            hound::Error::IoError(source) => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
        },
    };
    let mut reader = hound::WavReader::open(path).map_err(io)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 * scale))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(io)?;
    let frames = interleaved.len() / channels;
    let mut samples = vec![0.0; channels * frames];
    for (i, frame) in interleaved.chunks_exact(channels).enumerate() {
        for (c, sample) in frame.iter().enumerate() {
            samples[c * frames + i] = *sample;
        }
    }
    Ok(Audio {
        channels,
        frames,
        samples,
    })
}

/// Renders `midi` with `renderer` into `output` (a temporary file when `None`) and reads the
/// audio back.
fn render_to_audio(
    renderer: &mut pycarla::Renderer,
    midi: &Path,
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
    let report = renderer.render_file(midi, &wav, onsets)?;
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
    fn new(midi: &Path, output: &Path, status: &str) -> RenderResult {
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
        }
    }

    fn rendered(midi: &Path, report: &RenderReport) -> RenderResult {
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

/// Renders one MIDI file and returns its audio as a `(channels, frames)` float32 array.
///
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
    midi: PathBuf,
    output: Option<PathBuf>,
    onsets: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let settings = Settings::from_keywords("render()", options)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let (instrument, options) = settings.resolve(py, interrupt.clone())?;
    let audio = interruptible(py, &interrupt, move || {
        // The renderer lives and dies on this thread: its children go with it.
        let mut renderer = pycarla::Renderer::new(instrument, options)?;
        render_to_audio(&mut renderer, &midi, output.as_deref(), onsets.as_deref())
            .map(|(_, audio)| audio)
    })?
    .py_err(py)?;
    audio.into_numpy(py)
}

/// One input of a batch: the MIDI file, its WAV, its onsets CSV.
type BatchJob = (PathBuf, PathBuf, Option<PathBuf>);

/// The manifest: one JSON line per input as it finishes, as the `pycarla` command writes it.
struct Manifest {
    file: Option<File>,
    instrument: String,
}

impl Manifest {
    fn record(&mut self, result: &RenderResult, error: Option<&str>) {
        let Some(file) = &mut self.file else { return };
        let mut line = serde_json::json!({
            "midi": result.midi,
            "output": result.output,
            "status": result.status,
            "error": error,
            "instrument": self.instrument,
        });
        if result.status == "rendered" {
            line["frames"] = result.frames.into();
            line["sample_rate"] = result.sample_rate.into();
            line["channels"] = result.channels.into();
            line["seconds"] = result.seconds.into();
            line["engine"] = result.engine.clone().into();
        }
        let _ = writeln!(file, "{line}").and_then(|()| file.flush());
    }
}

fn label(instrument: &Instrument) -> String {
    match instrument {
        Instrument::Plugins(specs) => specs.join(" -> "),
        Instrument::CarlaProject(path) | Instrument::SoundFont(path) | Instrument::Sfz(path) => {
            path.display().to_string()
        }
        Instrument::Lv2(uri) => uri.clone(),
        Instrument::Command { command, .. } => command.join(" "),
        Instrument::Running { midi_port, .. } => format!("running synth at {midi_port}"),
    }
}

/// The native half of `render_batch`: `jobs` planned by the Python half.
#[pyfunction]
#[pyo3(signature = (batch, *, jobs=1, skip_existing=false, manifest=None, **options))]
pub fn _render_batch(
    py: Python<'_>,
    batch: Vec<BatchJob>,
    jobs: usize,
    skip_existing: bool,
    manifest: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<RenderResult>> {
    let settings = Settings::from_keywords("_render_batch()", options)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let (instrument, options) = settings.resolve(py, interrupt.clone())?;
    // Files back to back, and each renderer ends with the batch (its drop ends freewheel).
    let options = options.freewheel_between_files(true);
    if jobs == 0 {
        return Err(usage(py, "jobs=0: at least one"));
    }
    let file = match &manifest {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| usage(py, format!("cannot create {}: {e}", dir.display())))?;
            }
            Some(
                File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        usage(
                            py,
                            format!("cannot open the manifest {}: {e}", path.display()),
                        )
                    })?,
            )
        }
        None => None,
    };
    let manifest = Mutex::new(Manifest {
        file,
        instrument: label(&instrument),
    });
    let mut results: Vec<Option<RenderResult>> = (0..batch.len()).map(|_| None).collect();
    let mut todo = Vec::new();
    for (index, (midi, wav, _)) in batch.iter().enumerate() {
        // As the command: an output that exists is finished (outputs appear complete).
        if skip_existing && wav.exists() {
            let result = RenderResult::new(midi, wav, "skipped");
            manifest.lock().expect("manifest").record(&result, None);
            results[index] = Some(result);
        } else {
            todo.push(index);
        }
    }
    if jobs > 1 && todo.len() > 1 {
        let kind = pycarla::engine_for(&instrument, &options).py_err(py)?;
        if kind == pycarla::EngineKind::Jack {
            // libjack talks to one server per process: JACK renders go one at a time here (the
            // `pycarla` command's `--jobs` runs worker processes for that).
            return Err(usage(
                py,
                "jobs > 1 needs the offline engine here; on JACK use the `pycarla render --jobs N` command",
            ));
        }
    }
    let outcomes = interruptible(py, &interrupt, || {
        run_batch(&batch, &todo, jobs, &instrument, &options, &interrupt)
    })?;
    for (index, outcome) in outcomes {
        let (midi, wav, _) = &batch[index];
        let result = match outcome {
            Ok(report) => {
                let result = RenderResult::rendered(midi, &report);
                manifest.lock().expect("manifest").record(&result, None);
                result
            }
            Err(error) => {
                let message = error.to_string();
                let mut result = RenderResult::new(midi, wav, "failed");
                result.error = Some(to_py(py, error).into_value(py).into_any());
                manifest
                    .lock()
                    .expect("manifest")
                    .record(&result, Some(&message));
                result
            }
        };
        results[index] = Some(result);
    }
    Ok(results
        .into_iter()
        .zip(&batch)
        .map(|(result, (midi, wav, _))| {
            result.unwrap_or_else(|| {
                // Not reached: interrupted first.
                RenderResult::new(midi, wav, "failed")
            })
        })
        .collect())
}

/// Renders the `todo` indices of `batch` on `jobs` threads, each with its own renderer taking
/// the next file as it finishes one (every file starts from the instrument's initial state, so
/// the audio does not depend on which thread rendered it).
fn run_batch(
    batch: &[BatchJob],
    todo: &[usize],
    jobs: usize,
    instrument: &Instrument,
    options: &RenderOptions,
    interrupt: &AtomicBool,
) -> Vec<(usize, pycarla::Result<RenderReport>)> {
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(todo.len()));
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(todo.len()) {
            scope.spawn(|| {
                let mut renderer = match pycarla::Renderer::new(instrument.clone(), options.clone())
                {
                    Ok(renderer) => renderer,
                    Err(error) => {
                        // Every file this thread would have taken fails with the same error.
                        let message = error.to_string();
                        let mut first = Some(error);
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&index) = todo.get(i) else { break };
                            let error = first
                                .take()
                                .unwrap_or_else(|| pycarla::Error::Usage(message.clone()));
                            outcomes.lock().expect("outcomes").push((index, Err(error)));
                        }
                        return;
                    }
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = todo.get(i) else { break };
                    if interrupt.load(Ordering::Relaxed) {
                        break;
                    }
                    let (midi, wav, onsets) = &batch[index];
                    let result = renderer.render_file(midi, wav, onsets.as_ref());
                    let retryable = result.as_ref().is_err_and(pycarla::Error::is_retryable);
                    outcomes.lock().expect("outcomes").push((index, result));
                    if retryable && renderer.recover().is_err() {
                        break;
                    }
                }
            });
        }
    });
    outcomes.into_inner().expect("outcomes")
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
}

#[pymethods]
impl Renderer {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Renderer> {
        let settings = Settings::from_keywords("Renderer.__new__()", options)?;
        let actor: Actor<Option<pycarla::Renderer>> = Actor::spawn("pycarla-renderer", |_| None);
        let (instrument, options) = settings.resolve(py, actor.interrupt.clone())?;
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
        })
    }

    /// Renders `midi` and returns its audio, `(channels, frames)` float32; `output` keeps the
    /// WAV, `onsets` writes the note-on onsets CSV.
    #[pyo3(signature = (midi, output=None, *, onsets=None))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        midi: PathBuf,
        output: Option<PathBuf>,
        onsets: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
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

fn closed() -> pycarla::Error {
    pycarla::Error::Usage("the renderer is closed".into())
}
