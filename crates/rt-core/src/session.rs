//! A player and a recorder kept active and connected to a synth across renders.
//!
//! Opening, activating and closing a client each wait for a cycle boundary, so setting up
//! costs a few periods (two at least: 170 ms at 4096 in real time) — more than a short file
//! takes to render in freewheel. A session pays it once, with one client for both callbacks
//! when the synth is one client (`duplex`); each render then hands the callbacks a new job
//! through their mailboxes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jack::Client;

use crate::client;
use crate::duplex::{self, DuplexClient};
use crate::error::Error;
use crate::player::Player;
use crate::recorder::Recorder;
use crate::schedule::Schedule;
use crate::sink::{Recording, Sink, StopOnSilence};
use crate::sync::StartSync;
use crate::watch::WatchState;

/// How often the waiting thread looks at the render's state.
const POLL: Duration = Duration::from_millis(5);

/// How long a job may take to reach a callback (a few periods in realtime mode).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// Run the server in freewheel mode during each render (offline, as fast as the synth goes).
    pub freewheel: bool,
    /// Leave the server freewheeling after each render. Renders back to back then skip two
    /// switches each, and the switch into freewheel waits for a real-time cycle (85 ms at
    /// period 4096). Dropping the session ends freewheel. A freewheeling server plays nothing
    /// and runs flat out: do not leave a session idle in this state on a server somebody
    /// listens to.
    pub freewheel_between_files: bool,
    /// Give up on a render after this long.
    pub timeout: Option<Duration>,
    /// Fail on xruns (realtime mode only; freewheel has none).
    pub fail_on_xrun: bool,
    /// End recordings early once the audio stays quiet.
    pub stop_on_silence: Option<StopOnSilence>,
    /// Set from outside (e.g. a signal handler) to stop a render early.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Asked during renders whether the synth still runs. In freewheel a jackd 1.9.21 waits
    /// forever for a client that died, so no JACK notification comes: only the synth's
    /// supervisor can tell.
    pub synth_alive: Option<AliveCheck>,
    /// Give up when no audio arrives for this long while the render is not done: a synth that
    /// stops answering (stopped with SIGSTOP, deadlocked) holds a freewheeling server still,
    /// with no notification and no exit to see.
    pub stall_timeout: Option<Duration>,
    /// Run each render at this period and go back to the server's own period after it. A
    /// private server started at a small period gets its clients set up, connected and closed
    /// in short real-time cycles (every graph change waits for a cycle boundary: 85 ms at
    /// 4096), while renders still run at the large period that freewheels fastest. With
    /// `freewheel_between_files` the server stays at the render's period (switching while freewheeling
    /// is avoided), and the session's clients close at it.
    pub render_period: Option<u32>,
}

/// The default [`SessionOptions::stall_timeout`]: far longer than any cycle takes (85 ms at a
/// period of 4096 in real time), short enough that a stuck synth fails its file soon, and
/// shorter than the 10 s after which a freewheeling jackd 1.9.21 stops waiting for a stuck
/// client and runs the next cycle anyway. A player and recorder sharing one client run before
/// the synth, so that cycle would record the stuck synth's stale output: the stall is declared
/// first, and audio that arrives after a longer gap than this is refused too.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A check, from any thread, of whether the synth still runs: `Err(reason)` once it died.
#[derive(Clone)]
pub struct AliveCheck(Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl AliveCheck {
    /// Wraps the check.
    pub fn new(check: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        AliveCheck(Arc::new(check))
    }

    fn ensure_alive(&self) -> Result<(), String> {
        (self.0)()
    }
}

impl std::fmt::Debug for AliveCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AliveCheck(..)")
    }
}

impl SessionOptions {
    /// Plays into `midi_port` and records `audio_ports` on `server`, in freewheel.
    pub fn new(server: &str, midi_port: &str, audio_ports: &str) -> Self {
        SessionOptions {
            server: server.to_string(),
            midi_port: Some(midi_port.to_string()),
            audio_ports: Some(audio_ports.to_string()),
            freewheel: true,
            freewheel_between_files: false,
            timeout: None,
            fail_on_xrun: true,
            stop_on_silence: None,
            interrupt: None,
            synth_alive: None,
            stall_timeout: Some(STALL_TIMEOUT),
            render_period: None,
        }
    }
}

/// Player and recorder clients, active and connected to the synth, ready for renders.
/// Dropping it deactivates and closes them.
#[derive(Debug)]
pub struct Session {
    /// The one client the player and recorder share when the synth is one client (see
    /// `duplex`); `None` when they have a client each.
    duplex: Option<DuplexClient>,
    player: Option<Player>,
    recorder: Option<Recorder>,
    watch: Arc<WatchState>,
    options: SessionOptions,
    /// The synth died during a freewheel render: the server may wait for it forever, so every
    /// JACK call would too. Such a session is closed by [`Session::close_wedged`] (which stops
    /// the server first) or, when dropped, leaks its clients rather than hang.
    wedged: bool,
}

impl Session {
    /// One render with a session of its own: plays `schedule` and records `total` frames
    /// (`u64::MAX`: until silent, interrupted or timed out) into `sink`.
    pub fn run(
        options: &SessionOptions,
        schedule: &Schedule,
        total: u64,
        sink: Sink,
    ) -> Result<Recording, Error> {
        Session::new(options)?.render(schedule.clone(), total, sink, |_, _| {})
    }

    /// Opens, activates and connects the player and the recorder: in one client when the
    /// synth is one client (its MIDI input and audio outputs), else in one client each.
    pub fn new(options: &SessionOptions) -> Result<Session, Error> {
        let watch = Arc::new(WatchState::default());
        let started = Instant::now();
        let shared = match (&options.midi_port, &options.audio_ports) {
            (Some(midi), Some(audio)) => duplex::open(&options.server, midi, audio, watch.clone())?,
            _ => None,
        };
        let (duplex, recorder, player) = match shared {
            Some((client, player, recorder)) => (Some(client), Some(recorder), Some(player)),
            None => {
                let (recorder, player) = open_separately(options, &watch)?;
                (None, recorder, player)
            }
        };
        if duplex.is_none() && recorder.is_none() && player.is_none() {
            return Err(Error::NothingToConnect);
        }
        tracing::debug!(elapsed = ?started.elapsed(), shared = duplex.is_some(), "player and recorder ready");
        Ok(Session {
            duplex,
            player,
            recorder,
            watch,
            options: options.clone(),
            wedged: false,
        })
    }

    /// A client of this session, to switch freewheel (a server-wide setting).
    fn any_client(&self) -> &Client {
        match (&self.duplex, &self.recorder, &self.player) {
            (Some(duplex), _, _) => duplex.as_client(),
            (_, Some(recorder), _) => recorder.client(),
            (_, _, Some(player)) => player.client(),
            (None, None, None) => unreachable!("Session::new refuses a session without clients"),
        }
    }

    /// The server's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.any_client().sample_rate()
    }

    /// The server's period (frames per cycle) now.
    pub fn period(&self) -> u32 {
        self.any_client().buffer_size()
    }

    /// Sets when the next renders end early on silence (`--tail auto`).
    pub fn set_stop_on_silence(&mut self, rule: Option<StopOnSilence>) {
        self.options.stop_on_silence = rule;
    }

    /// Sets how long the next renders may take.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.options.timeout = timeout;
    }

    /// Channels recorded (the synth's audio outputs that matched).
    pub fn channels(&self) -> usize {
        self.recorder.as_ref().map_or(0, Recorder::channels)
    }

    /// Plays `schedule` (frames from the start) and records `total` frames into `sink`, both
    /// from the same start frame; `on_tick(recorded, total)` is called as it goes. On a fault
    /// the sink is still closed properly (a WAV holds the frames recorded so far) and the error
    /// returned; the session is then unusable if the synth or server is gone.
    pub fn render(
        &mut self,
        schedule: Schedule,
        total: u64,
        sink: Sink,
        mut on_tick: impl FnMut(u64, u64),
    ) -> Result<Recording, Error> {
        let started = Instant::now();
        // A session that lost its synth or server cannot render; xruns of earlier renders or of
        // idle time do not count against this one.
        let idle_xruns = self.watch.xruns.load(Ordering::Acquire);
        if let Some(fault) = self.fault(started, (0, total), idle_xruns) {
            return Err(fault);
        }
        // Before the take: the recorder sizes its ring for the period it will see.
        let setup_period = self.any_client().buffer_size();
        let switched = match self.options.render_period {
            Some(period) if period != setup_period => {
                client::set_buffer_size(self.any_client(), period)
            }
            _ => false,
        };
        let sync = Arc::new(StartSync::new());
        let server = (self.sample_rate(), self.period());
        if let Some(recorder) = &mut self.recorder
            && let Err(error) = recorder.record_at(
                server,
                total,
                sink,
                self.options.stop_on_silence,
                sync.clone(),
            )
        {
            if switched {
                client::set_buffer_size(self.any_client(), setup_period);
            }
            return Err(error);
        }
        if let Some(player) = &mut self.player
            && let Err(error) = player.play(schedule, sync.clone())
        {
            if let Some(recorder) = &mut self.recorder {
                let _ = recorder.finish(true);
            }
            if switched {
                client::set_buffer_size(self.any_client(), setup_period);
            }
            return Err(error);
        }
        // Already on when the last render left it on (`freewheel_between_files`).
        if self.options.freewheel && !self.watch.freewheel.load(Ordering::Acquire) {
            client::set_freewheel(self.any_client(), true);
        }
        // Both callbacks must hold their jobs before the start is armed, or one of them would
        // begin late.
        let delivered = self.wait_for_delivery();
        let xruns_before = self.watch.xruns.load(Ordering::Acquire);
        if delivered.is_ok() {
            sync.arm();
        }
        let outcome = delivered.and_then(|()| {
            let mut last_progress = (0, Instant::now());
            loop {
                let progress = self.progress(total);
                on_tick(progress.0, total);
                // No audio for the stall timeout, or audio only after such a gap (a cycle the
                // server ran without waiting for the synth any longer): the synth is stuck.
                if let Some(stall) = self.options.stall_timeout
                    && last_progress.1.elapsed() > stall
                {
                    break Err(Error::Stalled {
                        seconds: stall.as_secs_f64(),
                        done_frames: last_progress.0,
                    });
                }
                if progress.0 != last_progress.0 {
                    last_progress = (progress.0, Instant::now());
                }
                let played = self.player.as_ref().is_none_or(Player::is_done);
                let recorded = self.recorder.as_ref().is_none_or(Recorder::is_done);
                if played && recorded {
                    break Ok(());
                }
                if let Some(fault) = self.fault(started, progress, xruns_before) {
                    break Err(fault);
                }
                std::thread::sleep(POLL);
            }
        });

        // A freewheeling server whose client died, hangs or stopped answering waits for it
        // forever: so would every JACK call of ours.
        if self.options.freewheel
            && matches!(
                outcome,
                Err(Error::SynthDied { .. }
                    | Error::ClientGone { .. }
                    | Error::Stalled { .. }
                    | Error::Timeout { .. })
            )
        {
            self.wedged = true;
        }
        self.end_freewheel();
        // Back to the set-up period once out of freewheel: switching while still freewheeling
        // was followed once, in about 870 renders, by a render that never started (cause not
        // proven). This order costs one cycle of the render's period.
        if switched
            && !self.wedged
            && !self.options.freewheel_between_files
            && !self.watch.shutdown.load(Ordering::Acquire)
        {
            client::set_buffer_size(self.any_client(), setup_period);
        }
        let losses = self
            .player
            .as_ref()
            .and_then(Player::losses)
            .or_else(|| self.recorder.as_ref().and_then(Recorder::losses));
        let recording = match &mut self.recorder {
            Some(recorder) => recorder.finish(outcome.is_err()),
            None => Ok(Recording::default()),
        };
        // The first cause wins: a fault, then a failed WAV, then lost events or frames.
        outcome?;
        let recording = recording?;
        match losses {
            Some(loss) => Err(loss),
            None => Ok(recording),
        }
    }

    fn progress(&self, total: u64) -> (u64, u64) {
        (self.recorder.as_ref().map_or(0, |r| r.progress().0), total)
    }

    fn wait_for_delivery(&self) -> Result<(), Error> {
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        loop {
            let player = self.player.as_ref().is_none_or(Player::delivered);
            let recorder = self.recorder.as_ref().is_none_or(Recorder::delivered);
            if player && recorder {
                return Ok(());
            }
            if let Some(fault) = self.fault(Instant::now(), (0, 0), u64::MAX) {
                return Err(fault);
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout {
                    seconds: DELIVERY_TIMEOUT.as_secs_f64(),
                    done_frames: 0,
                    total_frames: 0,
                });
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn fault(&self, started: Instant, progress: (u64, u64), xruns_before: u64) -> Option<Error> {
        fault(&self.watch, &self.options, started, progress, xruns_before)
    }
}

impl Session {
    /// Whether the synth died during a freewheel render: the server may then wait for it
    /// forever and so would closing this session's clients. Close it with
    /// [`Session::close_wedged`]; dropping it leaks its clients (and their threads) instead.
    pub fn is_wedged(&self) -> bool {
        self.wedged
    }

    /// Closes the session; if it is wedged, `stop_server` is called first and must stop
    /// (kill) the server, after which the clients close at once. A session that is not wedged
    /// closes as when dropped and `stop_server` is not called.
    pub fn close_wedged(mut self, stop_server: impl FnOnce()) {
        if self.wedged {
            stop_server();
            self.wedged = false;
            // No freewheel to leave: the server is gone.
            self.watch.shutdown.store(true, Ordering::Release);
        }
    }

    /// Leaves freewheel after a render, unless asked to stay in it (`freewheel_between_files`).
    fn end_freewheel(&self) {
        if !self.options.freewheel_between_files {
            self.leave_freewheel();
        }
    }

    /// Ends freewheel (a no-op for the server when it is off) and waits until the server has
    /// told our client: a freewheeling jackd 1.9.21 refuses new clients, so a synth restarted
    /// right after a render would otherwise fail to start, now and then.
    fn leave_freewheel(&self) {
        if !self.options.freewheel || self.wedged || self.watch.shutdown.load(Ordering::Acquire) {
            return;
        }
        client::set_freewheel(self.any_client(), false);
        let deadline = Instant::now() + FREEWHEEL_EXIT_TIMEOUT;
        while self.watch.freewheel.load(Ordering::Acquire) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Opens, activates and connects the recorder and the player, a client each, at once: each
/// activation and connection waits for a cycle boundary.
fn open_separately(
    options: &SessionOptions,
    watch: &Arc<WatchState>,
) -> Result<(Option<Recorder>, Option<Player>), Error> {
    std::thread::scope(|scope| {
        let recorder = scope.spawn(|| {
            options
                .audio_ports
                .as_deref()
                .map(|pattern| Recorder::open(&options.server, pattern, watch.clone()))
                .transpose()
        });
        let player = options
            .midi_port
            .as_deref()
            .map(|pattern| Player::open(&options.server, pattern, watch.clone()))
            .transpose();
        let recorder = recorder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((recorder?, player?))
    })
}

/// How long a session waits for the server to leave freewheel (it does at its next cycle).
const FREEWHEEL_EXIT_TIMEOUT: Duration = Duration::from_secs(2);

impl Drop for Session {
    fn drop(&mut self) {
        if self.wedged {
            tracing::warn!(
                server = self.options.server,
                "the synth died in freewheel and the server was left running: this session's \
                 JACK clients are abandoned rather than wait for the server forever"
            );
            std::mem::forget(self.player.take());
            std::mem::forget(self.recorder.take());
            std::mem::forget(self.duplex.take());
            return;
        }
        // Each deactivation and close waits for a cycle boundary, and jackd handles them one at
        // a time: closing the two clients from two threads saved nothing (measured at 4096).
        // Freewheel ends before any client leaves the graph: jackd 1.9.21 restores, when
        // freewheel ends, the connections it saved when it began, so a client deactivated
        // while freewheeling comes back into the graph dead and the server hangs (tried).
        self.leave_freewheel();
        if let Some(player) = self.player.take() {
            player.close();
        }
        drop(self.recorder.take());
        if let Some(duplex) = self.duplex.take() {
            let _ = duplex.deactivate();
        }
    }
}

/// The first reason to stop waiting besides success: what the notification threads saw, an
/// interrupt from outside, or the timeout. xruns count from `xruns_before` on.
fn fault(
    watch: &WatchState,
    options: &SessionOptions,
    started: Instant,
    (done_frames, total_frames): (u64, u64),
    xruns_before: u64,
) -> Option<Error> {
    if let Some(Err(reason)) = options.synth_alive.as_ref().map(AliveCheck::ensure_alive) {
        return Some(Error::SynthDied { reason });
    }
    if let Some(fault) = watch.fault() {
        return Some(fault);
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
