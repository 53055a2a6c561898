//! The operations of AWS KMS 2014-11-01 this door serves: JSON members in, one [`Kms`] call
//! under [`Policy::AWS`], JSON out (member names as botocore's service model spells them).
//! Nothing here decides what a rule would: each handler reads its members, turns wire names
//! into the core's types, and renders.

use serde_json::{Value, json};

use super::asymmetric::{get_public_key, sign, verify};
use super::data::{
    decrypt, encrypt, generate_data_key, generate_data_key_without_plaintext, re_encrypt,
};
use super::error::{Error, Result};
use super::import::{
    delete_imported_key_material, get_parameters_for_import, import_key_material,
    list_key_rotations, rotate_key_on_demand,
};
use super::input::Input;
use super::mac::{generate_mac, verify_mac};
use super::reply::{key_metadata, parse_key_spec, with_marker};
use super::tags::{list_resource_tags, tag_resource, untag_resource};
use crate::kms::key::{KeyUsage, Origin};
use crate::kms::rules::{PAGE_SIZES, echo};
use crate::kms::{CreateKey, Kms, Operation, Paging, Policy};
use crate::store::Store;

/// A handler: the caller's account and the members in, the reply out.
type Handler<S> = fn(&Kms<S>, &str, &Input) -> Result<Value>;

/// The cloud rules this door applies.
pub(super) const POLICY: &Policy = &Policy::AWS;

/// One operation: its name (after `TrentService.`), the kind of work it does (for the HTTP
/// layer's choice of thread), its handler and the members it takes.
pub struct Entry<S: Store> {
    /// The operation's name.
    pub name: &'static str,
    /// What kind of work it does.
    pub operation: Operation,
    /// Its handler.
    pub handler: Handler<S>,
    /// The members it takes; any other is refused.
    pub members: &'static [&'static str],
}

/// Every operation this door serves.
pub fn operations<S: Store>() -> [Entry<S>; 30] {
    use Operation::{HandOutWrappingKey, Read, Write};
    let entry = |name, operation, handler: Handler<S>, members| Entry {
        name,
        operation,
        handler,
        members,
    };
    const KEY: &[&str] = &["KeyId"];
    const SIGN: &[&str] = &[
        "KeyId",
        "Message",
        "MessageType",
        "SigningAlgorithm",
        "GrantTokens",
        "DryRun",
    ];
    const VERIFY: &[&str] = &[
        "KeyId",
        "Message",
        "MessageType",
        "Signature",
        "SigningAlgorithm",
        "GrantTokens",
        "DryRun",
    ];
    const DATA_KEY: &[&str] = &[
        "KeyId",
        "KeySpec",
        "NumberOfBytes",
        "EncryptionContext",
        "GrantTokens",
    ];
    [
        entry(
            "CreateKey",
            Write,
            create_key,
            &[
                "Description",
                "KeyUsage",
                "KeySpec",
                "CustomerMasterKeySpec",
                "Origin",
                "Tags",
                "MultiRegion",
            ],
        ),
        entry("DescribeKey", Read, describe_key, &["KeyId", "GrantTokens"]),
        entry("ListKeys", Read, list_keys, &["Limit", "Marker"]),
        entry(
            "GetParametersForImport",
            HandOutWrappingKey,
            get_parameters_for_import,
            &["KeyId", "WrappingAlgorithm", "WrappingKeySpec"],
        ),
        entry(
            "ImportKeyMaterial",
            Write,
            import_key_material,
            &[
                "KeyId",
                "ImportToken",
                "EncryptedKeyMaterial",
                "ValidTo",
                "ExpirationModel",
                "ImportType",
                "KeyMaterialDescription",
                "KeyMaterialId",
            ],
        ),
        entry(
            "DeleteImportedKeyMaterial",
            Write,
            delete_imported_key_material,
            &["KeyId", "KeyMaterialId"],
        ),
        entry("RotateKeyOnDemand", Write, rotate_key_on_demand, KEY),
        entry(
            "ListKeyRotations",
            Read,
            list_key_rotations,
            &["KeyId", "IncludeKeyMaterial", "Limit", "Marker"],
        ),
        entry(
            "Encrypt",
            Read,
            encrypt,
            &[
                "KeyId",
                "Plaintext",
                "EncryptionContext",
                "EncryptionAlgorithm",
                "GrantTokens",
            ],
        ),
        entry(
            "Decrypt",
            Read,
            decrypt,
            &[
                "KeyId",
                "CiphertextBlob",
                "EncryptionContext",
                "EncryptionAlgorithm",
                "GrantTokens",
            ],
        ),
        entry(
            "ReEncrypt",
            Read,
            re_encrypt,
            &[
                "CiphertextBlob",
                "SourceEncryptionContext",
                "SourceKeyId",
                "DestinationKeyId",
                "DestinationEncryptionContext",
                "SourceEncryptionAlgorithm",
                "DestinationEncryptionAlgorithm",
                "GrantTokens",
            ],
        ),
        entry("GenerateDataKey", Read, generate_data_key, DATA_KEY),
        entry(
            "GenerateDataKeyWithoutPlaintext",
            Read,
            generate_data_key_without_plaintext,
            DATA_KEY,
        ),
        entry("EnableKey", Write, enable_key, KEY),
        entry("DisableKey", Write, disable_key, KEY),
        entry(
            "ScheduleKeyDeletion",
            Write,
            schedule_key_deletion,
            &["KeyId", "PendingWindowInDays"],
        ),
        entry("CancelKeyDeletion", Write, cancel_key_deletion, KEY),
        entry(
            "CreateAlias",
            Write,
            create_alias,
            &["AliasName", "TargetKeyId"],
        ),
        entry(
            "UpdateAlias",
            Write,
            update_alias,
            &["AliasName", "TargetKeyId"],
        ),
        entry("DeleteAlias", Write, delete_alias, &["AliasName"]),
        entry(
            "ListAliases",
            Read,
            list_aliases,
            &["KeyId", "Limit", "Marker"],
        ),
        entry(
            "UpdateKeyDescription",
            Write,
            update_key_description,
            &["KeyId", "Description"],
        ),
        entry(
            "GetPublicKey",
            Read,
            get_public_key,
            &["KeyId", "GrantTokens"],
        ),
        entry("Sign", Read, sign, SIGN),
        entry("Verify", Read, verify, VERIFY),
        entry(
            "GenerateMac",
            Read,
            generate_mac,
            &["KeyId", "Message", "MacAlgorithm", "GrantTokens", "DryRun"],
        ),
        entry(
            "VerifyMac",
            Read,
            verify_mac,
            &[
                "KeyId",
                "Message",
                "MacAlgorithm",
                "Mac",
                "GrantTokens",
                "DryRun",
            ],
        ),
        entry("TagResource", Write, tag_resource, &["KeyId", "Tags"]),
        entry(
            "UntagResource",
            Write,
            untag_resource,
            &["KeyId", "TagKeys"],
        ),
        entry(
            "ListResourceTags",
            Read,
            list_resource_tags,
            &["KeyId", "Limit", "Marker"],
        ),
    ]
}

pub(super) fn empty() -> Result<Value> {
    Ok(json!({}))
}

/// A wire name parsed by `parse`; `allowed` says what may be given when it fails.
pub(super) fn named<T>(
    input: &Input,
    member: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>> {
    input
        .string(member)?
        .map(|v| {
            parse(v).ok_or_else(|| {
                Error::validation(format!("{member} {:?} is not valid: {allowed}", echo(v)))
            })
        })
        .transpose()
}

fn create_key<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let allowed_spec = "byok-kms serves SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, \
                        ECC_NIST_P256, ECC_NIST_P384, ECC_SECG_P256K1 and HMAC_224 to HMAC_512 \
                        keys on this API (not ECC_NIST_P521, ECC_NIST_EDWARDS25519, ML_DSA_* or \
                        SM2)";
    let spec = named(input, "KeySpec", parse_key_spec, allowed_spec)?;
    let legacy = named(input, "CustomerMasterKeySpec", parse_key_spec, allowed_spec)?;
    if input.boolean("MultiRegion")? == Some(true) {
        return Err(Error::validation(
            "MultiRegion keys are not supported by byok-kms",
        ));
    }
    let request = CreateKey {
        description: input.string("Description")?.unwrap_or_default().to_owned(),
        key_spec: spec.or(legacy).unwrap_or_default(),
        key_usage: named(
            input,
            "KeyUsage",
            |u| match u {
                "ENCRYPT_DECRYPT" => Some(KeyUsage::EncryptDecrypt),
                "SIGN_VERIFY" => Some(KeyUsage::SignVerify),
                "GENERATE_VERIFY_MAC" => Some(KeyUsage::GenerateVerifyMac),
                _ => None,
            },
            "byok-kms serves ENCRYPT_DECRYPT, SIGN_VERIFY and GENERATE_VERIFY_MAC keys",
        )?,
        origin: named(
            input,
            "Origin",
            |o| match o {
                "AWS_KMS" => Some(Origin::Kms),
                "EXTERNAL" => Some(Origin::External),
                _ => None,
            },
            "must be AWS_KMS or EXTERNAL",
        )?
        .unwrap_or_default(),
        protection_level: Default::default(),
        tags: input.tags()?,
    };
    let metadata = kms.create_key_under(POLICY, account_id, &request)?;
    Ok(json!({ "KeyMetadata": key_metadata(kms, account_id, &metadata) }))
}

fn describe_key<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let metadata = kms.describe_key(account_id, input.required("KeyId")?)?;
    Ok(json!({ "KeyMetadata": key_metadata(kms, account_id, &metadata) }))
}

fn list_keys<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let page = kms.list_keys(account_id, paging(input)?)?;
    let keys: Vec<Value> = page
        .items
        .iter()
        .map(|k| json!({ "KeyId": k.key_id, "KeyArn": kms.aws_key_arn(account_id, &k.key_id) }))
        .collect();
    Ok(with_marker(json!({ "Keys": keys }), &page))
}

fn enable_key<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    kms.enable_key(account_id, input.required("KeyId")?)?;
    empty()
}

fn disable_key<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    kms.disable_key(account_id, input.required("KeyId")?)?;
    empty()
}

fn schedule_key_deletion<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let key_ref = input.required("KeyId")?;
    let days = input.integer("PendingWindowInDays")?;
    let m = kms.schedule_key_deletion_under(POLICY, account_id, key_ref, days)?;
    let deletion = m.delete_date.unwrap_or_default();
    Ok(json!({
        "KeyId": kms.aws_key_arn(account_id, &m.key_id),
        "DeletionDate": deletion,
        "KeyState": m.state.name(),
        "PendingWindowInDays": (deletion - kms.now() + 43_200) / 86_400,
    }))
}

fn cancel_key_deletion<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let m = kms.cancel_key_deletion_under(POLICY, account_id, input.required("KeyId")?)?;
    Ok(json!({ "KeyId": kms.aws_key_arn(account_id, &m.key_id) }))
}

fn create_alias<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    kms.create_alias_under(
        POLICY,
        account_id,
        input.required("AliasName")?,
        input.required("TargetKeyId")?,
    )?;
    empty()
}

fn update_alias<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    kms.update_alias(
        account_id,
        input.required("AliasName")?,
        input.required("TargetKeyId")?,
    )?;
    empty()
}

fn delete_alias<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    kms.delete_alias(account_id, input.required("AliasName")?)?;
    empty()
}

fn list_aliases<S: Store>(kms: &Kms<S>, account_id: &str, input: &Input) -> Result<Value> {
    let key_ref = input.string("KeyId")?.filter(|k| !k.is_empty());
    let page = kms.list_aliases(account_id, key_ref, paging(input)?)?;
    let aliases: Vec<Value> = page
        .items
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name,
                "AliasArn": kms.aws_alias_arn(account_id, &a.name),
                "TargetKeyId": a.key_id,
            })
        })
        .collect();
    Ok(with_marker(json!({ "Aliases": aliases }), &page))
}

fn update_key_description<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    let description = input
        .string("Description")?
        .ok_or_else(|| Error::validation("Description is required (it may be empty)"))?;
    kms.update_key_description(account_id, input.required("KeyId")?, description)?;
    empty()
}

/// `Limit` (1 to 1000, default 100) and `Marker` (the `NextMarker` of the page before, which
/// this door writes as the next page's number). AWS may return fewer items than `Limit`: a page
/// here has at most as many as the core's largest page.
pub(super) fn paging(input: &Input) -> Result<Paging> {
    let limit = input.integer("Limit")?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::validation("Limit must be from 1 to 1000"));
    }
    let number = match input.string("Marker")? {
        None => 1,
        Some(marker) => marker
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::validation("Marker is not a NextMarker this server wrote"))?,
    };
    let largest = i64::try_from(*PAGE_SIZES.end()).unwrap_or(100);
    Ok(Paging {
        number,
        size: limit.min(largest),
    })
}
