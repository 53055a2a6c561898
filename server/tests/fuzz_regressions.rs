//! The fuzz targets (`fuzz/`, run with `make fuzz`) over their committed seed corpus and every
//! input that ever crashed one (`fuzz/regressions/<target>/`), on stable Rust in `make test`.

#[path = "../../fuzz/targets.rs"]
mod targets;

use std::path::Path;

fn run(target: &str, f: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| f(&data));
            assert!(outcome.is_ok(), "{target} panics on {}", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for {target}");
    count
}

#[test]
fn every_fuzz_target_survives_its_corpus_and_past_crashes() {
    let counts = [
        ("request", run("request", targets::request)),
        ("import_token", run("import_token", targets::import_token)),
        (
            "ciphertext_blob",
            run("ciphertext_blob", targets::ciphertext_blob),
        ),
        ("public_key", run("public_key", targets::public_key)),
    ];
    eprintln!("fuzz regressions: {counts:?}");
}

/// Writes the seeds that need a live KMS: a real ciphertext blob and import token, and a real
/// token payload sealed for the token target. Run once: `cargo test -p byok-kms --test
/// fuzz_regressions -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    use base64::Engine as _;
    use byok_kms::kms::key::Origin;
    use byok_kms::kms::{CreateKey, Kms};
    use byok_wrap::WrappingAlgorithm;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let kms = Kms::new(
        byok_kms::store::SqliteStore::in_memory().unwrap(),
        &byok_kms::crypto::RootKey::from_bytes(&[9; 32]).unwrap(),
        std::sync::Arc::new(byok_kms::clock::ManualClock::new(1_795_944_998)),
        "cn-hangzhou",
    )
    .unwrap();
    let (account, _) = kms
        .default_credentials(Some(("testid", "testsecret")))
        .unwrap();
    let key = kms
        .create_key(
            &account.account_id,
            &CreateKey {
                origin: Origin::Kms,
                ..CreateKey::default()
            },
        )
        .unwrap();
    let blob = kms
        .encrypt(
            &account.account_id,
            &key.key_id,
            b"seed",
            &Default::default(),
        )
        .unwrap()
        .ciphertext_blob;
    std::fs::write(root.join("ciphertext_blob/blob"), &blob).unwrap();
    std::fs::write(
        root.join("ciphertext_blob/blob.raw"),
        base64::engine::general_purpose::STANDARD
            .decode(&blob)
            .unwrap(),
    )
    .unwrap();
    let external = kms
        .create_key(
            &account.account_id,
            &CreateKey {
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
        .unwrap();
    let params = kms
        .get_parameters_for_import(
            &account.account_id,
            &external.key_id,
            WrappingAlgorithm::RsaesOaepSha256,
            byok_wrap::WrappingKeySpec::Rsa2048,
        )
        .unwrap();
    // Sealed with the same root key as targets::crypto(), so the text seed opens.
    std::fs::write(root.join("import_token/token"), &params.import_token).unwrap();
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(&params.import_token)
        .unwrap();
    let payload = targets::crypto().open_token(&sealed).unwrap();
    let mut seed = vec![1u8];
    seed.extend_from_slice(&payload);
    std::fs::write(root.join("import_token/payload"), seed).unwrap();
}
