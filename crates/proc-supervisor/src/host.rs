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
use std::time::Duration;

use jack_client::PortKind;

use crate::carla;
use crate::child::jack_command;
use crate::error::{Error, Result};
use crate::protocol;
use crate::running_host::{PendingHost, RunningHost};
use crate::server::RunningServer;

/// The General MIDI SoundFont of Debian's `fluid-soundfont-gm`.
pub const DEFAULT_SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

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
    CarlaEngine {
        program: PathBuf,
        args: Vec<OsString>,
        load: CarlaLoad,
    },
}

/// What pycarla's own Carla host ([`Host::carla_engine`]) loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CarlaLoad {
    /// A Carla project (`.carxp`): the rack or the patchbay, as the project was saved.
    Project(PathBuf),
    /// A chain in Carla's rack: the instrument first, effects after it (each as the host's
    /// `--plugin` takes it: an LV2 URI, a `.so`, a `.vst3`, an `.sf2`, an `.sfz`, …).
    Plugins(Vec<String>),
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
    pub(crate) client_name: String,
    globs: PortGlobs,
    extra_args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    pub(crate) ready_lines: Vec<String>,
    pub(crate) failure_lines: Vec<String>,
    pub(crate) ready_timeout: Duration,
    pub(crate) interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    pub(crate) min_wait: Duration,
    pub(crate) stop_timeout: Duration,
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
            interrupt: None,
            min_wait: Duration::ZERO,
            stop_timeout: Duration::from_secs(3),
        }
    }

    /// Carla, headless, running `project` (a `.carxp`), as client `Carla-<pid>-<n>`
    /// (client names must be unique on the machine: see [`jack_client::unique_name`]).
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
            &jack_client::unique_name("Carla"),
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

    /// pycarla's own Carla host — Carla's engine on JACK through Carla's library, without
    /// Carla's Python front end — run as `program args…`, loading `load`, as client `Carla-<pid>-<n>`
    /// (ports `events-in`, `audio-out1`, `audio-out2`, like Carla's front end).
    ///
    /// It speaks the [`protocol`](crate::protocol): ready when it says so, and a plugin that
    /// fails to load is an [`Error::LoadFailed`] naming it, at once. It can start before its
    /// server ([`Host::prestart`]).
    pub fn carla_engine<S: Into<OsString>>(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = S>,
        load: CarlaLoad,
    ) -> Self {
        let mut host = Host::new(
            Kind::CarlaEngine {
                program: program.into(),
                args: args.into_iter().map(Into::into).collect(),
                load,
            },
            &jack_client::unique_name("Carla"),
            PortGlobs::OfClient {
                midi: "events-in",
                audio: "audio-out*",
            },
        );
        host.ready_lines.push(protocol::READY.to_string());
        host.failure_lines.push(protocol::FAILED.to_string());
        host
    }

    /// fluidsynth playing `soundfont`, as client `fluidsynth-<pid>-<n>` (ports `midi_00`, `left`, `right`).
    pub fn fluidsynth(soundfont: impl Into<PathBuf>) -> Self {
        let mut host = Host::new(
            Kind::Fluidsynth {
                soundfont: soundfont.into(),
            },
            &jack_client::unique_name("fluidsynth"),
            PortGlobs::OfClient {
                midi: "midi*",
                audio: "[lr]*",
            },
        );
        host.failure_lines
            .extend(["not a soundfont", "failed to load"].map(String::from));
        host
    }

    /// jalv hosting the LV2 plugin `uri`, as client `jalv-<pid>-<n>`. jalv names its ports after the
    /// plugin's (`lv2_events_in`, `lv2_audio_out_1`, `event_in`, …): its MIDI input and audio
    /// outputs are found by type, whatever their names.
    pub fn jalv(uri: impl Into<String>) -> Self {
        Host::new(
            Kind::Jalv { uri: uri.into() },
            &jack_client::unique_name("jalv"),
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
    /// Keep it unique on the machine (see [`jack_client::unique_name`]).
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

    /// A flag that, once set (e.g. by a Ctrl-C handler), ends the wait for readiness at once
    /// with [`Error::Interrupted`](crate::Error::Interrupted).
    pub fn interrupt(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.interrupt = Some(flag);
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
    pub(crate) fn port_globs(&self) -> [(String, PortKind); 2] {
        [
            (self.midi_port_glob(), PortKind::MidiInput),
            (self.audio_ports_glob(), PortKind::AudioOutput),
        ]
    }

    /// Starts the host on `server` and waits until it is ready.
    pub fn start(&self, server: &RunningServer) -> Result<RunningHost> {
        RunningHost::launched(self.clone(), server.name(), Some(server))
    }

    /// Starts the host on the server called `server` (which somebody else runs).
    pub fn start_on(&self, server: &str) -> Result<RunningHost> {
        RunningHost::launched(self.clone(), server, None)
    }

    /// Starts the host before its server exists, when it can wait to be told the server
    /// ([`Host::carla_engine`]: it loads Carla's library meanwhile); other hosts need their
    /// server in their environment and start in [`PendingHost::start`].
    ///
    /// ```no_run
    /// use proc_supervisor::{CarlaLoad, Host, JackServer};
    /// let host = Host::carla_engine("pycarla-jack-host", [""; 0], CarlaLoad::Plugins(vec![
    ///     "http://distrho.sf.net/plugins/Kars".into(),
    /// ]));
    /// let pending = host.prestart()?; // loading while jackd starts
    /// let server = JackServer::dummy().start()?;
    /// let running = pending.start(&server)?;
    /// # Ok::<(), proc_supervisor::Error>(())
    /// ```
    pub fn prestart(&self) -> Result<PendingHost> {
        PendingHost::spawn(self.clone())
    }

    /// Whether the host starts every note at the start of the JACK period it falls in, not at
    /// its frame: fluidsynth's JACK driver reads a period's MIDI before rendering it, so its
    /// onsets land up to a period early (measured: within 64 frames at period 64, up to 1024
    /// at 1024). Callers keep the period small for it and say so in their onsets.
    pub fn quantises_onsets_to_the_period(&self) -> bool {
        matches!(self.kind, Kind::Fluidsynth { .. })
    }

    /// Whether the host is Carla, pycarla's own host or Carla's front end: Carla's FluidSynth
    /// and native engine take no system-exclusive messages.
    pub fn is_carla(&self) -> bool {
        matches!(self.kind, Kind::CarlaEngine { .. } | Kind::Carla { .. })
    }

    /// Whether the host is pycarla's own Carla host ([`Host::carla_engine`]).
    pub fn is_carla_engine(&self) -> bool {
        matches!(self.kind, Kind::CarlaEngine { .. })
    }

    /// Whether the host can start before its server ([`Host::prestart`]).
    pub(crate) fn waits_for_server(&self) -> bool {
        matches!(self.kind, Kind::CarlaEngine { .. })
    }

    /// What the host is, for messages.
    pub(crate) fn what(&self) -> String {
        let program = match &self.kind {
            Kind::Carla { .. } => "Carla".to_string(),
            Kind::Fluidsynth { .. } => "fluidsynth".to_string(),
            Kind::Jalv { .. } => "jalv".to_string(),
            Kind::Command { program, .. } => program.display().to_string(),
            Kind::CarlaEngine { .. } => "Carla's engine (pycarla's host)".to_string(),
        };
        format!("{program} (client `{}`)", self.client_name)
    }

    /// The command line and, for Carla, its private configuration directory.
    pub(crate) fn build_command(
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
                    .env("PATH", carla::front_end_path())
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
            Kind::CarlaEngine {
                program,
                args,
                load,
            } => {
                let mut command = jack_command(program, server);
                command
                    .args(args)
                    .arg("--client")
                    .arg(name)
                    .args(&self.extra_args);
                match load {
                    CarlaLoad::Project(project) => {
                        command
                            .arg("--project")
                            .arg(existing_file("Carla project", project)?);
                    }
                    CarlaLoad::Plugins(specs) => {
                        for spec in specs {
                            command.arg("--plugin").arg(spec);
                        }
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_the_client_name() {
        let carla = Host::carla(None, "/p.carxp").client_name("Carla-1");
        assert_eq!(carla.midi_port_glob(), "Carla-1:events-in");
        assert_eq!(carla.audio_ports_glob(), "Carla-1:audio-out*");
        let fluid = Host::fluidsynth("/x.sf2").client_name("fs");
        assert_eq!(fluid.midi_port_glob(), "fs:midi*");
        assert_eq!(fluid.audio_ports_glob(), "fs:[lr]*");
        let jalv = Host::jalv("urn:x").client_name("pi[a]no");
        assert_eq!(jalv.midi_port_glob(), "pi[[]a[]]no:*");
        assert_eq!(jalv.audio_ports_glob(), "pi[[]a[]]no:*");
    }

    #[test]
    fn the_hosts_we_name_have_names_unique_on_the_machine() {
        let pid = std::process::id();
        let names = [
            Host::carla(None, "/p.carxp").client_name,
            Host::carla(None, "/p.carxp").client_name,
            Host::carla_engine("h", [""; 0], CarlaLoad::Plugins(vec![])).client_name,
            Host::fluidsynth("/x.sf2").client_name,
            Host::jalv("urn:x").client_name,
        ];
        for (i, name) in names.iter().enumerate() {
            assert!(name.contains(&format!("-{pid}-")), "{name}");
            assert!(!names[..i].contains(name), "{name} twice in {names:?}");
        }
        assert!(names[0].starts_with("Carla-"), "{}", names[0]);
        assert!(names[3].starts_with("fluidsynth-"), "{}", names[3]);
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
