//! What can go wrong with the token, in PKCS#11's own words: the function that failed and its
//! `CKR_` code, so that an operator can look either up in the module's documentation.

use std::path::PathBuf;

use cryptoki::context::Function;
use cryptoki::error::{Error as Cryptoki, RvError};

/// A failure of the PKCS#11 module or its token. No variant holds the PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The module (the vendor's PKCS#11 library) could not be loaded: no such file, not a
    /// shared library for this machine, a missing dependency, or no `C_GetFunctionList`.
    #[error("the PKCS#11 module {} cannot be loaded: {reason}", path.display())]
    Module {
        /// The path given.
        path: PathBuf,
        /// The dynamic loader's reason.
        reason: String,
    },

    /// No initialised token has the label asked for: a typo, the wrong module, or a token
    /// that is not plugged in (or, with SoftHSM2, another `SOFTHSM2_CONF`).
    #[error(
        "the PKCS#11 module has no token labelled {label:?}; {}",
        found_labels(found)
    )]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels of the initialised tokens the module shows.
        found: Vec<String>,
    },

    /// Several tokens have the label asked for, so it does not say which one holds the keys.
    #[error(
        "{count} tokens of the PKCS#11 module are labelled {label:?}; give each token its own \
         label"
    )]
    DuplicateToken {
        /// The label asked for.
        label: String,
        /// How many tokens have it.
        count: usize,
    },

    /// The token refused the user PIN (`CKR_PIN_INCORRECT`). Most HSMs count these attempts
    /// and lock the PIN after a few (SoftHSM2 does not).
    #[error(
        "the PIN of the token {label:?} is wrong (C_Login: CKR_PIN_INCORRECT); check the PIN \
         given before trying again: most HSMs lock the PIN after a few wrong attempts"
    )]
    PinIncorrect {
        /// The token.
        label: String,
    },

    /// The user PIN is locked after too many wrong attempts (`CKR_PIN_LOCKED`, or the token
    /// says so before any attempt): its security officer must unlock or reset it.
    #[error(
        "the user PIN of the token {label:?} is locked (CKR_PIN_LOCKED) after too many wrong \
         attempts; the token's security officer must unblock it (e.g. `pkcs11-tool --unlock-pin`)"
    )]
    PinLocked {
        /// The token.
        label: String,
    },

    /// The token lacks mechanisms HSM keys need ([`super::REQUIRED_MECHANISMS`]).
    #[error(
        "the token {label:?} does not offer {missing}, which keys with ProtectionLevel HSM need; \
         use a token that does, or run without --hsm-module"
    )]
    MechanismsMissing {
        /// The token.
        label: String,
        /// The mechanisms it lacks, by their standard names.
        missing: String,
    },

    /// The token was there at start and is not any more (`CKR_TOKEN_NOT_PRESENT`,
    /// `CKR_DEVICE_REMOVED`, or its slot says so).
    #[error("the token {label:?} is no longer present")]
    TokenAbsent {
        /// The token.
        label: String,
    },

    /// The session on the token is no longer logged in as its user (the token restarted, or
    /// someone logged it out).
    #[error("the session on the token {label:?} is no longer logged in as its user ({state})")]
    LoggedOut {
        /// The token.
        label: String,
        /// The session's state now.
        state: String,
    },

    /// Connecting to the token again, after it was lost, failed (the token still gone, or its
    /// PIN changed meanwhile); the next call tries again.
    #[error("connecting to the token again failed: {0}")]
    Reconnect(Box<Error>),

    /// Connecting to the token again was refused for good ([`Error::PinIncorrect`],
    /// [`Error::PinLocked`], another token with the label): byok-kms must be restarted.
    #[error("not connecting to the token again ({0}); restart byok-kms once that is mended")]
    ReconnectRefused(String),

    /// The token has no object with this label (it was destroyed, or never made).
    #[error("the token has no object labelled {label:?}")]
    ObjectNotFound {
        /// The label looked for.
        label: String,
    },

    /// The token refused the data given to it: wrapped bytes it cannot unwrap, a ciphertext or
    /// tag that does not decrypt (`CKR_ENCRYPTED_DATA_INVALID`, `CKR_WRAPPED_KEY_INVALID`, their
    /// `_LEN_RANGE`s).
    #[error("PKCS#11 {function} refused the data: {code}")]
    Rejected {
        /// The function, as the standard names it.
        function: String,
        /// The return value, as the standard names it.
        code: String,
    },

    /// Any other failure of a PKCS#11 function.
    #[error("PKCS#11 {function} failed: {code}")]
    Pkcs11 {
        /// The function, as the standard names it (`C_OpenSession`).
        function: String,
        /// The return value, as the standard names it (`CKR_DEVICE_ERROR`), or what cryptoki
        /// said when there was none.
        code: String,
    },
}

impl Error {
    /// `e`, which a PKCS#11 call made for the token `label` returned.
    pub(super) fn from_cryptoki(e: Cryptoki, label: &str) -> Self {
        match e {
            Cryptoki::Pkcs11(RvError::PinIncorrect, _) => Self::PinIncorrect {
                label: label.to_owned(),
            },
            Cryptoki::Pkcs11(RvError::PinLocked, _) => Self::PinLocked {
                label: label.to_owned(),
            },
            Cryptoki::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => {
                Self::TokenAbsent {
                    label: label.to_owned(),
                }
            }
            Cryptoki::Pkcs11(
                rv @ (RvError::EncryptedDataInvalid
                | RvError::EncryptedDataLenRange
                | RvError::WrappedKeyInvalid
                | RvError::WrappedKeyLenRange),
                function,
            ) => Self::Rejected {
                function: function_name(function),
                code: ckr_name(rv),
            },
            Cryptoki::Pkcs11(rv, function) => Self::Pkcs11 {
                function: function_name(function),
                code: ckr_name(rv),
            },
            other => Self::Pkcs11 {
                function: "(cryptoki)".to_owned(),
                code: other.to_string(),
            },
        }
    }
}

impl Error {
    /// Whether the token cannot be reached now (pulled out, a network HSM restarting, the
    /// session lost), rather than refusing the call: trying again later may succeed.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::TokenAbsent { .. }
            | Self::LoggedOut { .. }
            | Self::Reconnect(_)
            | Self::ReconnectRefused(_) => true,
            Self::Pkcs11 { code, .. } => [
                "CKR_DEVICE_ERROR",
                "CKR_SESSION_CLOSED",
                "CKR_SESSION_HANDLE_INVALID",
                "CKR_USER_NOT_LOGGED_IN",
                "CKR_CRYPTOKI_NOT_INITIALIZED",
            ]
            .contains(&code.as_str()),
            _ => false,
        }
    }
}

/// `C_Login` for `Function::Login`.
pub(super) fn function_name(function: Function) -> String {
    format!("C_{function:?}")
}

/// `CKR_PIN_INCORRECT` for `RvError::PinIncorrect`: cryptoki's variants are the standard's
/// names in camel case (its `Display` is the standard's long explanation instead).
pub(super) fn ckr_name(rv: RvError) -> String {
    match rv {
        RvError::VendorDefined(code) => format!("CKR_VENDOR_DEFINED+{:#x}", code - 0x8000_0000),
        RvError::UnknownErrorCode(code) => format!("an unknown return value {code:#x}"),
        other => {
            let mut name = String::from("CKR");
            for c in format!("{other:?}").chars() {
                if c.is_ascii_uppercase() {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            name
        }
    }
}

/// The end of [`Error::TokenNotFound`]'s message.
fn found_labels(found: &[String]) -> String {
    if found.is_empty() {
        return "it shows no initialised token at all (is the token plugged in and initialised, \
                and is this its vendor's module?)"
            .to_owned();
    }
    let labels: Vec<String> = found.iter().map(|label| format!("{label:?}")).collect();
    format!("the labels it shows: {}", labels.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_values_are_named_as_the_standard_names_them() {
        for (rv, name) in [
            (RvError::PinIncorrect, "CKR_PIN_INCORRECT"),
            (RvError::SlotIdInvalid, "CKR_SLOT_ID_INVALID"),
            (
                RvError::CryptokiNotInitialized,
                "CKR_CRYPTOKI_NOT_INITIALIZED",
            ),
            (
                RvError::UserPinNotInitialized,
                "CKR_USER_PIN_NOT_INITIALIZED",
            ),
            (RvError::DeviceError, "CKR_DEVICE_ERROR"),
            (
                RvError::VendorDefined(0x8000_0042),
                "CKR_VENDOR_DEFINED+0x42",
            ),
        ] {
            assert_eq!(ckr_name(rv), name);
        }
        assert_eq!(function_name(Function::OpenSession), "C_OpenSession");
    }

    #[test]
    fn an_unknown_label_lists_the_labels_found() {
        let e = Error::TokenNotFound {
            label: "kms".into(),
            found: vec!["other".into(), "second".into()],
        };
        assert_eq!(
            e.to_string(),
            "the PKCS#11 module has no token labelled \"kms\"; the labels it shows: \"other\", \
             \"second\""
        );
    }
}
