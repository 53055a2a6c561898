//! Asymmetric keys on the AWS door: CreateKey with RSA and ECC specs, an `openssl genpkey` private
//! key imported with RSA_AES_KEY_WRAP_SHA_256, GetPublicKey, Sign (RAW and DIGEST) checked by
//! `openssl dgst -verify`, Verify, and the refusals with the database unchanged.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_wrap::{
    ImportOptions, Material, PrivateKeyMaterial, WrappingAlgorithm, WrappingPublicKey,
};
use common::asymmetric::{genpkey, openssl};
use common::aws::{Door, b64};
use serde_json::{Value, json};

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

/// An EXTERNAL key of `spec` with an `openssl genpkey` private key imported into it.
async fn imported(door: &Door, spec: &str, openssl_spec: &str, dir: &std::path::Path) -> String {
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
    // Alibaba's hybrid algorithm is not AWS's.
    door.refused_call(
        "GetParametersForImport",
        json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        "ValidationException",
    )
    .await;
    let params = door
        .call(
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256", "WrappingKeySpec": "RSA_3072" }),
        )
        .await;
    let public = WrappingPublicKey::from_der(&unb64(&params["PublicKey"])).unwrap();
    let private = PrivateKeyMaterial::from_der(&pkcs8).unwrap();
    let options = ImportOptions {
        algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256,
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
    key_id
}

/// `openssl dgst -sha256 -verify` of `signature` over `message` with the key's public key.
fn openssl_verifies(
    public_der: &[u8],
    message: &[u8],
    signature: &[u8],
    pss: bool,
    dir: &std::path::Path,
) {
    std::fs::write(dir.join("pub.der"), public_der).unwrap();
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(dir.join("sig"), signature).unwrap();
    openssl(
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem",
        ],
        dir,
    );
    let mut args = vec!["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig"];
    if pss {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
        ]);
    }
    args.push("msg");
    let out = String::from_utf8(openssl(&args, dir)).unwrap();
    assert!(out.contains("Verified OK"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_private_keys_sign_as_aws_does() {
    let dir = tempfile::tempdir().unwrap();
    let door = Door::new();
    for (spec, openssl_spec, algorithm, pss) in [
        ("RSA_2048", "RSA_2048", "RSASSA_PSS_SHA_256", true),
        ("RSA_2048", "RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", false),
        ("ECC_NIST_P256", "EC_P256", "ECDSA_SHA_256", false),
        ("ECC_SECG_P256K1", "EC_P256K", "ECDSA_SHA_256", false),
    ] {
        let key_id = imported(&door, spec, openssl_spec, dir.path()).await;
        let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
        assert_eq!(m["KeyState"], "Enabled");
        assert!(
            m["SigningAlgorithms"]
                .as_array()
                .unwrap()
                .contains(&json!(algorithm)),
            "{m}"
        );
        let public = door.call("GetPublicKey", json!({ "KeyId": key_id })).await;
        assert_eq!(
            (public["KeySpec"].as_str(), public["KeyUsage"].as_str()),
            (Some(spec), Some("SIGN_VERIFY"))
        );
        let public_der = unb64(&public["PublicKey"]);

        let message = b"a message to sign";
        let signed = door
            .call(
                "Sign",
                json!({ "KeyId": key_id, "Message": b64(message), "SigningAlgorithm": algorithm }),
            )
            .await;
        assert_eq!(signed["SigningAlgorithm"], algorithm);
        let signature = unb64(&signed["Signature"]);
        openssl_verifies(&public_der, message, &signature, pss, dir.path());
        // DIGEST: the SHA-256 of the message, signed the same way.
        let digest = byok_kms::crypto::sha256(message);
        let by_digest = door
            .call(
                "Sign",
                json!({ "KeyId": key_id, "Message": b64(&digest), "MessageType": "DIGEST", "SigningAlgorithm": algorithm }),
            )
            .await;
        openssl_verifies(
            &public_der,
            message,
            &unb64(&by_digest["Signature"]),
            pss,
            dir.path(),
        );
        let verified = door
            .call(
                "Verify",
                json!({ "KeyId": key_id, "Message": b64(message), "Signature": signed["Signature"], "SigningAlgorithm": algorithm }),
            )
            .await;
        assert_eq!(verified["SignatureValid"], true);
        door.refused_call(
            "Verify",
            json!({ "KeyId": key_id, "Message": b64(b"another message"), "Signature": signed["Signature"], "SigningAlgorithm": algorithm }),
            "KMSInvalidSignatureException",
        )
        .await;
        door.refused_call(
            "Sign",
            json!({ "KeyId": key_id, "Message": b64(b"short"), "MessageType": "DIGEST", "SigningAlgorithm": algorithm }),
            "ValidationException",
        )
        .await;
        door.refused_call(
            "Encrypt",
            json!({ "KeyId": key_id, "Plaintext": b64(b"x") }),
            "InvalidKeyUsageException",
        )
        .await;
    }
    // An algorithm of another key type, a message too long to sign whole, an unknown algorithm.
    let key_id = imported(&door, "ECC_NIST_P256", "EC_P256", dir.path()).await;
    door.refused_call(
        "Sign",
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "RSASSA_PSS_SHA_256" }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "Sign",
        json!({ "KeyId": key_id, "Message": b64(&[0; 4097]), "SigningAlgorithm": "ECDSA_SHA_256" }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "Sign",
        json!({ "KeyId": key_id, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384" }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "Sign",
        json!({ "KeyId": key_id, "Message": b64(b"m") }),
        "ValidationException",
    )
    .await;
    // A symmetric key does not sign; a spec byok-kms does not have is named as such.
    let symmetric = door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"].clone();
    door.refused_call(
        "Sign",
        json!({ "KeyId": symmetric, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256" }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "CreateKey",
        json!({ "KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY" }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "CreateKey",
        json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT" }),
        "ValidationException",
    )
    .await;
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
