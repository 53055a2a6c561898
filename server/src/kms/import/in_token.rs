//! Import into a key of ProtectionLevel HSM: the wrapping key pair is generated in the token
//! (its private key never leaves it), and the wrapped material is unwrapped there
//! (`C_UnwrapKey`) into a sensitive, never-extractable AES key object, so that the plaintext
//! material never exists in byok-kms's memory.
//!
//! The same-material rule without the material: the token computes an AES-CMAC of a fixed
//! block (naming the key) under the new object, and its keyed fingerprint is compared in
//! constant time with the one kept since the first import, as for software keys.

use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};

use crate::crypto;
use crate::hsm::{KeyClass, OaepHash};
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::import::bind::{ImportTarget, Unwrapped};
use crate::kms::import::{ImportToken, ImportedMaterial, WrappingKey};
use crate::kms::key::{Key, ProtectionLevel};
use crate::kms::policy::Policy;
use crate::kms::protection::{check_block, material_label, token_identity, wrapping_label};
use crate::store::Store;

/// The wrapping algorithms an HSM key imports with: RSA-OAEP unwrapped in the token. SHA-1
/// only, because SoftHSM2 2.6's `C_UnwrapKey` refuses RSA-OAEP with SHA-256
/// (`CKR_ARGUMENTS_BAD`), and unwrapping outside the token would make HSM protection a pretence.
pub(super) fn check_algorithm(level: ProtectionLevel, algorithm: WrappingAlgorithm) -> Result<()> {
    if level == ProtectionLevel::Hsm && algorithm != WrappingAlgorithm::RsaesOaepSha1 {
        return Err(Error::invalid(
            Argument::WrappingAlgorithm,
            "must be RSAES_OAEP_SHA_1 for a key with ProtectionLevel HSM: the material is \
             unwrapped inside the HSM, whose token (SoftHSM2 2.6) unwraps RSA-OAEP only with \
             SHA-1",
        ));
    }
    Ok(())
}

/// The associated data that binds a wrapping key's sealed token label to its record.
fn wrapping_identity(id: &str, account_id: &str, key_id: &str) -> Vec<u8> {
    [
        b"byok-kms hsm ".as_slice(),
        &WrappingKey::identity(id, account_id, key_id),
    ]
    .concat()
}

impl<S: Store> Kms<S> {
    /// A wrapping key pair generated in the token for `key_id`; the record keeps the private
    /// key's label, sealed.
    pub(super) fn generate_in_token(
        &self,
        account_id: &str,
        key_id: &str,
        wrapping_key_id: &str,
        spec: WrappingKeySpec,
        expires_at: i64,
    ) -> Result<WrappingKey> {
        let label = wrapping_label(expires_at, wrapping_key_id);
        let bits = match spec {
            WrappingKeySpec::Rsa2048 => 2048,
            WrappingKeySpec::Rsa3072 => 3072,
            WrappingKeySpec::Rsa4096 => 4096,
        };
        let public_der = self.token()?.generate_wrapping_key(&label, bits)?;
        let identity = wrapping_identity(wrapping_key_id, account_id, key_id);
        Ok(WrappingKey {
            id: wrapping_key_id.to_owned(),
            account_id: account_id.to_owned(),
            key_id: key_id.to_owned(),
            public_der,
            sealed_private: self.crypto.seal(&identity, label.as_bytes())?,
            expires_at,
        })
    }

    /// Unwraps in the token under a new label, checks the length and the same-material rule,
    /// then, in the write, makes the new object the key's material (destroying the one it had,
    /// which held the same material). Whatever refuses the import destroys the new object.
    #[allow(clippy::too_many_arguments)] // as Kms::import
    pub(super) fn import_in_token(
        &self,
        policy: &Policy,
        account_id: &str,
        key: &Key,
        token: &ImportToken,
        wrapping_key: &WrappingKey,
        encrypted_key_material: &[u8],
        expire_at: Option<i64>,
        target: &ImportTarget,
    ) -> Result<ImportedMaterial> {
        let hsm = self.token()?;
        let identity = wrapping_identity(&wrapping_key.id, account_id, &key.id);
        let wrapping_label = self.crypto.open(&identity, &wrapping_key.sealed_private)?;
        let wrapping_label = std::str::from_utf8(&wrapping_label)
            .map_err(|_| Error::Invariant("a wrapping key label is not UTF-8"))?;
        let hash = match token.algorithm {
            WrappingAlgorithm::RsaesOaepSha1 => OaepHash::Sha1,
            _ => return Err(Error::Invariant("an HSM import with another algorithm")),
        };
        let expected = key
            .key_spec
            .symmetric()
            .map(|spec| spec.material_len())
            .ok_or(Error::Invariant("an HSM key that is not symmetric"))?;
        let new_label = format!("byok-kms import {} {}", key.id, crypto::random_uuid()?);
        let unwrapped =
            hsm.unwrap_aes_key(wrapping_label, hash, encrypted_key_material, &new_label);
        let len = match unwrapped {
            Ok(len) => len,
            Err(crate::hsm::Error::Rejected { .. }) => return Err(Error::InvalidKeyMaterial),
            // The sweep destroys a wrapping key once its token expires (maybe just now);
            // otherwise a missing one means the token is not all there.
            Err(crate::hsm::Error::ObjectNotFound { .. })
                if wrapping_key.expires_at <= self.now() || hsm.holds_canary()? =>
            {
                return Err(Error::ExpiredImportToken);
            }
            Err(e) => return Err(self.lost_object(e)),
        };
        let result = (|| {
            // A token that does not say the length (SoftHSM2 2.6 leaves CKA_VALUE_LEN 0 for an
            // unwrapped key) cannot be checked here: a known gap, in README's HSM section.
            if len != 0 && len != expected {
                return Err(Error::InvalidKeyMaterial);
            }
            // The first use of the new object: bytes that are no AES key are refused here.
            let check = match hsm.aes_cmac(&new_label, &check_block(key)) {
                Err(crate::hsm::Error::Rejected { .. }) => return Err(Error::InvalidKeyMaterial),
                other => other?,
            };
            let label = material_label(&key.id);
            let sealed = self
                .crypto
                .seal(&token_identity(account_id, &key.id), label.as_bytes())?;
            let swap = || -> Result<()> {
                hsm.destroy(KeyClass::Secret, &label)?;
                hsm.relabel(&new_label, &label)?;
                Ok(())
            };
            let unwrapped = Unwrapped {
                material: &[],
                identifying: &check,
                genuine: true,
                expire_at,
                in_token: Some((&sealed, &swap)),
            };
            self.bind_material(policy, account_id, key, &unwrapped, target)
        })();
        if result.is_err() {
            // Refused, or the write failed before the swap: the new object is not the key's.
            if let Err(e) = hsm.destroy(KeyClass::Secret, &new_label) {
                tracing::warn!(label = %new_label, "destroying a refused import's object: {e}");
            }
        }
        result
    }
}
