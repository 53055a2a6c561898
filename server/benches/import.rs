//! The import path of the `Kms` core, beside its physical limits measured in the same run:
//! GetParametersForImport against bare aws-lc-rs RSA-2048 key generation, and ImportKeyMaterial
//! against a bare aws-lc-rs RSA-2048 OAEP decryption. On a file-backed SQLite database with the
//! server's durability settings (WAL, synchronous=FULL).
//!
//! `cargo bench -p byok-kms --bench import` (part of `make bench`).

use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use byok_kms::clock::SystemClock;
use byok_kms::crypto::RootKey;
use byok_kms::kms::key::Origin;
use byok_kms::kms::{CreateKey, Kms};
use byok_kms::store::SqliteStore;
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};

fn import_path(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("kms.sqlite3")).unwrap();
    let root = RootKey::from_bytes(&[9; 32]).unwrap();
    let kms = Kms::new(store, &root, Arc::new(SystemClock), "cn-hangzhou").unwrap();
    let (credentials, _) = kms.default_credentials(Some(("bench", "bench"))).unwrap();
    let account = credentials.account_id.clone();
    let key_id = kms
        .create_key(
            &account,
            &CreateKey {
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
        .unwrap()
        .key_id;

    let mut group = c.benchmark_group("GetParametersForImport");
    group.sample_size(20);
    group.bench_function("byok-kms core", |b| {
        b.iter(|| {
            kms.get_parameters_for_import(
                &account,
                &key_id,
                WrappingAlgorithm::RsaesOaepSha256,
                byok_wrap::WrappingKeySpec::Rsa2048,
            )
            .unwrap()
        })
    });
    group.bench_function("aws-lc-rs RSA-2048 key generation (limit)", |b| {
        b.iter(|| PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap())
    });
    group.finish();

    // Re-importing the same material with the same token is a valid import every time.
    let params = kms
        .get_parameters_for_import(
            &account,
            &key_id,
            WrappingAlgorithm::RsaesOaepSha256,
            byok_wrap::WrappingKeySpec::Rsa2048,
        )
        .unwrap();
    let public = WrappingPublicKey::from_der(&params.public_key_der).unwrap();
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let wrapped = byok_wrap::wrap(&public, WrappingAlgorithm::RsaesOaepSha256, &material)
        .unwrap()
        .into_bytes();
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let raw_public = WrappingPublicKey::from_der(
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
            &private.public_key(),
        )
        .unwrap()
        .as_ref(),
    )
    .unwrap();
    let raw_wrapped = byok_wrap::wrap(&raw_public, WrappingAlgorithm::RsaesOaepSha256, &material)
        .unwrap()
        .into_bytes();
    let oaep = OaepPrivateDecryptingKey::new(private).unwrap();

    let mut group = c.benchmark_group("ImportKeyMaterial");
    group.bench_function("byok-kms core (durable commit)", |b| {
        b.iter(|| {
            kms.import_key_material(&account, &key_id, &wrapped, &params.import_token, None)
                .unwrap()
        })
    });
    group.bench_function("aws-lc-rs RSA-2048 OAEP decryption (limit)", |b| {
        let mut out = [0u8; 256];
        b.iter(|| {
            black_box(
                oaep.decrypt(&OAEP_SHA256_MGF1SHA256, &raw_wrapped, &mut out, None)
                    .unwrap()
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, import_path);
criterion_main!(benches);
