//! Fixtures for the integration tests: private JACK servers, the shared MIDI files, and the
//! impulse instrument (a test fixture that writes an impulse at each note-on's exact frame).
//!
//! Every server a test starts has a unique name and is stopped by PID when its handle drops;
//! the user's own JACK server is never touched.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

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

/// A unique name for this test process.
pub fn unique_name(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "pyc-test-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// libjack keeps per-process global state for the server it talks to, so one process must
/// only talk to one server at a time: tests that start a server hold this lock.
static ONE_SERVER_PER_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A private `jackd -d dummy` for one test, stopped by PID (SIGTERM, so that it leaves its slot
/// in JACK's registry of servers) on drop.
#[derive(Debug)]
pub struct TestServer {
    /// The server's name (pass it to clients, or as `JACK_DEFAULT_SERVER`).
    pub name: String,
    child: Child,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl TestServer {
    /// Starts `jackd -n <unique> -d dummy -r 48000 -p <period>` and waits until it takes clients.
    pub fn start(period: u32) -> TestServer {
        let lock = ONE_SERVER_PER_PROCESS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = unique_name("jack");
        let mut child = with_clean_signals(&mut Command::new("jackd"))
            .args([
                "--no-realtime",
                "-n",
                &name,
                "-d",
                "dummy",
                "-r",
                "48000",
                "-p",
            ])
            .arg(period.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("jackd is missing: run `cargo xtask setup` (sudo apt-get install jackd2)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while rt_core::client::open("probe", &name).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                let _ =
                    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
                panic!("jackd {name} exited ({status}): {stderr}");
            }
            assert!(Instant::now() < deadline, "jackd {name} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        TestServer {
            name,
            child,
            _lock: lock,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts a child that joins this server (`JACK_DEFAULT_SERVER`), killed with the handle.
    pub fn spawn(&self, command: &mut Command) -> ChildGuard {
        let child = with_clean_signals(command)
            .env("JACK_DEFAULT_SERVER", &self.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning a synth host");
        ChildGuard(child)
    }

    /// Waits until a port matching `pattern` exists.
    pub fn wait_for_port(&self, pattern: &str) {
        let client = rt_core::client::open("port-probe", &self.name).expect("probe client");
        let deadline = Instant::now() + Duration::from_secs(15);
        while rt_core::client::matching_ports(&client, pattern)
            .expect("pattern")
            .is_empty()
        {
            assert!(Instant::now() < deadline, "no port {pattern} appeared");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl TestServer {
    /// Waits (up to two seconds) until only the server's own ports remain: jackd answers a
    /// SIGTERM that follows a client's death by milliseconds only after about six seconds.
    fn wait_for_clients_to_leave(&self) {
        let Ok(client) = rt_core::client::open("quiet-probe", &self.name) else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline
            && rt_core::client::matching_ports(&client, "*")
                .unwrap_or_default()
                .iter()
                .any(|port| !port.starts_with("system:") && !port.starts_with("quiet-probe:"))
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.wait_for_clients_to_leave();
        terminate(&mut self.child);
    }
}

/// Children inherit the spawning thread's signal mask, and libjack blocks signals in threads
/// that open clients: without this a child would ignore SIGTERM.
pub fn with_clean_signals(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&mut set);
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(signal, libc::SIG_DFL);
            }
            Ok(())
        })
    }
}

/// SIGTERM, up to ten seconds to exit, then SIGKILL; always reaped.
pub fn terminate(child: &mut Child) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "fixture: pid {} ignored SIGTERM for 10 s; SIGKILL",
        child.id()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A child process killed and reaped on drop.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        terminate(&mut self.0);
    }
}

/// The impulse instrument fixture's executable (built beside the test binaries).
pub fn impulse_instrument() -> Command {
    Command::new(fixture_binary("impulse-instrument"))
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
