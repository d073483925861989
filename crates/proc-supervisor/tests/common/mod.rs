//! Shared by the integration tests: one test at a time, and proof that nothing is left behind.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// libjack keeps per-process state for the server it talks to: tests that talk to JACK run one
/// at a time, each holding this lock for its whole duration.
static ONE_TEST_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Takes the test lock (a test that panicked does not block the others).
pub fn serial() -> MutexGuard<'static, ()> {
    ONE_TEST_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `(pid, ppid, pgid, state)` of every process, from `/proc/*/stat`.
fn processes() -> Vec<(u32, u32, u32, char)> {
    let mut all = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let [state, ppid, pgrp, ..] = fields.as_slice() {
            let state = state.chars().next().unwrap_or('?');
            if let (Ok(ppid), Ok(pgrp)) = (ppid.parse(), pgrp.parse()) {
                all.push((pid, ppid, pgrp, state));
            }
        }
    }
    all
}

/// Children of this test process (zombies included: an unreaped child is a leak too).
pub fn children() -> Vec<(u32, char)> {
    let me = std::process::id();
    processes()
        .into_iter()
        .filter(|&(_, ppid, _, _)| ppid == me)
        .map(|(pid, _, _, state)| (pid, state))
        .collect()
}

/// Asserts that this process has no child, and that none of `pids` (which may have been
/// reparented) nor any member of their process groups exists.
pub fn assert_nothing_left(pids: &[u32]) {
    let children = children();
    assert!(children.is_empty(), "children left behind: {children:?}");
    for &pid in pids {
        assert!(
            !PathBuf::from(format!("/proc/{pid}")).exists(),
            "process {pid} still exists"
        );
    }
    // A dead grandchild reparented to init may linger as a zombie until init reaps it: it is
    // gone already (and not ours to reap).
    let members: Vec<_> = processes()
        .into_iter()
        .filter(|&(_, _, pgrp, state)| pids.contains(&pgrp) && state != 'Z')
        .collect();
    assert!(
        members.is_empty(),
        "process group members left: {members:?}"
    );
}

/// The `fake_carla` example beside the test binaries (`target/<profile>/deps/<test>` →
/// `target/<profile>/examples/fake_carla`). `cargo test` builds it, but `cargo test
/// --all-targets` builds examples as tests instead, so it is built here when missing.
pub fn fake_carla() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test executable");
            let profile_dir = exe
                .parent()
                .and_then(|deps| deps.parent())
                .expect("target/<profile>");
            let path = profile_dir.join("examples/fake_carla");
            if !path.is_file() {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = std::process::Command::new(cargo)
                    .args([
                        "build",
                        "--quiet",
                        "-p",
                        "proc-supervisor",
                        "--example",
                        "fake_carla",
                    ])
                    .status()
                    .expect("running cargo");
                assert!(status.success(), "building the fake_carla example");
            }
            assert!(path.is_file(), "{} is missing", path.display());
            path
        })
        .clone()
}

/// Debian's General MIDI SoundFont (package fluid-soundfont-gm).
pub const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// The mda Piano LV2 plugin (package mda-lv2).
pub const PIANO: &str = "http://drobilla.net/plugins/mda/Piano";
