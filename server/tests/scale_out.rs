//! Three `byok-kms serve` instances on one PostgreSQL database (run under
//! `scripts/with-postgres.sh`, as make test does) must behave, to every client, as one KMS:
//! tokens, ciphertexts and nonces cross instances, wrapping keys are handed out once, expired
//! material is erased once, imports racing on several instances keep the same-material rule, an
//! instance with another root key refuses to start, PostgreSQL going down and coming back costs
//! only 503s, and killing an instance loses nothing the others acknowledged.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms_testkit::RemoteKms;
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey};
use common::pg;
use common::process::KmsProcess;

/// The tests of this file run one at a time: one of them takes PostgreSQL down.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const ROOT_KEY: &str = "c2NhbGUtb3V0LXRlc3Qtcm9vdC1rZXktMzItYnl0ZSE="; // 32 bytes

/// Instances on one fresh database, started at the same moment (so their migrations race).
struct Cluster {
    _dir: tempfile::TempDir,
    url: String,
    instances: Vec<KmsProcess>,
}

impl Cluster {
    fn start(n: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = pg::fresh_database();
        let starts: Vec<_> = (0..n)
            .map(|i| {
                let data = dir.path().join(format!("instance-{i}"));
                let url = url.clone();
                std::thread::spawn(move || start_instance(&data, &url))
            })
            .collect();
        let instances = starts.into_iter().map(|t| t.join().unwrap()).collect();
        Self {
            _dir: dir,
            url,
            instances,
        }
    }

    fn clients(&self) -> Vec<RemoteKms> {
        self.instances.iter().map(|i| i.client(16)).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A failing test shows what the instances logged.
        if std::thread::panicking() {
            for (i, instance) in self.instances.iter().enumerate() {
                let log = std::fs::read_to_string(&instance.log_path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("--- instance {i} log (last lines, newest first):");
                for line in tail {
                    eprintln!("{line}");
                }
            }
        }
    }
}

fn start_instance(data: &std::path::Path, url: &str) -> KmsProcess {
    KmsProcess::start_with_env(
        data,
        &["--database-url", url, "--wrapping-key-pool", "8"],
        "info",
        &[("BYOK_KMS_ROOT_KEY", ROOT_KEY)],
    )
    .unwrap_or_else(|log| panic!("an instance did not start: {log}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn create_key(kms: &RemoteKms) -> String {
    kms.ok(
        "CreateKey",
        &[("Origin", "EXTERNAL"), ("KeySpec", "Aliyun_AES_256")],
    )
    .await
    .unwrap()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GetParametersForImport on one instance; returns the wrapped material and the token.
async fn wrapped_for(kms: &RemoteKms, key: &str, material: &KeyMaterial) -> (String, String) {
    let w = kms.wrap_for_import(key, material).await.unwrap();
    (w.wrapped, w.token)
}

async fn import_on(
    kms: &RemoteKms,
    key: &str,
    (wrapped, token): (&str, &str),
) -> Result<(u16, serde_json::Value), String> {
    kms.call(
        "ImportKeyMaterial",
        &[
            ("KeyId", key),
            ("EncryptedKeyMaterial", wrapped),
            ("ImportToken", token),
        ],
    )
    .await
}

fn code(reply: &serde_json::Value) -> &str {
    reply["Code"].as_str().unwrap_or("")
}

#[test]
fn three_instances_behave_as_one_kms() {
    let _serial = serial();
    let cluster = Cluster::start(3);
    let [a, b, c] = <[RemoteKms; 3]>::try_from(cluster.clients()).ok().unwrap();
    runtime().block_on(async {
        // Created on A, parameters from B, imported on C, used everywhere.
        let key = create_key(&a).await;
        let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let (wrapped, token) = wrapped_for(&b, &key, &material).await;
        let (status, reply) = import_on(&c, &key, (&wrapped, &token)).await.unwrap();
        assert_eq!(status, 200, "{reply}");
        for kms in [&a, &b, &c] {
            let reply = kms.ok("DescribeKey", &[("KeyId", &key)]).await.unwrap();
            assert_eq!(reply["KeyMetadata"]["KeyState"], "Enabled");
        }
        let blob = a
            .ok("Encrypt", &[("KeyId", &key), ("Plaintext", "c2NhbGU=")])
            .await
            .unwrap()["CiphertextBlob"]
            .as_str()
            .unwrap()
            .to_owned();
        for kms in [&b, &c] {
            let reply = kms
                .ok("Decrypt", &[("CiphertextBlob", &blob)])
                .await
                .unwrap();
            assert_eq!(reply["Plaintext"], "c2NhbGU=");
        }

        // A nonce used on one instance is refused by every other.
        let nonce = "scale-out-replayed-nonce";
        let (status, _) = a
            .call_with_nonce("DescribeKey", &[("KeyId", &key)], nonce)
            .await
            .unwrap();
        assert_eq!(status, 200);
        for kms in [&a, &b, &c] {
            let (status, reply) = kms
                .call_with_nonce("DescribeKey", &[("KeyId", &key)], nonce)
                .await
                .unwrap();
            assert_eq!((status, code(&reply)), (400, "SignatureNonceUsed"));
        }

        // Deleted on B: no instance decrypts; the same material with A's old token comes back
        // through C, and the old ciphertext decrypts again on A.
        b.ok("DeleteKeyMaterial", &[("KeyId", &key)]).await.unwrap();
        for kms in [&a, &b, &c] {
            let (status, reply) = kms
                .call("Decrypt", &[("CiphertextBlob", &blob)])
                .await
                .unwrap();
            assert_eq!((status, code(&reply)), (409, "Rejected.PendingImport"));
        }
        let other = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let (other_wrapped, other_token) = wrapped_for(&a, &key, &other).await;
        let (status, reply) = import_on(&b, &key, (&other_wrapped, &other_token))
            .await
            .unwrap();
        assert_eq!((status, code(&reply)), (400, "InvalidKeyMaterial"));
        let (status, reply) = import_on(&c, &key, (&wrapped, &token)).await.unwrap();
        assert_eq!(status, 200, "{reply}");
        let reply = a.ok("Decrypt", &[("CiphertextBlob", &blob)]).await.unwrap();
        assert_eq!(reply["Plaintext"], "c2NhbGU=");

        // Every wrapping key handed out, by whichever instance, is new: 60 requests spread over
        // the three (each refilling the shared pool meanwhile).
        let pending = create_key(&c).await;
        let mut seen = HashSet::new();
        let requests: Vec<_> = (0..60)
            .map(|i| {
                let kms = [&a, &b, &c][i % 3].clone();
                let pending = pending.clone();
                tokio::spawn(async move {
                    let m = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
                    kms.wrap_for_import(&pending, &m).await.unwrap().public_key
                })
            })
            .collect();
        for request in requests {
            assert!(seen.insert(request.await.unwrap()), "a wrapping key twice");
        }
        eprintln!("60 wrapping keys from 3 instances, all distinct");

        // Material that expires is erased once, by whichever instance's sweeper comes first
        // (every instance sweeps every second). Nobody touches the key meanwhile, so that only
        // a sweep can erase it.
        let expiring = create_key(&a).await;
        let m = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let (wrapped, token) = wrapped_for(&b, &expiring, &m).await;
        let expire = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 2)
        .to_string();
        c.ok(
            "ImportKeyMaterial",
            &[
                ("KeyId", &expiring),
                ("EncryptedKeyMaterial", &wrapped),
                ("ImportToken", &token),
                ("KeyMaterialExpireUnix", &expire),
            ],
        )
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while erased_by_sweeps(&cluster) == 0 {
            assert!(std::time::Instant::now() < deadline, "no sweep erased it");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Two more sweeps of every instance: none erases it again.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(erased_by_sweeps(&cluster), 1);
        for kms in [&a, &b, &c] {
            let reply = kms
                .ok("DescribeKey", &[("KeyId", &expiring)])
                .await
                .unwrap();
            assert_eq!(reply["KeyMetadata"]["KeyState"], "PendingImport");
        }
    });
}

/// How many materials the instances' sweepers report erased, from their logs.
fn erased_by_sweeps(cluster: &Cluster) -> u64 {
    let mut erased = 0;
    for instance in &cluster.instances {
        let log = std::fs::read_to_string(&instance.log_path).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains("sweep")) {
            let plain = strip_ansi(line);
            if let Some(rest) = plain.split("materials_erased=").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                erased += digits.parse::<u64>().unwrap_or(0);
            }
        }
    }
    erased
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn an_instance_with_another_root_key_refuses_to_start() {
    let _serial = serial();
    let cluster = Cluster::start(1);
    let dir = tempfile::tempdir().unwrap();
    let other_root = STANDARD.encode([7u8; 32]);
    let Err(log) = KmsProcess::start_with_env(
        &dir.path().join("other"),
        &["--database-url", &cluster.url],
        "info",
        &[("BYOK_KMS_ROOT_KEY", &other_root)],
    ) else {
        panic!("an instance with another root key started");
    };
    assert!(log.contains("different root key"), "{log}");
    assert!(log.contains("same one"), "{log}");
    // The first instance is unharmed.
    runtime().block_on(async {
        cluster.clients()[0].ok("ListKeys", &[]).await.unwrap();
    });
}

#[test]
fn thirty_two_clients_racing_imports_across_instances_keep_the_same_material_rule() {
    let _serial = serial();
    const KEYS: usize = 4;
    let cluster = Cluster::start(3);
    let clients = cluster.clients();
    let runtime = runtime();
    let keys: Vec<String> = runtime.block_on(async {
        let mut keys = Vec::new();
        for _ in 0..KEYS {
            keys.push(create_key(&clients[0]).await);
        }
        keys
    });
    // Two candidate materials per key; 32 clients, each importing one of them on one instance.
    let candidates: Vec<[KeyMaterial; 2]> = (0..KEYS)
        .map(|_| {
            [
                KeyMaterial::generate(KeySpec::AliyunAes256).unwrap(),
                KeyMaterial::generate(KeySpec::AliyunAes256).unwrap(),
            ]
        })
        .collect();
    let accepted: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let (requests, server_errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    runtime.block_on(async {
        // Wrap first, then fire all imports at once.
        let mut prepared = Vec::new();
        for client in 0..32 {
            let (k, choice) = (client % KEYS, (client / KEYS) % 2);
            let kms = clients[client % 3].clone();
            let (wrapped, token) =
                wrapped_for(&clients[(client + 1) % 3], &keys[k], &candidates[k][choice]).await;
            prepared.push((kms, k, choice, wrapped, token));
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(prepared.len()));
        let tasks: Vec<_> = prepared
            .into_iter()
            .map(|(kms, k, choice, wrapped, token)| {
                let (key, barrier, accepted) = (keys[k].clone(), barrier.clone(), accepted.clone());
                let (requests, server_errors) = (requests.clone(), server_errors.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let (status, reply) = import_on(&kms, &key, (&wrapped, &token)).await.unwrap();
                    requests.fetch_add(1, Ordering::Relaxed);
                    if status >= 500 {
                        server_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    match status {
                        200 => accepted.lock().unwrap().push((k, choice)),
                        _ => assert_eq!(code(&reply), "InvalidKeyMaterial", "{reply}"),
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(server_errors.load(Ordering::Relaxed), 0);
        // Per key: every accepted import carried the same material, and that material works.
        let accepted = accepted.lock().unwrap().clone();
        for (k, key) in keys.iter().enumerate() {
            let winners: HashSet<usize> = accepted
                .iter()
                .filter(|(key, _)| *key == k)
                .map(|(_, c)| *c)
                .collect();
            assert_eq!(winners.len(), 1, "{key}: accepted {winners:?}");
            let winner = *winners.iter().next().unwrap();
            for (i, kms) in clients.iter().enumerate() {
                let (wrapped, token) = wrapped_for(kms, key, &candidates[k][1 - winner]).await;
                let (status, reply) = import_on(&clients[(i + 2) % 3], key, (&wrapped, &token))
                    .await
                    .unwrap();
                assert_eq!((status, code(&reply)), (400, "InvalidKeyMaterial"));
                let (wrapped, token) = wrapped_for(kms, key, &candidates[k][winner]).await;
                let (status, reply) = import_on(&clients[(i + 1) % 3], key, (&wrapped, &token))
                    .await
                    .unwrap();
                assert_eq!(status, 200, "{reply}");
            }
        }
        eprintln!(
            "32 racing imports on 3 instances: {} accepted, the rest refused, 0 5xx",
            accepted.len()
        );
    });
}

/// What the load clients were told: keys with imported material and ciphertexts under them.
#[derive(Default)]
struct Ledger {
    imported: Vec<(String, String, Vec<u8>)>, // key, ciphertext, plaintext
}

/// One client's loop: create a key, import, encrypt; every reply must be 200 or 503. No reply at
/// all means its instance was killed: it goes on with `fallback`.
async fn load_client(
    kms: RemoteKms,
    fallback: RemoteKms,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    unavailable: Arc<AtomicU64>,
) {
    let mut kms = kms;
    while !stop.load(Ordering::Relaxed) {
        let step = async {
            let (status, reply) = kms
                .call(
                    "CreateKey",
                    &[("Origin", "EXTERNAL"), ("KeySpec", "Aliyun_AES_256")],
                )
                .await?;
            if status != 200 {
                return Ok((status, reply));
            }
            let key = reply["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
            let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
            let (status, params) = kms
                .call(
                    "GetParametersForImport",
                    &[
                        ("KeyId", &key),
                        ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                        ("WrappingKeySpec", "RSA_2048"),
                    ],
                )
                .await?;
            if status != 200 {
                return Ok((status, params));
            }
            let public =
                WrappingPublicKey::parse(params["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
            let wrapped =
                byok_wrap::wrap(&public, WrappingAlgorithm::RsaesOaepSha256, &material).unwrap();
            let token = params["ImportToken"].as_str().unwrap();
            let (status, reply) = import_on(&kms, &key, (&wrapped.to_base64(), token)).await?;
            if status != 200 {
                return Ok((status, reply));
            }
            let plaintext = key.as_bytes()[..8].to_vec();
            let (status, reply) = kms
                .call(
                    "Encrypt",
                    &[("KeyId", &key), ("Plaintext", &STANDARD.encode(&plaintext))],
                )
                .await?;
            if status == 200 {
                let blob = reply["CiphertextBlob"].as_str().unwrap().to_owned();
                ledger.lock().unwrap().imported.push((key, blob, plaintext));
            }
            Ok::<_, String>((status, reply))
        }
        .await;
        match step {
            Ok((200, _)) => {}
            Ok((503, reply)) => {
                assert_eq!(code(&reply), "ServiceUnavailableTemporary", "{reply}");
                unavailable.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok((status, reply)) => panic!("HTTP {status}: {reply}"),
            // No reply: this client's instance was killed; carry on with another.
            Err(_) => kms = fallback.clone(),
        }
    }
}

#[test]
fn postgres_going_down_and_an_instance_killed_cost_only_503s_and_lose_nothing() {
    let _serial = serial();
    let mut cluster = Cluster::start(3);
    let clients = cluster.clients();
    let runtime = runtime();
    let ledger: Arc<Mutex<Ledger>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let unavailable = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            runtime.spawn(load_client(
                clients[i % 3].clone(),
                clients[0].clone(),
                ledger.clone(),
                stop.clone(),
                unavailable.clone(),
            ))
        })
        .collect();
    let acknowledged = || ledger.lock().unwrap().imported.len();
    // (The deadline only keeps a broken cluster from hanging the test; nothing is timed.)
    let wait_for = |n: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        while acknowledged() < n {
            assert!(std::time::Instant::now() < deadline, "the load stalled");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(10);
    // PostgreSQL goes away for two seconds, with the load running.
    pg::ctl("stop");
    // (Replies already on their way when it stopped are counted before the outage.)
    std::thread::sleep(Duration::from_millis(300));
    let before_outage = acknowledged();
    std::thread::sleep(Duration::from_secs(2));
    let during_outage = acknowledged() - before_outage;
    pg::ctl("start");
    wait_for(before_outage + during_outage + 10);
    // An instance dies (its clients move to instance 0); the others carry on.
    cluster.instances.remove(1).kill9();
    let after_kill = acknowledged();
    wait_for(after_kill + 10);
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        runtime.block_on(task).unwrap();
    }
    assert_eq!(
        during_outage, 0,
        "imports acknowledged while PostgreSQL was down"
    );
    assert!(unavailable.load(Ordering::Relaxed) > 0, "no 503 while down");
    // Everything acknowledged, on whichever instance, is there on the survivors.
    let ledger = ledger.lock().unwrap();
    runtime.block_on(async {
        for kms in [&clients[0], &clients[2]] {
            for (key, blob, plaintext) in &ledger.imported {
                let reply = kms.ok("DescribeKey", &[("KeyId", key)]).await.unwrap();
                assert_eq!(reply["KeyMetadata"]["KeyState"], "Enabled", "{key}");
                let reply = kms
                    .ok("Decrypt", &[("CiphertextBlob", blob)])
                    .await
                    .unwrap();
                assert_eq!(
                    STANDARD
                        .decode(reply["Plaintext"].as_str().unwrap())
                        .unwrap(),
                    *plaintext
                );
            }
        }
    });
    eprintln!(
        "load on 3 instances: {} imports acknowledged and all kept; {} requests got 503 while \
         PostgreSQL was down; one instance killed",
        ledger.imported.len(),
        unavailable.load(Ordering::Relaxed)
    );
}
