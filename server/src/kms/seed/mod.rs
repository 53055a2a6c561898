//! Seeding: a known world (accounts with their access keys, keys with known material, aliases,
//! tags) applied at start (`serve --seed`), in one transaction, by the same rules the API
//! applies: a key is made as CreateKey makes it, its material bound as the first
//! ImportKeyMaterial binds it (so the same-material rule then holds against it), its aliases
//! created as CreateAlias creates them.
//!
//! Applying a seed is idempotent: what it names and the store lacks is created; what the store
//! has must agree with it where the API cannot change it (an access key's secret and account, a
//! key's account, spec, usage, origin and material, the key an alias names), or the whole seed is
//! refused. What the API may change since (a key's state, description and tags) is left as it is.
//! A seed that breaks a rule or contradicts the store changes nothing, and the error names the
//! entry (`accounts[0].keys[1] (keyId …)`).

mod apply;
mod check;

use zeroize::Zeroizing;

use crate::kms::error::Error;
use crate::kms::lifecycle::CreateKey;
use crate::kms::policy::Policy;

/// A known world to apply at start.
#[derive(Default)]
pub struct Seed {
    /// The accounts, each with its access keys and keys.
    pub accounts: Vec<SeedAccount>,
}

/// An account of a seed: at least one access key, and its keys.
#[derive(Default)]
pub struct SeedAccount {
    /// Its Alibaba Cloud access key (ACS3 and RPC v1 signatures).
    pub access_key: Option<SeedAccessKey>,
    /// Its AWS access key (SigV4).
    pub aws_access_key: Option<SeedAccessKey>,
    /// Its keys.
    pub keys: Vec<SeedKey>,
}

/// An access key of a seed. No `Debug`; the secret is wiped on drop.
pub struct SeedAccessKey {
    /// The access key id: 1 to 128 ASCII letters and digits.
    pub id: String,
    /// The secret: 1 to 256 printable ASCII characters, no spaces.
    pub secret: Zeroizing<String>,
}

/// A key of a seed. No `Debug`: it may carry material.
pub struct SeedKey {
    /// The key id: a UUID in lowercase (`1234abcd-12ab-34cd-56ef-1234567890ab`).
    pub key_id: String,
    /// The cloud whose rules the key is made under (tags, aliases, HMAC keys, expiry).
    pub policy: &'static Policy,
    /// What CreateKey would be asked for.
    pub request: CreateKey,
    /// Its aliases, `alias/…`.
    pub aliases: Vec<String>,
    /// Its material; `None` leaves an EXTERNAL key PendingImport.
    pub material: Option<SeedMaterial>,
    /// When the material expires (Unix seconds); `None` for never.
    pub material_expire_at: Option<i64>,
}

/// Known material for a seeded key. Wiped on drop.
pub enum SeedMaterial {
    /// Symmetric (or HMAC) material: its bytes.
    Bytes(Zeroizing<Vec<u8>>),
    /// An asymmetric key's private key: PKCS#8 DER.
    PrivateKey(Zeroizing<Vec<u8>>),
}

/// What applying a seed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// The seed's accounts, in its order.
    pub accounts: Vec<SeededAccount>,
    /// Whether anything was written (false when the seed had been applied before).
    pub changed: bool,
}

/// An account a seed names, as it is now (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededAccount {
    /// The account id (generated when the seed created the account).
    pub account_id: String,
    /// Its Alibaba access key id, if the seed gives one.
    pub access_key_id: Option<String>,
    /// Its AWS access key id, if the seed gives one.
    pub aws_access_key_id: Option<String>,
}

/// Result alias of applying a seed.
pub type SeedResult<T> = core::result::Result<T, SeedError>;

/// Why a seed was refused; nothing of it was applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// An entry breaks a rule the API applies too (the API's check, the API's message).
    #[error("{entry}: {error}")]
    Rule {
        /// Which entry (`accounts[0].keys[1] (keyId …)`).
        entry: String,
        /// The rule it breaks.
        error: Error,
    },

    /// An entry breaks a rule of seeds: the form of a key id or an access key, material that
    /// does not fit the key, something given twice.
    #[error("{entry}: {reason}")]
    Invalid {
        /// Which entry.
        entry: String,
        /// What is wrong, and what to give instead.
        reason: String,
    },

    /// An entry contradicts what the store already holds.
    #[error("{entry}: {reason}")]
    Conflict {
        /// Which entry.
        entry: String,
        /// What the store holds instead, and what to do.
        reason: String,
    },

    /// Storage or cryptography failed.
    #[error("applying the seed failed")]
    Failed(#[source] Error),
}

impl SeedError {
    /// `error` about `entry`: a rule it breaks, or a failure of the service.
    pub(super) fn at(entry: &str, error: Error) -> Self {
        if error.is_internal() || matches!(error, Error::Unavailable(_)) {
            Self::Failed(error)
        } else {
            Self::Rule {
                entry: entry.to_owned(),
                error,
            }
        }
    }

    pub(super) fn invalid(entry: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }

    pub(super) fn conflict(entry: &str, reason: impl Into<String>) -> Self {
        Self::Conflict {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }
}

impl From<crate::store::Error> for SeedError {
    fn from(e: crate::store::Error) -> Self {
        Self::Failed(e.into())
    }
}
