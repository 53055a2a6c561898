//! Files only their owner may read: the data directory, the root key, the generated access key,
//! the HSM's PIN file.

use std::io::Write as _;
use std::path::Path;

use zeroize::Zeroizing;

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
        refuse_readable(path, mode, "a root key")?;
    }
    Ok(())
}

/// Reads a secret file (`what` names it in the message), refusing one its group or others may
/// read as [`check_private`] does, but checking the file opened rather than whatever the path
/// names a moment earlier.
pub(super) fn read_private(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    use std::io::Read as _;
    let failed = |source| Error::File {
        what: "reading",
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let metadata = file.metadata().map_err(failed)?;
    #[cfg(unix)]
    refuse_readable(
        path,
        std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()),
        what,
    )?;
    // Room for the whole file at once, so that growing leaves no unwiped copy behind.
    let room = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut contents = Zeroizing::new(Vec::with_capacity(room));
    file.read_to_end(&mut contents).map_err(failed)?;
    Ok(contents)
}

/// The refusal of a secret file with permission bits `mode` that lets its group or others read it.
#[cfg(unix)]
fn refuse_readable(path: &Path, mode: u32, what: &str) -> Result<()> {
    if mode & 0o077 != 0 {
        return Err(Error::Setting(format!(
            "{} may be read by its group or others (mode {:o}); {what} must be readable by \
             byok-kms's user only: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}
