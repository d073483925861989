//! pycarla's own Carla host for the JACK engine: Carla's engine on JACK through
//! `libcarla_standalone2.so` ([`carla_lib::standalone`]), in place of `carla -n project`
//! (Carla's Python/Qt front end, about half a second to start before it loads anything).
//!
//! It runs as a child of the renderer — the `pycarla-jack-host` executable, or `pycarla
//! __jack-host` — so that a crashing plugin kills it, not the caller, and it speaks
//! proc-supervisor's line [`protocol`](proc_supervisor::protocol): `ready` once the project or
//! the chain is loaded (the client and its ports exist by then), or a failure line naming the
//! plugin with Carla's own reason, then exit. It runs until its standard input closes or it
//! gets SIGTERM/SIGINT, then closes the engine (the client leaves the server cleanly).
//!
//! ```text
//! pycarla-jack-host [--client NAME] [--library FILE] [--wait-server]
//!                   (--project FILE.carxp | --plugin SPEC… [--set [N:]PARAM=VALUE…])
//! ```
//!
//! `--set` sets a parameter of the chain's N-th plugin once it is loaded, before `ready`,
//! checked as the offline engine checks it (a parameter unknown or out of range fails).
//!
//! With `--wait-server` it loads Carla's library and checks the plugins, then waits for a
//! `server NAME` line on its standard input before it opens its client, so that it can start
//! while the server is still starting.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use carla_lib::standalone::{Driver, StandaloneEngine, StandaloneLibrary};
use carla_lib::{EngineKind, Plugin, PluginSpec};
use proc_supervisor::protocol;

use crate::error::{Error, Result};
use crate::offline::WorkerCommand;

/// The host's executable name, installed beside `pycarla`.
pub const JACK_HOST_EXE: &str = "pycarla-jack-host";

/// The environment variable that names the host's executable.
pub const JACK_HOST_EXE_VAR: &str = "PYCARLA_JACK_HOST";

/// How often Carla's housekeeping runs (what Carla's front end does with its idle timer).
const IDLE_EVERY: Duration = Duration::from_millis(20);

static JACK_HOST_COMMAND: OnceLock<WorkerCommand> = OnceLock::new();

/// Makes this process start its Carla hosts with `program args…` (the `pycarla` command runs
/// [`jack_host_main`] when called as `pycarla __jack-host`). The first call wins.
pub fn set_jack_host_command(program: PathBuf, args: Vec<OsString>) {
    let _ = JACK_HOST_COMMAND.set(WorkerCommand { program, args });
}

/// The Carla host to start: `$PYCARLA_JACK_HOST`, else what [`set_jack_host_command`] set, else
/// `pycarla-jack-host` beside the running program (or one directory up, where cargo puts
/// binaries next to tests), else on `PATH`.
pub fn jack_host_command() -> Result<WorkerCommand> {
    WorkerCommand::find(JACK_HOST_EXE, JACK_HOST_EXE_VAR, &JACK_HOST_COMMAND)
}

/// `libcarla_standalone2.so` of the first usable Carla found.
pub fn standalone_library() -> Result<PathBuf> {
    standalone_library_for(&[])
}

/// `libcarla_standalone2.so` of the Carla that hosts `formats` (Carla installs its libraries
/// side by side).
pub fn standalone_library_for(formats: &[carla_lib::Format]) -> Result<PathBuf> {
    let install = crate::carla::carla_for_jack(formats)?;
    let beside = install
        .library
        .with_file_name(carla_lib::standalone::STANDALONE_LIBRARY_NAME);
    if beside.is_file() {
        return Ok(beside);
    }
    Err(Error::Missing {
        program: "Carla's standalone library".into(),
        hint: format!(
            "{} has no {}; {}",
            install.describe(),
            carla_lib::standalone::STANDALONE_LIBRARY_NAME,
            crate::carla::INSTALL_HINT
        ),
    })
}

/// What the host loads.
#[derive(Debug)]
enum Load {
    Project(PathBuf),
    Plugins(Vec<String>),
}

/// The command line.
#[derive(Debug)]
struct Args {
    client: String,
    library: Option<PathBuf>,
    wait_server: bool,
    load: Load,
    settings: Vec<crate::settings::ParameterSetting>,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> std::result::Result<Args, String> {
    let mut args = args.into_iter();
    let mut client = "Carla".to_string();
    let mut library = None;
    let mut wait_server = false;
    let mut project = None;
    let mut plugins = Vec::new();
    let mut settings = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{} needs a value", arg.to_string_lossy()))
        };
        match arg.to_str() {
            Some("--client") => client = value()?.to_string_lossy().into_owned(),
            Some("--library") => library = Some(PathBuf::from(value()?)),
            Some("--wait-server") => wait_server = true,
            Some("--project") => project = Some(PathBuf::from(value()?)),
            Some("--plugin") => plugins.push(value()?.to_string_lossy().into_owned()),
            Some("--set") => settings.push(
                value()?
                    .to_string_lossy()
                    .parse()
                    .map_err(|e: Error| e.to_string())?,
            ),
            _ => return Err(format!("unknown argument {}", arg.to_string_lossy())),
        }
    }
    let load = match (project, plugins.is_empty()) {
        (Some(project), true) => Load::Project(project),
        (None, false) => Load::Plugins(plugins),
        _ => return Err("give either --project FILE or one or more --plugin SPEC".into()),
    };
    if !settings.is_empty() && matches!(load, Load::Project(_)) {
        return Err("--set applies to a --plugin chain".into());
    }
    Ok(Args {
        client,
        library,
        wait_server,
        load,
        settings,
    })
}

/// The protocol's output: a private copy of stdout (Carla and plugins print on fd 1, which
/// now goes to stderr).
struct Reporter {
    out: std::io::LineWriter<std::fs::File>,
}

impl Reporter {
    fn ready(&mut self) {
        let _ = writeln!(self.out, "{}", protocol::READY);
    }

    /// Reports the failure and gives the exit code.
    fn failed(&mut self, what: &str, message: &str) -> ExitCode {
        let _ = writeln!(self.out, "{}", protocol::failed_line(what, message));
        ExitCode::FAILURE
    }
}

/// Set by SIGTERM/SIGINT.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// The host's `main` (see the module's documentation); `args` without the program name.
pub fn jack_host_main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let started = Instant::now();
    let out = match crate::offline::private_stdout() {
        Ok(out) => out,
        Err(error) => {
            eprintln!("{JACK_HOST_EXE}: cannot set up its output: {error}");
            return ExitCode::from(2);
        }
    };
    let mut report = Reporter {
        out: std::io::LineWriter::new(out),
    };
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores to an atomic.
        unsafe { libc::signal(signal, on_stop_signal as *const () as libc::sighandler_t) };
    }
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(message) => return report.failed("command line", &message),
    };
    // Everything that needs no server first: with --wait-server it overlaps the server's start.
    let plugins = match &args.load {
        Load::Project(path) if !path.is_file() => {
            return report.failed(
                &path.display().to_string(),
                "the Carla project does not exist",
            );
        }
        Load::Project(_) => Vec::new(),
        Load::Plugins(specs) => {
            let mut plugins = Vec::new();
            for spec in specs {
                match PluginSpec::parse(spec).and_then(|spec| spec.resolve()) {
                    Ok(plugin) => plugins.push(plugin),
                    Err(error) => return report.failed(spec, &error.to_string()),
                }
            }
            plugins
        }
    };
    let library = match &args.library {
        Some(path) => StandaloneLibrary::open(path),
        None => StandaloneLibrary::find(&[]),
    };
    let library = match library {
        Ok(library) => Arc::new(library),
        Err(error) => return report.failed("Carla", &error.to_string()),
    };
    let kind = match &args.load {
        Load::Project(path) => std::fs::read_to_string(path)
            .map(|xml| EngineKind::for_project(&xml))
            .unwrap_or(EngineKind::Patchbay),
        Load::Plugins(_) => EngineKind::Rack,
    };
    eprintln!(
        "{JACK_HOST_EXE}: Carla's library loaded after {:?}",
        started.elapsed()
    );
    if args.wait_server {
        match wait_for_server() {
            // SAFETY: no other thread of this process reads the environment yet (Carla's
            // threads start with its engine, below).
            Some(server) => unsafe { std::env::set_var("JACK_DEFAULT_SERVER", server) },
            // The supervisor gave up before the server came: nothing to do.
            None => return ExitCode::SUCCESS,
        }
    }
    let waited = Instant::now();
    let mut engine = match StandaloneEngine::start(library, Driver::Jack, kind, &args.client) {
        Ok(engine) => engine,
        Err(error) => return report.failed("JACK", &error.to_string()),
    };
    let client_open = waited.elapsed();
    let loaded = match &args.load {
        Load::Project(path) => engine
            .load_project(path)
            .map_err(|error| (path.display().to_string(), error)),
        Load::Plugins(_) => load_chain(&mut engine, &plugins)
            .and_then(|()| apply_settings(&mut engine, &args.settings)),
    };
    if let Err((what, error)) = loaded {
        return report.failed(&what, &error.to_string());
    }
    engine.play();
    eprintln!(
        "{JACK_HOST_EXE}: ready after {:?} (after the server was known: client {client_open:?}, loaded {:?})",
        started.elapsed(),
        waited.elapsed()
    );
    report.ready();
    let code = run(&mut engine);
    let closing = Instant::now();
    if let Err(error) = engine.close() {
        eprintln!("{JACK_HOST_EXE}: {error}");
    }
    eprintln!("{JACK_HOST_EXE}: closed in {:?}", closing.elapsed());
    code
}

/// The chain into the rack: the instrument first (it must take MIDI), effects after it.
fn load_chain(
    engine: &mut StandaloneEngine,
    plugins: &[Plugin],
) -> std::result::Result<(), (String, carla_lib::Error)> {
    for (index, plugin) in plugins.iter().enumerate() {
        let added = if index == 0 {
            engine.add_instrument(plugin)
        } else {
            engine.add_plugin(plugin)
        };
        added.map_err(|error| (plugin.name.clone(), error))?;
    }
    Ok(())
}

/// Sets each parameter, resolved and checked against what Carla reports of the plugin.
fn apply_settings(
    engine: &mut StandaloneEngine,
    settings: &[crate::settings::ParameterSetting],
) -> std::result::Result<(), (String, carla_lib::Error)> {
    for setting in settings {
        let id = (setting.plugin - 1) as u32;
        let name = format!("plugin {}", setting.plugin);
        if id >= engine.plugin_count() {
            return Err((
                name,
                carla_lib::Error::BadSpec {
                    spec: setting.to_string(),
                    reason: format!("the chain has {} plugin(s)", engine.plugin_count()),
                },
            ));
        }
        let info = engine.plugin_info(id);
        let parameter = info
            .parameter(&info.name, &setting.parameter)
            .and_then(|p| Ok((p.index, p.check(&info.name, setting.value as f32)?)))
            .map_err(|error| (info.name.clone(), error))?;
        engine.set_parameter(id, parameter.0, parameter.1);
    }
    Ok(())
}

/// The server named on stdin (`None` when stdin closes first).
fn wait_for_server() -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {
                if let Some(server) = protocol::parse_server(&line) {
                    return Some(server.to_string());
                }
                eprintln!("{JACK_HOST_EXE}: ignored input line {:?}", line.trim_end());
            }
        }
    }
}

/// Carla's housekeeping until stdin closes, a stop signal comes, or the engine stops (its
/// server went away: exit status 1).
fn run(engine: &mut StandaloneEngine) -> ExitCode {
    let stdin = std::io::stdin();
    let fd = stdin.as_raw_fd();
    let mut buffer = [0u8; 256];
    loop {
        if STOP.load(Ordering::SeqCst) {
            return ExitCode::SUCCESS;
        }
        if !engine.is_running() {
            eprintln!("{JACK_HOST_EXE}: Carla's engine stopped (the JACK server went away?)");
            return ExitCode::FAILURE;
        }
        engine.idle();
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, IDLE_EVERY.as_millis() as libc::c_int) };
        if ready > 0 {
            // Input is ignored; end of input (or a broken stdin) ends the host.
            // SAFETY: reading into a local buffer from our own stdin.
            let read = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
            if read <= 0 {
                return ExitCode::SUCCESS;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> std::result::Result<Args, String> {
        parse_args(words.iter().map(OsString::from))
    }

    #[test]
    fn the_command_line_takes_a_project_or_a_chain() {
        let parsed = args(&["--client", "C-1", "--plugin", "urn:a", "--plugin", "urn:b"]).unwrap();
        assert_eq!(parsed.client, "C-1");
        assert!(matches!(parsed.load, Load::Plugins(ref p) if p.len() == 2));
        let parsed = args(&["--wait-server", "--project", "/p.carxp"]).unwrap();
        assert!(parsed.wait_server);
        assert!(matches!(parsed.load, Load::Project(_)));
        for bad in [
            &["--project", "/p", "--plugin", "urn:a"][..],
            &[],
            &["--client"],
            &["--frobnicate"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
    }
}
