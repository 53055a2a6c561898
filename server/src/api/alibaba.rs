//! The actions of KMS API 2016-01-20: wire parameters in, [`Kms`] call, wire JSON out (field names
//! exactly as the official SDKs read them).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_wrap::{KeySpec, WrappingAlgorithm};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;
use zeroize::Zeroizing;

use super::Params;
use crate::error::{Error, Result};
use crate::kms::ciphertext::EncryptionContext;
use crate::kms::key::KEY_USAGE;
use crate::kms::{CreateKey, KeyMetadata, Kms, Page};
use crate::store::Store;

/// Every action this server implements.
pub const ACTIONS: [&str; 17] = [
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteKeyMaterial",
    "Encrypt",
    "Decrypt",
    "GenerateDataKey",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
];

/// Runs `action` for `account_id` with `params`; returns the reply without `RequestId`.
pub fn dispatch<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    action: &str,
    p: &Params,
) -> Result<Value> {
    let ok = || Ok(json!({}));
    match action {
        "CreateKey" => {
            let request = CreateKey {
                description: p.optional("Description").unwrap_or_default().to_owned(),
                key_spec: match p.optional("KeySpec") {
                    Some(spec) => spec.parse().map_err(|_| {
                        Error::invalid(
                            "KeySpec",
                            "must be Aliyun_AES_256, Aliyun_AES_192, Aliyun_AES_128 or Aliyun_SM4",
                        )
                    })?,
                    None => KeySpec::AliyunAes256,
                },
                origin: p
                    .optional("Origin")
                    .map_or(Ok(Default::default()), str::parse)?,
                protection_level: p
                    .optional("ProtectionLevel")
                    .map_or(Ok(Default::default()), str::parse)?,
            };
            if p.optional("KeyUsage").is_some_and(|u| u != KEY_USAGE) {
                return Err(Error::invalid(
                    "KeyUsage",
                    "must be ENCRYPT/DECRYPT: byok-kms has symmetric keys only",
                ));
            }
            if request.description.chars().count() > 8192 {
                return Err(Error::invalid(
                    "Description",
                    "must be at most 8192 characters",
                ));
            }
            let metadata = kms.create_key(account_id, &request)?;
            Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
        }
        "DescribeKey" => {
            let metadata = kms.describe_key(account_id, p.required("KeyId")?)?;
            Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
        }
        "ListKeys" => {
            let (number, size) = page(p)?;
            let page = kms.list_keys(account_id, number, size)?;
            let keys: Vec<Value> = page
                .items
                .iter()
                .map(|k| json!({ "KeyId": k.key_id, "KeyArn": k.arn }))
                .collect();
            Ok(with_page(json!({ "Keys": { "Key": keys } }), &page))
        }
        "GetParametersForImport" => {
            let key_ref = p.required("KeyId")?;
            let algorithm: WrappingAlgorithm = p
                .required("WrappingAlgorithm")?
                .parse()
                .ok()
                // byok-wrap also names other clouds' formats, which byok-kms does not serve.
                .filter(|a| {
                    matches!(
                        a,
                        WrappingAlgorithm::RsaesOaepSha256
                            | WrappingAlgorithm::RsaesOaepSha1
                            | WrappingAlgorithm::RsaesPkcs1V15
                    )
                })
                .ok_or_else(|| {
                    Error::invalid(
                        "WrappingAlgorithm",
                        "must be RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or RSAES_PKCS1_V1_5",
                    )
                })?;
            if p.required("WrappingKeySpec")? != "RSA_2048" {
                return Err(Error::invalid("WrappingKeySpec", "must be RSA_2048"));
            }
            let params = kms.get_parameters_for_import(account_id, key_ref, algorithm)?;
            Ok(json!({
                "KeyId": params.key_id,
                "ImportToken": params.import_token,
                "PublicKey": STANDARD.encode(&params.public_key_der),
                "TokenExpireTime": wire_time(params.token_expires_at),
            }))
        }
        "ImportKeyMaterial" => {
            let key_ref = p.required("KeyId")?;
            let wrapped = base64_param(p, "EncryptedKeyMaterial")?;
            let token = p.required("ImportToken")?;
            let expire = p.integer("KeyMaterialExpireUnix")?;
            kms.import_key_material(account_id, key_ref, &wrapped, token, expire)?;
            ok()
        }
        "DeleteKeyMaterial" => {
            kms.delete_key_material(account_id, p.required("KeyId")?)?;
            ok()
        }
        "Encrypt" => {
            let key_ref = p.required("KeyId")?;
            let plaintext = base64_param(p, "Plaintext")?;
            let context = context(p)?;
            let out = kms.encrypt(account_id, key_ref, &plaintext, &context)?;
            Ok(json!({
                "CiphertextBlob": out.ciphertext_blob,
                "KeyId": out.key_id,
                "KeyVersionId": out.key_version_id,
            }))
        }
        "Decrypt" => {
            let out = kms.decrypt(account_id, p.required("CiphertextBlob")?, &context(p)?)?;
            Ok(json!({
                "Plaintext": STANDARD.encode(&out.plaintext),
                "KeyId": out.key_id,
                "KeyVersionId": out.key_version_id,
            }))
        }
        "GenerateDataKey" => {
            let key_ref = p.required("KeyId")?;
            let length = match (p.optional("KeySpec"), p.integer("NumberOfBytes")?) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "NumberOfBytes",
                        "give either KeySpec or NumberOfBytes, not both",
                    ));
                }
                (Some("AES_256"), None) | (None, None) => 32,
                (Some("AES_128"), None) => 16,
                (Some(_), None) => {
                    return Err(Error::invalid("KeySpec", "must be AES_256 or AES_128"));
                }
                (None, Some(n)) => usize::try_from(n)
                    .map_err(|_| Error::invalid("NumberOfBytes", "must be from 1 to 1024"))?,
            };
            let out = kms.generate_data_key(account_id, key_ref, length, &context(p)?)?;
            Ok(json!({
                "CiphertextBlob": out.encrypted.ciphertext_blob,
                "Plaintext": STANDARD.encode(&out.plaintext),
                "KeyId": out.encrypted.key_id,
                "KeyVersionId": out.encrypted.key_version_id,
            }))
        }
        "EnableKey" => kms
            .enable_key(account_id, p.required("KeyId")?)
            .and_then(|()| ok()),
        "DisableKey" => kms
            .disable_key(account_id, p.required("KeyId")?)
            .and_then(|()| ok()),
        "ScheduleKeyDeletion" => {
            let key_ref = p.required("KeyId")?;
            let days = p
                .integer("PendingWindowInDays")?
                .ok_or_else(|| Error::MissingParameter("PendingWindowInDays".to_owned()))?;
            kms.schedule_key_deletion(account_id, key_ref, days)?;
            ok()
        }
        "CancelKeyDeletion" => {
            kms.cancel_key_deletion(account_id, p.required("KeyId")?)?;
            ok()
        }
        "CreateAlias" => {
            kms.create_alias(account_id, p.required("AliasName")?, p.required("KeyId")?)?;
            ok()
        }
        "UpdateAlias" => {
            kms.update_alias(account_id, p.required("AliasName")?, p.required("KeyId")?)?;
            ok()
        }
        "DeleteAlias" => {
            kms.delete_alias(account_id, p.required("AliasName")?)?;
            ok()
        }
        "ListAliases" => {
            let (number, size) = page(p)?;
            let page = kms.list_aliases(account_id, None, number, size)?;
            let aliases: Vec<Value> = page
                .items
                .iter()
                .map(|a| json!({ "AliasName": a.name, "AliasArn": a.arn, "KeyId": a.key_id }))
                .collect();
            Ok(with_page(json!({ "Aliases": { "Alias": aliases } }), &page))
        }
        other => Err(Error::UnknownAction(crate::error::echo(other))),
    }
}

/// `KeyMetadata` as the SDK reads it.
fn key_metadata(m: &KeyMetadata) -> Value {
    json!({
        "KeyId": m.key_id,
        "Arn": m.arn,
        "CreationDate": wire_time(m.created_at),
        "Creator": m.creator,
        "Description": m.description,
        "KeySpec": m.key_spec.as_str(),
        "KeyUsage": m.key_usage,
        "KeyState": m.state.as_str(),
        "Origin": m.origin.as_str(),
        "ProtectionLevel": m.protection_level.as_str(),
        "MaterialExpireTime": m.material_expire_at.map(wire_time).unwrap_or_default(),
        "DeleteDate": m.delete_date.map(wire_time).unwrap_or_default(),
        "PrimaryKeyVersion": m.primary_key_version,
        "AutomaticRotation": "Disabled",
        "LastRotationDate": wire_time(m.created_at),
    })
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

fn page(p: &Params) -> Result<(u64, u64)> {
    let number = p.integer("PageNumber")?.unwrap_or(1);
    let size = p.integer("PageSize")?.unwrap_or(10);
    let number =
        u64::try_from(number).map_err(|_| Error::invalid("PageNumber", "must be 1 or more"))?;
    let size =
        u64::try_from(size).map_err(|_| Error::invalid("PageSize", "must be from 1 to 100"))?;
    Ok((number, size))
}

fn with_page<T>(mut body: Value, page: &Page<T>) -> Value {
    if let Value::Object(map) = &mut body {
        map.insert("TotalCount".into(), page.total.into());
        map.insert("PageNumber".into(), page.page_number.into());
        map.insert("PageSize".into(), page.page_size.into());
    }
    body
}

/// A base64 parameter's bytes, wiped when dropped (Plaintext may be a secret).
fn base64_param(p: &Params, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    STANDARD
        .decode(p.required(name)?)
        .map(Zeroizing::new)
        .map_err(|_| Error::invalid(name, "must be standard base64"))
}

fn context(p: &Params) -> Result<EncryptionContext> {
    EncryptionContext::parse(p.optional("EncryptionContext").unwrap_or_default())
}
