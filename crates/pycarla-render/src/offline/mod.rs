//! The offline engine: Carla's own library (`carla-lib`) renders in a worker process, block by
//! block, as fast as the plugins allow. The caller computes every event's frame (the timing
//! rule the JACK engine uses too), a worker feeds them to a fresh Carla engine at their exact
//! offsets and writes through the shared audio sink; a crashing plugin kills the worker, never
//! the caller, and fails that one file.

mod controls;
mod engine;
pub mod protocol;
mod worker;

use std::path::{Path, PathBuf};
use std::time::Instant;

use smf::Timeline;

pub(crate) use worker::private_stdout;
pub use worker::{
    WORKER_EXE, WORKER_EXE_VAR, Worker, WorkerCommand, set_worker_command, worker_command,
    worker_main,
};

use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::render::{
    EngineKind, OFFLINE_BLOCK, RenderOptions, RenderReport, create_parent, partial_path,
    render_timeout, take_length,
};
use crate::settings::PluginControls;
use protocol::{Chain, Job, Silence};

/// Carla's library file: the first usable Carla found (see [`crate::carla`]).
pub fn carla_library() -> Result<PathBuf> {
    crate::carla::carla_library()
}

/// What Carla sees in each plugin of `instrument` (a plugin chain, a SoundFont, an SFZ or a
/// project), loaded in a worker process: `pycarla plugin SPEC`.
pub fn describe(instrument: &Instrument) -> Result<Vec<crate::settings::PluginDescription>> {
    describe_with(instrument, &PluginControls::default(), None)
}

/// [`describe`] after `controls` are applied (what they set shows in each parameter's
/// default), saving the first plugin's state to `save_state` when given: a VST2 `.fxp` for a
/// path ending so, else Carla's `.carxs`. A state made so renders as the same controls do.
pub fn describe_with(
    instrument: &Instrument,
    controls: &PluginControls,
    save_state: Option<&Path>,
) -> Result<Vec<crate::settings::PluginDescription>> {
    let chain = instrument
        .offline_chain()
        .ok_or_else(|| Error::Usage("only Carla's plugins and projects can be described".into()))?;
    let label = instrument.label();
    let mut job = Job::new(instrument.carla()?.library, chain, 48_000, controls, 0);
    job.describe = true;
    job.save_state = save_state.map(Path::to_path_buf);
    let mut worker = Worker::start(&worker_command()?)?;
    worker.describe(&job, &label, DESCRIBE_TIMEOUT)
}

/// How long loading a chain to describe it may take.
const DESCRIBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Renders on the offline engine through a worker process kept across files.
#[derive(Debug)]
pub(crate) struct OfflineRenderer {
    options: RenderOptions,
    chain: Chain,
    /// The chain as the user named it, for messages.
    label: String,
    library: PathBuf,
    /// The Carla that renders (named in reports).
    carla: carla_lib::CarlaInstall,
    worker_command: WorkerCommand,
    worker: Option<Worker>,
}

impl OfflineRenderer {
    /// Finds Carla's library and the worker, and starts a worker.
    pub fn new(instrument: &Instrument, options: RenderOptions) -> Result<OfflineRenderer> {
        let chain = instrument
            .offline_chain()
            .ok_or_else(|| Error::Usage("the offline engine cannot host this instrument".into()))?;
        let chain = match chain {
            Chain::Project(path) => Chain::Project(
                std::fs::canonicalize(&path).map_err(|_| Error::NoInstrumentFile { path })?,
            ),
            plugins => plugins,
        };
        let label = match &chain {
            Chain::Plugins(specs) => specs.join(" → "),
            Chain::Project(path) => path.display().to_string(),
        };
        let carla = instrument.carla()?;
        let worker_command = worker_command()?;
        let worker = Some(Worker::start(&worker_command)?);
        Ok(OfflineRenderer {
            options,
            chain,
            label,
            library: carla.library.clone(),
            carla,
            worker_command,
            worker,
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.options.sample_rate
    }

    /// The values set per plugin, named as the user named the plugin.
    fn params_report(
        &self,
        applied: &[std::collections::BTreeMap<String, f32>],
        presets: &[Option<String>],
    ) -> Vec<crate::settings::PluginParams> {
        let specs: Vec<String> = match &self.chain {
            Chain::Plugins(specs) => specs.clone(),
            Chain::Project(path) => vec![path.display().to_string()],
        };
        self.options.controls.report(&specs, applied, presets)
    }

    pub fn worker_pid(&self) -> Option<u32> {
        self.worker.as_ref().map(Worker::pid)
    }

    /// Replaces a worker that died.
    pub fn recover(&mut self) {
        if self
            .worker
            .as_mut()
            .is_some_and(|worker| !worker.is_alive())
        {
            self.worker = None;
        }
    }

    /// After a crash or a hang: the next attempt gets a new worker.
    pub fn start_over(&mut self) {
        self.worker = None;
    }

    /// Renders `timeline` into `output` once, in the worker.
    pub fn attempt(
        &mut self,
        timeline: &Timeline,
        output: &Path,
        (draw_key, draw_part): (&str, &str),
        on_tick: &mut dyn FnMut(u64, u64),
    ) -> Result<RenderReport> {
        let sr = self.options.sample_rate;
        let (total, silence) = take_length(timeline, self.options.tail, sr);
        let timeout = render_timeout(&self.options, total, sr);
        create_parent(output)?;
        let partial = partial_path(output);
        let mut job = Job::new(
            self.library.clone(),
            self.chain.clone(),
            sr,
            &self.options.controls,
            crate::seed::draw(self.options.seed, draw_key, draw_part, "randomize"),
        );
        job.block = self.options.period.unwrap_or(OFFLINE_BLOCK);
        job.events = timeline
            .frames(sr)
            .map(|(frame, event)| (frame, event.message.bytes().to_vec()))
            .collect();
        job.total = total;
        job.silence = silence.map(|s| Silence {
            after_frame: s.after_frame,
            quiet_frames: s.quiet_frames,
            threshold: s.threshold,
        });
        job.output = partial.clone();
        job.format = self.options.format.into();
        job.libc_seed = crate::seed::draw(self.options.seed, draw_key, draw_part, "libc");
        let started = Instant::now();
        if self.worker.as_mut().is_none_or(|worker| !worker.is_alive()) {
            self.worker = Some(Worker::start(&self.worker_command)?);
        }
        let worker = self.worker.as_mut().expect("just started");
        let rendered = worker.render(
            &job,
            &self.label,
            self.options.interrupt.as_deref(),
            (timeout, Some(self.options.stall_timeout)),
            on_tick,
        );
        let done = match rendered {
            // Every file starts from the instrument's initial state, even a plugin's that
            // lives in its process rather than in its instance.
            Ok(done) if done.fresh_worker_next => {
                self.worker = None;
                done
            }
            Ok(done) => done,
            Err(error) => {
                if !worker.is_alive() {
                    self.worker = None;
                }
                if std::fs::metadata(&partial).is_ok_and(|m| m.len() == 0) {
                    let _ = std::fs::remove_file(&partial);
                }
                return Err(error);
            }
        };
        Ok(RenderReport {
            output: output.to_path_buf(),
            frames: done.frames,
            peak: done.peak,
            channels: done.channels,
            sample_rate: sr,
            engine: EngineKind::Offline,
            carla: Some(self.carla.describe()),
            latency: done.latency,
            elapsed: started.elapsed(),
            attempts: 1,
            clipped_samples: done.clipped,
            sysex_dropped: done.dropped_sysex,
            params: self.params_report(&done.params, &done.presets),
            ..RenderReport::default()
        }
        .with_envelope(done.envelope))
    }
}
