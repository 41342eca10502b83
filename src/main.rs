//! The `artifact-console` binary: parse the command line, load settings, hand over.

use std::process::ExitCode;

use artifact_console::{cli, config::Settings, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let _ = dotenvy::dotenv();
    telemetry::init();

    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("artifact-console: {e}");
            return ExitCode::from(cli::EXIT_USAGE);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("artifact-console: cannot start the async runtime: {e}");
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    match runtime.block_on(cli::run(args.command.unwrap_or_default(), settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("artifact-console: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
