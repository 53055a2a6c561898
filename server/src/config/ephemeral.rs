//! `--ephemeral`: the whole state of one server in a new temporary directory, removed when the
//! server exits, for a test suite's throwaway KMS.

use std::path::{Path, PathBuf};

use super::{Error, Result};

/// A new private directory under the system's temporary directory, removed (with everything in
/// it: the database, the root key) when this value is dropped — at a graceful stop (SIGINT,
/// SIGTERM) and when `serve` fails or panics. Only a SIGKILL leaves it behind.
#[derive(Debug)]
pub struct EphemeralDir {
    path: PathBuf,
}

impl EphemeralDir {
    /// Creates the directory (mode 0700), named after a random id so that concurrent servers
    /// never share one.
    pub fn create() -> Result<Self> {
        let id = crate::crypto::random_uuid()?;
        let path = std::env::temp_dir().join(format!("byok-kms-ephemeral-{id}"));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        // Not recursive: the directory must be new, never one somebody prepared.
        builder.create(&path).map_err(|source| Error::File {
            what: "creating the ephemeral data directory",
            path: path.clone(),
            source,
        })?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for EphemeralDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::error!(
                path = %self.path.display(),
                "removing the ephemeral data directory failed: {e}"
            );
        }
    }
}
