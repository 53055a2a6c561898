//! Crash consistency: clients create keys, import, encrypt, delete and re-import material against a
//! real `byok-kms serve`, which is killed with SIGKILL at random moments and restarted on the same
//! data directory. After every restart: every key the server acknowledged exists, every import it
//! acknowledged is there (unless a delete of that key was in flight), every ciphertext it returned
//! decrypts, every key is in a legal state, and no wrapping public key was ever handed out twice.
//!
//! `BYOK_SOAK_KILLS` sets the number of kills (default 20; `make soak` runs 200).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms_testkit::RemoteKms;
use byok_wrap::{KeyMaterial, KeySpec};
use common::process::KmsProcess;

/// What the clients were told, per key.
#[derive(Default)]
struct Ledger {
    keys: HashMap<String, KeyRecord>,
    public_keys: HashSet<String>,
    acknowledged: Counts,
}

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    creates: u64,
    imports: u64,
    encrypts: u64,
    deletes: u64,
}

struct KeyRecord {
    material: KeyMaterial,
    /// The last acknowledged change of the material: `true` imported, `false` deleted (or never
    /// imported).
    has_material: bool,
    /// A change whose reply never came: the key may be either way.
    uncertain: bool,
    /// Ciphertexts returned, with their plaintexts.
    ciphertexts: Vec<(String, Vec<u8>)>,
}

fn random_u64() -> u64 {
    let bytes = byok_kms::crypto::random_bytes(8).unwrap();
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

/// GetParametersForImport, wrap, ImportKeyMaterial. `Ok(true)` acknowledged, `Ok(false)` refused
/// with a reply, `Err` no reply.
async fn import(
    kms: &RemoteKms,
    ledger: &Mutex<Ledger>,
    key: &str,
    material: &KeyMaterial,
) -> Result<bool, String> {
    let w = kms.wrap_for_import(key, material).await?;
    assert!(
        ledger
            .lock()
            .unwrap()
            .public_keys
            .insert(w.public_key.clone()),
        "a wrapping public key was handed out twice"
    );
    let (status, reply) = kms
        .call(
            "ImportKeyMaterial",
            &[
                ("KeyId", key),
                ("EncryptedKeyMaterial", &w.wrapped),
                ("ImportToken", &w.token),
            ],
        )
        .await?;
    match status {
        200 => Ok(true),
        s if s < 500 => Ok(false),
        _ => panic!("a 5xx: {reply}"),
    }
}

/// One client's work until the server goes away.
async fn client(kms: RemoteKms, ledger: Arc<Mutex<Ledger>>) {
    let mut mine: Vec<String> = Vec::new();
    loop {
        let dice = random_u64() % 10;
        let result: Result<(), String> = async {
            if mine.is_empty() || dice == 0 {
                let reply = kms.ok("CreateKey", &[("Origin", "EXTERNAL")]).await?;
                let key = reply["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
                let mut ledger = ledger.lock().unwrap();
                ledger.acknowledged.creates += 1;
                ledger.keys.insert(
                    key.clone(),
                    KeyRecord {
                        material: KeyMaterial::generate(KeySpec::AliyunAes256).unwrap(),
                        has_material: false,
                        uncertain: false,
                        ciphertexts: Vec::new(),
                    },
                );
                mine.push(key);
                return Ok(());
            }
            let key = mine[(random_u64() % mine.len() as u64) as usize].clone();
            let (has_material, material) = {
                let ledger = ledger.lock().unwrap();
                let record = &ledger.keys[&key];
                (
                    record.has_material,
                    KeyMaterial::from_bytes(record.material.expose_secret(), None).unwrap(),
                )
            };
            if !has_material || dice == 1 {
                set_uncertain(&ledger, &key, true);
                let acknowledged = import(&kms, &ledger, &key, &material).await?;
                let mut ledger = ledger.lock().unwrap();
                let record = ledger.keys.get_mut(&key).unwrap();
                record.uncertain = false;
                assert!(
                    acknowledged,
                    "an import of the key's own material was refused"
                );
                record.has_material = true;
                ledger.acknowledged.imports += 1;
            } else if dice == 2 {
                set_uncertain(&ledger, &key, true);
                kms.ok("DeleteKeyMaterial", &[("KeyId", &key)]).await?;
                let mut ledger = ledger.lock().unwrap();
                let record = ledger.keys.get_mut(&key).unwrap();
                record.uncertain = false;
                record.has_material = false;
                ledger.acknowledged.deletes += 1;
            } else {
                let plaintext = random_u64().to_le_bytes().to_vec();
                let reply = kms
                    .ok(
                        "Encrypt",
                        &[("KeyId", &key), ("Plaintext", &STANDARD.encode(&plaintext))],
                    )
                    .await?;
                let blob = reply["CiphertextBlob"].as_str().unwrap().to_owned();
                let mut ledger = ledger.lock().unwrap();
                ledger
                    .keys
                    .get_mut(&key)
                    .unwrap()
                    .ciphertexts
                    .push((blob, plaintext));
                ledger.acknowledged.encrypts += 1;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // A refusal with a reply would be a bug; no reply means the server is gone.
            assert!(!e.contains("HTTP "), "refused: {e}");
            return;
        }
    }
}

fn set_uncertain(ledger: &Mutex<Ledger>, key: &str, uncertain: bool) {
    ledger.lock().unwrap().keys.get_mut(key).unwrap().uncertain = uncertain;
}

/// Checks every key against the ledger, then settles uncertain keys: afterwards each key has its
/// material imported and the ledger says so.
async fn verify(kms: &RemoteKms, ledger: &Mutex<Ledger>) -> usize {
    let keys: Vec<String> = ledger.lock().unwrap().keys.keys().cloned().collect();
    let mut decrypted = 0;
    for key in keys {
        let reply = kms
            .ok("DescribeKey", &[("KeyId", &key)])
            .await
            .unwrap_or_else(|e| panic!("an acknowledged key is gone: {e}"));
        let state = reply["KeyMetadata"]["KeyState"]
            .as_str()
            .unwrap()
            .to_owned();
        let (has_material, uncertain, material, ciphertexts) = {
            let ledger = ledger.lock().unwrap();
            let r = &ledger.keys[&key];
            (
                r.has_material,
                r.uncertain,
                KeyMaterial::from_bytes(r.material.expose_secret(), None).unwrap(),
                r.ciphertexts.clone(),
            )
        };
        assert!(
            state == "Enabled" || state == "PendingImport",
            "{key} is {state}, which no client asked for"
        );
        if !uncertain {
            let expected = if has_material {
                "Enabled"
            } else {
                "PendingImport"
            };
            assert_eq!(state, expected, "{key}: the acknowledged state was lost");
        }
        if state == "PendingImport" {
            assert!(
                import(kms, ledger, &key, &material).await.unwrap(),
                "{key}: its own material was refused after the restart"
            );
        }
        for (blob, plaintext) in &ciphertexts {
            let reply = kms
                .ok("Decrypt", &[("CiphertextBlob", blob)])
                .await
                .unwrap_or_else(|e| panic!("an acknowledged ciphertext no longer decrypts: {e}"));
            assert_eq!(
                STANDARD
                    .decode(reply["Plaintext"].as_str().unwrap())
                    .unwrap(),
                *plaintext
            );
            decrypted += 1;
        }
        let mut ledger = ledger.lock().unwrap();
        let r = ledger.keys.get_mut(&key).unwrap();
        r.has_material = true;
        r.uncertain = false;
    }
    decrypted
}

#[test]
fn every_acknowledged_change_survives_sigkill() {
    let kills: u32 = std::env::var("BYOK_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut checked_ciphertexts = 0;
    for _ in 0..kills {
        let server = KmsProcess::start(&data, &["--wrapping-key-pool", "4"], "warn");
        let kms = server.client(8);
        checked_ciphertexts += runtime.block_on(verify(&kms, &ledger));
        let workers: Vec<_> = (0..4)
            .map(|_| runtime.spawn(client(kms.clone(), ledger.clone())))
            .collect();
        // Kill at a random moment between 50 and 800 ms into the load.
        std::thread::sleep(Duration::from_millis(50 + random_u64() % 750));
        server.kill9();
        for worker in workers {
            runtime.block_on(worker).unwrap();
        }
    }
    let server = KmsProcess::start(&data, &[], "warn");
    checked_ciphertexts += runtime.block_on(verify(&server.client(4), &ledger));
    let ledger = ledger.lock().unwrap();
    eprintln!(
        "crash consistency: {kills} SIGKILLs survived; acknowledged {:?}; {} keys and {checked_ciphertexts} ciphertext checks after restarts, nothing lost",
        ledger.acknowledged,
        ledger.keys.len(),
    );
    assert!(ledger.acknowledged.imports > u64::from(kills));
}
