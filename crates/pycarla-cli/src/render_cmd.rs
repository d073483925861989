//! `pycarla render` and `pycarla note` in this process; `--jobs` batches are in `batch`.

use std::io::Write;
use std::path::{Path, PathBuf};

use pycarla::rt_core::AudioFormat;
use pycarla::stems::StemOptions;
use pycarla::{
    EngineChoice, EngineKind, Error, Instrument, InstrumentMap, RenderOptions, RenderReport,
    Renderer, Tail,
};
use serde::{Deserialize, Serialize};

use crate::args::{EngineArg, Format, InstrumentArgs, NoteArgs, OutputArgs, RenderArgs, StemsArg};
use crate::batch;
use crate::manifest::{Context, Manifest, Rendered};
use crate::progress::Progress;
use crate::{Outcome, Signals};

/// One input and where its results go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub midi: PathBuf,
    /// The input as the seed rule names it: its path relative to the input root (the file's
    /// name for a file given alone).
    pub key: String,
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
        Ok((instrument, options)) => (instrument, options.seed(args.seed)),
        Err(message) => return Outcome::usage(message),
    };
    let variants = match crate::inputs::variants(args) {
        Ok(variants) => variants,
        Err(message) => return Outcome::usage(message),
    };
    let map = match args
        .map
        .as_deref()
        .map(InstrumentMap::from_path)
        .transpose()
    {
        Ok(map) => map,
        Err(error) => return Outcome::usage(one_line(&error)),
    };
    let mut manifest = match Manifest::open(args.manifest.as_deref(), &instrument) {
        Ok(manifest) => manifest,
        Err(message) => return Outcome::usage(message),
    };
    // Each variant is a run of its own over every input, with its own outputs.
    let runs: Vec<(Option<String>, Instrument, RenderOptions, Vec<Job>)> = if variants.is_empty() {
        vec![(None, instrument, options.clone(), jobs)]
    } else {
        variants
            .into_iter()
            .map(|variant| {
                let jobs = jobs
                    .iter()
                    .map(|job| crate::inputs::for_variant(job, &variant.name, args.stems.is_some()))
                    .collect();
                let options = options.clone().controls(variant.controls);
                (Some(variant.name), variant.instrument, options, jobs)
            })
            .collect()
    };
    let mut outcome = Outcome::Ok;
    for (variant, instrument, options, jobs) in runs {
        let context = Context {
            variant,
            seed: map.as_ref().map(|_| args.seed),
            normalize_lufs: options.normalize,
        };
        manifest.set_context(&instrument, context);
        let run = render_run(
            args,
            instrument,
            &options,
            jobs,
            map.as_ref(),
            &mut manifest,
            signals,
        );
        if !matches!(run, Outcome::Ok) {
            outcome = run;
        }
        if signals.caught().is_some() {
            break;
        }
    }
    signals.outcome_or(outcome)
}

/// Renders `jobs` through `instrument`: skips what exists (with `--skip-existing`), then in this
/// process, in a pool (`--jobs`), or as stems.
fn render_run(
    args: &RenderArgs,
    instrument: Instrument,
    options: &RenderOptions,
    jobs: Vec<Job>,
    map: Option<&InstrumentMap>,
    manifest: &mut Manifest,
    signals: &Signals,
) -> Outcome {
    let jobs: Vec<Job> = if args.skip_existing {
        // Outputs (files, and stems directories) appear only once complete.
        let (done, todo): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|job| job.wav.exists());
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
    if let Some(split) = args.stems {
        let stem_options = StemOptions {
            by: match split {
                StemsArg::Channel => smf::GroupBy::Channel,
                StemsArg::Track => smf::GroupBy::Track,
                StemsArg::Program => smf::GroupBy::Program,
            },
            jobs: args.jobs,
            map: map.cloned(),
            seed: args.seed,
        };
        return stems_here(
            &instrument,
            options,
            &stem_options,
            &jobs,
            args.out.quiet,
            manifest,
            signals,
        );
    }
    let options = options.clone();
    if args.jobs > 1 && jobs.len() > 1 {
        return match pycarla::engine_for(&instrument, &options) {
            Ok(EngineKind::Offline) => batch::offline_pool(
                args.jobs,
                &jobs,
                &instrument,
                &options,
                &args.out,
                manifest,
                signals,
            ),
            Ok(EngineKind::Jack) if args.instrument.server.is_some() => {
                Outcome::usage("--jobs needs private servers: it cannot be used with --server")
            }
            // Workers re-read the command line's instrument: not a variant's.
            Ok(EngineKind::Jack) if args.variant.is_empty() && args.variants.is_none() => {
                batch::jack_workers(args, &jobs, manifest, signals)
            }
            Ok(EngineKind::Jack) => render_here(
                instrument,
                options,
                &jobs,
                args.out.quiet,
                Sink::Manifest(manifest),
                signals,
            ),
            Err(error) => {
                eprintln!("error: {}", one_line(&error));
                Outcome::Failed
            }
        };
    }
    let sink = Sink::Manifest(manifest);
    render_here(instrument, options, &jobs, args.out.quiet, sink, signals)
}

/// Renders each job as stems (see `pycarla::stems`), one file after another; the parts of a
/// file render `stems.jobs` at a time.
fn stems_here(
    instrument: &Instrument,
    options: &RenderOptions,
    stems: &StemOptions,
    jobs: &[Job],
    quiet: bool,
    manifest: &mut Manifest,
    signals: &Signals,
) -> Outcome {
    let mut progress = Progress::new(jobs.len(), quiet);
    let mut failures = 0;
    for job in jobs {
        progress.start_file(&job.midi.display().to_string());
        let result = pycarla::stems::render_stems(instrument, &job.midi, &job.wav, options, stems)
            .and_then(|report| {
                if let Some(path) = &job.onsets {
                    let timeline = smf::Timeline::from_path(&job.midi)?;
                    pycarla::onsets::write(
                        path,
                        &timeline,
                        report.sample_rate,
                        pycarla::onsets::OnsetNotes::default(),
                    )?;
                }
                Ok(report)
            });
        progress.finish_file();
        manifest.record(job, &result.as_ref().map(Rendered::from).map_err(one_line));
        if let Err(error) = result {
            failures += 1;
            progress.println(&format!(
                "error: {}: {}",
                job.midi.display(),
                one_line(&error)
            ));
            if signals.caught().is_some() {
                break;
            }
        }
    }
    progress.finish();
    signals.outcome_or(if failures == 0 {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
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
    let options = RenderOptions::default()
        .engine(match instrument.engine {
            EngineArg::Auto => EngineChoice::Auto,
            EngineArg::Offline => EngineChoice::Offline,
            EngineArg::Jack => EngineChoice::Jack,
        })
        .sample_rate(instrument.sample_rate)
        .period(instrument.period)
        .tail(tail)
        .realtime(out.realtime)
        .format(audio_format(out.format))
        .server(instrument.server.clone())
        .retries(out.retries)
        .timeout(None)
        .stall_timeout(
            std::time::Duration::try_from_secs_f64(out.stall_timeout)
                .ok()
                .filter(|timeout| !timeout.is_zero())
                .ok_or_else(|| {
                    format!(
                        "--stall-timeout {}: expected seconds > 0",
                        out.stall_timeout
                    )
                })?,
        )
        .ready_timeout(
            std::time::Duration::try_from_secs_f64(out.ready_timeout).map_err(|_| {
                format!(
                    "--ready-timeout {}: expected seconds ≥ 0",
                    out.ready_timeout
                )
            })?,
        )
        .interrupt(Some(signals.flag()))
        .keep_instrument_state(instrument.keep_state)
        // The command renders its files back to back and ends (the renderer's drop ends
        // freewheel).
        .freewheel_between_files(true)
        .gain(out.gain)
        .controls(plugin_controls(&instrument.controls)?)
        .normalize(match out.normalize {
            Some(lufs) if !(-70.0..=0.0).contains(&lufs) => {
                return Err(format!(
                    "--normalize {lufs}: expected LUFS between -70 and 0"
                ));
            }
            lufs => lufs,
        });
    Ok((chosen, options))
}

/// The plugin controls the options ask for, each parsed by the library's vocabulary.
pub fn plugin_controls(
    args: &crate::args::ControlArgs,
) -> Result<pycarla::settings::PluginControls, String> {
    Ok(pycarla::settings::PluginControls {
        params: parse_all(&args.set)?,
        presets: parse_all(&args.preset)?,
        states: parse_all(&args.state)?,
        randomize: parse_all(&args.randomize)?,
        randomize_presets: args
            .randomize_preset
            .iter()
            .map(|p| pycarla::settings::preset_position(p).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?,
        automation: match &args.automation {
            Some(path) => {
                pycarla::automation::Automation::from_file(path).map_err(|e| e.to_string())?
            }
            None => Default::default(),
        },
        cc: parse_all(&args.cc)?,
    })
}

/// Every word of a repeated option, parsed by the library's vocabulary.
fn parse_all<T: std::str::FromStr<Err = pycarla::Error>>(
    words: &[String],
) -> Result<Vec<T>, String> {
    words
        .iter()
        .map(|word| {
            word.parse()
                .map_err(|error: pycarla::Error| error.to_string())
        })
        .collect()
}

/// The library's format for `--format`.
pub fn audio_format(format: Format) -> AudioFormat {
    match format {
        Format::F32 => AudioFormat::Float32,
        Format::Wav24 => AudioFormat::Int24,
        Format::Wav16 => AudioFormat::Int16,
        Format::Flac16 => AudioFormat::Flac16,
        Format::Flac24 => AudioFormat::Flac24,
    }
}

/// Parses one input and renders it.
pub fn render_job(
    renderer: &mut Renderer,
    job: &Job,
    on_tick: impl FnMut(u64, u64),
) -> Result<RenderReport, Error> {
    let timeline = smf::Timeline::from_path(&job.midi)?;
    renderer.set_draw_key(&job.key);
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
