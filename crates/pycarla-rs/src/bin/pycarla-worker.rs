//! The offline engine's worker process (started by pycarla, never by hand): renders jobs
//! through Carla's library so that a crashing plugin takes down this process, not the caller.

fn main() -> std::process::ExitCode {
    pycarla::offline::worker_main()
}
