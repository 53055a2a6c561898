//! The data calls: Encrypt, Decrypt and GenerateDataKey, with AES-GCM under the key's material
//! and the encryption context bound as associated data ([`CiphertextBlob`]).

use zeroize::Zeroizing;

use crate::crypto;
use crate::kms::Kms;
use crate::kms::ciphertext::{CiphertextBlob, EncryptionContext};
use crate::kms::error::{Argument, Error, Result};
use crate::kms::key::Key;
use crate::kms::material::MaterialState;
use crate::kms::policy::Policy;
use crate::kms::protection::Held;
use crate::kms::rules::{DATA_KEY_LENGTHS, MAX_PLAINTEXT};
use crate::kms::state::Action;
use crate::store::Store;

/// The size of a data key, as a request gives it: by spec, by length, or (for clouds that allow
/// it) neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataKeySize {
    /// `AES_256` or `AES_128`.
    pub key_spec: Option<DataKeySpec>,
    /// A length in bytes, 1 to 1024.
    pub number_of_bytes: Option<i64>,
}

/// The named sizes of a data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeySpec {
    /// 32 bytes.
    Aes256,
    /// 16 bytes.
    Aes128,
}

impl DataKeySize {
    /// The length in bytes: one of the two must be given, or neither (then 32 bytes, Alibaba's
    /// default), never both.
    fn length(self) -> Result<usize> {
        let length = match (self.key_spec, self.number_of_bytes) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    Argument::DataKeyLength,
                    "give either KeySpec or NumberOfBytes, not both",
                ));
            }
            (Some(DataKeySpec::Aes256) | None, None) => 32,
            (Some(DataKeySpec::Aes128), None) => 16,
            (None, Some(n)) => u64::try_from(n)
                .ok()
                .filter(|n| DATA_KEY_LENGTHS.contains(n))
                .ok_or_else(|| {
                    Error::invalid(
                        Argument::DataKeyLength,
                        format!(
                            "must be from {} to {}",
                            DATA_KEY_LENGTHS.start(),
                            DATA_KEY_LENGTHS.end()
                        ),
                    )
                })?,
        };
        usize::try_from(length).map_err(|_| Error::Invariant("a data key length overflows"))
    }
}

/// The result of Encrypt.
#[derive(Debug, Clone)]
pub struct Encrypted {
    /// The base64 ciphertext blob.
    pub ciphertext_blob: String,
    /// The key that encrypted it.
    pub key_id: String,
    /// The key version that encrypted it.
    pub key_version_id: String,
}

/// The result of Decrypt. The plaintext is wiped on drop.
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The key that decrypted it.
    pub key_id: String,
    /// The key version that decrypted it.
    pub key_version_id: String,
}

/// The result of ReEncrypt: where the ciphertext came from, and the new one.
#[derive(Debug, Clone)]
pub struct ReEncrypted {
    /// The key that had encrypted it.
    pub source_key_id: String,
    /// The key version that had encrypted it.
    pub source_key_version_id: String,
    /// The ciphertext under the destination key.
    pub encrypted: Encrypted,
}

/// The result of GenerateDataKey: a fresh data key in the clear and encrypted under the key.
pub struct DataKey {
    /// The data key, encrypted.
    pub encrypted: Encrypted,
    /// The data key in the clear (wiped on drop).
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl<S: Store> Kms<S> {
    /// `Encrypt`: AES-GCM under the key's material, the encryption context bound as associated
    /// data.
    pub fn encrypt(
        &self,
        account_id: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid(
                Argument::Plaintext,
                format!("must be at most {MAX_PLAINTEXT} bytes after base64 decoding"),
            ));
        }
        if plaintext.is_empty() {
            return Err(Error::MissingArgument(Argument::Plaintext));
        }
        let (key, material) = self.usable_material(account_id, key_ref, Action::Encrypt)?;
        self.seal_data(&key, &material, plaintext, context)
    }

    /// `Decrypt`: the blob names its key, which must be the caller's and Enabled.
    pub fn decrypt(
        &self,
        account_id: &str,
        blob: &str,
        context: &EncryptionContext,
    ) -> Result<Decrypted> {
        let blob = CiphertextBlob::decode(blob)?;
        let key = self
            .usable_key(account_id, &blob.key_id, Action::Decrypt)
            .map_err(|e| match e {
                Error::KeyNotFound(_) => Error::InvalidCiphertext(
                    "it was made by a key that does not exist in this account",
                ),
                other => other,
            })?;
        // The current material, or the non-current one of the version that made the blob.
        let sealed = if blob.version_id == key.version_id {
            key.sealed_material.as_deref()
        } else {
            key.materials
                .others
                .iter()
                .find(|m| m.version_id == blob.version_id && m.state == MaterialState::NonCurrent)
                .ok_or(Error::InvalidCiphertext(
                    "it was made by a key version this key does not have",
                ))?
                .sealed
                .as_deref()
        };
        let sealed = sealed.ok_or(Error::Invariant("an Enabled key lacks a material"))?;
        let material = self.held(&key, sealed)?;
        let aad = CiphertextBlob::aad(&key.id, &blob.version_id, context);
        let plaintext = self.held_decrypt(&material, &aad, &blob.sealed)?.ok_or(
            Error::InvalidCiphertext(
                "it was changed, or the EncryptionContext differs from the one it was made with",
            ),
        )?;
        Ok(Decrypted {
            plaintext,
            key_id: key.id,
            key_version_id: blob.version_id,
        })
    }

    /// `Decrypt` where the request may also name the key (AWS's optional `KeyId`): the key it
    /// names must exist and be the one the blob was made with.
    pub fn decrypt_with_key(
        &self,
        account_id: &str,
        key_ref: Option<&str>,
        blob: &str,
        context: &EncryptionContext,
    ) -> Result<Decrypted> {
        if let Some(key_ref) = key_ref {
            let named = self
                .store
                .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
            let made_with = CiphertextBlob::decode(blob)?;
            if named.id != made_with.key_id {
                return Err(Error::IncorrectKey);
            }
        }
        self.decrypt(account_id, blob, context)
    }

    /// `ReEncrypt`: decrypts a blob (under `source_context`, with the key the blob names, which
    /// must be `source_key_ref` if given) and encrypts the plaintext under `destination_key_ref`
    /// and `destination_context`; the plaintext never leaves the KMS. Each key's state must allow
    /// its half.
    pub fn re_encrypt(
        &self,
        account_id: &str,
        source_key_ref: Option<&str>,
        blob: &str,
        source_context: &EncryptionContext,
        destination_key_ref: &str,
        destination_context: &EncryptionContext,
    ) -> Result<ReEncrypted> {
        let decrypted = self.decrypt_with_key(account_id, source_key_ref, blob, source_context)?;
        let encrypted = self.encrypt(
            account_id,
            destination_key_ref,
            &decrypted.plaintext,
            destination_context,
        )?;
        Ok(ReEncrypted {
            source_key_id: decrypted.key_id.clone(),
            source_key_version_id: decrypted.key_version_id.clone(),
            encrypted,
        })
    }

    /// `GenerateDataKey`: fresh random bytes, returned in the clear and encrypted.
    pub fn generate_data_key(
        &self,
        account_id: &str,
        key_ref: &str,
        size: DataKeySize,
        context: &EncryptionContext,
    ) -> Result<DataKey> {
        let length = size.length()?;
        let (key, material) = self.usable_material(account_id, key_ref, Action::GenerateDataKey)?;
        let plaintext = crypto::random_bytes(length)?;
        let encrypted = self.seal_data(&key, &material, &plaintext, context)?;
        Ok(DataKey {
            encrypted,
            plaintext,
        })
    }

    /// `GenerateDataKey` under a cloud's `policy`: whether the size must be given.
    pub fn generate_data_key_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        size: DataKeySize,
        context: &EncryptionContext,
    ) -> Result<DataKey> {
        if policy.data_key_size_required
            && size.key_spec.is_none()
            && size.number_of_bytes.is_none()
        {
            return Err(Error::invalid(
                Argument::DataKeyLength,
                "give either KeySpec or NumberOfBytes",
            ));
        }
        self.generate_data_key(account_id, key_ref, size, context)
    }

    /// The key `key_ref` names, if it is symmetric and its state allows `action`.
    fn usable_key(&self, account_id: &str, key_ref: &str, action: Action) -> Result<Key> {
        self.store.transaction(|tx| {
            let key = self.resolve(tx, account_id, key_ref)?;
            if key.key_spec.symmetric().is_none() {
                return Err(Error::WrongKeyKind {
                    action: action.name(),
                    spec: key.key_spec,
                    usage: key.usage,
                });
            }
            key.state.check(action)?;
            Ok::<_, Error>(key)
        })
    }

    /// The key `key_ref` names, if its state allows `action`, and its current material unsealed.
    fn usable_material(
        &self,
        account_id: &str,
        key_ref: &str,
        action: Action,
    ) -> Result<(Key, Held)> {
        let key = self.usable_key(account_id, key_ref, action)?;
        let sealed = key
            .sealed_material
            .as_deref()
            .ok_or(Error::Invariant("an Enabled key has no material"))?;
        let material = self.held(&key, sealed)?;
        Ok((key, material))
    }

    fn seal_data(
        &self,
        key: &Key,
        material: &Held,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        let aad = CiphertextBlob::aad(&key.id, &key.version_id, context);
        let blob = CiphertextBlob {
            key_id: key.id.clone(),
            version_id: key.version_id.clone(),
            sealed: self.held_encrypt(material, &aad, plaintext)?,
        };
        Ok(Encrypted {
            ciphertext_blob: blob.encode()?,
            key_id: key.id.clone(),
            key_version_id: key.version_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_sizes() {
        let size = |key_spec, number_of_bytes| {
            DataKeySize {
                key_spec,
                number_of_bytes,
            }
            .length()
        };
        assert_eq!(size(None, None).unwrap(), 32);
        assert_eq!(size(Some(DataKeySpec::Aes128), None).unwrap(), 16);
        assert_eq!(size(None, Some(1024)).unwrap(), 1024);
        for bad in [0, -1, 1025] {
            assert!(size(None, Some(bad)).is_err());
        }
        assert!(size(Some(DataKeySpec::Aes256), Some(32)).is_err());
    }
}
