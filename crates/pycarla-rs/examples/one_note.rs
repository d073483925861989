//! Render one note (pycarla's `synthesize_midi_note`) through the General MIDI SoundFont.
//!
//! `cargo run -p pycarla-rs --example one_note -- 60 c4.wav`

use pycarla::{Instrument, Note, RenderOptions, Renderer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let pitch: i64 = args.next().map_or(Ok(60), |p| p.parse())?;
    let output = args.next().unwrap_or_else(|| "note.wav".into());

    let note = Note {
        pitch,
        velocity: 90,
        duration: 1.5,
        sustain: 127,
        ..Note::default()
    };
    let mut renderer = Renderer::new(Instrument::default_soundfont()?, RenderOptions::default())?;
    let report = renderer.render_timeline(&note.timeline()?, &output, None::<&str>, |_, _| {})?;
    println!(
        "{output}: {} frames, {} channels",
        report.frames, report.channels
    );
    Ok(())
}
