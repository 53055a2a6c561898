//! The canary: a data object byok-kms keeps in its token, to tell a token whose objects are all
//! gone (its storage lost, another token in the slot) from one that lacks one object.

use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::Session;

use super::keys::by_label;
use super::{Hsm, Result};

/// The canary's label.
const CANARY: &str = "byok-kms canary";

/// Makes the canary data object if the token has none.
pub(super) fn ensure_canary(session: &Session) -> core::result::Result<(), cryptoki::error::Error> {
    if session
        .find_objects(&by_label(ObjectClass::DATA, CANARY))?
        .is_empty()
    {
        session.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(CANARY.as_bytes().to_vec()),
            Attribute::Value(b"byok-kms keeps its keys in this token".to_vec()),
        ])?;
    }
    Ok(())
}

impl Hsm {
    /// Whether the token still shows the canary it was given at start: `false` when its objects
    /// are gone (its storage lost, another token in the slot), so that a missing object means
    /// the token is not all there rather than that the object was destroyed.
    pub fn holds_canary(&self) -> Result<bool> {
        self.with_session(|session| {
            Ok(!session
                .find_objects(&by_label(ObjectClass::DATA, CANARY))?
                .is_empty())
        })
        .map_err(|e| self.refusal(e, "C_FindObjects", CANARY))
    }
}
