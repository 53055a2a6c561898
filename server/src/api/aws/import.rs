//! The import operations of AWS KMS 2014-11-01: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial, RotateKeyOnDemand and ListKeyRotations, each one [`Kms`] call under [`Policy::AWS`](crate::kms::Policy::AWS); the rules (which
//! algorithms and wrapping key sizes, when ValidTo is needed) are the core's.

use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};
use serde_json::{Value, json};

use super::error::{Error, Result};
use super::input::Input;
use super::operations::{POLICY, named, paging};
use super::reply::{base64_encode, with_marker};
use crate::kms::import::{ImportTarget, ImportType};
use crate::kms::rotation::RotationListing;
use crate::kms::{ExpirationModel, Kms, MaterialExpiry};
use crate::store::Store;

pub(super) fn get_parameters_for_import<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let key_ref = input.required("KeyId")?;
    let algorithm: WrappingAlgorithm =
        input.required("WrappingAlgorithm")?.parse().map_err(|_| {
            Error::validation(
                "WrappingAlgorithm must be RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, \
                 RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1",
            )
        })?;
    let spec: WrappingKeySpec = input
        .required("WrappingKeySpec")?
        .parse()
        .map_err(|_| Error::validation("WrappingKeySpec must be RSA_2048, RSA_3072 or RSA_4096"))?;
    let params =
        kms.get_parameters_for_import_under(POLICY, account_id, key_ref, algorithm, spec)?;
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &params.key_id),
        "ImportToken": params.import_token,
        "PublicKey": base64_encode(&params.public_key_der),
        "ParametersValidTo": params.token_expires_at,
    }))
}

pub(super) fn import_key_material<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let key_ref = input.required("KeyId")?;
    let token = input.required("ImportToken")?;
    let wrapped = input.blob("EncryptedKeyMaterial")?;
    let expiry = MaterialExpiry {
        model: named(
            input,
            "ExpirationModel",
            |m| match m {
                "KEY_MATERIAL_EXPIRES" => Some(ExpirationModel::Expires),
                "KEY_MATERIAL_DOES_NOT_EXPIRE" => Some(ExpirationModel::DoesNotExpire),
                _ => None,
            },
            "must be KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE",
        )?,
        valid_to: input.timestamp("ValidTo")?,
    };
    let target = ImportTarget {
        import_type: named(
            input,
            "ImportType",
            |t| match t {
                "NEW_KEY_MATERIAL" => Some(ImportType::NewKeyMaterial),
                "EXISTING_KEY_MATERIAL" => Some(ImportType::ExistingKeyMaterial),
                _ => None,
            },
            "must be NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL",
        )?,
        key_material_id: input.string("KeyMaterialId")?.map(str::to_owned),
        description: input.string("KeyMaterialDescription")?.map(str::to_owned),
    };
    let imported = kms.import_key_material_under(
        POLICY, account_id, key_ref, &wrapped, token, expiry, &target,
    )?;
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &imported.key_id),
        "KeyMaterialId": imported.key_material_id,
    }))
}

pub(super) fn delete_imported_key_material<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let (before, erased) = kms.delete_imported_key_material(
        account_id,
        input.required("KeyId")?,
        input.string("KeyMaterialId")?,
    )?;
    let mut reply = json!({ "KeyId": kms.aws_key_arn(account_id, &before.key_id) });
    if let (Some(id), Value::Object(map)) = (erased, &mut reply) {
        map.insert("KeyMaterialId".into(), id.into());
    }
    Ok(reply)
}

pub(super) fn rotate_key_on_demand<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let key_id = kms.rotate_key_on_demand(POLICY, account_id, input.required("KeyId")?)?;
    Ok(json!({ "KeyId": kms.aws_key_arn(account_id, &key_id) }))
}

pub(super) fn list_key_rotations<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let listing = named(
        input,
        "IncludeKeyMaterial",
        |v| match v {
            "ROTATIONS_ONLY" => Some(RotationListing::RotationsOnly),
            "ALL_KEY_MATERIAL" => Some(RotationListing::AllKeyMaterial),
            _ => None,
        },
        "must be ROTATIONS_ONLY or ALL_KEY_MATERIAL",
    )?
    .unwrap_or_default();
    let page = kms.list_key_rotations(
        account_id,
        input.required("KeyId")?,
        listing,
        paging(input)?,
    )?;
    let rotations: Vec<Value> = page
        .items
        .iter()
        .map(|e| {
            let mut entry = json!({
                "KeyId": e.key_id,
                "KeyMaterialId": e.key_material_id,
                "KeyMaterialDescription": e.description,
                "ImportState": if e.imported { "IMPORTED" } else { "PENDING_IMPORT" },
                "KeyMaterialState": e.state.name(),
            });
            if let Value::Object(map) = &mut entry {
                if e.imported {
                    let model = match e.expire_at {
                        Some(at) => {
                            map.insert("ValidTo".into(), at.into());
                            "KEY_MATERIAL_EXPIRES"
                        }
                        None => "KEY_MATERIAL_DOES_NOT_EXPIRE",
                    };
                    map.insert("ExpirationModel".into(), model.into());
                }
                if let Some(at) = e.rotated_at {
                    map.insert("RotationDate".into(), at.into());
                    map.insert("RotationType".into(), "ON_DEMAND".into());
                }
            }
            entry
        })
        .collect();
    Ok(with_marker(json!({ "Rotations": rotations }), &page))
}
