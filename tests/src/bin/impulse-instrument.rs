//! TEST FIXTURE — a deterministic instrument for measuring timing exactly. Not the product.
//!
//! A JACK client that mimics Carla in patchbay mode: it joins the server named by
//! `JACK_DEFAULT_SERVER`, registers as `Carla` (or `$CARLA_CLIENT_NAME`) with Carla's ports
//! `events-in`, `audio-out1`, `audio-out2` (and `audio-in1/2`, `events-out`), accepts Carla's
//! command line (`-n`/`--no-gui` and an absolute project path, which must exist), and prints
//! `Carla ready!` like Carla does. For every note-on it writes velocity/127 into both outputs at
//! the exact frame the event arrives (several note-ons on one frame add up). Runs until killed.
//!
//! `IMPULSE_CYCLE_SLEEP_US=N` makes every cycle take N µs more (a slow synth), so that tests can
//! aim at the middle of a freewheel render; a fixture may sleep in its callback, the product
//! never does.
//!
//! `IMPULSE_DEAF_NOTES=N` makes it ignore its first N note-ons: an instrument that was not ready
//! when the music started (a sampler still loading), for the render check that sees partial
//! loss.

use std::path::Path;

use jack::{AudioOut, Client, ClientOptions, Control, MidiIn, ProcessScope};
use nix::fcntl::{Flock, FlockArg};

/// A machine-wide lock held while the client opens and activates.
///
/// Every instance registers as `Carla`, each on its own test's server, and tests run in
/// parallel. libjack binds a client's notification socket at `/dev/shm/jack_<client>_<uid>_0`,
/// without the server's name, so two `Carla`s opening at once unlink each other's socket and one
/// fails. The product names its clients uniquely (`jack_client::unique_name`); this fixture
/// keeps Carla's name, so it opens one instance at a time instead.
fn one_opening_at_a_time(name: &str) -> Option<Flock<std::fs::File>> {
    let path = std::env::temp_dir().join(format!("pycarla-impulse-{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    Flock::lock(file, FlockArg::LockExclusive).ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let project = args.iter().find(|a| !a.starts_with('-'));
    if let Some(project) = project
        && !Path::new(project).is_file()
    {
        eprintln!("Carla: project file {project} does not exist");
        std::process::exit(1);
    }
    let name = std::env::var("CARLA_CLIENT_NAME").unwrap_or_else(|_| "Carla".to_string());
    let opening = one_opening_at_a_time(&name);
    let opened = Client::new(&name, ClientOptions::NO_START_SERVER);
    let (client, _) = match opened {
        Ok(client) => client,
        Err(error) => {
            eprintln!("Failed to create new JACK client: {error}");
            std::process::exit(1);
        }
    };
    let register = |name: &str| {
        client
            .register_port(name, AudioOut::default())
            .expect("port")
    };
    let (mut left, mut right) = (register("audio-out1"), register("audio-out2"));
    let events = client
        .register_port("events-in", MidiIn::default())
        .expect("port");
    let _audio_in1 = client
        .register_port("audio-in1", jack::AudioIn::default())
        .expect("port");
    let _audio_in2 = client
        .register_port("audio-in2", jack::AudioIn::default())
        .expect("port");
    let _events_out = client
        .register_port("events-out", jack::MidiOut::default())
        .expect("port");

    let cycle_sleep = std::env::var("IMPULSE_CYCLE_SLEEP_US")
        .ok()
        .and_then(|us| us.parse().ok())
        .map(std::time::Duration::from_micros);
    let mut deaf_notes: u64 = std::env::var("IMPULSE_DEAF_NOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let process = move |_: &Client, scope: &ProcessScope| -> Control {
        if let Some(pause) = cycle_sleep {
            std::thread::sleep(pause);
        }
        let (left, right) = (left.as_mut_slice(scope), right.as_mut_slice(scope));
        left.fill(0.0);
        right.fill(0.0);
        for event in events.iter(scope) {
            if let [status, _key, velocity] = event.bytes
                && status & 0xF0 == 0x90
                && *velocity > 0
            {
                if deaf_notes > 0 {
                    deaf_notes -= 1;
                    continue;
                }
                let value = f32::from(*velocity) / 127.0;
                let offset = event.time as usize;
                for output in [&mut *left, &mut *right] {
                    if let Some(sample) = output.get_mut(offset) {
                        *sample += value;
                    }
                }
            }
        }
        Control::Continue
    };
    let _active = client
        .activate_async((), jack::contrib::ClosureProcessHandler::new(process))
        .expect("activate");
    // Activation is answered through the notification socket, so libjack is done with the
    // socket's path by now.
    drop(opening);
    println!("Carla ready!");
    loop {
        std::thread::park();
    }
}
