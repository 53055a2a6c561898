//! The root key of every secret at rest: where it comes from, and the checks on its file.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::environment::ROOT_KEY_ENV;
use super::files::{check_private, write_private_file};
use super::{Error, Result, Secrets, StorageArgs};
use crate::crypto::RootKey;

/// The root key: `--root-key-file`, else `BYOK_KMS_ROOT_KEY` (base64), else
/// `<data-dir>/root.key`, created on first start. A root key file its group or others may read
/// is refused.
pub(super) fn load(storage: &StorageArgs, secrets: &Secrets) -> Result<RootKey> {
    if let Some(path) = &storage.root_key_file {
        if !path.exists() {
            return Err(Error::Setting(format!(
                "the root key file {} does not exist; make one with \
                 `(umask 077; openssl rand -base64 32 > {})`",
                path.display(),
                path.display()
            )));
        }
        return read_file(path);
    }
    if let Some(text) = &secrets.root_key {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| Error::Setting(format!("{ROOT_KEY_ENV} is not base64")))?,
        );
        return RootKey::from_bytes(&bytes)
            .map_err(|_| Error::Setting(format!("{ROOT_KEY_ENV} must be the base64 of 32 bytes")));
    }
    let path = storage.data_dir.join("root.key");
    match std::fs::metadata(&path) {
        Ok(_) => read_file(&path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = RootKey::generate()?;
            let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.expose_secret())));
            write_private_file(&path, text.as_bytes())?;
            Ok(key)
        }
        Err(source) => Err(Error::File {
            what: "reading",
            path,
            source,
        }),
    }
}

/// A root key file: private to its owner, base64 of 32 bytes.
fn read_file(path: &Path) -> Result<RootKey> {
    check_private(path)?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| Error::File {
        what: "reading",
        path: path.to_owned(),
        source,
    })?);
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Setting(format!("{} is not base64", path.display())))?,
    );
    Ok(RootKey::from_bytes(&bytes)?)
}
