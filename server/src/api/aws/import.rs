//! The import operations of AWS KMS 2014-11-01: GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial, each one [`Kms`] call under [`Policy::AWS`](crate::kms::Policy::AWS); the rules (which
//! algorithms and wrapping key sizes, when ValidTo is needed) are the core's.

use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};
use serde_json::{Value, json};

use super::error::{Error, Result};
use super::input::Input;
use super::operations::{POLICY, named};
use super::reply::base64_encode;
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
    let imported =
        kms.import_key_material_under(POLICY, account_id, key_ref, &wrapped, token, expiry)?;
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
    let before = kms.delete_imported_key_material(account_id, input.required("KeyId")?)?;
    let mut reply = json!({ "KeyId": kms.aws_key_arn(account_id, &before.key_id) });
    if let (Some(id), Value::Object(map)) = (before.key_material_id, &mut reply) {
        map.insert("KeyMaterialId".into(), id.into());
    }
    Ok(reply)
}
