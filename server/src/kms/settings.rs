//! What an operator decides for the whole KMS: which legacy algorithms it still accepts, which
//! host requests must be signed for, and the per-account quotas. Rules use these; no front door
//! reads a flag of its own.

use crate::kms::Kms;
use crate::kms::error::{Error, Result};
use crate::store::Store;

/// The operator's settings (flags of `byok-kms serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Whether `RSAES_PKCS1_V1_5` wrapping is offered (`--disable-pkcs1v15` turns it off).
    pub pkcs1v15: bool,
    /// Whether the legacy RPC HMAC-SHA1 signature is accepted (`--disable-legacy-signatures`).
    pub legacy_signatures: bool,
    /// The hosts requests must be signed for (`--expected-host`); empty: any.
    pub expected_hosts: Vec<String>,
    /// The most keys one account may have (`--max-keys-per-account`).
    pub max_keys_per_account: u64,
    /// The most wrapping keys one account may have outstanding, handed out by
    /// GetParametersForImport and not yet expired (`--max-wrapping-keys-per-account`).
    pub max_wrapping_keys_per_account: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pkcs1v15: true,
            legacy_signatures: true,
            expected_hosts: Vec::new(),
            max_keys_per_account: 1_000_000,
            max_wrapping_keys_per_account: 100_000,
        }
    }
}

/// How a request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// ACS3-HMAC-SHA256, which covers the host, the headers and the body.
    Acs3,
    /// RPC HMAC-SHA1 (`SignatureVersion=1.0`), which covers the parameters only.
    LegacyRpc,
}

impl<S: Store> Kms<S> {
    /// The operator's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether requests signed with `scheme` are accepted.
    pub fn check_signature_scheme(&self, scheme: SignatureScheme) -> Result<()> {
        if scheme == SignatureScheme::LegacyRpc && !self.settings.legacy_signatures {
            return Err(Error::LegacySignatureDisabled);
        }
        Ok(())
    }

    /// Whether a request signed for `host` is meant for this server: with `--expected-host`, a
    /// request signed for another host (replayed from another server, or sent through a name this
    /// server does not answer to) is refused.
    pub fn check_signed_host(&self, host: &str) -> Result<()> {
        let expected = &self.settings.expected_hosts;
        if expected.is_empty() || expected.iter().any(|e| e.eq_ignore_ascii_case(host)) {
            Ok(())
        } else {
            Err(Error::UnexpectedHost {
                got: crate::kms::rules::echo(host),
                expected: expected.join(", "),
            })
        }
    }
}
