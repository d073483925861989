//! TEST FIXTURE — mimics headless Carla for proc-supervisor's tests. Not the product.
//!
//! Behaves like `Carla -n /abs/project.carxp` in patchbay mode, as far as the supervisor can
//! tell: refuses a missing or relative project (exit 1), refuses to run without the private
//! configuration the supervisor must provide (`$XDG_CONFIG_HOME/falkTX/Carla2.conf` with
//! `ProcessMode=3` and OSC off: exit 2) or without `JACK_DEFAULT_SERVER` (exit 3), joins that
//! server as `Carla` (or `$CARLA_CLIENT_NAME`) with Carla's six ports (exit 1 if there is no
//! server), and prints `Carla ready!` some 0.1 s after the ports appear, like Carla. A project
//! containing `MISSING_PLUGIN` makes it print `Failed to load a plugin` first and go on, as
//! Carla does. Runs until killed.

use std::path::Path;
use std::time::Duration;

use jack::{AudioIn, AudioOut, Client, ClientOptions, MidiIn, MidiOut};

fn fail(code: i32, message: &str) -> ! {
    eprintln!("fake Carla: {message}");
    std::process::exit(code);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "-n" || a == "--no-gui") {
        fail(1, "expected -n/--no-gui (headless)");
    }
    let projects: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [project] = projects.as_slice() else {
        fail(1, &format!("expected one project file, got {projects:?}"));
    };
    let path = Path::new(project.as_str());
    if !path.is_absolute() || !path.is_file() {
        fail(
            1,
            &format!("project file {project} does not exist or is not absolute"),
        );
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME").unwrap_or_default();
    let config = std::fs::read_to_string(Path::new(&config_home).join("falkTX/Carla2.conf"))
        .unwrap_or_default();
    if !config.contains("ProcessMode=3") || !config.contains("[OSC]\nEnabled=false") {
        fail(
            2,
            "no private Carla2.conf with ProcessMode=3 and OSC disabled",
        );
    }
    let Ok(server) = std::env::var("JACK_DEFAULT_SERVER") else {
        fail(3, "JACK_DEFAULT_SERVER is not set");
    };
    let name = std::env::var("CARLA_CLIENT_NAME").unwrap_or_else(|_| "Carla".to_string());
    println!("fake Carla: server={server} client={name} project={project}");
    let options = ClientOptions::NO_START_SERVER | ClientOptions::USE_EXACT_NAME;
    let client = match Client::new(&name, options) {
        Ok((client, _)) => client,
        Err(error) => fail(1, &format!("Failed to create new JACK client: {error}")),
    };
    let ports = (
        client.register_port("audio-in1", AudioIn::default()),
        client.register_port("audio-in2", AudioIn::default()),
        client.register_port("audio-out1", AudioOut::default()),
        client.register_port("audio-out2", AudioOut::default()),
        client.register_port("events-in", MidiIn::default()),
        client.register_port("events-out", MidiOut::default()),
    );
    let _active = client
        .activate_async((), ())
        .unwrap_or_else(|e| fail(1, &e.to_string()));
    let project_text = std::fs::read_to_string(path).unwrap_or_default();
    if project_text.contains("MISSING_PLUGIN") {
        println!("Failed to load a plugin: MISSING_PLUGIN is not installed");
    }
    // Carla loads its project after registering its ports.
    std::thread::sleep(Duration::from_millis(120));
    println!("Carla ready!");
    let _ports = ports;
    loop {
        std::thread::park();
    }
}
