//! `pycarla render` and `pycarla note` in this process; `--jobs` batches are in `batch`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use pycarla::{
    EngineChoice, EngineKind, Error, Instrument, RenderOptions, RenderReport, Renderer, Tail,
    WavFormat,
};
use serde::{Deserialize, Serialize};

use crate::args::{EngineArg, Format, InstrumentArgs, NoteArgs, OutputArgs, RenderArgs};
use crate::batch;
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
    pub midi: PathBuf,
    /// Frames written, or why it failed.
    pub result: Result<u64, String>,
}

pub fn render(args: &RenderArgs, signals: &Signals) -> Outcome {
    let jobs = match plan(args) {
        Ok(jobs) => jobs,
        Err(message) => return Outcome::usage(message),
    };
    let (instrument, options) = match setup(&args.instrument, &args.out, signals) {
        Ok(setup) => setup,
        Err(message) => return Outcome::usage(message),
    };
    if args.jobs > 1 && jobs.len() > 1 {
        return match pycarla::engine_for(&instrument, &options) {
            Ok(EngineKind::Offline) => {
                batch::offline_pool(args.jobs, &jobs, &instrument, &options, &args.out, signals)
            }
            Ok(EngineKind::Jack) if args.instrument.server.is_some() => {
                Outcome::usage("--jobs needs private servers: it cannot be used with --server")
            }
            Ok(EngineKind::Jack) => batch::jack_workers(args, &jobs, signals),
            Err(error) => {
                eprintln!("error: {}", one_line(&error));
                Outcome::Failed
            }
        };
    }
    render_here(instrument, options, &jobs, args.out.quiet, None, signals)
}

/// Renders `jobs` one after another through one renderer in this process, printing errors (or,
/// in a worker, writing one JSON [`FileReport`] line per file to `reports`).
pub fn render_here(
    instrument: Instrument,
    options: RenderOptions,
    jobs: &[Job],
    quiet: bool,
    mut reports: Option<&mut dyn Write>,
    signals: &Signals,
) -> Outcome {
    let mut progress = Progress::new(jobs.len(), quiet || reports.is_some());
    let mut renderer = match Renderer::new(instrument, options) {
        Ok(renderer) => renderer,
        Err(error) => {
            progress.println(&format!("error: {}", one_line(&error)));
            return signals.outcome_or(Outcome::Failed);
        }
    };
    let mut failures = 0;
    for job in jobs {
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
        if let Some(out) = reports.as_deref_mut() {
            let report = FileReport {
                midi: job.midi.clone(),
                result: result.as_ref().map(|r| r.frames).map_err(one_line),
            };
            let line = serde_json::to_string(&report).expect("reports serialise");
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        }
        if let Err(error) = result {
            if reports.is_none() {
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

/// Where each input's WAV (and CSV) goes.
fn plan(args: &RenderArgs) -> Result<Vec<Job>, String> {
    let stem = |midi: &Path| -> Result<String, String> {
        midi.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{} has no file name", midi.display()))
    };
    if args.midi.len() == 1 {
        let midi = args.midi[0].clone();
        let wav = match &args.output {
            Some(path) if path.is_dir() => path.join(format!("{}.wav", stem(&midi)?)),
            Some(path) => path.clone(),
            None => PathBuf::from(format!("{}.wav", stem(&midi)?)),
        };
        return Ok(vec![Job {
            midi,
            wav,
            onsets: args.onsets.clone(),
        }]);
    }
    let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    if dir.is_file() {
        return Err(format!(
            "-o {} is a file: with several inputs, -o names a directory",
            dir.display()
        ));
    }
    let mut seen = HashSet::new();
    args.midi
        .iter()
        .map(|midi| {
            let stem = stem(midi)?;
            if !seen.insert(stem.clone()) {
                return Err(format!(
                    "two inputs are named {stem}: their outputs would overwrite each other"
                ));
            }
            Ok(Job {
                midi: midi.clone(),
                wav: dir.join(format!("{stem}.wav")),
                onsets: args
                    .onsets
                    .as_ref()
                    .map(|_| dir.join(format!("{stem}.csv"))),
            })
        })
        .collect()
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
