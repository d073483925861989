//! The manifest: one JSON line per input as it finishes (rendered, skipped or failed), flushed
//! at once and appended to, so a resumed run adds to it and a dataset row says exactly what
//! made it. The one typed shape every front end writes.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use pycarla_render::stems::StemsReport;
use pycarla_render::{Instrument, RenderReport};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::Job;

/// What a render produced, as a manifest line (and a JACK worker's report) says it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: usize,
    /// Wall-clock seconds of the render.
    pub seconds: f64,
    /// `offline` or `jack`.
    pub engine: String,
    /// The Carla that hosted the instrument (`Carla 2.5.9 (/usr/lib/carla)`), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carla: Option<String>,
    /// Samples at or beyond full scale in the file written.
    #[serde(default)]
    pub clipped_samples: u64,
    /// The file's peak in dBFS (`null` for silence).
    #[serde(default)]
    pub peak_dbfs: Option<f64>,
    /// Note-ons that should have sounded and made no sound.
    #[serde(default)]
    pub silent_note_ons: u64,
    /// System-exclusive messages the engine could not play.
    #[serde(default)]
    pub sysex_dropped: u64,
    /// The gain applied before writing, in dB.
    #[serde(default)]
    pub gain_db: f64,
    /// What each plugin of the chain rendered with, one entry per plugin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<pycarla_render::settings::PluginParams>,
    /// For stems: how many stems the directory holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stems: Option<usize>,
}

impl From<&RenderReport> for Rendered {
    fn from(report: &RenderReport) -> Rendered {
        Rendered {
            frames: report.frames,
            sample_rate: report.sample_rate,
            channels: report.channels,
            seconds: report.elapsed.as_secs_f64(),
            engine: report.engine.name().to_string(),
            carla: report.carla.clone(),
            clipped_samples: report.clipped_samples,
            peak_dbfs: pycarla_render::dbfs(report.peak),
            silent_note_ons: report.silent_note_ons,
            sysex_dropped: report.sysex_dropped,
            gain_db: report.gain_db,
            params: report.params.clone(),
            stems: None,
        }
    }
}

impl From<&StemsReport> for Rendered {
    fn from(report: &StemsReport) -> Rendered {
        Rendered {
            frames: report.frames,
            sample_rate: report.sample_rate,
            channels: report.channels,
            seconds: report.elapsed.as_secs_f64(),
            engine: report.engine.to_string(),
            carla: None,
            clipped_samples: 0,
            peak_dbfs: None,
            silent_note_ons: 0,
            sysex_dropped: 0,
            gain_db: 0.0,
            params: Vec::new(),
            stems: Some(report.stems.len()),
        }
    }
}

/// How one input ended.
#[derive(Clone, Debug, PartialEq)]
pub enum FileOutcome {
    /// Rendered.
    Rendered(Rendered),
    /// Its output existed (skip-existing).
    Skipped,
    /// Failed, with the error on one line.
    Failed(String),
}

impl FileOutcome {
    /// `rendered`, `skipped` or `failed`.
    pub fn status(&self) -> &'static str {
        match self {
            FileOutcome::Rendered(_) => "rendered",
            FileOutcome::Skipped => "skipped",
            FileOutcome::Failed(_) => "failed",
        }
    }
}

/// One manifest line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    midi: &'a Path,
    output: &'a Path,
    status: &'a str,
    #[serde(flatten)]
    rendered: Option<&'a Rendered>,
    error: Option<&'a str>,
    instrument: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize_lufs: Option<f64>,
}

/// What every line of a run says besides the file: the instrument, the variant, the map's
/// seed, the loudness.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// The instrument as the user named it.
    pub instrument: String,
    pub variant: Option<String>,
    pub seed: Option<u64>,
    pub normalize_lufs: Option<f64>,
}

/// The manifest file, if one was asked for.
#[derive(Debug)]
pub struct Manifest {
    file: Option<(PathBuf, File)>,
    context: Context,
}

impl Manifest {
    /// Opens `path` for appending (creating it and its directory), or records nothing.
    pub fn open(path: Option<&Path>) -> Result<Manifest> {
        let file = match path {
            Some(path) => {
                let error = |source| Error::Manifest {
                    path: path.to_path_buf(),
                    source,
                };
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(error)?;
                }
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(error)?;
                Some((path.to_path_buf(), file))
            }
            None => None,
        };
        Ok(Manifest {
            file,
            context: Context::default(),
        })
    }

    /// The context of the lines that follow (one variant of a run).
    pub fn set_context(&mut self, context: Context) {
        self.context = context;
    }

    /// The context for `instrument` and the rest of `context`.
    pub fn context_for(instrument: &Instrument) -> Context {
        Context {
            instrument: instrument.label(),
            ..Context::default()
        }
    }

    /// Records how `job` ended.
    pub fn record(&mut self, job: &Job, outcome: &FileOutcome) {
        let Some((path, file)) = &mut self.file else {
            return;
        };
        let (rendered, error) = match outcome {
            FileOutcome::Rendered(rendered) => (Some(rendered), None),
            FileOutcome::Skipped => (None, None),
            FileOutcome::Failed(error) => (None, Some(error.as_str())),
        };
        let line = Line {
            midi: &job.midi,
            output: &job.output,
            status: outcome.status(),
            rendered,
            error,
            instrument: &self.context.instrument,
            variant: self.context.variant.as_deref(),
            seed: self.context.seed,
            normalize_lufs: self.context.normalize_lufs,
        };
        let text = serde_json::to_string(&line).expect("manifest lines serialise");
        if let Err(error) = writeln!(file, "{text}").and_then(|()| file.flush()) {
            tracing::error!(%error, manifest = %path.display(), "cannot write the manifest");
        }
    }
}
