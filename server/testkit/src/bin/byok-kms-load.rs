//! `byok-kms-load`: a load generator for byok-kms that signs every request like the official SDK
//! (ACS3-HMAC-SHA256, byok-wrap's signer), plus the peers the benchmarks compare against.
//!
//! ```text
//! byok-kms-load run --endpoint URL --access-key-id ID --access-key-secret SECRET \
//!     --action describe|encrypt|decrypt|get-parameters|import|create-key|list-keys \
//!     [--concurrency 16] [--duration 10] [--requests N] [--page-number N]
//! byok-kms-load bare-server [--listen 127.0.0.1:0]     # a bare axum handler: constant JSON
//! byok-kms-load raw-decrypt [--threads 2] [--duration 5]  # aws-lc-rs RSA-2048 OAEP decryptions/s
//! ```
//! `run` prints one JSON line: requests, errors, seconds, rps, p50_ms, p99_ms.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use byok_kms_testkit::Api;
use byok_kms_testkit::RemoteKms;
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "byok-kms-load",
    about = "Load generator and benchmark peers for byok-kms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send signed requests for an action from concurrent clients; print req/s and latencies.
    Run(RunArgs),
    /// Serve a constant JSON body with a bare axum handler (the peer of Encrypt/Decrypt).
    BareServer {
        /// Where to listen; the bound address is printed.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// Measure raw aws-lc-rs RSA-2048 OAEP-SHA-256 decryptions per second (the limit of import).
    RawDecrypt {
        /// Threads decrypting at once.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
    },
}

#[derive(Args)]
struct RunArgs {
    /// The KMS URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    endpoint: String,
    /// AccessKeyId.
    #[arg(long)]
    access_key_id: String,
    /// AccessKeySecret.
    #[arg(long)]
    access_key_secret: String,
    /// What every request does.
    #[arg(long, value_enum)]
    action: Action,
    /// Clients sending at once, each waiting for its reply before the next request.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds to run (after a one-second warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many requests instead (no warm-up).
    #[arg(long)]
    requests: Option<u64>,
    /// For list-keys: the page to read (100 keys a page).
    #[arg(long, default_value_t = 1)]
    page_number: u64,
    /// Use this existing key instead of creating one.
    #[arg(long)]
    key_id: Option<String>,
    /// The API to speak: `alibaba` (ACS3) or `aws` (JSON 1.1 with SigV4; the access key must be
    /// the AWS pair).
    #[arg(long, default_value = "alibaba")]
    api: String,
    /// The SigV4 region for `--api aws`.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// `HSM`: the keys created are EXTERNAL keys with ProtectionLevel HSM, their material
    /// wrapped with RSAES_OAEP_SHA_1 (the server must have a token; Alibaba API only).
    #[arg(long, default_value = "SOFTWARE")]
    protection_level: String,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Action {
    Describe,
    Encrypt,
    Decrypt,
    GetParameters,
    Import,
    CreateKey,
    ListKeys,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting a tokio runtime: {e}"))
        .and_then(|runtime| match cli.command {
            Command::Run(args) => runtime.block_on(run(args)),
            Command::BareServer { listen } => runtime.block_on(bare_server(listen)),
            Command::RawDecrypt { threads, duration } => raw_decrypt(threads, duration),
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("byok-kms-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error message: what failed, and why.
fn fail(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// A string field of a reply, or an error naming it.
fn field<'a>(reply: &'a Value, name: &str) -> Result<&'a str, String> {
    reply[name]
        .as_str()
        .ok_or_else(|| format!("no {name} in the reply {reply}"))
}

async fn run(args: RunArgs) -> Result<(), String> {
    let api = match args.api.as_str() {
        "alibaba" => Api::Alibaba,
        "aws" => Api::Aws {
            region: args.region.clone(),
        },
        other => return Err(format!("--api {other:?}: must be alibaba or aws")),
    };
    let kms = RemoteKms::new(
        &args.endpoint,
        &args.access_key_id,
        &args.access_key_secret,
        args.concurrency,
    )
    .speaking(api);
    let request = prepare(&kms, &args).await?;
    let deadline_requests = args.requests;
    let started = Instant::now();
    let warm_up = if deadline_requests.is_some() {
        Duration::ZERO
    } else {
        Duration::from_secs(1)
    };
    let measure_from = started + warm_up;
    let stop_at = measure_from + Duration::from_secs_f64(args.duration);
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (kms, request, sent, stop) = (kms.clone(), request.clone(), sent.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            // With a request count, each client's first request (its connection's) is warm-up.
            let mut warm = deadline_requests.is_none();
            loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(limit) = deadline_requests {
                    if sent.fetch_add(1, Ordering::Relaxed) >= limit {
                        break;
                    }
                } else if Instant::now() >= stop_at {
                    break;
                }
                let params: Vec<(&str, &str)> = request
                    .params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let t0 = Instant::now();
                let result = kms.call(&request.action, &params).await;
                let elapsed = t0.elapsed();
                if !warm {
                    warm = true;
                    continue;
                }
                if t0 >= measure_from {
                    latencies.push(elapsed.as_micros() as u64);
                    if !matches!(result, Ok((200, _))) {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("byok-kms-load: {} failed: {result:?}", request.action);
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker
            .await
            .map_err(|e| format!("a client task failed: {e}"))?;
        latencies.extend(l);
        errors += e;
    }
    stop.store(true, Ordering::Relaxed);
    let seconds = if deadline_requests.is_some() {
        started.elapsed().as_secs_f64()
    } else {
        args.duration
    };
    latencies.sort_unstable();
    let pick = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index] as f64 / 1000.0
    };
    println!(
        "{}",
        json!({
            "action": request.action,
            "concurrency": args.concurrency,
            "requests": latencies.len(),
            "errors": errors,
            "seconds": seconds,
            "rps": latencies.len() as f64 / seconds,
            "p50_ms": pick(0.50),
            "p99_ms": pick(0.99),
        })
    );
    Ok(())
}

/// What every request of a run sends.
#[derive(Clone)]
struct Request {
    action: String,
    params: Vec<(String, String)>,
}

/// Creates what the action needs (a key, material, a ciphertext) and returns the request.
async fn prepare(kms: &RemoteKms, args: &RunArgs) -> Result<Request, String> {
    let request = |action: &str, params: &[(&str, &str)]| Request {
        action: action.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let aws = matches!(kms.api(), Api::Aws { .. });
    let hsm = match args.protection_level.as_str() {
        "SOFTWARE" => false,
        "HSM" if !aws => true,
        other => {
            return Err(format!(
                "--protection-level {other}: SOFTWARE, or HSM on the Alibaba API"
            ));
        }
    };
    let algorithm = if hsm {
        WrappingAlgorithm::RsaesOaepSha1
    } else {
        WrappingAlgorithm::RsaesOaepSha256
    };
    let create_key = |origin: &'static str| async move {
        let origin = if aws && origin == "Aliyun_KMS" {
            "AWS_KMS"
        } else {
            origin
        };
        let mut params = vec![("Origin", origin)];
        if hsm {
            params.push(("ProtectionLevel", "HSM"));
        }
        let created = kms.ok("CreateKey", &params).await?;
        Ok::<_, String>(field(&created["KeyMetadata"], "KeyId")?.to_owned())
    };
    let wrapped_material = |key: String| async move {
        let material = KeyMaterial::generate(KeySpec::AliyunAes256).map_err(|e| e.to_string())?;
        let w = kms.wrap_for_import_with(&key, &material, algorithm).await?;
        Ok::<_, String>((key, w))
    };
    let kms_key = || async {
        match &args.key_id {
            Some(id) => Ok(id.clone()),
            // An HSM key's material can only be imported: an EXTERNAL key, imported once.
            None if hsm => {
                let (key, w) = wrapped_material(create_key("EXTERNAL").await?).await?;
                kms.ok(
                    "ImportKeyMaterial",
                    &[
                        ("KeyId", key.as_str()),
                        ("EncryptedKeyMaterial", &w.wrapped),
                        ("ImportToken", &w.token),
                    ],
                )
                .await?;
                Ok(key)
            }
            None => create_key("Aliyun_KMS").await,
        }
    };
    Ok(match args.action {
        Action::Describe => request("DescribeKey", &[("KeyId", &kms_key().await?)]),
        Action::Encrypt => request(
            "Encrypt",
            &[
                ("KeyId", &kms_key().await?),
                ("Plaintext", "aGVsbG8sIHdvcmxkIQ=="),
            ],
        ),
        Action::Decrypt => {
            let key = kms_key().await?;
            let blob = kms
                .ok(
                    "Encrypt",
                    &[("KeyId", &key), ("Plaintext", "aGVsbG8sIHdvcmxkIQ==")],
                )
                .await?;
            request(
                "Decrypt",
                &[("CiphertextBlob", field(&blob, "CiphertextBlob")?)],
            )
        }
        Action::CreateKey => request("CreateKey", &[]),
        Action::ListKeys => request(
            "ListKeys",
            &[
                ("PageSize", "100"),
                ("PageNumber", &args.page_number.to_string()),
            ],
        ),
        Action::GetParameters => request(
            "GetParametersForImport",
            &[
                ("KeyId", &create_key("EXTERNAL").await?),
                ("WrappingAlgorithm", algorithm.as_str()),
                ("WrappingKeySpec", "RSA_2048"),
            ],
        ),
        Action::Import => {
            let (key, w) = wrapped_material(create_key("EXTERNAL").await?).await?;
            // Re-importing the same material with the same token is a valid import every time.
            let mut params = vec![
                ("KeyId", key.as_str()),
                ("EncryptedKeyMaterial", &w.wrapped),
                ("ImportToken", &w.token),
            ];
            if aws {
                // AWS's default model needs a ValidTo.
                params.push(("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"));
            }
            request("ImportKeyMaterial", &params)
        }
    })
}

async fn bare_server(listen: SocketAddr) -> Result<(), String> {
    let app = axum::Router::new().fallback(|| async {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"CiphertextBlob":"AAAA","KeyId":"00000000-0000-4000-8000-000000000000","KeyVersionId":"00000000-0000-4000-8000-000000000000","RequestId":"00000000-0000-4000-8000-000000000000"}"#,
        )
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listening on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("{address}");
    axum::serve(listener, app)
        .await
        .map_err(|e| format!("serving: {e}"))
}

fn raw_decrypt(threads: usize, duration: f64) -> Result<(), String> {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048)
        .map_err(|e| fail("generating an RSA key", e))?;
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        &key.public_key(),
    )
    .map_err(|e| fail("encoding the public key", e))?;
    let public =
        WrappingPublicKey::from_der(der.as_ref()).map_err(|e| fail("parsing the public key", e))?;
    let material =
        KeyMaterial::generate(KeySpec::AliyunAes256).map_err(|e| fail("generating material", e))?;
    let wrapped = byok_wrap::wrap(&public, WrappingAlgorithm::RsaesOaepSha256, &material)
        .map_err(|e| fail("wrapping", e))?
        .into_bytes();
    let key = Arc::new(OaepPrivateDecryptingKey::new(key).map_err(|e| fail("an OAEP key", e))?);
    let stop_at = Instant::now() + Duration::from_secs_f64(duration);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (key, wrapped) = (key.clone(), wrapped.clone());
            std::thread::spawn(move || {
                let mut out = [0u8; 256];
                let mut count = 0u64;
                while Instant::now() < stop_at {
                    if key
                        .decrypt(&OAEP_SHA256_MGF1SHA256, &wrapped, &mut out, None)
                        .is_err()
                    {
                        return Err("decrypting what we wrapped failed".to_owned());
                    }
                    count += 1;
                }
                Ok(count)
            })
        })
        .collect();
    let mut total = 0u64;
    for handle in handles {
        total += handle
            .join()
            .map_err(|_| "a decrypting thread panicked".to_owned())??;
    }
    println!(
        "{}",
        json!({ "threads": threads, "decryptions": total, "seconds": duration, "per_second": total as f64 / duration })
    );
    Ok(())
}
