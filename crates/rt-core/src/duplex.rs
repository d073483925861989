//! One JACK client that both plays into the synth and records it: a session's player and
//! recorder in a single callback.
//!
//! Every client costs the server a context switch per cycle and, in real time, a cycle boundary
//! for each open, activation, deactivation and close (jackd takes them one at a time). One
//! client instead of two makes JACK's own cost of a render's graph a quarter to a third lower
//! (bench section 1, period 1024: 369× → 481× realtime in one run, 366× → 541× in another) and
//! halves the cycles a session waits for on a server the user runs.
//!
//! The synth's outputs come back into the client that feeds it, which closes a loop. jack2 keeps
//! the connection that closed it as a *feedback* connection and runs the client that feeds the
//! synth first: so the MIDI connection is made first and the audio ones after it. In each cycle
//! the callback then plays the events of this cycle and reads what the synth rendered in the
//! previous one, and records it as that cycle's audio: one period late, always, so every
//! recorded frame keeps its exact index.

use std::sync::Arc;

use jack::{AsyncClient, Client, Control, ProcessHandler, ProcessScope};

use crate::client::{self, unique_client_name};
use crate::error::{Error, jack_error};
use crate::player::{Player, PlayerProcess};
use crate::recorder::{Recorder, RecorderProcess};
use crate::watch::{Watch, WatchState};

/// The shared callback: the player's work for this cycle, then the recorder's for the last.
/// Allocation-free, lock-free, no system calls, like its two halves.
#[derive(Debug)]
pub struct DuplexProcess {
    player: PlayerProcess,
    recorder: RecorderProcess,
}

impl DuplexProcess {
    /// The player's and the recorder's processes in one callback.
    pub fn new(player: PlayerProcess, recorder: RecorderProcess) -> Self {
        DuplexProcess { player, recorder }
    }
}

impl ProcessHandler for DuplexProcess {
    fn process(&mut self, client: &Client, scope: &ProcessScope) -> Control {
        self.player.process(client, scope);
        // The synth runs after this client: its output buffers still hold the previous cycle.
        let previous = scope.last_frame_time().wrapping_sub(scope.n_frames());
        self.recorder.record_cycle(scope, previous);
        Control::Continue
    }
}

/// The active client both live in.
pub(crate) type DuplexClient = AsyncClient<Watch, DuplexProcess>;

/// Opens one client on `server` that plays into the first port matching `midi_port` and records
/// every port matching `audio_ports`, activates and connects it.
///
/// `None` when the MIDI input and the audio outputs are not all one client's: only a synth
/// client that we feed and record makes the loop certain, and with it the order the callback
/// relies on (with no loop, the recorded audio would be this cycle's, not the last one's).
pub(crate) fn open(
    server: &str,
    midi_port: &str,
    audio_ports: &str,
    watch: Arc<WatchState>,
) -> Result<Option<(DuplexClient, Player, Recorder)>, Error> {
    let jack = client::open(&unique_client_name("render"), server)?;
    let (player, player_process, midi) = Player::on_client(&jack, midi_port)?;
    let (recorder, recorder_process, audio) =
        Recorder::on_client(&jack, audio_ports, watch.clone())?;
    let synth_clients = recorder.synth_clients().to_vec();
    if synth_clients != [player.synth_client()] {
        return Ok(None);
    }
    let process = DuplexProcess::new(player_process, recorder_process);
    let client = jack
        .activate_async(Watch::new(watch, synth_clients), process)
        .map_err(jack_error("activating the player and recorder"))?;
    // MIDI first: the audio connections then close the loop and become the feedback ones.
    midi.connect(client.as_client())?;
    audio.connect(client.as_client())?;
    Ok(Some((client, player, recorder)))
}
