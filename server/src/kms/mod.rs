//! The KMS itself: every rule of the import lifecycle, for every front door, and no HTTP. A
//! front door (`crate::api`) turns a wire request into one call here; a store
//! (`crate::store`) keeps what the calls decide. Every action is one transaction, so a failed
//! action changes nothing.
//!
//! One module per concept of the KMS, each with its own `impl Kms` block and the types of its
//! requests and replies:
//!
//! | module | what | actions |
//! |---|---|---|
//! | [`account`] | accounts, access keys, signature nonces | (signature checks), `create-account` |
//! | [`key`], [`key_spec`], [`state`] | a key's record, spec and attributes; the state table | |
//! | [`lifecycle`] | key management | CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Enable/DisableKey, Schedule/CancelKeyDeletion |
//! | [`import`] | wrapping keys, the pool, tokens, the same-material rule | GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial |
//! | [`asymmetric`] | the calls of asymmetric keys | GetPublicKey, AsymmetricSign/Verify/Encrypt/Decrypt (AWS Sign, Verify, Encrypt, Decrypt) |
//! | [`version`] | a key's one version | ListKeyVersions, DescribeKeyVersion |
//! | [`mac`] | HMAC keys | GenerateMac, VerifyMac |
//! | [`material`], [`rotation`] | a key's materials; AWS's on-demand rotation of imported material | RotateKeyOnDemand, ListKeyRotations |
//! | [`data`], [`ciphertext`] | AES-GCM under the material, the blob format | Encrypt, Decrypt, ReEncrypt, GenerateDataKey |
//! | [`alias`] | aliases | CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId |
//! | [`tag`] | tags on keys | TagResource, UntagResource, ListResourceTags |
//! | [`seed`] | a known world applied at start (`serve --seed`), by the API's rules | |
//! | [`sweep`] | expiry and deletion, in the background | |
//! | [`reference`] | naming a key by id, alias or ARN | |
//! | `protection` | where a key's material is kept: sealed (SOFTWARE) or an object in the HSM's token (HSM) | |
//! | [`policy`] | where the clouds' rules differ (pending window, import algorithms and expiry, reserved aliases, asymmetric specs and signing algorithms), chosen by the front door | |
//! | [`rules`], [`page`], [`settings`] | shared limits and text rules; listings; the operator's settings | |
//! | [`error`] | what can go wrong, in the domain's words | |

pub mod account;
pub mod alias;
pub mod asymmetric;
pub mod ciphertext;
pub mod data;
pub mod error;
pub mod import;
pub mod integrity;
pub mod key;
pub mod key_spec;
pub mod lifecycle;
pub mod mac;
pub mod material;
pub mod page;
pub mod policy;
pub(crate) mod protection;
mod reference;
pub mod rotation;
pub mod rules;
pub mod seed;
pub mod settings;
pub mod state;
pub mod sweep;
pub mod tag;
pub mod version;

use std::sync::Arc;

use crate::clock::Clock;
use crate::crypto::{Crypto, RootKey};
use crate::hsm::Hsm;
use crate::store::Store;

pub use account::{Credentials, NONCE_WINDOW_SECONDS};
pub use alias::AliasListEntry;
pub use data::{DataKey, DataKeySize, DataKeySpec, Decrypted, Encrypted, ReEncrypted};
pub use error::{Argument, Error, Result};
pub use import::{ImportParameters, ImportedMaterial};
pub use lifecycle::{CreateKey, KeyListEntry, KeyMetadata};
pub use page::{Page, Paging};
pub use policy::{ExpirationModel, MaterialExpiry, Policy};
pub use settings::{Settings, SignatureScheme};
pub use sweep::SweepReport;
pub use tag::{KeyTag, Tag};

/// The AWS region a KMS names when none is given (`--aws-region`).
pub const DEFAULT_AWS_REGION: &str = "us-east-1";

/// The KMS service: one per process, shared by every request.
pub struct Kms<S: Store> {
    store: S,
    crypto: Crypto,
    clock: Arc<dyn Clock>,
    region: String,
    aws_region: String,
    settings: Settings,
    /// Whether a request erased material the sweep has not purged from the files yet.
    erased: std::sync::atomic::AtomicBool,
    credentials: account::CredentialCache,
    lease: import::pool::Lease,
    /// The HSM's token, when the operator connected one (`--hsm-module`): where keys with
    /// ProtectionLevel HSM are kept.
    hsm: Option<Arc<Hsm>>,
}

impl<S: Store> Kms<S> {
    /// A KMS over `store`. The store remembers a check value of the root key; a different root
    /// key is refused here, at start, rather than failing on every request later.
    pub fn new(store: S, root_key: &RootKey, clock: Arc<dyn Clock>, region: &str) -> Result<Self> {
        let crypto = Crypto::new(root_key)?;
        let check = crypto.root_key_check();
        store.transaction(|tx| match tx.meta("root_key_check")? {
            Some(stored) if stored == check => Ok(()),
            Some(_) => Err(Error::RootKeyMismatch),
            None => Ok(tx.set_meta("root_key_check", &check)?),
        })?;
        let kms = Self {
            store,
            crypto,
            clock,
            region: region.to_owned(),
            aws_region: DEFAULT_AWS_REGION.to_owned(),
            settings: Settings::default(),
            erased: std::sync::atomic::AtomicBool::new(false),
            credentials: account::CredentialCache::default(),
            lease: import::pool::Lease::default(),
            hsm: None,
        };
        if kms.store.predates_row_macs() {
            kms.sign_unsigned_rows()?;
        }
        Ok(kms)
    }

    /// The same KMS with the operator's `settings` instead of the defaults.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The same KMS naming `aws_region` in AWS ARNs and SigV4 scopes.
    pub fn with_aws_region(mut self, aws_region: &str) -> Self {
        aws_region.clone_into(&mut self.aws_region);
        self
    }

    /// The same KMS with a connection to the HSM's token.
    pub fn with_hsm(mut self, hsm: Arc<Hsm>) -> Self {
        self.hsm = Some(hsm);
        self
    }

    /// The HSM's token, if the KMS has one.
    pub fn hsm(&self) -> Option<&Hsm> {
        self.hsm.as_deref()
    }

    /// The region in AWS ARNs, and the one AWS signatures must be scoped to.
    pub fn aws_region(&self) -> &str {
        &self.aws_region
    }

    /// The current time of the KMS's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The region in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The store, for tests and tools that inspect it.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Whether `operation` is answered in microseconds on this store (it reads or uses keys
    /// without changing them, on an embedded database), so that a server may run it on an I/O
    /// thread; everything else may wait for a flush or generate an RSA key.
    pub fn is_quick(&self, operation: Operation) -> bool {
        self.store.reads_are_quick()
            && match operation {
                Operation::Read => true,
                Operation::HandOutWrappingKey => self.has_leased_pool_key(),
                Operation::Write => false,
            }
    }
}

/// What kind of work a request does, for [`Kms::is_quick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Reads, or uses keys without changing them (Describe, List, Encrypt, Decrypt, …).
    Read,
    /// GetParametersForImport: a write that needs no flush when a pool pair is leased.
    HandOutWrappingKey,
    /// Anything that changes state durably.
    Write,
}
