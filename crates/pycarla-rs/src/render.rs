//! The whole workflow in a few calls: a server, a synth host, and files rendered through them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use proc_supervisor::{Host, JackServer, RunningHost, RunningServer};
use rt_core::{Liveness, Schedule, Session, SessionOptions, Sink, StopOnSilence, WavFormat};
use smf::{ExactTime, Timeline};

use crate::error::{Error, Result};
use crate::instrument::{Instrument, find_carla};
use crate::onsets;

/// How much audio to record after the last MIDI message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tail {
    /// A fixed number of seconds: the file holds exactly round((duration + tail) · sr) frames.
    Seconds(f64),
    /// Until the output stays below -90 dBFS for half a second, at most 30 seconds.
    Auto,
}

/// -90 dBFS as a linear peak.
const AUTO_TAIL_THRESHOLD: f32 = 3.162_277_7e-5;
/// The quiet run that ends an automatic tail, in seconds.
const AUTO_TAIL_QUIET: f64 = 0.5;
/// The longest automatic tail, in seconds.
const AUTO_TAIL_MAX: f64 = 30.0;

/// Everything about a render besides the instrument and the files.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Sample rate of a private server (an attached server keeps its own).
    pub sample_rate: u32,
    /// Frames per cycle of a private server.
    pub period: u32,
    /// Audio after the last message.
    pub tail: Tail,
    /// Render in real time instead of freewheeling.
    pub realtime: bool,
    /// WAV sample format.
    pub format: WavFormat,
    /// Use this running server instead of starting a private one.
    pub server: Option<String>,
    /// Restart the host (and server) and render again this many times after a crash.
    pub retries: u32,
    /// Give up on one file after this long (default: a minute plus ten times its length).
    pub timeout: Option<Duration>,
    /// How long the synth host may take to become ready.
    pub ready_timeout: Duration,
    /// Set to stop the render early (e.g. by a signal handler).
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            sample_rate: 48_000,
            period: 1024,
            tail: Tail::Seconds(2.0),
            realtime: false,
            format: WavFormat::Float32,
            server: None,
            retries: 0,
            timeout: None,
            ready_timeout: Duration::from_secs(20),
            interrupt: None,
        }
    }
}

/// What one render produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderReport {
    /// The WAV written.
    pub output: PathBuf,
    /// Frames in it.
    pub frames: u64,
    /// Channels in it (the synth's outputs).
    pub channels: usize,
    /// Its sample rate.
    pub sample_rate: u32,
    /// Wall-clock time of the render itself.
    pub elapsed: Duration,
    /// Attempts it took (1 without crashes).
    pub attempts: u32,
}

impl RenderReport {
    /// Seconds of audio per second of wall clock.
    pub fn times_realtime(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate) / self.elapsed.as_secs_f64()
    }
}

/// A server and a synth host kept running across renders.
///
/// ```no_run
/// use pycarla::{Instrument, RenderOptions, Renderer};
/// let mut renderer = Renderer::new(Instrument::default_soundfont()?, RenderOptions::default())?;
/// for name in ["a", "b"] {
///     renderer.render_file(format!("{name}.mid"), format!("{name}.wav"), None::<&str>)?;
/// }
/// # Ok::<(), pycarla::Error>(())
/// ```
#[derive(Debug)]
pub struct Renderer {
    options: RenderOptions,
    // Field order matters: the clients close before the host stops, the host before the server.
    session: Option<Session>,
    host: Option<RunningHost>,
    server: RunningServer,
    midi_port: String,
    audio_ports: String,
    sample_rate: u32,
    _scratch: tempfile::TempDir,
}

impl Renderer {
    /// Starts (or attaches to) the server and starts the instrument's host on it.
    pub fn new(instrument: Instrument, options: RenderOptions) -> Result<Renderer> {
        if let Tail::Seconds(tail) = options.tail
            && !(tail >= 0.0 && tail.is_finite())
        {
            return Err(Error::Usage(format!("--tail {tail} must be ≥ 0 seconds")));
        }
        let scratch = tempfile::Builder::new()
            .prefix("pycarla-")
            .tempdir()
            .map_err(|source| Error::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let host = instrument.host(find_carla().as_deref(), scratch.path())?;
        let server = server_for(&options).start().map_err(missing_jackd)?;
        let (host, midi_port, audio_ports) = match (host, &instrument) {
            (Some(host), _) => {
                let running = host.ready_timeout(options.ready_timeout).start(&server)?;
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
        let sample_rate = rt_core::client::open("pycarla-probe", server.name())?.sample_rate();
        Ok(Renderer {
            options,
            session: None,
            host,
            server,
            midi_port,
            audio_ports,
            sample_rate,
            _scratch: scratch,
        })
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

    /// Renders the MIDI file `midi` into the WAV `output`, and the onsets CSV if asked for.
    pub fn render_file(
        &mut self,
        midi: impl AsRef<Path>,
        output: impl AsRef<Path>,
        onsets: Option<impl AsRef<Path>>,
    ) -> Result<RenderReport> {
        let timeline = Timeline::from_path(midi)?;
        self.render_timeline(&timeline, output, onsets, |_, _| {})
    }

    /// Renders a timeline (a parsed file, or [`smf::Note::timeline`]); `on_tick(recorded,
    /// total)` is called as the render goes.
    pub fn render_timeline(
        &mut self,
        timeline: &Timeline,
        output: impl AsRef<Path>,
        onsets: Option<impl AsRef<Path>>,
        mut on_tick: impl FnMut(u64, u64),
    ) -> Result<RenderReport> {
        let output = output.as_ref();
        let mut attempts = 0;
        let report = loop {
            attempts += 1;
            match self.attempt(timeline, output, &mut on_tick) {
                Ok(report) => break RenderReport { attempts, ..report },
                Err(error) if error.is_retryable() && attempts <= self.options.retries => {
                    tracing::warn!(%error, attempt = attempts, "render failed; restarting the synth");
                    self.restart()?;
                }
                Err(error) => return Err(error),
            }
        };
        if let Some(path) = onsets {
            onsets::write(path.as_ref(), timeline, self.sample_rate)?;
        }
        Ok(report)
    }

    fn attempt(
        &mut self,
        timeline: &Timeline,
        output: &Path,
        on_tick: &mut impl FnMut(u64, u64),
    ) -> Result<RenderReport> {
        self.check_alive()?;
        let sr = self.sample_rate;
        let mut schedule = Schedule::new();
        for (frame, event) in timeline.frames(sr) {
            schedule.push(frame, event.message.bytes())?;
        }
        let end = timeline.duration();
        let (total, silence) = match self.options.tail {
            Tail::Seconds(tail) => ((end + ExactTime::from_secs_f64(tail)).frame(sr), None),
            Tail::Auto => (
                (end + ExactTime::from_secs_f64(AUTO_TAIL_MAX)).frame(sr),
                Some(StopOnSilence {
                    after_frame: end.frame(sr),
                    quiet_frames: (AUTO_TAIL_QUIET * f64::from(sr)) as u64,
                    threshold: AUTO_TAIL_THRESHOLD,
                }),
            ),
        };
        let seconds = total as f64 / f64::from(sr);
        let timeout = self
            .options
            .timeout
            .unwrap_or(Duration::from_secs_f64(60.0 + 10.0 * seconds));
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sink = Sink::Wav {
            path: output.to_path_buf(),
            format: self.options.format,
        };
        let started = Instant::now();
        let session = self.session()?;
        session.set_stop_on_silence(silence);
        session.set_timeout(Some(timeout));
        let channels = session.channels();
        let rendered = session.render(schedule, total, sink, &mut *on_tick);
        let wedged = session.is_wedged();
        let recording = rendered.map_err(|error| {
            let dead_session = wedged
                || matches!(
                    error,
                    rt_core::Error::ClientGone { .. }
                        | rt_core::Error::ServerShutdown { .. }
                        | rt_core::Error::SynthDied { .. }
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
            channels,
            sample_rate: sr,
            elapsed: started.elapsed(),
            attempts: 1,
        })
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
                    freewheel_after: false,
                    timeout: None,
                    fail_on_xrun: true,
                    stop_on_silence: None,
                    interrupt: self.options.interrupt.clone(),
                    synth_alive: self.host.as_ref().and_then(RunningHost::exit_watch).map(
                        |watch| {
                            Liveness::new(move || match watch.status() {
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

    /// Fails early when the host or server is already gone.
    fn check_alive(&self) -> Result<()> {
        self.server.check()?;
        if let Some(host) = &self.host {
            host.check()?;
        }
        Ok(())
    }

    /// The synth died in freewheel: jackd 1.9.21 then waits for it forever, and closing our
    /// clients would wait with it. Kill our own server first (the retry restarts it); a server
    /// we do not own cannot be killed, so the session is leaked rather than hang the caller.
    fn unwedge(&mut self) {
        if self.server.is_owned() {
            tracing::debug!(
                server = self.server.name(),
                "the synth died in freewheel: killing the wedged server"
            );
            self.server.kill_now();
        } else if let Some(session) = self.session.take() {
            tracing::warn!(
                server = self.server.name(),
                "the synth died in freewheel on a server we do not own; its clients are abandoned"
            );
            std::mem::forget(session);
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
            if let Err(server_error) = self.server.check() {
                return server_error.into();
            }
            if let Some(host) = &self.host
                && let Some(status) = host.exit_status()
            {
                return Error::HostDied {
                    what: format!("{} (client {})", host_label(host), host.client_name()),
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
        if self.check_alive().is_ok() {
            return Ok(());
        }
        self.restart()
    }

    fn restart(&mut self) -> Result<()> {
        self.session = None;
        if self.server.check().is_err() {
            if let Some(host) = &mut self.host {
                host.stop();
            }
            self.server.restart()?;
        }
        if let Some(host) = &mut self.host {
            // On the server as it is now: a restarted server may have a new name.
            host.restart_on(&self.server)?;
        }
        Ok(())
    }
}

fn host_label(host: &RunningHost) -> String {
    match host.pid() {
        Some(pid) => format!("pid {pid}"),
        None => "host".to_string(),
    }
}

/// The server a render uses: the named running one, or a private dummy server.
fn server_for(options: &RenderOptions) -> JackServer {
    match &options.server {
        Some(name) => JackServer::attach(name.clone()),
        None => JackServer::dummy()
            .sample_rate(options.sample_rate)
            .period(options.period),
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

/// Renders one MIDI file into a WAV with a fresh server and host.
///
/// ```no_run
/// use pycarla::{Instrument, RenderOptions};
/// let report = pycarla::render(
///     Instrument::SoundFont("/usr/share/sounds/sf2/FluidR3_GM.sf2".into()),
///     "song.mid",
///     "song.wav",
///     &RenderOptions::default(),
/// )?;
/// println!("{} frames, {:.0}× realtime", report.frames, report.times_realtime());
/// # Ok::<(), pycarla::Error>(())
/// ```
pub fn render(
    instrument: Instrument,
    midi: impl AsRef<Path>,
    output: impl AsRef<Path>,
    options: &RenderOptions,
) -> Result<RenderReport> {
    Renderer::new(instrument, options.clone())?.render_file(midi, output, None::<&Path>)
}

/// Renders many `(midi, wav)` pairs through one server and host, in order. One file's failure
/// does not stop the others: each gets its own result.
pub fn render_batch(
    instrument: Instrument,
    jobs: &[(PathBuf, PathBuf)],
    options: &RenderOptions,
) -> Result<Vec<Result<RenderReport>>> {
    let mut renderer = Renderer::new(instrument, options.clone())?;
    Ok(jobs
        .iter()
        .map(|(midi, wav)| renderer.render_file(midi, wav, None::<&Path>))
        .collect())
}

/// A host for callers that want the supervisor directly.
pub fn host_for(instrument: &Instrument, scratch: &Path) -> Result<Option<Host>> {
    instrument.host(find_carla().as_deref(), scratch)
}
