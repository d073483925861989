//! The `pycarla` command line: argument parsing, commands, exit codes, signals. The library
//! (`pycarla-rs`, its dataset layer for `render`) does the work; this crate owns what only a
//! terminal needs: clap, progress bars, logging to stderr, signal handling, and the worker
//! processes of `--jobs` on JACK. See `pycarla --help`.

mod args;
mod commands;
mod progress;
mod render;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use args::{Cli, Command};

/// How a command ended, and the exit code that says so.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Ok,
    /// Something failed (already reported on stderr).
    Failed,
    /// The command line does not make sense.
    Usage(String),
    /// Stopped by a signal: 130 for SIGINT, 143 for SIGTERM.
    Interrupted(u8),
}

impl Outcome {
    fn usage(message: impl Into<String>) -> Outcome {
        Outcome::Usage(message.into())
    }

    fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
            Outcome::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Outcome::Interrupted(code) => ExitCode::from(*code),
        }
    }
}

/// SIGINT and SIGTERM set flags instead of killing the process, so that a render in progress
/// stops its children, finalizes its WAV and exits with 130 or 143; a second one exits at once.
#[derive(Debug, Clone)]
pub struct Signals {
    any: Arc<AtomicBool>,
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

impl Signals {
    fn install() -> Signals {
        let signals = Signals {
            any: Arc::new(AtomicBool::new(false)),
            int: Arc::new(AtomicBool::new(false)),
            term: Arc::new(AtomicBool::new(false)),
        };
        for (signal, flag, code) in [
            (signal_hook::consts::SIGINT, &signals.int, 130),
            (signal_hook::consts::SIGTERM, &signals.term, 143),
        ] {
            // A second signal while the first one's clean stop is under way ends the process at
            // once (its children go too: they have a parent-death signal).
            let registered =
                signal_hook::flag::register_conditional_shutdown(signal, code, signals.any.clone())
                    .and_then(|_| signal_hook::flag::register(signal, flag.clone()))
                    .and_then(|_| signal_hook::flag::register(signal, signals.any.clone()));
            if let Err(error) = registered {
                tracing::warn!(%error, signal, "cannot handle the signal");
            }
        }
        signals
    }

    /// The flag a render watches.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.any.clone()
    }

    /// The exit code of the signal caught, if any.
    pub fn caught(&self) -> Option<u8> {
        if self.int.load(Ordering::Relaxed) {
            Some(130)
        } else if self.term.load(Ordering::Relaxed) {
            Some(143)
        } else {
            None
        }
    }

    /// `Interrupted` when a signal came, else `outcome`.
    pub fn outcome_or(&self, outcome: Outcome) -> Outcome {
        self.caught().map_or(outcome, Outcome::Interrupted)
    }
}

/// The hidden first argument that makes `pycarla` an offline worker of another `pycarla`.
const WORKER_ARG: &str = "__worker";

/// The hidden first argument that makes `pycarla` a JACK worker of another `pycarla`
/// (`--jobs N` on JACK: one process per private server).
const JACK_WORKER_ARG: &str = "__jack-worker";

/// The hidden first argument that makes `pycarla` the JACK engine's Carla host.
const JACK_HOST_ARG: &str = "__jack-host";

fn main() -> ExitCode {
    let first = std::env::args_os().nth(1);
    // `pycarla` is its own offline worker: no second executable to install.
    if first.as_deref().is_some_and(|arg| arg == WORKER_ARG) {
        return pycarla::offline::worker_main();
    }
    // Its own Carla host too: Carla's engine on JACK without Carla's front end.
    if first.as_deref().is_some_and(|arg| arg == JACK_HOST_ARG) {
        return pycarla::jack_host::jack_host_main(std::env::args_os().skip(2));
    }
    if let Ok(exe) = std::env::current_exe() {
        pycarla::jack_host::set_jack_host_command(exe.clone(), vec![JACK_HOST_ARG.into()]);
        pycarla::offline::set_worker_command(exe.clone(), vec![WORKER_ARG.into()]);
        pycarla::dataset::set_jack_worker_command(exe, vec![JACK_WORKER_ARG.into()]);
    }
    // And its own JACK worker, for `--jobs N` on JACK.
    if first.as_deref().is_some_and(|arg| arg == JACK_WORKER_ARG) {
        init_logging(true);
        return pycarla::dataset::jack_worker_main();
    }
    run(<Cli as clap::Parser>::parse())
}

/// Runs the command line.
fn run(cli: Cli) -> ExitCode {
    let quiet = match &cli.command {
        Command::Render(args) => args.out.quiet,
        Command::Note(args) => args.out.quiet,
        _ => false,
    };
    init_logging(quiet);
    let signals = Signals::install();
    let outcome = match &cli.command {
        Command::Render(args) => render::render(args, &signals),
        Command::Note(args) => render::note(args, &signals),
        Command::Duration { midi } => commands::duration(midi),
        Command::Ports { server } => commands::ports(server.as_deref()),
        Command::Doctor { json } => commands::doctor(*json),
        Command::Plugin {
            spec,
            json,
            save_state,
            controls,
        } => commands::plugin(spec, *json, controls, save_state.as_deref()),
        Command::Download(args) => commands::download(args),
        Command::Run { project } => commands::run_carla(project.as_deref()),
    };
    outcome.exit_code()
}

/// Logs go to stderr through `tracing`; `RUST_LOG` overrides the level (warn, or error with -q).
fn init_logging(quiet: bool) {
    let default = if quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
