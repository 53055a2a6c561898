//! Asymmetric keys on the AWS door: CreateKey with RSA and ECC specs (P-256, P-384, secp256k1),
//! an `openssl genpkey` private key imported with RSA_AES_KEY_WRAP_SHA_256 or _SHA_1,
//! GetPublicKey, Sign with every algorithm AWS has for the spec (RAW and DIGEST) checked by
//! `openssl dgst -verify` and `openssl pkeyutl -verify`, Verify, and the refusals with the
//! database unchanged.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_wrap::{
    ImportOptions, Material, PrivateKeyMaterial, WrappingAlgorithm, WrappingPublicKey,
};
use common::asymmetric::{genpkey, openssl};
use common::aws::{Door, b64};
use serde_json::{Value, json};

/// Every signing algorithm of AWS KMS 2014-11-01 that byok-kms has.
const ALGORITHMS: [&str; 8] = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
];

/// RSA keys sign with all six RSA algorithms, in AWS's order (DescribeKey of an AWS key).
const RSA: &[&str] = &[
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
];

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

/// An EXTERNAL key of `spec` with an `openssl genpkey` private key imported into it, wrapped
/// with `wrapping`.
async fn imported(
    door: &Door,
    spec: &str,
    openssl_spec: &str,
    wrapping: WrappingAlgorithm,
    dir: &std::path::Path,
) -> String {
    let created = door
        .call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "KeySpec": spec, "KeyUsage": "SIGN_VERIFY" }),
        )
        .await;
    let m = &created["KeyMetadata"];
    assert_eq!(
        (m["KeySpec"].as_str(), m["KeyState"].as_str()),
        (Some(spec), Some("PendingImport"))
    );
    let key_id = m["KeyId"].as_str().unwrap().to_owned();
    let pkcs8 = genpkey(openssl_spec, dir);
    import_private_key(door, &key_id, &pkcs8, wrapping, None).await;
    key_id
}

/// Imports `pkcs8` into `key_id`; with `refusal`, expects that refusal instead.
async fn import_private_key(
    door: &Door,
    key_id: &str,
    pkcs8: &[u8],
    wrapping: WrappingAlgorithm,
    refusal: Option<&str>,
) {
    // Alibaba's hybrid algorithm is not AWS's.
    door.refused_call(
        "GetParametersForImport",
        json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        "ValidationException",
    )
    .await;
    let name = match wrapping {
        WrappingAlgorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
        _ => "RSA_AES_KEY_WRAP_SHA_256",
    };
    let params = door
        .call(
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": name, "WrappingKeySpec": "RSA_3072" }),
        )
        .await;
    let public = WrappingPublicKey::from_der(&unb64(&params["PublicKey"])).unwrap();
    let private = PrivateKeyMaterial::from_der(pkcs8).unwrap();
    let options = ImportOptions {
        algorithm: wrapping,
        key_spec: None,
        allow_legacy_pkcs1: false,
    };
    let wrapped =
        byok_wrap::wrap_for_import(&public, Material::PrivateKey(&private), &options).unwrap();
    let input = json!({ "KeyId": key_id, "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(wrapped.as_bytes()), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" });
    match refusal {
        None => drop(door.call("ImportKeyMaterial", input).await),
        Some(name) => drop(door.refused_call("ImportKeyMaterial", input, name).await),
    }
}

/// The members of a Sign request, or of a Verify request with `signature`.
fn signing(operation: &str, mut input: Value, signature: &Value) -> Value {
    if operation == "Verify" {
        input["Signature"] = signature.clone();
    }
    input
}

/// The openssl digest name of an algorithm (`sha384`) and, for PSS, its salt length.
fn md_and_pss(algorithm: &str) -> (String, Option<usize>) {
    let bits = &algorithm[algorithm.len() - 3..];
    let md = format!("sha{bits}");
    let salt = algorithm
        .contains("PSS")
        .then(|| bits.parse::<usize>().unwrap() / 8);
    (md, salt)
}

/// openssl's digest of `message` for `algorithm`: the test hashes independently of the server.
fn openssl_digest(algorithm: &str, message: &[u8], dir: &std::path::Path) -> Vec<u8> {
    std::fs::write(dir.join("msg"), message).unwrap();
    let (md, _) = md_and_pss(algorithm);
    openssl(&["dgst", &format!("-{md}"), "-binary", "msg"], dir)
}

/// `openssl dgst -verify` of `signature` over `message` (as a RAW Sign signs it), and `openssl
/// pkeyutl -verify` of it over the message's digest (as a DIGEST Sign signs it), with the key's
/// public key and the padding, hash and salt length of `algorithm`.
fn openssl_verifies(
    public_der: &[u8],
    message: &[u8],
    signature: &[u8],
    algorithm: &str,
    dir: &std::path::Path,
) {
    std::fs::write(dir.join("pub.der"), public_der).unwrap();
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(dir.join("sig"), signature).unwrap();
    std::fs::write(
        dir.join("dgst.bin"),
        openssl_digest(algorithm, message, dir),
    )
    .unwrap();
    openssl(
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem",
        ],
        dir,
    );
    let (md, salt) = md_and_pss(algorithm);
    let mut pss: Vec<String> = Vec::new();
    if let Some(salt) = salt {
        pss = vec![
            "rsa_padding_mode:pss".into(),
            format!("rsa_pss_saltlen:{salt}"),
        ];
    }
    let mut dgst = vec![
        "dgst".to_owned(),
        format!("-{md}"),
        "-verify".into(),
        "pub.pem".into(),
    ];
    dgst.extend(["-signature".into(), "sig".into()]);
    for opt in &pss {
        dgst.extend(["-sigopt".into(), opt.clone()]);
    }
    dgst.push("msg".into());
    let mut pkeyutl: Vec<String> = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem"]
        .map(String::from)
        .to_vec();
    pkeyutl.extend(["-in", "dgst.bin", "-sigfile", "sig", "-pkeyopt"].map(String::from));
    pkeyutl.push(format!("digest:{md}"));
    for opt in &pss {
        pkeyutl.extend(["-pkeyopt".into(), opt.clone()]);
    }
    for (args, ok) in [
        (dgst, "Verified OK"),
        (pkeyutl, "Signature Verified Successfully"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = String::from_utf8(openssl(&args, dir)).unwrap();
        assert!(out.contains(ok), "{algorithm} {args:?}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_private_keys_sign_with_every_algorithm_aws_has_for_their_spec() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let door = Door::new();
    let sha256 = WrappingAlgorithm::RsaAesKeyWrapSha256;
    let sha1 = WrappingAlgorithm::RsaAesKeyWrapSha1;
    for (spec, openssl_spec, wrapping, algorithms) in [
        ("RSA_2048", "RSA_2048", sha256, RSA),
        ("RSA_3072", "RSA_3072", sha1, RSA),
        ("ECC_NIST_P256", "EC_P256", sha256, &["ECDSA_SHA_256"][..]),
        ("ECC_SECG_P256K1", "EC_P256K", sha256, &["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", "EC_P384", sha256, &["ECDSA_SHA_384"]),
        ("ECC_NIST_P384", "EC_P384", sha1, &["ECDSA_SHA_384"]),
    ] {
        let key_id = imported(&door, spec, openssl_spec, wrapping, d).await;
        let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
        assert_eq!(m["KeyState"], "Enabled");
        assert_eq!(m["SigningAlgorithms"], json!(algorithms), "{spec}");
        let public = door.call("GetPublicKey", json!({ "KeyId": key_id })).await;
        assert_eq!(
            (public["KeySpec"].as_str(), public["KeyUsage"].as_str()),
            (Some(spec), Some("SIGN_VERIFY"))
        );
        assert_eq!(public["SigningAlgorithms"], json!(algorithms), "{spec}");
        let public_der = unb64(&public["PublicKey"]);

        let message = b"a message to sign";
        for &algorithm in algorithms {
            let signed = door
                .call("Sign", json!({ "KeyId": key_id, "Message": b64(message), "SigningAlgorithm": algorithm }))
                .await;
            assert_eq!(signed["SigningAlgorithm"], algorithm);
            openssl_verifies(
                &public_der,
                message,
                &unb64(&signed["Signature"]),
                algorithm,
                d,
            );
            // DIGEST: openssl's digest of the message, signed the same way.
            let digest = openssl_digest(algorithm, message, d);
            let by_digest = door
                .call(
                    "Sign",
                    json!({ "KeyId": key_id, "Message": b64(&digest), "MessageType": "DIGEST",
                    "SigningAlgorithm": algorithm }),
                )
                .await;
            openssl_verifies(
                &public_der,
                message,
                &unb64(&by_digest["Signature"]),
                algorithm,
                d,
            );
            for (message, message_type) in [(&message[..], "RAW"), (&digest[..], "DIGEST")] {
                let verified = door
                    .call("Verify", json!({ "KeyId": key_id, "Message": b64(message), "MessageType": message_type,
                        "Signature": by_digest["Signature"], "SigningAlgorithm": algorithm }))
                    .await;
                assert_eq!(verified["SignatureValid"], true);
            }
            door.refused_call(
                "Verify",
                json!({ "KeyId": key_id, "Message": b64(b"another message"), "Signature": signed["Signature"], "SigningAlgorithm": algorithm }),
                "KMSInvalidSignatureException",
            )
            .await;
            // A digest must have the length of the algorithm's hash (AWS: "Digest is invalid
            // length for algorithm …").
            for len in [digest.len() - 1, digest.len() + 1, 32, 48, 64] {
                if len == digest.len() {
                    continue;
                }
                for operation in ["Sign", "Verify"] {
                    let refused = door
                        .refused_call(
                            operation,
                            signing(
                                operation,
                                json!({ "KeyId": key_id, "Message": b64(&vec![7; len]),
                            "MessageType": "DIGEST", "SigningAlgorithm": algorithm }),
                                &signed["Signature"],
                            ),
                            "ValidationException",
                        )
                        .await;
                    let text = refused["message"].as_str().unwrap();
                    assert!(
                        text.contains(&format!("({} bytes)", digest.len())),
                        "{text}"
                    );
                }
            }
        }
        // Every other algorithm is AWS's InvalidKeyUsageException, naming what the key signs with.
        for algorithm in ALGORITHMS.iter().filter(|a| !algorithms.contains(a)) {
            for operation in ["Sign", "Verify"] {
                let refused = door
                    .refused_call(
                        operation,
                        signing(
                            operation,
                            json!({ "KeyId": key_id, "Message": b64(message), "SigningAlgorithm": algorithm }),
                            &json!(b64(&[1; 64])),
                        ),
                        "InvalidKeyUsageException",
                    )
                    .await;
                let text = refused["message"].as_str().unwrap();
                assert!(
                    text.contains(&format!("{algorithm} is not valid for this key"))
                        && text.contains(spec)
                        && text.contains(algorithms[0]),
                    "{text}"
                );
            }
        }
        door.refused_call(
            "Encrypt",
            json!({ "KeyId": key_id, "Plaintext": b64(b"x") }),
            "InvalidKeyUsageException",
        )
        .await;
        let after = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
        assert_eq!(after, m, "the refusals left the key as it was");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_signing_key_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let door = Door::new();
    let wrapping = WrappingAlgorithm::RsaAesKeyWrapSha256;
    // A message too long to sign whole, an unknown algorithm, none.
    let key_id = imported(&door, "ECC_NIST_P384", "EC_P384", wrapping, d).await;
    for input in [
        json!({ "KeyId": key_id, "Message": b64(&[0; 4097]), "SigningAlgorithm": "ECDSA_SHA_384" }),
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_512" }),
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "SM2DSA" }),
        json!({ "KeyId": key_id, "Message": b64(b"m") }),
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384", "MessageType": "HASH" }),
    ] {
        door.refused_call("Sign", input, "ValidationException")
            .await;
    }
    // A private key of another curve is named, into a P-384 key and out of one.
    let p384 = door
        .call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY" }),
        )
        .await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let p256 = door
        .call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" }),
        )
        .await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mismatch = "IncorrectKeyMaterialException";
    import_private_key(
        &door,
        &p384,
        &genpkey("EC_P256", d),
        wrapping,
        Some(mismatch),
    )
    .await;
    import_private_key(
        &door,
        &p256,
        &genpkey("EC_P384", d),
        wrapping,
        Some(mismatch),
    )
    .await;
    for key in [&p384, &p256] {
        let m = &door.call("DescribeKey", json!({ "KeyId": key })).await["KeyMetadata"];
        assert_eq!(m["KeyState"], "PendingImport");
    }
    // A symmetric key does not sign; an EC key does not encrypt; P-521 is not served.
    let symmetric = door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"].clone();
    door.refused_call(
        "Sign",
        json!({ "KeyId": symmetric, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256" }),
        "InvalidKeyUsageException",
    )
    .await;
    for spec in ["ECC_NIST_P384", "ECC_NIST_P256"] {
        door.refused_call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT" }),
            "ValidationException",
        )
        .await;
    }
    for origin in ["EXTERNAL", "AWS_KMS"] {
        let refused = door
            .refused_call(
                "CreateKey",
                json!({ "Origin": origin, "KeySpec": "ECC_NIST_P521", "KeyUsage": "SIGN_VERIFY" }),
                "ValidationException",
            )
            .await;
        let text = refused["message"].as_str().unwrap();
        assert!(
            text.contains("ECC_NIST_P521") && text.contains("ECC_NIST_P384"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rsa_keys_encrypt_and_decrypt_with_oaep_as_openssl_does() {
    let dir = tempfile::tempdir().unwrap();
    let door = Door::new();
    let created = door
        .call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT" }),
        )
        .await;
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let pkcs8 = genpkey("RSA_2048", dir.path());
    std::fs::write(dir.path().join("private.der"), &pkcs8).unwrap();
    let params = door
        .call(
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_1", "WrappingKeySpec": "RSA_2048" }),
        )
        .await;
    let public = WrappingPublicKey::from_der(&unb64(&params["PublicKey"])).unwrap();
    let private = PrivateKeyMaterial::from_der(&pkcs8).unwrap();
    let options = ImportOptions {
        algorithm: WrappingAlgorithm::RsaAesKeyWrapSha1,
        key_spec: None,
        allow_legacy_pkcs1: false,
    };
    let wrapped =
        byok_wrap::wrap_for_import(&public, Material::PrivateKey(&private), &options).unwrap();
    door.call(
        "ImportKeyMaterial",
        json!({ "KeyId": key_id, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(wrapped.as_bytes()),
                "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
    )
    .await;
    let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
    assert_eq!(
        m["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );
    let oaep = |md: &str| -> Vec<String> {
        [
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    for (algorithm, md) in [
        ("RSAES_OAEP_SHA_256", "sha256"),
        ("RSAES_OAEP_SHA_1", "sha1"),
    ] {
        // KMS encrypts, openssl decrypts with the private key.
        let out = door
            .call("Encrypt", json!({ "KeyId": key_id, "Plaintext": b64(b"to the key owner"), "EncryptionAlgorithm": algorithm }))
            .await;
        assert_eq!(out["EncryptionAlgorithm"], algorithm);
        std::fs::write(dir.path().join("ct"), unb64(&out["CiphertextBlob"])).unwrap();
        let mut args: Vec<String> = [
            "pkeyutl",
            "-decrypt",
            "-inkey",
            "private.der",
            "-keyform",
            "DER",
            "-in",
            "ct",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(oaep(md));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(openssl(&args, dir.path()), b"to the key owner");
        // openssl encrypts with the public key, KMS decrypts.
        let public = door.call("GetPublicKey", json!({ "KeyId": key_id })).await;
        assert_eq!(
            public["EncryptionAlgorithms"],
            json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        );
        std::fs::write(dir.path().join("pub.der"), unb64(&public["PublicKey"])).unwrap();
        std::fs::write(dir.path().join("pt"), b"from openssl").unwrap();
        let mut args: Vec<String> = [
            "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.der", "-keyform", "DER", "-in", "pt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(oaep(md));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ciphertext = openssl(&args, dir.path());
        let out = door
            .call("Decrypt", json!({ "KeyId": key_id, "CiphertextBlob": b64(&ciphertext), "EncryptionAlgorithm": algorithm }))
            .await;
        assert_eq!(unb64(&out["Plaintext"]), b"from openssl");
    }
    door.refused_call(
        "Decrypt",
        json!({ "CiphertextBlob": b64(&[1; 256]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        "ValidationException",
    )
    .await;
    door.refused_call("Decrypt", json!({ "KeyId": key_id, "CiphertextBlob": b64(&[1; 256]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        "InvalidCiphertextException").await;
    door.refused_call("Encrypt", json!({ "KeyId": key_id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256",
        "EncryptionContext": { "a": "b" } }), "ValidationException").await;
    door.refused_call("Encrypt", json!({ "KeyId": key_id, "Plaintext": b64(&[0; 300]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        "ValidationException").await;
    door.refused_call(
        "Encrypt",
        json!({ "KeyId": key_id, "Plaintext": b64(b"x") }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "Sign",
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "RSASSA_PSS_SHA_256" }),
        "InvalidKeyUsageException",
    )
    .await;
}
