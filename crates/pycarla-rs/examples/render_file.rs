//! Render a MIDI file to WAV with an automatic tail, the whole workflow in one call.
//!
//! `cargo run -p pycarla-rs --example render_file -- song.mid song.wav [font.sf2]`

use pycarla::{Instrument, RenderOptions, Tail};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(midi), Some(output)) = (args.first(), args.get(1)) else {
        return Err("usage: render_file <MIDI> <WAV> [SOUNDFONT]".into());
    };
    let instrument = match args.get(2) {
        Some(font) => Instrument::SoundFont(font.into()),
        None => Instrument::default_soundfont()?,
    };
    let options = RenderOptions::default().tail(Tail::Auto);
    let report = pycarla::render(instrument, midi, output, &options)?;
    println!(
        "{output}: {:.2} s of audio, {:.0}× realtime",
        report.frames as f64 / f64::from(report.sample_rate),
        report.times_realtime()
    );
    Ok(())
}
