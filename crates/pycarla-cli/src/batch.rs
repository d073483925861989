//! `--jobs N`: N files at a time. Offline, N threads of this process each drive a worker
//! process of the offline engine; on JACK, N processes of this program (`pycarla
//! __jack-worker`), each with its own private server, take a share of the files as a JSON plan
//! on stdin and report each file as a JSON line.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use pycarla::{Error, Instrument, RenderOptions, RenderReport, Renderer};
use serde::{Deserialize, Serialize};

use crate::args::{OutputArgs, RenderArgs};
use crate::manifest::{Manifest, Rendered};
use crate::progress::Progress;
use crate::render_cmd::{FileReport, Job, Sink, one_line, render_here, render_job, setup};
use crate::{Outcome, Signals};

/// The hidden subcommand of a JACK worker process.
pub const JACK_WORKER: &str = "__jack-worker";

/// What a JACK worker process renders: the command's options and its share of the files.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerPlan {
    args: RenderArgs,
    jobs: Vec<Job>,
}

/// `--jobs N` on the offline engine: N threads in this process, each driving its own worker
/// process, each taking the next file as it finishes one. A file's audio does not depend on
/// which worker rendered it, or after what: every file starts from a fresh engine.
pub fn offline_pool(
    threads: usize,
    jobs: &[Job],
    instrument: &Instrument,
    options: &RenderOptions,
    out: &OutputArgs,
    manifest: &mut Manifest,
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
                (Some(index), Ok(report)) => {
                    reported += 1;
                    progress.finish_file();
                    manifest.record(&jobs[index], &Ok(Rendered::from(&report)));
                }
                (Some(index), Err(error)) => {
                    reported += 1;
                    progress.finish_file();
                    manifest.record(&jobs[index], &Err(one_line(&error)));
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

/// Splits the jobs over `--jobs` worker processes (largest files first, each to the least
/// loaded worker), each with its own private server, and gathers their reports.
pub fn jack_workers(
    args: &RenderArgs,
    jobs: &[Job],
    manifest: &mut Manifest,
    signals: &Signals,
) -> Outcome {
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
    let mut progress = Progress::new(jobs.len(), args.out.quiet);
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
            Ok((worker, line)) => match serde_json::from_str::<FileReport>(&line) {
                Ok(report) => {
                    let Some(&job) = plans[worker].get(report.index) else {
                        progress.println("error: a worker reported a file it was not given");
                        continue;
                    };
                    reported += 1;
                    progress.finish_file();
                    manifest.record(job, &report.result);
                    if let Err(message) = report.result {
                        failures += 1;
                        progress.println(&format!("error: {}: {message}", job.midi.display()));
                    }
                }
                Err(error) => {
                    progress.println(&format!("error: unreadable worker report: {error}"))
                }
            },
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
    let mut stdout = std::io::stdout().lock();
    render_here(
        instrument,
        options,
        &plan.jobs,
        true,
        Sink::Parent(&mut stdout),
        signals,
    )
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
