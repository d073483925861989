//! A host speaking the line protocol, played by a shell script (no JACK server and no Carla
//! needed): a failure line is a typed error naming what failed, even when the host exits right
//! after it, and a prestarted host is told its server on stdin.

use std::time::{Duration, Instant};

use proc_supervisor::{CarlaLoad, Error, Host};

/// A host whose behaviour is `script` (`$@` holds the arguments the supervisor adds).
fn scripted(script: &str) -> Host {
    Host::carla_engine(
        "sh",
        ["-c", script, "host"],
        CarlaLoad::Plugins(vec!["urn:example:synth".into()]),
    )
    .ready_timeout(Duration::from_secs(20))
}

#[test]
fn a_failure_line_is_an_error_naming_the_plugin_at_once() {
    let host =
        scripted(r#"printf 'noise\npycarla-host: failed\t%s\tno such plugin\n' "$4"; exit 1"#);
    let started = Instant::now();
    let error = host.start_on("no-server-needed").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match error {
        Error::LoadFailed { item, message, .. } => {
            assert_eq!(item, "urn:example:synth");
            assert_eq!(message, "no such plugin");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_prestarted_host_is_told_its_server() {
    // The host reports what it read on stdin as its failure: the server line.
    let host = scripted(
        r#"case "$*" in *--wait-server*) ;; *) exit 3;; esac
           read line; printf 'pycarla-host: failed\tserver\t%s\n' "$line"; sleep 5"#,
    );
    let pending = host.prestart().unwrap();
    let error = pending.start_on("pycarla-test-9").unwrap_err();
    match error {
        Error::LoadFailed { item, message, .. } => {
            assert_eq!(item, "server");
            assert_eq!(message, "server pycarla-test-9");
        }
        other => panic!("{other:?}"),
    }
}
