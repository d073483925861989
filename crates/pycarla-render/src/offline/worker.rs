//! Worker processes: the offline engine runs plugins in a child process, so that a plugin that
//! crashes fails one file, never the caller. A worker renders one job at a time and is reused
//! for the next (Carla's library is loaded once per worker).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use carla_lib::CarlaLibrary;

use super::engine;
use super::protocol::{Done, Failure, Job, Reply};
use crate::error::{Error, Result};

/// The worker's executable name, installed beside `pycarla`.
pub const WORKER_EXE: &str = "pycarla-worker";

/// The environment variable that names the worker's executable.
pub const WORKER_EXE_VAR: &str = "PYCARLA_WORKER";

/// Lines of a worker's stderr kept for error messages.
const TAIL_LINES: usize = 20;

/// How long a dead worker's last stderr lines may take to be read.
const STDERR_END: Duration = Duration::from_secs(1);

/// How long a worker gets to exit after its stdin closes before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How often the caller looks at interrupts and deadlines while a worker renders.
const POLL: Duration = Duration::from_millis(20);

/// How to start a worker: a program and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
}

static WORKER_COMMAND: OnceLock<WorkerCommand> = OnceLock::new();

/// Makes this process start its workers with `program args…`: a program can be its own worker
/// (the `pycarla` command runs [`worker_main`] when called as `pycarla __worker`), so that it
/// needs no second executable. The first call wins.
pub fn set_worker_command(program: PathBuf, args: Vec<OsString>) {
    let _ = WORKER_COMMAND.set(WorkerCommand { program, args });
}

/// The worker to start: `$PYCARLA_WORKER`, else what [`set_worker_command`] set, else
/// `pycarla-worker` beside the running program (or one directory up, where cargo puts binaries
/// next to tests and examples), else on `PATH`.
pub fn worker_command() -> Result<WorkerCommand> {
    WorkerCommand::find(WORKER_EXE, WORKER_EXE_VAR, &WORKER_COMMAND)
}

impl WorkerCommand {
    /// The process to spawn: the program and its arguments, stdin and stdout piped, and
    /// `on_parent_death` sent to it when the thread that spawns it ends (so that it never
    /// outlives its caller).
    pub fn command(&self, on_parent_death: libc::c_int) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        // SAFETY: only an async-signal-safe call between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, on_parent_death) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }

    /// A helper executable of this crate (the worker, the JACK host), looked for the one way
    /// the docs promise for each: `$var`, else the command the program `set` (a program that is
    /// its own helper), else `exe` beside the running program (or one directory up, where cargo
    /// puts binaries next to tests and examples), else on `PATH`.
    pub fn find(exe: &str, var: &str, set: &OnceLock<WorkerCommand>) -> Result<WorkerCommand> {
        let program_only = |program: PathBuf| WorkerCommand {
            program,
            args: Vec::new(),
        };
        if let Some(exe) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Ok(program_only(PathBuf::from(exe)));
        }
        if let Some(command) = set.get() {
            return Ok(command.clone());
        }
        let beside = std::env::current_exe().ok().and_then(|current| {
            current
                .ancestors()
                .skip(1)
                .take(2)
                .map(|dir| dir.join(exe))
                .find(|candidate| candidate.is_file())
        });
        beside
            .or_else(|| crate::instrument::find_on_path(exe))
            .map(program_only)
            .ok_or_else(|| Error::Missing {
                program: exe.into(),
                hint: format!(
                    "it is installed with the pycarla-rs crate (cargo install pycarla-rs); or set {var}"
                ),
            })
    }
}

/// A running worker process.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Reply>,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// Disconnects when the stderr reader has read to the end (the worker's last words kept).
    stderr_done: Receiver<()>,
}

impl Worker {
    /// Starts `exe` as a worker. It dies with the thread that started it (parent-death
    /// signal), so it never outlives the caller.
    pub fn start(worker: &WorkerCommand) -> Result<Worker> {
        let exe = &worker.program;
        let mut command = worker.command(libc::SIGKILL);
        command.stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| Error::Io {
            path: exe.to_path_buf(),
            source,
        })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (sender, replies) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("pycarla-worker-out".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                    match serde_json::from_str::<Reply>(&line) {
                        Ok(reply) => {
                            if sender.send(reply).is_err() {
                                break;
                            }
                        }
                        Err(error) => tracing::warn!(%error, line, "unreadable worker reply"),
                    }
                }
            })
            .map_err(|source| Error::Io {
                path: exe.to_path_buf(),
                source,
            })?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let kept = tail.clone();
        let (reading, stderr_done) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("pycarla-worker-err".into())
            .spawn(move || {
                let _reading = reading;
                for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                    tracing::debug!(target: "pycarla_render::worker", "{line}");
                    let mut tail = kept.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            })
            .map_err(|source| Error::Io {
                path: exe.to_path_buf(),
                source,
            })?;
        Ok(Worker {
            child,
            stdin,
            replies,
            tail,
            stderr_done,
        })
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Renders `job`, calling `on_tick(done, total)` as it goes. Ends early, killing the
    /// worker, when `interrupt` is set or `timeout` passes; a worker that dies fails the job
    /// with its signal and last output (and must be replaced).
    /// `limits` are the whole render's timeout and, once it renders, the longest wait for the
    /// next block (`None`: no such limit).
    pub fn render(
        &mut self,
        job: &Job,
        chain: &str,
        interrupt: Option<&AtomicBool>,
        limits: (Duration, Option<Duration>),
        on_tick: &mut dyn FnMut(u64, u64),
    ) -> Result<Done> {
        match self.exchange(job, chain, interrupt, limits, on_tick)? {
            Reply::Done(done) => Ok(done),
            _ => Err(Error::Worker {
                message: "the worker answered a render with something else".into(),
            }),
        }
    }

    /// What Carla sees in each plugin of `job`'s chain (loaded, not rendered).
    pub fn describe(
        &mut self,
        job: &Job,
        chain: &str,
        timeout: Duration,
    ) -> Result<Vec<crate::settings::PluginDescription>> {
        let job = Job {
            describe: true,
            ..job.clone()
        };
        match self.exchange(&job, chain, None, (timeout, None), &mut |_, _| {})? {
            Reply::Described(plugins) => Ok(plugins),
            _ => Err(Error::Worker {
                message: "the worker answered a description with something else".into(),
            }),
        }
    }

    /// Sends `job` and waits for its final reply (progress goes to `on_tick`).
    fn exchange(
        &mut self,
        job: &Job,
        chain: &str,
        interrupt: Option<&AtomicBool>,
        (timeout, stall): (Duration, Option<Duration>),
        on_tick: &mut dyn FnMut(u64, u64),
    ) -> Result<Reply> {
        let mut line = serde_json::to_string(job).expect("jobs serialise");
        line.push('\n');
        let sent = self.stdin.as_mut().map(|stdin| {
            stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush())
        });
        if !matches!(sent, Some(Ok(()))) {
            return Err(self.died(chain));
        }
        let deadline = Instant::now() + timeout;
        let mut done_frames = 0;
        // Set once the worker renders (its first progress line): loading is bounded by the
        // whole render's timeout alone, since a large SoundFont may take its time.
        let mut last_block: Option<Instant> = None;
        loop {
            if let (Some(stall), Some(last)) = (stall, last_block)
                && last.elapsed() > stall
            {
                let seconds = last.elapsed().as_secs_f64();
                self.kill();
                return Err(Error::PluginStalled {
                    chain: chain.to_string(),
                    seconds,
                    done_frames,
                    pid: self.child.id(),
                });
            }
            if interrupt.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                self.kill();
                return Err(rt_core::Error::Interrupted { done_frames }.into());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(rt_core::Error::Timeout {
                    seconds: timeout.as_secs_f64(),
                    done_frames,
                    total_frames: job.total,
                }
                .into());
            }
            match self.replies.recv_timeout(POLL) {
                Ok(Reply::Progress { done, total }) => {
                    done_frames = done;
                    last_block = Some(Instant::now());
                    on_tick(done, total);
                }
                Ok(Reply::Failed(failure)) => return Err(failure_error(failure, chain)),
                Ok(reply) => return Ok(reply),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(self.died(chain)),
            }
        }
    }

    /// Whether the process still runs.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The worker ended without answering: how (its signal or exit code) and its last words.
    fn died(&mut self, chain: &str) -> Error {
        let status = match self.child.wait() {
            Ok(status) => match status.signal() {
                Some(signal) => format!(
                    "killed by {}",
                    nix::sys::signal::Signal::try_from(signal)
                        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string())
                ),
                None => status.to_string(),
            },
            Err(error) => format!("unknown exit: {error}"),
        };
        // The stderr reader may still hold the last lines: wait (briefly) until it reads the end.
        let _ = self.stderr_done.recv_timeout(STDERR_END);
        let tail = self
            .tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        Error::PluginCrashed {
            chain: chain.to_string(),
            pid: self.child.id(),
            status,
            tail,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    /// Closes the worker's stdin (it exits at end of input), waits a little, then kills it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + EXIT_GRACE;
        while self.is_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.kill();
    }
}

fn failure_error(failure: Failure, chain: &str) -> Error {
    match failure {
        Failure::NoCarla(message) => Error::Missing {
            program: "Carla".into(),
            hint: message,
        },
        Failure::Load(message) => Error::PluginLoad {
            chain: chain.to_string(),
            message,
        },
        Failure::Output(message) | Failure::Job(message) => Error::Worker { message },
    }
}

/// The worker's `main`: jobs on stdin, replies on stdout, one JSON object a line, until stdin
/// closes. Carla and plugins print to stdout too: the protocol gets a private copy of stdout
/// and everything else printed goes to stderr.
pub fn worker_main() -> ExitCode {
    let protocol = match private_stdout() {
        Ok(protocol) => protocol,
        Err(error) => {
            eprintln!("pycarla-worker: cannot set up its output: {error}");
            return ExitCode::from(2);
        }
    };
    let mut protocol = std::io::LineWriter::new(protocol);
    let mut libraries: Vec<(PathBuf, Arc<CarlaLibrary>)> = Vec::new();
    // The last file's engine, destroyed once the next file's engine is loaded: its teardown
    // (which waits for Carla's idle thread) then runs beside the next render.
    let mut previous: Option<carla_lib::Engine> = None;
    let mut retiring: Option<std::thread::JoinHandle<()>> = None;
    let mut send = move |reply: &Reply| -> bool {
        let line = serde_json::to_string(reply).expect("replies serialise");
        writeln!(protocol, "{line}").is_ok()
    };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Job>(&line) {
            Err(error) => Reply::Failed(Failure::Job(format!("unreadable job: {error}"))),
            Ok(job) => {
                let library = match libraries.iter().find(|(path, _)| *path == job.library) {
                    Some((_, library)) => Ok(library.clone()),
                    None => CarlaLibrary::open(&job.library)
                        .map(Arc::new)
                        .inspect(|library| libraries.push((job.library.clone(), library.clone())))
                        .map_err(|error| Failure::NoCarla(error.to_string())),
                };
                let mut alive = true;
                let result = library
                    .and_then(|library| engine::load(&library, &job))
                    .and_then(|mut loaded| {
                        if let Some(old) = previous.take() {
                            if let Some(handle) = retiring.take() {
                                let _ = handle.join();
                            }
                            retiring = Some(old.retire());
                        }
                        let rendered = if job.describe {
                            job.save_state
                                .as_deref()
                                .map_or(Ok(()), |path| engine::save_state(&loaded, path))
                                .map(|()| Reply::Described(engine::describe(&loaded)))
                        } else {
                            engine::render(&mut loaded, &job, |done, total| {
                                alive &= send(&Reply::Progress { done, total });
                            })
                            .map(Reply::Done)
                        };
                        previous = Some(loaded.engine);
                        rendered
                    });
                if !alive {
                    break;
                }
                match result {
                    Ok(reply) => reply,
                    Err(failure) => Reply::Failed(failure),
                }
            }
        };
        if !send(&reply) {
            break;
        }
    }
    drop(previous);
    if let Some(handle) = retiring {
        let _ = handle.join();
    }
    ExitCode::SUCCESS
}

/// A duplicate of stdout for the protocol, with fd 1 then pointed at stderr.
pub(crate) fn private_stdout() -> std::io::Result<std::fs::File> {
    let stdout = std::io::stdout();
    let _lock = stdout.lock();
    // SAFETY: plain descriptor calls on this process's own standard streams.
    unsafe {
        let copy = libc::dup(stdout.as_raw_fd());
        if copy < 0 || libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::fcntl(copy, libc::F_SETFD, libc::FD_CLOEXEC);
        Ok(std::fs::File::from_raw_fd(copy))
    }
}
