//! Soak: 200 consecutive renders in one process leave open files, threads and child processes
//! exactly as they were.

use pycarla::{Instrument, RenderOptions, Renderer, Tail};
use pycarla_integration::*;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn children() -> usize {
    children_of(std::process::id()).len()
}

#[test]
fn two_hundred_renders_leak_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let timeline = smf::Timeline::from_path(midi("test01.mid")).unwrap();
    let before = (open_fds(), threads(), children());
    {
        let instrument = Instrument::Command {
            command: vec![impulse_instrument().display().to_string()],
            midi_port: "Carla:events-in".into(),
            audio_ports: "Carla:audio-out*".into(),
        };
        let options = RenderOptions::default()
            .tail(Tail::Seconds(0.1))
            .period(Some(1024))
            // The session and host kept across renders is what this test soaks.
            .keep_state(true);
        let mut renderer = Renderer::new(instrument, options).unwrap();
        let wav = dir.path().join("soak.wav");
        // One render first: libjack's own threads and the logger settle.
        renderer
            .render_timeline(&timeline, &wav, None::<&str>, |_, _| {})
            .unwrap();
        let settled = (open_fds(), threads(), children());
        for round in 0..200 {
            let report = renderer
                .render_timeline(&timeline, &wav, None::<&str>, |_, _| {})
                .unwrap_or_else(|e| panic!("render {round}: {e}"));
            assert_eq!(report.frames, 195_300);
        }
        let after = (open_fds(), threads(), children());
        assert_eq!(settled, after, "(fds, threads, children) after 200 renders");
    }
    // Dropping the renderer stopped the server and host; libjack may keep its own helper threads.
    assert!(eventually(5.0, || children() == before.2), "children left");
    assert!(
        open_fds() <= before.0 + 2,
        "fds {} vs {}",
        open_fds(),
        before.0
    );
}
