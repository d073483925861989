//! Carla's real library with real Debian plugins: each format loads and sounds, a chain's
//! latency is read, and errors name what failed. Skipped (with a message) where Carla is not
//! installed.

use std::sync::Arc;

use carla_lib::{CarlaLibrary, Engine, EngineKind, Error, PluginSpec, midi_event};
use pycarla_integration::carla_or_skip;

fn library() -> Option<Arc<CarlaLibrary>> {
    carla_or_skip(CarlaLibrary::find(&[])).map(Arc::new)
}

/// Plays a C major chord for a quarter second and returns the peak of the output.
fn peak_of_chord(engine: &mut Engine) -> f32 {
    let block = engine.block_size() as usize;
    let (mut left, mut right) = (vec![0.0; block], vec![0.0; block]);
    let mut peak = 0.0f32;
    for index in 0..12 {
        let events: Vec<_> = if index == 0 {
            [60, 64, 67]
                .iter()
                .filter_map(|&key| midi_event(7, &[0x90, key, 100]))
                .collect()
        } else {
            Vec::new()
        };
        engine.process(&events, &mut left, &mut right).unwrap();
        peak = left.iter().chain(&right).fold(peak, |p, s| p.max(s.abs()));
    }
    peak
}

fn rack_with(library: &Arc<CarlaLibrary>, specs: &[&str]) -> Result<Engine, Error> {
    let mut engine = Engine::new(library.clone(), EngineKind::Rack, 48_000, 1024)?;
    for (index, spec) in specs.iter().enumerate() {
        let plugin = PluginSpec::parse(spec)?.resolve()?;
        if index == 0 {
            engine.add_instrument(&plugin)?;
        } else {
            engine.add_plugin(&plugin)?;
        }
    }
    Ok(engine)
}

#[test]
fn every_packaged_format_sounds() {
    let Some(library) = library() else { return };
    for spec in [
        "http://distrho.sf.net/plugins/Kars",
        "/usr/lib/vst/Kars-vst.so",
        "/usr/lib/dssi/hexter.so",
        "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    ] {
        let mut engine = rack_with(&library, &[spec]).unwrap();
        assert!(peak_of_chord(&mut engine) > 0.01, "{spec} is silent");
    }
}

#[test]
fn an_effect_after_the_instrument_changes_the_sound() {
    let Some(library) = library() else { return };
    let dry =
        peak_of_chord(&mut rack_with(&library, &["http://distrho.sf.net/plugins/Kars"]).unwrap());
    let mut chain = rack_with(
        &library,
        &[
            "http://distrho.sf.net/plugins/Kars",
            "/usr/lib/ladspa/MVerb-ladspa.so",
        ],
    )
    .unwrap();
    assert_eq!(chain.plugin_count(), 2);
    let wet = peak_of_chord(&mut chain);
    assert!(wet > 0.0 && wet != dry, "dry {dry}, wet {wet}");
}

#[test]
fn errors_name_the_plugin_and_carlas_reason() {
    let Some(library) = library() else { return };
    match rack_with(&library, &["http://example.org/no-such-plugin"]) {
        Err(Error::AddPlugin { plugin, message }) => {
            assert!(plugin.contains("no-such-plugin"), "{plugin}");
            assert!(!message.is_empty());
        }
        other => panic!("expected AddPlugin, got {other:?}"),
    }
    assert!(matches!(
        rack_with(&library, &["/usr/lib/ladspa/MVerb-ladspa.so"]),
        Err(Error::NotAnInstrument { .. })
    ));
    assert!(matches!(
        rack_with(&library, &["/usr/lib/ladspa/MVerb-ladspa.so#NoSuchLabel"]),
        Err(Error::LabelNotFound { .. })
    ));
}

#[test]
fn a_mono_plugin_runs_once_and_the_rack_copies_it_to_both_sides() {
    let Some(library) = library() else { return };
    // Carla's rack would run a second instance of a mono plugin; the engine turns that off.
    let mut engine = rack_with(&library, &["http://distrho.sf.net/plugins/Kars"]).unwrap();
    assert_eq!(engine.audio_outputs(0), 1);
    let (mut left, mut right) = (vec![0.0; 1024], vec![0.0; 1024]);
    let events = [midi_event(0, &[0x90, 60, 100]).unwrap()];
    engine.process(&events, &mut left, &mut right).unwrap();
    assert!(left.iter().any(|s| *s != 0.0));
    assert_eq!(left, right);
}
