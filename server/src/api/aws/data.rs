//! The data operations of AWS KMS 2014-11-01: Encrypt, Decrypt (symmetric keys, and RSA keys
//! with `RSAES_OAEP_*`), ReEncrypt and GenerateDataKey(WithoutPlaintext), each one [`Kms`] call;
//! AES-GCM and RSA-OAEP under the key, the blob format and the states that allow each are the
//! core's.

use serde_json::{Value, json};

use super::error::{Error, Result};
use super::input::Input;
use super::operations::{POLICY, named};
use super::reply::{SYMMETRIC_DEFAULT, base64_encode, encryption_algorithm};
use crate::crypto::asymmetric::EncryptionAlgorithm;
use crate::kms::asymmetric::ENCRYPTION_ALGORITHMS;
use crate::kms::ciphertext::EncryptionContext;
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

/// Encrypt's and Decrypt's `EncryptionAlgorithm`: `None` for `SYMMETRIC_DEFAULT` (or absent),
/// else an RSA key's OAEP.
fn rsa_algorithm(input: &Input) -> Result<Option<EncryptionAlgorithm>> {
    Ok(named(
        input,
        "EncryptionAlgorithm",
        |a| match a {
            SYMMETRIC_DEFAULT => Some(None),
            _ => ENCRYPTION_ALGORITHMS
                .iter()
                .find(|(_, n)| *n == a)
                .map(|(x, _)| Some(*x)),
        },
        "must be SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
    )?
    .flatten())
}

/// The current version of the key the request names (an RSA key's one version).
fn current_version<S: Store>(kms: &Kms<S>, account_id: &str, key_ref: &str) -> Result<String> {
    Ok(kms.describe_key(account_id, key_ref)?.primary_key_version)
}

/// RSA-OAEP takes no encryption context.
fn no_context(input: &Input) -> Result<()> {
    if input.encryption_context()? != EncryptionContext::default() {
        return Err(Error::validation(
            "EncryptionContext is not supported with RSAES_OAEP_* (only symmetric keys bind one)",
        ));
    }
    Ok(())
}

pub(super) fn encrypt<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let rsa = rsa_algorithm(input)?;
    let key_ref = input.required("KeyId")?;
    let plaintext = input.blob("Plaintext")?;
    if let Some(algorithm) = rsa {
        no_context(input)?;
        let version = current_version(kms, account_id, key_ref)?;
        let out = kms.asymmetric_encrypt(account_id, key_ref, &version, algorithm, &plaintext)?;
        return Ok(json!({
            "CiphertextBlob": base64_encode(&out.value),
            "KeyId": kms.aws_key_arn(account_id, &out.key_id),
            "EncryptionAlgorithm": encryption_algorithm(algorithm),
        }));
    }
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
    if let Some(algorithm) = rsa_algorithm(input)? {
        no_context(input)?;
        let key_ref = input
            .string("KeyId")?
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::validation("KeyId is required to decrypt with an RSA key"))?;
        let version = current_version(kms, account_id, key_ref)?;
        let ciphertext = input.blob("CiphertextBlob")?;
        let out = kms.asymmetric_decrypt(account_id, key_ref, &version, algorithm, &ciphertext)?;
        return Ok(json!({
            "KeyId": kms.aws_key_arn(account_id, &out.key_id),
            "Plaintext": base64_encode(&out.value),
            "EncryptionAlgorithm": encryption_algorithm(algorithm),
        }));
    }
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
