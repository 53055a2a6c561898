//! The calls of asymmetric keys through the core, each result checked by openssl: signatures
//! (`openssl pkeyutl -verify`; PSS with a salt as long as the digest, aws-lc's RSA_PSS_SHA256),
//! public keys (`openssl pkey -pubout`), RSA-OAEP both ways; and the refusals (wrong usage,
//! algorithm, digest length, a version id of another key), each leaving the database as it was.
//! Runs on SQLite, and on PostgreSQL with `BYOK_TEST_STORE=postgres`.

mod common;

use byok_kms::kms::key::KeyUsage;
use common::Fixture;
use common::asymmetric::*;

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

/// The clouds' signing algorithms are their policies': AWS's P-384 keys and SHA-384/512 RSA
/// signatures, Alibaba's SHA-256 ones only (and no P-384 key to create).
#[test]
fn each_cloud_signs_with_its_own_algorithms() {
    use byok_kms::crypto::asymmetric::SigningAlgorithm as A;
    use byok_kms::kms::asymmetric::SignedMessage;
    use byok_kms::kms::key::Origin;
    use byok_kms::kms::key_spec::KeySpec;
    use byok_kms::kms::{CreateKey, Policy};

    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    f.refused("InvalidParameter", || create(&f, "ECC_NIST_P384", None));
    let create_aws = |spec: &str| {
        let request = CreateKey {
            key_spec: KeySpec::from_name(spec).unwrap(),
            key_usage: Some(KeyUsage::SignVerify),
            origin: Origin::External,
            ..CreateKey::default()
        };
        let m = f
            .kms
            .create_key_under(&Policy::AWS, &f.account, &request)
            .unwrap();
        (m.key_id, m.primary_key_version)
    };
    let (p384, p384_version) = create_aws("ECC_NIST_P384");
    let pkcs8 = genpkey("EC_P384", d);
    openssl(
        &["pkey", "-in", "key.pem", "-pubout", "-out", "p384.pem"],
        d,
    );
    import_with(&f, &p384, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
    let (rsa, rsa_version) = create_aws("RSA_2048");
    let pkcs8 = genpkey("RSA_2048", d);
    import_with(&f, &rsa, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();

    // A RAW message is hashed with the algorithm's hash: openssl checks it over its own SHA-384.
    std::fs::write(d.join("message"), b"signed by a P-384 key").unwrap();
    let digest = openssl(&["dgst", "-sha384", "-binary", "message"], d);
    let message = SignedMessage::Raw(b"signed by a P-384 key");
    let aws = &Policy::AWS;
    let signed = f
        .kms
        .asymmetric_sign_under(
            aws,
            &f.account,
            &p384,
            &p384_version,
            A::EcdsaSha384,
            message,
        )
        .unwrap();
    std::fs::write(d.join("sig"), &signed.value).unwrap();
    std::fs::write(d.join("digest"), &digest).unwrap();
    let out = openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "p384.pem",
            "-in",
            "digest",
            "-sigfile",
            "sig",
            "-pkeyopt",
            "digest:sha384",
        ],
        d,
    );
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));
    let by_digest = SignedMessage::Digest(&digest);
    let verified = f
        .kms
        .asymmetric_verify_under(
            aws,
            &f.account,
            &p384,
            &p384_version,
            A::EcdsaSha384,
            by_digest,
            &signed.value,
        )
        .unwrap();
    assert!(verified.value);

    // Under AWS: another curve's hash, RSA padding, a SHA-256-long digest.
    for algorithm in [A::EcdsaSha256, A::RsaPssSha384] {
        f.refused("UnsupportedOperation", || {
            f.kms
                .asymmetric_sign_under(aws, &f.account, &p384, &p384_version, algorithm, message)
        });
    }
    f.refused("InvalidParameter", || {
        let short = SignedMessage::Digest(&digest[..32]);
        f.kms
            .asymmetric_sign_under(aws, &f.account, &p384, &p384_version, A::EcdsaSha384, short)
    });
    // Under Alibaba: neither a P-384 signature nor SHA-384/512 RSA ones.
    f.refused("UnsupportedOperation", || {
        f.kms
            .asymmetric_sign(&f.account, &p384, &p384_version, A::EcdsaSha384, &digest)
    });
    for algorithm in [A::RsaPssSha384, A::RsaPkcs1Sha512] {
        let len = if algorithm == A::RsaPssSha384 { 48 } else { 64 };
        f.refused("UnsupportedOperation", || {
            f.kms
                .asymmetric_sign(&f.account, &rsa, &rsa_version, algorithm, &vec![1; len])
        });
        let digest = vec![1; len];
        let signed = f.kms.asymmetric_sign_under(
            aws,
            &f.account,
            &rsa,
            &rsa_version,
            algorithm,
            SignedMessage::Digest(&digest),
        );
        assert_eq!(signed.unwrap().value.len(), 256, "{algorithm}");
    }
}
