//! Secrets given in the environment (`BYOK_KMS_ROOT_KEY`, the default account's access key, the
//! HSM's PIN),
//! taken out of it at start: read once, then wiped from the process's memory and removed, so that
//! neither a child process, `/proc/<pid>/environ`, nor a core dump taken later shows them.

use zeroize::Zeroizing;

use super::{Error, Result};

/// The environment variable that holds the root key (base64 of 32 bytes).
pub const ROOT_KEY_ENV: &str = "BYOK_KMS_ROOT_KEY";
/// The environment variables that hold the default account's access key.
pub const ACCESS_KEY_ID_ENV: &str = "BYOK_KMS_ACCESS_KEY_ID";
/// See [`ACCESS_KEY_ID_ENV`].
pub const ACCESS_KEY_SECRET_ENV: &str = "BYOK_KMS_ACCESS_KEY_SECRET";

/// The environment variables that hold the default account's AWS access key.
pub const AWS_ACCESS_KEY_ID_ENV: &str = "BYOK_KMS_AWS_ACCESS_KEY_ID";
/// See [`AWS_ACCESS_KEY_ID_ENV`].
pub const AWS_SECRET_ACCESS_KEY_ENV: &str = "BYOK_KMS_AWS_SECRET_ACCESS_KEY";

/// The environment variable that holds the HSM token's user PIN (or use `--hsm-pin-file`).
pub const HSM_PIN_ENV: &str = "BYOK_KMS_HSM_PIN";

/// What [`take_secrets`] found. No `Debug`; wiped on drop.
#[derive(Default)]
pub struct Secrets {
    /// `BYOK_KMS_ROOT_KEY`, as given.
    pub root_key: Option<Zeroizing<String>>,
    /// `BYOK_KMS_ACCESS_KEY_ID` and `BYOK_KMS_ACCESS_KEY_SECRET`, when both are set.
    pub access_key: Option<(String, Zeroizing<String>)>,
    /// `BYOK_KMS_AWS_ACCESS_KEY_ID` and `BYOK_KMS_AWS_SECRET_ACCESS_KEY`, when both are set.
    pub aws_access_key: Option<(String, Zeroizing<String>)>,
    /// `BYOK_KMS_HSM_PIN`, as given.
    pub hsm_pin: Option<Zeroizing<String>>,
}

/// Reads the secret variables and removes them from the environment.
///
/// Call it first thing in `main`, before any thread starts: changing the environment is sound
/// only while no other thread reads it.
pub fn take_secrets() -> Result<Secrets> {
    let root_key = take(ROOT_KEY_ENV);
    let access_key = take_pair(ACCESS_KEY_ID_ENV, ACCESS_KEY_SECRET_ENV)?;
    let aws_access_key = take_pair(AWS_ACCESS_KEY_ID_ENV, AWS_SECRET_ACCESS_KEY_ENV)?;
    let hsm_pin = take(HSM_PIN_ENV);
    Ok(Secrets {
        root_key,
        access_key,
        aws_access_key,
        hsm_pin,
    })
}

/// An access key id and its secret from two variables (the secret taken out), both or neither.
fn take_pair(id_name: &str, secret_name: &str) -> Result<Option<(String, Zeroizing<String>)>> {
    let id = std::env::var(id_name).ok();
    let secret = take(secret_name);
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Some((id, secret))),
        (None, None) => Ok(None),
        _ => Err(Error::Setting(format!(
            "set both {id_name} and {secret_name}, or neither"
        ))),
    }
}

/// A variable's value, after overwriting it where the environment keeps it and removing it.
fn take(name: &str) -> Option<Zeroizing<String>> {
    let value = Zeroizing::new(std::env::var(name).ok()?);
    wipe_in_place(name);
    // SAFETY: `take_secrets` runs before any other thread exists (its documented contract), so
    // nothing reads the environment while it changes.
    unsafe { std::env::remove_var(name) };
    Some(value)
}

/// Overwrites the value of `name=value` in the process's environment block, where the kernel
/// put it at exec (and where `/proc/<pid>/environ` reads it): removing the variable only drops
/// the pointer to it.
#[cfg(target_os = "linux")]
fn wipe_in_place(name: &str) {
    unsafe extern "C" {
        static mut environ: *const *mut core::ffi::c_char;
    }
    let prefix = format!("{name}=");
    // SAFETY: single-threaded (see `take`); `environ` is the C library's NULL-terminated array of
    // NUL-terminated strings, which stay valid and writable (they live on the initial stack or
    // were allocated by setenv) while nothing changes the environment.
    unsafe {
        let mut entry = environ;
        while !entry.is_null() && !(*entry).is_null() {
            let text = core::ffi::CStr::from_ptr(*entry);
            if text.to_bytes().starts_with(prefix.as_bytes()) {
                let value = (*entry).add(prefix.len()).cast::<u8>();
                for i in 0..text.to_bytes().len() - prefix.len() {
                    core::ptr::write_volatile(value.add(i), b'x');
                }
            }
            entry = entry.add(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn wipe_in_place(_name: &str) {}
