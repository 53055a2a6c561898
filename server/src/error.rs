//! The one error type of `byok-kms`, and the single place where each error gets its wire code and
//! HTTP status (Alibaba Cloud KMS API 2016-01-20; see the README's table).
//!
//! Messages are for people: they say what was wrong and what to do, and never contain key material,
//! private keys, secrets or tokens.

use crate::kms::key::KeyState;

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required parameter is absent or empty.
    #[error("the required parameter {0} is missing")]
    MissingParameter(String),

    /// A parameter is malformed, repeated, or out of range.
    #[error("the parameter {name} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's wire name.
        name: String,
        /// What is wrong with it, and what is allowed.
        reason: String,
    },

    /// The action is not one this server implements.
    #[error("the action {0:?} does not exist in KMS API 2016-01-20")]
    UnknownAction(String),

    /// The API version is not 2016-01-20.
    #[error("the API version {0:?} is not supported; use 2016-01-20")]
    InvalidVersion(String),

    /// The request carries no usable signature, or the signature does not cover what it must.
    #[error("incomplete signature: {0}")]
    IncompleteSignature(String),

    /// The signature does not match the request (wrong secret, or the request was changed).
    #[error("the request signature does not match: {0}")]
    SignatureDoesNotMatch(String),

    /// The request's timestamp is missing, malformed, or more than 15 minutes from server time.
    #[error("illegal timestamp: {0}")]
    IllegalTimestamp(String),

    /// The signature nonce was already used within the replay window.
    #[error("the signature nonce was already used; sign every request with a fresh nonce")]
    SignatureNonceUsed,

    /// No account has this access key.
    #[error("the access key id does not exist")]
    AccessKeyNotFound,

    /// No key with this id, alias or ARN exists in the caller's account.
    #[error("the key {0:?} does not exist")]
    KeyNotFound(String),

    /// No alias with this name exists in the caller's account.
    #[error("the alias {0:?} does not exist")]
    AliasNotFound(String),

    /// The alias name is taken.
    #[error("the alias {0:?} already exists")]
    AliasAlreadyExists(String),

    /// An import call on a key whose origin is not `EXTERNAL`.
    #[error(
        "key material can only be imported into or deleted from a key whose Origin is EXTERNAL; \
         this key's Origin is {0}"
    )]
    UnsupportedOrigin(String),

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

    /// A ciphertext blob is malformed, names no key of the caller, or does not authenticate (for
    /// example under another encryption context).
    #[error("the ciphertext cannot be decrypted: {0}")]
    InvalidCiphertext(&'static str),

    /// A cryptographic call on a key that is not `Enabled`.
    #[error("{}", rejected_message(*.0))]
    Rejected(KeyState),

    /// A state change that the key's current state does not allow.
    #[error("{action} is not allowed while the key is {state}")]
    StateModifiedFailed {
        /// The action that was refused.
        action: &'static str,
        /// The key's state.
        state: KeyState,
    },

    /// The request's body did not arrive in time.
    #[error("the request body did not arrive within {0} seconds")]
    RequestTimeout(u64),

    /// The server cannot take the request now (too many connections, or its database is
    /// unreachable); retrying shortly may succeed.
    #[error("the service is temporarily unavailable: {0}")]
    ServiceUnavailable(&'static str),

    /// Something failed that should not: storage, or a broken invariant. Logged once by the HTTP
    /// layer; the client sees only a generic message.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl Error {
    /// The error's code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingParameter(_) => "MissingParameter",
            Self::InvalidParameter { .. } => "InvalidParameter",
            Self::UnknownAction(_) => "InvalidAction.NotFound",
            Self::InvalidVersion(_) => "InvalidVersion",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::IllegalTimestamp(_) => "IllegalTimestamp",
            Self::SignatureNonceUsed => "SignatureNonceUsed",
            Self::AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
            Self::KeyNotFound(_) => "Forbidden.KeyNotFound",
            Self::AliasNotFound(_) => "Forbidden.AliasNotFound",
            Self::AliasAlreadyExists(_) => "AliasAlreadyExists",
            Self::UnsupportedOrigin(_) => "Unsupported.Origin",
            Self::InvalidImportToken(_) => "InvalidImportToken",
            Self::ExpiredImportToken => "ExpiredImportToken",
            Self::InvalidKeyMaterial => "InvalidKeyMaterial",
            Self::InvalidCiphertext(_) => "InvalidCiphertext",
            Self::Rejected(KeyState::Disabled) => "Rejected.Disabled",
            Self::Rejected(KeyState::PendingDeletion) => "Rejected.PendingDeletion",
            Self::Rejected(KeyState::PendingImport) => "Rejected.PendingImport",
            Self::Rejected(KeyState::Enabled) => "InternalFailure",
            Self::StateModifiedFailed { .. } => "Rejected.StateModifiedFailed",
            Self::RequestTimeout(_) => "RequestTimeout",
            Self::ServiceUnavailable(_) => "ServiceUnavailableTemporary",
            Self::Internal(_) => "InternalFailure",
        }
    }

    /// The HTTP status that carries the error.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::UnknownAction(_)
            | Self::AccessKeyNotFound
            | Self::KeyNotFound(_)
            | Self::AliasNotFound(_) => 404,
            Self::Rejected(KeyState::Enabled) | Self::Internal(_) => 500,
            Self::Rejected(_) | Self::StateModifiedFailed { .. } => 409,
            Self::RequestTimeout(_) => 408,
            Self::ServiceUnavailable(_) => 503,
            _ => 400,
        }
    }

    /// The message the client sees. Internal failures are not described to clients.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Internal`] from any displayable cause.
    pub fn internal(cause: impl core::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

fn rejected_message(state: KeyState) -> String {
    match state {
        KeyState::Disabled => "the key is Disabled; enable it with EnableKey first".to_owned(),
        KeyState::PendingDeletion => {
            "the key is PendingDeletion; cancel the deletion with CancelKeyDeletion first"
                .to_owned()
        }
        KeyState::PendingImport => "the key is PendingImport: it has no key material; import \
                                    it with GetParametersForImport and ImportKeyMaterial first"
            .to_owned(),
        KeyState::Enabled => "the key is Enabled".to_owned(),
    }
}

/// Quotes at most this many characters of client input in a message.
const MAX_ECHO: usize = 64;

/// Shortens client-supplied text (a key id, a version) for an error message.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
