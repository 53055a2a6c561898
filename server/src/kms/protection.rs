//! Where a key's material is kept, by its ProtectionLevel: SOFTWARE material is sealed under the
//! root key; HSM material is an AES key object in the HSM's token, which encrypts and decrypts
//! there and never leaves it. The key's row then holds only the object's label, sealed with the
//! key's identity like material (so a row moved to another key opens nothing).
//!
//! Rules of HSM keys: only with a token connected (`--hsm-module`); only AES key specs and
//! EXTERNAL origin (byok-kms does not generate keys in the token yet); one material, never
//! rotated; the wrapping key pair is generated in the token and the material unwrapped there
//! with RSA-OAEP SHA-1 (the one RSA-OAEP hash SoftHSM2 2.6 unwraps with).

use zeroize::Zeroizing;

use crate::crypto;
use crate::hsm::{Hsm, KeyClass};
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::key::{Key, Origin, ProtectionLevel};
use crate::kms::key_spec::KeySpec;
use crate::store::Store;

/// The key material of a key, ready for a data call.
pub(crate) enum Held {
    /// Unsealed bytes (SOFTWARE), wiped on drop.
    Software(Zeroizing<Vec<u8>>),
    /// The label of the AES key object in the token (HSM).
    Token(String),
}

/// The label of the AES key object that is the material of the HSM key `key_id`.
pub(crate) fn material_label(key_id: &str) -> String {
    format!("byok-kms material {key_id}")
}

/// The label of a wrapping private key in the token; it carries its expiry so that the sweep
/// can destroy it without the database.
pub(crate) fn wrapping_label(expires_at: i64, wrapping_key_id: &str) -> String {
    format!("{WRAPPING_PREFIX}{expires_at} {wrapping_key_id}")
}

/// How every wrapping key's label starts.
const WRAPPING_PREFIX: &str = "byok-kms wrapping ";

/// The associated data that binds a sealed token label to its key: another purpose than the
/// material's, so that an HSM key's row never opens as material.
pub(crate) fn token_identity(account_id: &str, key_id: &str) -> Vec<u8> {
    format!("byok-kms hsm object v1\0{account_id}\0{key_id}").into_bytes()
}

/// What the token's AES-CMAC check of an HSM key's material is computed over.
pub(crate) fn check_block(key: &Key) -> Vec<u8> {
    format!("byok-kms material check v1\0{}\0{}", key.account_id, key.id).into_bytes()
}

impl<S: Store> Kms<S> {
    /// The token, for a key (or request) of ProtectionLevel HSM; refused when byok-kms was
    /// started without one.
    pub(crate) fn token(&self) -> Result<&Hsm> {
        self.hsm
            .as_deref()
            .ok_or(Error::UnsupportedProtectionLevel(ProtectionLevel::Hsm))
    }

    /// CreateKey's rules of protection: an HSM key needs a token, an AES spec and EXTERNAL
    /// material.
    pub(crate) fn check_protection(
        &self,
        level: ProtectionLevel,
        spec: KeySpec,
        origin: Origin,
    ) -> Result<()> {
        if level == ProtectionLevel::Software {
            return Ok(());
        }
        self.token()?;
        if spec.symmetric().is_none() {
            return Err(Error::invalid(
                Argument::KeySpec,
                "must be Aliyun_AES_256, Aliyun_AES_192 or Aliyun_AES_128 with ProtectionLevel \
                 HSM: byok-kms keeps only AES keys in the HSM for now",
            ));
        }
        if origin != Origin::External {
            return Err(Error::invalid(
                Argument::Origin,
                "must be EXTERNAL with ProtectionLevel HSM: byok-kms does not generate keys in \
                 the HSM yet; import the material",
            ));
        }
        Ok(())
    }

    /// The material of `key` from its row's `sealed` bytes.
    pub(crate) fn held(&self, key: &Key, sealed: &[u8]) -> Result<Held> {
        match key.protection_level {
            ProtectionLevel::Software => Ok(Held::Software(
                self.crypto.open(&key.material_identity(), sealed)?,
            )),
            ProtectionLevel::Hsm => {
                let label = self
                    .crypto
                    .open(&token_identity(&key.account_id, &key.id), sealed)?;
                let label = String::from_utf8(label.to_vec())
                    .map_err(|_| Error::Invariant("a token label is not UTF-8"))?;
                Ok(Held::Token(label))
            }
        }
    }

    /// AES-GCM under `held`: nonce ‖ ciphertext ‖ tag, in software or in the token.
    pub(crate) fn held_encrypt(
        &self,
        held: &Held,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        match held {
            Held::Software(material) => Ok(crypto::data_encrypt(material, aad, plaintext)?),
            Held::Token(label) => {
                let nonce = crypto::random_bytes(crypto::DATA_NONCE_LEN)?;
                let sealed = self
                    .token()?
                    .aes_gcm_encrypt(label, &nonce, aad, plaintext)
                    .map_err(|e| self.lost_object(e))?;
                Ok([nonce.as_slice(), &sealed].concat())
            }
        }
    }

    /// Reverses [`Kms::held_encrypt`]; `None` if the ciphertext or the associated data changed.
    pub(crate) fn held_decrypt(
        &self,
        held: &Held,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match held {
            Held::Software(material) => Ok(crypto::data_decrypt(material, aad, sealed)),
            Held::Token(label) => {
                let Some((nonce, ciphertext)) = sealed.split_at_checked(crypto::DATA_NONCE_LEN)
                else {
                    return Ok(None);
                };
                match self.token()?.aes_gcm_decrypt(label, nonce, aad, ciphertext) {
                    Ok(plaintext) => Ok(Some(plaintext)),
                    Err(crate::hsm::Error::Rejected { .. }) => Ok(None),
                    Err(e) => Err(self.lost_object(e)),
                }
            }
        }
    }

    /// Destroys the token object of an HSM key's material (nothing for a SOFTWARE key). `held`:
    /// whether the key's row says it has material, whose object must then be there to be
    /// destroyed: a token that does not show it (its storage gone, another token in the slot)
    /// would keep it for when it comes back, so that is [`Error::HsmUnavailable`], never done.
    pub(crate) fn destroy_material_object(&self, key: &Key, held: bool) -> Result<()> {
        if key.protection_level == ProtectionLevel::Hsm {
            let label = material_label(&key.id);
            let hsm = self.token()?;
            let destroyed = hsm.destroy(KeyClass::Secret, &label)?;
            // Not there: destroyed before (a write that failed after it), unless the token is
            // not all there, when it would come back with the token.
            if held && destroyed == 0 && !hsm.holds_canary()? {
                return Err(self.lost_object(crate::hsm::Error::ObjectNotFound { label }));
            }
        }
        Ok(())
    }

    /// `e`, from a call on an object the database says the token holds: if the token does not
    /// show it and has lost its canary too, the token is not (or not all) there — its storage
    /// gone, another token in the slot — so it is connected to again, and the key is
    /// unavailable meanwhile rather than broken. A token that still shows its canary lacks just
    /// that object ([`Error::Hsm`]).
    pub(crate) fn lost_object(&self, e: crate::hsm::Error) -> Error {
        match e {
            crate::hsm::Error::ObjectNotFound { .. } => match self.hsm.as_deref() {
                Some(hsm) => match hsm.holds_canary() {
                    Ok(true) => Error::Hsm(e),
                    Ok(false) => {
                        hsm.reconnect();
                        Error::HsmUnavailable(e)
                    }
                    Err(unreachable) => unreachable.into(),
                },
                None => Error::Hsm(e),
            },
            other => other.into(),
        }
    }

    /// Destroys the wrapping private keys in the token whose tokens expired by `now`; returns
    /// how many.
    pub(crate) fn destroy_expired_wrapping_objects(&self, now: i64) -> Result<usize> {
        let Some(hsm) = self.hsm.as_deref() else {
            return Ok(0);
        };
        let mut destroyed = 0;
        for label in hsm.labels(KeyClass::Private, WRAPPING_PREFIX)? {
            let expires_at = label[WRAPPING_PREFIX.len()..]
                .split(' ')
                .next()
                .and_then(|at| at.parse::<i64>().ok());
            if expires_at.is_some_and(|at| at <= now) {
                destroyed += hsm.destroy(KeyClass::Private, &label)?;
            }
        }
        Ok(destroyed)
    }
}
