//! What `byok-kms serve` runs: the listener with its limits, the background work of the core
//! (the sweep, the wrapping key pool), the banner ([`announce`]), and a graceful stop on SIGINT
//! or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::config::{
    ACCESS_KEY_ID_ENV, AWS_ACCESS_KEY_ID_ENV, EphemeralDir, Error, Result, Secrets, ServeArgs,
    load_seed,
};
use crate::hsm::Hsm;
use crate::http::serve::Limits;
use crate::http::tls::Certificate;
use crate::http::{AppState, router};
use crate::kms::Kms;
use crate::kms::error::Chain;
use crate::store::Store;
use announce::{Start, announce, default_account};

mod announce;

/// The file in the data directory that holds a generated access key (mode 0600), in the form of
/// environment assignments.
pub const ACCESS_KEY_FILE: &str = "access-key.env";

/// Opens the KMS `args` describe and serves it until SIGINT or SIGTERM.
pub fn serve(mut args: ServeArgs, mut secrets: Secrets) -> Result<()> {
    args.check_listen()?;
    // Read before anything is made, so that a seed that does not parse leaves nothing behind.
    let seed = args.seed.as_deref().map(load_seed).transpose()?;
    if seed.is_some() && (secrets.access_key.is_some() || secrets.aws_access_key.is_some()) {
        return Err(Error::Setting(format!(
            "{ACCESS_KEY_ID_ENV} and {AWS_ACCESS_KEY_ID_ENV} give the default account's access \
             keys, and with --seed there is no default account: put the access keys in the \
             seed's accounts instead"
        )));
    }
    // Removed when this function returns, after the runtime has stopped.
    let _ephemeral = if args.ephemeral {
        let dir = EphemeralDir::create()?;
        args.storage.data_dir = dir.path().to_owned();
        secrets.root_key = None; // a fresh root key, made in the new directory
        Some(dir)
    } else {
        None
    };
    let certificate = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(Certificate::load(cert, key)?)),
        _ => None,
    };
    let scheme = if certificate.is_some() {
        "https"
    } else {
        "http"
    };
    // Before the port is bound: a wrong module, label or PIN stops the start.
    let hsm = connect_hsm(&args, secrets.hsm_pin.take())?;
    let mut kms = args.storage.open(&secrets)?.with_settings(args.settings());
    if let Some(hsm) = hsm {
        kms = kms.with_hsm(hsm);
    }
    let kms = Arc::new(kms);
    let start = match seed {
        Some(seed) => {
            let report = kms.apply_seed(&seed)?;
            tracing::info!(changed = report.changed, "seed applied");
            Start::Seeded(report)
        }
        None => Start::Default(Box::new(default_account(&kms, secrets)?)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setting(format!("starting the async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| Error::Listen {
                address: args.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Error::Listen {
            address: args.listen,
            source,
        })?;
        let host = if local.ip().is_unspecified() {
            format!("127.0.0.1:{}", local.port())
        } else {
            local.to_string()
        };
        let shutdown = shutdown_signal()?;
        // SIGHUP too, before the ready line: uncaught, a reload request would kill the server.
        let hangup = certificate.as_ref().and_then(|_| {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                .inspect_err(|e| {
                    tracing::warn!(
                        "cannot catch SIGHUP ({e}): the TLS certificate will not be reloaded"
                    );
                })
                .ok()
        });
        announce(&args, scheme, local, &host, kms.aws_region(), start)?;
        let _ = std::io::Write::flush(&mut std::io::stdout());
        if args.wrapping_key_pool > 0 {
            for _ in 0..args.pool_threads {
                let (kms, target) = (kms.clone(), args.wrapping_key_pool);
                std::thread::spawn(move || kms.maintain_pool(target));
            }
        }
        tokio::spawn(sweeper(
            kms.clone(),
            Duration::from_secs(args.sweep_interval),
        ));
        tokio::spawn(nonce_flusher(kms.clone()));
        let app = router(Arc::new(AppState {
            kms: kms.clone(),
            www_dir: args.www_dir.is_dir().then(|| args.www_dir.clone()),
            pkg_dir: args.pkg_dir.is_dir().then(|| args.pkg_dir.clone()),
            cors_origins: args.cors_origins.clone(),
            request_timeout: Duration::from_secs(args.request_timeout),
        }));
        let limits = Limits {
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            request_timeout: Duration::from_secs(args.request_timeout),
        };
        let acceptor = certificate.as_ref().map(Certificate::acceptor);
        if let Some(certificate) = certificate {
            tokio::spawn(reload_on_hangup(certificate, hangup));
        }
        crate::http::serve::serve(listener, app, limits, acceptor, shutdown).await;
        // Record what is only in memory (signature nonces) before exiting.
        tokio::task::spawn_blocking(move || kms.sweep().map(drop))
            .await
            .map_err(|e| Error::Setting(format!("the last sweep did not finish: {e}")))?
            .map_err(Error::from)
    })
}

/// The HSM's token the flags name, connected and logged in, and said so in the log (which token,
/// never the PIN); `None` without HSM flags.
fn connect_hsm(args: &ServeArgs, pin: Option<Zeroizing<String>>) -> Result<Option<Arc<Hsm>>> {
    let Some(hsm) = args.hsm.open(pin)? else {
        return Ok(None);
    };
    let token = hsm.token();
    tracing::info!(
        label = %token.label,
        manufacturer = %token.manufacturer,
        model = %token.model,
        serial = %token.serial_number,
        module = %hsm.module().display(),
        "HSM token connected (keys with ProtectionLevel HSM are kept in it)"
    );
    Ok(Some(Arc::new(hsm)))
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, before the server says it is ready, and
/// returns what resolves at the first of them, so that both stop the server gracefully. (Installed
/// lazily, a signal that came right after the ready line would kill the process before it removed
/// an ephemeral directory.)
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let install = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| Error::Setting(format!("cannot catch {name}: {e}")))
    };
    let mut interrupt = install(SignalKind::interrupt(), "SIGINT")?;
    let mut terminate = install(SignalKind::terminate(), "SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down");
    })
}

/// Reads the TLS certificate and key again at each SIGHUP; new connections get the new one. A
/// reload that fails keeps the one in use. Without a `hangup` handler, there is nothing to do.
async fn reload_on_hangup(
    certificate: Arc<Certificate>,
    hangup: Option<tokio::signal::unix::Signal>,
) {
    let Some(mut hangup) = hangup else { return };
    while hangup.recv().await.is_some() {
        let certificate = certificate.clone();
        match tokio::task::spawn_blocking(move || certificate.reload()).await {
            Ok(Ok(())) => tracing::info!("SIGHUP: reloaded the TLS certificate and key"),
            Ok(Err(e)) => tracing::error!(
                error = %Chain(&e),
                "SIGHUP: the TLS certificate was not reloaded; still serving the previous one"
            ),
            Err(e) => tracing::error!("SIGHUP: reloading the TLS certificate failed: {e}"),
        }
    }
}

/// How often signature nonces recorded in memory are written to the store: a crashed process
/// forgets at most this long's nonces (and those requests' timestamps still expire).
const NONCE_FLUSH: Duration = Duration::from_millis(500);

/// Writes the nonces recorded in memory to the store every [`NONCE_FLUSH`], independent of the
/// sweep, on the blocking pool.
async fn nonce_flusher<S: Store>(kms: Arc<Kms<S>>) {
    let mut interval = tokio::time::interval(NONCE_FLUSH);
    loop {
        interval.tick().await;
        let kms = kms.clone();
        match tokio::task::spawn_blocking(move || kms.flush_nonces()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %Chain(&e), "storing signature nonces failed"),
            Err(e) => tracing::error!("storing signature nonces failed: {e}"),
        }
    }
}

/// Runs the sweep every `every`, on the blocking pool.
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
            Ok(Err(e)) => tracing::error!(error = %Chain(&e), "sweep failed"),
            Err(e) => tracing::error!("sweep task failed: {e}"),
        }
    }
}
