//! Real processes: jackd (dummy backend), fluidsynth, jalv with mda Piano, and a fake Carla.
//!
//! Every test holds the serial lock (libjack: one server per process at a time) and ends by
//! proving that no process it started remains.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{PIANO, SOUNDFONT, assert_nothing_left, fake_carla, serial};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proc_supervisor::{Error, Host, JackServer, Supervisor, ports};

fn sigkill(pid: u32) {
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("kill");
}

/// Polls `check` until it fails; returns the error and how long it took.
fn wait_for_failure(check: impl Fn() -> proc_supervisor::Result<()>) -> (Error, Duration) {
    let started = Instant::now();
    loop {
        if let Err(error) = check() {
            return (error, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no failure seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn jackd_starts_under_a_pool_name_and_stops_cleanly() {
    let _serial = serial();
    let mut server = JackServer::dummy()
        .sample_rate(48_000)
        .period(256)
        .start()
        .expect("jackd");
    let pid = server.pid().expect("pid");
    assert!(server.name().starts_with("pycarla-"), "{}", server.name());
    assert!(server.is_owned() && server.is_alive());
    server.ensure_alive().expect("alive");
    let system = ports::matching(server.name(), "system:*").expect("ports");
    assert!(!system.is_empty(), "the dummy backend's ports exist");
    server.stop();
    // SIGTERM: jackd exits by itself (status 0) and leaves JACK's registry.
    let status = server.exit_status().expect("stopped");
    assert!(status.success(), "jackd ended with {status}");
    assert!(!server.is_alive());
    assert!(matches!(server.ensure_alive(), Err(Error::Stopped { .. })));
    assert_nothing_left(&[pid]);
}

#[test]
fn a_taken_name_is_skipped_by_the_pool_and_refused_when_explicit() {
    let _serial = serial();
    // A pool of our own, so that other users of the default pool cannot interfere.
    let first = JackServer::dummy()
        .name("pycarla-suptest-0")
        .start()
        .expect("first jackd");
    let taken = JackServer::dummy().name(first.name()).start().unwrap_err();
    assert!(
        matches!(&taken, Error::NameTaken { name } if name == "pycarla-suptest-0"),
        "{taken}"
    );
    let second = JackServer::dummy()
        .name_pool("pycarla-suptest", 2)
        .start()
        .expect("second jackd");
    assert_eq!(second.name(), "pycarla-suptest-1");
    let pids = [first.pid().unwrap(), second.pid().unwrap()];
    drop(second);
    drop(first);
    assert_nothing_left(&pids);
}

#[test]
fn fluidsynth_becomes_ready_restarts_and_stops() {
    let _serial = serial();
    let mut synth = Supervisor::start(
        &JackServer::dummy(),
        &Host::fluidsynth(SOUNDFONT).client_name("fs"),
    )
    .expect("fluidsynth");
    let mut pids = vec![synth.server().pid().unwrap(), synth.host().pid().unwrap()];
    let ports = synth.ports().expect("ports");
    assert_eq!(ports.midi_in, ["fs:midi_00"]);
    assert_eq!(ports.audio_out, ["fs:left", "fs:right"]);
    assert!(synth.exists(&["fs:left", "fs:right"]).unwrap());
    assert!(!synth.exists(&["fs:nothing"]).unwrap());
    synth.ensure_alive().expect("running");

    // pycarla's restart: both, the server under the same name.
    let name = synth.server().name().to_string();
    synth.restart().expect("restart");
    assert_eq!(synth.server().name(), name);
    pids.extend([synth.server().pid().unwrap(), synth.host().pid().unwrap()]);
    assert_nothing_left_among(&pids[..2]);
    synth
        .wait_exists(&["fs:midi_00"], Duration::from_secs(1))
        .expect("ports after restart");
    drop(synth);
    assert_nothing_left(&pids);
}

/// The old processes of a restart are gone while the new ones run.
fn assert_nothing_left_among(pids: &[u32]) {
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{pid} remains"
        );
    }
}

#[test]
fn jalv_hosts_the_mda_piano() {
    let _serial = serial();
    let mut piano = Supervisor::start(&JackServer::dummy(), &Host::jalv(PIANO)).expect("jalv");
    let pids = [piano.server().pid().unwrap(), piano.host().pid().unwrap()];
    let ports = piano.ports().expect("ports");
    let jalv = piano.host().client_name();
    assert!(jalv.starts_with("jalv-"), "{jalv}");
    assert_eq!(ports.midi_in, [format!("{jalv}:event_in")]);
    assert_eq!(
        ports.audio_out,
        [format!("{jalv}:left_out"), format!("{jalv}:right_out")]
    );
    piano.kill();
    assert!(!piano.is_alive());
    // jackd exited by itself on SIGTERM (no SIGKILL: its registry slot is free again).
    let status = piano.server().exit_status().expect("stopped");
    assert!(
        status.success(),
        "jackd: {status}\n{}",
        piano.server().tail()
    );
    assert_nothing_left(&pids);
}

#[test]
fn a_host_killed_from_outside_is_detected_within_a_second_and_restarts() {
    let _serial = serial();
    let mut synth = Supervisor::start(
        &JackServer::dummy(),
        &Host::fluidsynth(SOUNDFONT).client_name("victim"),
    )
    .expect("fluidsynth");
    let server_pid = synth.server().pid().unwrap();
    let host_pid = synth.host().pid().unwrap();
    sigkill(host_pid);
    let (error, elapsed) = wait_for_failure(|| synth.ensure_alive());
    assert!(elapsed < Duration::from_secs(1), "seen after {elapsed:?}");
    match &error {
        Error::Exited { pid, status, .. } => {
            assert_eq!(*pid, host_pid);
            assert_eq!(status.signal(), Some(9));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(
        error.to_string().contains(&format!("pid {host_pid}")),
        "{error}"
    );
    assert!(synth.server().is_alive(), "the server survives its host");

    // pycarla's restart_carla: the host only.
    synth.restart_host().expect("restart host");
    let new_pid = synth.host().pid().unwrap();
    assert_ne!(new_pid, host_pid);
    assert_eq!(synth.server().pid(), Some(server_pid));
    synth.ensure_alive().expect("running again");
    synth.kill_host();
    assert!(synth.server().is_alive() && !synth.host().is_alive());
    synth.kill();
    let status = synth.server().exit_status().expect("stopped");
    assert!(
        status.success(),
        "jackd: {status}\n{}",
        synth.server().tail()
    );
    drop(synth);
    assert_nothing_left(&[server_pid, host_pid, new_pid]);
}

#[test]
fn a_killed_jackd_is_detected_and_its_stale_name_is_reclaimed() {
    let _serial = serial();
    let mut server = JackServer::dummy().start().expect("jackd");
    let old_pid = server.pid().unwrap();
    // SIGKILL: jackd cannot leave JACK's registry; its slot is stale until a server of the
    // same name starts, which restart does.
    sigkill(old_pid);
    let (error, elapsed) = wait_for_failure(|| server.ensure_alive());
    assert!(elapsed < Duration::from_secs(1), "seen after {elapsed:?}");
    assert!(
        matches!(&error, Error::Exited { pid, status, .. } if *pid == old_pid && status.signal() == Some(9)),
        "{error}"
    );
    let name = server.name().to_string();
    server.restart().expect("restart reclaims the stale name");
    assert_eq!(server.name(), name);
    assert!(server.is_alive());
    let new_pid = server.pid().unwrap();
    drop(server);
    assert_nothing_left(&[old_pid, new_pid]);
}

#[test]
fn a_panic_while_supervising_leaves_no_child() {
    let _serial = serial();
    let pids = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&pids);
    let outcome = std::panic::catch_unwind(move || {
        let synth =
            Supervisor::start(&JackServer::dummy(), &Host::jalv(PIANO)).expect("supervisor");
        seen.lock()
            .unwrap()
            .extend([synth.server().pid().unwrap(), synth.host().pid().unwrap()]);
        panic!("boom while supervising");
    });
    assert!(outcome.is_err());
    let pids = pids.lock().unwrap().clone();
    assert_eq!(pids.len(), 2);
    assert_nothing_left(&pids);
}

fn project(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("project.carxp");
    std::fs::write(&path, text).expect("project");
    path
}

#[test]
fn fake_carla_gets_its_arguments_environment_and_private_config() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = project(&dir, "<CARLA-PROJECT/>");
    let server = JackServer::dummy().start().expect("jackd");
    let host = Host::carla(Some(fake_carla()), &project)
        .start(&server)
        .expect("fake Carla");
    let pids = [server.pid().unwrap(), host.pid().unwrap()];
    // Readiness waited for "Carla ready!", which follows the ports.
    let tail = host.tail();
    assert!(tail.contains("Carla ready!"), "{tail}");
    let carla = host.client_name();
    assert!(carla.starts_with("Carla-"), "{carla}");
    assert!(
        tail.contains(&format!(
            "server={} client={carla} project={}",
            server.name(),
            project.display()
        )),
        "{tail}"
    );
    let ports = host.ports().expect("ports");
    assert_eq!(ports.midi_in, [format!("{carla}:events-in")]);
    assert_eq!(
        ports.audio_out,
        [format!("{carla}:audio-out1"), format!("{carla}:audio-out2")]
    );
    let others = ["audio-in1", "audio-in2", "events-out"].map(|port| format!("{carla}:{port}"));
    assert!(host.exists(&others.each_ref().map(String::as_str)).unwrap());
    drop(host);
    drop(server);
    assert_nothing_left(&pids);
}

#[test]
fn fake_carla_honours_the_client_name() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = project(&dir, "");
    let synth = Supervisor::start(
        &JackServer::dummy(),
        &Host::carla(Some(fake_carla()), &project).client_name("Carla-7"),
    )
    .expect("fake Carla");
    let pids = [synth.server().pid().unwrap(), synth.host().pid().unwrap()];
    assert_eq!(synth.host().midi_port_glob(), "Carla-7:events-in");
    assert_eq!(synth.ports().unwrap().audio_out.len(), 2);
    drop(synth);
    assert_nothing_left(&pids);
}

#[test]
fn a_plugin_that_fails_to_load_is_an_error() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = project(&dir, "<Plugin>MISSING_PLUGIN</Plugin>");
    let server = JackServer::dummy().start().expect("jackd");
    let error = Host::carla(Some(fake_carla()), &project)
        .start(&server)
        .unwrap_err();
    let Error::Failed { pid, line, .. } = &error else {
        panic!("unexpected error {error}");
    };
    assert!(line.contains("Failed to load a plugin"), "{line}");
    let host_pid = *pid;
    assert!(server.is_alive(), "the server is left to its owner");
    let server_pid = server.pid().unwrap();
    drop(server);
    assert_nothing_left(&[host_pid, server_pid]);
}

#[test]
fn fake_carla_refuses_to_run_without_the_private_config() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = project(&dir, "");
    // The fixture itself proves that the supervisor's config arrangement is what made it run.
    let status = std::process::Command::new(fake_carla())
        .arg("-n")
        .arg(&project)
        .env("XDG_CONFIG_HOME", dir.path())
        .env("JACK_DEFAULT_SERVER", "nonexistent")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("fake Carla");
    assert_eq!(status.code(), Some(2));
    assert_nothing_left(&[]);
}

#[test]
fn a_missing_carla_executable_is_named_in_the_error() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = project(&dir, "");
    let error = Host::carla(Some("/nonexistent/Carla".into()), &project)
        .start_on("unused")
        .unwrap_err();
    assert!(matches!(error, Error::Spawn { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/Carla"), "{error}");
    assert_nothing_left(&[]);
}

#[test]
fn a_host_that_never_becomes_ready_times_out_and_is_stopped() {
    let _serial = serial();
    let server = JackServer::dummy().start().expect("jackd");
    let started = Instant::now();
    // A shell with a child of its own: both go, the whole process group is stopped.
    let error = Host::command(
        "sh",
        ["-c", "echo warming up >&2; sleep 30; echo never"],
        "nothing:in",
        "nothing:out*",
    )
    .ready_timeout(Duration::from_millis(800))
    .start(&server)
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let Error::Timeout {
        pid,
        waiting_for,
        tail,
        ..
    } = &error
    else {
        panic!("unexpected error {error}");
    };
    assert!(tail.contains("warming up"), "{error}");
    assert!(waiting_for.contains("`nothing:in`"), "{error}");
    let host_pid = *pid;
    let server_pid = server.pid().unwrap();
    drop(server);
    assert_nothing_left(&[host_pid, server_pid]);
}

#[test]
fn a_host_that_exits_at_once_reports_its_status_and_output() {
    let _serial = serial();
    let server = JackServer::dummy().start().expect("jackd");
    let error = Host::command("sh", ["-c", "echo boom >&2; exit 7"], "x:in", "x:out")
        .start(&server)
        .unwrap_err();
    let Error::Exited { status, tail, .. } = &error else {
        panic!("unexpected error {error}");
    };
    assert_eq!(status.code(), Some(7));
    assert!(tail.contains("boom"), "{error}");
    let server_pid = server.pid().unwrap();
    drop(server);
    assert_nothing_left(&[server_pid]);
}

#[test]
fn an_attached_server_is_used_but_never_stopped() {
    let _serial = serial();
    let owned = JackServer::dummy().start().expect("jackd");
    let mut attached = JackServer::attach(owned.name()).start().expect("attach");
    assert!(!attached.is_owned());
    assert_eq!(attached.pid(), None);
    assert!(attached.is_alive());
    assert!(matches!(attached.restart(), Err(Error::NotOwned { .. })));
    // A host on the attached server (readiness must not probe the server twice at once).
    let dir = tempfile::tempdir().unwrap();
    let host = Host::carla(Some(fake_carla()), project(&dir, ""))
        .start(&attached)
        .expect("host on an attached server");
    let host_pid = host.pid().unwrap();
    drop(host);
    attached.stop();
    drop(attached);
    assert!(
        owned.is_alive(),
        "stopping an attached server leaves it running"
    );
    let pid = owned.pid().unwrap();
    drop(owned);
    let error = JackServer::attach("pycarla-test-nonexistent")
        .start_timeout(Duration::from_millis(200))
        .start()
        .unwrap_err();
    assert!(matches!(error, Error::Unreachable { .. }), "{error}");
    assert_nothing_left(&[pid, host_pid]);
}

#[test]
fn children_hear_sigterm_even_when_the_spawning_thread_blocks_it() {
    use nix::sys::signal::{SigSet, SigmaskHow, pthread_sigmask};
    let _serial = serial();
    // As libjack does in threads that open clients, and a CLI may do for sigwait.
    let (pids, host_status, server_status) = std::thread::spawn(|| {
        let mut blocked = SigSet::empty();
        blocked.add(Signal::SIGTERM);
        blocked.add(Signal::SIGINT);
        pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&blocked), None).expect("mask");
        let dir = tempfile::tempdir().unwrap();
        let mut carla = Supervisor::start(
            &JackServer::dummy().stop_timeout(Duration::from_secs(2)),
            &Host::carla(Some(fake_carla()), project(&dir, ""))
                .stop_timeout(Duration::from_secs(2)),
        )
        .expect("fake Carla");
        let pids = [carla.server().pid().unwrap(), carla.host().pid().unwrap()];
        carla.kill();
        (
            pids,
            carla.host().exit_status().unwrap(),
            carla.server().exit_status().unwrap(),
        )
    })
    .join()
    .expect("thread");
    assert_eq!(
        host_status.signal(),
        Some(15),
        "host ended by SIGTERM, not SIGKILL"
    );
    assert!(
        server_status.success(),
        "jackd exited by itself: {server_status}"
    );
    assert_nothing_left(&pids);
}
