//! One render: a player and a recorder started on the same frame, watched until done or failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jack::Client;

use crate::client;
use crate::error::Error;
use crate::player::{Player, PlayerSetup};
use crate::recorder::{Recorder, RecorderSetup, Recording, Sink, StopOnSilence};
use crate::schedule::Schedule;
use crate::sync::StartSync;
use crate::watch::WatchState;

/// How often the waiting thread looks at the render's state.
const POLL: Duration = Duration::from_millis(5);

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
    /// Fail on xruns (realtime mode only; freewheel has none).
    pub fail_on_xrun: bool,
    /// End the recording early once the audio stays quiet.
    pub stop_on_silence: Option<StopOnSilence>,
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
            stop_on_silence: None,
            interrupt: None,
        }
    }
}

/// A render in progress. Dropping it stops the clients (and freewheel, when it was asked for).
#[derive(Debug)]
pub struct Session {
    /// An inactive client that switches freewheel (closed last).
    control: Client,
    player: Option<Player>,
    recorder: Option<Recorder>,
    watch: Arc<WatchState>,
    sync: Arc<StartSync>,
    options: SessionOptions,
    started: Instant,
    /// xruns seen before the render was armed (while clients joined the graph) do not count.
    xruns_before: u64,
}

impl Session {
    /// Plays `schedule` and records `total` frames (`u64::MAX`: until stopped or silent) into
    /// `sink`, waiting for the end.
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
        // Freewheel starts once every client is active and connected: a freewheeling jackd
        // 1.9.21 refuses new clients and fails activations (measured). Each activation and
        // connection waits for a cycle boundary, so setup costs about five periods.
        let control = client::open(&client::unique_client_name("ctl"), &options.server)?;
        let recorder = match &options.audio_ports {
            None => None,
            Some(pattern) => Some(Recorder::open(
                &options.server,
                pattern,
                total,
                sink,
                options.stop_on_silence,
                sync.clone(),
                watch.clone(),
            )?),
        };
        let player = match &options.midi_port {
            None => None,
            Some(pattern) => Some(Player::open(
                &options.server,
                pattern,
                schedule,
                sync.clone(),
                watch.clone(),
            )?),
        };
        let recorder = recorder.map(RecorderSetup::activate).transpose()?;
        let player = player.map(PlayerSetup::activate).transpose()?;
        if options.freewheel {
            client::set_freewheel(&control, true);
        }
        let mut session = Session {
            control,
            player,
            recorder,
            watch,
            sync,
            options: options.clone(),
            started: Instant::now(),
            xruns_before: 0,
        };
        session.xruns_before = session.watch.xruns.load(Ordering::Acquire);
        session.sync.arm();
        Ok(session)
    }

    /// Frames recorded so far and frames asked for.
    pub fn progress(&self) -> (u64, u64) {
        self.recorder.as_ref().map_or((0, 0), Recorder::progress)
    }

    /// The JACK frame the render started on, once started.
    pub fn start_frame(&self) -> Option<u32> {
        self.sync.start()
    }

    /// Stops the recording at the next cycle; [`wait`](Session::wait) then returns what was
    /// recorded.
    pub fn stop(&self) {
        if let Some(recorder) = &self.recorder {
            recorder.stop();
        }
    }

    fn finished(&self) -> bool {
        self.player.as_ref().is_none_or(Player::is_done)
            && self.recorder.as_ref().is_none_or(Recorder::is_done)
    }

    /// Waits for the end of the render, or the first fault. On a fault the recording is still
    /// closed properly (a WAV sink holds the frames recorded so far) before the error returns.
    pub fn wait(self) -> Result<Recording, Error> {
        self.wait_with(|_, _| {})
    }

    /// Like [`wait`](Session::wait), calling `on_tick(recorded, total)` about every millisecond
    /// (for progress bars).
    pub fn wait_with(mut self, mut on_tick: impl FnMut(u64, u64)) -> Result<Recording, Error> {
        let fault = loop {
            let (recorded, total) = self.progress();
            on_tick(recorded, total);
            if self.finished() {
                break None;
            }
            let progress = self.progress();
            if let Some(fault) = fault(
                &self.watch,
                &self.options,
                self.started,
                progress,
                self.xruns_before,
            ) {
                break Some(fault);
            }
            std::thread::sleep(POLL);
        };
        let losses = self
            .player
            .as_ref()
            .and_then(Player::losses)
            .or_else(|| self.recorder.as_ref().and_then(Recorder::losses));
        let recording = self.close(fault.is_some());
        match fault.or(losses) {
            Some(error) => Err(error),
            None => recording,
        }
    }

    /// Stops freewheel, the callbacks and the drain; returns the recording.
    fn close(&mut self, aborted: bool) -> Result<Recording, Error> {
        if self.options.freewheel
            && !self.watch.shutdown.load(Ordering::Acquire)
            && (self.player.is_some() || self.recorder.is_some())
        {
            client::set_freewheel(&self.control, self.options.freewheel_after);
        }
        if let Some(player) = self.player.take() {
            player.close();
        }
        match self.recorder.take() {
            Some(recorder) => recorder.finish(aborted),
            None => Ok(Recording::default()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.close(true);
    }
}

/// The first reason to stop waiting besides success: what the notification threads saw, an
/// interrupt from outside, or the timeout.
pub fn fault(
    watch: &WatchState,
    options: &SessionOptions,
    started: Instant,
    (done_frames, total_frames): (u64, u64),
    xruns_before: u64,
) -> Option<Error> {
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
    let xruns = watch
        .xruns
        .load(Ordering::Relaxed)
        .saturating_sub(xruns_before);
    if options.fail_on_xrun && !options.freewheel && xruns > 0 {
        return Some(Error::Xrun { count: xruns });
    }
    if options
        .interrupt
        .as_ref()
        .is_some_and(|interrupt| interrupt.load(Ordering::Relaxed))
    {
        return Some(Error::Interrupted { done_frames });
    }
    if let Some(timeout) = options.timeout
        && started.elapsed() > timeout
    {
        return Some(Error::Timeout {
            seconds: timeout.as_secs_f64(),
            done_frames,
            total_frames,
        });
    }
    None
}
