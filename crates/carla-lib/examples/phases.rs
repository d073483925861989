//! Times an engine's phases: make, add a plugin, process, then destroy (in place, or retired to
//! a thread of its own).
use std::time::Instant;
fn main() -> Result<(), carla_lib::Error> {
    let library = std::sync::Arc::new(carla_lib::CarlaLibrary::find(&[])?);
    let spec = std::env::args()
        .nth(1)
        .unwrap_or("http://distrho.sf.net/plugins/Kars".into());
    let plugin = carla_lib::PluginSpec::parse(&spec)?.resolve()?;
    for retire in [false, true] {
        let t = Instant::now();
        let mut engine =
            carla_lib::Engine::new(library.clone(), carla_lib::EngineKind::Rack, 48_000, 4096)?;
        let made = t.elapsed();
        engine.add_instrument(&plugin)?;
        let added = t.elapsed();
        let (mut l, mut r) = (vec![0.0; 4096], vec![0.0; 4096]);
        for _ in 0..12 {
            engine.process(&[], &mut l, &mut r)?;
        }
        let processed = t.elapsed();
        let retired = if retire {
            Some(engine.retire())
        } else {
            drop(engine);
            None
        };
        println!(
            "new {made:?} add {:?} process {:?} destroy{} {:?}",
            added - made,
            processed - added,
            if retire { " (retired)" } else { "" },
            t.elapsed() - processed
        );
        if let Some(handle) = retired {
            handle.join().expect("teardown");
        }
    }
    Ok(())
}
