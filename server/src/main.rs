//! The `byok-kms` command line: `serve` runs the server; `create-account` adds an account.

use std::process::ExitCode;

use byok_kms::config::{Cli, Command, StorageArgs};
use byok_kms::kms::error::Chain;
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => byok_kms::daemon::serve(args),
        Command::CreateAccount(args) => create_account(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("byok-kms: {}", Chain(&e));
            ExitCode::FAILURE
        }
    }
}

fn create_account(args: &StorageArgs) -> byok_kms::config::Result<()> {
    let kms = args.open()?;
    let credentials = kms.create_account()?;
    println!("account {}", credentials.account_id);
    println!("access key id {}", credentials.access_key_id);
    println!("access key secret {}", credentials.secret.as_str());
    Ok(())
}
