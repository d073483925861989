//! Section 14: a whole `pycarla render` on a private server at period 1024 and at 4096 (the
//! impulse instrument, test03.mid): a larger period must not make the whole render slower.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Best of three whole-process seconds at `period`.
pub fn whole_render_seconds(
    pycarla: &Path,
    impulse: &Path,
    midi: &Path,
    period: u32,
    wav: &Path,
) -> f64 {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new(pycarla)
                .args(["render", "-q", "--engine", "jack", "--host-cmd"])
                .arg(impulse)
                .args([
                    "--midi-port",
                    "Carla:events-in",
                    "--audio-ports",
                    "Carla:audio-out*",
                ])
                .args(["--period", &period.to_string()])
                .arg(midi)
                .arg("-o")
                .arg(wav)
                .status()
                .expect("pycarla");
            assert!(status.success(), "pycarla render at period {period}");
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
