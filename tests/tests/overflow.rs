//! More events in one cycle than the JACK MIDI buffer holds are reported, never silently
//! dropped.

use audio_io::{AudioFormat, Sink};
use pycarla_integration::{TestServer, impulse_host};
use rt_core::{Error, Schedule, Session, SessionOptions};

#[test]
fn too_many_events_in_one_cycle_is_an_error() {
    let server = TestServer::start(64);
    let _instrument = server.host(impulse_host());
    let mut schedule = Schedule::new();
    // 20,000 notes on one frame: far beyond a 64-frame period's MIDI buffer.
    for i in 0..20_000u32 {
        schedule.push(10, &[0x90, (i % 128) as u8, 1]).unwrap();
    }
    let options = SessionOptions::new(&server.name, "Carla:events-in", "Carla:audio-out*");
    match Session::run(&options, &schedule, 4_800, Sink::Memory) {
        Err(Error::MidiOverflow { lost }) => assert!(lost > 0 && lost < 20_000, "{lost}"),
        other => panic!("expected a MIDI overflow, got {other:?}"),
    }
}

#[test]
fn a_full_disk_ends_the_render_with_an_error_instead_of_stalling() {
    let server = TestServer::start(1024);
    let _instrument = server.host(impulse_host());
    let mut schedule = Schedule::new();
    schedule.push(100, &[0x90, 60, 100]).unwrap();
    let mut options = SessionOptions::new(&server.name, "Carla:events-in", "Carla:audio-out*");
    options.timeout = Some(std::time::Duration::from_secs(60));
    let started = std::time::Instant::now();
    // /dev/full accepts the file but fails every write: the drain thread fails after its
    // first megabyte, and the callback must not wait for it forever.
    let sink = Sink::File {
        path: "/dev/full".into(),
        format: AudioFormat::Float32,
    };
    match Session::run(&options, &schedule, 48_000 * 60, sink) {
        Err(Error::Audio(audio_io::Error::Write { .. })) => {}
        other => panic!("expected a WAV error, got {other:?}"),
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
