//! Reply shapes: `KeyMetadata`, times and paging, as the official SDKs read them.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::kms::asymmetric::Versioned;
use crate::kms::key::KeyUsage;
use crate::kms::{KeyMetadata, Page};

/// `KeyMetadata`.
pub fn key_metadata(m: &KeyMetadata) -> Value {
    json!({
        "KeyId": m.key_id,
        "Arn": m.arn,
        "CreationDate": wire_time(m.created_at),
        "Creator": m.creator,
        "Description": m.description,
        "KeySpec": m.key_spec.as_str(),
        "KeyUsage": key_usage(m.key_usage),
        "KeyState": m.state.name(),
        "Origin": m.origin.name(),
        "ProtectionLevel": m.protection_level.name(),
        "MaterialExpireTime": m.material_expire_at.map(wire_time).unwrap_or_default(),
        "DeleteDate": m.delete_date.map(wire_time).unwrap_or_default(),
        "PrimaryKeyVersion": m.primary_key_version,
        "AutomaticRotation": "Disabled",
        "LastRotationDate": wire_time(m.created_at),
    })
}

/// The wire name of a key usage.
pub fn key_usage(usage: KeyUsage) -> &'static str {
    match usage {
        KeyUsage::EncryptDecrypt => "ENCRYPT/DECRYPT",
        KeyUsage::SignVerify => "SIGN/VERIFY",
        // Alibaba has no HMAC keys; its door cannot create one, but a key made on the AWS door
        // is listed with its name.
        KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
    }
}

/// Times on the wire: `YYYY-MM-DDTHH:MM:SSZ`, UTC.
pub fn wire_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Adds `TotalCount`, `PageNumber` and `PageSize` to a listing.
pub fn with_page<T>(mut body: Value, page: &Page<T>) -> Value {
    if let Value::Object(map) = &mut body {
        map.insert("TotalCount".into(), page.total.into());
        map.insert("PageNumber".into(), page.page_number.into());
        map.insert("PageSize".into(), page.page_size.into());
    }
    body
}

/// Standard base64, as every binary field of the wire is written.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The reply of a call on a key's version: `KeyId`, `KeyVersionId` and the call's one `field`.
pub fn versioned<T>(out: &Versioned<T>, field: &str, value: Value) -> Value {
    json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        field: value,
    })
}
