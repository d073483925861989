//! `pycarla render` and `pycarla note`: the command line mapped onto the dataset layer
//! (`pycarla::dataset`), with progress bars as its observer.

use std::path::Path;

use audio_io::AudioFormat;
use pycarla::dataset::{
    Dataset, FileOutcome, Job, Manifest, Observer, Outputs, Shard, Summary, chain_variant,
    check_unique,
};
use pycarla::stems::StemOptions;
use pycarla::{
    EngineChoice, EngineKind, Error, Instrument, InstrumentMap, RenderOptions, Renderer, Tail,
};

use crate::args::{EngineArg, Format, InstrumentArgs, NoteArgs, OutputArgs, RenderArgs, StemsArg};
use crate::progress::Progress;
use crate::{Outcome, Signals};

pub fn render(args: &RenderArgs, signals: &Signals) -> Outcome {
    let dataset = match dataset(args, signals) {
        Ok(dataset) => dataset,
        Err(message) => return Outcome::usage(message),
    };
    let mut manifest = match Manifest::open(args.manifest.as_deref()) {
        Ok(manifest) => manifest,
        Err(error) => return Outcome::usage(error.to_string()),
    };
    let mut progress = Bars::new(args.out.quiet, signals);
    let mut summary = Summary::default();
    for run in dataset.runs() {
        manifest.set_context(dataset.context(&run));
        let on_jack = dataset.stems.is_none()
            && args.jobs > 1
            && pycarla::engine_for(&run.instrument, &run.options)
                .is_ok_and(|kind| kind == EngineKind::Jack);
        if on_jack && args.instrument.server.is_some() {
            return Outcome::usage("--jobs needs private servers: it cannot be used with --server");
        }
        let run_summary = dataset.render_run(&run, &mut manifest, &mut progress);
        summary.add(run_summary);
        if signals.caught().is_some() {
            break;
        }
    }
    if summary.not_rendered > 0 && signals.caught().is_none() {
        eprintln!(
            "error: {} of {} files were not rendered",
            summary.not_rendered,
            summary.rendered + summary.skipped + summary.failed + summary.not_rendered
        );
    }
    signals.outcome_or(if summary.all_done() {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// The dataset the command line asks for: planned, sharded, with its variants and stems.
pub fn dataset(args: &RenderArgs, signals: &Signals) -> Result<Dataset, String> {
    let text = |error: pycarla::dataset::Error| error.to_string();
    let outputs = Outputs {
        extension: audio_format(args.out.format).extension(),
        stems: args.stems.is_some(),
        onsets: args.onsets.as_deref(),
    };
    let mut jobs =
        pycarla::dataset::plan(&args.midi, args.output.as_deref(), outputs).map_err(text)?;
    let shard = match &args.shard {
        Some(text) => Some(text.parse::<Shard>().map_err(|e| format!("--{e}"))?),
        None => Shard::from_env(args.shards).map_err(|error| match error {
            pycarla::dataset::Error::Shard { ref why, .. } if why.contains("number of shards") => {
                format!("{error}: give it with --shards N")
            }
            error => error.to_string(),
        })?,
    };
    if let Some(shard) = shard {
        jobs = shard.take(jobs);
    }
    let (instrument, options) = setup(&args.instrument, &args.out, signals)?;
    let options = options.seed(args.seed);
    let controls = plugin_controls(&args.instrument.controls)?;
    let mut variants = args
        .variant
        .iter()
        .map(|text| chain_variant(text, &controls).map_err(|e| format!("--{e}")))
        .collect::<Result<Vec<_>, String>>()?;
    if let Some(path) = &args.variants {
        variants.extend(pycarla::read_variants(path).map_err(|e| e.to_string())?);
    }
    check_unique(&variants).map_err(text)?;
    let map = args
        .map
        .as_deref()
        .map(InstrumentMap::from_path)
        .transpose()
        .map_err(|error| one_line(&error))?;
    let stems = args.stems.map(|split| StemOptions {
        by: match split {
            StemsArg::Channel => smf::GroupBy::Channel,
            StemsArg::Track => smf::GroupBy::Track,
            StemsArg::Program => smf::GroupBy::Program,
        },
        jobs: args.jobs,
        map,
        seed: args.seed,
    });
    Ok(Dataset {
        jobs,
        instrument,
        options,
        variants,
        stems,
        jobs_at_once: args.jobs,
        skip_existing: args.skip_existing,
    })
}

/// Progress bars, and one line on stderr per failed file: the command's observer.
pub struct Bars<'a> {
    quiet: bool,
    signals: &'a Signals,
    progress: Option<Progress>,
}

impl<'a> Bars<'a> {
    pub fn new(quiet: bool, signals: &'a Signals) -> Bars<'a> {
        Bars {
            quiet,
            signals,
            progress: None,
        }
    }

    fn println(&mut self, line: &str) {
        match &self.progress {
            Some(progress) => progress.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Observer for Bars<'_> {
    fn run_started(&mut self, files: usize) {
        self.progress = Some(Progress::new(files, self.quiet));
    }

    fn file_started(&mut self, job: &Job) {
        if let Some(progress) = &mut self.progress {
            progress.start_file(&job.midi.display().to_string());
        }
    }

    fn frames(&mut self, done: u64, total: u64) {
        if let Some(progress) = &mut self.progress {
            progress.frames(done, total);
        }
    }

    fn file_finished(&mut self, _index: usize, job: &Job, outcome: &FileOutcome) {
        if let (Some(progress), false) =
            (&mut self.progress, matches!(outcome, FileOutcome::Skipped))
        {
            progress.finish_file();
        }
        if let FileOutcome::Failed(error) = outcome
            && self.signals.caught().is_none()
        {
            self.println(&format!("error: {}: {error}", job.midi.display()));
        }
    }

    fn error(&mut self, message: &str) {
        self.println(&format!("error: {message}"));
    }

    fn run_finished(&mut self) {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
    }
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
        .keep_state(instrument.keep_state)
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

/// The error on one line (multi-line stderr tails joined with " | ").
pub fn one_line(error: &Error) -> String {
    pycarla::dataset::one_line(error)
}
