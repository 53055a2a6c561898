//! Files only their owner may read: the data directory, the root key, the generated access key.

use std::io::Write as _;
use std::path::Path;

use super::{Error, Result};

/// Creates `dir` (and its parents) readable by its owner only (mode 0700), if missing.
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::File {
        what: "creating",
        path: dir.to_owned(),
        source,
    })
}

/// Writes a new file readable only by its owner (mode 0600), flushed to disk.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file_error = |what| {
        move |source| Error::File {
            what,
            path: path.to_owned(),
            source,
        }
    };
    let mut file = options.open(path).map_err(file_error("creating"))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(file_error("writing"))
}

/// Refuses a secret file that its group or others may read: the permission bits of a file are
/// checked at every start, not only when it was made (a copy, an archive extracted with other
/// modes, a `chmod` by mistake).
pub(super) fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .map_err(|source| Error::File {
                what: "reading",
                path: path.to_owned(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::Setting(format!(
                "{} may be read by its group or others (mode {:o}); a root key must be readable \
                 by byok-kms's user only: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    Ok(())
}
