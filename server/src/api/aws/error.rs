//! The AWS door's errors: what only the wire can get wrong (the JSON body, the target, the
//! signature), and the one place where every error gets its `__type` and HTTP status.
//!
//! The names are the exception shapes of botocore's service model (`kms/2014-11-01`) and, for
//! authentication, the ones every AWS JSON service answers with (`UnrecognizedClientException`,
//! `InvalidSignatureException`, `IncompleteSignatureException`,
//! `MissingAuthenticationTokenException`, `UnknownOperationException`, `SerializationException`).
//! The model gives no statuses for KMS: AWS answers 400 to the client's mistakes, 403 to a bad
//! or unknown credential, 500 and 503 to its own failures.

use std::borrow::Cow;

use super::reply::{key_spec, signing_algorithm, signing_algorithms};
use crate::kms::error::{Argument, Error as KmsError};
use crate::kms::state::KeyState;

/// Everything an AWS API request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not a JSON object, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(Cow<'static, str>),

    /// A member is missing, not one the operation takes, or not an allowed value.
    #[error("{0}")]
    Validation(Cow<'static, str>),

    /// `X-Amz-Target` names no operation this server implements.
    #[error(
        "the operation {0:?} does not exist in TrentService (AWS KMS 2014-11-01) or is not implemented by byok-kms"
    )]
    UnknownOperation(String),

    /// The request carries no `Authorization` header.
    #[error("the request is not signed: send an AWS4-HMAC-SHA256 Authorization header")]
    MissingAuthenticationToken,

    /// The signature is malformed or does not cover what it must.
    #[error("{0}")]
    IncompleteSignature(Cow<'static, str>),

    /// The signature does not match, or was made for another time, region or service.
    #[error("{0}")]
    InvalidSignature(Cow<'static, str>),

    /// The request's body did not arrive in time.
    #[error("the request body did not arrive within {0} seconds")]
    RequestTimeout(u64),

    /// The request's body is larger than any request needs.
    #[error("the request body must be at most {0} bytes")]
    BodyTooLarge(usize),

    /// Verify found that the signature is not the key's over the message (AWS answers that
    /// with an error, not with `SignatureValid: false`).
    #[error("the signature is not valid for this key, message and signing algorithm")]
    InvalidSignatureValue,

    /// VerifyMac found that the MAC is not the key's over the message.
    #[error("the MAC is not valid for this key, message and MAC algorithm")]
    InvalidMac,

    /// The KMS refused the call.
    #[error(transparent)]
    Kms(#[from] KmsError),
}

impl Error {
    /// Shorthand for [`Error::Validation`].
    pub fn validation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Validation(message.into())
    }

    /// The wire `__type` and HTTP status: every error of both layers, in one match.
    pub fn type_and_status(&self) -> (&'static str, u16) {
        match self {
            Self::Serialization(_) => ("SerializationException", 400),
            Self::Validation(_) | Self::BodyTooLarge(_) => ("ValidationException", 400),
            Self::UnknownOperation(_) => ("UnknownOperationException", 400),
            Self::MissingAuthenticationToken => ("MissingAuthenticationTokenException", 403),
            Self::IncompleteSignature(_) => ("IncompleteSignatureException", 400),
            Self::InvalidSignature(_) => ("InvalidSignatureException", 403),
            Self::RequestTimeout(_) => ("RequestTimeoutException", 408),
            Self::InvalidSignatureValue => ("KMSInvalidSignatureException", 400),
            Self::InvalidMac => ("KMSInvalidMacException", 400),
            Self::Kms(e) => kms_type_and_status(e),
        }
    }

    /// Whether the client sees only that something failed inside: the error is then logged,
    /// with its cause, by whoever renders it.
    pub fn is_internal(&self) -> bool {
        self.type_and_status().1 == 500
    }

    /// The message the client sees, with the members as this door names them. Internal failures
    /// are not described.
    pub fn message(&self) -> String {
        match self {
            _ if self.is_internal() => "an internal error occurred; it has been logged".to_owned(),
            Self::Kms(KmsError::InvalidArgument { argument, reason }) => {
                format!("{} is invalid: {reason}", member(*argument))
            }
            Self::Kms(KmsError::MissingArgument(argument)) => {
                format!("{} is required", member(*argument))
            }
            Self::Kms(KmsError::SigningAlgorithmNotForKey { algorithm, spec }) => {
                let valid = spec
                    .asymmetric()
                    .map(signing_algorithms)
                    .unwrap_or_default();
                format!(
                    "SigningAlgorithm {} is not valid for this key: its KeySpec is {}, which \
                     signs with {}",
                    signing_algorithm(*algorithm),
                    key_spec(*spec),
                    valid.join(", ")
                )
            }
            other => other.to_string(),
        }
    }
}

/// The wire `__type` and HTTP status of a core error.
pub fn kms_type_and_status(e: &KmsError) -> (&'static str, u16) {
    match e {
        // AWS answers a tag that breaks its rules with TagException.
        KmsError::InvalidArgument {
            argument: Argument::Tags | Argument::TagKeys,
            ..
        } => ("TagException", 400),
        KmsError::InvalidArgument { .. } | KmsError::MissingArgument(_) => {
            ("ValidationException", 400)
        }
        KmsError::AccessKeyNotFound => ("UnrecognizedClientException", 403),
        KmsError::NonceReused | KmsError::UnexpectedHost { .. } => {
            ("InvalidSignatureException", 403)
        }
        KmsError::LegacySignatureDisabled => ("IncompleteSignatureException", 400),
        KmsError::KeyNotFound(_)
        | KmsError::KeyVersionNotFound(_)
        | KmsError::AliasNotFound(_)
        | KmsError::KeyMaterialNotFound(_) => ("NotFoundException", 400),
        KmsError::AliasExists(_) => ("AlreadyExistsException", 400),
        KmsError::NotExternal(_)
        | KmsError::UnsupportedProtectionLevel(_)
        | KmsError::AlgorithmDisabled(..)
        | KmsError::MaterialFixed(_) => ("UnsupportedOperationException", 400),
        KmsError::InvalidImportToken(_) => ("InvalidImportTokenException", 400),
        KmsError::ExpiredImportToken => ("ExpiredImportTokenException", 400),
        // One answer for material that does not unwrap and material that differs, so that the
        // reply is no padding oracle.
        KmsError::InvalidKeyMaterial
        | KmsError::PrivateKeyMismatch { .. }
        | KmsError::MaterialAlreadyBound(_) => ("IncorrectKeyMaterialException", 400),
        KmsError::WrongKeyKind { .. } | KmsError::SigningAlgorithmNotForKey { .. } => {
            ("InvalidKeyUsageException", 400)
        }
        KmsError::InvalidCiphertext(_) => ("InvalidCiphertextException", 400),
        KmsError::IncorrectKey => ("IncorrectKeyException", 400),
        KmsError::KeyNotUsable(KeyState::Disabled) => ("DisabledException", 400),
        KmsError::KeyNotUsable(KeyState::PendingDeletion | KeyState::PendingImport)
        | KmsError::StateForbids { .. }
        | KmsError::RotationPending { .. }
        | KmsError::NothingToRotate => ("KMSInvalidStateException", 400),
        KmsError::LimitExceeded(_) => ("LimitExceededException", 400),
        KmsError::Unavailable(_) | KmsError::HsmUnavailable(_) => {
            ("DependencyTimeoutException", 503)
        }
        KmsError::KeyNotUsable(KeyState::Enabled)
        | KmsError::Hsm(_)
        | KmsError::RootKeyMismatch
        | KmsError::Tampered { .. }
        | KmsError::Store(_)
        | KmsError::Crypto(_)
        | KmsError::Invariant(_) => ("KMSInternalException", 500),
    }
}

/// The request member that carries each value the core's rules are about.
pub fn member(argument: Argument) -> &'static str {
    match argument {
        Argument::KeyId => "KeyId",
        Argument::Description => "Description",
        Argument::KeySpec => "KeySpec",
        Argument::DataKeySpec => "KeySpec",
        Argument::KeyUsage => "KeyUsage",
        Argument::Origin => "Origin",
        Argument::ProtectionLevel => "CustomKeyStoreId",
        Argument::WrappingAlgorithm => "WrappingAlgorithm",
        Argument::WrappingKeySpec => "WrappingKeySpec",
        Argument::EncryptedKeyMaterial => "EncryptedKeyMaterial",
        Argument::ImportToken => "ImportToken",
        Argument::MaterialExpiry => "ValidTo",
        Argument::Plaintext => "Plaintext",
        Argument::CiphertextBlob => "CiphertextBlob",
        Argument::EncryptionContext => "EncryptionContext",
        Argument::DataKeyLength => "NumberOfBytes",
        Argument::PendingWindow => "PendingWindowInDays",
        Argument::AliasName => "AliasName",
        Argument::PageNumber => "Marker",
        Argument::PageSize => "Limit",
        Argument::Tags => "Tags",
        Argument::TagKeys => "TagKeys",
        Argument::KeyVersionId => "KeyMaterialId",
        Argument::Digest => "Message",
        Argument::Algorithm => "SigningAlgorithm",
        Argument::Signature => "Signature",
        Argument::AccessKeyId => "AccessKeyId",
        Argument::KeyMaterialId => "KeyMaterialId",
        Argument::KeyMaterialDescription => "KeyMaterialDescription",
        Argument::ImportType => "ImportType",
    }
}

/// Result alias of the AWS door.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto;
    use crate::kms::key::{Origin, ProtectionLevel};
    use crate::kms::key_spec::KeySpec;
    use crate::kms::state::Action;
    use crate::store;

    /// Every error of both layers, cell by cell: its `__type` and status on this door's wire.
    #[test]
    #[rustfmt::skip]
    fn every_error_has_its_type_and_status() {
        let store_error = || store::Error::Corrupt { table: "keys", column: "origin", detail: "x".into() };
        let hsm_absent = || crate::hsm::Error::TokenAbsent { label: "kms".into() };
        let cells: Vec<(Error, &str, u16)> = vec![
            (Error::Serialization("the body is not JSON".into()), "SerializationException", 400),
            (Error::validation("KeyId is required"), "ValidationException", 400),
            (Error::BodyTooLarge(1), "ValidationException", 400),
            (Error::UnknownOperation("X".into()), "UnknownOperationException", 400),
            (Error::MissingAuthenticationToken, "MissingAuthenticationTokenException", 403),
            (Error::IncompleteSignature("SignedHeaders must include host".into()), "IncompleteSignatureException", 400),
            (Error::InvalidSignature("the signature does not match".into()), "InvalidSignatureException", 403),
            (Error::RequestTimeout(1), "RequestTimeoutException", 408),
            (Error::InvalidSignatureValue, "KMSInvalidSignatureException", 400),
            (Error::InvalidMac, "KMSInvalidMacException", 400),
            (KmsError::invalid(Argument::KeySpec, "x").into(), "ValidationException", 400),
            (KmsError::invalid(Argument::Tags, "x").into(), "TagException", 400),
            (KmsError::invalid(Argument::TagKeys, "x").into(), "TagException", 400),
            (KmsError::MissingArgument(Argument::Plaintext).into(), "ValidationException", 400),
            (KmsError::AccessKeyNotFound.into(), "UnrecognizedClientException", 403),
            (KmsError::NonceReused.into(), "InvalidSignatureException", 403),
            (KmsError::KeyNotFound("k".into()).into(), "NotFoundException", 400),
            (KmsError::KeyVersionNotFound("v".into()).into(), "NotFoundException", 400),
            (KmsError::AliasNotFound("a".into()).into(), "NotFoundException", 400),
            (KmsError::AliasExists("a".into()).into(), "AlreadyExistsException", 400),
            (KmsError::NotExternal(Origin::Kms).into(), "UnsupportedOperationException", 400),
            (KmsError::UnsupportedProtectionLevel(ProtectionLevel::Hsm).into(), "UnsupportedOperationException", 400),
            (KmsError::InvalidImportToken("x").into(), "InvalidImportTokenException", 400),
            (KmsError::ExpiredImportToken.into(), "ExpiredImportTokenException", 400),
            (KmsError::InvalidKeyMaterial.into(), "IncorrectKeyMaterialException", 400),
            (KmsError::WrongKeyKind { action: "Encrypt", spec: KeySpec::from_name("EC_P256").unwrap(), usage: crate::kms::key::KeyUsage::SignVerify }.into(), "InvalidKeyUsageException", 400),
            (KmsError::SigningAlgorithmNotForKey { algorithm: crate::crypto::asymmetric::SigningAlgorithm::EcdsaSha384, spec: KeySpec::from_name("EC_P256").unwrap() }.into(), "InvalidKeyUsageException", 400),
            (KmsError::PrivateKeyMismatch { found: "EC P-256", spec: KeySpec::from_name("RSA_2048").unwrap() }.into(), "IncorrectKeyMaterialException", 400),
            (KmsError::InvalidCiphertext("x").into(), "InvalidCiphertextException", 400),
            (KmsError::IncorrectKey.into(), "IncorrectKeyException", 400),
            (KmsError::KeyMaterialNotFound("m".into()).into(), "NotFoundException", 400),
            (KmsError::RotationPending { new: "a".into(), pending: "b".into() }.into(), "KMSInvalidStateException", 400),
            (KmsError::NothingToRotate.into(), "KMSInvalidStateException", 400),
            (KmsError::MaterialFixed("x").into(), "UnsupportedOperationException", 400),
            (KmsError::MaterialAlreadyBound("m".into()).into(), "IncorrectKeyMaterialException", 400),
            (KmsError::KeyNotUsable(KeyState::Disabled).into(), "DisabledException", 400),
            (KmsError::KeyNotUsable(KeyState::PendingDeletion).into(), "KMSInvalidStateException", 400),
            (KmsError::KeyNotUsable(KeyState::PendingImport).into(), "KMSInvalidStateException", 400),
            (KmsError::KeyNotUsable(KeyState::Enabled).into(), "KMSInternalException", 500),
            (KmsError::StateForbids { action: Action::EnableKey, state: KeyState::PendingImport }.into(), "KMSInvalidStateException", 400),
            (KmsError::UnexpectedHost { got: "a".into(), expected: "b".into() }.into(), "InvalidSignatureException", 403),
            (KmsError::LegacySignatureDisabled.into(), "IncompleteSignatureException", 400),
            (KmsError::AlgorithmDisabled("RSAES_PKCS1_V1_5", "--disable-pkcs1v15").into(), "UnsupportedOperationException", 400),
            (KmsError::LimitExceeded("too many keys".into()).into(), "LimitExceededException", 400),
            (KmsError::Unavailable(store_error()).into(), "DependencyTimeoutException", 503),
            (KmsError::HsmUnavailable(hsm_absent()).into(), "DependencyTimeoutException", 503),
            (KmsError::Hsm(hsm_absent()).into(), "KMSInternalException", 500),
            (KmsError::RootKeyMismatch.into(), "KMSInternalException", 500),
            (KmsError::Tampered { record: "key", id: "k".into() }.into(), "KMSInternalException", 500),
            (KmsError::Store(store_error()).into(), "KMSInternalException", 500),
            (KmsError::Crypto(crypto::Error::RandomUnavailable).into(), "KMSInternalException", 500),
            (KmsError::Invariant("x").into(), "KMSInternalException", 500),
        ];
        for (error, name, status) in cells {
            assert_eq!(error.type_and_status(), (name, status), "{error:?}");
            let message = error.message();
            if status == 500 {
                assert_eq!(message, "an internal error occurred; it has been logged");
            } else {
                assert!(message.len() > 10, "{error:?}: {message}");
            }
        }
    }

    /// The state table as this door answers it: AWS's `DisabledException` for a disabled key's
    /// data calls, `KMSInvalidStateException` for every other refusal.
    #[test]
    fn state_refusals() {
        for action in Action::ALL {
            for state in KeyState::ALL {
                let Err(e) = state.check(action) else {
                    continue;
                };
                let (name, _) = Error::from(e).type_and_status();
                let expected = match (state, action) {
                    (
                        KeyState::Disabled,
                        Action::Encrypt | Action::Decrypt | Action::GenerateDataKey,
                    ) => "DisabledException",
                    _ => "KMSInvalidStateException",
                };
                assert_eq!(name, expected, "{action:?} in {state}");
            }
        }
    }
}
