//! `--manifest FILE.jsonl`: one JSON line per input as it finishes (rendered, skipped or
//! failed), flushed at once, appended to so that resumed runs add to it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use pycarla::{Instrument, RenderReport};
use serde::{Deserialize, Serialize};

use crate::render_cmd::Job;

/// What a render produced, as the manifest (and a JACK worker's report) says it.
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
    /// `--gain`, in dB.
    #[serde(default)]
    pub gain_db: f64,
    /// What each plugin of the chain rendered with (`--set`), one entry per plugin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<pycarla::settings::PluginParams>,
    /// With `--stems`: how many stems the directory holds.
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
            peak_dbfs: pycarla::dbfs(report.peak),
            silent_note_ons: report.silent_note_ons,
            sysex_dropped: report.sysex_dropped,
            gain_db: report.gain_db,
            params: report.params.clone(),
            stems: None,
        }
    }
}

impl From<&pycarla::stems::StemsReport> for Rendered {
    fn from(report: &pycarla::stems::StemsReport) -> Rendered {
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

/// The manifest file, if one was asked for.
#[derive(Debug)]
pub struct Manifest {
    file: Option<(PathBuf, File)>,
    instrument: String,
    context: Context,
}

/// What every line of a run says besides the file: the variant, the map's seed, the loudness.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub variant: Option<String>,
    pub seed: Option<u64>,
    pub normalize_lufs: Option<f64>,
}

impl Manifest {
    /// Opens `path` for appending (creating it and its directory), or records nothing.
    pub fn open(path: Option<&Path>, instrument: &Instrument) -> Result<Manifest, String> {
        let file = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("cannot open the manifest {}: {e}", path.display()))?;
                Some((path.to_path_buf(), file))
            }
            None => None,
        };
        Ok(Manifest {
            file,
            instrument: instrument.label(),
            context: Context::default(),
        })
    }

    /// The instrument and context of the lines that follow (one variant of a run).
    pub fn set_context(&mut self, instrument: &Instrument, context: Context) {
        self.instrument = instrument.label();
        self.context = context;
    }

    /// Records how `job` ended.
    pub fn record(&mut self, job: &Job, result: &Result<Rendered, String>) {
        let (status, rendered, error) = match result {
            Ok(rendered) => ("rendered", Some(rendered), None),
            Err(error) => ("failed", None, Some(error.as_str())),
        };
        self.write(job, status, rendered, error);
    }

    /// Records that `job` was skipped: its output exists.
    pub fn skipped(&mut self, job: &Job) {
        self.write(job, "skipped", None, None);
    }

    fn write(&mut self, job: &Job, status: &str, rendered: Option<&Rendered>, error: Option<&str>) {
        let Some((path, file)) = &mut self.file else {
            return;
        };
        let line = Line {
            midi: &job.midi,
            output: &job.wav,
            status,
            rendered,
            error,
            instrument: &self.instrument,
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
