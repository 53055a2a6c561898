//! Key specs: what material each demands, symmetric bytes of a length or a private key of a type.

use core::fmt;
use core::ops::RangeInclusive;
use core::str::FromStr;

use crate::error::{Error, echoed};

use super::{ALIBABA, ALIBABA_AWS, AWS, Cloud, GOOGLE};

/// Alibaba Cloud's symmetric key specs (`CreateKey`'s `KeySpec`), each of which fixes the length
/// of its material. This is the key spec byok-kms serves; [`MaterialSpec`] names every cloud's.
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
        MaterialSpec::from(self).as_str()
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

/// Whether material is raw symmetric bytes or a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaterialKind {
    /// Symmetric key material: raw bytes (AES, SM4, HMAC keys).
    Symmetric,
    /// An asymmetric private key, wrapped as PKCS#8 DER.
    PrivateKey,
}

impl MaterialKind {
    /// `symmetric` or `privateKey`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symmetric => "symmetric",
            Self::PrivateKey => "privateKey",
        }
    }
}

/// The kinds of private key that can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrivateKeyType {
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// ECDSA on NIST P-256 (secp256r1).
    EcP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcP384,
    /// ECDSA on secp256k1.
    EcSecp256k1,
}

impl PrivateKeyType {
    /// Every supported type.
    pub const ALL: [Self; 6] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP384,
        Self::EcSecp256k1,
    ];

    /// A stable, readable name: `RSA-2048`, `EC P-256`, `EC secp256k1`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA-2048",
            Self::Rsa3072 => "RSA-3072",
            Self::Rsa4096 => "RSA-4096",
            Self::EcP256 => "EC P-256",
            Self::EcP384 => "EC P-384",
            Self::EcSecp256k1 => "EC secp256k1",
        }
    }

    /// The RSA type whose modulus has exactly `bits` bits.
    pub fn rsa(bits: usize) -> Option<Self> {
        match bits {
            2048 => Some(Self::Rsa2048),
            3072 => Some(Self::Rsa3072),
            4096 => Some(Self::Rsa4096),
            _ => None,
        }
    }
}

impl fmt::Display for PrivateKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a key spec demands of its material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaterialRequirement {
    /// Symmetric material of a length in this range (one length for most specs).
    Bytes(RangeInclusive<usize>),
    /// A private key of this type.
    PrivateKey(PrivateKeyType),
}

/// The key spec of the key that material is imported into, by its wire name in any cloud. It says
/// what the material must be: bytes of a length, or a private key of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaterialSpec {
    /// `Aliyun_AES_256` (Alibaba Cloud): 32 bytes.
    AliyunAes256,
    /// `Aliyun_AES_192` (Alibaba Cloud): 24 bytes.
    AliyunAes192,
    /// `Aliyun_AES_128` (Alibaba Cloud): 16 bytes.
    AliyunAes128,
    /// `Aliyun_SM4` (Alibaba Cloud): 16 bytes.
    AliyunSm4,
    /// `SYMMETRIC_DEFAULT` (AWS): 32 bytes (AES-256-GCM).
    SymmetricDefault,
    /// `HMAC_224` (AWS): 28 to 64 bytes.
    Hmac224,
    /// `HMAC_256` (AWS): 32 to 64 bytes.
    Hmac256,
    /// `HMAC_384` (AWS): 48 to 128 bytes.
    Hmac384,
    /// `HMAC_512` (AWS): 64 to 128 bytes.
    Hmac512,
    /// `GOOGLE_SYMMETRIC_ENCRYPTION` (Google Cloud): 32 bytes (AES-256-GCM).
    GoogleSymmetricEncryption,
    /// `RSA_2048` (Alibaba Cloud, AWS): an RSA-2048 private key.
    Rsa2048,
    /// `RSA_3072` (Alibaba Cloud, AWS): an RSA-3072 private key.
    Rsa3072,
    /// `RSA_4096` (Alibaba Cloud, AWS): an RSA-4096 private key.
    Rsa4096,
    /// `EC_P256` (Alibaba Cloud): a P-256 private key.
    EcP256,
    /// `EC_P256K` (Alibaba Cloud): a secp256k1 private key.
    EcP256k,
    /// `ECC_NIST_P256` (AWS): a P-256 private key.
    EccNistP256,
    /// `ECC_NIST_P384` (AWS): a P-384 private key.
    EccNistP384,
    /// `ECC_SECG_P256K1` (AWS): a secp256k1 private key.
    EccSecgP256k1,
    /// `EC_SIGN_P256_SHA256` (Google Cloud): a P-256 private key.
    EcSignP256Sha256,
    /// `EC_SIGN_P384_SHA384` (Google Cloud): a P-384 private key.
    EcSignP384Sha384,
    /// `EC_SIGN_SECP256K1_SHA256` (Google Cloud): a secp256k1 private key.
    EcSignSecp256k1Sha256,
}

/// One key spec: a row of [`KEY_SPECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpecRule {
    /// The spec.
    pub spec: MaterialSpec,
    /// Its wire name.
    pub name: &'static str,
    /// The clouds that name it.
    pub clouds: &'static [Cloud],
    /// Symmetric: the shortest and longest material; the length [`KeyMaterial::generate_for`]
    /// makes is the shortest. Ignored for private keys.
    ///
    /// [`KeyMaterial::generate_for`]: crate::KeyMaterial::generate_for
    pub len: (usize, usize),
    /// The private key type, for asymmetric specs.
    pub private_key: Option<PrivateKeyType>,
}

const fn bytes(
    spec: MaterialSpec,
    name: &'static str,
    clouds: &'static [Cloud],
    min: usize,
    max: usize,
) -> KeySpecRule {
    KeySpecRule {
        spec,
        name,
        clouds,
        len: (min, max),
        private_key: None,
    }
}

const fn private(
    spec: MaterialSpec,
    name: &'static str,
    clouds: &'static [Cloud],
    key: PrivateKeyType,
) -> KeySpecRule {
    KeySpecRule {
        spec,
        name,
        clouds,
        len: (0, 0),
        private_key: Some(key),
    }
}

/// Every key spec, in the order of [`MaterialSpec::ALL`].
pub const KEY_SPECS: [KeySpecRule; 21] = {
    use MaterialSpec as S;
    use PrivateKeyType as P;
    [
        bytes(S::AliyunAes256, "Aliyun_AES_256", ALIBABA, 32, 32),
        bytes(S::AliyunAes192, "Aliyun_AES_192", ALIBABA, 24, 24),
        bytes(S::AliyunAes128, "Aliyun_AES_128", ALIBABA, 16, 16),
        bytes(S::AliyunSm4, "Aliyun_SM4", ALIBABA, 16, 16),
        bytes(S::SymmetricDefault, "SYMMETRIC_DEFAULT", AWS, 32, 32),
        bytes(S::Hmac224, "HMAC_224", AWS, 28, 64),
        bytes(S::Hmac256, "HMAC_256", AWS, 32, 64),
        bytes(S::Hmac384, "HMAC_384", AWS, 48, 128),
        bytes(S::Hmac512, "HMAC_512", AWS, 64, 128),
        bytes(
            S::GoogleSymmetricEncryption,
            "GOOGLE_SYMMETRIC_ENCRYPTION",
            GOOGLE,
            32,
            32,
        ),
        private(S::Rsa2048, "RSA_2048", ALIBABA_AWS, P::Rsa2048),
        private(S::Rsa3072, "RSA_3072", ALIBABA_AWS, P::Rsa3072),
        private(S::Rsa4096, "RSA_4096", ALIBABA_AWS, P::Rsa4096),
        private(S::EcP256, "EC_P256", ALIBABA, P::EcP256),
        private(S::EcP256k, "EC_P256K", ALIBABA, P::EcSecp256k1),
        private(S::EccNistP256, "ECC_NIST_P256", AWS, P::EcP256),
        private(S::EccNistP384, "ECC_NIST_P384", AWS, P::EcP384),
        private(S::EccSecgP256k1, "ECC_SECG_P256K1", AWS, P::EcSecp256k1),
        private(
            S::EcSignP256Sha256,
            "EC_SIGN_P256_SHA256",
            GOOGLE,
            P::EcP256,
        ),
        private(
            S::EcSignP384Sha384,
            "EC_SIGN_P384_SHA384",
            GOOGLE,
            P::EcP384,
        ),
        private(
            S::EcSignSecp256k1Sha256,
            "EC_SIGN_SECP256K1_SHA256",
            GOOGLE,
            P::EcSecp256k1,
        ),
    ]
};

impl MaterialSpec {
    /// Every key spec, symmetric first.
    pub const ALL: [Self; 21] = [
        Self::AliyunAes256,
        Self::AliyunAes192,
        Self::AliyunAes128,
        Self::AliyunSm4,
        Self::SymmetricDefault,
        Self::Hmac224,
        Self::Hmac256,
        Self::Hmac384,
        Self::Hmac512,
        Self::GoogleSymmetricEncryption,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP256k,
        Self::EccNistP256,
        Self::EccNistP384,
        Self::EccSecgP256k1,
        Self::EcSignP256Sha256,
        Self::EcSignP384Sha384,
        Self::EcSignSecp256k1Sha256,
    ];

    /// This spec's row of [`KEY_SPECS`].
    pub fn rule(self) -> &'static KeySpecRule {
        // ALL and KEY_SPECS list the variants in the same order (a test checks it).
        &KEY_SPECS[self as usize]
    }

    /// The wire name, e.g. `HMAC_256`.
    pub fn as_str(self) -> &'static str {
        self.rule().name
    }

    /// Whether the material is bytes or a private key.
    pub fn kind(self) -> MaterialKind {
        match self.rule().private_key {
            Some(_) => MaterialKind::PrivateKey,
            None => MaterialKind::Symmetric,
        }
    }

    /// What the material must be.
    pub fn requirement(self) -> MaterialRequirement {
        let rule = self.rule();
        match rule.private_key {
            Some(key) => MaterialRequirement::PrivateKey(key),
            None => MaterialRequirement::Bytes(rule.len.0..=rule.len.1),
        }
    }

    /// The Alibaba Cloud symmetric spec this is, if it is one.
    pub fn as_key_spec(self) -> Option<KeySpec> {
        KeySpec::ALL
            .into_iter()
            .find(|spec| MaterialSpec::from(*spec) == self)
    }
}

impl From<KeySpec> for MaterialSpec {
    fn from(spec: KeySpec) -> Self {
        match spec {
            KeySpec::AliyunAes256 => Self::AliyunAes256,
            KeySpec::AliyunAes192 => Self::AliyunAes192,
            KeySpec::AliyunAes128 => Self::AliyunAes128,
            KeySpec::AliyunSm4 => Self::AliyunSm4,
        }
    }
}

impl FromStr for MaterialSpec {
    type Err = Error;

    /// Accepts every wire name, and Alibaba Cloud's short forms `AES_256`, `AES_192`, `AES_128`
    /// and `SM4`.
    fn from_str(name: &str) -> Result<Self, Error> {
        if let Some(spec) = Self::ALL.into_iter().find(|spec| spec.as_str() == name) {
            return Ok(spec);
        }
        match name.parse::<KeySpec>() {
            Ok(spec) if !name.starts_with("Aliyun_") => Ok(spec.into()),
            _ => Err(Error::UnknownMaterialSpec(echoed(name))),
        }
    }
}

impl fmt::Display for MaterialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
