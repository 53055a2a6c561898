//! The `byok-kms` command line: `serve` runs the server; `create-account` adds an account.

use std::process::ExitCode;

use byok_kms::config::{Cli, Command, Secrets, StorageArgs};
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
    // First, before any thread starts: secrets leave the environment.
    let secrets = byok_kms::config::take_secrets();
    let cli = Cli::parse();
    let result = secrets.and_then(|secrets| match cli.command {
        Command::Serve(args) => byok_kms::daemon::serve(*args, secrets),
        Command::CreateAccount(args) => create_account(&args, &secrets),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("byok-kms: {}", Chain(&e));
            ExitCode::FAILURE
        }
    }
}

fn create_account(args: &StorageArgs, secrets: &Secrets) -> byok_kms::config::Result<()> {
    let kms = args.open(secrets)?;
    let credentials = kms.create_account()?;
    println!("account {}", credentials.account_id);
    println!("access key id {}", credentials.access_key_id);
    println!("access key secret {}", credentials.secret.as_str());
    Ok(())
}
