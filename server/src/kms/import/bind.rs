//! The last step of an import: which of the key's materials the unwrapped material is for
//! (AWS's `ImportType` and `KeyMaterialId`), the same-material rule, and the write.
//!
//! - The first material is bound forever: later imports of it must carry the same (a keyed
//!   fingerprint, compared in constant time).
//! - `EXISTING_KEY_MATERIAL` (the default once the key has material) re-imports one of the key's
//!   materials: the current one, or the one `KeyMaterialId` names.
//! - `NEW_KEY_MATERIAL` after the first is new material for the next RotateKeyOnDemand
//!   (`PENDING_ROTATION`), where the cloud's policy allows rotation and only for symmetric keys.

use crate::crypto;
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::import::ImportedMaterial;
use crate::kms::key::Key;
use crate::kms::lifecycle::key_material_id;
use crate::kms::material::{Material, MaterialState};
use crate::kms::policy::Policy;
use crate::kms::rules;
use crate::kms::state::{Action, KeyState};
use crate::store::Store;

/// Which of a key's materials an import is for (AWS `ImportType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportType {
    /// The key's first material, or new material for a rotation.
    NewKeyMaterial,
    /// Material the key has had (its current one, or the one a `KeyMaterialId` names).
    ExistingKeyMaterial,
}

/// What an import says about the material besides its wrapped bytes and expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportTarget {
    /// New or existing material; `None`: new for a key that never had material, else existing.
    pub import_type: Option<ImportType>,
    /// The existing material re-imported (only with existing material).
    pub key_material_id: Option<String>,
    /// The material's description (a label); `None` keeps what it had.
    pub description: Option<String>,
}

impl ImportTarget {
    /// Checks the parts that need no key: the id's and the description's form, and that an id
    /// comes only with existing material.
    pub fn check(&self) -> Result<()> {
        if let Some(id) = &self.key_material_id {
            rules::key_material_id(id)?;
            if self.import_type == Some(ImportType::NewKeyMaterial) {
                return Err(Error::invalid(
                    Argument::KeyMaterialId,
                    "must not be given with ImportType NEW_KEY_MATERIAL: new material gets its \
                     id from the import",
                ));
            }
        }
        if let Some(description) = &self.description {
            rules::material_description(description)?;
        }
        Ok(())
    }
}

/// What an import brings to the binding step.
pub(super) struct Unwrapped<'a> {
    /// What is sealed as the key's material (the material, or an imported private key).
    pub material: &'a [u8],
    /// What identifies it (the material itself, or an imported private key's public key).
    pub identifying: &'a [u8],
    /// Whether it unwrapped to something of the right form (else it is random, see the caller).
    pub genuine: bool,
    /// When it expires.
    pub expire_at: Option<i64>,
    /// For an HSM key: the sealed label of the token object that is the material (then
    /// `material` is empty), and what to do in the token just before the write commits.
    pub in_token: Option<(&'a [u8], &'a InToken<'a>)>,
}

/// What an HSM import does in the token just before its write commits.
pub(super) type InToken<'a> = dyn Fn() -> Result<()> + 'a;

impl<S: Store> Kms<S> {
    /// Seals the material, then, in one write, binds it as `target` says. The key may have
    /// changed since the import began, so everything about it is checked again here.
    pub(super) fn bind_material(
        &self,
        policy: &Policy,
        account_id: &str,
        key: &Key,
        unwrapped: &Unwrapped<'_>,
        target: &ImportTarget,
    ) -> Result<ImportedMaterial> {
        let fingerprint = self
            .crypto
            .fingerprint(&key.material_identity(), unwrapped.identifying);
        let sealed = match unwrapped.in_token {
            Some((sealed, _)) => sealed.to_vec(),
            None => self
                .crypto
                .seal(&key.material_identity(), unwrapped.material)?,
        };
        let new_version_id = crypto::random_uuid()?;
        self.store.transaction(|tx| {
            let mut key = self.resolve(tx, account_id, &key.id)?;
            key.state.check(Action::ImportKeyMaterial)?;
            let id = key_material_id(&fingerprint);
            let import_type = target.import_type.unwrap_or(if key.fingerprint.is_none() {
                ImportType::NewKeyMaterial
            } else {
                ImportType::ExistingKeyMaterial
            });
            let description = target.description.clone();
            match (import_type, key.fingerprint.is_some()) {
                (ImportType::NewKeyMaterial, false) => {
                    if !unwrapped.genuine {
                        return Err(Error::InvalidKeyMaterial);
                    }
                    bind_first(
                        &mut key,
                        fingerprint.clone(),
                        sealed.clone(),
                        unwrapped.expire_at,
                        description.unwrap_or_default(),
                    );
                }
                (ImportType::NewKeyMaterial, true) => {
                    check_rotatable(policy, &key)?;
                    if !unwrapped.genuine {
                        return Err(Error::InvalidKeyMaterial);
                    }
                    if let Some(pending) = key.materials.pending() {
                        return Err(Error::RotationPending {
                            new: id,
                            pending: pending.id(),
                        });
                    }
                    let bound = std::iter::once(key.fingerprint.as_deref())
                        .chain(
                            key.materials
                                .others
                                .iter()
                                .map(|m| Some(&m.fingerprint[..])),
                        )
                        .flatten()
                        .any(|f| crypto::constant_time_eq(f, &fingerprint));
                    if bound {
                        return Err(Error::MaterialAlreadyBound(id));
                    }
                    key.materials.others.push(Material {
                        version_id: new_version_id.clone(),
                        sealed: Some(sealed.clone()),
                        fingerprint: fingerprint.clone(),
                        expire_at: unwrapped.expire_at,
                        state: MaterialState::PendingRotation,
                        description: description.unwrap_or_default(),
                        rotated_at: None,
                    });
                }
                (ImportType::ExistingKeyMaterial, false) => {
                    return Err(Error::invalid(
                        Argument::ImportType,
                        "must be NEW_KEY_MATERIAL (or absent) for a key that has never had \
                         key material",
                    ));
                }
                (ImportType::ExistingKeyMaterial, true) => {
                    let other = match &target.key_material_id {
                        Some(wanted) if key.current_material_id().as_ref() != Some(wanted) => Some(
                            key.materials
                                .by_id(wanted)
                                .ok_or_else(|| Error::KeyMaterialNotFound(wanted.clone()))?,
                        ),
                        _ => None,
                    };
                    let bound = match other {
                        Some(i) => &key.materials.others[i].fingerprint[..],
                        None => key.fingerprint.as_deref().unwrap_or_default(),
                    };
                    let same = crypto::constant_time_eq(bound, &fingerprint);
                    if !(unwrapped.genuine & same) {
                        return Err(Error::InvalidKeyMaterial);
                    }
                    match other {
                        Some(i) => {
                            let m = &mut key.materials.others[i];
                            m.sealed = Some(sealed.clone());
                            m.expire_at = unwrapped.expire_at;
                            if let Some(d) = description {
                                m.description = d;
                            }
                        }
                        None => {
                            key.sealed_material = Some(sealed.clone());
                            key.material_expire_at = unwrapped.expire_at;
                            if let Some(d) = description {
                                key.materials.current_description = d;
                            }
                        }
                    }
                }
            }
            if key.state == KeyState::PendingImport && key.all_materials_present() {
                key.state = KeyState::Enabled;
            }
            self.update_key(tx, &mut key)?;
            if let Some((_, in_token)) = unwrapped.in_token {
                in_token()?;
            }
            Ok(ImportedMaterial {
                key_id: key.id.clone(),
                key_material_id: id,
            })
        })
    }
}

impl<S: Store> Kms<S> {
    /// The keyed fingerprint of material for `key`, from what identifies it (the material, or an
    /// imported private key's public key): what the same-material rule compares.
    pub(crate) fn material_fingerprint(&self, key: &Key, identifying: &[u8]) -> Vec<u8> {
        self.crypto
            .fingerprint(&key.material_identity(), identifying)
    }

    /// Binds `material` as the first material of `key`, which has never had any, as the first
    /// ImportKeyMaterial does: sealed, its fingerprint kept for good, the key Enabled. Checking
    /// that the material fits the key's spec is the caller's.
    pub(crate) fn bind_to(
        &self,
        key: &mut Key,
        material: &[u8],
        identifying: &[u8],
        expire_at: Option<i64>,
    ) -> Result<()> {
        if key.fingerprint.is_some() {
            return Err(Error::Invariant(
                "first material bound to a key that had some",
            ));
        }
        let fingerprint = self.material_fingerprint(key, identifying);
        let sealed = self.crypto.seal(&key.material_identity(), material)?;
        bind_first(key, fingerprint, sealed, expire_at, String::new());
        if key.state == KeyState::PendingImport && key.all_materials_present() {
            key.state = KeyState::Enabled;
        }
        Ok(())
    }
}

/// Makes sealed material with `fingerprint` the first material of `key`.
fn bind_first(
    key: &mut Key,
    fingerprint: Vec<u8>,
    sealed: Vec<u8>,
    expire_at: Option<i64>,
    description: String,
) {
    key.fingerprint = Some(fingerprint);
    key.sealed_material = Some(sealed);
    key.material_expire_at = expire_at;
    key.materials.current_description = description;
}

/// Whether `key` may take new material for a rotation under `policy`.
pub(crate) fn check_rotatable(policy: &Policy, key: &Key) -> Result<()> {
    if policy.max_material_rotations == 0 {
        return Err(Error::MaterialFixed(
            "this API binds one key material to a key for good; import that material again",
        ));
    }
    if key.protection_level == crate::kms::key::ProtectionLevel::Hsm {
        return Err(Error::MaterialFixed(
            "keys with ProtectionLevel HSM keep their first key material; import it again with \
             ImportType EXISTING_KEY_MATERIAL",
        ));
    }
    if key.key_spec.symmetric().is_none() {
        return Err(Error::MaterialFixed(
            "asymmetric keys keep their first key material; import it again with ImportType \
             EXISTING_KEY_MATERIAL",
        ));
    }
    Ok(())
}
