//! The one error type of `byok-wrap`.
//!
//! Every variant has a stable [`Error::code`], which is also the `code` property of the `ByokError`
//! that the JavaScript API throws. Messages never contain key material: at most lengths and the
//! (public) names the caller passed in.

use crate::spec::{KeySpec, WrappingAlgorithm};

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything that can go wrong while generating, checking or wrapping key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The wrapping public key could not be used. The message names what was found instead: an EC
    /// key, a certificate, a private key, an RSA key of an unsupported size, or bytes that are not a
    /// key at all.
    #[error("invalid wrapping public key: {0}")]
    InvalidPublicKey(String),

    /// The wrapping algorithm name is not one of `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1`,
    /// `RSAES_PKCS1_V1_5`.
    #[error(
        "unknown wrapping algorithm \"{0}\": use RSAES_OAEP_SHA_256 (recommended), RSAES_OAEP_SHA_1 or RSAES_PKCS1_V1_5"
    )]
    UnknownAlgorithm(String),

    /// The key spec name is not one of `Aliyun_AES_256`, `Aliyun_AES_192`, `Aliyun_AES_128`,
    /// `Aliyun_SM4` (or their short forms `AES_256`, `AES_192`, `AES_128`, `SM4`).
    #[error(
        "unknown key spec \"{0}\": use Aliyun_AES_256, Aliyun_AES_192, Aliyun_AES_128 or Aliyun_SM4"
    )]
    UnknownKeySpec(String),

    /// The wrapping key spec name is not one of `RSA_2048`, `RSA_3072`, `RSA_4096`.
    #[error("unknown wrapping key spec \"{0}\": use RSA_2048, RSA_3072 or RSA_4096")]
    UnknownWrappingKeySpec(String),

    /// `RSAES_PKCS1_V1_5` was requested without the explicit opt-in.
    #[error(
        "RSAES_PKCS1_V1_5 is refused: NIST disallows PKCS#1 v1.5 padding for key transport since \
         2024 and it is open to padding-oracle attacks; use RSAES_OAEP_SHA_256, or opt in with \
         allowLegacyPkcs1: true (WrapOptions::allow_legacy_pkcs1 in Rust) if the KMS accepts nothing else"
    )]
    LegacyAlgorithmRefused,

    /// The key material has the wrong length: for its key spec, or (without one) it is empty or too
    /// long for the wrapping algorithm and key size.
    #[error("{}", material_length_message(*.expected, *.got))]
    MaterialLength {
        /// What the length had to be.
        expected: ExpectedLength,
        /// The length that was given, in bytes.
        got: usize,
    },

    /// The platform's cryptographically secure random number generator failed (in a browser:
    /// `crypto.getRandomValues` is missing or threw).
    #[error("the platform's secure random number generator is unavailable: {0}")]
    RandomUnavailable(String),

    /// An argument from JavaScript had the wrong type or shape (for example `material` was not a
    /// `Uint8Array`).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The KMS refused a call. `code` is the KMS's own error code (for example
    /// `InvalidKeyMaterial`), which is also this error's [`Error::code`].
    #[error("{message}")]
    Kms {
        /// The KMS error code.
        code: String,
        /// The KMS's message.
        message: String,
        /// The request id, for the KMS's logs.
        request_id: String,
        /// The HTTP status of the reply.
        http_status: u16,
    },

    /// The KMS could not be reached (network failure, CORS refusal, DNS).
    #[error("the KMS at {endpoint} could not be reached: {reason}")]
    Network {
        /// The endpoint called.
        endpoint: String,
        /// What the platform reported.
        reason: String,
    },

    /// The KMS answered with something that is not a KMS reply.
    #[error("the KMS replied with something that is not a KMS API reply (HTTP {http_status})")]
    InvalidResponse {
        /// The HTTP status of the reply.
        http_status: u16,
    },
}

/// The length a piece of key material had to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectedLength {
    /// Exactly the length of this key spec.
    Spec(KeySpec),
    /// Between 1 and `max` bytes: the most this algorithm can wrap with a key of `modulus_bits`.
    UpTo {
        /// The longest message the algorithm can carry with this key.
        max: usize,
        /// The wrapping algorithm.
        algorithm: WrappingAlgorithm,
        /// The size of the wrapping key's modulus.
        modulus_bits: usize,
    },
    /// One of the AES key sizes (16, 24 or 32 bytes), for a key check value.
    AesKey,
}

impl Error {
    /// The stable, machine-readable name of this error, e.g. `"MaterialLength"`; for a refusal by
    /// the KMS, the KMS's own code.
    pub fn code(&self) -> &str {
        match self {
            Self::Kms { code, .. } => code,
            Self::Network { .. } => "NetworkError",
            Self::InvalidResponse { .. } => "InvalidResponse",
            Self::InvalidPublicKey(_) => "InvalidPublicKey",
            Self::UnknownAlgorithm(_) => "UnknownAlgorithm",
            Self::UnknownKeySpec(_) => "UnknownKeySpec",
            Self::UnknownWrappingKeySpec(_) => "UnknownWrappingKeySpec",
            Self::LegacyAlgorithmRefused => "LegacyAlgorithmRefused",
            Self::MaterialLength { .. } => "MaterialLength",
            Self::RandomUnavailable(_) => "RandomUnavailable",
            Self::InvalidArgument(_) => "InvalidArgument",
        }
    }
}

/// Quotes at most this many characters of a name the caller passed, so a pasted blob cannot turn
/// an error message into a wall of text.
const MAX_ECHOED_NAME: usize = 40;

/// Shortens a caller-supplied name for an error message.
pub(crate) fn echoed(name: &str) -> String {
    match name.char_indices().nth(MAX_ECHOED_NAME) {
        Some((cut, _)) => format!("{}…", name.get(..cut).unwrap_or_default()),
        None => name.to_owned(),
    }
}

fn material_length_message(expected: ExpectedLength, got: usize) -> String {
    match expected {
        ExpectedLength::Spec(spec) => format!(
            "{spec} key material must be {} bytes, got {got}",
            spec.material_len()
        ),
        ExpectedLength::UpTo {
            max,
            algorithm,
            modulus_bits,
        } => format!(
            "key material must be 1 to {max} bytes for {algorithm} with a {modulus_bits}-bit \
             wrapping key, got {got}"
        ),
        ExpectedLength::AesKey => {
            format!("a key check value needs a 16, 24 or 32-byte key, got {got} bytes")
        }
    }
}
