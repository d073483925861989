//! One render: a player and a recorder activated against a synth's ports, started on the same
//! frame, watched until done or failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jack::{AsyncClient, AudioIn, Client, MidiOut};

use crate::client;
use crate::error::Error;
use crate::player::{PlayerProcess, PlayerStatus};
use crate::recorder::{Drain, RecorderProcess, RecorderStatus, Recording, Sink};
use crate::schedule::Schedule;
use crate::sync::StartSync;
use crate::watch::{Watch, WatchState};

/// How often the waiting thread looks at the render's state.
const POLL: Duration = Duration::from_millis(1);

/// Where to play and record, and how.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// The JACK server's name.
    pub server: String,
    /// Glob of the synth's MIDI input port; `None` records without playing.
    pub midi_port: Option<String>,
    /// Glob of the synth's audio outputs, one recorded channel each; `None` plays without
    /// recording.
    pub audio_ports: Option<String>,
    /// Run the server in freewheel mode during the render (offline, as fast as the synth goes).
    pub freewheel: bool,
    /// Freewheel state to leave the server in afterwards.
    pub freewheel_after: bool,
    /// Give up after this long.
    pub timeout: Option<Duration>,
    /// Fail on xruns (the default in realtime mode; freewheel has none).
    pub fail_on_xrun: bool,
    /// Set from outside (e.g. a signal handler) to stop the render early.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl SessionOptions {
    /// Plays into `midi_port` and records `audio_ports` on `server`, in freewheel.
    pub fn new(server: &str, midi_port: &str, audio_ports: &str) -> Self {
        SessionOptions {
            server: server.to_string(),
            midi_port: Some(midi_port.to_string()),
            audio_ports: Some(audio_ports.to_string()),
            freewheel: true,
            freewheel_after: false,
            timeout: None,
            fail_on_xrun: true,
            interrupt: None,
        }
    }
}

type Player = AsyncClient<Watch, PlayerProcess>;
type Recorder = AsyncClient<Watch, RecorderProcess>;

/// A render in progress. Dropping it stops the clients (and freewheel, when it was asked for).
#[derive(Debug)]
pub struct Session {
    player: Option<(Player, Arc<PlayerStatus>, usize)>,
    recorder: Option<(Recorder, Arc<RecorderStatus>, Drain)>,
    watch: Arc<WatchState>,
    watched: Vec<String>,
    sync: Arc<StartSync>,
    options: SessionOptions,
    total: u64,
    started: Instant,
}

/// A process-unique client name, so parallel renders on one server never clash.
fn client_name(role: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "pycarla-{role}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn jack_error(action: &str) -> impl FnOnce(jack::Error) -> Error + '_ {
    move |source| Error::Jack {
        action: action.to_string(),
        source,
    }
}

impl Session {
    /// Plays `schedule` and records `total` frames (`u64::MAX`: until stopped) into `sink`,
    /// waiting for the end.
    pub fn run(
        options: &SessionOptions,
        schedule: &Schedule,
        total: u64,
        sink: Sink,
    ) -> Result<Recording, Error> {
        Session::start(options, schedule.clone(), total, sink)?.wait()
    }

    /// Activates the clients, connects them, sets freewheel and arms the start.
    pub fn start(
        options: &SessionOptions,
        schedule: Schedule,
        total: u64,
        sink: Sink,
    ) -> Result<Session, Error> {
        let watch = Arc::new(WatchState::default());
        let sync = Arc::new(StartSync::new());
        let mut watched = Vec::new();

        let recorder = match &options.audio_ports {
            None => None,
            Some(pattern) => {
                let client = client::open(&client_name("rec"), &options.server)?;
                let sources = client::require_ports(&client, pattern)?;
                watched.extend(sources.iter().map(|p| client::client_of(p).to_string()));
                Some(Self::start_recorder(
                    client, &sources, total, sink, &sync, &watch,
                )?)
            }
        };
        let player = match &options.midi_port {
            None => None,
            Some(pattern) => {
                let client = client::open(&client_name("play"), &options.server)?;
                let target = client::require_ports(&client, pattern)?.remove(0);
                watched.push(client::client_of(&target).to_string());
                let port = client
                    .register_port("midi_out", MidiOut::default())
                    .map_err(jack_error("registering the MIDI output"))?;
                let own = port.name().map_err(jack_error("naming the MIDI output"))?;
                let status = Arc::new(PlayerStatus::default());
                let events = schedule.len();
                let process = PlayerProcess::new(port, schedule, sync.clone(), status.clone());
                let active = client
                    .activate_async(Watch::new(watch.clone(), watched.clone()), process)
                    .map_err(jack_error("activating the player"))?;
                active
                    .as_client()
                    .connect_ports_by_name(&own, &target)
                    .map_err(jack_error("connecting the player to the synth"))?;
                Some((active, status, events))
            }
        };
        watched.sort();
        watched.dedup();

        let session = Session {
            player,
            recorder,
            watch,
            watched,
            sync,
            options: options.clone(),
            total,
            started: Instant::now(),
        };
        if options.freewheel {
            client::set_freewheel(session.any_client(), true);
        }
        session.sync.arm();
        Ok(session)
    }

    fn start_recorder(
        client: Client,
        sources: &[String],
        total: u64,
        sink: Sink,
        sync: &Arc<StartSync>,
        watch: &Arc<WatchState>,
    ) -> Result<(Recorder, Arc<RecorderStatus>, Drain), Error> {
        let mut ports = Vec::with_capacity(sources.len());
        for index in 0..sources.len() {
            ports.push(
                client
                    .register_port(&format!("in_{}", index + 1), AudioIn::default())
                    .map_err(jack_error("registering a recorder input"))?,
            );
        }
        let own: Vec<String> = ports.iter().filter_map(|p| p.name().ok()).collect();
        let channels = sources.len();
        // Room for a quarter second of audio or 16 periods, whichever is larger: the drain
        // thread polls every half millisecond, and in freewheel the callback waits for it.
        let frames = (client.sample_rate() / 4).max(client.buffer_size() * 16) as usize;
        let (producer, consumer) = rtrb::RingBuffer::new(frames * channels);
        let status = Arc::new(RecorderStatus::default());
        let drain = Drain::spawn(
            consumer,
            channels,
            client.sample_rate(),
            sink,
            status.clone(),
        )?;
        let watched = sources
            .iter()
            .map(|p| client::client_of(p).to_string())
            .collect();
        let process = RecorderProcess::new(
            ports,
            producer,
            total,
            sync.clone(),
            status.clone(),
            watch.clone(),
        );
        let active = client
            .activate_async(Watch::new(watch.clone(), watched), process)
            .map_err(jack_error("activating the recorder"))?;
        for (source, own) in sources.iter().zip(&own) {
            active
                .as_client()
                .connect_ports_by_name(source, own)
                .map_err(jack_error("connecting the synth to the recorder"))?;
        }
        Ok((active, status, drain))
    }

    fn any_client(&self) -> &Client {
        match (&self.player, &self.recorder) {
            (Some((player, ..)), _) => player.as_client(),
            (_, Some((recorder, ..))) => recorder.as_client(),
            _ => unreachable!("a session has a player or a recorder"),
        }
    }

    /// Frames recorded so far and frames asked for.
    pub fn progress(&self) -> (u64, u64) {
        let recorded = self
            .recorder
            .as_ref()
            .map_or(0, |(_, status, _)| status.recorded.load(Ordering::Relaxed));
        (recorded, self.total)
    }

    /// The JACK frame the render started on, once started.
    pub fn start_frame(&self) -> Option<u32> {
        self.sync.start()
    }

    /// Stops an unbounded recording (or any) at the next cycle; [`wait`](Session::wait) then
    /// returns what was recorded.
    pub fn stop(&self) {
        if let Some((_, status, _)) = &self.recorder {
            status.stop.store(true, Ordering::Release);
        }
    }

    fn finished(&self) -> bool {
        let played = self
            .player
            .as_ref()
            .is_none_or(|(_, status, events)| status.played.load(Ordering::Acquire) >= *events);
        let recorded = self
            .recorder
            .as_ref()
            .is_none_or(|(_, status, _)| status.finished.load(Ordering::Acquire));
        played && recorded
    }

    /// The first fault the notification threads reported, if any.
    fn fault(&self) -> Option<Error> {
        let watch = &self.watch;
        if watch.shutdown.load(Ordering::Acquire) {
            let reason = watch
                .shutdown_reason
                .lock()
                .map(|r| r.clone())
                .unwrap_or_default();
            return Some(Error::ServerShutdown { reason });
        }
        if watch.client_gone.load(Ordering::Acquire) {
            let client = watch
                .gone_name
                .lock()
                .map(|n| n.clone())
                .unwrap_or_default();
            return Some(Error::ClientGone { client });
        }
        let xruns = watch.xruns.load(Ordering::Relaxed);
        if self.options.fail_on_xrun && !self.options.freewheel && xruns > 0 {
            return Some(Error::Xrun { count: xruns });
        }
        if let Some(interrupt) = &self.options.interrupt
            && interrupt.load(Ordering::Relaxed)
        {
            return Some(Error::Interrupted {
                done_frames: self.progress().0,
            });
        }
        if let Some(timeout) = self.options.timeout
            && self.started.elapsed() > timeout
        {
            let (done_frames, total_frames) = self.progress();
            return Some(Error::Timeout {
                seconds: timeout.as_secs_f64(),
                done_frames,
                total_frames,
            });
        }
        None
    }

    /// The synth clients this session plays to and records from.
    pub fn watched_clients(&self) -> &[String] {
        &self.watched
    }

    /// Waits for the end of the render, or the first fault. On a fault the recording is still
    /// closed properly (a WAV sink holds the frames recorded so far) before the error returns.
    pub fn wait(mut self) -> Result<Recording, Error> {
        let fault = loop {
            if self.finished() {
                break None;
            }
            if let Some(fault) = self.fault() {
                break Some(fault);
            }
            std::thread::sleep(POLL);
        };
        let losses = self.losses();
        let recording = self.close(fault.is_some());
        if let Some(fault) = fault.or(losses) {
            return Err(fault);
        }
        recording
    }

    /// MIDI events or audio frames the callbacks could not pass on.
    fn losses(&self) -> Option<Error> {
        if let Some((_, status, _)) = &self.player {
            let lost = status.lost.load(Ordering::Relaxed);
            if lost > 0 {
                return Some(Error::MidiOverflow { lost });
            }
        }
        if let Some((_, status, _)) = &self.recorder {
            let frames = status.lost.load(Ordering::Relaxed);
            if frames > 0 {
                return Some(Error::RingOverflow { frames });
            }
        }
        None
    }

    /// Stops freewheel, the callbacks and the drain; returns the recording.
    fn close(&mut self, aborted: bool) -> Result<Recording, Error> {
        let server_alive = !self.watch.shutdown.load(Ordering::Acquire);
        if self.options.freewheel && server_alive {
            client::set_freewheel(self.any_client(), self.options.freewheel_after);
        }
        let mut recording = Ok(Recording::default());
        if let Some((client, status, drain)) = self.recorder.take() {
            status.stop.store(true, Ordering::Release);
            if aborted {
                drain.abort.store(true, Ordering::Release);
            }
            let _ = client.deactivate();
            drain.abort.store(true, Ordering::Release);
            recording = drain.join();
        }
        if let Some((client, ..)) = self.player.take() {
            let _ = client.deactivate();
        }
        recording
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.player.is_some() || self.recorder.is_some() {
            let _ = self.close(true);
        }
    }
}
