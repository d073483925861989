//! Clients that do nothing but count cycles: what JACK itself costs a render's graph, for the
//! JACK-limit rows (section 1) and the empty render on a user's server (section 15).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jack::{AsyncClient, Client, Control, ProcessHandler, ProcessScope};

/// A process callback that only counts the cycles it runs (when given a counter).
pub struct CycleCounter(pub Option<Arc<AtomicU64>>);

impl ProcessHandler for CycleCounter {
    fn process(&mut self, _: &Client, _: &ProcessScope) -> Control {
        if let Some(counter) = &self.0 {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Control::Continue
    }
}

/// Opens and activates an empty client on `server` with a render's ports: a player's
/// `midi_out` and a recorder's `in_1` and `in_2`, as asked.
pub fn open(
    server: &str,
    role: &str,
    (midi_out, audio_in): (bool, bool),
    counter: CycleCounter,
) -> AsyncClient<(), CycleCounter> {
    let client =
        rt_core::client::open(&rt_core::client::unique_client_name(role), server).expect("client");
    if midi_out {
        client
            .register_port("midi_out", jack::MidiOut::default())
            .expect("port");
    }
    if audio_in {
        for port in ["in_1", "in_2"] {
            client
                .register_port(port, jack::AudioIn::default())
                .expect("port");
        }
    }
    client.activate_async((), counter).expect("activate")
}

/// Connects client `player`'s `midi_out` to the impulse instrument (`Carla`) and its outputs
/// to client `recorder`'s inputs (the same client for a loop).
pub fn connect_to_instrument(jack: &Client, player: &str, recorder: &str) {
    jack.connect_ports_by_name(&format!("{player}:midi_out"), "Carla:events-in")
        .expect("connect");
    for i in 1..=2 {
        jack.connect_ports_by_name(
            &format!("Carla:audio-out{i}"),
            &format!("{recorder}:in_{i}"),
        )
        .expect("connect");
    }
}
