//! The player's JACK process callback: writes each scheduled event at its exact offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use jack::{AsyncClient, Client, Control, MidiOut, Port, ProcessHandler, ProcessScope, RawMidi};

use crate::client::{self, unique_client_name};
use crate::error::{Error, jack_error};
use crate::mailbox::{Mailbox, Postman, mailbox};
use crate::schedule::{self, Schedule};
use crate::sync::StartSync;
use crate::watch::{Watch, WatchState};

/// A player: a JACK client with one MIDI output connected to the synth's MIDI input, kept
/// active across takes. Each [`play`](Player::play) mails its callback a new schedule, played
/// from that take's start frame. Dropping it deactivates the client.
///
/// Inside a session the player may share one client with the recorder (`duplex`); it then has
/// no client of its own and the session owns the shared one.
#[derive(Debug)]
pub struct Player {
    client: Option<AsyncClient<Watch, PlayerProcess>>,
    postman: Postman<PlayerJob>,
    synth_client: String,
    status: Arc<PlayerStatus>,
    events: usize,
}

impl Player {
    /// Activates a player on `server` connected to the first port matching `midi_port`; it
    /// plays nothing until [`play`](Player::play).
    pub fn open(server: &str, midi_port: &str, watch: Arc<WatchState>) -> Result<Player, Error> {
        let jack = client::open(&unique_client_name("play"), server)?;
        let (mut player, process, connection) = Player::on_client(&jack, midi_port)?;
        // The recorder counts xruns; a player alone (pycarla's MIDIPlayer) does not need them.
        let watch = Watch::new(watch, vec![player.synth_client.clone()]).without_xruns();
        let client = jack
            .activate_async(watch, process)
            .map_err(jack_error("activating the player"))?;
        connection.connect(client.as_client())?;
        player.client = Some(client);
        Ok(player)
    }

    /// A player whose callback will run in `jack` (not yet activated): the player without a
    /// client, its process handler, and the connection to make once `jack` is active.
    pub(crate) fn on_client(
        jack: &Client,
        midi_port: &str,
    ) -> Result<(Player, PlayerProcess, MidiConnection), Error> {
        let target = client::require_ports(jack, midi_port, client::PortKind::MidiInput)?.remove(0);
        let synth_client = client::client_of(&target).to_string();
        let port = jack
            .register_port("midi_out", MidiOut::default())
            .map_err(jack_error("registering the MIDI output"))?;
        let own = port.name().map_err(jack_error("naming the MIDI output"))?;
        let (postman, mailbox) = mailbox();
        let player = Player {
            client: None,
            postman,
            synth_client,
            status: Arc::new(PlayerStatus::default()),
            events: 0,
        };
        Ok((
            player,
            PlayerProcess::new(port, mailbox),
            MidiConnection { own, target },
        ))
    }

    /// Mails the callback `schedule`, to be played from `sync`'s start (nothing plays before it
    /// is armed). Arm only once [`delivered`](Player::delivered).
    pub fn play(&mut self, schedule: Schedule, sync: Arc<StartSync>) -> Result<(), Error> {
        self.status = Arc::new(PlayerStatus::default());
        self.events = schedule.len();
        let job = PlayerJob::new(schedule, sync, self.status.clone());
        self.postman
            .send(job)
            .map_err(|_| Error::Busy { what: "player" })
    }

    /// Whether the callback holds the last schedule sent.
    pub fn delivered(&self) -> bool {
        self.postman.delivered()
    }

    /// The JACK client, e.g. to set freewheel. Players handed out ([`Player::open`]) have one
    /// of their own.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a player opened on its own has its client")
            .as_client()
    }

    /// The synth's client name.
    pub fn synth_client(&self) -> &str {
        &self.synth_client
    }

    /// Events of the current take played so far.
    pub fn played(&self) -> usize {
        self.status.played.load(Ordering::Acquire)
    }

    /// Whether every event of the current take has been played.
    pub fn is_done(&self) -> bool {
        self.played() >= self.events
    }

    /// Events of the current take lost to full MIDI buffers, as an error.
    pub fn losses(&self) -> Option<Error> {
        let lost = self.status.lost.load(Ordering::Relaxed);
        (lost > 0).then_some(Error::MidiOverflow { lost })
    }

    /// Deactivates and closes the client, if the player has one of its own.
    pub fn close(self) {
        if let Some(client) = self.client {
            let _ = client.deactivate();
        }
    }
}

/// The player's MIDI output and the synth's input it goes to, connected once the client is
/// active.
#[derive(Debug)]
pub(crate) struct MidiConnection {
    own: String,
    target: String,
}

impl MidiConnection {
    /// Connects the player's output to the synth's input.
    pub(crate) fn connect(&self, client: &Client) -> Result<(), Error> {
        client
            .connect_ports_by_name(&self.own, &self.target)
            .map_err(jack_error("connecting the player to the synth"))
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
    mailbox: Mailbox<PlayerJob>,
}

impl PlayerProcess {
    /// A player on `port`, idle until a job arrives in its `mailbox`.
    pub fn new(port: Port<MidiOut>, mailbox: Mailbox<PlayerJob>) -> Self {
        PlayerProcess {
            port,
            job: None,
            mailbox,
        }
    }
}

impl ProcessHandler for PlayerProcess {
    fn process(&mut self, _: &Client, scope: &ProcessScope) -> Control {
        // The writer clears the port buffer: every cycle, so that nothing is ever sent twice.
        let mut writer = self.port.writer(scope);
        self.mailbox.collect(&mut self.job);
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
