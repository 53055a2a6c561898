//! Secrets stay secret: the whole import lifecycle, with failures of every kind, against a real
//! `byok-kms serve` logging at `RUST_LOG=trace`. Afterwards neither its log, nor its stdout, nor
//! any reply, nor any file in its data directory (while running and after it stopped) contains
//! the key material, a wrapping private key, or the access key secret, in any usual encoding.
//! And every way an unwrap can fail gets the same code and message: no padding oracle.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use byok_kms::crypto::{Crypto, RootKey};
use byok_kms::kms::import::{PoolKey, WrappingKey};
use byok_kms_testkit::RemoteKms;
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey};
use common::process::{ACCESS_KEY_SECRET, KmsProcess};
use serde_json::Value;

/// Every encoding of `bytes` a leak would likely use.
fn encodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![
        bytes.to_vec(),
        common::client::hex(bytes).into_bytes(),
        common::client::hex(bytes).to_ascii_uppercase().into_bytes(),
    ];
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        out.push(engine.encode(bytes).into_bytes());
    }
    // Base64 of a longer text that contains these bytes at any alignment: the middle of each of
    // the three encodings, away from the edges that depend on the neighbours.
    for skip in 0..3 {
        let text = STANDARD.encode(&bytes[skip..]);
        if text.len() > 16 {
            out.push(text.as_bytes()[4..text.len() - 4].to_vec());
        }
    }
    // A debug print of a byte array.
    out.push(format!("{:?}", &bytes[..bytes.len().min(12)]).into_bytes());
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Parameters, and `material` wrapped for them with `algorithm`.
async fn wrapped(
    kms: &RemoteKms,
    key: &str,
    material: &KeyMaterial,
    algorithm: WrappingAlgorithm,
) -> (String, String) {
    let params = kms
        .ok(
            "GetParametersForImport",
            &[
                ("KeyId", key),
                ("WrappingAlgorithm", algorithm.as_str()),
                ("WrappingKeySpec", "RSA_2048"),
            ],
        )
        .await
        .unwrap();
    let public =
        WrappingPublicKey::parse(params["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
    let options = byok_wrap::WrapOptions {
        algorithm,
        allow_legacy_pkcs1: true,
        key_spec: None,
    };
    let wrapped = byok_wrap::wrap_with(&public, material, &options).unwrap();
    (
        wrapped.to_base64(),
        params["ImportToken"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn no_secret_reaches_a_log_a_reply_or_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = KmsProcess::start(&data, &["--wrapping-key-pool", "3"], "trace");
    let kms = server.client(2);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let other = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let short = KeyMaterial::generate(KeySpec::AliyunAes128).unwrap();
    let plaintext = b"a secret plaintext of the caller";
    let mut replies: Vec<Value> = Vec::new();
    let unwrap_failures = runtime.block_on(async {
        let mut record = |r: Value| replies.push(r);
        let key = kms
            .ok("CreateKey", &[("Origin", "EXTERNAL")])
            .await
            .unwrap();
        let key = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        let import = |wrapped: String, token: String| {
            let (kms, key) = (kms.clone(), key.clone());
            async move {
                kms.call(
                    "ImportKeyMaterial",
                    &[
                        ("KeyId", &key),
                        ("EncryptedKeyMaterial", &wrapped),
                        ("ImportToken", &token),
                    ],
                )
                .await
                .unwrap()
            }
        };
        let mut failures = Vec::new();
        // Every way an unwrap can fail, before the key has material.
        let (w, t) = wrapped(&kms, &key, &short, WrappingAlgorithm::RsaesOaepSha256).await;
        failures.push(("wrong length", import(w, t).await));
        let (_, t) = wrapped(&kms, &key, &material, WrappingAlgorithm::RsaesOaepSha256).await;
        failures.push((
            "undecryptable",
            import(STANDARD.encode([0x42u8; 256]), t.clone()).await,
        ));
        failures.push((
            "wrong size",
            import(STANDARD.encode([0x42u8; 200]), t).await,
        ));
        let (w, _) = wrapped(&kms, &key, &material, WrappingAlgorithm::RsaesOaepSha1).await;
        let (_, t) = wrapped(&kms, &key, &material, WrappingAlgorithm::RsaesOaepSha256).await;
        failures.push(("another public key", import(w, t).await));
        let (w, _) = wrapped(&kms, &key, &material, WrappingAlgorithm::RsaesPkcs1V15).await;
        let (_, t) = wrapped(&kms, &key, &material, WrappingAlgorithm::RsaesOaepSha256).await;
        failures.push(("another padding", import(w, t).await));
        // The lifecycle, with all three algorithms.
        for algorithm in [
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesPkcs1V15,
        ] {
            let (w, t) = wrapped(&kms, &key, &material, algorithm).await;
            let (status, reply) = import(w, t).await;
            assert_eq!(status, 200, "{reply}");
            record(reply);
        }
        // Different material, once the key has some.
        let (w, t) = wrapped(&kms, &key, &other, WrappingAlgorithm::RsaesOaepSha256).await;
        failures.push(("different material", import(w, t).await));
        let blob = kms
            .ok(
                "Encrypt",
                &[("KeyId", &key), ("Plaintext", &STANDARD.encode(plaintext))],
            )
            .await
            .unwrap();
        record(blob.clone());
        let blob = blob["CiphertextBlob"].as_str().unwrap().to_owned();
        for (action, params) in [
            ("DescribeKey", vec![("KeyId", key.as_str())]),
            ("Decrypt", vec![("CiphertextBlob", blob.as_str())]),
            ("Decrypt", vec![("CiphertextBlob", "AAAA")]),
            ("DeleteKeyMaterial", vec![("KeyId", key.as_str())]),
            ("Decrypt", vec![("CiphertextBlob", blob.as_str())]),
            ("ListKeys", vec![]),
            (
                "ScheduleKeyDeletion",
                vec![("KeyId", key.as_str()), ("PendingWindowInDays", "7")],
            ),
            (
                "Encrypt",
                vec![("KeyId", key.as_str()), ("Plaintext", "aGk=")],
            ),
        ] {
            record(kms.call(action, &params).await.unwrap().1);
        }
        // A wrong secret.
        let wrong = RemoteKms::new(
            &server.endpoint,
            common::process::ACCESS_KEY_ID,
            "not-the-secret",
            1,
        );
        record(wrong.call("ListKeys", &[]).await.unwrap().1);
        failures
    });
    // No padding oracle: one code and one message for every unwrap failure.
    let (_, (status, first)) = &unwrap_failures[0];
    for (what, (s, reply)) in &unwrap_failures {
        assert_eq!((s, &reply["Code"]), (status, &first["Code"]), "{what}");
        assert_eq!(
            reply["Message"], first["Message"],
            "{what}: another message"
        );
        replies.push(reply.clone());
    }
    assert_eq!(first["Code"], "InvalidKeyMaterial");

    let files_while_running = read_dir_files(&data);
    server.stop();
    let files_after = read_dir_files(&data);

    // The wrapping private keys, unsealed with the root key from the data directory.
    let root = std::fs::read_to_string(data.join("root.key")).unwrap();
    let crypto =
        Crypto::new(&RootKey::from_bytes(&STANDARD.decode(root.trim()).unwrap()).unwrap()).unwrap();
    let db = rusqlite::Connection::open(data.join("kms.sqlite3")).unwrap();
    let mut private_keys = Vec::new();
    let mut rows = db
        .prepare("SELECT id, account_id, key_id, sealed_private FROM wrapping_keys")
        .unwrap();
    for row in rows
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap()
    {
        let (id, account, key, sealed) = row.unwrap();
        private_keys.push(
            crypto
                .open(&WrappingKey::identity(&id, &account, &key), &sealed)
                .unwrap(),
        );
    }
    let mut rows = db
        .prepare("SELECT id, sealed_private FROM wrapping_key_pool")
        .unwrap();
    for row in rows
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .unwrap()
    {
        let (id, sealed) = row.unwrap();
        private_keys.push(crypto.open(&PoolKey::identity(&id), &sealed).unwrap());
    }
    assert!(
        private_keys.len() >= 9,
        "{} private keys",
        private_keys.len()
    );

    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in [
        ("the material", material.expose_secret()),
        ("the refused material", other.expose_secret()),
        ("the wrong-length material", short.expose_secret()),
        ("the access key secret", ACCESS_KEY_SECRET.as_bytes()),
    ] {
        for e in encodings(bytes) {
            needles.push((name.to_owned(), e));
        }
    }
    for (i, der) in private_keys.iter().enumerate() {
        for e in encodings(der) {
            needles.push((format!("private key {i}"), e));
        }
        // The private parts (d, p, q, …) follow the public modulus: any 16 bytes of the last
        // 700 of the DER.
        for start in (der.len() - 700..der.len() - 16).step_by(97) {
            for e in encodings(&der[start..start + 16]).into_iter().take(3) {
                needles.push((format!("part of private key {i}"), e));
            }
        }
    }

    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        (
            "the log".into(),
            std::fs::read(dir.path().join(format!("data.log.{}", std::process::id()))).unwrap(),
        ),
        (
            "stdout".into(),
            std::fs::read(
                dir.path()
                    .join(format!("data.stdout.{}", std::process::id())),
            )
            .unwrap(),
        ),
        ("the replies".into(), serde_json::to_vec(&replies).unwrap()),
    ];
    for (name, bytes) in files_while_running {
        haystacks.push((format!("{name} (running)"), bytes));
    }
    for (name, bytes) in files_after {
        haystacks.push((format!("{name} (stopped)"), bytes));
    }
    let log_lines = haystacks[0].1.split(|b| *b == b'\n').count();
    assert!(
        contains(&haystacks[0].1, b"ImportKeyMaterial") && log_lines > 25,
        "the trace log has only {log_lines} lines"
    );
    let mut leaks = Vec::new();
    for (where_, hay) in &haystacks {
        for (what, needle) in &needles {
            if contains(hay, needle) {
                leaks.push(format!("{what} is in {where_}"));
            }
        }
    }
    leaks.dedup();
    // The search itself works: a planted copy (base64 inside JSON, as a log would hold it) is found.
    let planted = format!(
        "{{\"m\":\"{}\"}}",
        STANDARD.encode(material.expose_secret())
    );
    assert!(needles.iter().any(|(_, n)| contains(planted.as_bytes(), n)));
    eprintln!(
        "secrets: {} needles (material, {} private keys, the secret; raw, hex, base64) in {} haystacks ({} trace log lines): {} found",
        needles.len(),
        private_keys.len(),
        haystacks.len(),
        log_lines,
        leaks.len()
    );
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// Every regular file of a directory, by name.
fn read_dir_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}
