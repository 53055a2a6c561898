//! The handlers of asymmetric keys' actions: parameters in, one core call, the reply out
//! (`GetPublicKeyResponseBody`, `AsymmetricSignResponseBody`, … of the kms-20160120 SDK models).

use serde_json::{Value, json};

use super::actions::paging;
use super::error::{Error, Result};
use super::params::Params;
use super::reply::{base64_encode, versioned, wire_time, with_page};
use crate::kms::Kms;
use crate::kms::asymmetric::{ENCRYPTION_ALGORITHMS, SIGNING_ALGORITHMS};
use crate::kms::version::KeyVersion;
use crate::store::Store;

/// `GetPublicKey`: the public key as PEM SubjectPublicKeyInfo.
pub fn get_public_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.get_public_key(
        account_id,
        p.required("KeyId")?,
        p.required("KeyVersionId")?,
    )?;
    let pem = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &out.value)
        .map_err(|_| crate::kms::Error::Invariant("a public key did not encode as PEM"))?;
    Ok(versioned(&out, "PublicKey", pem.into()))
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
    Ok(versioned(&out, "Value", base64_encode(&out.value).into()))
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
    Ok(versioned(&out, "Value", out.value.into()))
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
    Ok(versioned(
        &out,
        "CiphertextBlob",
        base64_encode(&out.value).into(),
    ))
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
    Ok(versioned(
        &out,
        "Plaintext",
        base64_encode(&out.value).into(),
    ))
}

/// `ListKeyVersions`.
pub fn list_key_versions<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let page = kms.list_key_versions(account_id, p.required("KeyId")?, paging(p)?)?;
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
    algorithm(
        p,
        &SIGNING_ALGORITHMS,
        "must be RSA_PSS_SHA_256, RSA_PKCS1_SHA_256 or ECDSA_SHA_256 (SM2DSA is not supported)",
    )
}

fn encryption_algorithm(p: &Params) -> Result<crate::crypto::asymmetric::EncryptionAlgorithm> {
    algorithm(
        p,
        &ENCRYPTION_ALGORITHMS,
        "must be RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
    )
}

/// `Algorithm`, by its wire name in `table`.
fn algorithm<A: Copy>(p: &Params, table: &[(A, &str)], expected: &'static str) -> Result<A> {
    let name = p.required("Algorithm")?;
    table
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(a, _)| *a)
        .ok_or_else(|| Error::invalid("Algorithm", expected))
}
