//! The data operations of AWS KMS 2014-11-01: Encrypt, Decrypt, ReEncrypt and
//! GenerateDataKey(WithoutPlaintext), each one [`Kms`] call; AES-GCM under the key's material,
//! the blob format and the states that allow each are the core's.

use serde_json::{Value, json};

use super::error::Result;
use super::input::Input;
use super::operations::{POLICY, named};
use super::reply::{SYMMETRIC_DEFAULT, base64_encode};
use crate::kms::{DataKey, DataKeySize, DataKeySpec, Kms};
use crate::store::Store;

/// `EncryptionAlgorithm` (or ReEncrypt's two): symmetric keys have only `SYMMETRIC_DEFAULT`.
fn check_algorithm(input: &Input, member: &'static str) -> Result<()> {
    named(
        input,
        member,
        |a| (a == SYMMETRIC_DEFAULT).then_some(()),
        "symmetric keys encrypt with SYMMETRIC_DEFAULT",
    )
    .map(drop)
}

pub(super) fn encrypt<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    check_algorithm(input, "EncryptionAlgorithm")?;
    let key_ref = input.required("KeyId")?;
    let plaintext = input.blob("Plaintext")?;
    let out = kms.encrypt(
        account_id,
        key_ref,
        &plaintext,
        &input.encryption_context()?,
    )?;
    Ok(json!({
        "CiphertextBlob": out.ciphertext_blob,
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
    }))
}

pub(super) fn decrypt<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    check_algorithm(input, "EncryptionAlgorithm")?;
    let out = kms.decrypt_with_key(
        account_id,
        input.string("KeyId")?.filter(|k| !k.is_empty()),
        input.required("CiphertextBlob")?,
        &input.encryption_context()?,
    )?;
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "Plaintext": base64_encode(&out.plaintext),
        "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
    }))
}

pub(super) fn re_encrypt<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    check_algorithm(input, "SourceEncryptionAlgorithm")?;
    check_algorithm(input, "DestinationEncryptionAlgorithm")?;
    let out = kms.re_encrypt(
        account_id,
        input.string("SourceKeyId")?.filter(|k| !k.is_empty()),
        input.required("CiphertextBlob")?,
        &input.encryption_context_in("SourceEncryptionContext")?,
        input.required("DestinationKeyId")?,
        &input.encryption_context_in("DestinationEncryptionContext")?,
    )?;
    Ok(json!({
        "CiphertextBlob": out.encrypted.ciphertext_blob,
        "SourceKeyId": kms.aws_key_arn(account_id, &out.source_key_id),
        "KeyId": kms.aws_key_arn(account_id, &out.encrypted.key_id),
        "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT,
    }))
}

/// The data key of GenerateDataKey and GenerateDataKeyWithoutPlaintext.
fn data_key<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<DataKey> {
    let key_ref = input.required("KeyId")?;
    let size = DataKeySize {
        key_spec: named(
            input,
            "KeySpec",
            |s| match s {
                "AES_256" => Some(DataKeySpec::Aes256),
                "AES_128" => Some(DataKeySpec::Aes128),
                _ => None,
            },
            "must be AES_256 or AES_128",
        )?,
        number_of_bytes: input.integer("NumberOfBytes")?,
    };
    Ok(kms.generate_data_key_under(
        POLICY,
        account_id,
        key_ref,
        size,
        &input.encryption_context()?,
    )?)
}

pub(super) fn generate_data_key<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let out = data_key(kms, account_id, input)?;
    Ok(json!({
        "CiphertextBlob": out.encrypted.ciphertext_blob,
        "Plaintext": base64_encode(&out.plaintext),
        "KeyId": kms.aws_key_arn(account_id, &out.encrypted.key_id),
    }))
}

/// GenerateDataKey whose reply leaves the plaintext out (it is wiped when `out` drops).
pub(super) fn generate_data_key_without_plaintext<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let out = data_key(kms, account_id, input)?;
    Ok(json!({
        "CiphertextBlob": out.encrypted.ciphertext_blob,
        "KeyId": kms.aws_key_arn(account_id, &out.encrypted.key_id),
    }))
}
