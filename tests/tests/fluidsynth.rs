//! A real SoundFont synth (fluidsynth with FluidR3 GM) through the player and recorder: every
//! shared MIDI file renders to exactly round((duration + tail) · sr) frames, not silent.

use audio_io::Sink;
use pycarla_integration::{TestServer, fluidsynth_host, midi_files, schedule_of};
use rt_core::{Session, SessionOptions};

#[test]
fn every_shared_file_renders_exact_length_and_sound() {
    let server = TestServer::start(1024);
    let synth = server.host(fluidsynth_host());
    let mut options = SessionOptions::new(
        &server.name,
        &synth.midi_port_glob(),
        &synth.audio_ports_glob(),
    );
    options.timeout = Some(std::time::Duration::from_secs(120));
    for file in midi_files() {
        let timeline = smf::Timeline::from_path(&file).unwrap();
        let total = (timeline.duration() + smf::ExactTime::new(2, 1)).frame(48_000);
        let recording = Session::run(
            &options,
            &schedule_of(&timeline, 48_000),
            total,
            Sink::Memory,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(recording.channels.len(), 2, "FS:left and FS:right");
        for channel in &recording.channels {
            assert_eq!(channel.len() as u64, total, "{}", file.display());
            let peak = channel.iter().fold(0f32, |m, s| m.max(s.abs()));
            assert!(peak > 0.01, "{} is silent (peak {peak})", file.display());
        }
    }
}
