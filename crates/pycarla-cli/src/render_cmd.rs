//! `pycarla render` and `pycarla note` in this process; `--jobs` batches are in `batch`.

use std::io::Write;
use std::path::{Path, PathBuf};

use pycarla::{
    EngineChoice, EngineKind, Error, Instrument, RenderOptions, RenderReport, Renderer, Tail,
    WavFormat,
};
use serde::{Deserialize, Serialize};

use crate::args::{EngineArg, Format, InstrumentArgs, NoteArgs, OutputArgs, RenderArgs};
use crate::batch;
use crate::manifest::{Manifest, Rendered};
use crate::progress::Progress;
use crate::{Outcome, Signals};

/// One input and where its results go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub midi: PathBuf,
    pub wav: PathBuf,
    pub onsets: Option<PathBuf>,
}

/// How one file ended, as a JACK worker process reports it (a JSON line).
#[derive(Debug, Serialize, Deserialize)]
pub struct FileReport {
    /// The job's index in the worker's plan.
    pub index: usize,
    /// What was rendered, or why it failed.
    pub result: Result<Rendered, String>,
}

pub fn render(args: &RenderArgs, signals: &Signals) -> Outcome {
    let jobs = match crate::inputs::plan(args) {
        Ok(jobs) => jobs,
        Err(message) => return Outcome::usage(message),
    };
    let jobs = match crate::inputs::shard(args) {
        Ok(Some(shard)) => crate::inputs::take_shard(jobs, shard),
        Ok(None) => jobs,
        Err(message) => return Outcome::usage(message),
    };
    let (instrument, options) = match setup(&args.instrument, &args.out, signals) {
        Ok(setup) => setup,
        Err(message) => return Outcome::usage(message),
    };
    let mut manifest = match Manifest::open(args.manifest.as_deref(), &instrument) {
        Ok(manifest) => manifest,
        Err(message) => return Outcome::usage(message),
    };
    let jobs: Vec<Job> = if args.skip_existing {
        let (done, todo): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|job| job.wav.is_file());
        for job in &done {
            manifest.skipped(job);
        }
        todo
    } else {
        jobs
    };
    if jobs.is_empty() {
        return Outcome::Ok;
    }
    if args.jobs > 1 && jobs.len() > 1 {
        return match pycarla::engine_for(&instrument, &options) {
            Ok(EngineKind::Offline) => batch::offline_pool(
                args.jobs,
                &jobs,
                &instrument,
                &options,
                &args.out,
                &mut manifest,
                signals,
            ),
            Ok(EngineKind::Jack) if args.instrument.server.is_some() => {
                Outcome::usage("--jobs needs private servers: it cannot be used with --server")
            }
            Ok(EngineKind::Jack) => batch::jack_workers(args, &jobs, &mut manifest, signals),
            Err(error) => {
                eprintln!("error: {}", one_line(&error));
                Outcome::Failed
            }
        };
    }
    let sink = Sink::Manifest(&mut manifest);
    render_here(instrument, options, &jobs, args.out.quiet, sink, signals)
}

/// Where [`render_here`] reports each file: the manifest (errors also on the terminal), or, in
/// a JACK worker process, its parent (one JSON [`FileReport`] line per file).
pub enum Sink<'a> {
    Manifest(&'a mut Manifest),
    Parent(&'a mut dyn Write),
}

/// Renders `jobs` one after another through one renderer in this process, reporting each file
/// to `sink`.
pub fn render_here(
    instrument: Instrument,
    options: RenderOptions,
    jobs: &[Job],
    quiet: bool,
    mut sink: Sink,
    signals: &Signals,
) -> Outcome {
    let in_worker = matches!(sink, Sink::Parent(_));
    let mut progress = Progress::new(jobs.len(), quiet || in_worker);
    let mut renderer = match Renderer::new(instrument, options) {
        Ok(renderer) => renderer,
        Err(error) => {
            progress.println(&format!("error: {}", one_line(&error)));
            return signals.outcome_or(Outcome::Failed);
        }
    };
    let mut failures = 0;
    for (index, job) in jobs.iter().enumerate() {
        progress.start_file(&job.midi.display().to_string());
        let result = render_job(&mut renderer, job, |done, total| {
            progress.frames(done, total)
        });
        progress.finish_file();
        if result.is_err() {
            failures += 1;
            if signals.caught().is_some() {
                break;
            }
        }
        let summary = result.as_ref().map(Rendered::from).map_err(one_line);
        match &mut sink {
            Sink::Manifest(manifest) => manifest.record(job, &summary),
            Sink::Parent(out) => {
                let report = FileReport {
                    index,
                    result: summary,
                };
                let line = serde_json::to_string(&report).expect("reports serialise");
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
        }
        if let Err(error) = result {
            if !in_worker {
                progress.println(&format!(
                    "error: {}: {}",
                    job.midi.display(),
                    one_line(&error)
                ));
            }
            if error.is_retryable()
                && let Err(error) = renderer.recover()
            {
                progress.println(&format!(
                    "error: cannot restart the synth: {}",
                    one_line(&error)
                ));
                break;
            }
        }
    }
    progress.finish();
    drop(renderer);
    signals.outcome_or(if failures == 0 {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

pub fn note(args: &NoteArgs, signals: &Signals) -> Outcome {
    let note = smf::Note {
        pitch: args.pitch,
        velocity: args.velocity,
        duration: args.duration,
        sustain: args.sustain,
        soft: args.soft,
        sostenuto: args.sostenuto,
        channel: args.channel,
        program: args.program,
    };
    let timeline = match note.timeline() {
        Ok(timeline) => timeline,
        Err(error) => return Outcome::usage(format!("invalid note: {error}")),
    };
    let (instrument, options) = match setup(&args.instrument, &args.out, signals) {
        Ok(setup) => setup,
        Err(message) => return Outcome::usage(message),
    };
    let mut progress = Progress::new(1, args.out.quiet);
    progress.start_file(&format!("note {}", args.pitch));
    let result = Renderer::new(instrument, options).and_then(|mut renderer| {
        renderer.render_timeline(&timeline, &args.output, None::<&Path>, |done, total| {
            progress.frames(done, total)
        })
    });
    progress.finish_file();
    progress.finish();
    match result {
        Ok(_) => Outcome::Ok,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            signals.outcome_or(Outcome::Failed)
        }
    }
}

/// The instrument and render options from the command line.
pub fn setup(
    instrument: &InstrumentArgs,
    out: &OutputArgs,
    signals: &Signals,
) -> Result<(Instrument, RenderOptions), String> {
    let chosen = if !instrument.plugin.is_empty() {
        Instrument::Plugins(instrument.plugin.clone())
    } else if let Some(project) = &instrument.project {
        Instrument::CarlaProject(project.clone())
    } else if let Some(sf2) = &instrument.sf2 {
        Instrument::SoundFont(sf2.clone())
    } else if let Some(sfz) = &instrument.sfz {
        Instrument::Sfz(sfz.clone())
    } else if let Some(uri) = &instrument.lv2 {
        Instrument::Lv2(uri.clone())
    } else if let Some(command) = &instrument.host_cmd {
        Instrument::Command {
            command: shlex::split(command)
                .filter(|words| !words.is_empty())
                .ok_or_else(|| format!("--host-cmd {command:?}: unbalanced quotes or empty"))?,
            midi_port: instrument.midi_port.clone(),
            audio_ports: instrument.audio_ports.clone(),
        }
    } else if instrument.server.is_some() {
        Instrument::Running {
            midi_port: instrument.midi_port.clone(),
            audio_ports: instrument.audio_ports.clone(),
        }
    } else {
        Instrument::default_soundfont().map_err(|e| e.to_string())?
    };
    let tail = match out.tail.as_str() {
        "auto" => Tail::Auto,
        seconds => match seconds.parse::<f64>() {
            Ok(s) if s >= 0.0 && s.is_finite() => Tail::Seconds(s),
            _ => return Err(format!("--tail {seconds}: expected seconds ≥ 0 or `auto`")),
        },
    };
    if instrument.period == Some(0) || instrument.sample_rate == 0 {
        return Err("--period and --sample-rate must be above zero".into());
    }
    let options = RenderOptions {
        engine: match instrument.engine {
            EngineArg::Auto => EngineChoice::Auto,
            EngineArg::Offline => EngineChoice::Offline,
            EngineArg::Jack => EngineChoice::Jack,
        },
        sample_rate: instrument.sample_rate,
        period: instrument.period,
        tail,
        realtime: out.realtime,
        format: match out.format {
            Format::F32 => WavFormat::Float32,
            Format::Wav24 => WavFormat::Int24,
            Format::Wav16 => WavFormat::Int16,
        },
        server: instrument.server.clone(),
        retries: out.retries,
        timeout: None,
        ready_timeout: std::time::Duration::try_from_secs_f64(out.ready_timeout).map_err(|_| {
            format!(
                "--ready-timeout {}: expected seconds ≥ 0",
                out.ready_timeout
            )
        })?,
        interrupt: Some(signals.flag()),
        keep_instrument_state: instrument.keep_state,
    };
    Ok((chosen, options))
}

/// Parses one input and renders it.
pub fn render_job(
    renderer: &mut Renderer,
    job: &Job,
    on_tick: impl FnMut(u64, u64),
) -> Result<RenderReport, Error> {
    let timeline = smf::Timeline::from_path(&job.midi)?;
    renderer.render_timeline(&timeline, &job.wav, job.onsets.as_ref(), on_tick)
}

/// The error on one line (multi-line stderr tails joined with " | ").
pub fn one_line(error: &Error) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
