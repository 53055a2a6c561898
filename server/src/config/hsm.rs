//! The HSM flags: the vendor's PKCS#11 module, the token's label and its user PIN, given
//! together or not at all. The PIN comes from a private file or from `BYOK_KMS_HSM_PIN` (taken
//! out of the environment at start), never from a flag, which every user of the machine can
//! read in `ps`.

use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use super::environment::HSM_PIN_ENV;
use super::files::read_private;
use super::{Error, Result};
use crate::hsm::Hsm;

/// A hardware security module's token, through its vendor's PKCS#11 module.
#[derive(Debug, Clone, Args)]
pub struct HsmArgs {
    /// The HSM vendor's PKCS#11 module (a shared library, e.g.
    /// /usr/lib/softhsm/libsofthsm2.so): connect to a token of it at start, and refuse to start
    /// if it cannot be loaded. Needs --hsm-token and the PIN (--hsm-pin-file or
    /// BYOK_KMS_HSM_PIN). Keys with ProtectionLevel HSM are kept in its token.
    #[arg(long, env = "BYOK_KMS_HSM_MODULE", value_name = "PATH")]
    pub hsm_module: Option<PathBuf>,

    /// The label of the token to use (`pkcs11-tool --module PATH --list-token-slots` shows them).
    #[arg(long, env = "BYOK_KMS_HSM_TOKEN", value_name = "LABEL")]
    pub hsm_token: Option<String>,

    /// The file of the token's user PIN (one line; readable by byok-kms's user only). Or set
    /// BYOK_KMS_HSM_PIN.
    #[arg(long, env = "BYOK_KMS_HSM_PIN_FILE", value_name = "FILE")]
    pub hsm_pin_file: Option<PathBuf>,
}

impl HsmArgs {
    /// Connects to the token these flags name and logs in with the PIN, from the PIN file or
    /// `env_pin` (what `BYOK_KMS_HSM_PIN` held); `None` if no HSM flag and no PIN is given.
    pub fn open(&self, env_pin: Option<Zeroizing<String>>) -> Result<Option<Hsm>> {
        let Some(module) = &self.hsm_module else {
            let given: Vec<&str> = [
                self.hsm_token.as_ref().map(|_| "--hsm-token"),
                self.hsm_pin_file.as_ref().map(|_| "--hsm-pin-file"),
                env_pin.as_ref().map(|_| HSM_PIN_ENV),
            ]
            .into_iter()
            .flatten()
            .collect();
            if given.is_empty() {
                return Ok(None);
            }
            return Err(Error::Setting(format!(
                "{} given without --hsm-module: also give --hsm-module PATH, the HSM vendor's \
                 PKCS#11 module (or leave out every HSM setting)",
                given.join(" and ")
            )));
        };
        let Some(label) = &self.hsm_token else {
            return Err(Error::Setting(
                "--hsm-module needs --hsm-token LABEL, the label of the token to use \
                 (`pkcs11-tool --module PATH --list-token-slots` shows them)"
                    .to_owned(),
            ));
        };
        let pin = match (&self.hsm_pin_file, env_pin) {
            (Some(file), None) => read_pin_file(file)?,
            (None, Some(pin)) if pin.is_empty() => {
                return Err(Error::Setting(format!("{HSM_PIN_ENV} is empty")));
            }
            (None, Some(pin)) => pin,
            (None, None) => {
                return Err(Error::Setting(format!(
                    "--hsm-module needs the token's user PIN: --hsm-pin-file FILE (readable by \
                     byok-kms's user only) or {HSM_PIN_ENV}"
                )));
            }
            (Some(_), Some(_)) => {
                return Err(Error::Setting(format!(
                    "the PIN is given twice: use --hsm-pin-file or {HSM_PIN_ENV}, not both"
                )));
            }
        };
        Hsm::open(module, label, pin).map(Some).map_err(Error::Hsm)
    }
}

/// The PIN in `file`: its first line, without the line break.
fn read_pin_file(file: &std::path::Path) -> Result<Zeroizing<String>> {
    let bytes = read_private(file, "a PIN file")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::Setting(format!("the PIN file {} is not UTF-8", file.display())))?;
    let pin = text.lines().next().unwrap_or_default();
    if pin.is_empty() {
        return Err(Error::Setting(format!(
            "the PIN file {} is empty",
            file.display()
        )));
    }
    Ok(Zeroizing::new(pin.to_owned()))
}
