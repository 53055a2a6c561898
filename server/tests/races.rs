//! Races: 64 concurrent clients on four keys of a real `byok-kms serve` — imports of the same and
//! of different material at once, DeleteKeyMaterial against ImportKeyMaterial, expiry (the
//! sweeper, every second) against re-import, and ScheduleKeyDeletion against import. No 5xx ever;
//! afterwards the same-material rule and the state table hold.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms_testkit::RemoteKms;
use byok_wrap::{KeyMaterial, KeySpec};
use common::process::KmsProcess;
use tokio::sync::Barrier;

const CLIENTS: usize = 64;
const KEYS: usize = 4;

/// Every reply's status, counted; a 5xx fails the test at once.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    refused: AtomicU64,
}

impl Tally {
    async fn call(&self, kms: &RemoteKms, action: &str, params: &[(&str, &str)]) -> (u16, String) {
        let (status, reply) = kms.call(action, params).await.expect("a reply");
        self.requests.fetch_add(1, Ordering::Relaxed);
        assert!(status < 500, "{action}: a 5xx: {reply}");
        if status != 200 {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        (status, reply["Code"].as_str().unwrap_or("").to_owned())
    }
}

fn copy(m: &KeyMaterial) -> KeyMaterial {
    KeyMaterial::from_bytes(m.expose_secret(), None).unwrap()
}

/// Parameters and material wrapped for them; the import itself is left to the caller.
async fn wrapped_for(kms: &RemoteKms, key: &str, material: &KeyMaterial) -> (String, String) {
    let w = kms.wrap_for_import(key, material).await.unwrap();
    (w.wrapped, w.token)
}

async fn import(
    tally: &Tally,
    kms: &RemoteKms,
    key: &str,
    material: &KeyMaterial,
    expire_in: Option<i64>,
) -> (u16, String) {
    let (wrapped, token) = wrapped_for(kms, key, material).await;
    import_with(tally, kms, key, (&wrapped, &token), expire_in).await
}

/// ImportKeyMaterial with material already wrapped and its token (tokens are reusable for 24
/// hours); `expire_in` seconds from now.
async fn import_with(
    tally: &Tally,
    kms: &RemoteKms,
    key: &str,
    (wrapped, token): (&str, &str),
    expire_in: Option<i64>,
) -> (u16, String) {
    let expire = expire_in.map(|seconds| (now() + seconds).to_string());
    let mut params = vec![
        ("KeyId", key),
        ("EncryptedKeyMaterial", wrapped),
        ("ImportToken", token),
    ];
    if let Some(e) = &expire {
        params.push(("KeyMaterialExpireUnix", e));
    }
    tally.call(kms, "ImportKeyMaterial", &params).await
}

async fn state(kms: &RemoteKms, key: &str) -> String {
    kms.ok("DescribeKey", &[("KeyId", key)]).await.unwrap()["KeyMetadata"]["KeyState"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The state table's promises for a key in `state`, checked with real calls: Encrypt works only
/// when Enabled, and the key accepts its `bound` material again and no other (unless it is
/// PendingDeletion, which refuses imports).
async fn check_rules(tally: &Tally, kms: &RemoteKms, key: &str, bound: &KeyMaterial) {
    let state = state(kms, key).await;
    let (status, code) = tally
        .call(kms, "Encrypt", &[("KeyId", key), ("Plaintext", "aGk=")])
        .await;
    match state.as_str() {
        "Enabled" => assert_eq!(status, 200, "{key} is Enabled but Encrypt got {code}"),
        other => assert_eq!(code, format!("Rejected.{other}")),
    }
    let other_material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let (status, code) = import(tally, kms, key, &other_material, None).await;
    assert_ne!(status, 200, "{key} accepted different material");
    if state == "PendingDeletion" {
        assert_eq!(code, "Rejected.StateModifiedFailed");
        let (status, code) = import(tally, kms, key, bound, None).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "Rejected.StateModifiedFailed")
        );
    } else {
        assert_eq!(code, "InvalidKeyMaterial");
        let (status, code) = import(tally, kms, key, bound, None).await;
        assert_eq!(status, 200, "{key} refused its own material: {code}");
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn sixty_four_clients_racing_on_four_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = KmsProcess::start(
        &dir.path().join("data"),
        &["--wrapping-key-pool", "64", "--sweep-interval", "1"],
        "warn",
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let kms = server.client(CLIENTS);
    let tally = Arc::new(Tally::default());
    runtime.block_on(async {
        let mut keys = Vec::new();
        for _ in 0..KEYS {
            let reply = kms
                .ok("CreateKey", &[("Origin", "EXTERNAL")])
                .await
                .unwrap();
            keys.push(reply["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned());
        }
        let keys = Arc::new(keys);

        // 1. Same and different material at once: each key binds exactly one, and every import
        //    that was acknowledged carried it.
        let barrier = Arc::new(Barrier::new(CLIENTS));
        let mut tasks = Vec::new();
        for i in 0..CLIENTS {
            let (kms, keys, tally, barrier) =
                (kms.clone(), keys.clone(), tally.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                let key = &keys[i % KEYS];
                // Half the clients of a key share one material; the others bring their own.
                let material = if i % 2 == 0 {
                    KeyMaterial::from_bytes(&[(i % KEYS) as u8 + 1; 32], None).unwrap()
                } else {
                    KeyMaterial::generate(KeySpec::AliyunAes256).unwrap()
                };
                let (wrapped, token) = wrapped_for(&kms, key, &material).await;
                barrier.wait().await;
                let (status, code) = tally
                    .call(
                        &kms,
                        "ImportKeyMaterial",
                        &[
                            ("KeyId", key),
                            ("EncryptedKeyMaterial", &wrapped),
                            ("ImportToken", &token),
                        ],
                    )
                    .await;
                assert!(status == 200 || code == "InvalidKeyMaterial", "{code}");
                (i % KEYS, status == 200, material)
            }));
        }
        let mut bound: Vec<Option<KeyMaterial>> = (0..KEYS).map(|_| None).collect();
        for task in tasks {
            let (k, acknowledged, material) = task.await.unwrap();
            if !acknowledged {
                continue;
            }
            match &bound[k] {
                None => bound[k] = Some(material),
                Some(b) => assert_eq!(
                    b.expose_secret(),
                    material.expose_secret(),
                    "two different materials were acknowledged for one key"
                ),
            }
        }
        let bound: Vec<KeyMaterial> = bound
            .into_iter()
            .map(|b| b.expect("some import must win"))
            .collect();
        let bound = Arc::new(bound);
        for k in 0..KEYS {
            check_rules(&tally, &kms, &keys[k], &bound[k]).await;
        }

        // 2. DeleteKeyMaterial against ImportKeyMaterial; 3. expiry against re-import.
        for expiring in [false, true] {
            let mut tasks = Vec::new();
            for i in 0..CLIENTS {
                let (kms, keys, tally, bound) =
                    (kms.clone(), keys.clone(), tally.clone(), bound.clone());
                tasks.push(tokio::spawn(async move {
                    let k = i % KEYS;
                    let (wrapped, token) = wrapped_for(&kms, &keys[k], &bound[k]).await;
                    for round in 0..4 {
                        if !expiring && (i + round) % 2 == 0 {
                            let (status, code) = tally
                                .call(&kms, "DeleteKeyMaterial", &[("KeyId", &keys[k])])
                                .await;
                            assert_eq!(status, 200, "{code}");
                        } else {
                            let expire = expiring.then(|| 3 + (i as i64 % 2));
                            let (status, code) =
                                import_with(&tally, &kms, &keys[k], (&wrapped, &token), expire)
                                    .await;
                            assert_eq!(status, 200, "{code}");
                        }
                        if expiring {
                            tokio::time::sleep(Duration::from_millis(300)).await;
                        }
                    }
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            if expiring {
                // Let the sweeper erase what expires.
                tokio::time::sleep(Duration::from_millis(6000)).await;
                for key in keys.iter() {
                    assert_eq!(
                        state(&kms, key).await,
                        "PendingImport",
                        "expired material was kept"
                    );
                }
            }
            for k in 0..KEYS {
                check_rules(&tally, &kms, &keys[k], &bound[k]).await;
            }
        }

        // 4. ScheduleKeyDeletion against import.
        let mut tasks = Vec::new();
        for i in 0..CLIENTS {
            let (kms, keys, tally, bound) =
                (kms.clone(), keys.clone(), tally.clone(), bound.clone());
            tasks.push(tokio::spawn(async move {
                let k = i % KEYS;
                // A quarter of each key's clients schedule its deletion.
                if (i / KEYS) % 4 == 0 {
                    let (status, code) = tally
                        .call(
                            &kms,
                            "ScheduleKeyDeletion",
                            &[("KeyId", &keys[k]), ("PendingWindowInDays", "7")],
                        )
                        .await;
                    assert!(
                        status == 200 || code == "Rejected.StateModifiedFailed",
                        "{code}"
                    );
                } else {
                    let (status, code) =
                        import(&tally, &kms, &keys[k], &copy(&bound[k]), None).await;
                    assert!(
                        status == 200 || code == "Rejected.StateModifiedFailed",
                        "{code}"
                    );
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        for k in 0..KEYS {
            assert_eq!(state(&kms, &keys[k]).await, "PendingDeletion");
            check_rules(&tally, &kms, &keys[k], &bound[k]).await;
            kms.ok("CancelKeyDeletion", &[("KeyId", &keys[k])])
                .await
                .unwrap();
            check_rules(&tally, &kms, &keys[k], &bound[k]).await;
            let blob = kms
                .ok(
                    "Encrypt",
                    &[
                        ("KeyId", &keys[k]),
                        ("Plaintext", &STANDARD.encode(b"after")),
                    ],
                )
                .await
                .unwrap();
            assert!(blob["CiphertextBlob"].is_string());
        }
    });
    eprintln!(
        "races: {CLIENTS} clients on {KEYS} keys, {} requests, {} refused as the rules say, 0 5xx",
        tally.requests.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed)
    );
}
