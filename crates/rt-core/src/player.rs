//! The player's JACK process callback: writes each scheduled event at its exact offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use jack::{AsyncClient, Client, Control, MidiOut, Port, ProcessHandler, ProcessScope, RawMidi};

use crate::client::{self, jack_error, unique_client_name};
use crate::error::Error;
use crate::mailbox::Mailbox;
use crate::schedule::{self, Schedule};
use crate::sync::StartSync;
use crate::watch::{Watch, WatchState};

/// An active player: a JACK client with one MIDI output connected to the synth's MIDI input,
/// playing its schedule from the shared start frame. Dropping it deactivates the client.
#[derive(Debug)]
pub struct Player {
    active: AsyncClient<Watch, PlayerProcess>,
    status: Arc<PlayerStatus>,
    events: usize,
    synth_client: String,
}

/// A player whose client is open but not yet active (see [`Player::open`]).
#[derive(Debug)]
pub struct PlayerSetup {
    jack: Client,
    process: PlayerProcess,
    watch: Watch,
    own: String,
    target: String,
    player: (Arc<PlayerStatus>, usize, String),
}

impl PlayerSetup {
    /// Activates the client and connects it to the synth.
    pub fn activate(self) -> Result<Player, Error> {
        let active = self
            .jack
            .activate_async(self.watch, self.process)
            .map_err(jack_error("activating the player"))?;
        active
            .as_client()
            .connect_ports_by_name(&self.own, &self.target)
            .map_err(jack_error("connecting the player to the synth"))?;
        let (status, events, synth_client) = self.player;
        Ok(Player {
            active,
            status,
            events,
            synth_client,
        })
    }
}

impl Player {
    /// Activates a player of `schedule` on `server`, connected to the first port matching
    /// `midi_port`. Nothing plays before `sync` is armed.
    pub fn start(
        server: &str,
        midi_port: &str,
        schedule: Schedule,
        sync: Arc<StartSync>,
        watch: Arc<WatchState>,
    ) -> Result<Player, Error> {
        Player::open(server, midi_port, schedule, sync, watch)?.activate()
    }

    /// Opens the client and registers its port, without activating it: a server in freewheel
    /// refuses new clients, so a session opens every client first.
    pub fn open(
        server: &str,
        midi_port: &str,
        schedule: Schedule,
        sync: Arc<StartSync>,
        watch: Arc<WatchState>,
    ) -> Result<PlayerSetup, Error> {
        let jack = client::open(&unique_client_name("play"), server)?;
        let target = client::require_ports(&jack, midi_port)?.remove(0);
        let synth_client = client::client_of(&target).to_string();
        let port = jack
            .register_port("midi_out", MidiOut::default())
            .map_err(jack_error("registering the MIDI output"))?;
        let own = port.name().map_err(jack_error("naming the MIDI output"))?;
        let status = Arc::new(PlayerStatus::default());
        let events = schedule.len();
        let job = PlayerJob::new(schedule, sync, status.clone());
        let process = PlayerProcess::new(port, Some(job), None);
        Ok(PlayerSetup {
            jack,
            process,
            watch: Watch::new(watch, vec![synth_client.clone()]),
            own,
            target,
            player: (status, events, synth_client),
        })
    }

    /// The JACK client, e.g. to set freewheel.
    pub fn client(&self) -> &Client {
        self.active.as_client()
    }

    /// The synth's client name.
    pub fn synth_client(&self) -> &str {
        &self.synth_client
    }

    /// Events played so far.
    pub fn played(&self) -> usize {
        self.status.played.load(Ordering::Acquire)
    }

    /// Whether every event has been played.
    pub fn is_done(&self) -> bool {
        self.played() >= self.events
    }

    /// Events lost to full MIDI buffers, as an error.
    pub fn losses(&self) -> Option<Error> {
        let lost = self.status.lost.load(Ordering::Relaxed);
        (lost > 0).then_some(Error::MidiOverflow { lost })
    }

    /// Deactivates and closes the client.
    pub fn close(self) {
        let _ = self.active.deactivate();
    }
}

/// What the player reports to other threads.
#[derive(Debug, Default)]
pub struct PlayerStatus {
    /// Events written so far (the schedule's cursor).
    pub played: AtomicUsize,
    /// Events that did not fit their cycle's MIDI buffer.
    pub lost: AtomicU64,
}

/// One render's work for the player: a schedule, how far it has been played, the start it
/// follows and where it reports.
#[derive(Debug)]
pub struct PlayerJob {
    schedule: Schedule,
    cursor: usize,
    sync: Arc<StartSync>,
    status: Arc<PlayerStatus>,
}

impl PlayerJob {
    /// A job playing `schedule` from `sync`'s start, reporting into `status`.
    pub fn new(schedule: Schedule, sync: Arc<StartSync>, status: Arc<PlayerStatus>) -> Box<Self> {
        Box::new(PlayerJob {
            schedule,
            cursor: 0,
            sync,
            status,
        })
    }
}

/// The player's process handler. Owns its output port and the current job; takes new jobs
/// from its mailbox between cycles. Allocation-free.
#[derive(Debug)]
pub struct PlayerProcess {
    port: Port<MidiOut>,
    job: Option<Box<PlayerJob>>,
    mailbox: Option<Mailbox<PlayerJob>>,
}

impl PlayerProcess {
    /// A player on `port` with a first `job`, and a `mailbox` for later ones.
    pub fn new(
        port: Port<MidiOut>,
        job: Option<Box<PlayerJob>>,
        mailbox: Option<Mailbox<PlayerJob>>,
    ) -> Self {
        PlayerProcess { port, job, mailbox }
    }
}

impl ProcessHandler for PlayerProcess {
    fn process(&mut self, _: &Client, scope: &ProcessScope) -> Control {
        // The writer clears the port buffer: every cycle, so that nothing is ever sent twice.
        let mut writer = self.port.writer(scope);
        if let Some(mailbox) = &mut self.mailbox {
            mailbox.collect(&mut self.job);
        }
        let Some(job) = self.job.as_deref_mut() else {
            return Control::Continue;
        };
        let n = scope.n_frames();
        let Some(cycle) = job.sync.relative(scope.last_frame_time(), n) else {
            return Control::Continue;
        };
        let due = schedule::due(job.schedule.frames(), job.cursor, cycle, n);
        let mut lost = 0;
        for index in due.clone() {
            let (frame, bytes) = job.schedule.get(index);
            let event = RawMidi {
                time: schedule::offset(frame, cycle),
                bytes,
            };
            if writer.write(&event).is_err() {
                lost += 1;
            }
        }
        job.cursor = due.end;
        if lost > 0 {
            job.status.lost.fetch_add(lost, Ordering::Relaxed);
        }
        job.status.played.store(job.cursor, Ordering::Release);
        Control::Continue
    }
}
