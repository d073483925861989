//! Section 15: a long file on a JACK server somebody else runs (`pycarla render --server`),
//! against pycarla 0.3.3 (from PyPI) doing the same on the same server, and against JACK's own
//! cost for the same graph, at period 1024 and 4096.
//!
//! The server is started the way a user starts one (`jackd -d dummy -r 48000 -p P`, real-time
//! scheduling), with the impulse instrument registered as `Carla`: both pycarla and pycarla-rs
//! find it by its ports, and neither starts or stops anything but its own clients.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proc_supervisor::{Host, JackServer};

use crate::{empty_client, offline};

/// What one period measured: seconds, whole process.
pub struct AtPeriod {
    pub period: u32,
    /// pycarla-rs: median and best of [`RUNS`].
    pub ours: (f64, f64),
    /// pycarla 0.3.3: median and best of the runs that succeeded, and how many failed; `None`
    /// when it could not be installed or no run succeeded.
    pub peer: Option<((f64, f64), u32)>,
    /// JACK's own cost for the whole render: an empty client making the render's JACK calls
    /// ([`empty_render`]), median and best of [`RUNS`].
    pub jack_alone: (f64, f64),
}

/// Runs of each program per period: pycarla's time varies by several times from run to run
/// (1.9 s to 14 s measured on one server), so medians are compared, not bests.
pub const RUNS: u32 = 5;

/// Measures `midi` at `period`; `peer` is pycarla's Python and the peer script.
pub fn measure(
    pycarla: &Path,
    impulse: &Path,
    peer: Option<&(PathBuf, PathBuf)>,
    midi: &Path,
    frames: u64,
    period: u32,
    out: &Path,
) -> AtPeriod {
    // One run of each in turn, so that the VM's drifting speed (±20 % over minutes) weighs
    // on all three alike.
    let (mut ours, mut peer_times, mut jack_alone) = (Vec::new(), Vec::new(), Vec::new());
    let mut peer_failed = 0;
    for _ in 0..RUNS {
        ours.push(
            on_a_users_server(impulse, period, &out.join("ours.wav"), |server| {
                let mut command = Command::new(pycarla);
                command
                    .args(["render", "-q", "--server", server])
                    .arg(midi)
                    .arg("-o")
                    .arg(out.join("ours.wav"));
                command
            })
            .expect("pycarla render --server"),
        );
        // pycarla fails some runs: it writes more MIDI events than a cycle's buffer holds
        // (-105), or activates its player while its recorder has turned freewheel on, which
        // jackd 1.9.21 refuses, and may leave the server freewheeling. Those runs are counted,
        // not timed.
        if let Some((python, script)) = peer {
            let time = on_a_users_server(impulse, period, &out.join("peer.wav"), |server| {
                let mut command = Command::new(python);
                command
                    .env("JACK_DEFAULT_SERVER", server)
                    .arg(script)
                    .arg(midi)
                    .arg(out.join("peer.wav"));
                command
            });
            match time {
                Some(time) => peer_times.push(time),
                None => peer_failed += 1,
            }
        }
        jack_alone.push(with_a_users_server(impulse, period, |server| {
            empty_render(server, frames)
        }));
    }
    AtPeriod {
        period,
        ours: summary(ours),
        peer: (!peer_times.is_empty()).then(|| (summary(peer_times), peer_failed)),
        jack_alone: summary(jack_alone),
    }
}

/// Seconds an empty client takes to make a render's JACK calls on `server`: open, register
/// ports, activate, connect to the instrument, freewheel for the cycles that hold `frames`,
/// leave freewheel, deactivate and close. What a render cannot go below on a server somebody
/// else runs: on top of the cycles' own cost, each graph change and the switch into freewheel
/// wait for one of the server's real-time cycles.
fn empty_render(server: &str, frames: u64) -> f64 {
    let started = Instant::now();
    let cycles = Arc::new(AtomicU64::new(0));
    let counter = empty_client::CycleCounter(Some(cycles.clone()));
    let active = empty_client::open(server, "empty", (true, true), counter);
    let jack = active.as_client();
    let own = jack.name().to_string();
    empty_client::connect_to_instrument(jack, &own, &own);
    let period = u64::from(jack.buffer_size());
    let wanted = cycles.load(Ordering::Relaxed) + frames.div_ceil(period);
    rt_core::client::set_freewheel(jack, true);
    while cycles.load(Ordering::Relaxed) < wanted {
        std::thread::sleep(Duration::from_millis(1));
    }
    rt_core::client::set_freewheel(jack, false);
    drop(active.deactivate());
    started.elapsed().as_secs_f64()
}

/// Seconds `command(server name)` takes on a fresh server with the instrument running (their
/// start-up is not timed: the user's server runs already); `None` when it fails. A fresh
/// server each time, so that a run that left it freewheeling does not fail the next.
///
/// Both programs write a new `output` on a quiet disk: the last run's file is removed and the
/// page cache written back first, untimed. Replacing a 120 MB file costs the rename about 60 ms
/// (ext4 frees its blocks), and the last run's write-back competes with this one.
fn on_a_users_server(
    impulse: &Path,
    period: u32,
    output: &Path,
    command: impl FnMut(&str) -> Command,
) -> Option<f64> {
    let _ = std::fs::remove_file(output);
    let _ = Command::new("sync").status();
    let mut command = command;
    with_a_users_server(impulse, period, |server| {
        offline::best_of(1, || command(server))
    })
}

/// `run(server name)` on a fresh server started the way a user starts one, with the impulse
/// instrument on it as `Carla`.
fn with_a_users_server<T>(impulse: &Path, period: u32, run: impl FnOnce(&str) -> T) -> T {
    let server = JackServer::with_args(["-d", "dummy", "-r", "48000", "-p", &period.to_string()])
        .start()
        .expect("the user's jackd");
    let _instrument = Host::command(
        impulse,
        Vec::<String>::new(),
        "Carla:events-in",
        "Carla:audio-out*",
    )
    .start(&server)
    .expect("impulse instrument");
    run(server.name())
}

/// Median and best of `times`.
fn summary(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0])
}
