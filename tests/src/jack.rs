//! Private JACK servers for tests (dummy backend, unique names, stopped by PID), the synth
//! hosts they play, and the impulse instrument's expected output.

use std::sync::{Mutex, MutexGuard, PoisonError};

use proc_supervisor::{Host, JackServer, RunningHost, RunningServer};

use crate::fixtures::fixture_binary;

/// libjack keeps per-process global state for the server it talks to, so one process must
/// only talk to one server at a time: every test of a test binary that starts a server (or
/// renders on JACK, or times a render from outside) holds this lock — the one lock of the
/// workspace's tests, so that two helpers never serialise on different locks.
pub fn one_server_at_a_time() -> MutexGuard<'static, ()> {
    static ONE_SERVER_PER_PROCESS: Mutex<()> = Mutex::new(());
    ONE_SERVER_PER_PROCESS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A private `jackd -d dummy` (48 kHz) for one test, supervised by proc-supervisor: stopped on
/// drop (hosts first), never the user's own server.
#[derive(Debug)]
pub struct TestServer {
    /// The server's name (pass it to clients, or as `JACK_DEFAULT_SERVER`).
    pub name: String,
    server: RunningServer,
    _lock: MutexGuard<'static, ()>,
}

impl TestServer {
    /// Starts a server with `period` frames per cycle and waits until it takes clients.
    pub fn start(period: u32) -> TestServer {
        let lock = one_server_at_a_time();
        let server = JackServer::dummy()
            .sample_rate(48_000)
            .period(period)
            .name_pool("pyc-test", 16)
            .start()
            .unwrap_or_else(|e| panic!("{e} (run `cargo xtask setup` to install jackd2)"));
        TestServer {
            name: server.name().to_string(),
            server,
            _lock: lock,
        }
    }

    /// Starts a synth host on this server and waits until its ports exist.
    pub fn host(&self, host: Host) -> RunningHost {
        host.start(&self.server)
            .unwrap_or_else(|e| panic!("starting a synth host: {e}"))
    }

    /// The supervised server (to kill or inspect it).
    pub fn server(&self) -> &RunningServer {
        &self.server
    }
}

/// The impulse instrument as a synth host (client `Carla`, ports `Carla:events-in`,
/// `Carla:audio-out1/2`).
pub fn impulse_host() -> Host {
    Host::command(
        fixture_binary("impulse-instrument"),
        Vec::<String>::new(),
        "Carla:events-in",
        "Carla:audio-out*",
    )
}

/// fluidsynth with the General MIDI SoundFont as a synth host.
pub fn fluidsynth_host() -> Host {
    Host::fluidsynth("/usr/share/sounds/sf2/FluidR3_GM.sf2")
}

/// The schedule of a timeline at `sample_rate`: every wire event at `round(t · sr)`.
pub fn schedule_of(timeline: &smf::Timeline, sample_rate: u32) -> rt_core::Schedule {
    let mut schedule = rt_core::Schedule::new();
    for (frame, event) in timeline.frames(sample_rate) {
        schedule
            .push(frame, event.message.bytes())
            .expect("timeline is sorted");
    }
    schedule
}

/// Expected impulses of the impulse instrument: frame → sum of velocity/127 of its note-ons.
pub fn expected_impulses(
    timeline: &smf::Timeline,
    sample_rate: u32,
) -> std::collections::BTreeMap<u64, f32> {
    let mut impulses = std::collections::BTreeMap::new();
    for (frame, event) in timeline.frames(sample_rate) {
        if let Some((_, _, velocity)) = event.message.note_on() {
            *impulses.entry(frame).or_insert(0.0) += f32::from(velocity) / 127.0;
        }
    }
    impulses
}

/// Compares a recorded channel with the expected impulses: every impulse at exactly its frame
/// with its value, nothing anywhere else. Returns a description of the first differences.
pub fn impulse_mismatches(
    channel: &[f32],
    expected: &std::collections::BTreeMap<u64, f32>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (frame, &sample) in channel.iter().enumerate() {
        let want = expected.get(&(frame as u64)).copied().unwrap_or(0.0);
        if (sample - want).abs() > 1e-4 {
            problems.push(format!("frame {frame}: recorded {sample}, expected {want}"));
            if problems.len() >= 10 {
                break;
            }
        }
    }
    if let Some((&frame, _)) = expected.range(channel.len() as u64..).next() {
        problems.push(format!("impulse at frame {frame} beyond the recording"));
    }
    problems
}
