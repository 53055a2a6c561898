//! The Alibaba door's errors: what only the wire can get wrong (parameters, signatures,
//! timestamps), and the one place where every error gets its code and HTTP status
//! (`reference/alibaba-kms-api.md`, "Errors").

use std::borrow::Cow;

use crate::kms::Policy;
use crate::kms::asymmetric::SIGNING_ALGORITHMS;
use crate::kms::error::{Argument, Error as KmsError};
use crate::kms::key_spec::KeySpec;
use crate::kms::state::KeyState;

/// Everything an Alibaba API request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required parameter is absent or empty.
    #[error("the required parameter {0} is missing")]
    MissingParameter(Cow<'static, str>),

    /// A parameter is malformed, repeated, or not one the action takes.
    #[error("the parameter {name} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's wire name.
        name: Cow<'static, str>,
        /// What is wrong with it, and what is allowed.
        reason: Cow<'static, str>,
    },

    /// The action is not one this server implements.
    #[error("the action {0:?} does not exist in KMS API 2016-01-20")]
    UnknownAction(String),

    /// The API version is not 2016-01-20.
    #[error("the API version {0:?} is not supported; use 2016-01-20")]
    InvalidVersion(String),

    /// The request carries no usable signature, or the signature does not cover what it must.
    #[error("incomplete signature: {0}")]
    IncompleteSignature(Cow<'static, str>),

    /// The signature does not match the request. The message ends, as the cloud's does, with the
    /// string the server signed, so that a client can tell a wrong secret (same string) from a
    /// changed request (another string).
    #[error(
        "Specified signature does not match our calculation; check the AccessKeyId and the \
         AccessKeySecret, and that the request was not changed after signing. server string to \
         sign is:{string_to_sign}"
    )]
    SignatureDoesNotMatch {
        /// What the server signed.
        string_to_sign: String,
    },

    /// `x-acs-content-sha256` is not the hash of the body that arrived.
    #[error(
        "the signature does not match: x-acs-content-sha256 is not the SHA-256 of the body received"
    )]
    BodyHashMismatch,

    /// The request's timestamp is missing, malformed, or too far from the server's clock.
    #[error("illegal timestamp: {0}")]
    IllegalTimestamp(String),

    /// The request's body did not arrive in time.
    #[error("the request body did not arrive within {0} seconds")]
    RequestTimeout(u64),

    /// The request's body is larger than any request needs.
    #[error("the request body must be at most {0} bytes")]
    BodyTooLarge(usize),

    /// The server has as many connections as it accepts.
    #[error("byok-kms has as many connections as it accepts; retry shortly")]
    Busy,

    /// The KMS refused the call.
    #[error(transparent)]
    Kms(#[from] KmsError),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(
        name: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InvalidParameter {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// The wire code and HTTP status: every error of both layers, in one match.
    pub fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            Self::MissingParameter(_) => ("MissingParameter", 400),
            Self::InvalidParameter { .. } | Self::BodyTooLarge(_) => ("InvalidParameter", 400),
            Self::UnknownAction(_) => ("InvalidAction.NotFound", 404),
            Self::InvalidVersion(_) => ("InvalidVersion", 400),
            Self::IncompleteSignature(_) => ("IncompleteSignature", 400),
            Self::SignatureDoesNotMatch { .. } | Self::BodyHashMismatch => {
                ("SignatureDoesNotMatch", 400)
            }
            Self::IllegalTimestamp(_) => ("IllegalTimestamp", 400),
            Self::RequestTimeout(_) => ("RequestTimeout", 408),
            Self::Busy => ("ServiceUnavailableTemporary", 503),
            Self::Kms(e) => kms_code_and_status(e),
        }
    }

    /// The wire code.
    pub fn code(&self) -> &'static str {
        self.code_and_status().0
    }

    /// Whether the client sees only that something failed inside: the error is then logged,
    /// with its cause, by whoever renders it.
    pub fn is_internal(&self) -> bool {
        self.code_and_status().1 == 500
    }

    /// The message the client sees, in the wire's words (parameter names as this door spells
    /// them). Internal failures are not described.
    pub fn message(&self) -> String {
        match self {
            _ if self.is_internal() => "an internal error occurred; it has been logged".to_owned(),
            Self::Kms(KmsError::InvalidArgument { argument, reason }) => {
                format!(
                    "the parameter {} is invalid: {reason}",
                    parameter(*argument)
                )
            }
            Self::Kms(KmsError::MissingArgument(argument)) => {
                format!("the required parameter {} is missing", parameter(*argument))
            }
            Self::Kms(KmsError::SigningAlgorithmNotForKey { algorithm, spec }) => {
                let name = SIGNING_ALGORITHMS
                    .iter()
                    .find(|(a, _)| a == algorithm)
                    .map_or("", |(_, n)| n);
                format!(
                    "the Algorithm {name} is not valid for this key: its KeySpec is {spec}, \
                     which signs with {}",
                    signing_names(&Policy::ALIBABA, *spec)
                )
            }
            other => other.to_string(),
        }
    }
}

/// The Alibaba names of the algorithms a key of `spec` signs with, for a message.
fn signing_names(policy: &Policy, spec: KeySpec) -> String {
    let names: Vec<&str> = spec
        .asymmetric()
        .map(|s| policy.signing_algorithms_of(s))
        .unwrap_or_default()
        .iter()
        .filter_map(|a| SIGNING_ALGORITHMS.iter().find(|(b, _)| a == b))
        .map(|(_, n)| *n)
        .collect();
    names.join(" or ")
}

/// The wire code and HTTP status of a core error.
pub fn kms_code_and_status(e: &KmsError) -> (&'static str, u16) {
    match e {
        KmsError::InvalidArgument { .. } => ("InvalidParameter", 400),
        KmsError::MissingArgument(_) => ("MissingParameter", 400),
        KmsError::AccessKeyNotFound => ("InvalidAccessKeyId.NotFound", 404),
        KmsError::NonceReused => ("SignatureNonceUsed", 400),
        KmsError::KeyNotFound(_) => ("Forbidden.KeyNotFound", 404),
        KmsError::KeyVersionNotFound(_) | KmsError::KeyMaterialNotFound(_) => {
            ("Forbidden.ResourceNotFound", 404)
        }
        KmsError::AliasNotFound(_) => ("Forbidden.AliasNotFound", 404),
        KmsError::AliasExists(_) => ("AliasAlreadyExists", 400),
        KmsError::NotExternal(_) => ("Unsupported.Origin", 400),
        KmsError::UnsupportedProtectionLevel(_) => ("Unsupported.ProtectionLevel", 400),
        KmsError::InvalidImportToken(_) => ("InvalidImportToken", 400),
        KmsError::ExpiredImportToken => ("ExpiredImportToken", 400),
        KmsError::WrongKeyKind { .. }
        | KmsError::SigningAlgorithmNotForKey { .. }
        | KmsError::MaterialFixed(_) => ("UnsupportedOperation", 400),
        KmsError::InvalidKeyMaterial
        | KmsError::PrivateKeyMismatch { .. }
        | KmsError::MaterialAlreadyBound(_) => ("InvalidKeyMaterial", 400),
        KmsError::InvalidCiphertext(_) | KmsError::IncorrectKey => ("InvalidCiphertext", 400),
        KmsError::KeyNotUsable(KeyState::Disabled) => ("Rejected.Disabled", 409),
        KmsError::KeyNotUsable(KeyState::PendingDeletion) => ("Rejected.PendingDeletion", 409),
        KmsError::KeyNotUsable(KeyState::PendingImport) => ("Rejected.PendingImport", 409),
        KmsError::StateForbids { .. }
        | KmsError::RotationPending { .. }
        | KmsError::NothingToRotate => ("Rejected.StateModifiedFailed", 409),
        KmsError::UnexpectedHost { .. } | KmsError::LegacySignatureDisabled => {
            ("IncompleteSignature", 400)
        }
        KmsError::AlgorithmDisabled(..) => ("InvalidParameter", 400),
        KmsError::LimitExceeded(_) => ("Rejected.LimitExceeded", 409),
        KmsError::Unavailable(_) | KmsError::HsmUnavailable(_) => {
            ("ServiceUnavailableTemporary", 503)
        }
        KmsError::KeyNotUsable(KeyState::Enabled)
        | KmsError::Hsm(_)
        | KmsError::RootKeyMismatch
        | KmsError::Tampered { .. }
        | KmsError::Store(_)
        | KmsError::Crypto(_)
        | KmsError::Invariant(_) => ("InternalFailure", 500),
    }
}

/// The parameter that carries each value the core's rules are about.
pub fn parameter(argument: Argument) -> &'static str {
    match argument {
        Argument::KeyId => "KeyId",
        Argument::Description => "Description",
        Argument::KeySpec | Argument::DataKeySpec => "KeySpec",
        Argument::KeyUsage => "KeyUsage",
        Argument::Origin => "Origin",
        Argument::ProtectionLevel => "ProtectionLevel",
        Argument::WrappingAlgorithm => "WrappingAlgorithm",
        Argument::WrappingKeySpec => "WrappingKeySpec",
        Argument::EncryptedKeyMaterial => "EncryptedKeyMaterial",
        Argument::ImportToken => "ImportToken",
        Argument::MaterialExpiry => "KeyMaterialExpireUnix",
        Argument::Plaintext => "Plaintext",
        Argument::CiphertextBlob => "CiphertextBlob",
        Argument::EncryptionContext => "EncryptionContext",
        Argument::DataKeyLength => "NumberOfBytes",
        Argument::PendingWindow => "PendingWindowInDays",
        Argument::AliasName => "AliasName",
        Argument::PageNumber => "PageNumber",
        Argument::PageSize => "PageSize",
        Argument::Tags => "Tags",
        Argument::TagKeys => "TagKeys",
        Argument::KeyVersionId => "KeyVersionId",
        Argument::Digest => "Digest",
        Argument::Algorithm => "Algorithm",
        Argument::Signature => "Value",
        Argument::AccessKeyId => "AccessKeyId",
        Argument::KeyMaterialId => "KeyMaterialId",
        Argument::KeyMaterialDescription => "KeyMaterialDescription",
        Argument::ImportType => "ImportType",
    }
}

/// Result alias of the Alibaba door.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto;
    use crate::kms::key::{Origin, ProtectionLevel};
    use crate::kms::key_spec::KeySpec;
    use crate::kms::state::Action;
    use crate::store;

    /// Every error of both layers, cell by cell: its code and status on this door's wire.
    #[test]
    #[rustfmt::skip]
    fn every_error_has_its_code_and_status() {
        let store_error = || store::Error::Corrupt { table: "keys", column: "origin", detail: "x".into() };
        let hsm_absent = || crate::hsm::Error::TokenAbsent { label: "kms".into() };
        let cells: Vec<(Error, &str, u16)> = vec![
            (Error::MissingParameter("KeyId".into()), "MissingParameter", 400),
            (Error::invalid("KeyId", "x"), "InvalidParameter", 400),
            (Error::BodyTooLarge(1), "InvalidParameter", 400),
            (Error::UnknownAction("X".into()), "InvalidAction.NotFound", 404),
            (Error::InvalidVersion("1".into()), "InvalidVersion", 400),
            (Error::IncompleteSignature("x".into()), "IncompleteSignature", 400),
            (Error::SignatureDoesNotMatch { string_to_sign: "s".into() }, "SignatureDoesNotMatch", 400),
            (Error::BodyHashMismatch, "SignatureDoesNotMatch", 400),
            (Error::IllegalTimestamp("x".into()), "IllegalTimestamp", 400),
            (Error::RequestTimeout(1), "RequestTimeout", 408),
            (Error::Busy, "ServiceUnavailableTemporary", 503),
            (KmsError::invalid(Argument::KeySpec, "x").into(), "InvalidParameter", 400),
            (KmsError::MissingArgument(Argument::Plaintext).into(), "MissingParameter", 400),
            (KmsError::AccessKeyNotFound.into(), "InvalidAccessKeyId.NotFound", 404),
            (KmsError::NonceReused.into(), "SignatureNonceUsed", 400),
            (KmsError::KeyNotFound("k".into()).into(), "Forbidden.KeyNotFound", 404),
            (KmsError::AliasNotFound("a".into()).into(), "Forbidden.AliasNotFound", 404),
            (KmsError::AliasExists("a".into()).into(), "AliasAlreadyExists", 400),
            (KmsError::NotExternal(Origin::Kms).into(), "Unsupported.Origin", 400),
            (KmsError::UnsupportedProtectionLevel(ProtectionLevel::Hsm).into(), "Unsupported.ProtectionLevel", 400),
            (KmsError::InvalidImportToken("x").into(), "InvalidImportToken", 400),
            (KmsError::ExpiredImportToken.into(), "ExpiredImportToken", 400),
            (KmsError::InvalidKeyMaterial.into(), "InvalidKeyMaterial", 400),
            (KmsError::KeyVersionNotFound("v".into()).into(), "Forbidden.ResourceNotFound", 404),
            (KmsError::WrongKeyKind { action: "Encrypt", spec: KeySpec::from_name("EC_P256").unwrap(), usage: crate::kms::key::KeyUsage::SignVerify }.into(), "UnsupportedOperation", 400),
            (KmsError::SigningAlgorithmNotForKey { algorithm: crate::crypto::asymmetric::SigningAlgorithm::RsaPssSha256, spec: KeySpec::from_name("EC_P256").unwrap() }.into(), "UnsupportedOperation", 400),
            (KmsError::PrivateKeyMismatch { found: "EC P-256", spec: KeySpec::from_name("RSA_2048").unwrap() }.into(), "InvalidKeyMaterial", 400),
            (KmsError::InvalidCiphertext("x").into(), "InvalidCiphertext", 400),
            (KmsError::IncorrectKey.into(), "InvalidCiphertext", 400),
            (KmsError::KeyMaterialNotFound("m".into()).into(), "Forbidden.ResourceNotFound", 404),
            (KmsError::RotationPending { new: "a".into(), pending: "b".into() }.into(), "Rejected.StateModifiedFailed", 409),
            (KmsError::NothingToRotate.into(), "Rejected.StateModifiedFailed", 409),
            (KmsError::MaterialFixed("x").into(), "UnsupportedOperation", 400),
            (KmsError::MaterialAlreadyBound("m".into()).into(), "InvalidKeyMaterial", 400),
            (KmsError::KeyNotUsable(KeyState::Disabled).into(), "Rejected.Disabled", 409),
            (KmsError::KeyNotUsable(KeyState::PendingDeletion).into(), "Rejected.PendingDeletion", 409),
            (KmsError::KeyNotUsable(KeyState::PendingImport).into(), "Rejected.PendingImport", 409),
            (KmsError::KeyNotUsable(KeyState::Enabled).into(), "InternalFailure", 500),
            (KmsError::StateForbids { action: Action::EnableKey, state: KeyState::PendingImport }.into(), "Rejected.StateModifiedFailed", 409),
            (KmsError::RootKeyMismatch.into(), "InternalFailure", 500),
            (KmsError::Tampered { record: "key", id: "k".into() }.into(), "InternalFailure", 500),
            (KmsError::UnexpectedHost { got: "a".into(), expected: "b".into() }.into(), "IncompleteSignature", 400),
            (KmsError::LegacySignatureDisabled.into(), "IncompleteSignature", 400),
            (KmsError::AlgorithmDisabled("RSAES_PKCS1_V1_5", "--disable-pkcs1v15").into(), "InvalidParameter", 400),
            (KmsError::LimitExceeded("the account has too many keys".into()).into(), "Rejected.LimitExceeded", 409),
            (KmsError::Unavailable(store_error()).into(), "ServiceUnavailableTemporary", 503),
            (KmsError::HsmUnavailable(hsm_absent()).into(), "ServiceUnavailableTemporary", 503),
            (KmsError::Hsm(hsm_absent()).into(), "InternalFailure", 500),
            (KmsError::Store(store_error()).into(), "InternalFailure", 500),
            (KmsError::Crypto(crypto::Error::RandomUnavailable).into(), "InternalFailure", 500),
            (KmsError::Invariant("x").into(), "InternalFailure", 500),
        ];
        for (error, code, status) in cells {
            assert_eq!(error.code_and_status(), (code, status), "{error:?}");
            let message = error.message();
            if status == 500 {
                assert_eq!(message, "an internal error occurred; it has been logged");
            } else {
                assert!(message.len() > 10, "{error:?}: {message}");
            }
        }
    }

    /// The reference's state table, cell by cell, as this door answers it: `None` is ok,
    /// `Some(code)` the refusal.
    #[test]
    #[rustfmt::skip]
    fn the_state_table() {
        use Action::*;
        const R: &str = "Rejected.StateModifiedFailed";
        let table: [(Action, [Option<&str>; 4]); 15] = [
            (Encrypt, [None, Some("Rejected.Disabled"), Some("Rejected.PendingDeletion"), Some("Rejected.PendingImport")]),
            (Decrypt, [None, Some("Rejected.Disabled"), Some("Rejected.PendingDeletion"), Some("Rejected.PendingImport")]),
            (GenerateDataKey, [None, Some("Rejected.Disabled"), Some("Rejected.PendingDeletion"), Some("Rejected.PendingImport")]),
            (EnableKey, [None, None, Some(R), Some(R)]),
            (DisableKey, [None, None, Some(R), Some(R)]),
            (ScheduleKeyDeletion, [None, None, Some(R), None]),
            (CancelKeyDeletion, [Some(R), Some(R), None, Some(R)]),
            (CreateAlias, [None, None, Some(R), None]),
            (UpdateAlias, [None, None, Some(R), None]),
            (GetParametersForImport, [None, None, None, None]),
            (ImportKeyMaterial, [None, None, Some(R), None]),
            (DeleteKeyMaterial, [None, None, None, None]),
            (TagResource, [None, None, Some(R), None]),
            (UntagResource, [None, None, None, None]),
            (UpdateKeyDescription, [None, None, Some(R), None]),
        ];
        for (action, row) in table {
            for (state, expected) in KeyState::ALL.into_iter().zip(row) {
                let got = state.check(action).err().map(|e| Error::from(e).code());
                assert_eq!(got, expected, "{action:?} in {state}");
            }
        }
    }

    #[test]
    fn the_signature_message_ends_with_the_string_to_sign_after_its_only_colon() {
        let message = Error::SignatureDoesNotMatch {
            string_to_sign: "POST&%2F&A%3D1".into(),
        }
        .message();
        // aliyunsdkcore compares `message.split(':')[1]` with its own string to sign.
        assert_eq!(message.split(':').nth(1), Some("POST&%2F&A%3D1"));
    }
}
