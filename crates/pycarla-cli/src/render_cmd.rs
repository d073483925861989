//! `pycarla render` and `pycarla note`: in this process, or in `--jobs` worker processes.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use std::sync::atomic::{AtomicUsize, Ordering};

use pycarla::{
    EngineChoice, EngineKind, Error, Instrument, RenderOptions, RenderReport, Renderer, Tail,
    WavFormat,
};

use crate::args::{EngineArg, Format, InstrumentArgs, NoteArgs, OutputArgs, RenderArgs};
use crate::progress::Progress;
use crate::{Outcome, Signals};

/// One input and where its results go.
#[derive(Debug, Clone)]
struct Job {
    midi: PathBuf,
    wav: PathBuf,
    onsets: Option<PathBuf>,
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
        match pycarla::engine_for(&instrument, &options) {
            Ok(EngineKind::Offline) => {
                return run_offline_pool(
                    args.jobs,
                    &jobs,
                    &instrument,
                    &options,
                    &args.out,
                    signals,
                );
            }
            Ok(EngineKind::Jack) if args.instrument.server.is_some() => {
                return Outcome::usage(
                    "--jobs needs private servers: it cannot be used with --server",
                );
            }
            Ok(EngineKind::Jack) => return run_workers(args, &jobs, signals),
            Err(error) => {
                eprintln!("error: {}", one_line(&error));
                return Outcome::Failed;
            }
        }
    }
    let mut progress = Progress::new(jobs.len(), args.out.quiet || args.worker);
    let mut renderer = match Renderer::new(instrument, options) {
        Ok(renderer) => renderer,
        Err(error) => {
            progress.println(&format!("error: {}", one_line(&error)));
            return signals.outcome_or(Outcome::Failed);
        }
    };
    let mut failures = 0;
    for job in &jobs {
        progress.start_file(&job.midi.display().to_string());
        let result = render_job(&mut renderer, job, |done, total| {
            progress.frames(done, total)
        });
        progress.finish_file();
        match result {
            Ok(report) => {
                if args.worker {
                    println!("ok\t{}\t{}", job.midi.display(), report.frames);
                }
            }
            Err(error) => {
                failures += 1;
                if signals.caught().is_some() {
                    break;
                }
                let line = format!("error: {}: {}", job.midi.display(), one_line(&error));
                if args.worker {
                    println!("err\t{}\t{}", job.midi.display(), one_line(&error));
                } else {
                    progress.println(&line);
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
    if args.midi.len() == 1 && !args.worker {
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
fn setup(
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
fn render_job(
    renderer: &mut Renderer,
    job: &Job,
    on_tick: impl FnMut(u64, u64),
) -> Result<RenderReport, Error> {
    let timeline = smf::Timeline::from_path(&job.midi)?;
    renderer.render_timeline(&timeline, &job.wav, job.onsets.as_ref(), on_tick)
}

/// `--jobs N` on the offline engine: N threads in this process, each driving its own worker
/// process, each taking the next file as it finishes one. A file's audio does not depend on
/// which worker rendered it, or after what: every file starts from a fresh engine.
fn run_offline_pool(
    threads: usize,
    jobs: &[Job],
    instrument: &Instrument,
    options: &RenderOptions,
    out: &OutputArgs,
    signals: &Signals,
) -> Outcome {
    let next = AtomicUsize::new(0);
    let mut progress = Progress::new(jobs.len(), out.quiet);
    let (sender, receiver) =
        std::sync::mpsc::channel::<(Option<usize>, Result<RenderReport, Error>)>();
    let mut failures = 0;
    let mut reported = 0;
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                let mut renderer = match Renderer::new(instrument.clone(), options.clone()) {
                    Ok(renderer) => renderer,
                    Err(error) => {
                        let _ = sender.send((None, Err(error)));
                        return;
                    }
                };
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= jobs.len() || signals.caught().is_some() {
                        break;
                    }
                    let result = render_job(&mut renderer, &jobs[index], |_, _| {});
                    let retryable = result.as_ref().is_err_and(Error::is_retryable);
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
                (Some(_), Ok(_)) => {
                    reported += 1;
                    progress.finish_file();
                }
                (Some(index), Err(error)) => {
                    reported += 1;
                    progress.finish_file();
                    if signals.caught().is_none() {
                        failures += 1;
                        progress.println(&format!(
                            "error: {}: {}",
                            jobs[index].midi.display(),
                            one_line(&error)
                        ));
                    }
                }
                (None, Err(error)) => progress.println(&format!("error: {}", one_line(&error))),
                (None, Ok(_)) => {}
            }
        }
    });
    progress.finish();
    if reported < jobs.len() && signals.caught().is_none() {
        eprintln!(
            "error: {} of {} files were not rendered",
            jobs.len() - reported,
            jobs.len()
        );
        failures += jobs.len() - reported;
    }
    signals.outcome_or(if failures == 0 {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// The error on one line (multi-line stderr tails joined with " | ").
fn one_line(error: &Error) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Splits the jobs over `--jobs` worker processes (largest files first, each to the least
/// loaded worker), each with its own private server, and gathers their reports.
fn run_workers(args: &RenderArgs, jobs: &[Job], signals: &Signals) -> Outcome {
    let workers = args.jobs.min(jobs.len());
    let mut sorted: Vec<&Job> = jobs.iter().collect();
    sorted
        .sort_by_key(|job| std::cmp::Reverse(std::fs::metadata(&job.midi).map_or(0, |m| m.len())));
    let mut shares: Vec<(u64, Vec<&Job>)> = vec![(0, Vec::new()); workers];
    for job in sorted {
        let size = std::fs::metadata(&job.midi).map_or(0, |m| m.len());
        let lightest = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("workers > 0");
        lightest.0 += size;
        lightest.1.push(job);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            return Outcome::usage(format!("cannot find the pycarla executable: {error}"));
        }
    };
    let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut progress = Progress::new(jobs.len(), args.out.quiet);
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    let mut children: Vec<Child> = Vec::new();
    for (_, share) in shares.iter().filter(|(_, share)| !share.is_empty()) {
        let mut command = Command::new(&exe);
        command
            .args(worker_args(args, &dir))
            .args(share.iter().map(|job| &job.midi))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match command.spawn() {
            Ok(mut child) => {
                let stdout = child.stdout.take().expect("piped");
                let sender = sender.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        let _ = sender.send(line);
                    }
                });
                children.push(child);
            }
            Err(error) => {
                progress.println(&format!("error: cannot start a worker: {error}"));
                stop_workers(&mut children);
                return Outcome::Failed;
            }
        }
    }
    drop(sender);
    let mut failures = 0;
    let mut reported = 0;
    loop {
        if signals.caught().is_some() {
            stop_workers(&mut children);
            break;
        }
        match receiver.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok(line) => {
                reported += 1;
                progress.finish_file();
                let mut fields = line.splitn(3, '\t');
                if fields.next() == Some("err") {
                    failures += 1;
                    let midi = fields.next().unwrap_or("?");
                    progress.println(&format!("error: {midi}: {}", fields.next().unwrap_or("")));
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut worker_failed = false;
    for child in &mut children {
        worker_failed |= !child.wait().is_ok_and(|status| status.success());
    }
    progress.finish();
    if reported < jobs.len() && signals.caught().is_none() {
        eprintln!(
            "error: {} of {} files were not rendered (a worker failed)",
            jobs.len() - reported,
            jobs.len()
        );
        failures += jobs.len() - reported;
    }
    signals.outcome_or(if failures == 0 && !worker_failed {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// The arguments of a worker: this command's options, one private server, output directory.
fn worker_args(args: &RenderArgs, dir: &Path) -> Vec<OsString> {
    let instrument = &args.instrument;
    let out = &args.out;
    let mut list: Vec<OsString> = vec!["render".into(), "--worker".into(), "-q".into()];
    let mut pair = |flag: &str, value: OsString| {
        list.push(flag.into());
        list.push(value);
    };
    pair("-o", dir.into());
    if let Some(onsets) = &args.onsets {
        pair("--onsets", onsets.into());
    }
    if let Some(v) = &instrument.project {
        pair("--project", v.into());
    }
    if let Some(v) = &instrument.sf2 {
        pair("--sf2", v.into());
    }
    if let Some(v) = &instrument.sfz {
        pair("--sfz", v.into());
    }
    if let Some(v) = &instrument.lv2 {
        pair("--lv2", v.into());
    }
    if let Some(v) = &instrument.host_cmd {
        pair("--host-cmd", v.into());
    }
    pair("--midi-port", instrument.midi_port.clone().into());
    pair("--audio-ports", instrument.audio_ports.clone().into());
    pair("--sample-rate", instrument.sample_rate.to_string().into());
    if let Some(period) = instrument.period {
        pair("--period", period.to_string().into());
    }
    pair("--engine", "jack".into());
    pair("--tail", out.tail.clone().into());
    let format = match out.format {
        Format::F32 => "f32",
        Format::Wav24 => "wav24",
        Format::Wav16 => "wav16",
    };
    pair("--format", format.into());
    pair("--retries", out.retries.to_string().into());
    pair("--ready-timeout", out.ready_timeout.to_string().into());
    if out.realtime {
        list.push("--realtime".into());
    }
    if instrument.keep_state {
        list.push("--keep-state".into());
    }
    list
}

/// How long workers get to stop their children and finalize their WAVs after SIGTERM.
const WORKER_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// SIGTERM to every worker (each stops its own children), then reap them; a worker still
/// running after the grace period is killed.
fn stop_workers(children: &mut [Child]) {
    for child in children.iter() {
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = std::time::Instant::now() + WORKER_STOP_GRACE;
    for child in children.iter_mut() {
        while child.try_wait().is_ok_and(|status| status.is_none())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
