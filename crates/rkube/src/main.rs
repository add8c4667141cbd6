//! The rkube binary: parses the command line and runs the chosen components.

mod bench;
mod cli;
mod node;
mod run;

use clap::Parser;

/// mimalloc rather than glibc's malloc: see the dependency's note in Cargo.toml
/// and the benchmark figures in the README.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    run::init_tracing(&cli.log_level);
    match run::main(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("rkube: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
