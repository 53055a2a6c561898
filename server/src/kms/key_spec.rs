//! A key's spec as the server keeps it: one of byok-wrap's symmetric Alibaba specs, or an
//! asymmetric one (`RSA_2048` … `EC_P256K`, AWS's `ECC_NIST_P384`), with the usages each allows.

use core::fmt;
use core::ops::RangeInclusive;

use crate::crypto::asymmetric::AsymmetricSpec;
use crate::kms::key::KeyUsage;
use crate::kms::mac::HmacSpec;

/// The spec of a key: what its material is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// Symmetric material (AES, SM4): raw bytes.
    Symmetric(byok_wrap::KeySpec),
    /// An asymmetric key pair, imported as a PKCS#8 private key.
    Asymmetric(AsymmetricSpec),
    /// An HMAC secret (AWS's HMAC keys).
    Hmac(HmacSpec),
}

/// The asymmetric specs by stored name: Alibaba's CreateKey `KeySpec`, and AWS's for the spec
/// only AWS has (as HMAC specs are named). Which a cloud offers is its `Policy`'s.
const ASYMMETRIC: [(AsymmetricSpec, &str); 6] = [
    (AsymmetricSpec::Rsa2048, "RSA_2048"),
    (AsymmetricSpec::Rsa3072, "RSA_3072"),
    (AsymmetricSpec::Rsa4096, "RSA_4096"),
    (AsymmetricSpec::EcP256, "EC_P256"),
    (AsymmetricSpec::EcP256K, "EC_P256K"),
    (AsymmetricSpec::EcP384, "ECC_NIST_P384"),
];

impl Default for KeySpec {
    fn default() -> Self {
        Self::Symmetric(byok_wrap::KeySpec::AliyunAes256)
    }
}

impl KeySpec {
    /// The wire name, as stored (`Aliyun_AES_256`, `RSA_2048`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symmetric(spec) => spec.as_str(),
            Self::Asymmetric(spec) => ASYMMETRIC
                .iter()
                .find(|(s, _)| *s == spec)
                .map_or("", |(_, name)| name),
            Self::Hmac(spec) => spec.as_str(),
        }
    }

    /// The spec of a wire name: the symmetric names (and their short forms) and the asymmetric
    /// ones. `EC_SM2` is not one (see [`KeySpec::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        ASYMMETRIC
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(spec, _)| Self::Asymmetric(*spec))
            .or_else(|| HmacSpec::from_name(name).map(Self::Hmac))
            .or_else(|| name.parse().ok().map(Self::Symmetric))
    }

    /// What a name that is no spec must be instead. Alibaba's `EC_SM2` is refused: no maintained
    /// Rust crate offers a constant-time SM2.
    pub const NAMES: &'static str = "must be Aliyun_AES_256, Aliyun_AES_192, Aliyun_AES_128, \
        Aliyun_SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256 or EC_P256K (EC_SM2 is not supported: \
        byok-kms has no constant-time SM2 implementation)";

    /// The symmetric spec, if the key is symmetric.
    pub fn symmetric(self) -> Option<byok_wrap::KeySpec> {
        match self {
            Self::Symmetric(spec) => Some(spec),
            Self::Asymmetric(_) | Self::Hmac(_) => None,
        }
    }

    /// The asymmetric spec, if the key is asymmetric.
    pub fn asymmetric(self) -> Option<AsymmetricSpec> {
        match self {
            Self::Asymmetric(spec) => Some(spec),
            Self::Symmetric(_) | Self::Hmac(_) => None,
        }
    }

    /// The HMAC spec, if the key is an HMAC key.
    pub fn hmac(self) -> Option<HmacSpec> {
        match self {
            Self::Hmac(spec) => Some(spec),
            Self::Symmetric(_) | Self::Asymmetric(_) => None,
        }
    }

    /// The lengths of material a key of this spec takes, in bytes (an HMAC key's from its
    /// digest's length to its block size); `None` for an asymmetric key, whose material is a
    /// private key.
    pub fn material_lengths(self) -> Option<RangeInclusive<usize>> {
        match self {
            Self::Symmetric(spec) => Some(spec.material_len()..=spec.material_len()),
            Self::Hmac(spec) => Some(spec.material_lengths()),
            Self::Asymmetric(_) => None,
        }
    }

    /// The usage a key of this spec gets when CreateKey names none: Alibaba's default is
    /// SIGN/VERIFY for every key that can sign, ENCRYPT/DECRYPT otherwise.
    pub fn default_usage(self) -> KeyUsage {
        match self {
            Self::Symmetric(_) => KeyUsage::EncryptDecrypt,
            Self::Asymmetric(_) => KeyUsage::SignVerify,
            Self::Hmac(_) => KeyUsage::GenerateVerifyMac,
        }
    }

    /// Whether a key of this spec may have `usage`: symmetric keys encrypt, EC keys sign, RSA
    /// keys do either.
    pub fn allows(self, usage: KeyUsage) -> bool {
        match self {
            Self::Symmetric(_) => usage == KeyUsage::EncryptDecrypt,
            Self::Asymmetric(spec) => {
                usage != KeyUsage::GenerateVerifyMac
                    && (spec.rsa_bits().is_some() || usage == KeyUsage::SignVerify)
            }
            Self::Hmac(_) => usage == KeyUsage::GenerateVerifyMac,
        }
    }
}

impl From<byok_wrap::KeySpec> for KeySpec {
    fn from(spec: byok_wrap::KeySpec) -> Self {
        Self::Symmetric(spec)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_usages_follow_the_spec() {
        for (spec, name) in ASYMMETRIC {
            let spec = KeySpec::Asymmetric(spec);
            assert_eq!(KeySpec::from_name(name), Some(spec));
            assert_eq!(spec.as_str(), name);
            assert!(spec.allows(KeyUsage::SignVerify));
            assert_eq!(spec.default_usage(), KeyUsage::SignVerify);
        }
        for spec in byok_wrap::KeySpec::ALL {
            let spec = KeySpec::Symmetric(spec);
            assert_eq!(KeySpec::from_name(spec.as_str()), Some(spec));
            assert!(!spec.allows(KeyUsage::SignVerify));
        }
        assert!(
            KeySpec::from_name("RSA_2048")
                .unwrap()
                .allows(KeyUsage::EncryptDecrypt)
        );
        assert!(
            !KeySpec::from_name("EC_P256")
                .unwrap()
                .allows(KeyUsage::EncryptDecrypt)
        );
        assert_eq!(KeySpec::from_name("EC_SM2"), None);
    }
}
