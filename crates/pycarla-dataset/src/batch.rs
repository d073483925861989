//! Running a dataset: each variant a run of its own over every input; per run, outputs that
//! exist skipped (when asked), then the files rendered as stems, in a pool of offline workers,
//! or one after another through one renderer — every file reported to the manifest and to an
//! [`Observer`] (the command's progress bars, Python's results).

use std::sync::atomic::{AtomicUsize, Ordering};

use pycarla_render::stems::{StemOptions, StemsReport, render_stems};
use pycarla_render::{
    EngineKind, Error as RenderError, Instrument, RenderOptions, RenderReport, Renderer, Variant,
};

use crate::manifest::{Context, FileOutcome, Manifest, Rendered};
use crate::plan::{Job, for_variant, skip_existing};

/// What a front end hears of a batch. Every method has a default that ignores it.
pub trait Observer {
    /// A run of `files` files starts (one per variant).
    fn run_started(&mut self, _files: usize) {}
    /// A file starts rendering (one at a time; a pool reports only finished files).
    fn file_started(&mut self, _job: &Job) {}
    /// Frames of the file in progress.
    fn frames(&mut self, _done: u64, _total: u64) {}
    /// What the library said of file `index` (its position in the run's jobs), told just
    /// before [`Observer::file_finished`] for every file rendered or failed: the full report,
    /// or the typed error (a front end that keeps more than the manifest's line).
    fn detail(&mut self, _index: usize, _detail: Detail<'_>) {}
    /// File `index` of the run ended.
    fn file_finished(&mut self, _index: usize, _job: &Job, _outcome: &FileOutcome) {}
    /// Something not about one file went wrong (a renderer that cannot start or restart).
    fn error(&mut self, _message: &str) {}
    /// The run ended.
    fn run_finished(&mut self) {}
}

/// The library's own account of one file.
#[derive(Debug, Clone, Copy)]
pub enum Detail<'a> {
    /// A file rendered.
    File(&'a RenderReport),
    /// A file rendered as stems.
    Stems(&'a StemsReport),
    /// A file that failed.
    Error(&'a RenderError),
}

/// An observer that hears nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// How a batch ended: how many files were rendered, skipped, failed, or not reached.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub rendered: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Files never reported: the batch was interrupted, or no renderer could start.
    pub not_rendered: usize,
}

impl Summary {
    /// Whether every file was rendered or skipped.
    pub fn all_done(&self) -> bool {
        self.failed == 0 && self.not_rendered == 0
    }

    /// Adds `other`'s counts (another run's).
    pub fn add(&mut self, other: Summary) {
        self.rendered += other.rendered;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.not_rendered += other.not_rendered;
    }

    fn count(&mut self, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Rendered(_) => self.rendered += 1,
            FileOutcome::Skipped => self.skipped += 1,
            FileOutcome::Failed(_) => self.failed += 1,
        }
    }
}

/// A dataset to render: the planned jobs (see [`crate::plan()`], [`crate::Shard`]), the
/// instrument and options, and how.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub jobs: Vec<Job>,
    pub instrument: Instrument,
    pub options: RenderOptions,
    /// Named instrument chains, each a run of its own with outputs `song.NAME.wav`.
    pub variants: Vec<Variant>,
    /// Render each input as stems (parts, their instruments from a map).
    pub stems: Option<StemOptions>,
    /// Files at a time (offline engine), or parts at a time with stems.
    pub jobs_at_once: usize,
    /// Skip inputs whose output exists.
    pub skip_existing: bool,
}

/// One variant's share of a dataset: its instrument, options and jobs.
#[derive(Debug, Clone)]
pub struct Run {
    pub variant: Option<String>,
    pub instrument: Instrument,
    pub options: RenderOptions,
    pub jobs: Vec<Job>,
}

impl Dataset {
    /// The runs: the dataset itself, or one per variant (its chain and settings, its outputs).
    pub fn runs(&self) -> Vec<Run> {
        if self.variants.is_empty() {
            return vec![Run {
                variant: None,
                instrument: self.instrument.clone(),
                options: self.options.clone(),
                jobs: self.jobs.clone(),
            }];
        }
        self.variants
            .iter()
            .map(|variant| Run {
                variant: Some(variant.name.clone()),
                instrument: variant.instrument.clone(),
                options: self.options.clone().controls(variant.controls.clone()),
                jobs: self
                    .jobs
                    .iter()
                    .map(|job| for_variant(job, &variant.name, self.stems.is_some()))
                    .collect(),
            })
            .collect()
    }

    /// The manifest context of `run`.
    pub fn context(&self, run: &Run) -> Context {
        Context {
            instrument: run.instrument.label(),
            variant: run.variant.clone(),
            seed: self
                .stems
                .as_ref()
                .and_then(|stems| stems.map.as_ref().map(|_| stems.seed)),
            normalize_lufs: run.options.normalize,
        }
    }

    /// Renders every run, recording each file in `manifest` and telling `observer`; stops
    /// between files once the options' interrupt flag is set.
    pub fn render(&self, manifest: &mut Manifest, observer: &mut dyn Observer) -> Summary {
        let mut summary = Summary::default();
        for run in self.runs() {
            manifest.set_context(self.context(&run));
            summary.add(self.render_run(&run, manifest, observer));
            if interrupted(&run.options) {
                break;
            }
        }
        summary
    }

    /// The jobs of `run` still to render: with skip-existing, those whose output exists are
    /// recorded as skipped (outputs appear complete or not at all) and counted.
    pub fn skip_finished(
        &self,
        run: &Run,
        manifest: &mut Manifest,
        observer: &mut dyn Observer,
    ) -> (Vec<Job>, Summary) {
        let mut summary = Summary::default();
        if !self.skip_existing {
            return (run.jobs.clone(), summary);
        }
        let (done, todo) = skip_existing(run.jobs.clone());
        for job in &done {
            let index = run.jobs.iter().position(|j| j == job).unwrap_or(0);
            manifest.record(job, &FileOutcome::Skipped);
            observer.file_finished(index, job, &FileOutcome::Skipped);
            summary.skipped += 1;
        }
        (todo, summary)
    }

    /// Renders one run: skips what exists (when asked), then stems, a pool of offline
    /// workers, or one file after another.
    pub fn render_run(
        &self,
        run: &Run,
        manifest: &mut Manifest,
        observer: &mut dyn Observer,
    ) -> Summary {
        let (jobs, mut summary) = self.skip_finished(run, manifest, observer);
        if jobs.is_empty() {
            return summary;
        }
        observer.run_started(jobs.len());
        let mut recorder = Recorder {
            manifest,
            observer,
            summary: &mut summary,
        };
        let engine = pycarla_render::engine_for(&run.instrument, &run.options).ok();
        let at_once = self.jobs_at_once > 1 && jobs.len() > 1;
        let reached = if let Some(stems) = &self.stems {
            stems_one_by_one(run, stems, &jobs, &mut recorder)
        } else if at_once && engine == Some(EngineKind::Offline) {
            offline_pool(run, self.jobs_at_once, &jobs, &mut recorder)
        } else if at_once && engine == Some(EngineKind::Jack) && run.options.server.is_none() {
            // libjack talks to one server per process: worker processes, a private server each.
            crate::jack_pool::render(run, &jobs, self.jobs_at_once, &mut recorder)
        } else {
            // One renderer: also several files for one shared server, which takes one at a time.
            one_by_one(run, &jobs, &mut recorder)
        };
        summary.not_rendered += jobs.len() - reached;
        observer.run_finished();
        summary
    }
}

/// Records each file in the manifest and the summary, then tells the observer.
struct Recorder<'a> {
    manifest: &'a mut Manifest,
    observer: &'a mut dyn Observer,
    summary: &'a mut Summary,
}

impl Observer for Recorder<'_> {
    fn file_started(&mut self, job: &Job) {
        self.observer.file_started(job);
    }

    fn frames(&mut self, done: u64, total: u64) {
        self.observer.frames(done, total);
    }

    fn detail(&mut self, index: usize, detail: Detail<'_>) {
        self.observer.detail(index, detail);
    }

    fn file_finished(&mut self, index: usize, job: &Job, outcome: &FileOutcome) {
        self.manifest.record(job, outcome);
        self.summary.count(outcome);
        self.observer.file_finished(index, job, outcome);
    }

    fn error(&mut self, message: &str) {
        self.observer.error(message);
    }
}

/// Renders `jobs` one after another through one renderer of `run`'s instrument, telling
/// `observer` of each file; returns how many files were reported.
///
/// A retryable failure (a crash, a stall) restarts the instrument before the next file.
pub fn one_by_one(run: &Run, jobs: &[Job], observer: &mut dyn Observer) -> usize {
    let mut renderer = match Renderer::new(run.instrument.clone(), run.options.clone()) {
        Ok(renderer) => renderer,
        Err(error) => {
            observer.error(&one_line(&error));
            return 0;
        }
    };
    let mut reached = 0;
    for (index, job) in jobs.iter().enumerate() {
        observer.file_started(job);
        let result = render_job(&mut renderer, job, &mut |done, total| {
            observer.frames(done, total)
        });
        reached += 1;
        let retry = result.as_ref().err().is_some_and(RenderError::is_retryable);
        tell(observer, index, job, result.as_ref());
        if result.is_err() && interrupted(&run.options) {
            break;
        }
        if retry && let Err(error) = renderer.recover() {
            observer.error(&format!("cannot restart the synth: {}", one_line(&error)));
            break;
        }
    }
    reached
}

/// N threads, each driving its own renderer (an offline worker process), each taking the next
/// file as it finishes one. A file's audio does not depend on which worker rendered it, or
/// after what: every file starts from a fresh engine. Returns how many files were reported.
fn offline_pool(run: &Run, threads: usize, jobs: &[Job], observer: &mut dyn Observer) -> usize {
    let next = AtomicUsize::new(0);
    let (sender, receiver) =
        std::sync::mpsc::channel::<(Option<usize>, Result<RenderReport, RenderError>)>();
    let mut reached = 0;
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                let mut renderer = match Renderer::new(run.instrument.clone(), run.options.clone())
                {
                    Ok(renderer) => renderer,
                    Err(error) => {
                        let _ = sender.send((None, Err(error)));
                        return;
                    }
                };
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= jobs.len() || interrupted(&run.options) {
                        break;
                    }
                    let result = render_job(&mut renderer, &jobs[index], &mut |_, _| {});
                    let retryable = result.as_ref().is_err_and(RenderError::is_retryable);
                    if sender.send((Some(index), result)).is_err() {
                        break;
                    }
                    if retryable && renderer.recover().is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, result) in receiver {
            match (index, result) {
                (Some(index), result) => {
                    reached += 1;
                    tell(observer, index, &jobs[index], result.as_ref());
                }
                (None, Err(error)) => observer.error(&one_line(&error)),
                (None, Ok(_)) => {}
            }
        }
    });
    reached
}

/// Renders each job as stems (the parts of a file `stems.jobs` at a time), one file after
/// another, with its onsets CSV when asked for.
fn stems_one_by_one(
    run: &Run,
    stems: &StemOptions,
    jobs: &[Job],
    observer: &mut dyn Observer,
) -> usize {
    let mut reached = 0;
    for (index, job) in jobs.iter().enumerate() {
        observer.file_started(job);
        let result = render_stems(&run.instrument, &job.midi, &job.output, &run.options, stems)
            .and_then(|stems_report| {
                if let Some(path) = &job.onsets {
                    let timeline = smf::Timeline::from_path(&job.midi)?;
                    pycarla_render::onsets::write(
                        path,
                        &timeline,
                        stems_report.sample_rate,
                        pycarla_render::onsets::OnsetNotes::default(),
                    )?;
                }
                Ok(stems_report)
            });
        reached += 1;
        let failed = result.is_err();
        match &result {
            Ok(report) => observer.detail(index, Detail::Stems(report)),
            Err(error) => observer.detail(index, Detail::Error(error)),
        }
        observer.file_finished(index, job, &outcome(result.as_ref().map(Rendered::from)));
        if failed && interrupted(&run.options) {
            break;
        }
    }
    reached
}

/// Parses one input and renders it, its draws keyed by the job's key.
pub fn render_job(
    renderer: &mut Renderer,
    job: &Job,
    on_tick: &mut dyn FnMut(u64, u64),
) -> Result<pycarla_render::RenderReport, RenderError> {
    let timeline = smf::Timeline::from_path(&job.midi)?;
    renderer.set_draw_key(&job.key);
    renderer.render_timeline(&timeline, &job.output, job.onsets.as_ref(), on_tick)
}

/// Tells `observer` how file `index` ended: its detail, then its outcome.
fn tell(
    observer: &mut dyn Observer,
    index: usize,
    job: &Job,
    result: Result<&RenderReport, &RenderError>,
) {
    observer.detail(
        index,
        match result {
            Ok(report) => Detail::File(report),
            Err(error) => Detail::Error(error),
        },
    );
    observer.file_finished(index, job, &outcome(result.map(Rendered::from)));
}

/// A render's result as a file outcome.
fn outcome(result: Result<Rendered, &RenderError>) -> FileOutcome {
    match result {
        Ok(rendered) => FileOutcome::Rendered(rendered),
        Err(error) => FileOutcome::Failed(one_line(error)),
    }
}

/// Whether the options' interrupt flag is set (Ctrl-C, SIGTERM).
fn interrupted(options: &RenderOptions) -> bool {
    options
        .interrupt
        .as_ref()
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// An error on one line (multi-line stderr tails joined with " | "), as manifests and
/// terminals show it.
pub fn one_line(error: &dyn std::fmt::Display) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
