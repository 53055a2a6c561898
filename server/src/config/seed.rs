//! `--seed FILE`: the JSON file of a known world, read into the core's [`Seed`]. This converts
//! and decides nothing: every rule is checked when the core applies the seed.
//!
//! ```json
//! {"accounts": [{"accessKeyId": "LTAI…", "accessKeySecret": "…",
//!                "awsAccessKeyId": "AKIA…", "awsSecretAccessKey": "…",
//!                "keys": [{"keyId": "…", "keySpec": "Aliyun_AES_256", "origin": "EXTERNAL",
//!                          "description": "…", "aliases": ["alias/app"],
//!                          "tags": {"team": "payments"}, "material": "<base64>",
//!                          "materialExpireUnix": 0}]}]}
//! ```
//!
//! - `keySpec` is a name of either cloud (`Aliyun_AES_256`, `SYMMETRIC_DEFAULT`, `RSA_2048`,
//!   `EC_P256`, `ECC_NIST_P256`, `HMAC_256`, …). The key is made under the rules of `cloud`
//!   (`"alibaba"` or `"aws"`: tag limits, reserved aliases, HMAC keys, how far material may
//!   expire); without it, under AWS's for a name only AWS's API has (`SYMMETRIC_DEFAULT`,
//!   `ECC_…`, `HMAC_…`), Alibaba's otherwise. Either door serves the key.
//! - `origin` is `EXTERNAL` (the default), `Aliyun_KMS` or `AWS_KMS`; `keyUsage` either cloud's
//!   name (`ENCRYPT/DECRYPT` or `ENCRYPT_DECRYPT`, …), by default what the spec is for.
//! - `material` (base64) or `privateKey` (PEM: PKCS#8, PKCS#1 or SEC 1) is bound as the key's
//!   first material; without either an EXTERNAL key is PendingImport.
//!   `materialExpireUnix` (Unix seconds; 0 or absent: never) is when it expires.
//! - `tags` are stored in the order of their keys.
//!
//! Secrets (access key secrets, material, private keys) are read into zeroizing buffers, the
//! file's text included, and no message quotes them.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::kms::key::{KeyUsage, Origin};
use crate::kms::key_spec::KeySpec;
use crate::kms::rules::echo;
use crate::kms::seed::{Seed, SeedAccessKey, SeedAccount, SeedKey, SeedMaterial};
use crate::kms::{CreateKey, Policy, Tag};

/// Reads and parses the seed file at `path`.
pub fn load_seed(path: &Path) -> Result<Seed> {
    let text = std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| Error::File {
            what: "reading the seed file",
            path: path.to_owned(),
            source,
        })?;
    parse_seed(&text).map_err(|reason| Error::SeedFile {
        path: path.to_owned(),
        reason,
    })
}

/// Parses a seed from its JSON text; the error says where and what is wrong.
pub fn parse_seed(text: &[u8]) -> core::result::Result<Seed, String> {
    let file: SeedFile = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let accounts = file
        .accounts
        .into_iter()
        .enumerate()
        .map(|(i, account)| account.into_core(i))
        .collect::<core::result::Result<_, _>>()?;
    Ok(Seed { accounts })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedFile {
    accounts: Vec<AccountEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AccountEntry {
    access_key_id: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    access_key_secret: Option<Zeroizing<String>>,
    aws_access_key_id: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    aws_secret_access_key: Option<Zeroizing<String>>,
    #[serde(default)]
    keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyEntry {
    key_id: String,
    key_spec: String,
    key_usage: Option<String>,
    origin: Option<String>,
    cloud: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "secret")]
    material: Option<Zeroizing<String>>,
    #[serde(default, deserialize_with = "secret")]
    private_key: Option<Zeroizing<String>>,
    material_expire_unix: Option<i64>,
}

/// A secret string, moved straight into a zeroizing buffer.
fn secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> core::result::Result<Option<Zeroizing<String>>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(Zeroizing::new))
}

impl AccountEntry {
    fn into_core(self, i: usize) -> core::result::Result<SeedAccount, String> {
        let pair =
            |id: Option<String>, secret: Option<Zeroizing<String>>, names: &str| match (id, secret)
            {
                (Some(id), Some(secret)) => Ok(Some(SeedAccessKey { id, secret })),
                (None, None) => Ok(None),
                _ => Err(format!("accounts[{i}]: give both {names}, or neither")),
            };
        let keys = self
            .keys
            .into_iter()
            .enumerate()
            .map(|(j, key)| key.into_core(i, j))
            .collect::<core::result::Result<_, _>>()?;
        Ok(SeedAccount {
            access_key: pair(
                self.access_key_id,
                self.access_key_secret,
                "accessKeyId and accessKeySecret",
            )?,
            aws_access_key: pair(
                self.aws_access_key_id,
                self.aws_secret_access_key,
                "awsAccessKeyId and awsSecretAccessKey",
            )?,
            keys,
        })
    }
}

impl KeyEntry {
    fn into_core(self, i: usize, j: usize) -> core::result::Result<SeedKey, String> {
        let entry = format!("accounts[{i}].keys[{j}] (keyId {})", echo(&self.key_id));
        let key_spec = KeySpec::from_name(&self.key_spec)
            .or_else(|| crate::api::aws::reply::parse_key_spec(&self.key_spec))
            .ok_or_else(|| {
                format!(
                    "{entry}: keySpec {:?} is no key spec of either cloud ({}; or AWS's \
                     SYMMETRIC_DEFAULT, ECC_NIST_P256, ECC_SECG_P256K1, HMAC_224 to HMAC_512)",
                    echo(&self.key_spec),
                    KeySpec::NAMES
                )
            })?;
        let policy: &'static Policy = match self.cloud.as_deref() {
            Some("alibaba") => &Policy::ALIBABA,
            Some("aws") => &Policy::AWS,
            Some(other) => {
                return Err(format!(
                    "{entry}: cloud {:?} must be \"alibaba\" or \"aws\"",
                    echo(other)
                ));
            }
            // Alibaba's names, HMAC aside, are Alibaba's; the rest only AWS's API has.
            None if KeySpec::from_name(&self.key_spec).is_some_and(|s| s.hmac().is_none()) => {
                &Policy::ALIBABA
            }
            None => &Policy::AWS,
        };
        let origin = match self.origin.as_deref() {
            None | Some("EXTERNAL") => Origin::External,
            Some("Aliyun_KMS" | "AWS_KMS") => Origin::Kms,
            Some(other) => {
                return Err(format!(
                    "{entry}: origin {:?} must be EXTERNAL, Aliyun_KMS or AWS_KMS",
                    echo(other)
                ));
            }
        };
        let key_usage = match self.key_usage.as_deref() {
            None => None,
            Some("ENCRYPT/DECRYPT" | "ENCRYPT_DECRYPT") => Some(KeyUsage::EncryptDecrypt),
            Some("SIGN/VERIFY" | "SIGN_VERIFY") => Some(KeyUsage::SignVerify),
            Some("GENERATE_VERIFY_MAC") => Some(KeyUsage::GenerateVerifyMac),
            Some(other) => {
                return Err(format!(
                    "{entry}: keyUsage {:?} must be ENCRYPT/DECRYPT, SIGN/VERIFY or \
                     GENERATE_VERIFY_MAC (or AWS's ENCRYPT_DECRYPT, SIGN_VERIFY)",
                    echo(other)
                ));
            }
        };
        let material = match (self.material, self.private_key) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{entry}: give material (symmetric and HMAC keys) or privateKey \
                     (asymmetric keys), not both"
                ));
            }
            (Some(base64), None) => Some(SeedMaterial::Bytes(decode(&entry, &base64)?)),
            (None, Some(pem)) => {
                let key = byok_wrap::PrivateKeyMaterial::from_pem(&pem)
                    .map_err(|e| format!("{entry}: privateKey is not a PEM private key: {e}"))?;
                Some(SeedMaterial::PrivateKey(Zeroizing::new(
                    key.expose_secret().to_vec(),
                )))
            }
            (None, None) => None,
        };
        Ok(SeedKey {
            key_id: self.key_id,
            policy,
            request: CreateKey {
                description: self.description,
                key_spec,
                key_usage,
                origin,
                protection_level: Default::default(),
                tags: self
                    .tags
                    .into_iter()
                    .map(|(key, value)| Tag { key, value })
                    .collect(),
            },
            aliases: self.aliases,
            material,
            material_expire_at: self.material_expire_unix.filter(|at| *at != 0),
        })
    }
}

/// Base64 material into a zeroizing buffer, allocated once so no copy is left behind.
fn decode(entry: &str, base64: &str) -> core::result::Result<Zeroizing<Vec<u8>>, String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(base64.len()));
    STANDARD
        .decode_vec(base64.trim(), &mut bytes)
        .map_err(|_| format!("{entry}: material is not base64 (standard alphabet, padded)"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn key(fields: &str) -> String {
        format!(
            r#"{{"accounts":[{{"accessKeyId":"LTAIx","accessKeySecret":"s","keys":[{{"keyId":"{KEY_ID}",{fields}}}]}}]}}"#
        )
    }

    #[test]
    fn names_of_either_cloud_map_to_the_core_and_pick_the_policy() {
        for (spec, core, cloud) in [
            (
                "Aliyun_AES_256",
                "Aliyun_AES_256",
                byok_wrap::spec::Cloud::Alibaba,
            ),
            (
                "SYMMETRIC_DEFAULT",
                "Aliyun_AES_256",
                byok_wrap::spec::Cloud::Aws,
            ),
            ("RSA_2048", "RSA_2048", byok_wrap::spec::Cloud::Alibaba),
            ("ECC_NIST_P256", "EC_P256", byok_wrap::spec::Cloud::Aws),
            ("HMAC_256", "HMAC_256", byok_wrap::spec::Cloud::Aws),
        ] {
            let seed = parse_seed(key(&format!(r#""keySpec":"{spec}""#)).as_bytes()).unwrap();
            let k = &seed.accounts[0].keys[0];
            assert_eq!(k.request.key_spec.as_str(), core, "{spec}");
            assert_eq!(k.policy.cloud, cloud, "{spec}");
            assert_eq!(k.request.origin, Origin::External);
        }
        let seed = parse_seed(key(r#""keySpec":"SYMMETRIC_DEFAULT","cloud":"alibaba""#).as_bytes())
            .unwrap();
        assert_eq!(
            seed.accounts[0].keys[0].policy.cloud,
            byok_wrap::spec::Cloud::Alibaba
        );
    }

    #[test]
    fn material_is_decoded_and_zero_means_never() {
        let text = key(
            r#""keySpec":"Aliyun_AES_128","material":"AAECAwQFBgcICQoLDA0ODw==","materialExpireUnix":0"#,
        );
        let seed = parse_seed(text.as_bytes()).unwrap();
        let k = &seed.accounts[0].keys[0];
        assert!(matches!(&k.material, Some(SeedMaterial::Bytes(b)) if b.len() == 16));
        assert_eq!(k.material_expire_at, None);
    }

    #[test]
    fn what_does_not_parse_is_named() {
        for (text, says) in [
            ("{", "EOF"),
            (r#"{"accounts":[],"extra":1}"#, "unknown field `extra`"),
            (
                &key(r#""keySpec":"Aliyun_AES_256","colour":"red""#),
                "unknown field `colour`",
            ),
            (
                &key(r#""keySpec":"AES_999""#),
                "accounts[0].keys[0] (keyId 1234abcd",
            ),
            (
                &key(r#""keySpec":"Aliyun_AES_256","origin":"HSM""#),
                "origin \"HSM\"",
            ),
            (
                &key(r#""keySpec":"Aliyun_AES_256","cloud":"gcp""#),
                "cloud \"gcp\"",
            ),
            (
                &key(r#""keySpec":"Aliyun_AES_256","material":"not base64!""#),
                "not base64",
            ),
            (
                &key(r#""keySpec":"RSA_2048","privateKey":"nope""#),
                "not a PEM private key",
            ),
            (
                r#"{"accounts":[{"accessKeyId":"LTAIx"}]}"#,
                "accounts[0]: give both accessKeyId and accessKeySecret",
            ),
        ] {
            let error = parse_seed(text.as_bytes()).err().unwrap();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn no_message_quotes_a_secret() {
        let text = key(r#""keySpec":"Aliyun_AES_256","material":"c2VjcmV0LXNlY3JldA==!""#);
        let error = parse_seed(text.as_bytes()).err().unwrap();
        assert!(!error.contains("c2VjcmV0"), "{error}");
    }
}
