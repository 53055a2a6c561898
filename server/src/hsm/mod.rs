//! The hardware security module, through its vendor's PKCS#11 module: loading the module,
//! finding the token by its label and logging in with the user PIN. A backend like the store:
//! it does what it is asked in the token and decides no KMS rule.
//!
//! It connects at start (so that a wrong module, label or PIN, or a token without the
//! mechanisms HSM keys need, stops the server before it serves), tells whether the token is
//! still there, and keeps keys in it (`keys`).

mod canary;
mod error;
mod keys;

pub use error::Error;
pub use keys::{KeyClass, OaepHash};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::MechanismType;
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

/// Result alias of the HSM backend.
pub type Result<T> = core::result::Result<T, Error>;

/// A token of a PKCS#11 module, with a session logged in as its user. `Send` and `Sync`: the
/// session is used by one thread at a time.
///
/// When the token is lost at run time (pulled out, a network HSM restarting, its storage gone)
/// calls fail as unreachable; once told so ([`Hsm::reconnect`]) the next call loads the module
/// again, finds the token by its label and logs in anew with the PIN, which is kept (wiped on
/// drop) for that.
pub struct Hsm {
    module: PathBuf,
    token: Token,
    pin: Zeroizing<String>,
    /// `None` after [`Hsm::reconnect`] or a failed reconnection: a later call connects.
    connection: Mutex<Link>,
}

/// The connection, when there is one, and when connecting again may next be tried.
struct Link {
    connection: Option<Connection>,
    /// No attempt before this (one every [`RECONNECT_INTERVAL`]).
    next_attempt: Option<Instant>,
    /// Set when connecting again was refused for a reason retrying cannot mend (the PIN
    /// refused or locked, another token with the label): byok-kms must be restarted.
    refused: Option<String>,
}

/// How long after a failed attempt byok-kms waits before connecting to the token again: a wrong
/// PIN is not retried at all (most HSMs lock it after a few), and no request waits on an
/// attempt that just failed.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(2);

/// The module loaded and initialised, and a session on the token logged in as its user.
struct Connection {
    pkcs11: Pkcs11,
    slot: Slot,
    session: Session,
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
    /// checks it has the mechanisms HSM keys need, opens a read-write session on it and logs in
    /// as its user with `pin`.
    ///
    /// A PIN the token refuses is [`Error::PinIncorrect`]; if the token already says the PIN is
    /// locked, no attempt is made ([`Error::PinLocked`]).
    pub fn open(module: &Path, label: &str, pin: Zeroizing<String>) -> Result<Self> {
        let (connection, token) = connect(module, label, &pin)?;
        Ok(Self {
            module: module.to_owned(),
            token,
            pin,
            connection: Mutex::new(Link {
                connection: Some(connection),
                next_attempt: None,
                refused: None,
            }),
        })
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
        self.with_connection(|connection| {
            let slot = connection.pkcs11.get_slot_info(connection.slot)?;
            if !slot.token_present() {
                return Err(keys::Failure::Absent);
            }
            match connection.session.get_session_info()?.session_state() {
                SessionState::RwUser | SessionState::RoUser => Ok(()),
                state => Err(keys::Failure::LoggedOut(format!("{state:?}"))),
            }
        })
        .map_err(|e| self.refusal(e, "C_GetSessionInfo", label))
    }

    /// Closes the connection to the token, so that the next call connects again: for when a
    /// call showed the token is not (or not all) there.
    pub fn reconnect(&self) {
        let mut guard = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(connection) = guard.connection.take() {
            tracing::warn!(token = %self.token.label, "the token will be connected to again");
            self.close(connection);
        }
    }

    /// Runs `f` with the session (one call at a time), connecting first if need be; a call
    /// that finds the token unreachable leaves it to be connected again by the next.
    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> core::result::Result<T, keys::Failure>,
    ) -> core::result::Result<T, keys::Failure> {
        self.with_connection(|connection| f(&connection.session))
    }

    fn with_connection<T>(
        &self,
        f: impl FnOnce(&Connection) -> core::result::Result<T, keys::Failure>,
    ) -> core::result::Result<T, keys::Failure> {
        let mut guard = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let connection = match guard.connection.take() {
            Some(connection) => connection,
            None => self
                .connect_again(&mut guard)
                .map_err(keys::Failure::Reconnect)?,
        };
        let result = f(&connection);
        if result.as_ref().is_err_and(keys::Failure::is_unreachable) {
            self.close(connection);
        } else {
            guard.connection = Some(connection);
        }
        result
    }

    /// Connects to the token again, unless an attempt failed moments ago or for good.
    fn connect_again(&self, link: &mut Link) -> Result<Connection> {
        let label = &self.token.label;
        if let Some(reason) = &link.refused {
            return Err(Error::ReconnectRefused(reason.clone()));
        }
        if link.next_attempt.is_some_and(|at| Instant::now() < at) {
            return Err(Error::TokenAbsent {
                label: label.clone(),
            });
        }
        link.next_attempt = Some(Instant::now() + RECONNECT_INTERVAL);
        let (connection, token) = match connect(&self.module, label, &self.pin) {
            Ok(connected) => connected,
            Err(e @ (Error::PinIncorrect { .. } | Error::PinLocked { .. })) => {
                link.refused = Some(e.to_string());
                tracing::error!(token = %label, "{e}; not trying again: restart byok-kms");
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        if token.serial_number != self.token.serial_number {
            let reason = format!(
                "the token labelled {label:?} now has the serial number {:?}, not {:?}: another \
                 token, which does not hold this server's keys",
                token.serial_number, self.token.serial_number
            );
            tracing::error!(token = %label, "{reason}; not using it: restart byok-kms");
            self.close(connection);
            link.refused = Some(reason.clone());
            return Err(Error::ReconnectRefused(reason));
        }
        tracing::info!(token = %label, "connected to the token again");
        link.next_attempt = None;
        Ok(connection)
    }

    /// Closes the session and finalises the module (so that it can be loaded again, with a
    /// fresh login); failures only logged: the token may well be gone.
    fn close(&self, connection: Connection) {
        // Closing the last session logs the user out.
        if let Err(e) = connection.session.close() {
            tracing::warn!(token = %self.token.label, "closing the PKCS#11 session: {e}");
        }
        if let Err(e) = connection.pkcs11.finalize() {
            tracing::warn!(module = %self.module.display(), "C_Finalize: {e}");
        }
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
        let connection = self
            .connection
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .connection
            .take();
        if let Some(connection) = connection {
            self.close(connection);
        }
    }
}

/// Loads and initialises the module, then logs in to the token `label` with `pin`; on failure
/// the module is finalised again (so that it can be opened again in this process).
fn connect(module: &Path, label: &str, pin: &str) -> Result<(Connection, Token)> {
    let pkcs11 = Pkcs11::new(module).map_err(|e| Error::Module {
        path: module.to_owned(),
        reason: module_error(e),
    })?;
    // The server calls the token from several threads: the module must lock for itself.
    pkcs11
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| Error::from_cryptoki(e, label))?;
    match log_in(&pkcs11, label, pin).and_then(
        |(slot, token, session)| match canary::ensure_canary(&session) {
            Ok(()) => Ok((slot, token, session)),
            Err(e) => Err(Error::from_cryptoki(e, label)),
        },
    ) {
        Ok((slot, token, session)) => Ok((
            Connection {
                pkcs11,
                slot,
                session,
            },
            token,
        )),
        Err(e) => {
            let _ = pkcs11.finalize();
            Err(e)
        }
    }
}

/// Finds the token and logs in on a new session of it; a session that fails is closed on return.
fn log_in(pkcs11: &Pkcs11, label: &str, pin: &str) -> Result<(Slot, Token, Session)> {
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
    // One C_GetMechanismInfo each: cryptoki logs an error for every mechanism of a whole
    // C_GetMechanismList it has no name for.
    let mut missing = Vec::new();
    for (mechanism, name) in REQUIRED_MECHANISMS {
        match pkcs11.get_mechanism_info(slot, mechanism) {
            Ok(_) => {}
            Err(cryptoki::error::Error::Pkcs11(RvError::MechanismInvalid, _)) => missing.push(name),
            Err(e) => return Err(failed(e)),
        }
    }
    if !missing.is_empty() {
        return Err(Error::MechanismsMissing {
            label: label.to_owned(),
            missing: missing.join(", "),
        });
    }
    let session = pkcs11.open_rw_session(slot).map_err(failed)?;
    // cryptoki's copy of the PIN is a `SecretString`, wiped on drop like ours.
    let auth = AuthPin::from(pin);
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
