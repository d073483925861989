//! Carla's standalone library on its Dummy driver (no JACK server needed here; the JACK driver
//! is tested through pycarla-rs, which starts servers): loading, Carla's errors, closing, and
//! one engine per process. Skipped (with a message) where Carla is not installed,.

use std::sync::Arc;

use carla_lib::standalone::{Driver, StandaloneEngine, StandaloneLibrary};
use carla_lib::{EngineKind, Error, PluginSpec};
use pycarla_integration::carla_or_skip;

fn library() -> Option<Arc<StandaloneLibrary>> {
    carla_or_skip(StandaloneLibrary::find(&[])).map(Arc::new)
}

// One test function: the library holds one engine per process, and tests run in parallel.
#[test]
fn an_engine_loads_a_chain_reports_errors_and_closes() {
    let Some(library) = library() else { return };
    let mut engine = StandaloneEngine::start(
        library.clone(),
        Driver::Dummy,
        EngineKind::Rack,
        "pycarla-test",
    )
    .unwrap();
    assert!(engine.is_running());

    // A second engine in the same process is refused, with a reason.
    let second =
        StandaloneEngine::start(library.clone(), Driver::Dummy, EngineKind::Rack, "second");
    assert!(
        matches!(&second, Err(Error::EngineInit { message, .. }) if message.contains("one engine")),
        "{second:?}"
    );

    let kars = PluginSpec::parse("http://distrho.sf.net/plugins/Kars")
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(engine.add_instrument(&kars).unwrap(), 0);
    assert_eq!(engine.midi_inputs(0), 1);

    // Carla's own words for a plugin that is not there, naming the plugin.
    let missing = PluginSpec::parse("http://example.org/no-such-plugin")
        .unwrap()
        .resolve()
        .unwrap();
    let error = engine.add_plugin(&missing).unwrap_err();
    assert!(
        matches!(&error, Error::AddPlugin { plugin, message }
            if plugin.contains("no-such-plugin") && !message.is_empty()),
        "{error}"
    );
    assert_eq!(engine.plugin_count(), 1);

    engine.play();
    for _ in 0..3 {
        engine.idle();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    engine.close().unwrap();

    // Closed, the engine can start again (a new render's host in the same process).
    let engine =
        StandaloneEngine::start(library, Driver::Dummy, EngineKind::Rack, "pycarla-test").unwrap();
    drop(engine);
}
