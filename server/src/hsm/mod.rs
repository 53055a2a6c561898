//! The hardware security module, through its vendor's PKCS#11 module: loading the module,
//! finding the token by its label and logging in with the user PIN. A backend like the store:
//! it does what it is asked in the token and decides no KMS rule.
//!
//! It connects at start (so that a wrong module, label or PIN, or a token without the
//! mechanisms HSM keys need, stops the server before it serves), tells whether the token is
//! still there, and keeps keys in it (`keys`).

mod error;
mod keys;

pub use error::Error;
pub use keys::{KeyClass, OaepHash};

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::MechanismType;
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

/// Result alias of the HSM backend.
pub type Result<T> = core::result::Result<T, Error>;

/// A token of a PKCS#11 module, with a session logged in as its user. `Send` and `Sync`: the
/// session is used by one thread at a time.
pub struct Hsm {
    module: PathBuf,
    token: Token,
    slot: Slot,
    /// `Some` until the `Hsm` is dropped, when it is closed before the library is finalised.
    session: Mutex<Option<Session>>,
    pkcs11: Pkcs11,
}

// The server shares one `Hsm` between its threads.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<Hsm>();
};

/// What the token says about itself (`CK_TOKEN_INFO`): enough to tell an operator which one
/// byok-kms connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its label, which `--hsm-token` names.
    pub label: String,
    /// Its manufacturer (`manufacturerID`).
    pub manufacturer: String,
    /// Its model.
    pub model: String,
    /// Its serial number.
    pub serial_number: String,
}

impl Hsm {
    /// Loads the PKCS#11 module at `module`, finds the one initialised token labelled `label`,
    /// opens a read-write session on it and logs in as its user with `pin`.
    ///
    /// A PIN the token refuses is [`Error::PinIncorrect`]; if the token already says the PIN is
    /// locked, no attempt is made ([`Error::PinLocked`]).
    pub fn open(module: &Path, label: &str, pin: Zeroizing<String>) -> Result<Self> {
        let pkcs11 = Pkcs11::new(module).map_err(|e| Error::Module {
            path: module.to_owned(),
            reason: module_error(e),
        })?;
        // The server calls the token from several threads: the module must lock for itself.
        pkcs11
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| Error::from_cryptoki(e, label))?;
        match log_in(&pkcs11, label, pin) {
            Ok((slot, token, session)) => Ok(Self {
                module: module.to_owned(),
                token,
                slot,
                session: Mutex::new(Some(session)),
                pkcs11,
            }),
            Err(e) => {
                // As `drop` does, so that the module can be opened again in this process.
                let _ = pkcs11.finalize();
                Err(e)
            }
        }
    }

    /// The token connected to.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The path of the PKCS#11 module.
    pub fn module(&self) -> &Path {
        &self.module
    }

    /// Checks that the token is still in its slot and the session still logged in as its user
    /// (a token pulled out, a network HSM that restarted, a session the module closed).
    pub fn probe(&self) -> Result<()> {
        let label = self.token.label.as_str();
        let slot = self
            .pkcs11
            .get_slot_info(self.slot)
            .map_err(|e| Error::from_cryptoki(e, label))?;
        if !slot.token_present() {
            return Err(Error::TokenAbsent {
                label: label.to_owned(),
            });
        }
        let guard = self.session.lock().unwrap_or_else(|e| e.into_inner());
        // `None` only inside `drop`, which has `&mut self`: never here.
        let Some(session) = guard.as_ref() else {
            unreachable!("the session is only taken when the Hsm is dropped")
        };
        let info = session
            .get_session_info()
            .map_err(|e| Error::from_cryptoki(e, label))?;
        match info.session_state() {
            SessionState::RwUser | SessionState::RoUser => Ok(()),
            state => Err(Error::Pkcs11 {
                function: "C_GetSessionInfo".to_owned(),
                code: format!("the session is no longer logged in as the user ({state:?})"),
            }),
        }
    }

    /// Runs `f` with the session (one call at a time).
    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> core::result::Result<T, keys::Failure>,
    ) -> core::result::Result<T, keys::Failure> {
        let guard = self.session.lock().unwrap_or_else(|e| e.into_inner());
        // `None` only inside `drop`, which has `&mut self`: never here.
        let Some(session) = guard.as_ref() else {
            unreachable!("the session is only taken when the Hsm is dropped")
        };
        f(session)
    }

    /// Whether [`Hsm::probe`] finds the token there and logged in.
    pub fn is_present(&self) -> bool {
        self.probe().is_ok()
    }
}

impl std::fmt::Debug for Hsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hsm")
            .field("module", &self.module)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Drop for Hsm {
    fn drop(&mut self) {
        let session = self
            .session
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(session) = session {
            // Closing the last session logs the user out.
            if let Err(e) = session.close() {
                tracing::warn!(token = %self.token.label, "closing the PKCS#11 session: {e}");
            }
        }
        // So that the module can be opened again in this process, with a fresh login.
        if let Err(e) = self.pkcs11.clone().finalize() {
            tracing::warn!(module = %self.module.display(), "C_Finalize: {e}");
        }
    }
}

/// Finds the token and logs in on a new session of it; a session that fails is closed on return.
fn log_in(pkcs11: &Pkcs11, label: &str, pin: Zeroizing<String>) -> Result<(Slot, Token, Session)> {
    let failed = |e| Error::from_cryptoki(e, label);
    let slot = find_token(pkcs11, label)?;
    let info = pkcs11.get_token_info(slot).map_err(failed)?;
    if info.user_pin_locked() {
        return Err(Error::PinLocked {
            label: label.to_owned(),
        });
    }
    let token = Token {
        label: info.label().to_owned(),
        manufacturer: info.manufacturer_id().to_owned(),
        model: info.model().to_owned(),
        serial_number: info.serial_number().to_owned(),
    };
    let offered = pkcs11.get_mechanism_list(slot).map_err(failed)?;
    let missing: Vec<&str> = REQUIRED_MECHANISMS
        .iter()
        .filter(|(mechanism, _)| !offered.contains(mechanism))
        .map(|(_, name)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(Error::MechanismsMissing {
            label: label.to_owned(),
            missing: missing.join(", "),
        });
    }
    let session = pkcs11.open_rw_session(slot).map_err(failed)?;
    // cryptoki's copy of the PIN is a `SecretString`, wiped on drop like ours.
    let auth = AuthPin::from(pin.as_str());
    drop(pin);
    session.login(UserType::User, Some(&auth)).map_err(failed)?;
    Ok((slot, token, session))
}

/// The mechanisms HSM keys need of the token, checked at start: the wrapping key pair is made
/// with the first and unwraps with the second, the material encrypts with the third and its
/// check value (and the test that it is an AES key at all) is the fourth's.
pub(crate) const REQUIRED_MECHANISMS: [(MechanismType, &str); 4] = [
    (
        MechanismType::RSA_PKCS_KEY_PAIR_GEN,
        "CKM_RSA_PKCS_KEY_PAIR_GEN",
    ),
    (MechanismType::RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP"),
    (MechanismType::AES_GCM, "CKM_AES_GCM"),
    (MechanismType::AES_CMAC, "CKM_AES_CMAC"),
];

/// The slot of the one initialised token labelled `label`.
fn find_token(pkcs11: &Pkcs11, label: &str) -> Result<Slot> {
    let slots = pkcs11
        .get_slots_with_initialized_token()
        .map_err(|e| Error::from_cryptoki(e, label))?;
    let mut found = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let info = pkcs11
            .get_token_info(slot)
            .map_err(|e| Error::from_cryptoki(e, label))?;
        if info.label() == label {
            matching.push(slot);
        }
        found.push(info.label().to_owned());
    }
    match matching.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(Error::TokenNotFound {
            label: label.to_owned(),
            found,
        }),
        several => Err(Error::DuplicateToken {
            label: label.to_owned(),
            count: several.len(),
        }),
    }
}

/// Why the module did not load, in the loader's words (`libloading` wraps `dlerror`'s text).
fn module_error(e: cryptoki::error::Error) -> String {
    match e {
        cryptoki::error::Error::LibraryLoading(e) => match std::error::Error::source(&e) {
            Some(source) => source.to_string(),
            None => e.to_string(),
        },
        cryptoki::error::Error::MissingSymbol(symbol) => {
            format!("it has no {symbol}, so it is not a PKCS#11 module")
        }
        other => other.to_string(),
    }
}
