//! The `byok-kms` command line: `serve` runs the server; `create-account` adds an account.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use byok_kms::config::{Cli, Command, ServeArgs, StorageArgs, preset_access_key};
use byok_kms::kms::Kms;
use byok_kms::serve::Limits;
use byok_kms::store::Store;
use byok_kms::web::{AppState, router};
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
        Command::Serve(args) => serve(args),
        Command::CreateAccount(args) => create_account(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "byok-kms: {}",
                e.to_string().trim_start_matches("internal failure: ")
            );
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> byok_kms::Result<()> {
    let kms = Arc::new(args.storage.open()?);
    let preset = preset_access_key()?;
    let (credentials, created) = kms.default_credentials(
        preset
            .as_ref()
            .map(|(id, secret)| (id.as_str(), secret.as_str())),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(byok_kms::Error::internal)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| byok_kms::Error::internal(format!("listening on {}: {e}", args.listen)))?;
        let local = listener.local_addr().map_err(byok_kms::Error::internal)?;
        let host = if local.ip().is_unspecified() {
            format!("127.0.0.1:{}", local.port())
        } else {
            local.to_string()
        };
        // The banner goes to stdout, never to the log.
        println!(
            "byok-kms {} listening on http://{local}/",
            env!("CARGO_PKG_VERSION")
        );
        println!("  data directory: {}", args.storage.data_dir.display());
        println!(
            "  account {} access key id: {}",
            credentials.account_id, credentials.access_key_id
        );
        if created && preset.is_none() {
            println!(
                "  access key secret (new; also in the console URL): {}",
                credentials.secret.as_str()
            );
        }
        if preset.is_some() {
            // The operator gave the secret; it is not repeated anywhere.
            println!("  console: http://{host}/   (sign in with that access key)");
        } else {
            println!(
                "  console: http://{host}/#ak={}&sk={}   (keep this URL private)",
                credentials.access_key_id,
                credentials.secret.as_str()
            );
        }
        drop(credentials);
        for _ in 0..args.pool_threads {
            if args.wrapping_key_pool > 0 {
                let (kms, target) = (kms.clone(), args.wrapping_key_pool);
                std::thread::spawn(move || refill_pool(&kms, target));
            }
        }
        tokio::spawn(sweeper(
            kms.clone(),
            Duration::from_secs(args.sweep_interval),
        ));
        let www_dir = args.www_dir.is_dir().then_some(args.www_dir.clone());
        let pkg_dir = args.pkg_dir.is_dir().then_some(args.pkg_dir.clone());
        let kms_for_exit = kms.clone();
        let app = router(Arc::new(AppState {
            kms,
            www_dir,
            pkg_dir,
            cors_origins: args.cors_origins.clone(),
            request_timeout: Duration::from_secs(args.request_timeout),
        }));
        let limits = Limits {
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            request_timeout: Duration::from_secs(args.request_timeout),
        };
        byok_kms::serve::serve(listener, app, limits, shutdown_signal()).await;
        // Record what is only in memory (signature nonces) before exiting.
        tokio::task::spawn_blocking(move || kms_for_exit.sweep().map(drop))
            .await
            .map_err(byok_kms::Error::internal)
            .and_then(|r| r)
    })
}

/// Resolves at SIGINT (Ctrl-C) or SIGTERM, so that both stop the server gracefully.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

async fn sweeper<S: Store>(kms: Arc<Kms<S>>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let kms = kms.clone();
        match tokio::task::spawn_blocking(move || kms.sweep()).await {
            Ok(Ok(report)) if report.materials_erased + report.keys_deleted > 0 => {
                tracing::info!(
                    materials_erased = report.materials_erased,
                    keys_deleted = report.keys_deleted,
                    "sweep"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("sweep failed: {e}"),
            Err(e) => tracing::error!("sweep task failed: {e}"),
        }
    }
}

/// Keeps the wrapping key pool near `target` pairs: once it has fallen below half, generates
/// until it is full again (so a burst of requests is served from the pool without the refill
/// competing for the CPU), checking a few times a second; and keeps a batch of pairs claimed by
/// this instance ready to hand out.
fn refill_pool<S: Store>(kms: &Kms<S>, target: u64) {
    let low = target / 2;
    let mut filling = true;
    loop {
        let size = if filling {
            kms.refill_pool(target)
        } else {
            kms.pool_size()
        };
        match size {
            Ok(size) if size >= target => filling = false,
            Ok(size) if size < low => filling = true,
            Ok(_) => {}
            Err(e) => {
                tracing::error!("refilling the wrapping key pool failed: {e}");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        // Hold a batch of claimed pairs ready, so that the first requests need no claim either.
        if let Err(e) = kms.top_up_lease() {
            tracing::error!("claiming wrapping key pairs from the pool failed: {e}");
        }
        if !filling {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn create_account(args: &StorageArgs) -> byok_kms::Result<()> {
    let kms = args.open()?;
    let credentials = kms.create_account()?;
    println!("account {}", credentials.account_id);
    println!("access key id {}", credentials.access_key_id);
    println!("access key secret {}", credentials.secret.as_str());
    Ok(())
}
