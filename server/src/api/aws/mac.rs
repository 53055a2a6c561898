//! GenerateMac and VerifyMac of AWS KMS 2014-11-01, each one core call; which algorithm fits
//! which key is the core's.

use serde_json::{Value, json};

use super::error::{Error, Result};
use super::input::Input;
use super::operations::named;
use super::reply::{MAC_ALGORITHMS, base64_encode, mac_algorithm};
use crate::crypto::mac::MacAlgorithm;
use crate::kms::Kms;
use crate::store::Store;

/// `MacAlgorithm` (required).
fn algorithm(input: &Input) -> Result<MacAlgorithm> {
    let names: Vec<&str> = MAC_ALGORITHMS.iter().map(|(_, n)| *n).collect();
    named(
        input,
        "MacAlgorithm",
        |name| {
            MAC_ALGORITHMS
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(a, _)| *a)
        },
        &format!("must be {}", names.join(", ")),
    )?
    .ok_or_else(|| Error::validation("MacAlgorithm is required"))
}

pub(super) fn generate_mac<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let algorithm = algorithm(input)?;
    let out = kms.generate_mac(
        account_id,
        input.required("KeyId")?,
        algorithm,
        &input.blob("Message")?,
    )?;
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "Mac": base64_encode(&out.value),
        "MacAlgorithm": mac_algorithm(algorithm),
    }))
}

pub(super) fn verify_mac<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let algorithm = algorithm(input)?;
    let out = kms.verify_mac(
        account_id,
        input.required("KeyId")?,
        algorithm,
        &input.blob("Message")?,
        &input.blob("Mac")?,
    )?;
    if !out.value {
        return Err(Error::InvalidMac);
    }
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &out.key_id),
        "MacValid": true,
        "MacAlgorithm": mac_algorithm(algorithm),
    }))
}
