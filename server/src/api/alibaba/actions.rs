//! The actions of KMS API 2016-01-20: wire parameters in, one [`Kms`] call, wire JSON out (field
//! names exactly as the official SDKs read them). Nothing here decides what a rule would: each
//! handler only reads its parameters, turns wire names into the core's types, and renders.

use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};
use serde_json::{Value, json};

use super::asymmetric;
use super::error::{Error, Result};
use super::params::{Params, json_tag_keys, json_tags};
use super::reply::{base64_encode, key_metadata, wire_time, with_page};
use crate::kms::key::{KeyUsage, Origin, ProtectionLevel};
use crate::kms::key_spec::KeySpec as KmsKeySpec;
use crate::kms::{CreateKey, DataKeySize, DataKeySpec, Kms, Operation, Paging};
use crate::store::Store;

/// A handler: the caller's account and the parameters in, the reply (without `RequestId`) out.
type Handler<S> = fn(&Kms<S>, &str, &Params) -> Result<Value>;

/// Every action this door serves, with the kind of work it does (for the HTTP layer's choice of
/// thread) and its handler.
pub fn actions<S: Store>() -> [(&'static str, Operation, Handler<S>); 29] {
    use Operation::{HandOutWrappingKey, Read, Write};
    [
        ("CreateKey", Write, create_key),
        ("DescribeKey", Read, describe_key),
        ("ListKeys", Read, list_keys),
        (
            "GetParametersForImport",
            HandOutWrappingKey,
            get_parameters_for_import,
        ),
        ("ImportKeyMaterial", Write, import_key_material),
        ("DeleteKeyMaterial", Write, delete_key_material),
        ("Encrypt", Read, encrypt),
        ("Decrypt", Read, decrypt),
        ("GenerateDataKey", Read, generate_data_key),
        ("EnableKey", Write, enable_key),
        ("DisableKey", Write, disable_key),
        ("ScheduleKeyDeletion", Write, schedule_key_deletion),
        ("CancelKeyDeletion", Write, cancel_key_deletion),
        ("CreateAlias", Write, create_alias),
        ("UpdateAlias", Write, update_alias),
        ("DeleteAlias", Write, delete_alias),
        ("ListAliases", Read, list_aliases),
        ("ListAliasesByKeyId", Read, list_aliases_by_key_id),
        ("UpdateKeyDescription", Write, update_key_description),
        ("TagResource", Write, tag_resource),
        ("UntagResource", Write, untag_resource),
        ("ListResourceTags", Read, list_resource_tags),
        ("GetPublicKey", Read, asymmetric::get_public_key),
        ("AsymmetricSign", Read, asymmetric::asymmetric_sign),
        ("AsymmetricVerify", Read, asymmetric::asymmetric_verify),
        ("AsymmetricEncrypt", Read, asymmetric::asymmetric_encrypt),
        ("AsymmetricDecrypt", Read, asymmetric::asymmetric_decrypt),
        ("ListKeyVersions", Read, asymmetric::list_key_versions),
        ("DescribeKeyVersion", Read, asymmetric::describe_key_version),
    ]
}

/// Every parameter an action reads, and those of the signatures: a parameter whose name
/// extends one of these is refused rather than ignored.
pub const PARAMETERS: &[&str] = &[
    "Algorithm",
    "Digest",
    "KeyVersionId",
    "Value",
    "AliasName",
    "CiphertextBlob",
    "Description",
    "EncryptedKeyMaterial",
    "EncryptionContext",
    "Filters",
    "ImportToken",
    "KeyId",
    "KeyMaterialExpireUnix",
    "KeySpec",
    "KeyUsage",
    "NumberOfBytes",
    "Origin",
    "PageNumber",
    "PageSize",
    "PendingWindowInDays",
    "Plaintext",
    "ProtectionLevel",
    "TagKeys",
    "Tags",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "AccessKeyId",
    "Action",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

fn ok() -> Result<Value> {
    Ok(json!({}))
}

fn create_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let request = CreateKey {
        description: p.optional("Description").unwrap_or_default().to_owned(),
        key_spec: p
            .named("KeySpec", KmsKeySpec::from_name, KmsKeySpec::NAMES)?
            .unwrap_or_default(),
        key_usage: p.named(
            "KeyUsage",
            key_usage,
            "must be ENCRYPT/DECRYPT or SIGN/VERIFY",
        )?,
        origin: p
            .named(
                "Origin",
                Origin::from_name,
                "must be Aliyun_KMS or EXTERNAL (case-sensitive)",
            )?
            .unwrap_or_default(),
        protection_level: p
            .named(
                "ProtectionLevel",
                ProtectionLevel::from_name,
                "must be SOFTWARE or HSM",
            )?
            .unwrap_or_default(),
        tags: p
            .optional("Tags")
            .map(json_tags)
            .transpose()?
            .unwrap_or_default(),
    };
    let metadata = kms.create_key(account_id, &request)?;
    Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
}

fn describe_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let metadata = kms.describe_key(account_id, p.required("KeyId")?)?;
    Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
}

fn list_keys<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    // Refused rather than ignored: a filter ignored would list keys the caller excluded. An
    // empty list filters nothing.
    if p.optional("Filters")
        .is_some_and(|f| !f.is_empty() && f.trim() != "[]")
    {
        return Err(Error::invalid(
            "Filters",
            "is not supported by byok-kms: list every key, and read each key's tags with \
             ListResourceTags",
        ));
    }
    let page = kms.list_keys(account_id, paging(p)?)?;
    let keys: Vec<Value> = page
        .items
        .iter()
        .map(|k| json!({ "KeyId": k.key_id, "KeyArn": k.arn }))
        .collect();
    Ok(with_page(json!({ "Keys": { "Key": keys } }), &page))
}

fn get_parameters_for_import<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    p: &Params,
) -> Result<Value> {
    let key_ref = p.required("KeyId")?;
    let algorithm: WrappingAlgorithm = p.required("WrappingAlgorithm")?.parse().map_err(|_| {
        Error::invalid(
            "WrappingAlgorithm",
            "must be RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or RSAES_PKCS1_V1_5 (symmetric material), \
             or RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD (a private key)",
        )
    })?;
    let wrapping_key_spec: WrappingKeySpec = p
        .required("WrappingKeySpec")?
        .parse()
        .map_err(|_| Error::invalid("WrappingKeySpec", "must be RSA_2048"))?;
    let params =
        kms.get_parameters_for_import(account_id, key_ref, algorithm, wrapping_key_spec)?;
    Ok(json!({
        "KeyId": params.key_id,
        "ImportToken": params.import_token,
        "PublicKey": base64_encode(&params.public_key_der),
        "TokenExpireTime": wire_time(params.token_expires_at),
    }))
}

fn import_key_material<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let key_ref = p.required("KeyId")?;
    let wrapped = p.base64("EncryptedKeyMaterial")?;
    let token = p.required("ImportToken")?;
    let expire = p.integer("KeyMaterialExpireUnix")?;
    kms.import_key_material(account_id, key_ref, &wrapped, token, expire)?;
    ok()
}

fn delete_key_material<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.delete_key_material(account_id, p.required("KeyId")?)?;
    ok()
}

fn encrypt<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let key_ref = p.required("KeyId")?;
    let plaintext = p.base64("Plaintext")?;
    let context = p.encryption_context()?;
    let out = kms.encrypt(account_id, key_ref, &plaintext, &context)?;
    Ok(json!({
        "CiphertextBlob": out.ciphertext_blob,
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
    }))
}

fn decrypt<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let out = kms.decrypt(
        account_id,
        p.required("CiphertextBlob")?,
        &p.encryption_context()?,
    )?;
    Ok(json!({
        "Plaintext": base64_encode(&out.plaintext),
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
    }))
}

fn generate_data_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let key_ref = p.required("KeyId")?;
    let size = DataKeySize {
        key_spec: p.named(
            "KeySpec",
            |s| match s {
                "AES_256" => Some(DataKeySpec::Aes256),
                "AES_128" => Some(DataKeySpec::Aes128),
                _ => None,
            },
            "must be AES_256 or AES_128",
        )?,
        number_of_bytes: p.integer("NumberOfBytes")?,
    };
    let out = kms.generate_data_key(account_id, key_ref, size, &p.encryption_context()?)?;
    Ok(json!({
        "CiphertextBlob": out.encrypted.ciphertext_blob,
        "Plaintext": base64_encode(&out.plaintext),
        "KeyId": out.encrypted.key_id,
        "KeyVersionId": out.encrypted.key_version_id,
    }))
}

fn enable_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.enable_key(account_id, p.required("KeyId")?)?;
    ok()
}

fn disable_key<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.disable_key(account_id, p.required("KeyId")?)?;
    ok()
}

fn schedule_key_deletion<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let key_ref = p.required("KeyId")?;
    let days = p
        .integer("PendingWindowInDays")?
        .ok_or(Error::MissingParameter("PendingWindowInDays".into()))?;
    kms.schedule_key_deletion(account_id, key_ref, days)?;
    ok()
}

fn cancel_key_deletion<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.cancel_key_deletion(account_id, p.required("KeyId")?)?;
    ok()
}

fn create_alias<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.create_alias(account_id, p.required("AliasName")?, p.required("KeyId")?)?;
    ok()
}

fn update_alias<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.update_alias(account_id, p.required("AliasName")?, p.required("KeyId")?)?;
    ok()
}

fn delete_alias<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    kms.delete_alias(account_id, p.required("AliasName")?)?;
    ok()
}

fn list_aliases<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    aliases_reply(kms, account_id, None, p)
}

fn list_aliases_by_key_id<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    aliases_reply(kms, account_id, Some(p.required("KeyId")?), p)
}

fn aliases_reply<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    key_ref: Option<&str>,
    p: &Params,
) -> Result<Value> {
    let page = kms.list_aliases(account_id, key_ref, paging(p)?)?;
    let aliases: Vec<Value> = page
        .items
        .iter()
        .map(|a| json!({ "AliasName": a.name, "AliasArn": a.arn, "KeyId": a.key_id }))
        .collect();
    Ok(with_page(json!({ "Aliases": { "Alias": aliases } }), &page))
}

fn update_key_description<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let description = p
        .get("Description")
        .ok_or(Error::MissingParameter("Description".into()))?;
    kms.update_key_description(account_id, p.required("KeyId")?, description)?;
    ok()
}

fn tag_resource<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    refuse_other_resources(p)?;
    let key_ref = p.required("KeyId")?;
    kms.tag_resource(account_id, key_ref, &json_tags(p.required("Tags")?)?)?;
    ok()
}

fn untag_resource<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    refuse_other_resources(p)?;
    let key_ref = p.required("KeyId")?;
    kms.untag_resource(account_id, key_ref, &json_tag_keys(p.required("TagKeys")?)?)?;
    ok()
}

/// TagResource and UntagResource also name secrets and certificates, which byok-kms does not
/// have: refused rather than ignored.
fn refuse_other_resources(p: &Params) -> Result<()> {
    for name in ["SecretName", "CertificateId"] {
        if p.optional(name).is_some() {
            return Err(Error::invalid(
                name,
                "byok-kms has keys only (no secrets or certificates): name the key with KeyId",
            ));
        }
    }
    Ok(())
}

fn list_resource_tags<S: Store>(kms: &Kms<S>, account_id: &str, p: &Params) -> Result<Value> {
    let tags: Vec<Value> = kms
        .list_resource_tags(account_id, p.required("KeyId")?)?
        .into_iter()
        .map(|t| json!({ "KeyId": t.key_id, "TagKey": t.tag.key, "TagValue": t.tag.value }))
        .collect();
    Ok(json!({ "Tags": { "Tag": tags } }))
}

/// `PageNumber` (default 1) and `PageSize` (default 10), as given: the core checks them.
pub(super) fn paging(p: &Params) -> Result<Paging> {
    Ok(Paging {
        number: p.integer("PageNumber")?.unwrap_or(1),
        size: p.integer("PageSize")?.unwrap_or(10),
    })
}

fn key_usage(name: &str) -> Option<KeyUsage> {
    KeyUsage::from_name(name)
}
