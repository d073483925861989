//! Synth hosts: Carla, fluidsynth, jalv, or any command that registers JACK ports.
//!
//! Each host registers as a JACK client whose name the supervisor picks, so it knows the glob of
//! the host's MIDI input and of its audio outputs before it starts. A host is *ready* when both
//! globs match ports, and, for hosts that announce it (Carla's `Carla ready!`), when the
//! announcement has been printed: Carla registers its ports before its project has loaded.
//! A failure line (Carla's "Failed to load a plugin") before that is an error, not a silent
//! render.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use rt_core::client::PortKind;

use crate::carla;
use crate::child::{ExitWatch, Supervised, jack_command};
use crate::error::{Error, Result};
use crate::ports::{self, Backoff, Probe, jack_error, quote_all};
use crate::server::RunningServer;

/// The General MIDI SoundFont of Debian's `fluid-soundfont-gm`.
pub const DEFAULT_SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// How long a stopped host's JACK client may take to leave the server.
const CLIENT_GONE_TIMEOUT: Duration = Duration::from_secs(2);

/// Which program, and how it names its ports.
#[derive(Clone, Debug)]
enum Kind {
    Carla {
        executable: Option<PathBuf>,
        project: PathBuf,
    },
    Fluidsynth {
        soundfont: PathBuf,
    },
    Jalv {
        uri: String,
    },
    Command {
        program: PathBuf,
        args: Vec<OsString>,
    },
}

/// Port globs: derived from the client name, or given as they are.
#[derive(Clone, Debug)]
enum PortGlobs {
    /// `client:` + these suffix globs.
    OfClient {
        midi: &'static str,
        audio: &'static str,
    },
    /// Full globs.
    Given { midi: String, audio: String },
}

/// How to run a synth host: a builder for [`RunningHost`].
///
/// ```no_run
/// use proc_supervisor::{Host, JackServer};
/// let server = JackServer::dummy().start()?;
/// let synth = Host::fluidsynth(proc_supervisor::DEFAULT_SOUNDFONT).start(&server)?;
/// println!("play into {:?}", synth.ports()?.midi_in);
/// # Ok::<(), proc_supervisor::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Host {
    kind: Kind,
    client_name: String,
    globs: PortGlobs,
    extra_args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    ready_lines: Vec<String>,
    failure_lines: Vec<String>,
    ready_timeout: Duration,
    min_wait: Duration,
    stop_timeout: Duration,
}

impl Host {
    fn new(kind: Kind, client_name: &str, globs: PortGlobs) -> Self {
        Host {
            kind,
            client_name: client_name.to_string(),
            globs,
            extra_args: Vec::new(),
            env: Vec::new(),
            ready_lines: Vec::new(),
            failure_lines: Vec::new(),
            ready_timeout: Duration::from_secs(20),
            min_wait: Duration::ZERO,
            stop_timeout: Duration::from_secs(3),
        }
    }

    /// Carla, headless, running `project` (a `.carxp`), as client `Carla`.
    ///
    /// `executable` is Carla's path (e.g. the one carla-fetch installed); `None` looks for
    /// `Carla`, then `carla`, on `PATH`. The child gets a private configuration (patchbay
    /// mode, OSC off) through `XDG_CONFIG_HOME`; the user's `~/.config` is never touched.
    pub fn carla(executable: Option<PathBuf>, project: impl Into<PathBuf>) -> Self {
        let mut host = Host::new(
            Kind::Carla {
                executable,
                project: project.into(),
            },
            "Carla",
            PortGlobs::OfClient {
                midi: "events-in",
                audio: "audio-out*",
            },
        );
        host.ready_lines.push(carla::READY_LINE.to_string());
        host.failure_lines
            .extend(carla::FAILURE_LINES.iter().map(|l| l.to_string()));
        host
    }

    /// fluidsynth playing `soundfont`, as client `fluidsynth` (ports `midi_00`, `left`, `right`).
    pub fn fluidsynth(soundfont: impl Into<PathBuf>) -> Self {
        let mut host = Host::new(
            Kind::Fluidsynth {
                soundfont: soundfont.into(),
            },
            "fluidsynth",
            PortGlobs::OfClient {
                midi: "midi*",
                audio: "[lr]*",
            },
        );
        host.failure_lines
            .extend(["not a soundfont", "failed to load"].map(String::from));
        host
    }

    /// jalv hosting the LV2 plugin `uri`, as client `jalv`. jalv names its ports after the
    /// plugin's (`lv2_events_in`, `lv2_audio_out_1`, `event_in`, …): its MIDI input and audio
    /// outputs are found by type, whatever their names.
    pub fn jalv(uri: impl Into<String>) -> Self {
        Host::new(
            Kind::Jalv { uri: uri.into() },
            "jalv",
            PortGlobs::OfClient {
                midi: "*",
                audio: "*",
            },
        )
    }

    /// Any program: `args` as given, its MIDI input and audio outputs found by full globs
    /// (`client:port`). The client name is the program's business.
    pub fn command<S: Into<OsString>>(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = S>,
        midi_port_glob: impl Into<String>,
        audio_ports_glob: impl Into<String>,
    ) -> Self {
        let program = program.into();
        let name = program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Host::new(
            Kind::Command {
                program,
                args: args.into_iter().map(Into::into).collect(),
            },
            &name,
            PortGlobs::Given {
                midi: midi_port_glob.into(),
                audio: audio_ports_glob.into(),
            },
        )
    }

    /// The JACK client name to register (Carla, fluidsynth, jalv); the port globs follow it.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }

    /// Extra arguments (before the SoundFont, plugin or project; e.g. fluidsynth's `-g 0.5`).
    pub fn args<S: Into<OsString>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An environment variable for the child.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Ready only once the child printed a line containing `text` (case-insensitive).
    pub fn ready_line(mut self, text: impl Into<String>) -> Self {
        self.ready_lines.push(text.into());
        self
    }

    /// A line containing `text` (case-insensitive) while starting means failure.
    pub fn failure_line(mut self, text: impl Into<String>) -> Self {
        self.failure_lines.push(text.into());
        self
    }

    /// How long the host may take to become ready (default 20 s; Carla with big sample
    /// libraries may need more).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// An extra wait after readiness (default none), for plugins that keep loading after
    /// their host said it is ready: pycarla's `min_wait`.
    pub fn min_wait(mut self, wait: Duration) -> Self {
        self.min_wait = wait;
        self
    }

    /// How long the host gets to exit after SIGTERM before SIGKILL (default 3 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// The glob of the host's MIDI input port.
    pub fn midi_port_glob(&self) -> String {
        match &self.globs {
            PortGlobs::OfClient { midi, .. } => {
                format!("{}:{midi}", glob::Pattern::escape(&self.client_name))
            }
            PortGlobs::Given { midi, .. } => midi.clone(),
        }
    }

    /// The glob of the host's audio outputs (one recorded channel each).
    pub fn audio_ports_glob(&self) -> String {
        match &self.globs {
            PortGlobs::OfClient { audio, .. } => {
                format!("{}:{audio}", glob::Pattern::escape(&self.client_name))
            }
            PortGlobs::Given { audio, .. } => audio.clone(),
        }
    }

    /// The MIDI input glob and the audio outputs glob, each with the kind of port it must match.
    fn port_globs(&self) -> [(String, PortKind); 2] {
        [
            (self.midi_port_glob(), PortKind::MidiInput),
            (self.audio_ports_glob(), PortKind::AudioOutput),
        ]
    }

    /// Starts the host on `server` and waits until it is ready.
    pub fn start(&self, server: &RunningServer) -> Result<RunningHost> {
        let mut host = RunningHost {
            config: self.clone(),
            server: server.name().to_string(),
            child: None,
            config_dir: None,
            last_exit: None,
            last_tail: String::new(),
        };
        host.launch(Some(server))?;
        Ok(host)
    }

    /// Starts the host on the server called `server` (which somebody else runs).
    pub fn start_on(&self, server: &str) -> Result<RunningHost> {
        let mut host = RunningHost {
            config: self.clone(),
            server: server.to_string(),
            child: None,
            config_dir: None,
            last_exit: None,
            last_tail: String::new(),
        };
        host.launch(None)?;
        Ok(host)
    }

    /// What the host is, for messages.
    fn what(&self) -> String {
        let program = match &self.kind {
            Kind::Carla { .. } => "Carla".to_string(),
            Kind::Fluidsynth { .. } => "fluidsynth".to_string(),
            Kind::Jalv { .. } => "jalv".to_string(),
            Kind::Command { program, .. } => program.display().to_string(),
        };
        format!("{program} (client `{}`)", self.client_name)
    }

    /// The command line and, for Carla, its private configuration directory.
    fn build_command(
        &self,
        server: &str,
    ) -> Result<(std::process::Command, Option<tempfile::TempDir>)> {
        let name = &self.client_name;
        if name.contains('\0') || name.is_empty() {
            return Err(Error::Invalid {
                what: "JACK client name".into(),
                value: name.clone(),
                reason: "it is empty or holds a NUL byte".into(),
            });
        }
        let mut config_dir = None;
        let command = match &self.kind {
            Kind::Carla {
                executable,
                project,
            } => {
                let executable = match executable {
                    Some(path) => path.clone(),
                    None => carla::find_on_path()?,
                };
                let project = existing_file("Carla project", project)?;
                let dir = carla::private_config()?;
                let mut command = jack_command(executable, server);
                command
                    .env("XDG_CONFIG_HOME", dir.path())
                    .env("CARLA_CLIENT_NAME", name)
                    .arg("-n")
                    .args(&self.extra_args)
                    .arg(project);
                config_dir = Some(dir);
                command
            }
            Kind::Fluidsynth { soundfont } => {
                let soundfont = existing_file("SoundFont", soundfont)?;
                let mut command = jack_command("fluidsynth", server);
                command.args(["-a", "jack", "-m", "jack"]);
                for option in [
                    format!("audio.jack.id={name}"),
                    format!("midi.jack.id={name}"),
                    "audio.jack.autoconnect=0".into(),
                    "midi.autoconnect=0".into(),
                ] {
                    command.arg("-o").arg(option);
                }
                command.args(&self.extra_args).arg(soundfont);
                command
            }
            Kind::Jalv { uri } => {
                let mut command = jack_command("jalv", server);
                // -x: exit rather than register under another name than the one we look for.
                command
                    .args(["-x", "-n", name])
                    .args(&self.extra_args)
                    .arg(uri);
                command
            }
            Kind::Command { program, args } => {
                let mut command = jack_command(program, server);
                command.args(args).args(&self.extra_args);
                command
            }
        };
        let mut command = command;
        for (key, value) in &self.env {
            command.env(key, value);
        }
        Ok((command, config_dir))
    }
}

/// Canonical path of a file that must exist (the child runs elsewhere; Carla wants it absolute).
fn existing_file(what: &str, path: &Path) -> Result<PathBuf> {
    let file_error = |source| Error::File {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let canonical = path.canonicalize().map_err(file_error)?;
    if !canonical.is_file() {
        return Err(file_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    Ok(canonical)
}

/// The ports of a running host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostPorts {
    /// Matches of the MIDI input glob (normally one).
    pub midi_in: Vec<String>,
    /// Matches of the audio outputs glob, in JACK's order.
    pub audio_out: Vec<String>,
}

/// A synth host in use. Dropping it stops it.
#[derive(Debug)]
pub struct RunningHost {
    config: Host,
    server: String,
    child: Option<Supervised>,
    config_dir: Option<tempfile::TempDir>,
    last_exit: Option<ExitStatus>,
    last_tail: String,
}

impl RunningHost {
    /// Spawns the child and waits for readiness; on any failure the child is stopped.
    fn launch(&mut self, server: Option<&RunningServer>) -> Result<()> {
        let config = &self.config;
        let (command, config_dir) = config.build_command(&self.server)?;
        let markers: Vec<&str> = config
            .ready_lines
            .iter()
            .chain(&config.failure_lines)
            .map(String::as_str)
            .collect();
        let mut child = Supervised::spawn(command, config.what(), &markers, config.stop_timeout)?;
        let started = Instant::now();
        if let Err(error) = self.await_ready(&child, server, started) {
            child.stop();
            self.wait_client_gone();
            return Err(error);
        }
        tracing::debug!(what = %child.what(), pid = child.pid(), elapsed = ?started.elapsed(), "host ready");
        if !self.config.min_wait.is_zero() {
            std::thread::sleep(self.config.min_wait);
            if let Err(error) = child.check() {
                self.wait_client_gone();
                return Err(error);
            }
        }
        self.child = Some(child);
        self.config_dir = config_dir;
        self.last_exit = None;
        Ok(())
    }

    /// Waits until the ports exist and the ready lines were printed; fails on exit, failure
    /// line, dead server or deadline. Leaves the child running either way.
    fn await_ready(
        &self,
        child: &Supervised,
        server: Option<&RunningServer>,
        started: Instant,
    ) -> Result<()> {
        let config = &self.config;
        let ready_count = config.ready_lines.len();
        let marker_count = ready_count + config.failure_lines.len();
        let failed = |child: &Supervised| {
            (ready_count..marker_count)
                .find_map(|index| child.hit(index))
                .map(|line| Error::Failed {
                    what: child.what().to_string(),
                    pid: child.pid(),
                    line,
                    tail: child.tail(),
                })
        };
        let wanted = config.port_globs();
        let deadline = started + config.ready_timeout;
        let mut backoff = Backoff::new();
        let mut probe: Option<Probe> = None;
        loop {
            if let Some(status) = child.exit_status() {
                return Err(child.exited_error(status));
            }
            if let Some(server) = server {
                // Not `check`: for an attached server it would open a second probing client
                // while ours holds the lock.
                server.check_process()?;
            }
            if let Some(error) = failed(child) {
                return Err(error);
            }
            if probe.is_none() {
                probe = Probe::open(&self.server).ok();
            }
            let mut missing = Vec::new();
            for (glob, kind) in &wanted {
                let found = match &probe {
                    Some(probe) => !probe
                        .matching_of(glob, *kind)
                        .map_err(|source| jack_error(&self.server, source))?
                        .is_empty(),
                    None => false,
                };
                if !found {
                    missing.push(glob.as_str());
                }
            }
            let waiting_for = if missing.is_empty() {
                (0..ready_count)
                    .find(|&index| child.hit(index).is_none())
                    .map(|index| format!("a line `{}`", config.ready_lines[index]))
            } else {
                Some(format!("ports {}", quote_all(&missing)))
            };
            let Some(waiting_for) = waiting_for else {
                // The ready line and a failure line may arrive together: failure wins.
                return failed(child).map_or(Ok(()), Err);
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: child.what().to_string(),
                    pid: child.pid(),
                    seconds: started.elapsed().as_secs_f64(),
                    waiting_for,
                    tail: child.wait_for_output_tail(),
                });
            }
            backoff.sleep(deadline);
        }
    }

    /// Waits (briefly) until the host's ports have left the server.
    ///
    /// JACK removes a dead client asynchronously. Until it has, a new host registering the same
    /// client name gets another one (`fluidsynth-01`), and jackd 1.9.21 asked to stop in the
    /// meantime hangs (it then needs SIGKILL, which leaks its registry slot).
    fn wait_client_gone(&self) {
        let deadline = Instant::now() + CLIENT_GONE_TIMEOUT;
        let Ok(probe) = Probe::open(&self.server) else {
            return; // No server, no client.
        };
        let globs = [self.config.midi_port_glob(), self.config.audio_ports_glob()];
        let mut backoff = Backoff::new();
        loop {
            let remaining = globs
                .iter()
                .any(|glob| probe.matching(glob).is_ok_and(|ports| !ports.is_empty()));
            if !remaining {
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!(server = %self.server, "the stopped host's ports are still registered");
                return;
            }
            backoff.sleep(deadline);
        }
    }

    /// The host's process id; `None` after [`stop`](Self::stop).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Supervised::pid)
    }

    /// The server the host runs on.
    pub fn server_name(&self) -> &str {
        &self.server
    }

    /// The host's JACK client name.
    pub fn client_name(&self) -> &str {
        &self.config.client_name
    }

    /// The glob of the host's MIDI input (for rt-core's `SessionOptions`).
    pub fn midi_port_glob(&self) -> String {
        self.config.midi_port_glob()
    }

    /// The glob of the host's audio outputs (for rt-core's `SessionOptions`).
    pub fn audio_ports_glob(&self) -> String {
        self.config.audio_ports_glob()
    }

    /// How the host ended, if it did (after [`stop`](Self::stop): how it stopped). Never blocks.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match &self.child {
            Some(child) => child.exit_status(),
            None => self.last_exit,
        }
    }

    /// A handle that tells from any thread, without blocking, whether the host process ended
    /// (`None` once the host is stopped).
    pub fn exit_watch(&self) -> Option<ExitWatch> {
        self.child.as_ref().map(Supervised::exit_watch)
    }

    /// Whether the host process runs (instant: no JACK call).
    pub fn is_alive(&self) -> bool {
        self.child
            .as_ref()
            .is_some_and(|c| c.exit_status().is_none())
    }

    /// `Ok` while the host runs; otherwise how it ended, with its last output.
    pub fn check(&self) -> Result<()> {
        match &self.child {
            Some(child) => child.check(),
            None => Err(Error::Stopped {
                what: self.config.what(),
            }),
        }
    }

    /// The last lines the host wrote, stdout and stderr (kept after a stop).
    pub fn tail(&self) -> String {
        self.child
            .as_ref()
            .map_or_else(|| self.last_tail.clone(), Supervised::tail)
    }

    /// The host's ports now (pycarla's `get_ports`).
    pub fn ports(&self) -> Result<HostPorts> {
        let probe = Probe::open(&self.server).map_err(|e| jack_error(&self.server, e))?;
        let matching = |glob: String, kind| {
            probe
                .matching_of(&glob, kind)
                .map_err(|e| jack_error(&self.server, e))
        };
        let [(midi, midi_kind), (audio, audio_kind)] = self.config.port_globs();
        Ok(HostPorts {
            midi_in: matching(midi, midi_kind)?,
            audio_out: matching(audio, audio_kind)?,
        })
    }

    /// Whether every glob of `patterns` matches a port on the host's server (pycarla's
    /// `exists`).
    pub fn exists(&self, patterns: &[&str]) -> Result<bool> {
        ports::exists(&self.server, patterns)
    }

    /// Waits until every glob of `patterns` matches a port (pycarla's `wait_exists`).
    pub fn wait_exists(&self, patterns: &[&str], timeout: Duration) -> Result<()> {
        ports::wait_exists(&self.server, patterns, timeout)
    }

    /// Stops the host: SIGTERM to its process group, SIGKILL after the stop timeout; reaped.
    /// Stopping twice does nothing.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.last_exit = child.stop();
            self.last_tail = child.tail();
            self.wait_client_gone();
        }
        self.config_dir = None;
    }

    /// Stops the host and starts it again on the same server, waiting for readiness.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.launch(None)
    }

    /// Stops the host and starts it again on `server` as it is now (a restarted server may have
    /// another name), waiting for readiness and failing early if `server` dies meanwhile.
    pub fn restart_on(&mut self, server: &RunningServer) -> Result<()> {
        self.stop();
        self.server = server.name().to_string();
        self.launch(Some(server))
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_the_client_name() {
        let carla = Host::carla(None, "/p.carxp").client_name("Carla-1");
        assert_eq!(carla.midi_port_glob(), "Carla-1:events-in");
        assert_eq!(carla.audio_ports_glob(), "Carla-1:audio-out*");
        let fluid = Host::fluidsynth("/x.sf2");
        assert_eq!(fluid.midi_port_glob(), "fluidsynth:midi*");
        assert_eq!(fluid.audio_ports_glob(), "fluidsynth:[lr]*");
        let jalv = Host::jalv("urn:x").client_name("pi[a]no");
        assert_eq!(jalv.midi_port_glob(), "pi[[]a[]]no:*");
        assert_eq!(jalv.audio_ports_glob(), "pi[[]a[]]no:*");
    }

    #[test]
    fn command_globs_are_taken_as_given() {
        let host = Host::command("synth", ["-x"], "s:in", "s:out_*");
        assert_eq!(host.midi_port_glob(), "s:in");
        assert_eq!(host.audio_ports_glob(), "s:out_*");
    }

    #[test]
    fn fluidsynth_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let sf2 = dir.path().join("a.sf2");
        std::fs::write(&sf2, b"").unwrap();
        let (command, config) = Host::fluidsynth(&sf2)
            .client_name("fs")
            .args(["-g", "0.5"])
            .build_command("srv")
            .unwrap();
        assert!(config.is_none());
        let args: Vec<_> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-a",
                "jack",
                "-m",
                "jack",
                "-o",
                "audio.jack.id=fs",
                "-o",
                "midi.jack.id=fs",
                "-o",
                "audio.jack.autoconnect=0",
                "-o",
                "midi.autoconnect=0",
                "-g",
                "0.5",
                &sf2.canonicalize().unwrap().to_string_lossy(),
            ]
        );
        let env: Vec<_> = command.get_envs().collect();
        assert!(env.contains(&("JACK_DEFAULT_SERVER".as_ref(), Some("srv".as_ref()))));
    }

    #[test]
    fn missing_files_are_reported_with_their_path() {
        let error = Host::fluidsynth("/nonexistent/x.sf2")
            .build_command("s")
            .unwrap_err();
        assert!(error.to_string().contains("/nonexistent/x.sf2"), "{error}");
        let error = Host::carla(Some("/bin/true".into()), "/nonexistent/p.carxp")
            .build_command("s")
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Carla project /nonexistent/p.carxp"),
            "{error}"
        );
    }
}
