//! On the JACK engine too, every file starts from the instrument's initial state: the synth a
//! renderer started is restarted between files (its process changes), unless asked to keep it.

use std::path::Path;

use pycarla::{EngineChoice, Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::{impulse_instrument, midi};

fn host_pids(keep_state: bool) -> Vec<u32> {
    let instrument = Instrument::Command {
        command: vec![impulse_instrument().display().to_string()],
        midi_port: "Carla:events-in".into(),
        audio_ports: "Carla:audio-out*".into(),
    };
    let options = RenderOptions::default()
        .engine(EngineChoice::Jack)
        .tail(Tail::Seconds(0.1))
        .keep_state(keep_state);
    let dir = tempfile::tempdir().unwrap();
    let mut renderer = Renderer::new(instrument, options).unwrap();
    let mut pids = Vec::new();
    for name in ["test01.mid", "test01.mid", "test01.mid"] {
        renderer
            .render_file(midi(name), dir.path().join("out.wav"), None::<&Path>)
            .unwrap();
        pids.push(renderer.host().and_then(|host| host.pid()).unwrap());
    }
    pids
}

#[test]
fn the_synth_is_restarted_between_files_unless_its_state_is_kept() {
    let fresh = host_pids(false);
    assert!(
        fresh[0] != fresh[1] && fresh[1] != fresh[2],
        "a new synth process for every file: {fresh:?}"
    );
    let kept = host_pids(true);
    assert!(
        kept.iter().all(|pid| *pid == kept[0]),
        "one synth for all files: {kept:?}"
    );
}
