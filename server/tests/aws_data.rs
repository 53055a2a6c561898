//! The AWS door's data and tag operations beyond the import flow: ReEncrypt,
//! GenerateDataKeyWithoutPlaintext, TagResource and UntagResource with AWS's limits, each refusal
//! with the database unchanged.

mod common;

use common::aws::{Door, b64};
use serde_json::{Value, json};

async fn generated_key(door: &Door) -> String {
    door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn re_encrypt_moves_a_ciphertext_between_keys_and_contexts() {
    let door = Door::new();
    let (a, b) = (generated_key(&door).await, generated_key(&door).await);
    let blob = door
        .call(
            "Encrypt",
            json!({ "KeyId": a, "Plaintext": b64(b"move me"), "EncryptionContext": { "from": "a" } }),
        )
        .await["CiphertextBlob"]
        .clone();
    let moved = door
        .call(
            "ReEncrypt",
            json!({ "CiphertextBlob": blob, "SourceEncryptionContext": { "from": "a" },
                    "DestinationKeyId": b, "DestinationEncryptionContext": { "to": "b" } }),
        )
        .await;
    let arn = |id: &str| format!("arn:aws:kms:us-east-1:{}:key/{id}", door.f.account);
    assert_eq!(
        (&moved["SourceKeyId"], &moved["KeyId"]),
        (&json!(arn(&a)), &json!(arn(&b)))
    );
    assert_eq!(moved["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let out = door
        .call(
            "Decrypt",
            json!({ "CiphertextBlob": moved["CiphertextBlob"], "EncryptionContext": { "to": "b" } }),
        )
        .await;
    assert_eq!(
        (out["Plaintext"].clone(), out["KeyId"].clone()),
        (json!(b64(b"move me")), json!(arn(&b)))
    );

    // The wrong source context, the wrong source key, a Disabled destination.
    let input = |extra: Value| {
        let mut base = json!({ "CiphertextBlob": blob, "SourceEncryptionContext": { "from": "a" },
                               "DestinationKeyId": b });
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    };
    door.refused_call(
        "ReEncrypt",
        input(json!({ "SourceEncryptionContext": {} })),
        "InvalidCiphertextException",
    )
    .await;
    door.refused_call(
        "ReEncrypt",
        input(json!({ "SourceKeyId": b })),
        "IncorrectKeyException",
    )
    .await;
    door.refused_call(
        "ReEncrypt",
        input(json!({ "DestinationKeyId": "alias/none" })),
        "NotFoundException",
    )
    .await;
    door.refused_call(
        "ReEncrypt",
        input(json!({ "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256" })),
        "ValidationException",
    )
    .await;
    door.call("DisableKey", json!({ "KeyId": b })).await;
    door.refused_call("ReEncrypt", input(json!({})), "DisabledException")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_data_key_without_plaintext_returns_only_the_ciphertext() {
    let door = Door::new();
    let key = generated_key(&door).await;
    let out = door
        .call(
            "GenerateDataKeyWithoutPlaintext",
            json!({ "KeyId": key, "KeySpec": "AES_128", "EncryptionContext": { "k": "v" } }),
        )
        .await;
    assert!(out.get("Plaintext").is_none(), "{out}");
    let data_key = door
        .call(
            "Decrypt",
            json!({ "CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": { "k": "v" } }),
        )
        .await;
    assert_eq!(data_key["Plaintext"].as_str().unwrap().len(), 24); // 16 bytes
    door.refused_call(
        "GenerateDataKeyWithoutPlaintext",
        json!({ "KeyId": key }),
        "ValidationException",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_with_aws_limits() {
    let door = Door::new();
    let key = generated_key(&door).await;
    let tag = |k: String, v: String| json!({ "TagKey": k, "TagValue": v });
    // 50 tags, a 256-character value: AWS's limits, not Alibaba's.
    let fifty: Vec<Value> = (0..50)
        .map(|i| tag(format!("k{i}"), "v".repeat(256)))
        .collect();
    door.call("TagResource", json!({ "KeyId": key, "Tags": fifty }))
        .await;
    let listed = door.call("ListResourceTags", json!({ "KeyId": key })).await;
    assert_eq!(listed["Tags"].as_array().unwrap().len(), 50);
    door.refused_call(
        "TagResource",
        json!({ "KeyId": key, "Tags": [tag("k50".into(), "v".into())] }),
        "TagException",
    )
    .await;
    door.refused_call(
        "TagResource",
        json!({ "KeyId": key, "Tags": [tag("k0".into(), "v".repeat(257))] }),
        "TagException",
    )
    .await;
    door.refused_call(
        "TagResource",
        json!({ "KeyId": key, "Tags": [tag("AWS:owner".into(), "v".into())] }),
        "TagException",
    )
    .await;
    door.refused_call(
        "TagResource",
        json!({ "KeyId": key, "Tags": [{ "TagKey": "k0" }] }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "UntagResource",
        json!({ "KeyId": key }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "UntagResource",
        json!({ "KeyId": key, "TagKeys": [""] }),
        "TagException",
    )
    .await;
    door.call(
        "UntagResource",
        json!({ "KeyId": key, "TagKeys": ["k0", "k1", "absent"] }),
    )
    .await;
    let listed = door.call("ListResourceTags", json!({ "KeyId": key })).await;
    assert_eq!(listed["Tags"].as_array().unwrap().len(), 48);
    // The same rules at creation; an Alibaba-reserved prefix is an ordinary key here.
    door.call(
        "CreateKey",
        json!({ "Tags": [tag("acs:team".into(), "x".repeat(200))] }),
    )
    .await;
    door.refused_call(
        "CreateKey",
        json!({ "Tags": [tag("aws:x".into(), String::new())] }),
        "TagException",
    )
    .await;
}
