//! Where the clouds' rules differ, as named policies: each front door passes the [`Policy`] of
//! the API it speaks, and the core applies it. Everything not named here is one rule for every
//! door (the state table, the same-material rule, token lifetime: 24 hours on both clouds).

use core::ops::RangeInclusive;

use byok_wrap::spec::Cloud;
use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};

use crate::crypto::asymmetric::{AsymmetricSpec, SigningAlgorithm};

use crate::kms::error::{Argument, Error, Result};
use crate::kms::rules;
use crate::kms::rules::TagRules;

/// One cloud API's variant of the rules that differ between clouds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Whose wrapping algorithms (byok-wrap's spec table) an import may use.
    pub cloud: Cloud,
    /// The pending window of ScheduleKeyDeletion, in days.
    pub pending_window_days: RangeInclusive<i64>,
    /// The pending window when the request gives none; `None`: it must give one.
    pub default_pending_window_days: Option<i64>,
    /// The wrapping key sizes GetParametersForImport hands out.
    pub wrapping_key_specs: &'static [WrappingKeySpec],
    /// Whether symmetric material may be wrapped with a hybrid scheme (RSA-OAEP of an AES key,
    /// then AES key wrap of the material), besides RSA directly.
    pub hybrid_symmetric_import: bool,
    /// The expiration model of an import that names none.
    pub default_expiration: ExpirationModel,
    /// How far ahead imported material may expire, in seconds; `None` for no limit.
    pub max_material_validity: Option<i64>,
    /// Whether a key whose deletion is cancelled becomes Enabled (Alibaba) or Disabled (AWS),
    /// when it has material; without material it is PendingImport either way.
    pub cancelled_deletion_enables: bool,
    /// Whether GenerateDataKey must be given a size (AWS) or makes 32 bytes by default.
    pub data_key_size_required: bool,
    /// The alias name (after `alias/`) reserved for the cloud's own services, with its subtree.
    pub reserved_alias: &'static str,
    /// How many times a symmetric key with imported material may be rotated on demand (new
    /// material imported, then made current); 0: a key keeps its first material forever.
    pub max_material_rotations: usize,
    /// The limits on a key's tags.
    pub tags: TagRules,
    /// The wrapping algorithms an asymmetric key's private key may be imported with.
    pub private_key_import: &'static [WrappingAlgorithm],
    /// Whether the cloud has HMAC keys.
    pub hmac_keys: bool,
    /// The asymmetric key specs CreateKey offers.
    pub asymmetric_specs: &'static [AsymmetricSpec],
    /// The signing algorithms of asymmetric keys, in the order the cloud lists them; a key signs
    /// with those that fit its spec ([`Policy::signing_algorithms_of`]).
    pub signing_algorithms: &'static [SigningAlgorithm],
}

impl Policy {
    /// Alibaba Cloud KMS API 2016-01-20.
    pub const ALIBABA: Self = Self {
        cloud: Cloud::Alibaba,
        pending_window_days: rules::PENDING_WINDOW_DAYS,
        default_pending_window_days: None,
        wrapping_key_specs: &[WrappingKeySpec::Rsa2048],
        hybrid_symmetric_import: false,
        default_expiration: ExpirationModel::DoesNotExpire,
        max_material_validity: None,
        cancelled_deletion_enables: true,
        data_key_size_required: false,
        reserved_alias: "acs",
        max_material_rotations: 0,
        tags: TagRules::ALIBABA,
        private_key_import: &[WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad],
        hmac_keys: false,
        asymmetric_specs: &[
            AsymmetricSpec::Rsa2048,
            AsymmetricSpec::Rsa3072,
            AsymmetricSpec::Rsa4096,
            AsymmetricSpec::EcP256,
            AsymmetricSpec::EcP256K,
        ],
        // Alibaba's AsymmetricSign documents SHA-256 only (and SM2DSA, which byok-kms lacks).
        signing_algorithms: &[
            SigningAlgorithm::RsaPssSha256,
            SigningAlgorithm::RsaPkcs1Sha256,
            SigningAlgorithm::EcdsaSha256,
        ],
    };

    /// AWS KMS 2014-11-01: pending window 7–30 days (default 30), RSA-2048/3072/4096 wrapping
    /// keys, `RSA_AES_KEY_WRAP_*` for symmetric material, material that expires by default and
    /// at most 365 days ahead, a cancelled deletion leaves the key Disabled, data keys need a
    /// size, `alias/aws/` reserved, up to 10 on-demand rotations of imported material, P-384
    /// keys, and RSA signatures with SHA-256, SHA-384 or SHA-512 (listed as AWS lists them).
    pub const AWS: Self = Self {
        cloud: Cloud::Aws,
        pending_window_days: 7..=30,
        default_pending_window_days: Some(30),
        wrapping_key_specs: &[
            WrappingKeySpec::Rsa2048,
            WrappingKeySpec::Rsa3072,
            WrappingKeySpec::Rsa4096,
        ],
        hybrid_symmetric_import: true,
        default_expiration: ExpirationModel::Expires,
        max_material_validity: Some(365 * 86_400),
        cancelled_deletion_enables: false,
        data_key_size_required: true,
        reserved_alias: "aws",
        max_material_rotations: 10,
        tags: TagRules::AWS,
        private_key_import: &[
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingAlgorithm::RsaAesKeyWrapSha1,
        ],
        hmac_keys: true,
        asymmetric_specs: &[
            AsymmetricSpec::Rsa2048,
            AsymmetricSpec::Rsa3072,
            AsymmetricSpec::Rsa4096,
            AsymmetricSpec::EcP256,
            AsymmetricSpec::EcP384,
            AsymmetricSpec::EcP256K,
        ],
        signing_algorithms: &[
            SigningAlgorithm::RsaPkcs1Sha256,
            SigningAlgorithm::RsaPkcs1Sha384,
            SigningAlgorithm::RsaPkcs1Sha512,
            SigningAlgorithm::RsaPssSha256,
            SigningAlgorithm::RsaPssSha384,
            SigningAlgorithm::RsaPssSha512,
            SigningAlgorithm::EcdsaSha256,
            SigningAlgorithm::EcdsaSha384,
        ],
    };

    /// The pending window of a ScheduleKeyDeletion, in days: as given, or the default.
    pub fn pending_window(&self, days: Option<i64>) -> Result<i64> {
        let days = days
            .or(self.default_pending_window_days)
            .ok_or(Error::MissingArgument(Argument::PendingWindow))?;
        if self.pending_window_days.contains(&days) {
            Ok(days)
        } else {
            Err(Error::invalid(
                Argument::PendingWindow,
                format!(
                    "must be a whole number of days from {} to {}",
                    self.pending_window_days.start(),
                    self.pending_window_days.end()
                ),
            ))
        }
    }

    /// The signing algorithms of a key of `spec` under this cloud, in the cloud's order.
    pub fn signing_algorithms_of(&self, spec: AsymmetricSpec) -> Vec<SigningAlgorithm> {
        self.signing_algorithms
            .iter()
            .copied()
            .filter(|a| a.fits(spec))
            .collect()
    }

    /// When imported material expires (Unix seconds; `None` for never), from an import's
    /// `expiry` at `now`.
    pub fn material_expiry(&self, expiry: MaterialExpiry, now: i64) -> Result<Option<i64>> {
        match (
            expiry.model.unwrap_or(self.default_expiration),
            expiry.valid_to,
        ) {
            (ExpirationModel::DoesNotExpire, None) => Ok(None),
            (ExpirationModel::DoesNotExpire, Some(_)) => Err(Error::invalid(
                Argument::MaterialExpiry,
                "must not be set when the material does not expire \
                 (ExpirationModel KEY_MATERIAL_DOES_NOT_EXPIRE)",
            )),
            (ExpirationModel::Expires, None) => Err(Error::invalid(
                Argument::MaterialExpiry,
                "a validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            )),
            (ExpirationModel::Expires, Some(at)) if at <= now => Err(Error::invalid(
                Argument::MaterialExpiry,
                "must be in the future",
            )),
            (ExpirationModel::Expires, Some(at)) => match self.max_material_validity {
                Some(max) if at - now > max => Err(Error::invalid(
                    Argument::MaterialExpiry,
                    format!("must be at most {} days in the future", max / 86_400),
                )),
                _ => Ok(Some(at)),
            },
        }
    }
}

/// Whether imported material expires (AWS's `ExpirationModel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirationModel {
    /// It expires at a given time (`KEY_MATERIAL_EXPIRES`).
    Expires,
    /// It never expires (`KEY_MATERIAL_DOES_NOT_EXPIRE`).
    DoesNotExpire,
}

/// What an import says about the material's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MaterialExpiry {
    /// The model; `None` for the policy's default.
    pub model: Option<ExpirationModel>,
    /// When it expires (Unix seconds).
    pub valid_to: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_windows_differ_by_cloud() {
        assert_eq!(Policy::AWS.pending_window(None).unwrap(), 30);
        assert!(Policy::AWS.pending_window(Some(31)).is_err());
        assert!(Policy::AWS.pending_window(Some(6)).is_err());
        assert_eq!(Policy::ALIBABA.pending_window(Some(366)).unwrap(), 366);
        assert!(matches!(
            Policy::ALIBABA.pending_window(None),
            Err(Error::MissingArgument(Argument::PendingWindow))
        ));
    }

    #[test]
    fn signing_algorithms_differ_by_cloud() {
        use SigningAlgorithm as A;
        assert_eq!(
            Policy::AWS.signing_algorithms_of(AsymmetricSpec::Rsa3072),
            [
                A::RsaPkcs1Sha256,
                A::RsaPkcs1Sha384,
                A::RsaPkcs1Sha512,
                A::RsaPssSha256,
                A::RsaPssSha384,
                A::RsaPssSha512
            ]
        );
        assert_eq!(
            Policy::AWS.signing_algorithms_of(AsymmetricSpec::EcP384),
            [A::EcdsaSha384]
        );
        assert_eq!(
            Policy::AWS.signing_algorithms_of(AsymmetricSpec::EcP256K),
            [A::EcdsaSha256]
        );
        assert_eq!(
            Policy::ALIBABA.signing_algorithms_of(AsymmetricSpec::Rsa2048),
            [A::RsaPssSha256, A::RsaPkcs1Sha256]
        );
        assert!(
            !Policy::ALIBABA
                .asymmetric_specs
                .contains(&AsymmetricSpec::EcP384)
        );
        // Every algorithm a cloud lists fits some spec it offers.
        for policy in [Policy::AWS, Policy::ALIBABA] {
            for a in policy.signing_algorithms {
                assert!(policy.asymmetric_specs.iter().any(|s| a.fits(*s)), "{a:?}");
            }
        }
    }

    #[test]
    fn aws_material_expires_by_default_within_a_year() {
        let now = 1_000_000;
        let expiry = |model, valid_to| MaterialExpiry { model, valid_to };
        let aws = Policy::AWS;
        assert!(aws.material_expiry(expiry(None, None), now).is_err());
        assert_eq!(
            aws.material_expiry(expiry(None, Some(now + 60)), now)
                .unwrap(),
            Some(now + 60)
        );
        assert!(aws.material_expiry(expiry(None, Some(now)), now).is_err());
        assert!(
            aws.material_expiry(expiry(None, Some(now + 366 * 86_400)), now)
                .is_err()
        );
        let never = Some(ExpirationModel::DoesNotExpire);
        assert_eq!(aws.material_expiry(expiry(never, None), now).unwrap(), None);
        assert!(
            aws.material_expiry(expiry(never, Some(now + 60)), now)
                .is_err()
        );
        assert_eq!(
            Policy::ALIBABA
                .material_expiry(expiry(None, None), now)
                .unwrap(),
            None
        );
    }
}
