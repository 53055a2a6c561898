//! Reply shapes as botocore reads them (`KeyMetadata`, listings) and the AWS wire names of the
//! core's values.

use crate::crypto::asymmetric::{AsymmetricSpec, EncryptionAlgorithm, SigningAlgorithm};
use crate::crypto::mac::MacAlgorithm;
use serde_json::{Map, Value, json};

use super::operations::POLICY;
use crate::kms::asymmetric::{ENCRYPTION_ALGORITHMS, encryption_algorithms};

use crate::kms::key::{KeyUsage, Origin};
use crate::kms::key_spec::KeySpec;
use crate::kms::state::KeyState;
use crate::kms::{KeyMetadata, Kms, Page};
use crate::store::Store;

/// The one encryption algorithm of symmetric keys.
pub const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// `KeyMetadata`, with the AWS ARN of the key.
pub fn key_metadata<S: Store>(kms: &Kms<S>, account_id: &str, m: &KeyMetadata) -> Value {
    let mut out = Map::new();
    let spec = key_spec(m.key_spec);
    for (name, value) in [
        ("AWSAccountId", json!(account_id)),
        ("KeyId", json!(m.key_id)),
        ("Arn", json!(kms.aws_key_arn(account_id, &m.key_id))),
        ("CreationDate", json!(m.created_at)),
        ("Enabled", json!(m.state == KeyState::Enabled)),
        ("Description", json!(m.description)),
        ("KeyUsage", json!(key_usage(m.key_usage))),
        ("KeyState", json!(m.state.name())),
        ("Origin", json!(origin(m.origin))),
        ("KeyManager", json!("CUSTOMER")),
        ("CustomerMasterKeySpec", json!(spec)),
        ("KeySpec", json!(spec)),
        ("MultiRegion", json!(false)),
    ] {
        out.insert(name.into(), value);
    }
    if m.key_spec.symmetric().is_some() {
        out.insert("EncryptionAlgorithms".into(), json!([SYMMETRIC_DEFAULT]));
    }
    if let Some(spec) = m.key_spec.hmac() {
        out.insert(
            "MacAlgorithms".into(),
            json!([mac_algorithm(spec.algorithm())]),
        );
    }
    if let Some(spec) = m.key_spec.asymmetric() {
        match m.key_usage {
            KeyUsage::SignVerify => {
                out.insert("SigningAlgorithms".into(), json!(signing_algorithms(spec)))
            }
            KeyUsage::EncryptDecrypt => out.insert(
                "EncryptionAlgorithms".into(),
                json!(
                    encryption_algorithms(spec)
                        .iter()
                        .map(|a| encryption_algorithm(*a))
                        .collect::<Vec<_>>()
                ),
            ),
            KeyUsage::GenerateVerifyMac => None,
        };
    }
    if let Some(at) = m.delete_date {
        out.insert("DeletionDate".into(), json!(at));
    }
    if m.origin == Origin::External && m.has_material {
        let model = match m.material_expire_at {
            Some(at) => {
                out.insert("ValidTo".into(), json!(at));
                "KEY_MATERIAL_EXPIRES"
            }
            None => "KEY_MATERIAL_DOES_NOT_EXPIRE",
        };
        out.insert("ExpirationModel".into(), json!(model));
    }
    if let Some(id) = &m.key_material_id {
        out.insert("CurrentKeyMaterialId".into(), json!(id));
    }
    Value::Object(out)
}

/// The AWS name of a key spec: `SYMMETRIC_DEFAULT` is 32 bytes of AES-256-GCM material, the
/// core's `Aliyun_AES_256`; the other Alibaba symmetric specs keep their names.
pub fn key_spec(spec: KeySpec) -> &'static str {
    match spec.as_str() {
        "Aliyun_AES_256" => SYMMETRIC_DEFAULT,
        "EC_P256" => "ECC_NIST_P256",
        "EC_P256K" => "ECC_SECG_P256K1",
        other => other,
    }
}

/// The key spec of an AWS name: `SYMMETRIC_DEFAULT` and the asymmetric specs byok-kms has.
pub fn parse_key_spec(name: &str) -> Option<KeySpec> {
    let core = match name {
        SYMMETRIC_DEFAULT => "Aliyun_AES_256",
        "ECC_NIST_P256" => "EC_P256",
        "ECC_SECG_P256K1" => "EC_P256K",
        "RSA_2048" | "RSA_3072" | "RSA_4096" | "ECC_NIST_P384" | "HMAC_224" | "HMAC_256"
        | "HMAC_384" | "HMAC_512" => name,
        _ => return None,
    };
    KeySpec::from_name(core)
}

/// The AWS names of the signing algorithms.
pub const SIGNING_ALGORITHMS: [(SigningAlgorithm, &str); 8] = [
    (SigningAlgorithm::RsaPssSha256, "RSASSA_PSS_SHA_256"),
    (SigningAlgorithm::RsaPssSha384, "RSASSA_PSS_SHA_384"),
    (SigningAlgorithm::RsaPssSha512, "RSASSA_PSS_SHA_512"),
    (
        SigningAlgorithm::RsaPkcs1Sha256,
        "RSASSA_PKCS1_V1_5_SHA_256",
    ),
    (
        SigningAlgorithm::RsaPkcs1Sha384,
        "RSASSA_PKCS1_V1_5_SHA_384",
    ),
    (
        SigningAlgorithm::RsaPkcs1Sha512,
        "RSASSA_PKCS1_V1_5_SHA_512",
    ),
    (SigningAlgorithm::EcdsaSha256, "ECDSA_SHA_256"),
    (SigningAlgorithm::EcdsaSha384, "ECDSA_SHA_384"),
];

/// The AWS names of the algorithms a key of `spec` signs with, in AWS's order.
pub fn signing_algorithms(spec: AsymmetricSpec) -> Vec<&'static str> {
    POLICY
        .signing_algorithms_of(spec)
        .into_iter()
        .map(signing_algorithm)
        .collect()
}

/// The AWS name of a signing algorithm.
pub fn signing_algorithm(algorithm: SigningAlgorithm) -> &'static str {
    SIGNING_ALGORITHMS
        .iter()
        .find(|(a, _)| *a == algorithm)
        .map_or("", |(_, name)| name)
}

/// The AWS name of an RSA encryption algorithm (the core's names are AWS's).
pub fn encryption_algorithm(algorithm: EncryptionAlgorithm) -> &'static str {
    ENCRYPTION_ALGORITHMS
        .iter()
        .find(|(a, _)| *a == algorithm)
        .map_or("", |(_, name)| name)
}

/// The AWS names of the MAC algorithms.
pub const MAC_ALGORITHMS: [(MacAlgorithm, &str); 4] = [
    (MacAlgorithm::HmacSha224, "HMAC_SHA_224"),
    (MacAlgorithm::HmacSha256, "HMAC_SHA_256"),
    (MacAlgorithm::HmacSha384, "HMAC_SHA_384"),
    (MacAlgorithm::HmacSha512, "HMAC_SHA_512"),
];

/// The AWS name of a MAC algorithm.
pub fn mac_algorithm(algorithm: MacAlgorithm) -> &'static str {
    MAC_ALGORITHMS
        .iter()
        .find(|(a, _)| *a == algorithm)
        .map_or("", |(_, name)| name)
}

/// The AWS name of a key usage.
pub fn key_usage(usage: KeyUsage) -> &'static str {
    match usage {
        KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
        KeyUsage::SignVerify => "SIGN_VERIFY",
        KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
    }
}

/// The AWS name of an origin.
pub fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Kms => "AWS_KMS",
        Origin::External => "EXTERNAL",
    }
}

/// Adds `Truncated` and, when there is more, `NextMarker` (the next page's number).
pub fn with_marker<T>(mut body: Value, page: &Page<T>) -> Value {
    let truncated = page.page_number.saturating_mul(page.page_size) < page.total;
    if let Value::Object(map) = &mut body {
        map.insert("Truncated".into(), truncated.into());
        if truncated {
            map.insert(
                "NextMarker".into(),
                (page.page_number + 1).to_string().into(),
            );
        }
    }
    body
}

/// Standard base64, as every blob of the wire is written.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
