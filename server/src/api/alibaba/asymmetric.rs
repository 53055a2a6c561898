//! The handlers of asymmetric keys' actions: parameters in, one core call, the reply out
//! (`GetPublicKeyResponseBody`, `AsymmetricSignResponseBody`, … of the kms-20160120 SDK models).

use serde_json::{Value, json};

use super::error::{Error, Result};
use super::params::Params;
use super::reply::{wire_time, with_page};
use crate::kms::asymmetric::{ENCRYPTION_ALGORITHMS, KeyVersion, SIGNING_ALGORITHMS};
use crate::kms::{Kms, Paging};
use crate::store::Store;

/// `GetPublicKey`: the public key as PEM SubjectPublicKeyInfo.
pub fn get_public_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.get_public_key(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
    )?;
    Ok(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "PublicKey": pem("PUBLIC KEY", &out.value),
    }))
}

/// `AsymmetricSign`: `Value` is the base64 signature.
pub fn asymmetric_sign<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.asymmetric_sign(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
        signing_algorithm(p)?,
        &p.base64("Digest")?,
    )?;
    Ok(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "Value": base64_encode(&out.value),
    }))
}

/// `AsymmetricVerify`: the request's `Value` is the base64 signature, the reply's a boolean.
pub fn asymmetric_verify<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.asymmetric_verify(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
        signing_algorithm(p)?,
        &p.base64("Digest")?,
        &p.base64("Value")?,
    )?;
    Ok(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "Value": out.value,
    }))
}

/// `AsymmetricEncrypt`.
pub fn asymmetric_encrypt<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.asymmetric_encrypt(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
        encryption_algorithm(p)?,
        &p.base64("Plaintext")?,
    )?;
    Ok(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "CiphertextBlob": base64_encode(&out.value),
    }))
}

/// `AsymmetricDecrypt`.
pub fn asymmetric_decrypt<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.asymmetric_decrypt(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
        encryption_algorithm(p)?,
        &p.base64("CiphertextBlob")?,
    )?;
    Ok(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "Plaintext": base64_encode(&out.value),
    }))
}

/// `ListKeyVersions`.
pub fn list_key_versions<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let paging = Paging {
        number: p.integer("PageNumber")?.unwrap_or(1),
        size: p.integer("PageSize")?.unwrap_or(10),
    };
    let page = kms.list_key_versions(account_id, p.required("KeyId")?, paging)?;
    let versions: Vec<Value> = page.items.iter().map(key_version).collect();
    Ok(with_page(
        json!({ "KeyVersions": { "KeyVersion": versions } }),
        &page,
    ))
}

/// `DescribeKeyVersion`.
pub fn describe_key_version<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let version = kms.describe_key_version(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
    )?;
    Ok(json!({ "KeyVersion": key_version(&version) }))
}

fn key_version(v: &KeyVersion) -> Value {
    json!({
        "KeyId": v.key_id,
        "KeyVersionId": v.key_version_id,
        "CreationDate": wire_time(v.created_at),
    })
}

fn signing_algorithm(p: &Params) -> Result<crate::crypto::asymmetric::SigningAlgorithm> {
    let name = p.required("Algorithm")?;
    SIGNING_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(a, _)| *a)
        .ok_or_else(|| {
            Error::invalid(
                "Algorithm",
                "must be RSA_PSS_SHA_256, RSA_PKCS1_SHA_256 or ECDSA_SHA_256 (SM2DSA is not \
                 supported)",
            )
        })
}

fn encryption_algorithm(p: &Params) -> Result<crate::crypto::asymmetric::EncryptionAlgorithm> {
    let name = p.required("Algorithm")?;
    ENCRYPTION_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(a, _)| *a)
        .ok_or_else(|| {
            Error::invalid(
                "Algorithm",
                "must be RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
            )
        })
}

/// PEM (RFC 7468): base64 in lines of 64 characters between the labels.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
