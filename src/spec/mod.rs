//! The KMS vocabulary as data: every wrapping algorithm and every key spec by its exact wire name,
//! with the rules that go with it. This table is the only place these rules are written down: the
//! wrapping code reads it, and the JavaScript API exports it (`importRules()`) for pages to build
//! their choices from.
//!
//! Sources: Alibaba Cloud KMS API 2016-01-20 (`GetParametersForImport`, `CreateKey`), AWS KMS
//! 2014-11-01 (`GetParametersForImport`, "Requirements for imported key material"), Google Cloud KMS
//! (`ImportJob.ImportMethod`, "Importing a key version"). See `reference/cloud-wrapping-formats.md`.

mod algorithm;
mod material;
mod wrapping_key;

pub use algorithm::{
    ALGORITHMS, AlgorithmRule, MAX_HYBRID_MATERIAL_LEN, OaepHash, WrapScheme, WrappingAlgorithm,
};
pub use material::{
    KEY_SPECS, KeySpec, KeySpecRule, MaterialKind, MaterialRequirement, MaterialSpec,
    PrivateKeyType,
};
pub use wrapping_key::WrappingKeySpec;

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

    /// The wrapping algorithm an import into this cloud uses when none is named: RSAES-OAEP
    /// with SHA-256 for symmetric material, and for a private key (too long for RSA alone) the
    /// hybrid format the cloud's guide gives for asymmetric keys.
    pub fn default_algorithm(self, private_key: bool) -> WrappingAlgorithm {
        match (self, private_key) {
            (Self::Google, false) => WrappingAlgorithm::RsaOaep3072Sha256,
            (_, false) => WrappingAlgorithm::RsaesOaepSha256,
            (Self::Alibaba, true) => WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
            (Self::Aws, true) => WrappingAlgorithm::RsaAesKeyWrapSha256,
            (Self::Google, true) => WrappingAlgorithm::RsaOaep3072Sha256Aes256,
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

// Which clouds name a row of the tables, shared by both.
const ALIBABA_AWS: &[Cloud] = &[Cloud::Alibaba, Cloud::Aws];
const ALIBABA: &[Cloud] = &[Cloud::Alibaba];
const AWS: &[Cloud] = &[Cloud::Aws];
const GOOGLE: &[Cloud] = &[Cloud::Google];

#[cfg(test)]
mod tests;
