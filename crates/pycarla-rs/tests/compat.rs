//! pycarla's `MIDIPlayer` / `AudioRecorder` workflow in Rust: a recorder started "with" a player
//! records from the frame the player starts on — for several takes on the same clients.

use std::collections::BTreeSet;

use proc_supervisor::{Host, JackServer};
use pycarla::{AudioRecorder, MidiPlayer};
use pycarla_integration::*;

/// This test's turn, a private server and the impulse instrument (a test fixture) on it.
fn impulse_server(
    period: u32,
) -> (
    std::sync::MutexGuard<'static, ()>,
    proc_supervisor::RunningServer,
    proc_supervisor::RunningHost,
) {
    let turn = one_server_at_a_time();
    let server = JackServer::dummy().period(period).start().unwrap();
    let host = Host::command(
        impulse_instrument(),
        Vec::<String>::new(),
        "Carla:events-in",
        "Carla:audio-out*",
    )
    .start(&server)
    .unwrap();
    (turn, server, host)
}

#[test]
fn recorder_started_with_the_player_records_every_onset_on_its_frame() {
    let (_turn, server, _instrument) = impulse_server(256);
    let mut player = MidiPlayer::new(server.name(), "Carla:events-in");
    let mut recorder = AudioRecorder::new(server.name(), "Carla:audio-out*");
    let dir = tempfile::tempdir().unwrap();
    for name in ["test01.mid", "test06.mid"] {
        let file = midi(name);
        let duration = pycarla::get_smf_duration(&file).unwrap();
        recorder.start(Some(duration + 0.5), Some(&player)).unwrap();
        player.synthesize_midi_file(&file, false).unwrap();
        let deadline = Some(std::time::Duration::from_secs(30));
        assert!(
            !recorder.wait(deadline, true, false).unwrap(),
            "recorded before the timeout"
        );
        assert!(
            !player.wait(deadline, false, false).unwrap(),
            "played before the timeout"
        );
        let timeline = smf::Timeline::from_path(&file).unwrap();
        let expected: BTreeSet<u64> = timeline
            .frames(48_000)
            .filter(|(_, e)| e.message.note_on().is_some())
            .map(|(f, _)| f)
            .collect();
        let channels = recorder.recorded();
        assert_eq!(channels.len(), 2);
        assert_eq!(
            channels[0].len() as u64,
            expected_frames(&file, 0, 48_000) + 24_000
        );
        let got: BTreeSet<u64> = impulse_frames(&channels[0]).into_iter().collect();
        assert_eq!(got, expected, "{name}");
        let wav = dir.path().join(format!("{name}.wav"));
        recorder.save_recorded(&wav).unwrap();
        assert_eq!(read_wav(&wav).channels[0], channels[0]);
        recorder.clear();
        assert!(recorder.recorded().is_empty());
    }
}

#[test]
fn one_note_without_a_recorder_waits_until_sent() {
    let (_turn, server, _instrument) = impulse_server(1024);
    let mut player = MidiPlayer::new(server.name(), "Carla:events-in");
    let note = pycarla::Note {
        duration: 0.2,
        ..pycarla::Note::default()
    };
    player.synthesize_midi_note(&note, true).unwrap();
    assert!(player.is_ready());
    // A recorder alone, for a fixed time: starts at once, stops after its duration.
    let mut recorder = AudioRecorder::new(server.name(), "Carla:audio-out*");
    recorder.start(Some(0.1), None).unwrap();
    let deadline = Some(std::time::Duration::from_secs(10));
    assert!(
        !recorder.wait(deadline, false, false).unwrap(),
        "done before the timeout"
    );
    assert_eq!(recorder.recorded()[0].len(), 4_800);
}
