//! The sweep: erases expired material, deletes keys whose pending window ended, and forgets
//! expired nonces and wrapping keys. The server runs it every `--sweep-interval` seconds;
//! expired material is never used between sweeps either ([`Kms::resolve`] applies expiry). It
//! also purges from the database files what requests erased (DeleteKeyMaterial).

use std::sync::atomic::Ordering;

use crate::kms::Kms;
use crate::kms::error::{Chain, Error, Result};
use crate::kms::state::KeyState;
use crate::store::Store;

/// Keys handled per sweep transaction.
const SWEEP_BATCH: u64 = 1000;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Keys whose expired material was erased.
    pub materials_erased: u64,
    /// Keys deleted at the end of their pending window.
    pub keys_deleted: u64,
}

impl<S: Store> Kms<S> {
    /// Runs one sweep.
    pub fn sweep(&self) -> Result<SweepReport> {
        let now = self.now();
        let report = self.store.transaction(|tx| {
            let mut report = SweepReport::default();
            for (account_id, key_id) in tx.due_keys(now, SWEEP_BATCH)? {
                let mut key = match self.read_key(tx, &account_id, &key_id) {
                    Ok(Some(key)) => key,
                    Ok(None) => continue,
                    // A tampered row is never used, and it must not stop the sweep of the others.
                    Err(e @ Error::Tampered { .. }) => {
                        tracing::error!(error = %Chain(&e), "sweep: key skipped");
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let deleted = key.state == KeyState::PendingDeletion
                    && key.delete_date.is_some_and(|d| d <= now);
                let expired = !deleted && key.clone().expire_materials(now);
                if deleted || expired {
                    // An HSM key's object goes first; a token that cannot be reached leaves
                    // the key for a later sweep (expired material is never used meanwhile).
                    if let Err(e) =
                        self.destroy_material_object(&key, key.sealed_material.is_some())
                    {
                        tracing::warn!(error = %Chain(&e), key = %key_id, "sweep: key skipped");
                        continue;
                    }
                }
                if deleted {
                    tx.delete_key(&account_id, &key_id)?;
                    report.keys_deleted += 1;
                } else if key.expire_materials(now) {
                    self.update_key(tx, &mut key)?;
                    report.materials_erased += 1;
                }
            }
            tx.delete_expired_wrapping_keys(now)?;
            Ok::<_, Error>(report)
        })?;
        if let Err(e) = self.destroy_expired_wrapping_objects(now) {
            tracing::warn!(error = %Chain(&e), "sweep: expired wrapping keys left in the HSM");
        }
        self.store.maintain(now)?;
        let erased_by_requests = self.erased.swap(false, Ordering::AcqRel);
        if erased_by_requests || report != SweepReport::default() {
            self.store.purge_erased()?;
        }
        Ok(report)
    }

    /// Notes that a request erased material, for the next sweep to purge from the files
    /// (a VACUUM or a WAL checkpoint: too slow for the request path).
    pub(crate) fn erasures_pending(&self) {
        self.erased.store(true, Ordering::Release);
    }
}
