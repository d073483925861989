//! Fixtures for the integration tests: private JACK servers, the shared MIDI files, and the
//! impulse instrument (a test fixture that writes an impulse at each note-on's exact frame).
//!
//! Every server a test starts has a unique name and is stopped by PID when its handle drops;
//! the user's own JACK server is never touched.

pub mod support;

use std::path::PathBuf;

use proc_supervisor::{Host, JackServer, RunningHost, RunningServer};

/// The real MIDI files shared by the tests (see `tests/data/midi/SOURCES.md`).
pub fn midi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/midi")
}

/// The five shared MIDI files, sorted by name.
pub fn midi_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(midi_dir())
        .expect("tests/data/midi")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "mid"))
        .collect();
    files.sort();
    files
}

/// libjack keeps per-process global state for the server it talks to, so one process must
/// only talk to one server at a time: tests that start a server hold this lock.
static ONE_SERVER_PER_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A private `jackd -d dummy` (48 kHz) for one test, supervised by proc-supervisor: stopped on
/// drop (hosts first), never the user's own server.
#[derive(Debug)]
pub struct TestServer {
    /// The server's name (pass it to clients, or as `JACK_DEFAULT_SERVER`).
    pub name: String,
    server: RunningServer,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl TestServer {
    /// Starts a server with `period` frames per cycle and waits until it takes clients.
    pub fn start(period: u32) -> TestServer {
        let lock = ONE_SERVER_PER_PROCESS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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

/// A binary of this package: tests run from `target/<profile>/deps/`, binaries sit one up.
pub fn fixture_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir.join(name)
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
