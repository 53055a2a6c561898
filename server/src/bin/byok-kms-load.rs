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
use byok_kms::remote::RemoteKms;
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

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match cli.command {
        Command::Run(args) => runtime.block_on(run(args)),
        Command::BareServer { listen } => runtime.block_on(bare_server(listen)),
        Command::RawDecrypt { threads, duration } => raw_decrypt(threads, duration),
    }
}

/// byok-kms's signing client; setup calls must succeed.
#[derive(Clone)]
struct Kms(RemoteKms);

impl Kms {
    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<(u16, Value), String> {
        self.0.call(action, params).await
    }

    async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.0
            .ok(action, params)
            .await
            .unwrap_or_else(|e| panic!("setup call failed: {e}"))
    }
}

async fn run(args: RunArgs) {
    let kms = Kms(RemoteKms::new(
        &args.endpoint,
        &args.access_key_id,
        &args.access_key_secret,
        args.concurrency,
    ));
    let request = prepare(&kms, &args).await;
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
        let (l, e) = worker.await.expect("a worker");
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
}

/// What every request of a run sends.
#[derive(Clone)]
struct Request {
    action: String,
    params: Vec<(String, String)>,
}

/// Creates what the action needs (a key, material, a ciphertext) and returns the request.
async fn prepare(kms: &Kms, args: &RunArgs) -> Request {
    let request = |action: &str, params: &[(&str, &str)]| Request {
        action: action.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let kms_key = || async {
        match &args.key_id {
            Some(id) => id.clone(),
            None => kms.ok("CreateKey", &[]).await["KeyMetadata"]["KeyId"]
                .as_str()
                .expect("KeyId")
                .to_owned(),
        }
    };
    match args.action {
        Action::Describe => request("DescribeKey", &[("KeyId", &kms_key().await)]),
        Action::Encrypt => request(
            "Encrypt",
            &[
                ("KeyId", &kms_key().await),
                ("Plaintext", "aGVsbG8sIHdvcmxkIQ=="),
            ],
        ),
        Action::Decrypt => {
            let key = kms_key().await;
            let blob = kms
                .ok(
                    "Encrypt",
                    &[("KeyId", &key), ("Plaintext", "aGVsbG8sIHdvcmxkIQ==")],
                )
                .await;
            request(
                "Decrypt",
                &[(
                    "CiphertextBlob",
                    blob["CiphertextBlob"].as_str().expect("blob"),
                )],
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
        Action::GetParameters | Action::Import => {
            let created = kms.ok("CreateKey", &[("Origin", "EXTERNAL")]).await;
            let key = created["KeyMetadata"]["KeyId"]
                .as_str()
                .expect("KeyId")
                .to_owned();
            let params = [
                ("KeyId", key.as_str()),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ];
            if args.action == Action::GetParameters {
                return request("GetParametersForImport", &params);
            }
            let reply = kms.ok("GetParametersForImport", &params).await;
            let public = WrappingPublicKey::parse(
                reply["PublicKey"].as_str().expect("PublicKey").as_bytes(),
            )
            .expect("a public key");
            let material = KeyMaterial::generate(KeySpec::AliyunAes256).expect("material");
            let wrapped = byok_wrap::wrap(&public, WrappingAlgorithm::RsaesOaepSha256, &material)
                .expect("wrap");
            // Re-importing the same material with the same token is a valid import every time.
            request(
                "ImportKeyMaterial",
                &[
                    ("KeyId", &key),
                    ("EncryptedKeyMaterial", &wrapped.to_base64()),
                    ("ImportToken", reply["ImportToken"].as_str().expect("token")),
                ],
            )
        }
    }
}

async fn bare_server(listen: SocketAddr) {
    let app = axum::Router::new().fallback(|| async {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"CiphertextBlob":"AAAA","KeyId":"00000000-0000-4000-8000-000000000000","KeyVersionId":"00000000-0000-4000-8000-000000000000","RequestId":"00000000-0000-4000-8000-000000000000"}"#,
        )
    });
    let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
    println!("{}", listener.local_addr().expect("address"));
    axum::serve(listener, app).await.expect("serve");
}

fn raw_decrypt(threads: usize, duration: f64) {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("RSA key");
    let public = WrappingPublicKey::from_der(
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
            &key.public_key(),
        )
        .expect("DER")
        .as_ref(),
    )
    .expect("public key");
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).expect("material");
    let wrapped = byok_wrap::wrap(&public, WrappingAlgorithm::RsaesOaepSha256, &material)
        .expect("wrap")
        .into_bytes();
    let key = Arc::new(OaepPrivateDecryptingKey::new(key).expect("OAEP key"));
    let stop_at = Instant::now() + Duration::from_secs_f64(duration);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (key, wrapped) = (key.clone(), wrapped.clone());
            std::thread::spawn(move || {
                let mut out = [0u8; 256];
                let mut count = 0u64;
                while Instant::now() < stop_at {
                    key.decrypt(&OAEP_SHA256_MGF1SHA256, &wrapped, &mut out, None)
                        .expect("decrypt");
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    println!(
        "{}",
        json!({ "threads": threads, "decryptions": total, "seconds": duration, "per_second": total as f64 / duration })
    );
}
