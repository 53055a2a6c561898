//! Asymmetric EXTERNAL keys through the core: CreateKey's spec and usage rules, the import of
//! `openssl genpkey` private keys wrapped with byok-wrap's hybrid wrap and with the guide's openssl
//! recipe, and the refusals (each leaving the database as it was). Runs on SQLite, and on
//! PostgreSQL with `BYOK_TEST_STORE=postgres`.

mod common;

use std::path::Path;
use std::process::Command;

use byok_kms::kms::CreateKey;
use byok_kms::kms::key::{KeyUsage, Origin};
use byok_kms::kms::key_spec::KeySpec;
use byok_kms::kms::state::KeyState;
use byok_wrap::{
    ImportOptions, Material, PrivateKeyMaterial, WrappingAlgorithm, WrappingPublicKey,
};
use common::Fixture;

const HYBRID: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;

/// The `openssl genpkey` arguments of a private key of each spec.
fn genpkey_args(spec: &str) -> &'static [&'static str] {
    match spec {
        "RSA_2048" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "RSA_3072" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        "RSA_4096" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        "EC_P256" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "EC_P256K" => &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
        other => panic!("no openssl recipe for {other}"),
    }
}

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A PKCS#8 DER private key made by `openssl genpkey`, converted as the guide does (`openssl
/// pkcs8 -topk8 -nocrypt`: OpenSSL 3.0's `genpkey -outform DER` writes PKCS#1 for RSA).
fn genpkey(spec: &str, dir: &Path) -> Vec<u8> {
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey_args(spec));
    args.extend_from_slice(&["-out", "key.pem"]);
    openssl(&args, dir);
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER",
        ],
        dir,
    )
}

/// The guide's recipe: `openssl rand 32`, `openssl pkeyutl -encrypt` (OAEP, SHA-256) of it with
/// the wrapping public key, `openssl enc -aes-256-ecb` of `plaintext` under it, concatenated.
fn openssl_wrap(public_der: &[u8], plaintext: &[u8], dir: &Path) -> Vec<u8> {
    std::fs::write(dir.join("PublicKey.bin"), public_der).unwrap();
    std::fs::write(dir.join("Key.der"), plaintext).unwrap();
    openssl(&["rand", "-out", "aes.bin", "32"], dir);
    let mut wrapped = openssl(
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "PublicKey.bin",
            "-in",
            "aes.bin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        dir,
    );
    let hex = byok_wrap::sign::hex(&std::fs::read(dir.join("aes.bin")).unwrap());
    wrapped.extend(openssl(
        &[
            "enc",
            "-aes-256-ecb",
            "-K",
            &hex,
            "-nosalt",
            "-in",
            "Key.der",
        ],
        dir,
    ));
    wrapped
}

fn create(f: &Fixture, spec: &str, usage: Option<KeyUsage>) -> byok_kms::kms::Result<String> {
    f.kms
        .create_key(
            &f.account,
            &CreateKey {
                key_spec: KeySpec::from_name(spec).unwrap(),
                key_usage: usage,
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
        .map(|m| m.key_id)
}

/// GetParametersForImport (hybrid), then the import call of what `wrap` makes of the public key.
fn import_with(
    f: &Fixture,
    key_id: &str,
    wrap: impl FnOnce(&[u8]) -> Vec<u8>,
) -> impl FnOnce() -> byok_kms::kms::Result<()> {
    let params = f.params(key_id, HYBRID);
    let wrapped = wrap(&params.public_key_der);
    move || {
        f.kms
            .import_key_material(&f.account, key_id, &wrapped, &params.import_token, None)
    }
}

fn byok_wrap_hybrid(public_der: &[u8], pkcs8: &[u8]) -> Vec<u8> {
    let public = WrappingPublicKey::from_der(public_der).unwrap();
    let private = PrivateKeyMaterial::from_der(pkcs8).unwrap();
    let options = ImportOptions {
        algorithm: HYBRID,
        key_spec: None,
        allow_legacy_pkcs1: false,
    };
    byok_wrap::wrap_for_import(&public, Material::PrivateKey(&private), &options)
        .unwrap()
        .as_bytes()
        .to_vec()
}

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

/// An imported key of `spec` and `usage`, and its private key as PEM in `dir/key.pem`.
fn imported(f: &Fixture, spec: &str, usage: KeyUsage, dir: &Path) -> (String, String) {
    let pkcs8 = genpkey(spec, dir);
    let id = create(f, spec, Some(usage)).unwrap();
    import_with(f, &id, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
    let version = f
        .kms
        .describe_key(&f.account, &id)
        .unwrap()
        .primary_key_version;
    (id, version)
}

#[test]
fn signatures_verify_with_openssl_and_the_public_key_is_openssls() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("message"), b"the message the guide signs").unwrap();
    let digest = openssl(&["dgst", "-sha256", "-binary", "message"], d);
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "RSA_2048",
            "RSA_PSS_SHA_256",
            &[
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:digest",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ],
        ),
        (
            "RSA_3072",
            "RSA_PSS_SHA_256",
            &[
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:digest",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ],
        ),
        (
            "RSA_4096",
            "RSA_PKCS1_SHA_256",
            &["-pkeyopt", "rsa_padding_mode:pkcs1"],
        ),
        (
            "RSA_2048",
            "RSA_PKCS1_SHA_256",
            &["-pkeyopt", "rsa_padding_mode:pkcs1"],
        ),
        ("EC_P256", "ECDSA_SHA_256", &[]),
        ("EC_P256K", "ECDSA_SHA_256", &[]),
    ];
    for (spec, name, opts) in cases {
        let (id, version) = imported(&f, spec, KeyUsage::SignVerify, d);
        let algorithm = signing(name);
        let public = f.kms.get_public_key(&f.account, &id, &version).unwrap();
        assert_eq!(
            (public.key_id.as_str(), public.key_version_id.as_str()),
            (id.as_str(), version.as_str())
        );
        let expected = openssl(&["pkey", "-in", "key.pem", "-pubout", "-outform", "DER"], d);
        assert_eq!(
            public.value, expected,
            "{spec}: GetPublicKey is openssl's public key"
        );
        std::fs::write(d.join("pub.der"), &public.value).unwrap();
        let signed = f
            .kms
            .asymmetric_sign(&f.account, &id, &version, algorithm, &digest)
            .unwrap();
        std::fs::write(d.join("sig"), &signed.value).unwrap();
        std::fs::write(d.join("digest"), &digest).unwrap();
        let mut args = vec![
            "pkeyutl",
            "-verify",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "pub.der",
            "-in",
            "digest",
            "-sigfile",
            "sig",
            "-pkeyopt",
            "digest:sha256",
        ];
        args.extend_from_slice(opts);
        let out = openssl(&args, d);
        assert!(
            String::from_utf8_lossy(&out).contains("Signature Verified Successfully"),
            "{spec} {name}"
        );
        let verified = f
            .kms
            .asymmetric_verify(&f.account, &id, &version, algorithm, &digest, &signed.value)
            .unwrap();
        assert!(verified.value);
        let mut bad = signed.value.clone();
        bad[10] ^= 1;
        let verified = f
            .kms
            .asymmetric_verify(&f.account, &id, &version, algorithm, &digest, &bad)
            .unwrap();
        assert!(!verified.value);
    }
}

#[test]
fn rsa_oaep_round_trips_with_openssl() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (spec, name, md) in [
        ("RSA_2048", "RSAES_OAEP_SHA_256", "sha256"),
        ("RSA_3072", "RSAES_OAEP_SHA_1", "sha1"),
    ] {
        let (id, version) = imported(&f, spec, KeyUsage::EncryptDecrypt, d);
        let algorithm = encryption(name);
        let oaep = [
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]
        .map(str::to_owned);
        let out = f
            .kms
            .asymmetric_encrypt(&f.account, &id, &version, algorithm, b"a data key")
            .unwrap();
        std::fs::write(d.join("ct"), &out.value).unwrap();
        let mut args: Vec<String> = ["pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ct"]
            .map(str::to_owned)
            .to_vec();
        args.extend(oaep.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(openssl(&args, d), b"a data key", "{spec} {name}");
        std::fs::write(d.join("pt"), b"from openssl").unwrap();
        openssl(&["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], d);
        let mut args: Vec<String> = [
            "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "pt",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(oaep.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ct = openssl(&args, d);
        let pt = f
            .kms
            .asymmetric_decrypt(&f.account, &id, &version, algorithm, &ct)
            .unwrap();
        assert_eq!(pt.value.as_slice(), b"from openssl");
        // The longest plaintext the key and algorithm take, and one byte more.
        let max = spec_bytes(spec) - if md == "sha1" { 42 } else { 66 };
        assert!(
            f.kms
                .asymmetric_encrypt(&f.account, &id, &version, algorithm, &vec![1; max])
                .is_ok()
        );
        f.refused("InvalidParameter", || {
            f.kms
                .asymmetric_encrypt(&f.account, &id, &version, algorithm, &vec![1; max + 1])
        });
        f.refused("InvalidCiphertext", || {
            f.kms
                .asymmetric_decrypt(&f.account, &id, &version, algorithm, &ct[1..])
        });
    }
}

#[test]
fn asymmetric_calls_refuse_what_does_not_fit() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (enc, enc_version) = imported(&f, "RSA_2048", KeyUsage::EncryptDecrypt, d);
    let (ec, ec_version) = imported(&f, "EC_P256", KeyUsage::SignVerify, d);
    let digest = [7u8; 32];
    let pss = signing("RSA_PSS_SHA_256");
    // A signature request on an ENCRYPT/DECRYPT key; RSA padding on an EC key.
    f.refused("UnsupportedOperation", || {
        f.kms
            .asymmetric_sign(&f.account, &enc, &enc_version, pss, &digest)
    });
    f.refused("UnsupportedOperation", || {
        f.kms
            .asymmetric_sign(&f.account, &ec, &ec_version, pss, &digest)
    });
    f.refused("UnsupportedOperation", || {
        f.kms.asymmetric_encrypt(
            &f.account,
            &ec,
            &ec_version,
            encryption("RSAES_OAEP_SHA_256"),
            b"x",
        )
    });
    // A digest of the wrong length.
    let ecdsa = signing("ECDSA_SHA_256");
    f.refused("InvalidParameter", || {
        f.kms
            .asymmetric_sign(&f.account, &ec, &ec_version, ecdsa, &digest[..31])
    });
    f.refused("InvalidParameter", || {
        f.kms
            .asymmetric_verify(&f.account, &ec, &ec_version, ecdsa, &[0; 48], b"sig")
    });
    // A version id of another key.
    f.refused("Forbidden.ResourceNotFound", || {
        f.kms
            .asymmetric_sign(&f.account, &ec, &enc_version, ecdsa, &digest)
    });
    f.refused("Forbidden.ResourceNotFound", || {
        f.kms.describe_key_version(&f.account, &ec, &enc_version)
    });
    // Asymmetric calls on a symmetric key.
    let aes = f.external_key();
    let aes_version = f
        .kms
        .describe_key(&f.account, &aes)
        .unwrap()
        .primary_key_version;
    f.refused("UnsupportedOperation", || {
        f.kms.get_public_key(&f.account, &aes, &aes_version)
    });
    // The state table: a Disabled key is not usable, as for Encrypt.
    f.kms.disable_key(&f.account, &ec).unwrap();
    f.refused("Rejected.Disabled", || {
        f.kms
            .asymmetric_sign(&f.account, &ec, &ec_version, ecdsa, &digest)
    });
    // Versions: the one version of each key.
    let page = f
        .kms
        .list_key_versions(
            &f.account,
            &ec,
            byok_kms::kms::Paging {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].key_version_id, ec_version);
    let v = f
        .kms
        .describe_key_version(&f.account, &ec, &ec_version)
        .unwrap();
    assert_eq!(v.key_id, ec);
}

fn signing(name: &str) -> byok_kms::crypto::asymmetric::SigningAlgorithm {
    byok_kms::kms::asymmetric::SIGNING_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .unwrap()
        .0
}

fn encryption(name: &str) -> byok_kms::crypto::asymmetric::EncryptionAlgorithm {
    byok_kms::kms::asymmetric::ENCRYPTION_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .unwrap()
        .0
}

fn spec_bytes(spec: &str) -> usize {
    match spec {
        "RSA_2048" => 256,
        "RSA_3072" => 384,
        _ => 512,
    }
}
