//! The operations of asymmetric keys on AWS KMS 2014-11-01: GetPublicKey, Sign and Verify, each
//! a core call on the key's current (and only) version; which algorithm fits which key, and the
//! digest of a RAW message, are the core's.

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::input::Input;
use super::operations::{POLICY, named};
use super::reply::{
    SIGNING_ALGORITHMS, base64_encode, encryption_algorithm, key_spec, key_usage,
    signing_algorithm, signing_algorithms,
};
use crate::crypto::asymmetric::SigningAlgorithm;
use crate::kms::Kms;
use crate::kms::asymmetric::{SignedMessage, encryption_algorithms};
use crate::kms::key::KeyUsage;
use crate::store::Store;

/// The key the request names and its current version id.
fn current_version<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<String> {
    Ok(kms
        .describe_key(account_id, input.required("KeyId")?)?
        .primary_key_version)
}

pub(super) fn get_public_key<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let version = current_version(kms, account_id, input)?;
    let key_ref = input.required("KeyId")?;
    let out = kms.get_public_key(account_id, key_ref, &version)?;
    let m = kms.describe_key(account_id, &out.key_id)?;
    let mut reply = json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "PublicKey": base64_encode(&out.value),
        "KeySpec": key_spec(m.key_spec),
        "CustomerMasterKeySpec": key_spec(m.key_spec),
        "KeyUsage": key_usage(m.key_usage),
    });
    if let (Some(spec), Value::Object(map)) = (m.key_spec.asymmetric(), &mut reply) {
        let (name, list): (&str, Vec<&str>) = match m.key_usage {
            KeyUsage::SignVerify => ("SigningAlgorithms", signing_algorithms(spec)),
            KeyUsage::EncryptDecrypt => (
                "EncryptionAlgorithms",
                encryption_algorithms(spec)
                    .iter()
                    .map(|a| encryption_algorithm(*a))
                    .collect(),
            ),
            KeyUsage::GenerateVerifyMac => {
                return Err(
                    crate::kms::Error::Invariant("an asymmetric key has a MAC usage").into(),
                );
            }
        };
        map.insert(name.into(), json!(list));
    }
    Ok(reply)
}

/// `SigningAlgorithm` (required).
fn algorithm(input: &Input) -> Result<SigningAlgorithm> {
    let names: Vec<&str> = SIGNING_ALGORITHMS.iter().map(|(_, n)| *n).collect();
    named(
        input,
        "SigningAlgorithm",
        |name| {
            SIGNING_ALGORITHMS
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(a, _)| *a)
        },
        &format!("byok-kms signs with {}", names.join(", ")),
    )?
    .ok_or_else(|| Error::validation("SigningAlgorithm is required"))
}

/// `Message`, as `MessageType` (RAW, the default, or DIGEST) says.
fn message(input: &Input) -> Result<(Zeroizing<Vec<u8>>, bool)> {
    let message = input.blob("Message")?;
    let raw = named(
        input,
        "MessageType",
        |t| match t {
            "RAW" => Some(true),
            "DIGEST" => Some(false),
            _ => None,
        },
        "must be RAW or DIGEST",
    )?
    .unwrap_or(true);
    Ok((message, raw))
}

fn signed(message: &(Zeroizing<Vec<u8>>, bool)) -> SignedMessage<'_> {
    match message {
        (m, true) => SignedMessage::Raw(m),
        (m, false) => SignedMessage::Digest(m),
    }
}

pub(super) fn sign<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let version = current_version(kms, account_id, input)?;
    let algorithm = algorithm(input)?;
    let message = message(input)?;
    let out = kms.asymmetric_sign_under(
        POLICY,
        account_id,
        input.required("KeyId")?,
        &version,
        algorithm,
        signed(&message),
    )?;
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "Signature": base64_encode(&out.value),
        "SigningAlgorithm": signing_algorithm(algorithm),
    }))
}

pub(super) fn verify<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let version = current_version(kms, account_id, input)?;
    let algorithm = algorithm(input)?;
    let message = message(input)?;
    let out = kms.asymmetric_verify_under(
        POLICY,
        account_id,
        input.required("KeyId")?,
        &version,
        algorithm,
        signed(&message),
        &input.blob("Signature")?,
    )?;
    if !out.value {
        return Err(Error::InvalidSignatureValue);
    }
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "SignatureValid": true,
        "SigningAlgorithm": signing_algorithm(algorithm),
    }))
}
