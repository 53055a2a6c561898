//! AWS's on-demand rotation of imported material: RotateKeyOnDemand makes the material pending
//! rotation current, and ListKeyRotations lists a key's materials ([`crate::kms::material`] has
//! the rules).

use crate::kms::Kms;
use crate::kms::error::{Error, Result};
use crate::kms::import::bind::check_rotatable;
use crate::kms::key::{Key, Origin};
use crate::kms::material::{Material, MaterialState};
use crate::kms::page::{Page, Paging};
use crate::kms::policy::Policy;
use crate::kms::state::Action;
use crate::store::Store;

/// One of a key's materials, as ListKeyRotations shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationEntry {
    /// The key id.
    pub key_id: String,
    /// The material's id.
    pub key_material_id: String,
    /// Its description.
    pub description: String,
    /// Whether it is imported now (else deleted or expired, waiting to be imported again).
    pub imported: bool,
    /// Current, non-current or pending rotation.
    pub state: MaterialState,
    /// When it expires (`None`: never, or not imported now).
    pub expire_at: Option<i64>,
    /// When it became current by a rotation (`None` for the key's first material, and for
    /// material pending rotation).
    pub rotated_at: Option<i64>,
}

/// Which materials ListKeyRotations lists (AWS `IncludeKeyMaterial`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotationListing {
    /// Only the materials rotations made current (`ROTATIONS_ONLY`, the default).
    #[default]
    RotationsOnly,
    /// Every material: the first, the rotated ones, the one pending (`ALL_KEY_MATERIAL`).
    AllKeyMaterial,
}

impl<S: Store> Kms<S> {
    /// `RotateKeyOnDemand` of a key with imported material under `policy`: the material pending
    /// rotation becomes current, the current one non-current (it still decrypts what it
    /// encrypted). The key must be Enabled and under the policy's number of rotations. Returns
    /// the key id.
    pub fn rotate_key_on_demand(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
    ) -> Result<String> {
        let now = self.now();
        self.store.transaction(|tx| {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            if key.origin != Origin::External {
                return Err(Error::MaterialFixed(
                    "byok-kms rotates only keys with imported material (Origin EXTERNAL) on \
                     demand; create a new key for new generated material",
                ));
            }
            check_rotatable(policy, &key)?;
            key.state.check(Action::RotateKeyOnDemand)?;
            let pending = key
                .materials
                .others
                .iter()
                .position(|m| m.state == MaterialState::PendingRotation)
                .ok_or(Error::NothingToRotate)?;
            if key.materials.rotations() >= policy.max_material_rotations {
                return Err(Error::LimitExceeded(format!(
                    "the key has been rotated {} times, as many as a key with imported material \
                     may be; create a new key for more rotations",
                    policy.max_material_rotations
                )));
            }
            let next = key.materials.others.remove(pending);
            let previous =
                Material {
                    version_id: std::mem::replace(&mut key.version_id, next.version_id),
                    sealed: std::mem::replace(&mut key.sealed_material, next.sealed),
                    fingerprint: key.fingerprint.replace(next.fingerprint).ok_or(
                        Error::Invariant("an Enabled imported key has no fingerprint"),
                    )?,
                    expire_at: std::mem::replace(&mut key.material_expire_at, next.expire_at),
                    state: MaterialState::NonCurrent,
                    description: std::mem::replace(
                        &mut key.materials.current_description,
                        next.description,
                    ),
                    rotated_at: key.materials.current_rotated_at.replace(now),
                };
            // Non-current materials oldest first, before any pending one (there is none now).
            key.materials.others.push(previous);
            self.update_key(tx, &mut key)?;
            Ok(key.id)
        })
    }

    /// `ListKeyRotations`: the key's materials, oldest first, a page at a time.
    pub fn list_key_rotations(
        &self,
        account_id: &str,
        key_ref: &str,
        listing: RotationListing,
        paging: Paging,
    ) -> Result<Page<RotationEntry>> {
        let (offset, size) = paging.offset()?;
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        let all = entries(&key);
        let listed: Vec<RotationEntry> = all
            .into_iter()
            .filter(|e| listing == RotationListing::AllKeyMaterial || e.rotated_at.is_some())
            .collect();
        let total = listed.len() as u64;
        let items = listed
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            page_number: offset / size + 1,
            page_size: size,
        })
    }
}

/// Every material of `key`: non-current oldest first, the current one, then one pending.
fn entries(key: &Key) -> Vec<RotationEntry> {
    let entry = |m: &Material| RotationEntry {
        key_id: key.id.clone(),
        key_material_id: m.id(),
        description: m.description.clone(),
        imported: m.sealed.is_some(),
        state: m.state,
        expire_at: m.expire_at.filter(|_| m.sealed.is_some()),
        rotated_at: m.rotated_at,
    };
    let mut out: Vec<RotationEntry> = key
        .materials
        .others
        .iter()
        .filter(|m| m.state == MaterialState::NonCurrent)
        .map(entry)
        .collect();
    if let Some(id) = key.current_material_id() {
        out.push(RotationEntry {
            key_id: key.id.clone(),
            key_material_id: id,
            description: key.materials.current_description.clone(),
            imported: key.sealed_material.is_some(),
            state: MaterialState::Current,
            expire_at: key
                .material_expire_at
                .filter(|_| key.sealed_material.is_some()),
            rotated_at: key.materials.current_rotated_at,
        });
    }
    out.extend(key.materials.pending().map(entry));
    out
}
