//! The KMS vocabulary as data: every wrapping algorithm and every key spec by its exact wire name,
//! with the rules that go with it. This table is the only place these rules are written down: the
//! wrapping code reads it, and the JavaScript API exports it (`importRules()`) for pages to build
//! their choices from.
//!
//! Sources: Alibaba Cloud KMS API 2016-01-20 (`GetParametersForImport`, `CreateKey`), AWS KMS
//! 2014-11-01 (`GetParametersForImport`, "Requirements for imported key material"), Google Cloud KMS
//! (`ImportJob.ImportMethod`, "Importing a key version"). See `reference/cloud-wrapping-formats.md`.

use core::fmt;
use core::ops::RangeInclusive;
use core::str::FromStr;

use crate::error::{Error, echoed};

/// A cloud whose KMS names an algorithm or a key spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// Alibaba Cloud KMS (and byok-kms, which speaks its API).
    Alibaba,
    /// AWS Key Management Service.
    Aws,
    /// Google Cloud Key Management Service (import jobs).
    Google,
}

impl Cloud {
    /// A short stable identifier: `alibaba`, `aws` or `google`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alibaba => "alibaba",
            Self::Aws => "aws",
            Self::Google => "google",
        }
    }

    /// The name people know, e.g. `Alibaba Cloud`.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Alibaba => "Alibaba Cloud",
            Self::Aws => "AWS",
            Self::Google => "Google Cloud",
        }
    }
}

/// The hash of an RSAES-OAEP operation, used for the label hash and for MGF1 alike (RFC 8017 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OaepHash {
    /// SHA-1 (20-byte digests).
    Sha1,
    /// SHA-256 (32-byte digests).
    Sha256,
}

impl OaepHash {
    /// The WebCrypto name, `SHA-1` or `SHA-256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
        }
    }

    /// The digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// How an algorithm turns material into the wrapped bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrapScheme {
    /// RSAES-OAEP of the material itself (RFC 8017 §7.1).
    Oaep(OaepHash),
    /// RSAES-PKCS1-v1_5 of the material itself (RFC 8017 §7.2). Legacy.
    Pkcs1V15,
    /// RSAES-OAEP of a fresh AES-256 key, followed by AES key wrap with padding of the material
    /// under that key (RFC 5649): `OAEP(aes key) ‖ KWP(material)`, as PKCS#11's
    /// `CKM_RSA_AES_KEY_WRAP`.
    OaepKwp(OaepHash),
    /// RSAES-OAEP of a fresh AES-256 key, followed by AES-256-ECB with PKCS#7 padding of the
    /// material under that key: `OAEP(aes key) ‖ ECB(material)`.
    OaepEcbPkcs7(OaepHash),
}

impl WrapScheme {
    /// The OAEP hash, or `None` for PKCS#1 v1.5.
    pub fn oaep_hash(self) -> Option<OaepHash> {
        match self {
            Self::Oaep(h) | Self::OaepKwp(h) | Self::OaepEcbPkcs7(h) => Some(h),
            Self::Pkcs1V15 => None,
        }
    }

    /// Whether the material goes through an ephemeral AES key rather than RSA alone.
    pub fn is_hybrid(self) -> bool {
        matches!(self, Self::OaepKwp(_) | Self::OaepEcbPkcs7(_))
    }

    /// A stable identifier: `oaep`, `pkcs1v15`, `oaep+kwp` or `oaep+ecb-pkcs7`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oaep(_) => "oaep",
            Self::Pkcs1V15 => "pkcs1v15",
            Self::OaepKwp(_) => "oaep+kwp",
            Self::OaepEcbPkcs7(_) => "oaep+ecb-pkcs7",
        }
    }
}

/// How key material is wrapped under the KMS's wrapping public key, by its wire name. It must be
/// the algorithm named when the wrapping key was requested (`GetParametersForImport`, or the
/// Google Cloud import job's method).
///
/// Deliberately not `#[non_exhaustive]`: code that unwraps (byok-kms) matches on it, and should be
/// told by the compiler when a format is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WrappingAlgorithm {
    /// `RSAES_OAEP_SHA_256` (Alibaba Cloud, AWS): RSAES-OAEP with SHA-256 of the material.
    #[default]
    RsaesOaepSha256,
    /// `RSAES_OAEP_SHA_1` (Alibaba Cloud, AWS): RSAES-OAEP with SHA-1 of the material.
    RsaesOaepSha1,
    /// `RSAES_PKCS1_V1_5` (Alibaba Cloud): legacy, only on explicit opt-in.
    RsaesPkcs1V15,
    /// `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD` (Alibaba Cloud, asymmetric keys): OAEP-SHA-256
    /// of an AES-256 key, then AES-256-ECB-PKCS7 of the PKCS#8 private key.
    RsaesOaepSha256Aes256EcbPkcs7Pad,
    /// `RSA_AES_KEY_WRAP_SHA_1` (AWS): OAEP-SHA-1 of an AES-256 key, then AES-KWP of the material.
    RsaAesKeyWrapSha1,
    /// `RSA_AES_KEY_WRAP_SHA_256` (AWS): OAEP-SHA-256 of an AES-256 key, then AES-KWP.
    RsaAesKeyWrapSha256,
    /// `RSA_OAEP_3072_SHA1_AES_256` (Google Cloud): as `RSA_AES_KEY_WRAP_SHA_1`, RSA-3072 only.
    RsaOaep3072Sha1Aes256,
    /// `RSA_OAEP_4096_SHA1_AES_256` (Google Cloud): as `RSA_AES_KEY_WRAP_SHA_1`, RSA-4096 only.
    RsaOaep4096Sha1Aes256,
    /// `RSA_OAEP_3072_SHA256_AES_256` (Google Cloud): as `RSA_AES_KEY_WRAP_SHA_256`, RSA-3072 only.
    RsaOaep3072Sha256Aes256,
    /// `RSA_OAEP_4096_SHA256_AES_256` (Google Cloud): as `RSA_AES_KEY_WRAP_SHA_256`, RSA-4096 only.
    RsaOaep4096Sha256Aes256,
    /// `RSA_OAEP_3072_SHA256` (Google Cloud): OAEP-SHA-256 of the material, RSA-3072 only.
    RsaOaep3072Sha256,
    /// `RSA_OAEP_4096_SHA256` (Google Cloud): OAEP-SHA-256 of the material, RSA-4096 only.
    RsaOaep4096Sha256,
}

/// What one wrapping algorithm is and what it accepts: a row of [`ALGORITHMS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmRule {
    /// The algorithm.
    pub algorithm: WrappingAlgorithm,
    /// The clouds that name it.
    pub clouds: &'static [Cloud],
    /// How it wraps.
    pub scheme: WrapScheme,
    /// The wrapping key sizes it works with.
    pub wrapping_key_specs: &'static [WrappingKeySpec],
    /// Whether it takes symmetric material (raw bytes).
    pub symmetric: bool,
    /// Whether it takes private keys (as PKCS#8 DER). Direct RSA schemes only take keys short
    /// enough to fit, which excludes RSA keys.
    pub private_keys: bool,
    /// Whether it needs an explicit opt-in (`allow_legacy_pkcs1`).
    pub legacy: bool,
}

const ANY_RSA: &[WrappingKeySpec] = &[
    WrappingKeySpec::Rsa2048,
    WrappingKeySpec::Rsa3072,
    WrappingKeySpec::Rsa4096,
];
const RSA_3072: &[WrappingKeySpec] = &[WrappingKeySpec::Rsa3072];
const RSA_4096: &[WrappingKeySpec] = &[WrappingKeySpec::Rsa4096];
const ALIBABA_AWS: &[Cloud] = &[Cloud::Alibaba, Cloud::Aws];
const ALIBABA: &[Cloud] = &[Cloud::Alibaba];
const AWS: &[Cloud] = &[Cloud::Aws];
const GOOGLE: &[Cloud] = &[Cloud::Google];

const fn rule(
    algorithm: WrappingAlgorithm,
    clouds: &'static [Cloud],
    scheme: WrapScheme,
    wrapping_key_specs: &'static [WrappingKeySpec],
    symmetric: bool,
    private_keys: bool,
) -> AlgorithmRule {
    AlgorithmRule {
        algorithm,
        clouds,
        scheme,
        wrapping_key_specs,
        symmetric,
        private_keys,
        legacy: matches!(scheme, WrapScheme::Pkcs1V15),
    }
}

/// Every wrapping algorithm, in the order of [`WrappingAlgorithm::ALL`].
pub const ALGORITHMS: [AlgorithmRule; 12] = {
    use OaepHash::{Sha1, Sha256};
    use WrapScheme::{Oaep, OaepEcbPkcs7, OaepKwp, Pkcs1V15};
    use WrappingAlgorithm as A;
    [
        rule(
            A::RsaesOaepSha256,
            ALIBABA_AWS,
            Oaep(Sha256),
            ANY_RSA,
            true,
            true,
        ),
        rule(
            A::RsaesOaepSha1,
            ALIBABA_AWS,
            Oaep(Sha1),
            ANY_RSA,
            true,
            true,
        ),
        rule(A::RsaesPkcs1V15, ALIBABA, Pkcs1V15, ANY_RSA, true, false),
        rule(
            A::RsaesOaepSha256Aes256EcbPkcs7Pad,
            ALIBABA,
            OaepEcbPkcs7(Sha256),
            ANY_RSA,
            false,
            true,
        ),
        rule(
            A::RsaAesKeyWrapSha1,
            AWS,
            OaepKwp(Sha1),
            ANY_RSA,
            true,
            true,
        ),
        rule(
            A::RsaAesKeyWrapSha256,
            AWS,
            OaepKwp(Sha256),
            ANY_RSA,
            true,
            true,
        ),
        rule(
            A::RsaOaep3072Sha1Aes256,
            GOOGLE,
            OaepKwp(Sha1),
            RSA_3072,
            true,
            true,
        ),
        rule(
            A::RsaOaep4096Sha1Aes256,
            GOOGLE,
            OaepKwp(Sha1),
            RSA_4096,
            true,
            true,
        ),
        rule(
            A::RsaOaep3072Sha256Aes256,
            GOOGLE,
            OaepKwp(Sha256),
            RSA_3072,
            true,
            true,
        ),
        rule(
            A::RsaOaep4096Sha256Aes256,
            GOOGLE,
            OaepKwp(Sha256),
            RSA_4096,
            true,
            true,
        ),
        rule(
            A::RsaOaep3072Sha256,
            GOOGLE,
            Oaep(Sha256),
            RSA_3072,
            true,
            true,
        ),
        rule(
            A::RsaOaep4096Sha256,
            GOOGLE,
            Oaep(Sha256),
            RSA_4096,
            true,
            true,
        ),
    ]
};

/// The most material a hybrid scheme wraps: far above any private key we accept (RSA-4096 PKCS#8
/// is about 2.4 KB), and below the 2³² bytes RFC 5649 allows.
pub const MAX_HYBRID_MATERIAL_LEN: usize = 16 * 1024;

impl WrappingAlgorithm {
    /// Every algorithm: Alibaba Cloud's and AWS's shared ones first, the recommendation first.
    pub const ALL: [Self; 12] = [
        Self::RsaesOaepSha256,
        Self::RsaesOaepSha1,
        Self::RsaesPkcs1V15,
        Self::RsaesOaepSha256Aes256EcbPkcs7Pad,
        Self::RsaAesKeyWrapSha1,
        Self::RsaAesKeyWrapSha256,
        Self::RsaOaep3072Sha1Aes256,
        Self::RsaOaep4096Sha1Aes256,
        Self::RsaOaep3072Sha256Aes256,
        Self::RsaOaep4096Sha256Aes256,
        Self::RsaOaep3072Sha256,
        Self::RsaOaep4096Sha256,
    ];

    /// The wire name, e.g. `RSAES_OAEP_SHA_256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            Self::RsaesOaepSha256Aes256EcbPkcs7Pad => "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD",
            Self::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            Self::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
            Self::RsaOaep3072Sha1Aes256 => "RSA_OAEP_3072_SHA1_AES_256",
            Self::RsaOaep4096Sha1Aes256 => "RSA_OAEP_4096_SHA1_AES_256",
            Self::RsaOaep3072Sha256Aes256 => "RSA_OAEP_3072_SHA256_AES_256",
            Self::RsaOaep4096Sha256Aes256 => "RSA_OAEP_4096_SHA256_AES_256",
            Self::RsaOaep3072Sha256 => "RSA_OAEP_3072_SHA256",
            Self::RsaOaep4096Sha256 => "RSA_OAEP_4096_SHA256",
        }
    }

    /// This algorithm's row of [`ALGORITHMS`].
    pub fn rule(self) -> &'static AlgorithmRule {
        // ALL and ALGORITHMS list the variants in the same order (a test checks it).
        &ALGORITHMS[self as usize]
    }

    /// How it wraps.
    pub fn scheme(self) -> WrapScheme {
        self.rule().scheme
    }

    /// Whether this is the legacy PKCS#1 v1.5 padding that needs an explicit opt-in.
    pub fn is_legacy(self) -> bool {
        self.rule().legacy
    }

    /// Whether a wrapping key of this size may be used.
    pub fn allows_wrapping_key(self, spec: WrappingKeySpec) -> bool {
        self.rule().wrapping_key_specs.contains(&spec)
    }

    /// The longest message the RSA operation of this algorithm's scheme can encrypt under a
    /// modulus of `modulus_len` bytes (RFC 8017: `k - 2hLen - 2` for OAEP, `k - 11` for PKCS#1
    /// v1.5). For hybrid schemes that message is the 32-byte AES key, not the material.
    pub fn max_message_len(self, modulus_len: usize) -> usize {
        let overhead = match self.scheme().oaep_hash() {
            Some(hash) => 2 * hash.digest_len() + 2,
            None => 11,
        };
        modulus_len.saturating_sub(overhead)
    }

    /// The longest material this algorithm wraps under a modulus of `modulus_len` bytes.
    pub fn max_material_len(self, modulus_len: usize) -> usize {
        if self.scheme().is_hybrid() {
            MAX_HYBRID_MATERIAL_LEN
        } else {
            self.max_message_len(modulus_len)
        }
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

/// The size of the RSA wrapping key pair.
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
    /// `RSA_4096` (AWS): an RSA-4096 private key.
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
        private(S::Rsa4096, "RSA_4096", AWS, P::Rsa4096),
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
        for spec in MaterialSpec::ALL {
            assert_eq!(spec.to_string().parse::<MaterialSpec>(), Ok(spec));
        }
    }

    #[test]
    fn the_tables_are_in_the_order_of_the_enums() {
        for (i, algorithm) in WrappingAlgorithm::ALL.into_iter().enumerate() {
            assert_eq!(ALGORITHMS[i].algorithm, algorithm);
            assert_eq!(algorithm.rule().algorithm, algorithm);
        }
        for (i, spec) in MaterialSpec::ALL.into_iter().enumerate() {
            assert_eq!(KEY_SPECS[i].spec, spec);
        }
    }

    #[test]
    fn short_key_spec_names_are_accepted() {
        assert_eq!("AES_256".parse(), Ok(KeySpec::AliyunAes256));
        assert_eq!("AES_192".parse(), Ok(KeySpec::AliyunAes192));
        assert_eq!("AES_128".parse(), Ok(KeySpec::AliyunAes128));
        assert_eq!("SM4".parse(), Ok(KeySpec::AliyunSm4));
        assert_eq!("SM4".parse(), Ok(MaterialSpec::AliyunSm4));
        assert_eq!("AES_128".parse(), Ok(MaterialSpec::AliyunAes128));
    }

    #[test]
    fn names_are_case_sensitive_like_the_wire() {
        assert!("aliyun_aes_256".parse::<KeySpec>().is_err());
        assert!("Aliyun_".parse::<KeySpec>().is_err());
        assert!("".parse::<KeySpec>().is_err());
        assert!("rsaes_oaep_sha_256".parse::<WrappingAlgorithm>().is_err());
        assert!("RSA_1024".parse::<WrappingKeySpec>().is_err());
        assert!("hmac_256".parse::<MaterialSpec>().is_err());
        assert!("Aliyun_HMAC_256".parse::<MaterialSpec>().is_err());
    }

    #[test]
    fn the_server_s_key_spec_keeps_its_four_names() {
        // byok-kms parses CreateKey's KeySpec with `KeySpec`: asymmetric and other clouds' names
        // must stay unknown to it.
        for name in ["RSA_2048", "HMAC_256", "SYMMETRIC_DEFAULT", "EC_P256"] {
            assert!(name.parse::<KeySpec>().is_err(), "{name}");
            assert!(name.parse::<MaterialSpec>().is_ok(), "{name}");
        }
    }

    #[test]
    fn message_limits_follow_rfc_8017() {
        assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(256), 190);
        assert_eq!(WrappingAlgorithm::RsaesOaepSha1.max_message_len(256), 214);
        assert_eq!(WrappingAlgorithm::RsaesPkcs1V15.max_message_len(256), 245);
        assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(512), 446);
        assert_eq!(
            WrappingAlgorithm::RsaOaep3072Sha256.max_message_len(384),
            318
        );
        assert_eq!(
            WrappingAlgorithm::RsaAesKeyWrapSha256.max_material_len(256),
            MAX_HYBRID_MATERIAL_LEN
        );
    }

    #[test]
    fn google_cloud_algorithms_name_their_key_size() {
        for algorithm in WrappingAlgorithm::ALL {
            let rule = algorithm.rule();
            if rule.clouds == GOOGLE {
                let bits = if algorithm.as_str().contains("_3072_") {
                    3072
                } else {
                    4096
                };
                assert_eq!(rule.wrapping_key_specs.len(), 1, "{algorithm}");
                assert_eq!(rule.wrapping_key_specs[0].bits(), bits, "{algorithm}");
            }
        }
    }
}
