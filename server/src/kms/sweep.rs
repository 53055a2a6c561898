//! The sweep: erases expired material, deletes keys whose pending window ended, and forgets
//! expired nonces and wrapping keys. The server runs it every `--sweep-interval` seconds;
//! expired material is never used between sweeps either ([`Kms::resolve`] applies expiry).

use crate::kms::Kms;
use crate::kms::error::{Error, Result};
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
                let Some(mut key) = tx.key(&account_id, &key_id)? else {
                    continue;
                };
                if key.state == KeyState::PendingDeletion
                    && key.delete_date.is_some_and(|d| d <= now)
                {
                    tx.delete_key(&account_id, &key_id)?;
                    report.keys_deleted += 1;
                } else if key.material_expired(now) {
                    key.erase_material();
                    tx.update_key(&key)?;
                    report.materials_erased += 1;
                }
            }
            tx.delete_expired_wrapping_keys(now)?;
            Ok::<_, Error>(report)
        })?;
        self.store.maintain(now)?;
        if report != SweepReport::default() {
            self.store.purge_erased()?;
        }
        Ok(report)
    }
}
