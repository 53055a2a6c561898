//! What can go wrong in the KMS, in the domain's words.
//!
//! No HTTP statuses and no wire codes here: each front door maps these to its cloud's code and
//! status in one place (`api::alibaba::error`). An [`Argument`] names the domain value a rule is
//! about; the front door says which of its parameters carries it.
//!
//! Messages are for people: they say what was wrong and what to do, and never contain key
//! material, private keys, secrets or tokens.

use core::fmt;

use crate::crypto;
use crate::kms::key::{Origin, ProtectionLevel};
use crate::kms::state::{Action, KeyState};
use crate::store;

/// Result alias of the core.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything a KMS action can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument breaks a rule: malformed, out of range, or not allowed for this key.
    #[error("the {argument} is invalid: {reason}")]
    InvalidArgument {
        /// Which value.
        argument: Argument,
        /// What is wrong with it, and what is allowed.
        reason: String,
    },

    /// A required value is absent or empty.
    #[error("the {0} is missing")]
    MissingArgument(Argument),

    /// No account has this access key.
    #[error("the access key id does not exist")]
    AccessKeyNotFound,

    /// The signature nonce was already used within the replay window.
    #[error("the signature nonce was already used; sign every request with a fresh nonce")]
    NonceReused,

    /// No key with this id, alias or ARN exists in the caller's account.
    #[error("the key {0:?} does not exist")]
    KeyNotFound(String),

    /// The key has no version with this id (a key has one; another key's id names none).
    #[error("the key version {0:?} does not exist for this key")]
    KeyVersionNotFound(String),

    /// No alias with this name exists in the caller's account.
    #[error("the alias {0:?} does not exist")]
    AliasNotFound(String),

    /// The alias name is taken.
    #[error("the alias {0:?} already exists")]
    AliasExists(String),

    /// An import call on a key whose material is not imported.
    #[error(
        "key material can only be imported into or deleted from a key whose Origin is EXTERNAL; \
         this key's Origin is {}", .0.name()
    )]
    NotExternal(Origin),

    /// A protection level this KMS cannot give: HSM when it was started without a token
    /// (`--hsm-module`).
    #[error(
        "ProtectionLevel {} is not supported: this byok-kms was started without a hardware \
         security module (--hsm-module, --hsm-token, --hsm-pin-file), so it would only pretend; \
         use SOFTWARE", .0.name()
    )]
    UnsupportedProtectionLevel(ProtectionLevel),

    /// The HSM's token cannot be reached now (pulled out, restarting, its session lost): keys it
    /// protects cannot be used until it is back; software keys keep working.
    #[error("the hardware security module cannot be reached; try again shortly")]
    HsmUnavailable(#[source] crate::hsm::Error),

    /// The HSM failed a call it should have done (an object missing, a mechanism refused).
    #[error("the hardware security module failed")]
    Hsm(#[source] crate::hsm::Error),

    /// The import token is malformed, tampered with, or belongs to another key.
    #[error("the import token is invalid: {0}")]
    InvalidImportToken(&'static str),

    /// The import token is older than 24 hours.
    #[error(
        "the import token expired; call GetParametersForImport for a new token and public key, \
         and wrap the material again"
    )]
    ExpiredImportToken,

    /// The wrapped material could not be imported. One message for every cause, so that the reply
    /// is no padding oracle.
    #[error(
        "the key material was not imported: EncryptedKeyMaterial must be the key material \
         wrapped with the public key and algorithm of this import token, of the key spec's length, \
         and identical to the material first imported into this key"
    )]
    InvalidKeyMaterial,

    /// A call the key's spec or usage does not allow: a symmetric call on an asymmetric key, an
    /// asymmetric call on a symmetric key, signing with an ENCRYPT/DECRYPT key, a MAC algorithm
    /// of another key spec.
    #[error(
        "{action} is not allowed on this key: its KeySpec is {spec} and its KeyUsage {}",
        usage.name()
    )]
    WrongKeyKind {
        /// The action, or the algorithm, that was refused.
        action: &'static str,
        /// The key's spec.
        spec: crate::kms::key_spec::KeySpec,
        /// The key's usage.
        usage: crate::kms::key::KeyUsage,
    },

    /// A signing algorithm the key's spec does not sign with (RSA padding on an EC key, ECDSA with
    /// another curve's hash), or one the cloud does not offer. Each door names the algorithms.
    #[error("the signing algorithm {algorithm} is not valid for this key: its KeySpec is {spec}")]
    SigningAlgorithmNotForKey {
        /// The algorithm that was refused.
        algorithm: crypto::asymmetric::SigningAlgorithm,
        /// The key's spec.
        spec: crate::kms::key_spec::KeySpec,
    },

    /// The imported private key is well formed but of another type or size than the key spec.
    #[error(
        "the key material was not imported: the private key is {found} but the key spec is \
         {spec}; import a private key of the key's spec"
    )]
    PrivateKeyMismatch {
        /// What the private key is (`RSA-2048`, `EC P-256`, …).
        found: &'static str,
        /// The key's spec.
        spec: crate::kms::key_spec::KeySpec,
    },

    /// The key has no material of this id (AWS `KeyMaterialId`).
    #[error(
        "the key has no key material with id {0:?}; ListKeyRotations with IncludeKeyMaterial \
         ALL_KEY_MATERIAL lists its materials"
    )]
    KeyMaterialNotFound(String),

    /// New material for a key that already has material pending rotation.
    #[error(
        "new key material (id: {new}) cannot be imported into this key, because another key \
         material (id: {pending}) is pending rotation; rotate the key (RotateKeyOnDemand) or \
         delete that material (DeleteImportedKeyMaterial with its KeyMaterialId) first"
    )]
    RotationPending {
        /// The id of the material refused.
        new: String,
        /// The id of the material pending rotation.
        pending: String,
    },

    /// RotateKeyOnDemand on a key with imported material but none pending rotation.
    #[error(
        "the key has no key material pending rotation: import new key material \
         (ImportKeyMaterial with ImportType NEW_KEY_MATERIAL) first, then rotate"
    )]
    NothingToRotate,

    /// New material, or a rotation, for a key that keeps the material it has.
    #[error("this key takes no new key material: {0}")]
    MaterialFixed(&'static str),

    /// New material that is already one of the key's materials.
    #[error(
        "this key material is already the key's (id: {0}); to import it again, use ImportType \
         EXISTING_KEY_MATERIAL with that KeyMaterialId"
    )]
    MaterialAlreadyBound(String),

    /// A ciphertext blob is malformed, names no key of the caller, or does not authenticate (for
    /// example under another encryption context).
    #[error("the ciphertext cannot be decrypted: {0}")]
    InvalidCiphertext(&'static str),

    /// The request names a key, but the ciphertext was made with another one.
    #[error(
        "the ciphertext was not made with the key the request names; name the key it was \
         encrypted with, or none"
    )]
    IncorrectKey,

    /// A cryptographic call on a key that is not Enabled.
    #[error("{}", unusable_message(*.0))]
    KeyNotUsable(KeyState),

    /// A state change that the key's current state does not allow.
    #[error("{} is not allowed while the key is {state}", .action.name())]
    StateForbids {
        /// The action that was refused.
        action: Action,
        /// The key's state.
        state: KeyState,
    },

    /// The request was signed for a host this server does not answer to (`--expected-host`).
    #[error(
        "the request was signed for the host {got:?}, but this server answers to {expected} \
         (--expected-host); send it to this server's own address"
    )]
    UnexpectedHost {
        /// The host the request was signed for.
        got: String,
        /// The hosts this server answers to.
        expected: String,
    },

    /// A legacy RPC HMAC-SHA1 signature on a server that refuses them.
    #[error(
        "legacy RPC HMAC-SHA1 signatures are disabled on this server \
         (--disable-legacy-signatures); sign with ACS3-HMAC-SHA256, the current SDKs' default"
    )]
    LegacySignatureDisabled,

    /// An algorithm the operator turned off.
    #[error("{0} is disabled on this server ({1}); use RSAES_OAEP_SHA_256")]
    AlgorithmDisabled(&'static str, &'static str),

    /// An account quota is used up.
    #[error("{0}")]
    LimitExceeded(String),

    /// A stored row failed its integrity check: it was changed outside byok-kms. Never served.
    #[error(
        "tampering detected: the stored {record} {id:?} fails its integrity check (it was \
         changed outside byok-kms); it is not used"
    )]
    Tampered {
        /// What kind of row.
        record: &'static str,
        /// Which one.
        id: String,
    },

    /// The database was created with another root key (found at start).
    #[error(
        "this database was created with a different root key; start byok-kms with the root key \
         it was created with (BYOK_KMS_ROOT_KEY or <data-dir>/root.key; every instance sharing a \
         PostgreSQL database needs the same one)"
    )]
    RootKeyMismatch,

    /// The database cannot be reached now; retrying shortly may succeed.
    #[error("the database cannot be reached; try again shortly")]
    Unavailable(#[source] store::Error),

    /// Storage failed (a corrupt row, a driver error).
    #[error("storage failed")]
    Store(#[source] store::Error),

    /// A cryptographic primitive failed (the RNG, a stored key that does not open or parse).
    #[error("cryptography failed")]
    Crypto(#[from] crypto::Error),

    /// An invariant the core relies on does not hold (a bug, or a database edited by hand).
    #[error("internal invariant broken: {0}")]
    Invariant(&'static str),
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(argument: Argument, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }

    /// Whether this is a failure of the service rather than of the request: the front doors answer
    /// it with a bare internal error and log it, with its cause, once.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Store(_)
                | Self::Hsm(_)
                | Self::Crypto(_)
                | Self::Invariant(_)
                | Self::RootKeyMismatch
                | Self::Tampered { .. }
        ) || matches!(self, Self::KeyNotUsable(KeyState::Enabled))
    }
}

impl From<crate::hsm::Error> for Error {
    fn from(e: crate::hsm::Error) -> Self {
        if e.is_unreachable() {
            Self::HsmUnavailable(e)
        } else {
            Self::Hsm(e)
        }
    }
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        if e.is_unavailable() {
            Self::Unavailable(e)
        } else {
            Self::Store(e)
        }
    }
}

/// The values of requests that rules are about. Each front door knows which of its parameters
/// carries which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Argument {
    /// The key a request names (id, alias or ARN).
    KeyId,
    /// A key's free-text description.
    Description,
    /// A key's spec (its algorithm and size).
    KeySpec,
    /// What a key is for.
    KeyUsage,
    /// Where a key's material comes from.
    Origin,
    /// How a key is protected.
    ProtectionLevel,
    /// The wrapping algorithm of an import.
    WrappingAlgorithm,
    /// The wrapping key's spec.
    WrappingKeySpec,
    /// The wrapped key material.
    EncryptedKeyMaterial,
    /// The import token.
    ImportToken,
    /// When imported material expires.
    MaterialExpiry,
    /// Data to encrypt.
    Plaintext,
    /// A ciphertext to decrypt.
    CiphertextBlob,
    /// The encryption context bound to a ciphertext.
    EncryptionContext,
    /// The spec of a data key.
    DataKeySpec,
    /// The length of a data key in bytes.
    DataKeyLength,
    /// The waiting period before a key is deleted.
    PendingWindow,
    /// An alias name.
    AliasName,
    /// A page number of a listing.
    PageNumber,
    /// The page size of a listing.
    PageSize,
    /// The tags of a key (CreateKey, TagResource).
    Tags,
    /// The keys of tags to remove (UntagResource).
    TagKeys,
    /// A key version id.
    KeyVersionId,
    /// The digest to sign or verify.
    Digest,
    /// The algorithm of an asymmetric call.
    Algorithm,
    /// A signature to verify.
    Signature,
    /// An access key id (a preset one, at start).
    AccessKeyId,
    /// The id of one of a key's materials.
    KeyMaterialId,
    /// The description of a key material.
    KeyMaterialDescription,
    /// Which material an import is for (new, or existing).
    ImportType,
}

impl fmt::Display for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyId => "key id",
            Self::Description => "description",
            Self::KeySpec => "key spec",
            Self::KeyUsage => "key usage",
            Self::Origin => "origin",
            Self::ProtectionLevel => "protection level",
            Self::WrappingAlgorithm => "wrapping algorithm",
            Self::WrappingKeySpec => "wrapping key spec",
            Self::EncryptedKeyMaterial => "encrypted key material",
            Self::ImportToken => "import token",
            Self::MaterialExpiry => "material expiry",
            Self::Plaintext => "plaintext",
            Self::CiphertextBlob => "ciphertext blob",
            Self::EncryptionContext => "encryption context",
            Self::DataKeySpec => "data key spec",
            Self::KeyVersionId => "key version id",
            Self::Digest => "digest",
            Self::Algorithm => "algorithm",
            Self::Signature => "signature",
            Self::AccessKeyId => "access key id",
            Self::DataKeyLength => "data key length",
            Self::PendingWindow => "pending window",
            Self::AliasName => "alias name",
            Self::PageNumber => "page number",
            Self::PageSize => "page size",
            Self::Tags => "tags",
            Self::TagKeys => "tag keys",
            Self::KeyMaterialId => "key material id",
            Self::KeyMaterialDescription => "key material description",
            Self::ImportType => "import type",
        })
    }
}

fn unusable_message(state: KeyState) -> &'static str {
    match state {
        KeyState::Disabled => "the key is Disabled; enable it with EnableKey first",
        KeyState::PendingDeletion => {
            "the key is PendingDeletion; cancel the deletion with CancelKeyDeletion first"
        }
        KeyState::PendingImport => {
            "the key is PendingImport: it has no key material; import it with \
             GetParametersForImport and ImportKeyMaterial first"
        }
        KeyState::Enabled => "the key is Enabled",
    }
}

/// An error with its chain of causes, `: `-separated, for a log line or a start-up message.
pub struct Chain<'a>(pub &'a dyn std::error::Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
