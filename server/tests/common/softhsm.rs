//! Throwaway SoftHSM2 tokens: each in its own temporary directory, named by its own
//! configuration file (`SOFTHSM2_CONF`), so that tests neither share a token nor touch the
//! machine's.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's SoftHSM2 PKCS#11 module (`scripts/setup.sh test` installs it).
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 configuration whose token directory is a new temporary directory.
pub struct SoftHsm {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl SoftHsm {
    /// A configuration with no token yet. Fails (never skips) when SoftHSM2 is missing.
    pub fn new() -> Self {
        assert!(
            Path::new(MODULE).exists(),
            "SoftHSM2 is not installed ({MODULE} is missing): run scripts/setup.sh test"
        );
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        Self { dir, conf }
    }

    /// Initialises a new token labelled `label` with the user PIN `pin`.
    pub fn init_token(&self, label: &str, pin: &str) -> &Self {
        let output = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label, "--pin", pin])
            .args(["--so-pin", "so-pin-of-the-test"])
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| {
                panic!("softhsm2-util cannot run ({e}): run scripts/setup.sh test")
            });
        assert!(
            output.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self
    }

    /// The configuration file, for `SOFTHSM2_CONF`.
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// Writes `contents` to a new file `name` in the directory, with permission bits `mode`.
    pub fn file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// The temporary directory (a place for a data directory too).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
