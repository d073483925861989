//! Render every MIDI file of a directory through one server and synth; one bad file does not
//! stop the others.
//!
//! `cargo run -p pycarla-rs --example batch -- midi_dir/ out_dir/`

use std::path::PathBuf;

use pycarla::{Instrument, RenderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return Err("usage: batch <MIDI_DIR> <OUT_DIR>".into());
    };
    let mut jobs = Vec::new();
    for entry in std::fs::read_dir(input)? {
        let midi = entry?.path();
        if midi.extension().is_some_and(|e| e == "mid" || e == "midi") {
            let wav = output.join(midi.with_extension("wav").file_name().expect("a file"));
            jobs.push((midi, wav));
        }
    }
    let options = RenderOptions::default().retries(1);
    let results = pycarla::render_batch(Instrument::default_soundfont()?, &jobs, &options)?;
    for ((midi, wav), result) in jobs.iter().zip(results) {
        match result {
            Ok(report) => println!(
                "{} -> {} ({} frames)",
                midi.display(),
                wav.display(),
                report.frames
            ),
            Err(error) => eprintln!("{}: {error}", midi.display()),
        }
    }
    Ok(())
}
