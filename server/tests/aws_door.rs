//! The AWS door, through the router without a socket: SigV4 (against requests botocore signed,
//! and with a signer of our own written from AWS's documentation), every error of the table as
//! `__type` and status with the database unchanged, and the symmetric import flow.

mod common;

use byok_kms::api::ApiRequest as WireRequest;
use byok_kms::api::aws::auth;
use byok_wrap::{KeyMaterial, KeySpec};
use common::Fixture;
use common::aws::{AKID, AwsSigner, Door, HOST, VECTOR_TIME, b64, fixture};
use serde_json::{Value, json};

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/sigv4-vectors.json")).unwrap()
}

fn wire_request(vector: &Value) -> WireRequest {
    let mut headers: Vec<(String, String)> = vector["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
        .collect();
    headers.push(("host".into(), HOST.into()));
    WireRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers,
        body: vector["body"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn verify(f: &Fixture, request: &WireRequest) -> Result<(), &'static str> {
    auth::authenticate(&f.kms, request)
        .map(drop)
        .map_err(|e| e.type_and_status().0)
}

#[test]
fn every_request_botocore_signed_verifies_and_no_altered_copy_does() {
    let vectors = vectors();
    assert_eq!(vectors["access_key_id"], AKID);
    for (i, vector) in vectors["requests"].as_array().unwrap().iter().enumerate() {
        let f = fixture();
        f.clock.set(VECTOR_TIME);
        let request = wire_request(vector);
        verify(&f, &request).unwrap_or_else(|e| panic!("vector {i}: {e}"));

        let mut body = request.clone();
        body.body.push(b' ');
        let mut target = request.clone();
        for (name, value) in &mut target.headers {
            if name == "x-amz-target" {
                value.push('X');
            }
        }
        let mut host = request.clone();
        host.headers.retain(|(n, _)| n != "host");
        host.headers.push(("host".into(), "127.0.0.1:8081".into()));
        for (what, altered) in [
            ("the body", body),
            ("the target", target),
            ("the host", host),
        ] {
            assert_eq!(
                verify(&f, &altered),
                Err("InvalidSignatureException"),
                "vector {i}, {what}"
            );
        }
        // Six minutes later the same request is too old.
        f.clock.set(VECTOR_TIME + 360);
        assert_eq!(verify(&f, &request), Err("InvalidSignatureException"));
    }
}

#[test]
fn only_aws_keys_sign_for_the_aws_door() {
    let f = fixture();
    f.clock.set(VECTOR_TIME);
    let vector = &vectors()["requests"][0];
    // The Alibaba key of the same account, and a key nobody has.
    for id in ["testid", "AKIAUNKNOWNUNKNOWN00"] {
        let mut request = wire_request(vector);
        for (name, value) in &mut request.headers {
            if name == "authorization" {
                *value = value.replace(AKID, id);
            }
        }
        assert_eq!(
            verify(&f, &request),
            Err("UnrecognizedClientException"),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_errors_as_aws_sends_them() {
    let door = Door::new();
    let now = door.f.kms.now();
    let body = b"{}";
    let good = door.signer.sign("ListKeys", body, now);

    let mut unsigned = good.clone();
    unsigned.headers.retain(|(n, _)| n != "authorization");
    door.refused(unsigned, 403, "MissingAuthenticationTokenException")
        .await;

    let mut tampered = good.clone();
    tampered.body = b"{ }".to_vec();
    door.refused(tampered, 403, "InvalidSignatureException")
        .await;

    let unknown = AwsSigner {
        access_key_id: "AKIAUNKNOWNUNKNOWN00".into(),
        ..AwsSigner::new()
    };
    door.refused(
        unknown.sign("ListKeys", body, now),
        403,
        "UnrecognizedClientException",
    )
    .await;

    let other_region = AwsSigner {
        region: "eu-west-1".into(),
        ..AwsSigner::new()
    };
    door.refused(
        other_region.sign("ListKeys", body, now),
        403,
        "InvalidSignatureException",
    )
    .await;

    door.refused(
        door.signer.sign("ListKeys", body, now - 301),
        403,
        "InvalidSignatureException",
    )
    .await;
    // Within the five minutes, either side, is fine.
    for skew in [-299, 299] {
        let (status, _, reply) = door
            .signer
            .sign("ListKeys", body, now + skew)
            .send(&door.router)
            .await;
        assert_eq!(status, 200, "{reply}");
    }

    let no_host = door.signer.sign_headers(
        "ListKeys",
        body,
        now,
        &["content-type", "x-amz-date", "x-amz-target"],
    );
    door.refused(no_host, 400, "IncompleteSignatureException")
        .await;
    let no_target = door.signer.sign_headers(
        "ListKeys",
        body,
        now,
        &["content-type", "host", "x-amz-date"],
    );
    door.refused(no_target, 400, "IncompleteSignatureException")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_error_table() {
    let door = Door::new();
    let key_id = door.external_key().await;
    let kms_key = door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("NoSuchOperation", json!({}), "UnknownOperationException"),
        (
            "DescribeKey",
            json!({ "KeyId": 7 }),
            "SerializationException",
        ),
        ("DescribeKey", json!({}), "ValidationException"),
        (
            "DescribeKey",
            json!({ "KeyId": "k", "Extra": 1 }),
            "ValidationException",
        ),
        (
            "DescribeKey",
            json!({ "KeyId": "00000000-0000-0000-0000-000000000000" }),
            "NotFoundException",
        ),
        (
            "DescribeKey",
            json!({ "KeyId": "alias/none" }),
            "NotFoundException",
        ),
        (
            "CreateKey",
            json!({ "KeySpec": "RSA_2048" }),
            "ValidationException",
        ),
        (
            "CreateKey",
            json!({ "Origin": "AWS_CLOUDHSM" }),
            "ValidationException",
        ),
        (
            "Encrypt",
            json!({ "KeyId": key_id, "Plaintext": b64(b"x") }),
            "KMSInvalidStateException",
        ),
        (
            "Encrypt",
            json!({ "KeyId": kms_key, "Plaintext": "***" }),
            "SerializationException",
        ),
        (
            "GetParametersForImport",
            json!({ "KeyId": kms_key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
            "UnsupportedOperationException",
        ),
        (
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_PKCS1_V1_5", "WrappingKeySpec": "RSA_2048" }),
            "ValidationException",
        ),
        (
            "GetParametersForImport",
            json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_1024" }),
            "ValidationException",
        ),
        (
            "ImportKeyMaterial",
            json!({ "KeyId": key_id, "ImportToken": b64(b"not a token"), "EncryptedKeyMaterial": b64(&[1; 256]), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
            "InvalidImportTokenException",
        ),
        (
            "ScheduleKeyDeletion",
            json!({ "KeyId": kms_key, "PendingWindowInDays": 31 }),
            "ValidationException",
        ),
        (
            "ScheduleKeyDeletion",
            json!({ "KeyId": kms_key, "PendingWindowInDays": 6 }),
            "ValidationException",
        ),
        (
            "CancelKeyDeletion",
            json!({ "KeyId": kms_key }),
            "KMSInvalidStateException",
        ),
        (
            "EnableKey",
            json!({ "KeyId": key_id }),
            "KMSInvalidStateException",
        ),
        (
            "CreateAlias",
            json!({ "AliasName": "alias/aws/mine", "TargetKeyId": kms_key }),
            "ValidationException",
        ),
        (
            "CreateAlias",
            json!({ "AliasName": "nope", "TargetKeyId": kms_key }),
            "ValidationException",
        ),
        (
            "GenerateDataKey",
            json!({ "KeyId": kms_key }),
            "ValidationException",
        ),
        (
            "Decrypt",
            json!({ "CiphertextBlob": b64(b"garbage") }),
            "InvalidCiphertextException",
        ),
    ];
    for (operation, input, name) in cases {
        door.refused_call(operation, input, name).await;
    }
    let (status, _, body) = door
        .signer
        .sign("DescribeKey", b"{not json", door.f.kms.now())
        .send(&door.router)
        .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );

    // A disabled key's data calls: DisabledException.
    door.call("DisableKey", json!({ "KeyId": kms_key })).await;
    door.refused_call(
        "Encrypt",
        json!({ "KeyId": kms_key, "Plaintext": b64(b"x") }),
        "DisabledException",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expiration_models() {
    let door = Door::new();
    let key_id = door.external_key().await;
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let now = door.f.kms.now();
    for (extra, name) in [
        (json!({}), "ValidationException"),
        (
            json!({ "ExpirationModel": "KEY_MATERIAL_EXPIRES" }),
            "ValidationException",
        ),
        (json!({ "ValidTo": now - 1 }), "ValidationException"),
        (
            json!({ "ValidTo": now + 366 * 86_400 }),
            "ValidationException",
        ),
        (
            json!({ "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": now + 60 }),
            "ValidationException",
        ),
        (
            json!({ "ExpirationModel": "SOMETIMES" }),
            "ValidationException",
        ),
    ] {
        let input = door.import(&key_id, &material, extra.clone()).await;
        door.refused_call("ImportKeyMaterial", input, name).await;
    }
    let valid_to = now + 30 * 86_400;
    let input = door
        .import(&key_id, &material, json!({ "ValidTo": valid_to }))
        .await;
    let imported = door.call("ImportKeyMaterial", input).await;
    assert_eq!(imported["KeyMaterialId"].as_str().unwrap().len(), 64);
    let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
    assert_eq!(m["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(m["ValidTo"], valid_to);
    assert_eq!(m["CurrentKeyMaterialId"], imported["KeyMaterialId"]);
    // Past ValidTo the key has no material.
    door.f.clock.set(valid_to + 1);
    let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
    assert_eq!(m["KeyState"], "PendingImport");
    assert!(m.get("ExpirationModel").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_symmetric_import_flow() {
    let door = Door::new();
    let created = door
        .call(
            "CreateKey",
            json!({ "Origin": "EXTERNAL", "Description": "byok", "KeyUsage": "ENCRYPT_DECRYPT",
                    "KeySpec": "SYMMETRIC_DEFAULT", "Tags": [{ "TagKey": "env", "TagValue": "test" }] }),
        )
        .await;
    let m = &created["KeyMetadata"];
    let key_id = m["KeyId"].as_str().unwrap().to_owned();
    let arn = format!("arn:aws:kms:us-east-1:{}:key/{key_id}", door.f.account);
    assert_eq!(m["Arn"], arn);
    assert_eq!(m["AWSAccountId"], door.f.account);
    assert_eq!(
        (m["KeyState"].as_str(), m["Enabled"].as_bool()),
        (Some("PendingImport"), Some(false))
    );
    assert_eq!(
        (m["Origin"].as_str(), m["KeySpec"].as_str()),
        (Some("EXTERNAL"), Some("SYMMETRIC_DEFAULT"))
    );
    assert_eq!(m["KeyManager"], "CUSTOMER");
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert!(m["CreationDate"].is_number());

    // RSA-3072 wrapping keys are generated on request, and named by ARN.
    let params = door
        .call(
            "GetParametersForImport",
            json!({ "KeyId": arn, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_3072" }),
        )
        .await;
    assert_eq!(params["KeyId"], arn);
    assert_eq!(params["ParametersValidTo"], door.f.kms.now() + 86_400);
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let input = door
        .import(
            &key_id,
            &material,
            json!({ "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
        )
        .await;
    let imported = door.call("ImportKeyMaterial", input).await;
    assert_eq!(imported["KeyId"], arn);
    let material_id = imported["KeyMaterialId"].clone();

    door.call(
        "CreateAlias",
        json!({ "AliasName": "alias/byok", "TargetKeyId": key_id }),
    )
    .await;
    let encrypted = door
        .call(
            "Encrypt",
            json!({ "KeyId": "alias/byok", "Plaintext": b64(b"secret"), "EncryptionContext": { "a": "b" } }),
        )
        .await;
    assert_eq!(encrypted["KeyId"], arn);
    let decrypted = door
        .call(
            "Decrypt",
            json!({ "CiphertextBlob": encrypted["CiphertextBlob"], "EncryptionContext": { "a": "b" } }),
        )
        .await;
    assert_eq!(decrypted["Plaintext"], b64(b"secret"));
    assert_eq!(decrypted["KeyId"], arn);
    // Another key named on Decrypt: IncorrectKeyException.
    let other = door.external_key().await;
    door.refused_call(
        "Decrypt",
        json!({ "KeyId": other, "CiphertextBlob": encrypted["CiphertextBlob"], "EncryptionContext": { "a": "b" } }),
        "IncorrectKeyException",
    )
    .await;
    let data_key = door
        .call(
            "GenerateDataKey",
            json!({ "KeyId": key_id, "NumberOfBytes": 16 }),
        )
        .await;
    assert_eq!(data_key["Plaintext"].as_str().unwrap().len(), 24);

    let aliases = door.call("ListAliases", json!({ "KeyId": key_id })).await;
    assert_eq!(aliases["Aliases"][0]["TargetKeyId"], key_id.as_str());
    let keys = door.call("ListKeys", json!({ "Limit": 1 })).await;
    assert_eq!(keys["Keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        (keys["Truncated"].as_bool(), keys["NextMarker"].as_str()),
        (Some(true), Some("2"))
    );

    // Delete the material: PendingImport; the same material comes back, other material does not.
    let deleted = door
        .call("DeleteImportedKeyMaterial", json!({ "KeyId": key_id }))
        .await;
    assert_eq!(deleted["KeyMaterialId"], material_id);
    let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
    assert_eq!(m["KeyState"], "PendingImport");
    let different = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let input = door
        .import(
            &key_id,
            &different,
            json!({ "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
        )
        .await;
    door.refused_call("ImportKeyMaterial", input, "IncorrectKeyMaterialException")
        .await;
    let input = door
        .import(
            &key_id,
            &material,
            json!({ "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" }),
        )
        .await;
    assert_eq!(
        door.call("ImportKeyMaterial", input).await["KeyMaterialId"],
        material_id
    );
    let again = door
        .call(
            "Decrypt",
            json!({ "KeyId": arn, "CiphertextBlob": encrypted["CiphertextBlob"], "EncryptionContext": { "a": "b" } }),
        )
        .await;
    assert_eq!(again["Plaintext"], b64(b"secret"));

    // Deletion: 30 days by default; cancelled, the key is Disabled, as on AWS.
    let scheduled = door
        .call("ScheduleKeyDeletion", json!({ "KeyId": key_id }))
        .await;
    assert_eq!(scheduled["KeyState"], "PendingDeletion");
    assert_eq!(scheduled["DeletionDate"], door.f.kms.now() + 30 * 86_400);
    assert_eq!(scheduled["PendingWindowInDays"], 30);
    door.call("CancelKeyDeletion", json!({ "KeyId": key_id }))
        .await;
    let m = &door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"];
    assert_eq!(m["KeyState"], "Disabled");
    door.call("EnableKey", json!({ "KeyId": key_id })).await;
    door.call("DeleteAlias", json!({ "AliasName": "alias/byok" }))
        .await;
}
