//! The JACK engine: a server, a synth host, and files played into it and recorded from it.

use std::path::Path;
use std::time::{Duration, Instant};

use proc_supervisor::{Host, JackServer, RunningHost, RunningServer};
use rt_core::{AliveCheck, Schedule, Session, SessionOptions, Sink};
use smf::Timeline;

use super::{
    EngineKind, JACK_PERIOD, RenderOptions, RenderReport, create_parent, partial_path,
    render_timeout, take_length,
};
use crate::error::{Error, Result};
use crate::instrument::{Instrument, find_carla};

/// A server and a synth host kept running across renders.
#[derive(Debug)]
pub(crate) struct JackRenderer {
    options: RenderOptions,
    // Field order matters: the clients close before the host stops, the host before the server.
    session: Option<Session>,
    host: Option<RunningHost>,
    server: RunningServer,
    midi_port: String,
    audio_ports: String,
    sample_rate: u32,
    /// Whether the host has played a file since it started.
    played: bool,
    /// The period, when the host starts notes at the start of the period they fall in
    /// (fluidsynth): onsets may land up to this many frames early.
    onset_quantum: Option<u32>,
    /// The Carla pycarla's Carla host loaded, for reports.
    carla: Option<String>,
    /// Whether the host is a Carla (which plays no system-exclusive message).
    drops_sysex: bool,
    /// The instrument as the user named it, for messages (a crash names the plugin).
    label: String,
    /// The chain's plugins as the user named them (the instrument alone if not a chain),
    /// for the report's parameters.
    specs: Vec<String>,
    /// The period a private server started at (`None` on a server the user runs).
    setup_period: Option<u32>,
    _scratch: tempfile::TempDir,
}

impl JackRenderer {
    /// Starts (or attaches to) the server and starts the instrument's host on it.
    pub fn new(instrument: Instrument, mut options: RenderOptions) -> Result<JackRenderer> {
        let scratch = tempfile::Builder::new()
            .prefix("pycarla-")
            .tempdir()
            .map_err(|source| Error::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let host = instrument.host(
            find_carla().as_deref(),
            scratch.path(),
            &options.controls.params,
        )?;
        let quantises = host
            .as_ref()
            .is_some_and(Host::quantises_onsets_to_the_period);
        // Carla's patchbay takes a project's plugins and wires into its processing order on a
        // 100 ms timer, which a freewheel render outruns (a click SFZ project lost its first
        // 3.5 s at period 256); a change of period rebuilds the order at once, so such a host
        // always gets one before each render.
        let rebuilds_graph = matches!(instrument, Instrument::CarlaProject(_))
            && host.as_ref().is_some_and(Host::is_carla);
        // Carla takes no system-exclusive messages: counted per file as not played.
        let drops_sysex = host.as_ref().is_some_and(Host::is_carla);
        // The Carla pycarla's host loads (the same choice `carla_engine` made for it).
        let carla = host
            .as_ref()
            .filter(|host| host.is_carla_engine())
            .and_then(|_| instrument.carla_on_jack().ok())
            .map(|install| install.describe());
        if quantises && options.period.is_none() && options.server.is_none() {
            // fluidsynth starts notes at period boundaries: a small period keeps every onset
            // within 64 frames of its frame (measured), at some cost in speed.
            options.period = Some(QUANTISING_HOST_PERIOD);
        }
        let host = match host {
            Some(host) => {
                let mut host = host.ready_timeout(options.ready_timeout);
                if let Some(flag) = &options.interrupt {
                    host = host.interrupt(flag.clone());
                }
                // Hosts that can (pycarla's Carla host) load while the server starts.
                Some(host.prestart()?)
            }
            None => None,
        };
        // A server somebody else runs is not probed: the session opened below is the proof.
        let setup_period = setup_period(&options, rebuilds_graph);
        let server = server_for(&options, setup_period)
            .start_without_probe()
            .map_err(missing_jackd)?;
        let (host, midi_port, audio_ports) = match (host, &instrument) {
            (Some(host), _) => {
                let running = host
                    .start(&server)
                    .map_err(|error| unreachable_or(&server, error.into()))?;
                let (midi, audio) = (running.midi_port_glob(), running.audio_ports_glob());
                (Some(running), midi, audio)
            }
            (
                None,
                Instrument::Running {
                    midi_port,
                    audio_ports,
                },
            ) => (None, midi_port.clone(), audio_ports.clone()),
            (None, _) => unreachable!("only a running instrument has no host"),
        };
        let mut renderer = JackRenderer {
            sample_rate: options.sample_rate,
            options,
            session: None,
            host,
            server,
            midi_port,
            audio_ports,
            played: false,
            onset_quantum: None,
            carla,
            drops_sysex,
            label: instrument.label(),
            specs: match &instrument {
                Instrument::Plugins(specs) => specs.clone(),
                other => vec![other.label()],
            },
            setup_period,
            _scratch: scratch,
        };
        // A private dummy server runs at the rate and period it was started with. A server
        // somebody else runs is asked through the session's clients, set up now: a client of
        // its own to ask would cost real-time cycles to open and close (85 ms each at 4096).
        let period = match renderer.options.server {
            None => renderer.options.period.unwrap_or(JACK_PERIOD),
            Some(_) => {
                // Its first client is the check that it runs.
                let opened = renderer
                    .session()
                    .map(|session| (session.sample_rate(), session.period()));
                let (rate, period) =
                    opened.map_err(|error| unreachable_or(&renderer.server, error))?;
                renderer.sample_rate = rate;
                period
            }
        };
        renderer.onset_quantum = quantises.then_some(period);
        Ok(renderer)
    }

    /// The period renders run at on a private server started at [`SETUP_PERIOD`]; `None` on a
    /// server somebody else runs (its period is theirs) or when no switch is needed.
    fn render_period(&self) -> Option<u32> {
        let period = self.options.period.unwrap_or(JACK_PERIOD);
        self.setup_period
            .filter(|setup| *setup != period)
            .map(|_| period)
    }

    /// The period, when the host starts notes at period boundaries (see
    /// [`Host::quantises_onsets_to_the_period`]).
    pub fn onset_quantum(&self) -> Option<u32> {
        self.onset_quantum
    }

    /// The server's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The server's name.
    pub fn server_name(&self) -> &str {
        self.server.name()
    }

    /// The host, if this renderer started one.
    pub fn host(&self) -> Option<&RunningHost> {
        self.host.as_ref()
    }

    /// Every file starts from the instrument's initial state: a host that played a file is
    /// restarted (a synth the user runs cannot be, and keeps its state).
    pub fn before_file(&mut self) -> Result<()> {
        if self.played && self.host.is_some() && !self.options.keep_state {
            self.restart()?;
        }
        Ok(())
    }

    /// After a crash: restarts the host (and the server if it died) to render again.
    pub fn start_over(&mut self) -> Result<()> {
        self.restart()
    }

    /// Renders `timeline` into `output` once.
    pub fn attempt(
        &mut self,
        timeline: &Timeline,
        output: &Path,
        on_tick: &mut dyn FnMut(u64, u64),
    ) -> Result<RenderReport> {
        self.played = true;
        self.ensure_alive()?;
        let sr = self.sample_rate;
        let mut schedule = Schedule::new();
        for (frame, event) in timeline.frames(sr) {
            schedule.push(frame, event.message.bytes())?;
        }
        let (total, silence) = take_length(timeline, self.options.tail, sr);
        let timeout = render_timeout(&self.options, total, sr);
        create_parent(output)?;
        let partial = partial_path(output);
        let sink = Sink::File {
            path: partial.clone(),
            format: self.options.format,
        };
        let started = Instant::now();
        let session = self.session()?;
        session.set_stop_on_silence(silence);
        session.set_timeout(Some(timeout));
        let channels = session.channels();
        let rendered = session.render(schedule, total, sink, on_tick);
        let wedged = session.is_wedged();
        let recording = rendered.map_err(|error| {
            let dead_session = wedged
                || matches!(
                    error,
                    rt_core::Error::ClientGone { .. }
                        | rt_core::Error::ServerShutdown { .. }
                        | rt_core::Error::SynthDied { .. }
                        | rt_core::Error::Stalled { .. }
                        | rt_core::Error::Timeout { .. }
                );
            let explained = self.explain(error);
            if wedged {
                self.unwedge();
            }
            // A session whose synth or server is gone (or that hung) cannot render again; after
            // other errors (a bad file, a full disk, an interrupt) it can.
            if dead_session {
                self.session = None;
            }
            explained
        })?;
        Ok(RenderReport {
            output: output.to_path_buf(),
            frames: recording.frames,
            peak: recording.peak,
            channels,
            sample_rate: sr,
            engine: EngineKind::Jack,
            carla: self.carla.clone(),
            params: self.options.controls.report(
                &self.specs,
                &self.options.controls.requested_params(self.specs.len()),
                &[],
            ),
            latency: 0,
            elapsed: started.elapsed(),
            attempts: 1,
            clipped_samples: recording.clipped,
            sysex_dropped: if self.drops_sysex {
                crate::render::sysex_count(timeline)
            } else {
                0
            },
            ..RenderReport::default()
        }
        .with_envelope(recording.envelope))
    }

    /// The player and recorder, kept across renders (set up once: a few periods).
    fn session(&mut self) -> Result<&mut Session> {
        if self.session.is_none() {
            let options =
                SessionOptions {
                    server: self.server.name().to_string(),
                    midi_port: Some(self.midi_port.clone()),
                    audio_ports: Some(self.audio_ports.clone()),
                    freewheel: !self.options.realtime,
                    // Kept on only where the server's period stays as it is: closing at a
                    // render period would slow the next host's set-up (see `SETUP_PERIOD`).
                    freewheel_between_files: self.options.freewheel_between_files
                        && self.render_period().is_none(),
                    timeout: None,
                    fail_on_xrun: true,
                    stop_on_silence: None,
                    interrupt: self.options.interrupt.clone(),
                    stall_timeout: Some(rt_core::STALL_TIMEOUT),
                    render_period: self.render_period(),
                    synth_alive: self.host.as_ref().and_then(RunningHost::alive_watch).map(
                        |watch| {
                            AliveCheck::new(move || match watch.exit_status() {
                                Some(status) => Err(format!("its process ended ({status})")),
                                None => Ok(()),
                            })
                        },
                    ),
                };
            self.session = Some(Session::new(&options)?);
        }
        Ok(self.session.as_mut().expect("just set"))
    }

    /// Fails early when the host or server is already gone. A server somebody else runs is
    /// watched by the session's clients instead (JACK tells them when it shuts down, and the
    /// next session fails to open): asking with a client of our own would cost the server a
    /// real-time cycle to close it (85 ms at period 4096) before every file.
    fn ensure_alive(&self) -> Result<()> {
        if self.server.is_owned() {
            self.server.ensure_alive()?;
        }
        if let Some(host) = &self.host {
            host.ensure_alive()?;
        }
        Ok(())
    }

    /// The synth died in freewheel: jackd 1.9.21 then waits for it forever, and closing our
    /// clients would wait with it. Our own server is killed first (the retry restarts it); on a
    /// server we do not own, the dropped session abandons its clients rather than hang.
    fn unwedge(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        if self.server.is_owned() {
            let server = &mut self.server;
            session.close_wedged(|| {
                tracing::debug!(
                    server = server.name(),
                    "the synth died in freewheel: killing the wedged server"
                );
                server.kill_now();
            });
        }
    }

    /// Turns "the synth's client left" into "the host died, with its exit status and output"
    /// when the host process is gone (its exit is reaped within a second).
    fn explain(&self, error: rt_core::Error) -> Error {
        if !matches!(
            error,
            rt_core::Error::ClientGone { .. }
                | rt_core::Error::ServerShutdown { .. }
                | rt_core::Error::SynthDied { .. }
        ) {
            return error.into();
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if let Err(server_error) = self.server.ensure_alive() {
                return server_error.into();
            }
            if let Some(host) = &self.host
                && let Some(status) = host.exit_status()
            {
                return Error::HostDied {
                    what: format!(
                        "{} running {} (client {})",
                        host_label(host),
                        self.label,
                        host.client_name()
                    ),
                    status: status.to_string(),
                    tail: host.tail(),
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        error.into()
    }

    /// Restarts what died: the server (and then the host), or only the host. Nothing when
    /// both run.
    pub fn recover(&mut self) -> Result<()> {
        // After a failure a probe of a server somebody else runs is worth its cycle.
        let host_runs = self.host.as_ref().is_none_or(|h| h.ensure_alive().is_ok());
        if host_runs && self.server.ensure_alive().is_ok() {
            return Ok(());
        }
        self.restart()
    }

    fn restart(&mut self) -> Result<()> {
        self.session = None;
        if self.server.ensure_alive().is_err() {
            if let Some(host) = &mut self.host {
                host.stop();
            }
            self.server.restart()?;
        }
        if let Some(host) = &mut self.host {
            // On the server as it is now: a restarted server may have a new name.
            host.restart_on(&self.server)?;
        }
        self.played = false;
        Ok(())
    }
}

/// `error`, met while setting up on a server somebody else runs, or that this server does not
/// run when a probe says so (a probe's cycle is worth paying on this failure path): a host or
/// session that cannot open its client was most likely told of a server that is not there.
fn unreachable_or(server: &RunningServer, error: Error) -> Error {
    if server.is_owned() {
        return error;
    }
    server.ensure_alive().err().map_or(error, Error::from)
}

fn host_label(host: &RunningHost) -> String {
    match host.pid() {
        Some(pid) => format!("pid {pid}"),
        None => "host".to_string(),
    }
}

/// The period of a private server whose host starts notes at period boundaries, unless the
/// user asks for another.
pub const QUANTISING_HOST_PERIOD: u32 = 64;

/// The period a private server starts at when renders run at a larger one: clients set up,
/// connect and close in cycles of 5 ms rather than of up to 85 ms (at 4096), and the session
/// switches to the render's period for each render (`SessionOptions::render_period`).
pub const SETUP_PERIOD: u32 = 256;

/// The period a private server starts at (`None` for a server the user runs): the render's
/// in real time (a switch of period would be heard: the driver restarts), else at most
/// [`SETUP_PERIOD`]; and never the render's own when the host's processing order must be
/// rebuilt before each render (a Carla patchbay project), so that the session's switch to the
/// render's period rebuilds it.
fn setup_period(options: &RenderOptions, rebuild_graph: bool) -> Option<u32> {
    if options.server.is_some() {
        return None;
    }
    let period = options.period.unwrap_or(JACK_PERIOD);
    Some(if options.realtime {
        period
    } else if period > SETUP_PERIOD {
        SETUP_PERIOD
    } else if rebuild_graph {
        if period >= 32 { period / 2 } else { period * 2 }
    } else {
        period
    })
}

/// The server a render uses: the named running one, or a private dummy server starting at
/// `setup_period`.
fn server_for(options: &RenderOptions, setup_period: Option<u32>) -> JackServer {
    match (&options.server, setup_period) {
        (Some(name), _) => JackServer::attach(name.clone()),
        (None, period) => JackServer::dummy()
            .sample_rate(options.sample_rate)
            .period(period.unwrap_or(JACK_PERIOD)),
    }
}

fn missing_jackd(error: proc_supervisor::Error) -> Error {
    match error {
        proc_supervisor::Error::Spawn { ref source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Error::Missing {
                program: "jackd".into(),
                hint: "sudo apt-get install jackd2 (or `cargo xtask setup`)".into(),
            }
        }
        other => other.into(),
    }
}
