//! HMAC keys on the AWS door: generated and imported (material wrapped by `openssl pkeyutl`, as
//! AWS's guide does), GenerateMac checked against `openssl dgst -mac HMAC`, VerifyMac, and the
//! refusals with the database unchanged.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::asymmetric::openssl;
use common::aws::{Door, b64};
use serde_json::{Value, json};

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

/// EncryptedKeyMaterial by AWS's openssl recipe for RSAES_OAEP_SHA_256.
fn openssl_oaep(public_der: &[u8], material: &[u8], dir: &std::path::Path) -> Vec<u8> {
    std::fs::write(dir.join("WrappingPublicKey.bin"), public_der).unwrap();
    std::fs::write(dir.join("PlaintextKeyMaterial.bin"), material).unwrap();
    openssl(
        &[
            "pkeyutl",
            "-encrypt",
            "-in",
            "PlaintextKeyMaterial.bin",
            "-inkey",
            "WrappingPublicKey.bin",
            "-keyform",
            "DER",
            "-pubin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        dir,
    )
}

async fn import(
    door: &Door,
    key_id: &str,
    material: &[u8],
    extra: Value,
    dir: &std::path::Path,
) -> Value {
    let params = door
        .call(
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        )
        .await;
    let mut input = json!({
        "KeyId": key_id, "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(&openssl_oaep(&unb64(&params["PublicKey"]), material, dir)),
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    input
}

#[tokio::test(flavor = "multi_thread")]
async fn hmac_keys_generate_and_verify_macs_as_openssl_computes_them() {
    let dir = tempfile::tempdir().unwrap();
    let door = Door::new();
    // Each spec's material: from the digest's length to the hash's block size.
    for (spec, algorithm, digest, len, lengths) in [
        ("HMAC_224", "HMAC_SHA_224", "sha224", 28, (28, 64)),
        ("HMAC_256", "HMAC_SHA_256", "sha256", 48, (32, 64)),
        ("HMAC_384", "HMAC_SHA_384", "sha384", 128, (48, 128)),
        ("HMAC_512", "HMAC_SHA_512", "sha512", 64, (64, 128)),
    ] {
        let m = door
            .call(
                "CreateKey",
                json!({ "Origin": "EXTERNAL", "KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC" }),
            )
            .await["KeyMetadata"]
            .clone();
        assert_eq!(
            (m["KeySpec"].as_str(), m["KeyUsage"].as_str()),
            (Some(spec), Some("GENERATE_VERIFY_MAC"))
        );
        assert_eq!(m["MacAlgorithms"], json!([algorithm]));
        let key_id = m["KeyId"].as_str().unwrap().to_owned();
        // Too short and too long for the spec: refused, as different material is.
        for bad in [lengths.0 - 1, lengths.1 + 1] {
            let input = import(&door, &key_id, &vec![7; bad], json!({}), dir.path()).await;
            door.refused_call("ImportKeyMaterial", input, "IncorrectKeyMaterialException")
                .await;
        }
        let material: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let input = import(&door, &key_id, &material, json!({}), dir.path()).await;
        door.call("ImportKeyMaterial", input).await;

        let message = b"a message to authenticate";
        let mac = door
            .call(
                "GenerateMac",
                json!({ "KeyId": key_id, "Message": b64(message), "MacAlgorithm": algorithm }),
            )
            .await;
        std::fs::write(dir.path().join("msg"), message).unwrap();
        let hexkey = format!("hexkey:{}", byok_wrap::sign::hex(&material));
        let out = openssl(
            &[
                "dgst",
                &format!("-{digest}"),
                "-mac",
                "HMAC",
                "-macopt",
                &hexkey,
                "-r",
                "msg",
            ],
            dir.path(),
        );
        let expected = String::from_utf8(out)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            byok_wrap::sign::hex(&unb64(&mac["Mac"])),
            expected,
            "{spec}"
        );
        let verified = door
            .call("VerifyMac", json!({ "KeyId": key_id, "Message": b64(message), "MacAlgorithm": algorithm, "Mac": mac["Mac"] }))
            .await;
        assert_eq!(verified["MacValid"], true);
        door.refused_call(
            "VerifyMac",
            json!({ "KeyId": key_id, "Message": b64(b"another"), "MacAlgorithm": algorithm, "Mac": mac["Mac"] }),
            "KMSInvalidMacException",
        )
        .await;
        // An HMAC key keeps its first material, and does not encrypt.
        let input = import(
            &door,
            &key_id,
            &vec![9; len],
            json!({ "ImportType": "NEW_KEY_MATERIAL" }),
            dir.path(),
        )
        .await;
        door.refused_call("ImportKeyMaterial", input, "UnsupportedOperationException")
            .await;
        door.refused_call(
            "Encrypt",
            json!({ "KeyId": key_id, "Plaintext": b64(b"x") }),
            "InvalidKeyUsageException",
        )
        .await;
    }

    // A generated HMAC key; another key's algorithm; a symmetric key; an empty message.
    let key_id = door
        .call(
            "CreateKey",
            json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" }),
        )
        .await["KeyMetadata"]["KeyId"]
        .clone();
    let mac = door
        .call(
            "GenerateMac",
            json!({ "KeyId": key_id, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
        )
        .await;
    assert_eq!(unb64(&mac["Mac"]).len(), 32);
    door.refused_call(
        "GenerateMac",
        json!({ "KeyId": key_id, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_512" }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "GenerateMac",
        json!({ "KeyId": key_id, "Message": "", "MacAlgorithm": "HMAC_SHA_256" }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "GenerateMac",
        json!({ "KeyId": key_id, "Message": b64(b"m") }),
        "ValidationException",
    )
    .await;
    let symmetric = door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"].clone();
    door.refused_call(
        "GenerateMac",
        json!({ "KeyId": symmetric, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
        "InvalidKeyUsageException",
    )
    .await;
    door.refused_call(
        "CreateKey",
        json!({ "KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT" }),
        "ValidationException",
    )
    .await;
    door.call("DisableKey", json!({ "KeyId": key_id })).await;
    door.refused_call(
        "GenerateMac",
        json!({ "KeyId": key_id, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
        "DisabledException",
    )
    .await;
}

#[test]
fn the_alibaba_api_has_no_hmac_keys() {
    let f = common::Fixture::new();
    let refused = f.kms.create_key(
        &f.account,
        &byok_kms::kms::CreateKey {
            key_spec: byok_kms::kms::key_spec::KeySpec::from_name("HMAC_256").unwrap(),
            ..Default::default()
        },
    );
    assert!(
        matches!(refused, Err(byok_kms::kms::Error::InvalidArgument { .. })),
        "{refused:?}"
    );
}
