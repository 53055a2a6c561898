//! On-demand rotation of imported material through the AWS door: ImportType and KeyMaterialId
//! on ImportKeyMaterial and DeleteImportedKeyMaterial, RotateKeyOnDemand, ListKeyRotations, old
//! ciphertexts after rotation, each material's own expiry, and every refusal with the database
//! unchanged.

mod common;

use byok_kms::kms::import::{ImportTarget, ImportType};
use byok_kms::kms::{Error, MaterialExpiry, Policy};
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm};
use common::aws::{Door, b64};
use serde_json::{Value, json};

const NEVER: &str = "KEY_MATERIAL_DOES_NOT_EXPIRE";

fn material() -> KeyMaterial {
    KeyMaterial::generate(KeySpec::AliyunAes256).unwrap()
}

/// Imports `material` into `key_id` with `extra` members; the reply.
async fn import(door: &Door, key_id: &str, material: &KeyMaterial, extra: Value) -> Value {
    let mut extra = extra;
    if extra.get("ValidTo").is_none() {
        extra["ExpirationModel"] = NEVER.into();
    }
    let input = door.import(key_id, material, extra).await;
    door.call("ImportKeyMaterial", input).await
}

async fn refused_import(
    door: &Door,
    key_id: &str,
    material: &KeyMaterial,
    extra: Value,
    name: &str,
) -> Value {
    let mut extra = extra;
    extra["ExpirationModel"] = NEVER.into();
    let input = door.import(key_id, material, extra).await;
    door.refused_call("ImportKeyMaterial", input, name).await
}

async fn rotations(door: &Door, key_id: &str, include: &str) -> Vec<Value> {
    door.call(
        "ListKeyRotations",
        json!({ "KeyId": key_id, "IncludeKeyMaterial": include }),
    )
    .await["Rotations"]
        .as_array()
        .unwrap()
        .clone()
}

async fn state(door: &Door, key_id: &str) -> Value {
    door.call("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"].clone()
}

async fn encrypt(door: &Door, key_id: &str, text: &[u8]) -> Value {
    door.call(
        "Encrypt",
        json!({ "KeyId": key_id, "Plaintext": b64(text) }),
    )
    .await["CiphertextBlob"]
        .clone()
}

async fn decrypts(door: &Door, blob: &Value, text: &[u8]) {
    let out = door
        .call("Decrypt", json!({ "CiphertextBlob": blob }))
        .await;
    assert_eq!(out["Plaintext"], b64(text));
}

#[tokio::test(flavor = "multi_thread")]
async fn new_material_rotates_in_and_old_ciphertexts_still_decrypt() {
    let door = Door::new();
    let key_id = door.external_key().await;
    let first = material();
    let id1 = import(
        &door,
        &key_id,
        &first,
        json!({ "KeyMaterialDescription": "first one" }),
    )
    .await["KeyMaterialId"]
        .clone();
    let blob1 = encrypt(&door, &key_id, b"under the first").await;
    assert!(rotations(&door, &key_id, "ROTATIONS_ONLY").await.is_empty());

    // New material that is already the key's, an id with NEW, and NEW while one is pending.
    refused_import(
        &door,
        &key_id,
        &first,
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
        "IncorrectKeyMaterialException",
    )
    .await;
    refused_import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL", "KeyMaterialId": id1 }),
        "ValidationException",
    )
    .await;
    door.refused_call(
        "RotateKeyOnDemand",
        json!({ "KeyId": key_id }),
        "KMSInvalidStateException",
    )
    .await;
    let second = material();
    let id2 = import(
        &door,
        &key_id,
        &second,
        json!({ "ImportType": "NEW_KEY_MATERIAL", "KeyMaterialDescription": "second: q3/2026" }),
    )
    .await["KeyMaterialId"]
        .clone();
    assert_ne!(id1, id2);
    let refused = refused_import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
        "KMSInvalidStateException",
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains(id2.as_str().unwrap()),
        "{refused}"
    );
    let all = rotations(&door, &key_id, "ALL_KEY_MATERIAL").await;
    let states: Vec<(&Value, &str)> = all
        .iter()
        .map(|r| (&r["KeyMaterialId"], r["KeyMaterialState"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(&id1, "CURRENT"), (&id2, "PENDING_ROTATION")]);
    assert_eq!(all[1]["KeyMaterialDescription"], "second: q3/2026");
    assert_eq!(all[1]["ImportState"], "IMPORTED");
    // Pending material does not encrypt yet.
    assert_eq!(state(&door, &key_id).await["CurrentKeyMaterialId"], id1);

    door.call("RotateKeyOnDemand", json!({ "KeyId": key_id }))
        .await;
    let m = state(&door, &key_id).await;
    assert_eq!(
        (m["CurrentKeyMaterialId"].clone(), m["KeyState"].as_str()),
        (id2.clone(), Some("Enabled"))
    );
    let blob2 = encrypt(&door, &key_id, b"under the second").await;
    decrypts(&door, &blob1, b"under the first").await;
    decrypts(&door, &blob2, b"under the second").await;
    let only = rotations(&door, &key_id, "ROTATIONS_ONLY").await;
    assert_eq!(only.len(), 1);
    assert_eq!(
        (&only[0]["KeyMaterialId"], &only[0]["RotationType"]),
        (&id2, &json!("ON_DEMAND"))
    );
    assert_eq!(only[0]["RotationDate"], door.f.kms.now());
    let all = rotations(&door, &key_id, "ALL_KEY_MATERIAL").await;
    let states: Vec<&str> = all
        .iter()
        .map(|r| r["KeyMaterialState"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["NON_CURRENT", "CURRENT"]);
    assert_eq!(all[0]["KeyMaterialDescription"], "first one");
    door.refused_call(
        "RotateKeyOnDemand",
        json!({ "KeyId": key_id }),
        "KMSInvalidStateException",
    )
    .await;

    // Deleting the non-current material stops the key until it is imported again, by its id.
    let deleted = door
        .call(
            "DeleteImportedKeyMaterial",
            json!({ "KeyId": key_id, "KeyMaterialId": id1 }),
        )
        .await;
    assert_eq!(deleted["KeyMaterialId"], id1);
    assert_eq!(state(&door, &key_id).await["KeyState"], "PendingImport");
    let all = rotations(&door, &key_id, "ALL_KEY_MATERIAL").await;
    assert_eq!(
        (
            all[0]["ImportState"].as_str(),
            all[1]["ImportState"].as_str()
        ),
        (Some("PENDING_IMPORT"), Some("IMPORTED"))
    );
    door.refused_call(
        "Decrypt",
        json!({ "CiphertextBlob": blob2 }),
        "KMSInvalidStateException",
    )
    .await;
    refused_import(
        &door,
        &key_id,
        &second,
        json!({ "ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": id1 }),
        "IncorrectKeyMaterialException",
    )
    .await;
    refused_import(
        &door,
        &key_id,
        &first,
        json!({ "ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": "ab".repeat(32) }),
        "NotFoundException",
    )
    .await;
    refused_import(
        &door,
        &key_id,
        &first,
        json!({ "KeyMaterialId": "not-an-id" }),
        "ValidationException",
    )
    .await;
    refused_import(
        &door,
        &key_id,
        &first,
        json!({ "KeyMaterialDescription": "no <angle> brackets" }),
        "ValidationException",
    )
    .await;
    // Without an id, EXISTING means the current material, which is not this one.
    refused_import(
        &door,
        &key_id,
        &first,
        json!({}),
        "IncorrectKeyMaterialException",
    )
    .await;
    let back = import(
        &door,
        &key_id,
        &first,
        json!({ "ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": id1 }),
    )
    .await;
    assert_eq!(back["KeyMaterialId"], id1);
    assert_eq!(state(&door, &key_id).await["KeyState"], "Enabled");
    decrypts(&door, &blob1, b"under the first").await;

    // Material pending rotation is not yet the key's: deleting it leaves the key as it is.
    let id3 = import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
    )
    .await["KeyMaterialId"]
        .clone();
    door.call(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key_id, "KeyMaterialId": id3 }),
    )
    .await;
    assert_eq!(state(&door, &key_id).await["KeyState"], "Enabled");
    assert_eq!(rotations(&door, &key_id, "ALL_KEY_MATERIAL").await.len(), 2);
    door.refused_call(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key_id, "KeyMaterialId": id3 }),
        "NotFoundException",
    )
    .await;

    // Without an id, DeleteImportedKeyMaterial deletes the current material; the id stays named.
    let deleted = door
        .call("DeleteImportedKeyMaterial", json!({ "KeyId": key_id }))
        .await;
    assert_eq!(deleted["KeyMaterialId"], id2);
    let m = state(&door, &key_id).await;
    assert_eq!(
        (m["KeyState"].as_str(), &m["CurrentKeyMaterialId"]),
        (Some("PendingImport"), &id2)
    );
    import(&door, &key_id, &second, json!({})).await;
    decrypts(&door, &blob2, b"under the second").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_material_expires_on_its_own() {
    let door = Door::new();
    let key_id = door.external_key().await;
    let now = door.f.kms.now();
    import(
        &door,
        &key_id,
        &material(),
        json!({ "ValidTo": now + 1000 }),
    )
    .await;
    import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
    )
    .await;
    door.call("RotateKeyOnDemand", json!({ "KeyId": key_id }))
        .await;
    let m = state(&door, &key_id).await;
    assert_eq!(
        (m["KeyState"].as_str(), m["ExpirationModel"].as_str()),
        (Some("Enabled"), Some(NEVER))
    );
    // The non-current material expires: the sweep finds it, and the key waits for it.
    door.f.clock.set(now + 1001);
    assert_eq!(door.f.kms.sweep().unwrap().materials_erased, 1);
    assert_eq!(door.f.kms.sweep().unwrap().materials_erased, 0);
    assert_eq!(state(&door, &key_id).await["KeyState"], "PendingImport");
    let all = rotations(&door, &key_id, "ALL_KEY_MATERIAL").await;
    assert_eq!(all[0]["ImportState"], "PENDING_IMPORT");
    assert!(all[0].get("ValidTo").is_none());

    // Material pending rotation that expires is dropped, and the key keeps its state.
    let key_id = door.external_key().await;
    let now = door.f.kms.now();
    import(&door, &key_id, &material(), json!({})).await;
    import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL", "ValidTo": now + 10 }),
    )
    .await;
    door.f.clock.set(now + 11);
    assert_eq!(state(&door, &key_id).await["KeyState"], "Enabled");
    assert_eq!(rotations(&door, &key_id, "ALL_KEY_MATERIAL").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_is_for_enabled_symmetric_imported_keys_at_most_ten_times() {
    let door = Door::new();
    let key_id = door.external_key().await;
    import(&door, &key_id, &material(), json!({})).await;
    for _ in 0..10 {
        import(
            &door,
            &key_id,
            &material(),
            json!({ "ImportType": "NEW_KEY_MATERIAL" }),
        )
        .await;
        door.call("RotateKeyOnDemand", json!({ "KeyId": key_id }))
            .await;
    }
    assert_eq!(rotations(&door, &key_id, "ROTATIONS_ONLY").await.len(), 10);
    let page = door
        .call(
            "ListKeyRotations",
            json!({ "KeyId": key_id, "Limit": 4, "Marker": "3" }),
        )
        .await;
    assert_eq!(
        (
            page["Rotations"].as_array().unwrap().len(),
            &page["Truncated"]
        ),
        (2, &json!(false))
    );
    import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
    )
    .await;
    door.refused_call(
        "RotateKeyOnDemand",
        json!({ "KeyId": key_id }),
        "LimitExceededException",
    )
    .await;

    // A Disabled key is not rotated; a key the KMS made has no imported material to rotate.
    let key_id = door.external_key().await;
    import(&door, &key_id, &material(), json!({})).await;
    import(
        &door,
        &key_id,
        &material(),
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
    )
    .await;
    door.call("DisableKey", json!({ "KeyId": key_id })).await;
    door.refused_call(
        "RotateKeyOnDemand",
        json!({ "KeyId": key_id }),
        "KMSInvalidStateException",
    )
    .await;
    let generated = door.call("CreateKey", json!({})).await["KeyMetadata"]["KeyId"].clone();
    door.refused_call(
        "RotateKeyOnDemand",
        json!({ "KeyId": generated }),
        "UnsupportedOperationException",
    )
    .await;
    // EXISTING for a key that never had material.
    let fresh = door.external_key().await;
    refused_import(
        &door,
        &fresh,
        &material(),
        json!({ "ImportType": "EXISTING_KEY_MATERIAL" }),
        "ValidationException",
    )
    .await;
}

#[test]
fn the_alibaba_policy_binds_one_material_for_good() {
    let f = common::Fixture::new();
    let key_id = f.external_key();
    f.import(&key_id, &material()).unwrap();
    let params = f.params(&key_id, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = common::wrap(&params, &material(), WrappingAlgorithm::RsaesOaepSha256);
    let target = ImportTarget {
        import_type: Some(ImportType::NewKeyMaterial),
        ..ImportTarget::default()
    };
    let before = f.dump();
    let refused = f.kms.import_key_material_under(
        &Policy::ALIBABA,
        &f.account,
        &key_id,
        &wrapped,
        &params.import_token,
        MaterialExpiry::default(),
        &target,
    );
    assert!(
        matches!(refused, Err(Error::MaterialFixed(_))),
        "{refused:?}"
    );
    assert_eq!(f.dump(), before);
}
