//! A dataset's JACK worker (`pycarla::dataset`): renders its share of a batch on its own private
//! server, its plan on stdin, one JSON line per file on stdout. Started by the library when a
//! dataset renders several files at a time on JACK (libjack talks to one server per process);
//! not meant to be run by hand.

fn main() -> std::process::ExitCode {
    pycarla::dataset::jack_worker_main()
}
