//! `render_batch`'s native half: Python's arguments mapped onto the dataset layer
//! (`pycarla::dataset`), the same plan, shards, variants, stems, skip-existing and manifest
//! as the `pycarla render` command; results collected per file for Python.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use pycarla::dataset::{
    self, Dataset, Detail, FileOutcome, Job, Manifest, Observer, Outputs, Shard, chain_variant,
    check_unique,
};
use pycarla::stems::StemOptions;
use pycarla::{EngineKind, InstrumentMap, Variant};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{IntoPy, PendingError, usage};
use crate::options::Settings;
use crate::render::RenderResult;
use crate::run::interruptible;

/// The native half of `render_batch` (the Python half turns its arguments into these).
///
/// `inputs`: MIDI files and directories, planned into `output_dir` as the command plans them;
/// `pairs`: `(midi, output)` as given. `map_file`/`variants_file`: TOML files as `--map` and
/// `--variants` take them; `map_json`/`variants_json`: the same shape as JSON text (a Python
/// dict); `variant_specs`: `NAME=SPEC[,SPEC…]`, as `--variant`.
#[pyfunction]
#[pyo3(signature = (
    inputs, pairs, output_dir, *, jobs=1, skip_existing=false, manifest=None, onsets=false,
    shard=None, shards=None, stems=None, map_file=None, map_json=None, variant_specs=Vec::new(),
    variants_file=None, variants_json=None, **options
))]
#[allow(clippy::too_many_arguments)]
pub fn _render_batch(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    pairs: Vec<(PathBuf, PathBuf)>,
    output_dir: PathBuf,
    jobs: usize,
    skip_existing: bool,
    manifest: Option<PathBuf>,
    onsets: bool,
    shard: Option<(usize, usize)>,
    shards: Option<usize>,
    stems: Option<String>,
    map_file: Option<PathBuf>,
    map_json: Option<String>,
    variant_specs: Vec<String>,
    variants_file: Option<PathBuf>,
    variants_json: Option<String>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<RenderResult>> {
    let settings = Settings::from_keywords("render_batch()", options)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let (instrument, options) = settings.resolve(py, interrupt.clone())?;
    // Files back to back, and each renderer ends with the batch (its drop ends freewheel).
    let options = options.freewheel_between_files(true);
    if jobs == 0 {
        return Err(usage(py, "jobs=0: at least one"));
    }
    let text = |error: dataset::Error| usage(py, error.to_string());
    let by = match stems.as_deref() {
        None => None,
        Some("channel") => Some(smf::GroupBy::Channel),
        Some("track") => Some(smf::GroupBy::Track),
        Some("program") => Some(smf::GroupBy::Program),
        Some(other) => {
            return Err(usage(
                py,
                format!("stems={other:?}: expected \"channel\", \"track\" or \"program\""),
            ));
        }
    };
    let map_toml = toml_text(py, map_file, map_json, "map")?;
    let variants_toml = toml_text(py, variants_file, variants_json, "variants")?;
    if map_toml.is_some() && by.is_none() {
        return Err(usage(
            py,
            "map= needs stems= (a map says which part plays what)",
        ));
    }
    let outputs = Outputs {
        extension: options.format.extension(),
        stems: by.is_some(),
        onsets: None,
    };
    let mut planned = plan_into(&inputs, &output_dir, outputs).map_err(text)?;
    for (midi, output) in pairs {
        planned.push(Job::new(midi, output).map_err(text)?);
    }
    if onsets {
        for job in &mut planned {
            job.onsets = Some(job.output.with_extension("csv"));
        }
    }
    let shard = match shard {
        Some((k, n)) => Some(Shard::new(k, n).map_err(text)?),
        None => Shard::from_env(shards).map_err(text)?,
    };
    if let Some(shard) = shard {
        planned = shard.take(planned);
    }
    let controls = options.controls.clone();
    let mut variants = variant_specs
        .iter()
        .map(|spec| chain_variant(spec, &controls))
        .collect::<Result<Vec<Variant>, _>>()
        .map_err(text)?;
    if let Some((toml, name)) = variants_toml {
        variants.extend(pycarla::parse_variants(&toml, &name).py_err(py)?);
    }
    check_unique(&variants).map_err(text)?;
    let map = match map_toml {
        Some((toml, name)) => Some(InstrumentMap::parse(&toml, &name).py_err(py)?),
        None => None,
    };
    let seed = options.seed;
    let dataset = Dataset {
        jobs: planned,
        instrument,
        options,
        variants,
        stems: by.map(|by| StemOptions {
            by,
            jobs,
            map,
            seed,
        }),
        jobs_at_once: jobs,
        skip_existing,
    };
    let runs = dataset.runs();
    if jobs > 1 && dataset.stems.is_none() && dataset.options.server.is_some() {
        for run in &runs {
            if pycarla::engine_for(&run.instrument, &run.options).py_err(py)? == EngineKind::Jack {
                // As the command refuses `--jobs` with `--server`: one server renders one file
                // at a time, and several JACK files at once need a private server each.
                return Err(usage(
                    py,
                    "jobs > 1 on JACK needs private servers: it cannot be used with server=",
                ));
            }
        }
    }
    let mut manifest = Manifest::open(manifest.as_deref()).map_err(text)?;
    let collected = interruptible(py, &interrupt, move || {
        runs.iter()
            .map(|run| {
                manifest.set_context(dataset.context(run));
                let mut collector = Collector::new(run.jobs.len());
                dataset.render_run(run, &mut manifest, &mut collector);
                (run.variant.clone(), run.jobs.clone(), collector)
            })
            .collect::<Vec<_>>()
    })?;
    let mut results = Vec::new();
    for (variant, jobs, collector) in collected {
        for (job, file) in jobs.iter().zip(collector.files) {
            let mut result = file.result.unwrap_or_else(|| {
                // Not reached: the batch was interrupted, or no renderer could start.
                let mut result = RenderResult::new(&job.midi, &job.output, "failed");
                result.error = Some(
                    usage(py, collector.error.clone().unwrap_or("not rendered".into()))
                        .into_value(py)
                        .into_any(),
                );
                result
            });
            if let Some(pending) = file.error {
                result.error = Some(pending.into_py(py).into_value(py).into_any());
            }
            result.variant = variant.clone();
            results.push(result);
        }
    }
    Ok(results)
}

/// TOML text and the name its errors give it: a file's, or a dict's (given as JSON, named
/// `what`).
fn toml_text(
    py: Python<'_>,
    file: Option<PathBuf>,
    json: Option<String>,
    what: &str,
) -> PyResult<Option<(String, PathBuf)>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| usage(py, format!("{what} {}: {e}", path.display())))?;
        return Ok(Some((text, path)));
    }
    let Some(json) = json else { return Ok(None) };
    let bad = |why: String| usage(py, format!("{what}: {why}"));
    let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
    let text = toml::to_string(&value).map_err(|e| bad(e.to_string()))?;
    Ok(Some((text, PathBuf::from(format!("<{what}>")))))
}

/// The jobs for `inputs` written into the directory `dir` (created), as the command plans a
/// batch: a file's output is `<dir>/<stem>.<ext>`, a directory's files mirror its tree.
fn plan_into(inputs: &[PathBuf], dir: &Path, outputs: Outputs) -> dataset::Result<Vec<Job>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|source| dataset::Error::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    dataset::plan(inputs, Some(dir), outputs)
}

/// What Python hears of one file.
#[derive(Debug, Default)]
struct FileResult {
    result: Option<RenderResult>,
    error: Option<PendingError>,
}

/// The batch's observer: each file's result, by its index in the run.
#[derive(Debug)]
struct Collector {
    files: Vec<FileResult>,
    /// The last error not about one file (a renderer that could not start).
    error: Option<String>,
}

impl Collector {
    fn new(files: usize) -> Collector {
        Collector {
            files: (0..files).map(|_| FileResult::default()).collect(),
            error: None,
        }
    }
}

impl Observer for Collector {
    fn detail(&mut self, index: usize, detail: Detail<'_>) {
        let Some(file) = self.files.get_mut(index) else {
            return;
        };
        match detail {
            Detail::Error(error) => file.error = Some(PendingError::of(error)),
            Detail::File(report) => {
                file.result = Some(RenderResult::rendered(Path::new(""), report))
            }
            Detail::Stems(report) => {
                let mut result = RenderResult::new(&report.midi, &report.dir, "rendered");
                result.frames = report.frames;
                result.channels = report.channels;
                result.sample_rate = report.sample_rate;
                result.engine = Some(report.engine.into());
                result.seconds = report.elapsed.as_secs_f64();
                result.stems = Some(report.stems.len());
                file.result = Some(result);
            }
        }
    }

    fn file_finished(&mut self, index: usize, job: &Job, outcome: &FileOutcome) {
        let Some(file) = self.files.get_mut(index) else {
            return;
        };
        match outcome {
            FileOutcome::Rendered(rendered) => {
                // A JACK worker process reports the manifest's account only.
                let result = file.result.get_or_insert_with(|| {
                    let mut result = RenderResult::new(&job.midi, &job.output, "rendered");
                    result.frames = rendered.frames;
                    result.channels = rendered.channels;
                    result.sample_rate = rendered.sample_rate;
                    result.engine = Some(rendered.engine.clone());
                    result.seconds = rendered.seconds;
                    result
                });
                result.midi = job.midi.clone();
            }
            FileOutcome::Skipped => {
                file.result = Some(RenderResult::new(&job.midi, &job.output, "skipped"));
            }
            FileOutcome::Failed(_) => {
                file.result = Some(RenderResult::new(&job.midi, &job.output, "failed"));
            }
        }
    }

    fn error(&mut self, message: &str) {
        self.error = Some(message.to_string());
    }
}
