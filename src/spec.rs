//! The KMS vocabulary: wrapping algorithms, wrapping key specs and key specs, with their exact wire
//! names (Alibaba Cloud KMS API 2016-01-20, `GetParametersForImport` and `CreateKey`).

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, echoed};

/// How key material is encrypted under the wrapping public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WrappingAlgorithm {
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017 §7.1). The default and the recommendation.
    #[default]
    RsaesOaepSha256,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1 (RFC 8017 §7.1).
    RsaesOaepSha1,
    /// RSAES-PKCS1-v1_5 (RFC 8017 §7.2). Legacy: only used when the caller opts in.
    RsaesPkcs1V15,
}

impl WrappingAlgorithm {
    /// Every algorithm, recommended first.
    pub const ALL: [Self; 3] = [
        Self::RsaesOaepSha256,
        Self::RsaesOaepSha1,
        Self::RsaesPkcs1V15,
    ];

    /// The wire name, e.g. `RSAES_OAEP_SHA_256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
        }
    }

    /// Whether this is the legacy PKCS#1 v1.5 padding that needs an explicit opt-in.
    pub fn is_legacy(self) -> bool {
        self == Self::RsaesPkcs1V15
    }

    /// The longest message this algorithm can encrypt under a modulus of `modulus_len` bytes
    /// (RFC 8017: `k - 2hLen - 2` for OAEP, `k - 11` for PKCS#1 v1.5).
    pub fn max_message_len(self, modulus_len: usize) -> usize {
        let overhead = match self {
            Self::RsaesOaepSha256 => 2 * 32 + 2,
            Self::RsaesOaepSha1 => 2 * 20 + 2,
            Self::RsaesPkcs1V15 => 11,
        };
        modulus_len.saturating_sub(overhead)
    }
}

impl FromStr for WrappingAlgorithm {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.as_str() == name)
            .ok_or_else(|| Error::UnknownAlgorithm(echoed(name)))
    }
}

impl fmt::Display for WrappingAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of the RSA wrapping key pair. The KMS hands out `RSA_2048`; larger keys are accepted for
/// other KMSs and for local use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WrappingKeySpec {
    /// RSA with a 2048-bit modulus.
    #[default]
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
}

impl WrappingKeySpec {
    /// Every supported wrapping key spec, smallest first.
    pub const ALL: [Self; 3] = [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096];

    /// The wire name, e.g. `RSA_2048`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
        }
    }

    /// The modulus size in bits.
    pub fn bits(self) -> usize {
        match self {
            Self::Rsa2048 => 2048,
            Self::Rsa3072 => 3072,
            Self::Rsa4096 => 4096,
        }
    }

    /// The spec whose modulus has exactly `bits` bits, if there is one.
    pub fn from_bits(bits: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.bits() == bits)
    }
}

impl FromStr for WrappingKeySpec {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|spec| spec.as_str() == name)
            .ok_or_else(|| Error::UnknownWrappingKeySpec(echoed(name)))
    }
}

impl fmt::Display for WrappingKeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The spec of the symmetric key whose material is imported; it fixes the material's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeySpec {
    /// AES with a 256-bit key: 32 bytes of material. The default.
    #[default]
    AliyunAes256,
    /// AES with a 192-bit key: 24 bytes of material.
    AliyunAes192,
    /// AES with a 128-bit key: 16 bytes of material.
    AliyunAes128,
    /// SM4 (GB/T 32907-2016): 16 bytes of material.
    AliyunSm4,
}

impl KeySpec {
    /// Every key spec.
    pub const ALL: [Self; 4] = [
        Self::AliyunAes256,
        Self::AliyunAes192,
        Self::AliyunAes128,
        Self::AliyunSm4,
    ];

    /// The wire name, e.g. `Aliyun_AES_256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AliyunAes256 => "Aliyun_AES_256",
            Self::AliyunAes192 => "Aliyun_AES_192",
            Self::AliyunAes128 => "Aliyun_AES_128",
            Self::AliyunSm4 => "Aliyun_SM4",
        }
    }

    /// The length of this spec's key material in bytes.
    pub fn material_len(self) -> usize {
        match self {
            Self::AliyunAes256 => 32,
            Self::AliyunAes192 => 24,
            Self::AliyunAes128 | Self::AliyunSm4 => 16,
        }
    }
}

impl FromStr for KeySpec {
    type Err = Error;

    /// Accepts the wire names and the short forms `AES_256`, `AES_192`, `AES_128` and `SM4`.
    fn from_str(name: &str) -> Result<Self, Error> {
        let short = name.strip_prefix("Aliyun_").unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|spec| spec.as_str().strip_prefix("Aliyun_") == Some(short))
            .ok_or_else(|| Error::UnknownKeySpec(echoed(name)))
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
    fn wire_names_round_trip() {
        for algorithm in WrappingAlgorithm::ALL {
            assert_eq!(
                algorithm.as_str().parse::<WrappingAlgorithm>(),
                Ok(algorithm)
            );
        }
        for spec in WrappingKeySpec::ALL {
            assert_eq!(spec.to_string().parse::<WrappingKeySpec>(), Ok(spec));
        }
        for spec in KeySpec::ALL {
            assert_eq!(spec.to_string().parse::<KeySpec>(), Ok(spec));
        }
    }

    #[test]
    fn short_key_spec_names_are_accepted() {
        assert_eq!("AES_256".parse(), Ok(KeySpec::AliyunAes256));
        assert_eq!("AES_192".parse(), Ok(KeySpec::AliyunAes192));
        assert_eq!("AES_128".parse(), Ok(KeySpec::AliyunAes128));
        assert_eq!("SM4".parse(), Ok(KeySpec::AliyunSm4));
    }

    #[test]
    fn names_are_case_sensitive_like_the_wire() {
        assert!("aliyun_aes_256".parse::<KeySpec>().is_err());
        assert!("Aliyun_".parse::<KeySpec>().is_err());
        assert!("".parse::<KeySpec>().is_err());
        assert!("rsaes_oaep_sha_256".parse::<WrappingAlgorithm>().is_err());
        assert!("RSA_1024".parse::<WrappingKeySpec>().is_err());
    }

    #[test]
    fn message_limits_follow_rfc_8017() {
        assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(256), 190);
        assert_eq!(WrappingAlgorithm::RsaesOaepSha1.max_message_len(256), 214);
        assert_eq!(WrappingAlgorithm::RsaesPkcs1V15.max_message_len(256), 245);
        assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(512), 446);
    }
}
