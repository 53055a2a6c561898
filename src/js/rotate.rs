//! The rules of `rotateImportedKey(client, options)`: the guide's rotation of imported keys — a
//! new EXTERNAL key of the same spec and usage, the same import into it, then the alias moves —
//! as a plan that the JavaScript orchestration (`npm/index.js`) only follows.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::invalid_argument;
use super::options::from_options;
use super::signer::reply;

/// What `DescribeKey` said about the key the alias points at (the fields the plan reads; the rest
/// of the reply is ignored).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OldKey {
    key_id: String,
    key_spec: String,
    key_usage: Option<String>,
    origin: String,
    protection_level: Option<String>,
}

/// The `createKey` options of the new key.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewKey {
    key_spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_usage: Option<String>,
    origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    protection_level: Option<String>,
    description: String,
}

/// Checks that `alias` names an alias: rotation moves an alias, and a key id has nothing to move.
#[wasm_bindgen(js_name = rawRotateAlias)]
pub fn raw_rotate_alias(alias: JsValue) -> Result<String, JsValue> {
    match alias.as_string() {
        Some(name) if name.len() > "alias/".len() && name.starts_with("alias/") => Ok(name),
        _ => Err(invalid_argument(
            "rotateImportedKey: alias must be an alias name such as alias/payments: rotation \
             moves the alias to a new key, so a key id or ARN has nothing to move",
        )),
    }
}

/// The new key for a rotation of `alias`, which points at `old` (DescribeKey's metadata): an
/// EXTERNAL key of the same spec, usage and protection level. Refused for a key whose material
/// the KMS made: the KMS rotates those itself, and new material could not be imported into it.
#[wasm_bindgen(js_name = rawRotatePlan)]
pub fn raw_rotate_plan(
    alias: &str,
    old: JsValue,
    description: JsValue,
) -> Result<JsValue, JsValue> {
    let old: OldKey = from_options(old, "rotateImportedKey (the key's metadata)")?;
    if old.origin != "EXTERNAL" {
        return Err(invalid_argument(&format!(
            "rotateImportedKey: {alias} points at {}, whose Origin is {}: only keys with \
             imported (EXTERNAL) material are rotated this way; the KMS rotates the keys it made",
            old.key_id, old.origin
        )));
    }
    let description = if description.is_undefined() || description.is_null() {
        format!("{alias}: rotated from {}", old.key_id)
    } else {
        description
            .as_string()
            .ok_or_else(|| invalid_argument("rotateImportedKey: description must be a string"))?
    };
    reply(&NewKey {
        key_spec: old.key_spec,
        key_usage: old.key_usage,
        origin: "EXTERNAL",
        protection_level: old.protection_level,
        description,
    })
}

/// What `DescribeKey` said about an AWS KMS key (the fields the in-place plan reads).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AwsKey {
    key_id: String,
    origin: String,
    key_spec: String,
    key_usage: String,
    key_state: String,
    current_key_material_id: Option<String>,
}

/// The plan of an in-place rotation (AWS KMS).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InPlace {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_key_material_id: Option<String>,
}

/// Checks the options of an in-place rotation (AWS KMS): the rotation imports
/// `NEW_KEY_MATERIAL` itself and keeps the key, so the caller may not choose the import type, the
/// material id or an alias to move; and AWS rotates symmetric material only, not a private key.
#[wasm_bindgen(js_name = rawRotateInPlaceOptions)]
pub fn raw_rotate_in_place_options(options: &JsValue) -> Result<(), JsValue> {
    for name in ["importType", "keyMaterialId", "alias", "privateKey"] {
        let given = js_sys::Reflect::get(options, &name.into()).is_ok_and(|v| !v.is_undefined());
        if given {
            return Err(invalid_argument(&format!(
                "rotateImportedKey: with an AwsKmsClient the key is rotated in place (keyId: its \
                 id, ARN or alias), importing NEW_KEY_MATERIAL that RotateKeyOnDemand makes \
                 current (symmetric material only); {name} is not an option here"
            )));
        }
    }
    Ok(())
}

/// The in-place rotation of the AWS KMS key that `key` (DescribeKey's metadata) describes: new
/// material imported as `NEW_KEY_MATERIAL`, then `RotateKeyOnDemand` makes it current and the
/// key id stays. Refused, before anything is imported, for a key whose material AWS KMS made, for
/// any but a symmetric encryption key (AWS rotates only those on demand), and for a key without
/// material to rotate from.
#[wasm_bindgen(js_name = rawRotateInPlacePlan)]
pub fn raw_rotate_in_place_plan(key: JsValue) -> Result<JsValue, JsValue> {
    let key: AwsKey = from_options(key, "rotateImportedKey (the key's metadata)")?;
    if key.origin != "EXTERNAL" {
        return Err(invalid_argument(&format!(
            "rotateImportedKey: {}'s Origin is {}: only keys with imported (EXTERNAL) material \
             are rotated with new material; AWS KMS rotates the keys it made itself",
            key.key_id, key.origin
        )));
    }
    if key.key_spec != "SYMMETRIC_DEFAULT" || key.key_usage != "ENCRYPT_DECRYPT" {
        return Err(invalid_argument(&format!(
            "rotateImportedKey: {} is a {} key for {}: AWS KMS rotates imported material on \
             demand only for symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
            key.key_id, key.key_spec, key.key_usage
        )));
    }
    if key.key_state == "PendingImport" || key.current_key_material_id.is_none() {
        return Err(invalid_argument(&format!(
            "rotateImportedKey: {} has no key material to rotate from ({}): import it first \
             with importKeyMaterial (again with EXISTING_KEY_MATERIAL and its keyMaterialId if \
             it was deleted or expired)",
            key.key_id, key.key_state
        )));
    }
    reply(&InPlace {
        key_id: key.key_id,
        previous_key_material_id: key.current_key_material_id,
    })
}
