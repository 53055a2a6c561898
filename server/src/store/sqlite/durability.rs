//! Group commit: transactions commit to SQLite's write-ahead log without waiting for the disk,
//! then each waits until one flush (`fdatasync`) covers its commit and every commit it could have
//! read — one flush for however many transactions committed meanwhile.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use super::super::error::{Error, Result};

/// Group commit: which state-changing commits the WAL's flushes cover.
pub(super) struct Durability {
    /// The WAL file, flushed to make commits durable; `None` for an in-memory database.
    pub(super) wal: Option<PathBuf>,
    pub(super) progress: Mutex<Progress>,
    pub(super) flushed: Condvar,
}

#[derive(Default)]
pub(super) struct Progress {
    /// State-changing commits so far (counted in commit order, under the connection's lock).
    pub(super) committed: u64,
    /// Commits covered by the last completed flush.
    pub(super) synced: u64,
    /// Whether a flush is under way.
    syncing: bool,
    file: Option<File>,
}

impl Durability {
    /// Runs `f` on the progress counters, under their lock.
    pub(super) fn progress_mut<R>(&self, f: impl FnOnce(&mut Progress) -> R) -> R {
        f(&mut self
            .progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Returns once every state-changing commit up to `target` is on disk, flushing the WAL if
    /// nobody else is, or waiting for the flush under way.
    pub(super) fn wait_until_durable(&self, target: u64) -> Result<()> {
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        let mut progress = self
            .progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if progress.synced >= target {
                return Ok(());
            }
            if progress.syncing {
                progress = self
                    .flushed
                    .wait(progress)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            // This thread flushes, for everything committed up to now.
            progress.syncing = true;
            let goal = progress.committed;
            let file = progress.file.take();
            drop(progress);
            let opened = match file {
                Some(file) => Ok(file),
                None => File::open(wal).map_err(|source| ("opening", source)),
            };
            let flushed = opened.and_then(|file| match file.sync_data() {
                Ok(()) => Ok(file),
                Err(source) => Err(("flushing", source)),
            });
            progress = self
                .progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Whatever happened, this flush is over: waiters must not wait for it for ever.
            progress.syncing = false;
            self.flushed.notify_all();
            match flushed {
                Ok(file) => {
                    progress.synced = progress.synced.max(goal);
                    progress.file = Some(file);
                }
                Err((what, source)) => {
                    return Err(Error::Io {
                        what: format!("{what} the WAL {}", wal.display()),
                        source,
                    });
                }
            }
        }
    }
}
