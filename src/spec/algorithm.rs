//! Wrapping algorithms: how material becomes the wrapped bytes, and what each accepts.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, echoed};

use super::{ALIBABA, ALIBABA_AWS, AWS, Cloud, GOOGLE, WrappingKeySpec};

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
