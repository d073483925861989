//! The `pycarla` command line. See `pycarla --help`.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::main(cli::args::Cli::parse())
}
