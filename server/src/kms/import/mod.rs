//! Import: `GetParametersForImport` hands out a wrapping public key and a token, and
//! `ImportKeyMaterial` unwraps what was wrapped under it and binds the material to the key.
//!
//! Rules (`reference/alibaba-kms-api.md`, "Import lifecycle rules"): only EXTERNAL keys; a token
//! is bound to its key and public key and valid 24 hours, reusable within them; the first
//! material is bound forever (a keyed fingerprint, compared in constant time) and later imports
//! must carry the same; material may expire. Expensive cryptography (RSA key generation and
//! decryption) runs outside transactions; what it depends on is checked again inside.

pub(crate) mod bind;
mod in_token;
pub mod pool;
pub(crate) mod private_key;
pub mod token;

use byok_wrap::spec::WrapScheme;
use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};

use crate::crypto;
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::key::{Key, Origin, ProtectionLevel};
use crate::kms::key_spec::KeySpec;
use crate::kms::material::MaterialState;
use crate::kms::policy::{MaterialExpiry, Policy};
use crate::kms::rules::echo;
use crate::kms::state::Action;
use crate::store::{Store, Transaction};
use bind::Unwrapped;

pub use bind::{ImportTarget, ImportType};
pub use pool::{PoolKey, WrappingKey};
pub use token::{ImportToken, TOKEN_LIFETIME_SECONDS};

/// What an import did: the key and the id of the material it now has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMaterial {
    /// The key id.
    pub key_id: String,
    /// The id of the material ([`crate::kms::lifecycle::key_material_id`]): the same for the
    /// same material in this key.
    pub key_material_id: String,
}

/// What `GetParametersForImport` returns.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    /// The key id.
    pub key_id: String,
    /// The sealed token for `ImportKeyMaterial`.
    pub import_token: String,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// When the token expires.
    pub token_expires_at: i64,
}

impl<S: Store> Kms<S> {
    /// `GetParametersForImport`: a new RSA-2048 wrapping key pair and a token bound to the key and
    /// to that public key, valid for 24 hours and reusable within them. The pair comes from the
    /// pool when it has one (handed out once, in the same transaction that records it for this
    /// key); otherwise it is generated now, which takes tens of milliseconds.
    pub fn get_parameters_for_import(
        &self,
        account_id: &str,
        key_ref: &str,
        algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
    ) -> Result<ImportParameters> {
        self.get_parameters_for_import_under(
            &Policy::ALIBABA,
            account_id,
            key_ref,
            algorithm,
            wrapping_key_spec,
        )
    }

    /// `GetParametersForImport` under a cloud's `policy`: its algorithms and wrapping key sizes.
    /// Only RSA-2048 pairs come from the pool; larger ones are generated on request (RSA-4096
    /// takes a second or more).
    pub fn get_parameters_for_import_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
    ) -> Result<ImportParameters> {
        if !policy.wrapping_key_specs.contains(&wrapping_key_spec)
            || !algorithm.allows_wrapping_key(wrapping_key_spec)
        {
            let names: Vec<&str> = policy
                .wrapping_key_specs
                .iter()
                .map(|s| s.as_str())
                .collect();
            return Err(Error::invalid(
                Argument::WrappingKeySpec,
                format!("must be {}", crate::kms::rules::one_of(&names)),
            ));
        }
        let now = self.now();
        let wrapping_key_id = crypto::random_uuid()?;
        let new_wrapping_key =
            |key_id: &str, public_der: Vec<u8>, private_pkcs8: &[u8]| -> Result<WrappingKey> {
                let identity = WrappingKey::identity(&wrapping_key_id, account_id, key_id);
                Ok(WrappingKey {
                    sealed_private: self.crypto.seal(&identity, private_pkcs8)?,
                    id: wrapping_key_id.clone(),
                    account_id: account_id.to_owned(),
                    key_id: key_id.to_owned(),
                    public_der,
                    expires_at: now + TOKEN_LIFETIME_SECONDS,
                })
            };
        let pool_key = if wrapping_key_spec == WrappingKeySpec::Rsa2048 {
            self.lease_pool_key()?
        } else {
            None
        };
        let claimed = self.store.transaction(|tx| {
            let key = self.resolve(tx, account_id, key_ref)?;
            check_external(&key)?;
            self.check_algorithm(policy, key.key_spec, algorithm)?;
            in_token::check_algorithm(key.protection_level, algorithm)?;
            key.state.check(Action::GetParametersForImport)?;
            let in_token = key.protection_level == ProtectionLevel::Hsm;
            let (Some(pool_key), false) = (&pool_key, in_token) else {
                return Ok((key.id, None, in_token));
            };
            let private = self
                .crypto
                .open(&PoolKey::identity(&pool_key.id), &pool_key.sealed_private)?;
            let wrapping_key = new_wrapping_key(&key.id, pool_key.public_der.clone(), &private)?;
            self.check_wrapping_key_quota(tx, account_id)?;
            tx.insert_wrapping_key(&wrapping_key)?;
            // The pair was claimed durably when leased; losing this record in a crash only makes
            // the client ask again.
            tx.ephemeral();
            Ok((key.id, Some(wrapping_key), false))
        });
        let (key_id, pooled, in_token) = match claimed {
            Ok(claimed) => claimed,
            Err(error) => {
                if let Some(pool_key) = pool_key {
                    self.return_pool_key(pool_key);
                }
                return Err(error);
            }
        };
        if let (Some(pool_key), true) = (&pool_key, in_token) {
            // An HSM key's pair is generated in the token: the pool's goes back.
            self.return_pool_key(pool_key.clone());
        }
        let wrapping_key = match pooled {
            Some(wrapping_key) => wrapping_key,
            None => {
                // The pool is empty (or the key is in the HSM): generate outside the
                // transaction, then check again.
                let wrapping_key = if in_token {
                    self.generate_in_token(
                        account_id,
                        &key_id,
                        &wrapping_key_id,
                        wrapping_key_spec,
                        now + TOKEN_LIFETIME_SECONDS,
                    )?
                } else {
                    let pair = self.generate_on_request(wrapping_key_spec)?;
                    new_wrapping_key(&key_id, pair.public_der, &pair.private_pkcs8)?
                };
                self.store.transaction(|tx| {
                    let key = self
                        .read_key(tx, account_id, &key_id)?
                        .ok_or_else(|| Error::KeyNotFound(echo(key_ref)))?;
                    check_external(&key)?;
                    self.check_wrapping_key_quota(tx, account_id)?;
                    tx.insert_wrapping_key(&wrapping_key)?;
                    tx.ephemeral();
                    Ok::<_, Error>(())
                })?;
                wrapping_key
            }
        };
        let token = ImportToken {
            account_id: account_id.to_owned(),
            key_id: key_id.clone(),
            wrapping_key_id,
            algorithm,
            public_key_sha256: crypto::sha256(&wrapping_key.public_der),
            expires_at: wrapping_key.expires_at,
        };
        Ok(ImportParameters {
            key_id,
            import_token: token.seal(&self.crypto)?,
            public_key_der: wrapping_key.public_der,
            token_expires_at: wrapping_key.expires_at,
        })
    }

    /// `ImportKeyMaterial`: unwraps with the token's wrapping private key (constant-time), checks
    /// the length for the key spec, binds the first material forever and accepts later only the
    /// identical material, and sets the expiry (`expire_unix`: `None` or 0 for never).
    pub fn import_key_material(
        &self,
        account_id: &str,
        key_ref: &str,
        encrypted_key_material: &[u8],
        import_token: &str,
        expire_unix: Option<i64>,
    ) -> Result<()> {
        let now = self.now();
        let expire_at = match expire_unix {
            None | Some(0) => None,
            Some(at) if at > now => Some(at),
            Some(_) => {
                return Err(Error::invalid(
                    Argument::MaterialExpiry,
                    "must be in the future (Unix seconds), or 0 for material that never expires",
                ));
            }
        };
        self.import(
            &Policy::ALIBABA,
            account_id,
            key_ref,
            encrypted_key_material,
            import_token,
            expire_at,
            &ImportTarget::default(),
        )
        .map(drop)
    }

    /// `ImportKeyMaterial` under a cloud's `policy`: its algorithms, its expiry rules
    /// ([`Policy::material_expiry`]) and, where it allows rotation, new material for it
    /// (`target`, see [`ImportTarget`]). Returns what was imported.
    #[allow(clippy::too_many_arguments)] // the call's own members, each its own type
    pub fn import_key_material_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        encrypted_key_material: &[u8],
        import_token: &str,
        expiry: MaterialExpiry,
        target: &ImportTarget,
    ) -> Result<ImportedMaterial> {
        let expire_at = policy.material_expiry(expiry, self.now())?;
        target.check()?;
        self.import(
            policy,
            account_id,
            key_ref,
            encrypted_key_material,
            import_token,
            expire_at,
            target,
        )
    }

    #[allow(clippy::too_many_arguments)] // as import_key_material_under
    fn import(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        encrypted_key_material: &[u8],
        import_token: &str,
        expire_at: Option<i64>,
        target: &ImportTarget,
    ) -> Result<ImportedMaterial> {
        let now = self.now();
        // 1. Check the key and the token, and fetch the wrapping key, in a read.
        let (key, token, wrapping_key) = self.store.transaction(|tx| {
            let key = self.resolve(tx, account_id, key_ref)?;
            check_external(&key)?;
            key.state.check(Action::ImportKeyMaterial)?;
            let token = ImportToken::open(&self.crypto, import_token)?;
            if token.account_id != account_id || token.key_id != key.id {
                return Err(Error::InvalidImportToken(
                    "it was issued for another key; use the token from this key's \
                     GetParametersForImport",
                ));
            }
            if token.expires_at <= now {
                return Err(Error::ExpiredImportToken);
            }
            self.check_algorithm(policy, key.key_spec, token.algorithm)?;
            in_token::check_algorithm(key.protection_level, token.algorithm)?;
            let wrapping_key = tx
                .wrapping_key(&token.wrapping_key_id)?
                .filter(|w| w.key_id == key.id && w.account_id == account_id)
                .ok_or(Error::ExpiredImportToken)?;
            if !crypto::constant_time_eq(
                &crypto::sha256(&wrapping_key.public_der),
                &token.public_key_sha256,
            ) {
                return Err(Error::InvalidImportToken(
                    "it does not belong to the public key it was issued with",
                ));
            }
            Ok((key, token, wrapping_key))
        })?;

        if key.protection_level == ProtectionLevel::Hsm {
            return self.import_in_token(
                policy,
                account_id,
                &key,
                &token,
                &wrapping_key,
                encrypted_key_material,
                expire_at,
                target,
            );
        }
        // 2. Unwrap outside the transaction, with implicit rejection: whatever fails (the
        //    padding, the length), the import carries on with random material of the right
        //    length down the same path — sealing, the transaction, the comparison — and is
        //    refused at the same point as different material, with the same error. So neither
        //    the reply nor its timing tells a padding failure from a wrong key.
        let private = self.unwrapping_key(&wrapping_key)?;
        let unwrapped =
            crypto::unwrap_key_material(&private, token.algorithm, encrypted_key_material);
        let lengths = match key.key_spec {
            KeySpec::Symmetric(spec) => spec.material_len()..=spec.material_len(),
            KeySpec::Hmac(spec) => spec.material_lengths(),
            KeySpec::Asymmetric(spec) => {
                let checked = private_key::check(spec, key.usage, unwrapped)?;
                let unwrapped = Unwrapped {
                    material: &checked.pkcs8,
                    identifying: &checked.public_der,
                    genuine: true,
                    expire_at,
                    in_token: None,
                };
                return self.bind_material(policy, account_id, &key, &unwrapped, target);
            }
        };
        let genuine = unwrapped
            .as_ref()
            .is_some_and(|m| lengths.contains(&m.len()));
        let material = match unwrapped {
            Some(material) if genuine => material,
            _ => crypto::random_bytes(*lengths.start())?,
        };
        let unwrapped = Unwrapped {
            material: &material,
            identifying: &material,
            genuine,
            expire_at,
            in_token: None,
        };
        self.bind_material(policy, account_id, &key, &unwrapped, target)
    }

    /// `DeleteKeyMaterial`: erases the material at once; the key goes to PendingImport (a
    /// PendingDeletion key keeps its state). The same material can be imported again later.
    pub fn delete_key_material(&self, account_id: &str, key_ref: &str) -> Result<()> {
        self.delete_imported_key_material(account_id, key_ref, None)
            .map(drop)
    }

    /// `DeleteKeyMaterial` (AWS: `DeleteImportedKeyMaterial`), of the current material or of
    /// the one `key_material_id` names. Returns the key's metadata before the erasure and the id
    /// of the material erased. Erasing any of the key's materials sends it to PendingImport (a
    /// PendingDeletion key keeps its state); material pending rotation is not yet the key's, and
    /// is dropped without changing its state.
    pub fn delete_imported_key_material(
        &self,
        account_id: &str,
        key_ref: &str,
        key_material_id: Option<&str>,
    ) -> Result<(crate::kms::KeyMetadata, Option<String>)> {
        if let Some(id) = key_material_id {
            crate::kms::rules::key_material_id(id)?;
        }
        let before = self.store.transaction(|tx| {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            check_external(&key)?;
            key.state.check(Action::DeleteKeyMaterial)?;
            let before = self.metadata(&key);
            let held = key.sealed_material.is_some();
            let current = key.current_material_id();
            let erased = match key_material_id {
                Some(id) if current.as_deref() != Some(id) => {
                    let i = key
                        .materials
                        .by_id(id)
                        .ok_or_else(|| Error::KeyMaterialNotFound(id.to_owned()))?;
                    if key.materials.others[i].state == MaterialState::PendingRotation {
                        key.materials.others.remove(i);
                    } else {
                        let m = &mut key.materials.others[i];
                        m.sealed = None;
                        m.expire_at = None;
                        key.lose_material();
                    }
                    Some(id.to_owned())
                }
                _ => {
                    key.erase_material();
                    current
                }
            };
            self.update_key(tx, &mut key)?;
            // Last, so that a token that cannot be reached leaves the row as it was.
            self.destroy_material_object(&key, held)?;
            Ok::<_, Error>((before, erased))
        })?;
        // Purged from the files by the next sweep, off the request path.
        self.erasures_pending();
        Ok(before)
    }
}

impl<S: Store> Kms<S> {
    /// Whether the account may hold one more wrapping key (each is kept 24 hours).
    fn check_wrapping_key_quota(&self, tx: &mut dyn Transaction, account_id: &str) -> Result<()> {
        let limit = self.settings().max_wrapping_keys_per_account;
        if tx.wrapping_key_count(account_id)? >= limit {
            return Err(Error::LimitExceeded(format!(
                "the account holds {limit} wrapping keys from GetParametersForImport, as many as \
                 --max-wrapping-keys-per-account allows; use the tokens it has (each is valid for \
                 24 hours and can be used many times) or wait for them to expire"
            )));
        }
        Ok(())
    }

    /// Whether this KMS imports into a key of `spec` with `algorithm` under `policy` and the
    /// operator still offers it: symmetric material wrapped with one of the cloud's algorithms
    /// (RSA directly, or also hybrid where the policy allows), an asymmetric private key with
    /// the policy's hybrid algorithms for private keys.
    fn check_algorithm(
        &self,
        policy: &Policy,
        spec: KeySpec,
        algorithm: WrappingAlgorithm,
    ) -> Result<()> {
        if spec.asymmetric().is_some() {
            if !policy.private_key_import.contains(&algorithm) {
                let names: Vec<&str> = policy
                    .private_key_import
                    .iter()
                    .map(|a| a.as_str())
                    .collect();
                return Err(Error::invalid(
                    Argument::WrappingAlgorithm,
                    format!(
                        "must be {} for an asymmetric key",
                        crate::kms::rules::one_of(&names)
                    ),
                ));
            }
            return Ok(());
        }
        let rule = algorithm.rule();
        let scheme_allowed = match rule.scheme {
            WrapScheme::Oaep(_) | WrapScheme::Pkcs1V15 => true,
            WrapScheme::OaepKwp(_) => policy.hybrid_symmetric_import,
            WrapScheme::OaepEcbPkcs7(_) => false,
        };
        if !(rule.clouds.contains(&policy.cloud) && rule.symmetric && scheme_allowed) {
            let names: Vec<&str> = WrappingAlgorithm::ALL
                .iter()
                .map(|a| a.rule())
                .filter(|r| {
                    r.clouds.contains(&policy.cloud)
                        && r.symmetric
                        && (!r.scheme.is_hybrid() || policy.hybrid_symmetric_import)
                        && !matches!(r.scheme, WrapScheme::OaepEcbPkcs7(_))
                })
                .map(|r| r.algorithm.as_str())
                .collect();
            return Err(Error::invalid(
                Argument::WrappingAlgorithm,
                format!("must be {} for this key", crate::kms::rules::one_of(&names)),
            ));
        }
        if algorithm == WrappingAlgorithm::RsaesPkcs1V15 && !self.settings().pkcs1v15 {
            return Err(Error::AlgorithmDisabled(
                "RSAES_PKCS1_V1_5",
                "--disable-pkcs1v15",
            ));
        }
        Ok(())
    }
}

/// Import calls are for keys whose material is imported.
fn check_external(key: &Key) -> Result<()> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(Error::NotExternal(key.origin))
    }
}
