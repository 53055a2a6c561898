//! The rules of seeds that the API has no call for: the form of a key id and of an access key,
//! material checked against its key, and what a stored key must agree on.

use zeroize::Zeroizing;

use super::{SeedAccessKey, SeedError, SeedKey, SeedMaterial, SeedResult};
use crate::kms::error::Error;
use crate::kms::import::private_key;
use crate::kms::key::{Key, Origin};
use crate::kms::key_spec::KeySpec;

/// Material that fits its key. Wiped on drop.
pub(super) struct CheckedMaterial {
    /// What is sealed: the material, or the private key's PKCS#8 DER.
    pub material: Zeroizing<Vec<u8>>,
    /// What the same-material rule fingerprints: the material, or the public key.
    pub identifying: Zeroizing<Vec<u8>>,
}

/// The key as stored and the key as the seed makes it must agree on what cannot change.
pub(super) fn check_agrees(entry: &str, stored: &Key, seeded: &Key) -> SeedResult<()> {
    let differ = |what: &str, has: &str, seed: &str| {
        Err(SeedError::conflict(
            entry,
            format!(
                "the key exists with {what} {has}, not {seed}; a key's {what} never changes: \
                 give {has}, or a new keyId"
            ),
        ))
    };
    if stored.key_spec != seeded.key_spec {
        return differ(
            "key spec",
            stored.key_spec.as_str(),
            seeded.key_spec.as_str(),
        );
    }
    if stored.usage != seeded.usage {
        return differ("key usage", stored.usage.name(), seeded.usage.name());
    }
    if stored.origin != seeded.origin {
        return differ("origin", stored.origin.name(), seeded.origin.name());
    }
    Ok(())
}

/// A seeded key's material, checked against the key (`key`, as the seed makes it): what to seal
/// and what identifies it for the same-material rule.
pub(super) fn checked_material(
    entry: &str,
    key: &Key,
    seeded: &SeedKey,
) -> SeedResult<Option<CheckedMaterial>> {
    let Some(material) = &seeded.material else {
        return Ok(None);
    };
    if key.origin != Origin::External {
        return Err(SeedError::invalid(
            entry,
            format!(
                "a key whose origin is {} gets material the KMS generates; give origin \
                 EXTERNAL to seed known material",
                key.origin.name()
            ),
        ));
    }
    match (material, key.key_spec) {
        (SeedMaterial::Bytes(bytes), spec) => {
            let Some(lengths) = spec.material_lengths() else {
                return Err(SeedError::invalid(
                    entry,
                    format!("a {spec} key takes a privateKey, not material"),
                ));
            };
            if !lengths.contains(&bytes.len()) {
                let wanted = if lengths.start() == lengths.end() {
                    format!("{}", lengths.start())
                } else {
                    format!("{} to {}", lengths.start(), lengths.end())
                };
                return Err(SeedError::invalid(
                    entry,
                    format!(
                        "the material is {} bytes, but a key of spec {spec} takes {wanted} bytes",
                        bytes.len()
                    ),
                ));
            }
            Ok(Some(CheckedMaterial {
                material: bytes.clone(),
                identifying: bytes.clone(),
            }))
        }
        (SeedMaterial::PrivateKey(pkcs8), KeySpec::Asymmetric(spec)) => {
            let checked =
                private_key::check(spec, key.usage, Some(pkcs8.clone())).map_err(|e| match e {
                    Error::InvalidKeyMaterial => SeedError::invalid(
                        entry,
                        format!(
                            "the privateKey is not a usable {} private key",
                            key.key_spec
                        ),
                    ),
                    e => SeedError::at(entry, e),
                })?;
            Ok(Some(CheckedMaterial {
                material: checked.pkcs8,
                identifying: Zeroizing::new(checked.public_der),
            }))
        }
        (SeedMaterial::PrivateKey(_), spec) => Err(SeedError::invalid(
            entry,
            format!("a {spec} key takes material (base64), not a privateKey"),
        )),
    }
}

/// A key id a seed gives: a UUID in lowercase, as byok-kms makes them.
pub(super) fn check_key_id(entry: &str, id: &str) -> SeedResult<()> {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let hex = id
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'));
    if lengths == [8, 4, 4, 4, 12] && hex {
        Ok(())
    } else {
        Err(SeedError::invalid(
            entry,
            "a keyId must be a UUID in lowercase, such as \
             1234abcd-12ab-34cd-56ef-1234567890ab",
        ))
    }
}

/// An access key a seed gives: an id that signatures can carry as it is, a secret of printable
/// characters.
pub(super) fn check_access_key(entry: &str, pair: &SeedAccessKey) -> SeedResult<()> {
    if pair.id.is_empty()
        || pair.id.len() > 128
        || !pair.id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(SeedError::invalid(
            entry,
            "an access key id must be 1 to 128 ASCII letters and digits",
        ));
    }
    let secret = pair.secret.as_bytes();
    if secret.is_empty() || secret.len() > 256 || !secret.iter().all(|b| b.is_ascii_graphic()) {
        return Err(SeedError::invalid(
            entry,
            "its secret must be 1 to 256 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_lowercase_uuids() {
        assert!(check_key_id("k", "1234abcd-12ab-34cd-56ef-1234567890ab").is_ok());
        for bad in [
            "",
            "1234ABCD-12ab-34cd-56ef-1234567890ab",
            "1234abcd12ab34cd56ef1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "alias/app",
            "1234abcg-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(check_key_id("k", bad).is_err(), "{bad}");
        }
    }
}
