//! The player's JACK process callback: writes each scheduled event at its exact offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use jack::{Client, Control, MidiOut, Port, ProcessHandler, ProcessScope, RawMidi};

use crate::schedule::{self, Schedule};
use crate::sync::StartSync;

/// What the player reports to other threads.
#[derive(Debug, Default)]
pub struct PlayerStatus {
    /// Events written so far (the schedule's cursor).
    pub played: AtomicUsize,
    /// Events that did not fit their cycle's MIDI buffer.
    pub lost: AtomicU64,
}

/// The player's process handler. Owns the schedule and its output port; allocation-free.
#[derive(Debug)]
pub struct PlayerProcess {
    port: Port<MidiOut>,
    schedule: Schedule,
    cursor: usize,
    sync: Arc<StartSync>,
    status: Arc<PlayerStatus>,
}

impl PlayerProcess {
    /// A player of `schedule` on `port`, starting with `sync`.
    pub fn new(
        port: Port<MidiOut>,
        schedule: Schedule,
        sync: Arc<StartSync>,
        status: Arc<PlayerStatus>,
    ) -> Self {
        PlayerProcess {
            port,
            schedule,
            cursor: 0,
            sync,
            status,
        }
    }
}

impl ProcessHandler for PlayerProcess {
    fn process(&mut self, _: &Client, scope: &ProcessScope) -> Control {
        // The writer clears the port buffer: every cycle, so that nothing is ever sent twice.
        let mut writer = self.port.writer(scope);
        let n = scope.n_frames();
        let Some(cycle) = self.sync.relative(scope.last_frame_time(), n) else {
            return Control::Continue;
        };
        let due = schedule::due(self.schedule.frames(), self.cursor, cycle, n);
        let mut lost = 0;
        for index in due.clone() {
            let (frame, bytes) = self.schedule.get(index);
            let event = RawMidi {
                time: schedule::offset(frame, cycle),
                bytes,
            };
            if writer.write(&event).is_err() {
                lost += 1;
            }
        }
        self.cursor = due.end;
        if lost > 0 {
            self.status.lost.fetch_add(lost, Ordering::Relaxed);
        }
        self.status.played.store(self.cursor, Ordering::Release);
        Control::Continue
    }
}
