//! A key's materials: the current one (in the key's own fields, as before rotation existed) and
//! the others a symmetric key with imported material gathers through AWS's on-demand rotation.
//!
//! Rules (`reference/aws-kms-import-api.md`, "RotateKeyOnDemand"): new material is imported as
//! `PENDING_ROTATION`, at most one at a time, and becomes `CURRENT` at RotateKeyOnDemand; the
//! previous one becomes `NON_CURRENT` and still decrypts what it encrypted (the blob names the
//! material's version). Each material has its own expiry. Deleting or expiring any material but
//! the pending one sends the key to PendingImport until it is imported again; the pending one is
//! not yet the key's and is simply dropped.

use crate::kms::key::Key;
use crate::kms::lifecycle::key_material_id;
use crate::kms::state::KeyState;

/// Where a material stands in its key (AWS's `KeyMaterialState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaterialState {
    /// Encrypts and decrypts.
    Current,
    /// Only decrypts what it encrypted before a rotation.
    NonCurrent,
    /// Imported for the next RotateKeyOnDemand; not yet the key's.
    PendingRotation,
}

impl MaterialState {
    /// The name as stored (and as AWS spells it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Current => "CURRENT",
            Self::NonCurrent => "NON_CURRENT",
            Self::PendingRotation => "PENDING_ROTATION",
        }
    }

    /// The state of this stored name (only the two a non-current material can be in).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::NonCurrent, Self::PendingRotation]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// A material of a key other than the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// The key version it is: ciphertext blobs name it.
    pub version_id: String,
    /// Sealed under the root key with the key's identity; `None` after deletion or expiry.
    pub sealed: Option<Vec<u8>>,
    /// The keyed fingerprint of the material (its id is derived from it).
    pub fingerprint: Vec<u8>,
    /// When it expires (Unix seconds); `None` for never.
    pub expire_at: Option<i64>,
    /// NonCurrent or PendingRotation.
    pub state: MaterialState,
    /// The importer's description (AWS `KeyMaterialDescription`): a label.
    pub description: String,
    /// When it became current by a rotation; `None` for the key's first material.
    pub rotated_at: Option<i64>,
}

impl Material {
    /// The material's id ([`key_material_id`]).
    pub fn id(&self) -> String {
        key_material_id(&self.fingerprint)
    }
}

/// What a key knows about its materials besides the current one's sealed bytes, fingerprint and
/// expiry (which are the key's own fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Materials {
    /// The current material's description (a label).
    pub current_description: String,
    /// When the current material became current by a rotation; `None` for the first.
    pub current_rotated_at: Option<i64>,
    /// The other materials: the non-current ones oldest first, then at most one pending.
    pub others: Vec<Material>,
}

impl Materials {
    /// Whether there is nothing beyond the current material (the row stores nothing then).
    pub fn is_empty(&self) -> bool {
        self.current_description.is_empty()
            && self.current_rotated_at.is_none()
            && self.others.is_empty()
    }

    /// The material pending rotation, if any.
    pub fn pending(&self) -> Option<&Material> {
        self.others
            .iter()
            .find(|m| m.state == MaterialState::PendingRotation)
    }

    /// How many rotations the key has had (each left a non-current material).
    pub fn rotations(&self) -> usize {
        self.others
            .iter()
            .filter(|m| m.state == MaterialState::NonCurrent)
            .count()
    }

    /// When the soonest of the other materials that are present expires (for the sweep).
    pub fn next_expiry(&self) -> Option<i64> {
        self.others
            .iter()
            .filter(|m| m.sealed.is_some())
            .filter_map(|m| m.expire_at)
            .min()
    }

    /// The other material of this id.
    pub fn by_id(&self, id: &str) -> Option<usize> {
        self.others.iter().position(|m| m.id() == id)
    }
}

impl Key {
    /// The id of the key's current material (kept after the material is deleted).
    pub fn current_material_id(&self) -> Option<String> {
        self.fingerprint.as_deref().map(key_material_id)
    }

    /// Whether every material that is the key's (all but a pending one) is present.
    pub fn all_materials_present(&self) -> bool {
        self.sealed_material.is_some()
            && self
                .materials
                .others
                .iter()
                .all(|m| m.state == MaterialState::PendingRotation || m.sealed.is_some())
    }

    /// Erases what has expired at `now`: the current or a non-current material sends the key to
    /// PendingImport (a PendingDeletion key keeps its state); an expired pending material is
    /// dropped. Returns whether anything changed.
    pub fn expire_materials(&mut self, now: i64) -> bool {
        let mut changed = false;
        if self.material_expired(now) {
            self.erase_material();
            changed = true;
        }
        let expired = |m: &Material| m.sealed.is_some() && m.expire_at.is_some_and(|at| at <= now);
        let before = self.materials.others.len();
        self.materials
            .others
            .retain(|m| !(m.state == MaterialState::PendingRotation && expired(m)));
        changed |= self.materials.others.len() != before;
        let mut lost = false;
        for m in &mut self.materials.others {
            if expired(m) {
                m.sealed = None;
                m.expire_at = None;
                lost = true;
            }
        }
        if lost {
            self.lose_material();
        }
        changed | lost
    }

    /// A material of the key is gone: the key waits for it in PendingImport, except a
    /// PendingDeletion key, which keeps its state and deletion date.
    pub(crate) fn lose_material(&mut self) {
        if self.state != KeyState::PendingDeletion {
            self.state = KeyState::PendingImport;
        }
    }
}
