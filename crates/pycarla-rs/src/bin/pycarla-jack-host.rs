//! pycarla's Carla host for the JACK engine (started by pycarla, never by hand): Carla's
//! engine on JACK without Carla's Python front end. See `pycarla::jack_host`.

fn main() -> std::process::ExitCode {
    pycarla::jack_host::jack_host_main(std::env::args_os().skip(1))
}
