//! Asymmetric EXTERNAL keys through the core: CreateKey's spec and usage rules, the import of
//! `openssl genpkey` private keys wrapped with byok-wrap's hybrid wrap and with the guide's openssl
//! recipe, and the refusals (each leaving the database as it was). Runs on SQLite, and on
//! PostgreSQL with `BYOK_TEST_STORE=postgres`.

mod common;

use byok_kms::kms::CreateKey;
use byok_kms::kms::key::{KeyUsage, Origin};
use byok_kms::kms::key_spec::KeySpec;
use byok_kms::kms::state::KeyState;
use byok_wrap::WrappingAlgorithm;
use common::Fixture;
use common::asymmetric::*;

#[test]
fn create_key_takes_each_asymmetric_spec_with_its_usages() {
    let f = Fixture::new();
    for spec in ["RSA_2048", "RSA_3072", "RSA_4096", "EC_P256", "EC_P256K"] {
        let id = create(&f, spec, None).unwrap();
        let m = f.kms.describe_key(&f.account, &id).unwrap();
        assert_eq!(m.key_spec.as_str(), spec);
        // Alibaba's default for a key that can sign.
        assert_eq!(m.key_usage, KeyUsage::SignVerify);
        assert_eq!(m.state, KeyState::PendingImport);
        assert!(!m.primary_key_version.is_empty());
    }
    let id = create(&f, "RSA_2048", Some(KeyUsage::EncryptDecrypt)).unwrap();
    let m = f.kms.describe_key(&f.account, &id).unwrap();
    assert_eq!(m.key_usage, KeyUsage::EncryptDecrypt);
    f.refused("InvalidParameter", || {
        create(&f, "EC_P256", Some(KeyUsage::EncryptDecrypt))
    });
    f.refused("InvalidParameter", || {
        create(&f, "Aliyun_AES_256", Some(KeyUsage::SignVerify))
    });
    // byok-kms does not generate asymmetric keys.
    f.refused("InvalidParameter", || {
        f.kms.create_key(
            &f.account,
            &CreateKey {
                key_spec: KeySpec::from_name("RSA_2048").unwrap(),
                origin: Origin::Kms,
                ..CreateKey::default()
            },
        )
    });
    assert_eq!(KeySpec::from_name("EC_SM2"), None);
}

#[test]
fn wrapping_algorithms_follow_the_key_spec() {
    let f = Fixture::new();
    let rsa = create(&f, "RSA_2048", None).unwrap();
    let aes = f.external_key();
    let params = |key: &str, algorithm| {
        f.kms.get_parameters_for_import(
            &f.account,
            key,
            algorithm,
            byok_wrap::WrappingKeySpec::Rsa2048,
        )
    };
    f.refused("InvalidParameter", || {
        params(&rsa, WrappingAlgorithm::RsaesOaepSha256)
    });
    f.refused("InvalidParameter", || params(&aes, HYBRID));
    assert!(params(&rsa, HYBRID).is_ok());
}

#[test]
fn private_keys_of_every_spec_import_by_either_wrap() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    for spec in ["RSA_2048", "RSA_3072", "RSA_4096", "EC_P256", "EC_P256K"] {
        let pkcs8 = genpkey(spec, dir.path());
        let id = create(&f, spec, None).unwrap();
        import_with(&f, &id, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
        let m = f.kms.describe_key(&f.account, &id).unwrap();
        assert_eq!(m.state, KeyState::Enabled, "{spec}");
        // The guide's openssl recipe, and the same key re-imported.
        let id = create(&f, spec, None).unwrap();
        import_with(&f, &id, |public| openssl_wrap(public, &pkcs8, dir.path()))().unwrap();
        import_with(&f, &id, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
        assert_eq!(
            f.kms.describe_key(&f.account, &id).unwrap().state,
            KeyState::Enabled
        );
    }
}

#[test]
fn the_same_key_in_another_encoding_is_the_same_material() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = genpkey("EC_P256", dir.path());
    // PKCS#8 whose ECPrivateKey leaves out the optional public key: other bytes, the same key.
    openssl(
        &["ec", "-in", "key.pem", "-no_public", "-out", "bare.pem"],
        dir.path(),
    );
    let bare = openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "bare.pem", "-outform", "DER",
        ],
        dir.path(),
    );
    assert_ne!(bare, pkcs8);
    let id = create(&f, "EC_P256", None).unwrap();
    import_with(&f, &id, |public| openssl_wrap(public, &pkcs8, dir.path()))().unwrap();
    import_with(&f, &id, |public| openssl_wrap(public, &bare, dir.path()))().unwrap();
    let other = genpkey("EC_P256", dir.path());
    let call = import_with(&f, &id, |public| openssl_wrap(public, &other, dir.path()));
    f.refused("InvalidKeyMaterial", call);
}

#[test]
fn a_private_key_of_another_type_or_no_key_is_refused_and_changes_nothing() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let rsa = genpkey("RSA_2048", dir.path());
    let ec = create(&f, "EC_P256", None).unwrap();
    let call = import_with(&f, &ec, |public| openssl_wrap(public, &rsa, dir.path()));
    let e = f.refused("InvalidKeyMaterial", call);
    assert!(
        e.to_string()
            .contains("RSA-2048 but the key spec is EC_P256"),
        "{e}"
    );
    let rsa3072 = create(&f, "RSA_3072", None).unwrap();
    let call = import_with(&f, &rsa3072, |public| {
        openssl_wrap(public, &rsa, dir.path())
    });
    let e = f.refused("InvalidKeyMaterial", call);
    assert!(e.to_string().contains("RSA-2048"), "{e}");
    // Not a private key; and bytes that do not unwrap: the one message.
    let call = import_with(&f, &ec, |public| {
        openssl_wrap(public, b"0\x03\x02\x01\x00 not a key", dir.path())
    });
    let not_a_key = f.refused("InvalidKeyMaterial", call);
    let call = import_with(&f, &ec, |public| {
        let mut w = openssl_wrap(public, &rsa, dir.path());
        w[3] ^= 1;
        w
    });
    let garbled = f.refused("InvalidKeyMaterial", call);
    assert_eq!(not_a_key.to_string(), garbled.to_string());
    assert_eq!(
        f.kms.describe_key(&f.account, &ec).unwrap().state,
        KeyState::PendingImport
    );
}

#[test]
fn symmetric_calls_on_an_asymmetric_key_are_refused() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = genpkey("RSA_2048", dir.path());
    let id = create(&f, "RSA_2048", Some(KeyUsage::EncryptDecrypt)).unwrap();
    import_with(&f, &id, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
    f.refused("UnsupportedOperation", || {
        f.kms.encrypt(&f.account, &id, b"data", &Default::default())
    });
}
