//! Section 15: a long file on a JACK server somebody else runs (`pycarla render --server`),
//! against pycarla 0.3.3 (from PyPI) doing the same on the same server, and against JACK's own
//! cost for the same graph, at period 1024 and 4096.
//!
//! The server is started the way a user starts one (`jackd -d dummy -r 48000 -p P`, real-time
//! scheduling), with the impulse instrument registered as `Carla`: both pycarla and pycarla-rs
//! find it by its ports, and neither starts or stops anything but its own clients.

use std::path::{Path, PathBuf};
use std::process::Command;

use proc_supervisor::{Host, JackServer};

use crate::offline;

/// What one period measured: seconds, whole process.
pub struct AtPeriod {
    pub period: u32,
    /// pycarla-rs: median and best of [`RUNS`].
    pub ours: (f64, f64),
    /// pycarla 0.3.3: median and best of the runs that succeeded, and how many failed; `None`
    /// when it could not be installed or no run succeeded.
    pub peer: Option<((f64, f64), u32)>,
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
    period: u32,
    out: &Path,
) -> AtPeriod {
    let ours: Vec<f64> = (0..RUNS)
        .map(|_| {
            on_a_users_server(impulse, period, &out.join("ours.wav"), |server| {
                let mut command = Command::new(pycarla);
                command
                    .args(["render", "-q", "--server", server])
                    .arg(midi)
                    .arg("-o")
                    .arg(out.join("ours.wav"));
                command
            })
            .expect("pycarla render --server")
        })
        .collect();
    // pycarla fails some runs: it writes more MIDI events than a cycle's buffer holds (-105),
    // or activates its player while its recorder has turned freewheel on, which jackd 1.9.21
    // refuses, and may leave the server freewheeling. Those runs are counted, not timed.
    let peer = peer.and_then(|(python, script)| {
        let times: Vec<f64> = (0..RUNS)
            .filter_map(|_| {
                on_a_users_server(impulse, period, &out.join("peer.wav"), |server| {
                    let mut command = Command::new(python);
                    command
                        .env("JACK_DEFAULT_SERVER", server)
                        .arg(script)
                        .arg(midi)
                        .arg(out.join("peer.wav"));
                    command
                })
            })
            .collect();
        let failed = RUNS - times.len() as u32;
        (!times.is_empty()).then(|| (summary(times), failed))
    });
    AtPeriod {
        period,
        ours: summary(ours),
        peer,
    }
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
    let mut command = command;
    offline::best_of(1, || command(server.name()))
}

/// Median and best of `times`.
fn summary(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0])
}
