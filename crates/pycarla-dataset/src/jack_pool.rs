//! Several files at a time on JACK: libjack talks to one server per process, so the pool is
//! of processes — N JACK workers, each with its own private server, each given its share of
//! the files as a JSON plan on stdin and reporting each file as a JSON line on stdout.
//!
//! A worker is started through an overridable command, as the offline worker and the Carla
//! host are: `$PYCARLA_JACK_WORKER`, else what the program set with [`set_jack_worker_command`]
//! (the `pycarla` command is its own worker; Python runs its extension), else the
//! `pycarla-jack-worker` executable beside the program. The worker runs [`jack_worker_main`].

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use pycarla_render::offline::WorkerCommand;
use pycarla_render::{Instrument, RenderOptions};
use serde::{Deserialize, Serialize};

use crate::batch::{Observer, Run, one_by_one, one_line};
use crate::manifest::{FileOutcome, Rendered};
use crate::plan::Job;

/// The JACK worker executable looked for beside the program.
pub const JACK_WORKER_EXE: &str = "pycarla-jack-worker";

/// The environment variable naming a JACK worker executable.
pub const JACK_WORKER_EXE_VAR: &str = "PYCARLA_JACK_WORKER";

static JACK_WORKER_COMMAND: OnceLock<WorkerCommand> = OnceLock::new();

/// Makes this process start its JACK workers with `program args…` (a program that is its own
/// worker). The first call wins.
pub fn set_jack_worker_command(program: PathBuf, args: Vec<OsString>) {
    let _ = JACK_WORKER_COMMAND.set(WorkerCommand { program, args });
}

/// What a JACK worker renders: the run's instrument and options, and its share of the files.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerPlan {
    instrument: Instrument,
    options: RenderOptions,
    jobs: Vec<Job>,
}

/// How one file ended, as a JACK worker reports it (a JSON line).
#[derive(Debug, Serialize, Deserialize)]
struct FileReport {
    /// The job's index in the worker's plan.
    index: usize,
    /// What was rendered, or why it failed.
    result: Result<Rendered, String>,
}

/// How long workers get to stop their children and finalize their files after SIGTERM.
const WORKER_STOP_GRACE: Duration = Duration::from_secs(10);

/// How often the pool looks at the interrupt flag while it waits for reports.
const POLL: Duration = Duration::from_millis(20);

/// Renders `jobs` of `run` in `workers` JACK worker processes: the largest files first, each to
/// the least loaded worker. Each file is told to `observer` as its report arrives; returns how
/// many files were reported.
pub(crate) fn render(
    run: &Run,
    jobs: &[Job],
    workers: usize,
    observer: &mut dyn Observer,
) -> usize {
    let command =
        match WorkerCommand::find(JACK_WORKER_EXE, JACK_WORKER_EXE_VAR, &JACK_WORKER_COMMAND) {
            Ok(command) => command,
            Err(error) => {
                observer.error(&one_line(&error));
                return 0;
            }
        };
    let shares = shares(jobs, workers);
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, String)>();
    let mut children: Vec<Child> = Vec::new();
    for (worker, share) in shares.iter().enumerate() {
        match start(&command, run, jobs, share, worker, sender.clone()) {
            Ok(child) => children.push(child),
            Err(error) => {
                observer.error(&format!(
                    "cannot start a JACK worker ({}): {error}",
                    command.program.display()
                ));
                stop(&mut children);
                return 0;
            }
        }
    }
    drop(sender);
    let mut reported = 0;
    let interrupt = run.options.interrupt.clone();
    loop {
        if interrupt
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
        {
            stop(&mut children);
            break;
        }
        match receiver.recv_timeout(POLL) {
            Ok((worker, line)) => match serde_json::from_str::<FileReport>(&line) {
                Ok(report) => {
                    let Some(&index) = shares[worker].get(report.index) else {
                        observer.error("a JACK worker reported a file it was not given");
                        continue;
                    };
                    reported += 1;
                    let outcome = match report.result {
                        Ok(rendered) => FileOutcome::Rendered(rendered),
                        Err(message) => FileOutcome::Failed(message),
                    };
                    observer.file_finished(index, &jobs[index], &outcome);
                }
                Err(error) => observer.error(&format!("unreadable JACK worker report: {error}")),
            },
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for child in &mut children {
        // A worker that stopped early left files unreported: counted below.
        let _ = child.wait();
    }
    reported
}

/// The indices of `jobs` split over at most `workers` shares, balanced by file size (the
/// largest first, each to the lightest share); no share is empty.
fn shares(jobs: &[Job], workers: usize) -> Vec<Vec<usize>> {
    let sizes: Vec<u64> = jobs
        .iter()
        .map(|job| std::fs::metadata(&job.midi).map_or(0, |m| m.len()))
        .collect();
    let mut sorted: Vec<usize> = (0..jobs.len()).collect();
    sorted.sort_by_key(|&index| std::cmp::Reverse(sizes[index]));
    let mut shares: Vec<(u64, Vec<usize>)> =
        vec![(0, Vec::new()); workers.clamp(1, jobs.len().max(1))];
    for index in sorted {
        if let Some(lightest) = shares.iter_mut().min_by_key(|(load, _)| *load) {
            lightest.0 += sizes[index];
            lightest.1.push(index);
        }
    }
    shares
        .into_iter()
        .map(|(_, share)| share)
        .filter(|share| !share.is_empty())
        .collect()
}

/// Starts one worker with its plan (the `share` of `jobs`); its report lines go to `sender`,
/// tagged `worker`.
fn start(
    command: &WorkerCommand,
    run: &Run,
    jobs: &[Job],
    share: &[usize],
    worker: usize,
    sender: std::sync::mpsc::Sender<(usize, String)>,
) -> std::io::Result<Child> {
    let plan = WorkerPlan {
        instrument: run.instrument.clone(),
        options: run.options.clone(),
        jobs: share.iter().map(|&index| jobs[index].clone()).collect(),
    };
    let plan = serde_json::to_vec(&plan).map_err(std::io::Error::other)?;
    // SIGTERM when the thread that started it ends: the worker then stops its server and synth
    // and finalizes its file.
    let mut child = command
        .command(libc::SIGTERM)
        .stderr(Stdio::inherit())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // Dropped after writing: the worker reads its plan to the end.
        let _ = stdin.write_all(&plan);
    }
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    std::thread::Builder::new()
        .name("pycarla-jack-worker-out".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send((worker, line));
            }
        })?;
    Ok(child)
}

/// SIGTERM to every worker (each stops its own children), then reap them; a worker still
/// running after the grace period is killed.
fn stop(children: &mut [Child]) {
    for child in children.iter() {
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = Instant::now() + WORKER_STOP_GRACE;
    for child in children.iter_mut() {
        while child.try_wait().is_ok_and(|status| status.is_none()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A JACK worker process: reads its plan on stdin, renders it on one private server, reports
/// each file on stdout; SIGTERM or SIGINT stops it cleanly (children stopped, the file in
/// progress finalized as `.partial`).
pub fn jack_worker_main() -> ExitCode {
    let interrupt = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(error) = signal_hook::flag::register(signal, interrupt.clone()) {
            eprintln!("error: cannot handle signal {signal}: {error}");
        }
    }
    let mut text = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read the JACK worker's plan: {error}");
        return ExitCode::FAILURE;
    }
    let plan: WorkerPlan = match serde_json::from_str(&text) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: unreadable JACK worker plan: {error}");
            return ExitCode::FAILURE;
        }
    };
    let run = Run {
        variant: None,
        instrument: plan.instrument,
        options: plan.options.interrupt(Some(interrupt.clone())),
        jobs: plan.jobs,
    };
    let mut reporter = ToParent {
        out: std::io::stdout().lock(),
        failed: false,
    };
    let reached = one_by_one(&run, &run.jobs, &mut reporter);
    if reached == run.jobs.len() && !reporter.failed && !interrupt.load(Ordering::Relaxed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A worker's observer: one JSON [`FileReport`] line per file to its parent, other errors on
/// stderr (and a failed exit).
struct ToParent<W: Write> {
    out: W,
    failed: bool,
}

impl<W: Write> Observer for ToParent<W> {
    fn file_finished(&mut self, index: usize, _job: &Job, outcome: &FileOutcome) {
        let result = match outcome {
            FileOutcome::Rendered(rendered) => Ok(rendered.clone()),
            // Reported to the parent, which records it: the worker did its job.
            FileOutcome::Failed(error) => Err(error.clone()),
            FileOutcome::Skipped => return,
        };
        match serde_json::to_string(&FileReport { index, result }) {
            Ok(line) => {
                let _ = writeln!(self.out, "{line}").and_then(|()| self.out.flush());
            }
            Err(error) => {
                self.failed = true;
                eprintln!("error: cannot report a file: {error}");
            }
        }
    }

    fn error(&mut self, message: &str) {
        self.failed = true;
        eprintln!("error: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_balance_by_size_and_are_never_empty() {
        let dir = tempfile::tempdir().unwrap();
        let jobs: Vec<Job> = [10usize, 1, 7, 3]
            .iter()
            .enumerate()
            .map(|(i, size)| {
                let midi = dir.path().join(format!("{i}.mid"));
                std::fs::write(&midi, vec![0u8; *size]).unwrap();
                Job::new(&midi, dir.path().join(format!("{i}.wav"))).unwrap()
            })
            .collect();
        let two = shares(&jobs, 2);
        assert_eq!(two.len(), 2);
        // Largest first, each to the lighter share: 10 | 7, then 3 (7 < 10) | then 1 (a tie:
        // the first share) — 11 bytes against 10.
        assert_eq!(two[0], [0, 1]);
        assert_eq!(two[1], [2, 3]);
        // More workers than files: one file each, no empty share.
        assert_eq!(shares(&jobs, 8).len(), 4);
        assert!(shares(&[], 3).is_empty());
    }

    #[test]
    fn a_plan_travels_as_json_with_its_options() {
        let options = RenderOptions::default()
            .seed(7)
            .tail(pycarla_render::Tail::Auto)
            .format("flac16".parse().unwrap());
        let plan = WorkerPlan {
            instrument: Instrument::Sfz("/x/click.sfz".into()),
            options,
            jobs: vec![Job::new("/x/a.mid", "/y/a.flac").unwrap()],
        };
        let text = serde_json::to_string(&plan).unwrap();
        let back: WorkerPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back.instrument, plan.instrument);
        assert_eq!(back.jobs, plan.jobs);
        assert_eq!(back.options.seed, 7);
        assert_eq!(back.options.tail, pycarla_render::Tail::Auto);
        assert_eq!(back.options.format.name(), "flac16");
        assert!(text.contains("\"flac16\""));
    }
}
