//! The one error type of `byok-wrap`.
//!
//! Every variant has a stable [`Error::code`], which is also the `code` property of the `ByokError`
//! that the JavaScript API throws. Messages never contain key material or private keys: at most
//! lengths, key types and the (public) names the caller passed in; and each says what to do.

use crate::spec::{KeySpec, MaterialSpec, PrivateKeyType, WrappingAlgorithm, WrappingKeySpec};

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything that can go wrong while generating, parsing, checking or wrapping key material, or
/// while calling a KMS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The wrapping public key could not be used. The message names what was found instead: an EC
    /// key, a certificate, a private key, an RSA key of an unsupported size, or bytes that are not a
    /// key at all.
    #[error("invalid wrapping public key: {0}")]
    InvalidPublicKey(String),

    /// The private key to import could not be used: not a private key, encrypted, of an
    /// unsupported type or size, or malformed. The message names what was found.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),

    /// The wrapping algorithm name is not one of [`WrappingAlgorithm::ALL`].
    #[error(
        "unknown wrapping algorithm \"{0}\": use RSAES_OAEP_SHA_256 (Alibaba Cloud, AWS), \
         RSA_AES_KEY_WRAP_SHA_256 (AWS), RSA_OAEP_3072_SHA256_AES_256 (Google Cloud) or another \
         name from importRules()"
    )]
    UnknownAlgorithm(String),

    /// The key spec name is not one of Alibaba Cloud's symmetric specs `Aliyun_AES_256`,
    /// `Aliyun_AES_192`, `Aliyun_AES_128`, `Aliyun_SM4` (or their short forms `AES_256`, `AES_192`,
    /// `AES_128`, `SM4`), when parsing a [`KeySpec`].
    #[error(
        "unknown key spec \"{0}\": use Aliyun_AES_256, Aliyun_AES_192, Aliyun_AES_128 or Aliyun_SM4"
    )]
    UnknownKeySpec(String),

    /// The key spec name is not one of [`MaterialSpec::ALL`]. Its code is `UnknownKeySpec` too.
    #[error(
        "unknown key spec \"{0}\": use the key spec of the key you import into, e.g. \
         Aliyun_AES_256, SYMMETRIC_DEFAULT, HMAC_256, GOOGLE_SYMMETRIC_ENCRYPTION, RSA_2048 or \
         ECC_NIST_P256 (importRules() lists them all)"
    )]
    UnknownMaterialSpec(String),

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

    /// The algorithm does not take this kind of material (symmetric bytes, or a private key).
    #[error("{}", unsupported_material_message(*.algorithm, *.private_key))]
    UnsupportedMaterial {
        /// The algorithm.
        algorithm: WrappingAlgorithm,
        /// Whether the material was a private key (else symmetric bytes).
        private_key: bool,
    },

    /// The wrapping public key's size is not one the algorithm works with (Google Cloud's names
    /// fix it).
    #[error("{}", wrapping_key_message(*.algorithm, *.got))]
    WrappingKeyMismatch {
        /// The algorithm.
        algorithm: WrappingAlgorithm,
        /// The size of the key that was given.
        got: WrappingKeySpec,
    },

    /// The material is not what the key spec demands: a private key for a symmetric spec, bytes
    /// for an asymmetric one, or a private key of another type.
    #[error("{}", key_spec_mismatch_message(*.spec, *.found))]
    KeySpecMismatch {
        /// The key spec that was given.
        spec: MaterialSpec,
        /// The private key type that was found, or `None` for symmetric bytes.
        found: Option<PrivateKeyType>,
    },

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
    /// `Uint8Array`), or an option name is unknown.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The KMS endpoint is plain `http:` to a host other than this machine, without the explicit
    /// opt-in: anyone on the network path could swap the wrapping public key and read the material.
    #[error(
        "the endpoint {0} is plain http to another machine: anyone on the network path could \
         replace the wrapping public key and read your key material; use https, or pass \
         allowInsecureHttp: true if this network is yours alone"
    )]
    InsecureEndpoint(String),

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
    /// Exactly the length of this Alibaba Cloud key spec.
    Spec(KeySpec),
    /// The length (or range of lengths) of this key spec.
    Material(MaterialSpec),
    /// Between 1 and `max` bytes: the most this algorithm can wrap with a key of `modulus_bits`.
    UpTo {
        /// The longest message the algorithm can carry with this key.
        max: usize,
        /// The wrapping algorithm.
        algorithm: WrappingAlgorithm,
        /// The size of the wrapping key's modulus.
        modulus_bits: usize,
    },
    /// A private key of `key_type` is longer (as PKCS#8) than the `max` bytes this direct RSA
    /// algorithm carries with a key of `modulus_bits`.
    PrivateKeyUpTo {
        /// The longest message the algorithm can carry with this key.
        max: usize,
        /// The wrapping algorithm.
        algorithm: WrappingAlgorithm,
        /// The size of the wrapping key's modulus.
        modulus_bits: usize,
        /// The private key's type.
        key_type: PrivateKeyType,
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
            Self::InvalidPrivateKey(_) => "InvalidPrivateKey",
            Self::UnknownAlgorithm(_) => "UnknownAlgorithm",
            Self::UnknownKeySpec(_) | Self::UnknownMaterialSpec(_) => "UnknownKeySpec",
            Self::UnknownWrappingKeySpec(_) => "UnknownWrappingKeySpec",
            Self::LegacyAlgorithmRefused => "LegacyAlgorithmRefused",
            Self::UnsupportedMaterial { .. } => "UnsupportedMaterial",
            Self::WrappingKeyMismatch { .. } => "WrappingKeyMismatch",
            Self::KeySpecMismatch { .. } => "KeySpecMismatch",
            Self::MaterialLength { .. } => "MaterialLength",
            Self::RandomUnavailable(_) => "RandomUnavailable",
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InsecureEndpoint(_) => "InsecureEndpoint",
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

/// The hybrid algorithm of each cloud, for messages that send a private key elsewhere.
const HYBRID_HINT: &str = "RSA_AES_KEY_WRAP_SHA_256 (AWS), RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD \
                           (Alibaba Cloud) or RSA_OAEP_3072_SHA256_AES_256 (Google Cloud)";

fn material_length_message(expected: ExpectedLength, got: usize) -> String {
    match expected {
        ExpectedLength::Spec(spec) => format!(
            "{spec} key material must be {} bytes, got {got}",
            spec.material_len()
        ),
        ExpectedLength::Material(spec) => match spec.rule().len {
            (min, max) if min == max => {
                format!("{spec} key material must be {min} bytes, got {got}")
            }
            (min, max) => format!("{spec} key material must be {min} to {max} bytes, got {got}"),
        },
        ExpectedLength::UpTo {
            max,
            algorithm,
            modulus_bits,
        } => format!(
            "key material must be 1 to {max} bytes for {algorithm} with a {modulus_bits}-bit \
             wrapping key, got {got}"
        ),
        ExpectedLength::PrivateKeyUpTo {
            max,
            algorithm,
            modulus_bits,
            key_type,
        } => format!(
            "an {key_type} private key is {got} bytes as PKCS#8, more than the {max} bytes \
             {algorithm} carries with a {modulus_bits}-bit wrapping key: private keys that long \
             need a hybrid algorithm, {HYBRID_HINT}"
        ),
        ExpectedLength::AesKey => {
            format!("a key check value needs a 16, 24 or 32-byte key, got {got} bytes")
        }
    }
}

fn unsupported_material_message(algorithm: WrappingAlgorithm, private_key: bool) -> String {
    if private_key {
        format!(
            "{algorithm} does not wrap private keys; use {HYBRID_HINT}, whichever your KMS named"
        )
    } else {
        format!(
            "{algorithm} wraps private keys only (Alibaba Cloud's format for asymmetric keys); \
             symmetric key material takes RSAES_OAEP_SHA_256"
        )
    }
}

fn wrapping_key_message(algorithm: WrappingAlgorithm, got: WrappingKeySpec) -> String {
    let allowed: Vec<&str> = algorithm
        .rule()
        .wrapping_key_specs
        .iter()
        .map(|spec| spec.as_str())
        .collect();
    format!(
        "{algorithm} needs a {} wrapping key, but the public key is {got}: use the public key of \
         the import job (or GetParametersForImport call) that named {algorithm}",
        allowed.join(" or ")
    )
}

fn key_spec_mismatch_message(spec: MaterialSpec, found: Option<PrivateKeyType>) -> String {
    match (spec.rule().private_key, found) {
        (None, Some(found)) => format!(
            "the key spec {spec} takes symmetric key material (raw bytes), but an {found} private \
             key was given: pass the bytes as material, or the key spec of an asymmetric key"
        ),
        (Some(expected), None) => format!(
            "the key spec {spec} takes an {expected} private key, but symmetric key material was \
             given: pass the private key (PEM or DER) as privateKey"
        ),
        (Some(expected), Some(found)) => format!(
            "the key spec {spec} takes an {expected} private key, but the private key is {found}: \
             import it into a key of its own type"
        ),
        (None, None) => format!("the material does not fit the key spec {spec}"),
    }
}
