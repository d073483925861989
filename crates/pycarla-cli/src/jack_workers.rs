//! `--jobs N` on JACK: libjack talks to one server per process, so N processes of this
//! program (`pycarla __jack-worker`), each with its own private server, take a share of the
//! files as a JSON plan on stdin and report each file as a JSON line.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use pycarla::dataset::{Dataset, FileOutcome, Job, Manifest, Observer, Rendered, Run, Summary};
use serde::{Deserialize, Serialize};

use crate::args::RenderArgs;
use crate::render::setup;
use crate::{Outcome, Signals};

/// The hidden subcommand of a JACK worker process.
pub const JACK_WORKER: &str = "__jack-worker";

/// What a JACK worker process renders: the command's options and its share of the files.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerPlan {
    args: RenderArgs,
    jobs: Vec<Job>,
}

/// How one file ended, as a JACK worker process reports it (a JSON line).
#[derive(Debug, Serialize, Deserialize)]
struct FileReport {
    /// The job's index in the worker's plan.
    index: usize,
    /// What was rendered, or why it failed.
    result: Result<Rendered, String>,
}

/// Splits the jobs over `--jobs` worker processes (largest files first, each to the least
/// loaded worker), each with its own private server, and gathers their reports.
pub fn render(
    args: &RenderArgs,
    dataset: &Dataset,
    run: &Run,
    manifest: &mut Manifest,
    observer: &mut dyn Observer,
    signals: &Signals,
) -> Summary {
    let (jobs, mut summary) = dataset.skip_finished(run, manifest, observer);
    if jobs.is_empty() {
        return summary;
    }
    let jobs = &jobs[..];
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
            observer.error(&format!("cannot find the pycarla executable: {error}"));
            summary.not_rendered += jobs.len();
            return summary;
        }
    };
    observer.run_started(jobs.len());
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, String)>();
    let mut children: Vec<Child> = Vec::new();
    let plans: Vec<&Vec<&Job>> = shares
        .iter()
        .map(|(_, share)| share)
        .filter(|share| !share.is_empty())
        .collect();
    for (worker, share) in plans.iter().enumerate() {
        let plan = WorkerPlan {
            args: args.clone(),
            jobs: share.iter().map(|&job| job.clone()).collect(),
        };
        let plan = serde_json::to_vec(&plan).expect("plans serialise");
        let mut command = Command::new(&exe);
        command
            .arg(JACK_WORKER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match command.spawn() {
            Ok(mut child) => {
                if let Some(mut stdin) = child.stdin.take() {
                    // Dropped after writing: the worker reads its plan to the end.
                    let _ = stdin.write_all(&plan);
                }
                let stdout = child.stdout.take().expect("piped");
                let sender = sender.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        let _ = sender.send((worker, line));
                    }
                });
                children.push(child);
            }
            Err(error) => {
                observer.error(&format!("cannot start a worker: {error}"));
                stop_workers(&mut children);
                summary.not_rendered += jobs.len();
                return summary;
            }
        }
    }
    drop(sender);
    let mut reported = 0;
    loop {
        if signals.caught().is_some() {
            stop_workers(&mut children);
            break;
        }
        match receiver.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok((worker, line)) => match serde_json::from_str::<FileReport>(&line) {
                Ok(report) => {
                    let Some(&job) = plans[worker].get(report.index) else {
                        observer.error("a worker reported a file it was not given");
                        continue;
                    };
                    reported += 1;
                    let outcome = match report.result {
                        Ok(rendered) => FileOutcome::Rendered(rendered),
                        Err(message) => FileOutcome::Failed(message),
                    };
                    manifest.record(job, &outcome);
                    if let FileOutcome::Failed(_) = outcome {
                        summary.failed += 1;
                    } else {
                        summary.rendered += 1;
                    }
                    let index = jobs.iter().position(|j| j == job).unwrap_or(0);
                    observer.file_finished(index, job, &outcome);
                }
                Err(error) => observer.error(&format!("unreadable worker report: {error}")),
            },
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for child in &mut children {
        // A worker that stopped early left files unreported: counted below.
        let _ = child.wait();
    }
    observer.run_finished();
    summary.not_rendered += jobs.len() - reported;
    summary
}

/// A JACK worker process: reads its plan on stdin, renders it on one private server, reports
/// each file on stdout.
pub fn jack_worker(signals: &Signals) -> Outcome {
    let mut text = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut text) {
        return Outcome::usage(format!("cannot read the worker's plan: {error}"));
    }
    let plan: WorkerPlan = match serde_json::from_str(&text) {
        Ok(plan) => plan,
        Err(error) => return Outcome::usage(format!("unreadable worker plan: {error}")),
    };
    let (instrument, options) = match setup(&plan.args.instrument, &plan.args.out, signals) {
        Ok((instrument, options)) => (instrument, options.seed(plan.args.seed)),
        Err(message) => return Outcome::usage(message),
    };
    let run = Run {
        variant: None,
        instrument,
        options,
        jobs: plan.jobs,
    };
    let mut reporter = ToParent {
        out: std::io::stdout().lock(),
        failed: false,
    };
    let reached = pycarla::dataset::one_by_one(&run, &run.jobs, &mut reporter);
    signals.outcome_or(if reached == run.jobs.len() && !reporter.failed {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
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
        let line = serde_json::to_string(&FileReport { index, result }).expect("reports serialise");
        let _ = writeln!(self.out, "{line}").and_then(|()| self.out.flush());
    }

    fn error(&mut self, message: &str) {
        self.failed = true;
        eprintln!("error: {message}");
    }
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
