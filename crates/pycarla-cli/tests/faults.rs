//! Faults and hostile input: no hang, no orphan, no lost audio. Each test runs the real
//! `pycarla` binary with real jackd and a real host (the impulse instrument test fixture), kills
//! something mid-render, and checks the exit, the message, the WAV and the process table.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pycarla_integration::*;

/// `pycarla render` in freewheel with a slowed-down impulse instrument (5 ms a cycle: about 4×
/// realtime, so that "mid-render" lasts long enough to aim at, with no xruns to fear on a busy
/// machine), as a plain child process we can signal.
fn spawn_render(midi_name: &str, wav: &Path, extra: &[&str]) -> Child {
    Command::new(pycarla_exe())
        .arg("render")
        .arg("--host-cmd")
        .arg(format!(
            "env IMPULSE_CYCLE_SLEEP_US=5000 {}",
            impulse_instrument().display()
        ))
        .args(["--period", "1024", "--tail", "0.5"])
        .args(extra)
        .arg(midi(midi_name))
        .arg("-o")
        .arg(wav)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pycarla")
}

/// Renders that are timed from outside (each on its own private server): one at a time in
/// this test binary, under the tests' one JACK lock.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    one_server_at_a_time()
}

/// Waits until the render has written audio to disk (the WAV's write buffer holds 1 MiB, about
/// 2.7 s of stereo float), and returns (jackd pid, host pid).
fn wait_mid_render(render: &Child, wav: &Path) -> (u32, u32) {
    assert!(
        eventually(20.0, || std::fs::metadata(pycarla::partial_path(wav))
            .is_ok_and(|m| m.len() > 1_000_000)),
        "the render never got going"
    );
    let children = children_of(render.id());
    let pid_of = |name: &str| {
        children
            .iter()
            .find(|(_, comm)| comm.starts_with(name))
            .map(|(pid, _)| *pid)
            .unwrap_or_else(|| panic!("no {name} child in {children:?}"))
    };
    (pid_of("jackd"), pid_of("impulse-instrum"))
}

/// Waits for the render to end; returns its exit code, stderr and how long it took.
fn finish(mut render: Child) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = render.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "pycarla hangs");
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(render.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr, elapsed)
}

fn assert_gone(pids: &[u32]) {
    for &pid in pids {
        assert!(
            eventually(2.0, || !alive(pid)),
            "process {pid} was left behind"
        );
    }
}

/// The render's partial WAV (`NAME.partial`), which hound reads completely: valid header, whole
/// frames; nothing under the output's own name.
fn valid_partial_wav(wav: &Path, full: u64) -> u64 {
    assert!(!wav.exists(), "an incomplete render must not look finished");
    let read = read_wav(&pycarla::partial_path(wav));
    let frames = read.channels[0].len() as u64;
    assert!(frames > 0 && frames < full, "{frames} of {full} frames");
    frames
}

#[test]
fn host_killed_mid_render_ends_within_a_second_with_a_valid_partial_wav() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let render = spawn_render("test06.mid", &wav, &[]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    kill(host, libc::SIGKILL);
    let (code, stderr, elapsed) = finish(render);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("test06.mid"), "{stderr}");
    assert!(
        stderr.contains("died") && stderr.contains("signal: 9"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    valid_partial_wav(&wav, expected_frames(&midi("test06.mid"), 1, 48_000));
    assert_gone(&[jackd, host]);
}

#[test]
fn host_killed_mid_render_with_retries_renders_the_whole_file_again() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let render = spawn_render("test01.mid", &wav, &["--retries", "1"]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    kill(host, libc::SIGKILL);
    let (code, stderr, _) = finish(render);
    assert_eq!(code, Some(0), "{stderr}");
    let total = expected_frames(&midi("test01.mid"), 0, 48_000) + 24_000;
    assert_eq!(
        read_wav(&wav).channels[0].len() as u64,
        total,
        "a finished file is whole"
    );
    assert_gone(&[jackd, host]);
}

#[test]
fn jackd_killed_mid_render_is_reported_and_nothing_is_left() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let render = spawn_render("test06.mid", &wav, &[]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    kill(jackd, libc::SIGKILL);
    let (code, stderr, elapsed) = finish(render);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("jackd"), "{stderr}");
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    valid_partial_wav(&wav, expected_frames(&midi("test06.mid"), 1, 48_000));
    assert_gone(&[jackd, host]);
}

#[test]
fn jackd_killed_mid_render_with_retries_renders_the_whole_file_again() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let render = spawn_render("test01.mid", &wav, &["--retries", "1"]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    kill(jackd, libc::SIGKILL);
    let (code, stderr, _) = finish(render);
    assert_eq!(code, Some(0), "{stderr}");
    let total = expected_frames(&midi("test01.mid"), 0, 48_000) + 24_000;
    assert_eq!(read_wav(&wav).channels[0].len() as u64, total);
    assert_gone(&[jackd, host]);
}

#[test]
fn sigint_and_sigterm_stop_children_finalize_the_wav_and_exit_130_or_143() {
    let _serial = serial();
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("t.wav");
        let render = spawn_render("test06.mid", &wav, &[]);
        let (jackd, host) = wait_mid_render(&render, &wav);
        kill(render.id(), signal);
        let (exit, stderr, elapsed) = finish(render);
        assert_eq!(exit, Some(code), "{stderr}");
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        valid_partial_wav(&wav, expected_frames(&midi("test06.mid"), 1, 48_000));
        assert_gone(&[jackd, host]);
    }
}

#[test]
fn truncated_garbage_and_huge_midi_fail_alone_in_a_batch() {
    // Not alongside the kill tests: a killed server's name is taken again at once by its retry,
    // and a render starting at that moment could pick the same name from the pool.
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.mid");
    let bytes = std::fs::read(midi("test03.mid")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.path().join("garbage.mid");
    std::fs::write(&garbage, [0xFFu8; 300]).unwrap();
    // A header and a track chunk that claims 4 GiB.
    let huge = dir.path().join("huge.mid");
    let mut header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\xff\xff\xff\xf0".to_vec();
    header.extend([0u8; 64]);
    std::fs::write(&huge, header).unwrap();
    let out = dir.path().join("out");
    let output = std::process::Command::new(pycarla_exe())
        .arg("render")
        .arg("--host-cmd")
        .arg(impulse_instrument())
        .args(["--tail", "0.1", "-o"])
        .arg(&out)
        .args([&truncated, &garbage, &huge])
        .arg(midi("test01.mid"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one line per bad file: {stderr}");
    for name in ["truncated.mid", "garbage.mid", "huge.mid"] {
        assert!(lines.iter().any(|l| l.contains(name)), "{name}: {stderr}");
    }
    assert!(
        out.join("test01.wav").is_file(),
        "the good file is rendered"
    );
}

#[test]
fn nothing_outlives_a_sigkilled_pycarla() {
    // SIGKILL leaves pycarla no chance to stop its children: they must go by themselves (their
    // parent-death signal), jackd and the synth alike, offline workers too.
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let mut render = spawn_render("test06.mid", &wav, &[]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    kill(render.id(), libc::SIGKILL);
    let _ = render.wait();
    // jackd may take a few seconds to exit when its client dies at the same time.
    let killed = Instant::now();
    for (name, pid) in [("the synth", host), ("jackd", jackd)] {
        assert!(
            eventually(10.0, || !alive(pid)),
            "{name} (pid {pid}) outlived pycarla"
        );
        eprintln!("{name} gone after {:?}", killed.elapsed());
    }

    if carla_installed() {
        let mut offline = Command::new(pycarla_exe())
            .args([
                "render", "-q", "--engine", "offline", "--period", "64", "-o",
            ])
            .arg(dir.path().join("o.wav"))
            .arg(midi("test03.mid"))
            .stdin(Stdio::null())
            .spawn()
            .expect("pycarla");
        let mut worker = None;
        assert!(
            eventually(20.0, || {
                worker = children_of(offline.id()).first().map(|(pid, _)| *pid);
                worker.is_some()
            }),
            "no offline worker started"
        );
        kill(offline.id(), libc::SIGKILL);
        let _ = offline.wait();
        assert_gone(&[worker.expect("a worker")]);
    }
}

#[test]
fn ctrl_c_while_the_synth_is_starting_ends_at_once() {
    // A host that never becomes ready, a generous ready timeout: Ctrl-C must not wait for it.
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut render = Command::new(pycarla_exe())
        .args([
            "render",
            "-q",
            "--host-cmd",
            "sleep 60",
            "--ready-timeout",
            "30",
        ])
        .arg(midi("test01.mid"))
        .arg("-o")
        .arg(dir.path().join("x.wav"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pycarla");
    let mut host = None;
    assert!(
        eventually(10.0, || {
            host = children_of(render.id())
                .iter()
                .find(|(_, comm)| comm == "sleep")
                .map(|(pid, _)| *pid);
            host.is_some()
        }),
        "the host never started"
    );
    let interrupted = Instant::now();
    kill(render.id(), libc::SIGINT);
    let status = loop {
        if let Some(status) = render.try_wait().unwrap() {
            break status;
        }
        assert!(
            interrupted.elapsed() < Duration::from_secs(5),
            "Ctrl-C waited for the ready timeout"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130));
    assert_gone(&[host.expect("a host")]);
}

#[test]
fn a_synth_that_stops_answering_in_freewheel_fails_the_file_and_leaves_nothing() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    let render = spawn_render("test06.mid", &wav, &[]);
    let (jackd, host) = wait_mid_render(&render, &wav);
    // A stopped synth neither exits nor leaves the graph: the freewheeling server waits for it
    // with no notification. Only the absence of audio tells.
    kill(host, libc::SIGSTOP);
    let (code, stderr, elapsed) = finish(render);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("test06.mid") && stderr.contains("stalled"),
        "{stderr}"
    );
    let stall = pycarla::rt_core::STALL_TIMEOUT;
    assert!(
        elapsed >= stall && elapsed < stall + Duration::from_secs(8),
        "took {elapsed:?}"
    );
    valid_partial_wav(&wav, expected_frames(&midi("test06.mid"), 1, 48_000));
    assert_gone(&[jackd, host]);
}
