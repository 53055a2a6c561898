//! The KMS itself: one method per action, pure logic over a [`Store`], the [`Crypto`] keys and a
//! [`Clock`]. No HTTP here; the `api` module turns wire requests into these calls.
//!
//! Rules enforced here (see `reference/alibaba-kms-api.md`): the state table ([`key::KeyState::check`]),
//! import tokens bound to a key and a public key and valid 24 hours, the same-material rule
//! (keyed fingerprint, constant-time compare), material expiry, and accounts. Every action is one
//! transaction, so a failed action changes nothing. Expensive cryptography (RSA key generation and
//! decryption) runs outside transactions; what it depends on is checked again inside.

pub mod account;
pub mod alias;
pub mod ciphertext;
pub mod import;
pub mod key;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use byok_wrap::{KeySpec, WrappingAlgorithm};
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::crypto::{self, Crypto, RootKey};
use crate::error::{Error, Result, echo};
use crate::store::{Store, Transaction};
use account::{AccessKey, Credentials};
use alias::{Alias, validate_alias_name};
use ciphertext::{CiphertextBlob, EncryptionContext};
use import::{ImportToken, PoolKey, TOKEN_LIFETIME_SECONDS, WrappingKey};
use key::{Action, KEY_USAGE, Key, KeyState, Origin, ProtectionLevel};

/// How long a signature nonce is remembered: the replay window (timestamps further off are refused
/// anyway).
pub const NONCE_WINDOW_SECONDS: i64 = 15 * 60;

/// The most plaintext Encrypt accepts, in bytes (6 KiB).
pub const MAX_PLAINTEXT: usize = 6 * 1024;

/// How long a looked-up access key is reused before it is read from the store again.
const CREDENTIALS_TTL: Duration = Duration::from_secs(5);

/// The KMS service.
pub struct Kms<S: Store> {
    store: S,
    crypto: Crypto,
    clock: Arc<dyn Clock>,
    region: String,
    /// Access keys recently looked up, so that verifying a signature does not need the store.
    credentials: Mutex<HashMap<String, (Credentials, Instant)>>,
    /// Wrapping private keys recently used, parsed, by wrapping key id.
    unwrapping_keys: Mutex<HashMap<String, Arc<crypto::UnwrappingKey>>>,
    /// Pool pairs this instance has claimed (durably: they will never be handed out by anyone
    /// else) and will hand out next. Claimed in batches, so handing one out needs no flush.
    leased: Mutex<Vec<PoolKey>>,
    /// Held while claiming a batch, so that concurrent requests that find `leased` empty wait for
    /// one claim instead of each claiming (and emptying the pool into one instance).
    claiming: Mutex<()>,
}

/// How many pool pairs one transaction claims: few, because a claim rewrites their rows and holds
/// the database's write lock meanwhile, which requests then wait for.
const LEASE_CHUNK: u64 = 8;

/// How many claimed pairs [`Kms::top_up_lease`] keeps ready.
const LEASE_TARGET: usize = 64;

/// Below this many leased pairs, [`Kms::top_up_lease`] claims more ahead of need.
const LEASE_LOW: usize = 32;

/// What `CreateKey` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateKey {
    /// Free text.
    pub description: String,
    /// The key spec; `Aliyun_AES_256` by default.
    pub key_spec: KeySpec,
    /// `Aliyun_KMS` (generated material) or `EXTERNAL` (imported).
    pub origin: Origin,
    /// `SOFTWARE` or `HSM`.
    pub protection_level: ProtectionLevel,
}

/// A key's metadata, as DescribeKey and CreateKey report it (times in Unix seconds; the wire layer
/// formats them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    /// The key id.
    pub key_id: String,
    /// `acs:kms:<region>:<account>:key/<id>`.
    pub arn: String,
    /// When it was created.
    pub created_at: i64,
    /// The account that created it.
    pub creator: String,
    /// Free text.
    pub description: String,
    /// The key spec.
    pub key_spec: KeySpec,
    /// Always `ENCRYPT/DECRYPT`.
    pub key_usage: &'static str,
    /// The state.
    pub state: KeyState,
    /// The origin.
    pub origin: Origin,
    /// The protection level.
    pub protection_level: ProtectionLevel,
    /// When the material expires; `None` for never (or no material).
    pub material_expire_at: Option<i64>,
    /// When a PendingDeletion key will be deleted.
    pub delete_date: Option<i64>,
    /// The id of the key's (only) version.
    pub primary_key_version: String,
}

/// What `GetParametersForImport` returns.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    /// The key id.
    pub key_id: String,
    /// The sealed token for `ImportKeyMaterial`.
    pub import_token: String,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// When the token expires.
    pub token_expires_at: i64,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many there are in all.
    pub total: u64,
    /// This page's number, from 1.
    pub page_number: u64,
    /// Items per page.
    pub page_size: u64,
}

/// A key in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListEntry {
    /// The key id.
    pub key_id: String,
    /// The key's ARN.
    pub arn: String,
}

/// An alias in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasListEntry {
    /// `alias/…`.
    pub name: String,
    /// The alias's ARN.
    pub arn: String,
    /// The key it points at.
    pub key_id: String,
}

/// The result of Encrypt.
#[derive(Debug, Clone)]
pub struct Encrypted {
    /// The base64 ciphertext blob.
    pub ciphertext_blob: String,
    /// The key that encrypted it.
    pub key_id: String,
    /// The key version that encrypted it.
    pub key_version_id: String,
}

/// The result of Decrypt, and the plaintext half of GenerateDataKey. The plaintext is wiped on drop.
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The key that decrypted it.
    pub key_id: String,
    /// The key version that decrypted it.
    pub key_version_id: String,
}

/// The result of GenerateDataKey: a fresh data key in the clear and encrypted under the key.
pub struct DataKey {
    /// The data key, encrypted.
    pub encrypted: Encrypted,
    /// The data key in the clear (wiped on drop).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Keys whose expired material was erased.
    pub materials_erased: u64,
    /// Keys deleted at the end of their pending window.
    pub keys_deleted: u64,
}

/// Which key a request names: `KeyId` may be an id, `alias/…`, or an ARN of either.
enum KeyRef<'a> {
    Id(&'a str),
    Alias(&'a str),
}

impl<S: Store> Kms<S> {
    /// A KMS over `store`. The store remembers a check value of the root key; a different root
    /// key is refused here, at start, rather than failing on every request later.
    pub fn new(store: S, root_key: &RootKey, clock: Arc<dyn Clock>, region: &str) -> Result<Self> {
        let crypto = Crypto::new(root_key)?;
        let check = crypto.root_key_check();
        store.transaction(|tx| -> Result<_> {
            match tx.meta("root_key_check")? {
                Some(stored) if stored == check => Ok(()),
                Some(_) => Err(Error::internal(
                    "this database was created with a different root key; start byok-kms with the \
                 root key it was created with (BYOK_KMS_ROOT_KEY or <data-dir>/root.key; every \
                 instance sharing a PostgreSQL database needs the same one)",
                )),
                None => Ok(tx.set_meta("root_key_check", &check)?),
            }
        })?;
        Ok(Self {
            store,
            crypto,
            clock,
            region: region.to_owned(),
            credentials: Mutex::new(HashMap::new()),
            unwrapping_keys: Mutex::new(HashMap::new()),
            leased: Mutex::new(Vec::new()),
            claiming: Mutex::new(()),
        })
    }

    /// The current time of the KMS's clock.
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

    // ---- accounts ------------------------------------------------------------------------------

    /// Makes sure the default account exists and has an access key, and returns that key.
    ///
    /// With `preset` (from `BYOK_KMS_ACCESS_KEY_ID`/`_SECRET`) that access key is stored for the
    /// default account. Without it, the stored one is returned, or one is generated on first
    /// start. The second value is true when the key was just created or changed.
    pub fn default_credentials(&self, preset: Option<(&str, &str)>) -> Result<(Credentials, bool)> {
        if preset.is_some_and(|(id, _)| has_nul(id)) {
            return Err(Error::invalid(
                "AccessKeyId",
                "must not contain a NUL character",
            ));
        }
        let now = self.now();
        let generated = match preset {
            Some(_) => None,
            None => Some(generate_access_key()?),
        };
        self.store.transaction(|tx| -> Result<_> {
            let account_id = match tx.meta("default_account")? {
                Some(id) => id,
                None => {
                    let id = generate_account_id()?;
                    tx.insert_account(&id, now)?;
                    tx.set_meta("default_account", &id)?;
                    id
                }
            };
            let (id, secret, changed) = match (preset, tx.meta("default_access_key")?) {
                (Some((id, secret)), current) => {
                    let changed = current.as_deref() != Some(id)
                        || self
                            .access_key_secret(tx, id)?
                            .as_deref()
                            .map(String::as_str)
                            != Some(secret);
                    (id.to_owned(), Zeroizing::new(secret.to_owned()), changed)
                }
                (None, Some(id)) => match self.access_key_secret(tx, &id)? {
                    Some(secret) => (id, secret, false),
                    None => return Err(Error::internal("the default access key is missing")),
                },
                (None, None) => {
                    let (id, secret) =
                        generated.clone().ok_or_else(|| Error::internal("no key"))?;
                    (id, secret, true)
                }
            };
            if changed {
                tx.put_access_key(&AccessKey {
                    sealed_secret: self
                        .crypto
                        .seal(&AccessKey::identity(&id), secret.as_bytes())?,
                    id: id.clone(),
                    account_id: account_id.clone(),
                })?;
                tx.set_meta("default_access_key", &id)?;
            }
            Ok((
                Credentials {
                    access_key_id: id,
                    account_id,
                    secret,
                },
                changed,
            ))
        })
    }

    /// Creates a new account with one access key, and returns that key.
    pub fn create_account(&self) -> Result<Credentials> {
        let (id, secret) = generate_access_key()?;
        let account_id = generate_account_id()?;
        let now = self.now();
        self.store.transaction(|tx| -> Result<_> {
            tx.insert_account(&account_id, now)?;
            Ok(tx.put_access_key(&AccessKey {
                sealed_secret: self
                    .crypto
                    .seal(&AccessKey::identity(&id), secret.as_bytes())?,
                id: id.clone(),
                account_id: account_id.clone(),
            })?)
        })?;
        Ok(Credentials {
            access_key_id: id,
            account_id,
            secret,
        })
    }

    /// The account and secret of an access key, for checking a signature. Kept for a few seconds
    /// after a lookup (a changed secret takes effect within them).
    pub fn credentials(&self, access_key_id: &str) -> Result<Credentials> {
        if has_nul(access_key_id) {
            return Err(Error::AccessKeyNotFound);
        }
        let cache = || {
            self.credentials
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((credentials, at)) = cache().get(access_key_id) {
            if at.elapsed() < CREDENTIALS_TTL {
                return Ok(credentials.clone());
            }
        }
        let credentials = self.lookup_credentials(access_key_id)?;
        let mut cache = cache();
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(
            access_key_id.to_owned(),
            (credentials.clone(), Instant::now()),
        );
        Ok(credentials)
    }

    fn lookup_credentials(&self, access_key_id: &str) -> Result<Credentials> {
        self.store.transaction(|tx| -> Result<_> {
            let key = tx
                .access_key(access_key_id)?
                .ok_or(Error::AccessKeyNotFound)?;
            let secret = self
                .crypto
                .open(&AccessKey::identity(&key.id), &key.sealed_secret)?;
            let secret = String::from_utf8(secret.to_vec()).map_err(Error::internal)?;
            Ok(Credentials {
                access_key_id: key.id,
                account_id: key.account_id,
                secret: Zeroizing::new(secret),
            })
        })
    }

    /// Records a signature nonce; refuses one seen within the replay window.
    pub fn use_nonce(&self, access_key_id: &str, nonce: &str) -> Result<()> {
        let now = self.now();
        if self
            .store
            .use_nonce(access_key_id, nonce, now, now + NONCE_WINDOW_SECONDS)?
        {
            Ok(())
        } else {
            Err(Error::SignatureNonceUsed)
        }
    }

    fn access_key_secret(
        &self,
        tx: &mut dyn Transaction,
        id: &str,
    ) -> Result<Option<Zeroizing<String>>> {
        let Some(key) = tx.access_key(id)? else {
            return Ok(None);
        };
        let secret = self
            .crypto
            .open(&AccessKey::identity(id), &key.sealed_secret)?;
        Ok(Some(Zeroizing::new(
            String::from_utf8(secret.to_vec()).map_err(Error::internal)?,
        )))
    }

    // ---- keys ----------------------------------------------------------------------------------

    /// `CreateKey`: an EXTERNAL key starts in PendingImport without material; an Aliyun_KMS key
    /// gets generated material and starts Enabled.
    pub fn create_key(&self, account_id: &str, request: &CreateKey) -> Result<KeyMetadata> {
        if request.key_spec == KeySpec::AliyunSm4 {
            return Err(Error::invalid(
                "KeySpec",
                "Aliyun_SM4 keys are not supported by byok-kms (it has no constant-time SM4 \
                 implementation); use Aliyun_AES_256, Aliyun_AES_192 or Aliyun_AES_128",
            ));
        }
        if has_nul(&request.description) {
            return Err(Error::invalid(
                "Description",
                "must not contain a NUL character",
            ));
        }
        let id = crypto::random_uuid()?;
        let mut key = Key {
            account_id: account_id.to_owned(),
            description: request.description.clone(),
            key_spec: request.key_spec,
            origin: request.origin,
            protection_level: request.protection_level,
            state: KeyState::PendingImport,
            created_at: self.now(),
            delete_date: None,
            version_id: crypto::random_uuid()?,
            sealed_material: None,
            fingerprint: None,
            material_expire_at: None,
            id,
        };
        if key.origin == Origin::AliyunKms {
            let material = crypto::random_bytes(key.key_spec.material_len())?;
            key.sealed_material = Some(self.crypto.seal(&key.material_identity(), &material)?);
            key.state = KeyState::Enabled;
        }
        self.store.transaction(|tx| tx.insert_key(&key))?;
        Ok(self.metadata(&key))
    }

    /// `DescribeKey`.
    pub fn describe_key(&self, account_id: &str, key_ref: &str) -> Result<KeyMetadata> {
        self.store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))
            .map(|key| self.metadata(&key))
    }

    /// `ListKeys`: page `page_number` (from 1) of `page_size` (1 to 100), oldest first.
    pub fn list_keys(
        &self,
        account_id: &str,
        page_number: u64,
        page_size: u64,
    ) -> Result<Page<KeyListEntry>> {
        let offset = page_offset(page_number, page_size)?;
        let (ids, total) = self
            .store
            .transaction(|tx| tx.list_keys(account_id, offset, page_size))?;
        Ok(Page {
            items: ids
                .into_iter()
                .map(|key_id| KeyListEntry {
                    arn: self.key_arn(account_id, &key_id),
                    key_id,
                })
                .collect(),
            total,
            page_number,
            page_size,
        })
    }

    /// `EnableKey`.
    pub fn enable_key(&self, account_id: &str, key_ref: &str) -> Result<()> {
        self.change_state(account_id, key_ref, Action::EnableKey, |key, _| {
            key.state = KeyState::Enabled;
        })
    }

    /// `DisableKey`.
    pub fn disable_key(&self, account_id: &str, key_ref: &str) -> Result<()> {
        self.change_state(account_id, key_ref, Action::DisableKey, |key, _| {
            key.state = KeyState::Disabled;
        })
    }

    /// `ScheduleKeyDeletion`: the key is deleted after `pending_window_days` (7 to 366).
    pub fn schedule_key_deletion(
        &self,
        account_id: &str,
        key_ref: &str,
        pending_window_days: i64,
    ) -> Result<()> {
        if !(7..=366).contains(&pending_window_days) {
            return Err(Error::invalid(
                "PendingWindowInDays",
                "must be a whole number of days from 7 to 366",
            ));
        }
        self.change_state(
            account_id,
            key_ref,
            Action::ScheduleKeyDeletion,
            |key, now| {
                key.state = KeyState::PendingDeletion;
                key.delete_date = Some(now + pending_window_days * 86_400);
            },
        )
    }

    /// `CancelKeyDeletion`: back to Enabled, or PendingImport if the key has no material.
    pub fn cancel_key_deletion(&self, account_id: &str, key_ref: &str) -> Result<()> {
        self.change_state(account_id, key_ref, Action::CancelKeyDeletion, |key, _| {
            key.delete_date = None;
            key.state = if key.sealed_material.is_some() {
                KeyState::Enabled
            } else {
                KeyState::PendingImport
            };
        })
    }

    fn change_state(
        &self,
        account_id: &str,
        key_ref: &str,
        action: Action,
        change: impl FnOnce(&mut Key, i64),
    ) -> Result<()> {
        let now = self.now();
        self.store.transaction(|tx| -> Result<_> {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(action)?;
            change(&mut key, now);
            Ok(tx.update_key(&key)?)
        })
    }

    // ---- import --------------------------------------------------------------------------------

    /// `GetParametersForImport`: a new RSA-2048 wrapping key pair and a token bound to the key and
    /// to that public key, valid for 24 hours and reusable within them. The pair comes from the
    /// pool when it has one (handed out once, in the same transaction that records it for this
    /// key); otherwise it is generated now, which takes tens of milliseconds.
    pub fn get_parameters_for_import(
        &self,
        account_id: &str,
        key_ref: &str,
        algorithm: WrappingAlgorithm,
    ) -> Result<ImportParameters> {
        let now = self.now();
        let wrapping_key_id = crypto::random_uuid()?;
        let new_wrapping_key =
            |key_id: &str, public_der: Vec<u8>, private_pkcs8: &[u8]| -> Result<WrappingKey> {
                let identity = WrappingKey::identity(&wrapping_key_id, account_id, key_id);
                Ok(WrappingKey {
                    sealed_private: self.crypto.seal(&identity, private_pkcs8)?,
                    id: wrapping_key_id.clone(),
                    account_id: account_id.to_owned(),
                    key_id: key_id.to_owned(),
                    public_der,
                    expires_at: now + TOKEN_LIFETIME_SECONDS,
                })
            };
        let pool_key = self.lease_pool_key()?;
        let claimed = self.store.transaction(|tx| -> Result<_> {
            let key = self.resolve(tx, account_id, key_ref)?;
            check_import_origin(&key)?;
            key.state.check(Action::GetParametersForImport)?;
            let Some(pool_key) = &pool_key else {
                return Ok((key.id, None));
            };
            let private = self
                .crypto
                .open(&PoolKey::identity(&pool_key.id), &pool_key.sealed_private)?;
            let wrapping_key = new_wrapping_key(&key.id, pool_key.public_der.clone(), &private)?;
            tx.insert_wrapping_key(&wrapping_key)?;
            // The pair was claimed durably when leased; losing this record in a crash only makes
            // the client ask again.
            tx.ephemeral();
            Ok((key.id, Some(wrapping_key)))
        });
        let (key_id, pooled) = match claimed {
            Ok(claimed) => claimed,
            Err(error) => {
                // Refused: the pair goes back for the next request.
                if let Some(pool_key) = pool_key {
                    self.leased().push(pool_key);
                }
                return Err(error);
            }
        };
        let wrapping_key = match pooled {
            Some(wrapping_key) => wrapping_key,
            None => {
                // The pool is empty: generate outside the transaction, then check again.
                let pair = crypto::generate_wrapping_key_pair()?;
                let wrapping_key = new_wrapping_key(&key_id, pair.public_der, &pair.private_pkcs8)?;
                self.store.transaction(|tx| -> Result<_> {
                    let key = tx
                        .key(account_id, &key_id)?
                        .ok_or_else(|| Error::KeyNotFound(echo(key_ref)))?;
                    check_import_origin(&key)?;
                    tx.insert_wrapping_key(&wrapping_key)?;
                    tx.ephemeral();
                    Ok(())
                })?;
                wrapping_key
            }
        };
        let token = ImportToken {
            account_id: account_id.to_owned(),
            key_id: key_id.clone(),
            wrapping_key_id,
            algorithm,
            public_key_sha256: crypto::sha256(&wrapping_key.public_der),
            expires_at: wrapping_key.expires_at,
        };
        Ok(ImportParameters {
            key_id,
            import_token: token.seal(&self.crypto)?,
            public_key_der: wrapping_key.public_der,
            token_expires_at: wrapping_key.expires_at,
        })
    }

    /// Whether this instance holds a claimed pool pair, so the next GetParametersForImport needs
    /// neither key generation nor a flush.
    pub fn has_leased_pool_key(&self) -> bool {
        !self.leased().is_empty()
    }

    /// Whether this instance should claim more pool pairs ahead of need ([`Kms::top_up_lease`]).
    pub fn lease_is_low(&self) -> bool {
        self.leased().len() < LEASE_LOW
    }

    /// Claims pool pairs until [`LEASE_TARGET`] are leased, unless enough are leased already or
    /// another thread is claiming. The server calls it in the background after
    /// GetParametersForImport, so that requests find a leased pair and never wait for a claim.
    /// Claims in small transactions, letting requests in between.
    pub fn top_up_lease(&self) -> Result<()> {
        let Ok(_claiming) = self.claiming.try_lock() else {
            return Ok(());
        };
        if !self.lease_is_low() {
            return Ok(());
        }
        while self.leased().len() < LEASE_TARGET {
            let batch = self
                .store
                .transaction(|tx| tx.claim_pool_keys(LEASE_CHUNK))?;
            if batch.is_empty() {
                break;
            }
            self.leased().extend(batch);
        }
        Ok(())
    }

    fn leased(&self) -> std::sync::MutexGuard<'_, Vec<PoolKey>> {
        self.leased
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next pool pair for this instance, claiming a batch from the store when none is left;
    /// `None` when the pool is empty. A pair taken here and then not used (the request failed) is
    /// simply never handed out.
    fn lease_pool_key(&self) -> Result<Option<PoolKey>> {
        if let Some(key) = self.leased().pop() {
            return Ok(Some(key));
        }
        let _claiming = self
            .claiming
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Another request may have claimed a batch while this one waited.
        if let Some(key) = self.leased().pop() {
            return Ok(Some(key));
        }
        let mut batch = self
            .store
            .transaction(|tx| tx.claim_pool_keys(LEASE_CHUNK))?;
        let key = batch.pop();
        self.leased().extend(batch);
        Ok(key)
    }

    /// Adds one freshly generated wrapping key pair to the pool if it holds fewer than `target`;
    /// returns the pool's size afterwards. The server calls it in a loop in the background.
    pub fn refill_pool(&self, target: u64) -> Result<u64> {
        let size = self.store.transaction(|tx| tx.pool_size())?;
        if size >= target {
            return Ok(size);
        }
        let pair = crypto::generate_wrapping_key_pair()?;
        let id = crypto::random_uuid()?;
        let pool_key = PoolKey {
            sealed_private: self
                .crypto
                .seal(&PoolKey::identity(&id), &pair.private_pkcs8)?,
            id,
            public_der: pair.public_der,
        };
        self.store.transaction(|tx| -> Result<_> {
            tx.insert_pool_key(&pool_key)?;
            Ok(tx.pool_size()?)
        })
    }

    /// How many wrapping key pairs wait in the pool (in the store, and claimed by this instance).
    pub fn pool_size(&self) -> Result<u64> {
        let leased = self.leased().len();
        Ok(self.store.transaction(|tx| tx.pool_size())? + leased as u64)
    }

    /// `ImportKeyMaterial`: unwraps with the token's wrapping private key (constant-time), checks
    /// the length for the key spec, binds the first material forever and accepts later only the
    /// identical material, and sets the expiry (`expire_unix`: `None` or 0 for never).
    pub fn import_key_material(
        &self,
        account_id: &str,
        key_ref: &str,
        encrypted_key_material: &[u8],
        import_token: &str,
        expire_unix: Option<i64>,
    ) -> Result<()> {
        let now = self.now();
        let expire_at = match expire_unix {
            None | Some(0) => None,
            Some(at) if at > now => Some(at),
            Some(_) => {
                return Err(Error::invalid(
                    "KeyMaterialExpireUnix",
                    "must be in the future (Unix seconds), or 0 for material that never expires",
                ));
            }
        };
        // 1. Check the key and the token, and fetch the wrapping key, in a read.
        let (key, token, wrapping_key) = self.store.transaction(|tx| -> Result<_> {
            let key = self.resolve(tx, account_id, key_ref)?;
            check_import_origin(&key)?;
            key.state.check(Action::ImportKeyMaterial)?;
            let token = ImportToken::open(&self.crypto, import_token)?;
            if token.account_id != account_id || token.key_id != key.id {
                return Err(Error::InvalidImportToken(
                    "it was issued for another key; use the token from this key's \
                     GetParametersForImport",
                ));
            }
            if token.expires_at <= now {
                return Err(Error::ExpiredImportToken);
            }
            let wrapping_key = tx
                .wrapping_key(&token.wrapping_key_id)?
                .filter(|w| w.key_id == key.id && w.account_id == account_id)
                .ok_or(Error::ExpiredImportToken)?;
            if !crypto::constant_time_eq(
                &crypto::sha256(&wrapping_key.public_der),
                &token.public_key_sha256,
            ) {
                return Err(Error::InvalidImportToken(
                    "it does not belong to the public key it was issued with",
                ));
            }
            Ok((key, token, wrapping_key))
        })?;

        // 2. Unwrap outside the transaction. Every failure below takes the same path and ends in
        //    the same error, so the reply is no padding oracle.
        let private = self.unwrapping_key(&wrapping_key)?;
        let unwrapped =
            crypto::unwrap_key_material(&private, token.algorithm, encrypted_key_material);
        let unwrap_ok = unwrapped.is_some();
        let material =
            unwrapped.unwrap_or_else(|| Zeroizing::new(vec![0u8; key.key_spec.material_len()]));
        let length_ok = material.len() == key.key_spec.material_len();
        let fingerprint = self.crypto.fingerprint(&key.material_identity(), &material);
        if !(unwrap_ok & length_ok) {
            return Err(Error::InvalidKeyMaterial);
        }
        let sealed = self.crypto.seal(&key.material_identity(), &material)?;

        // 3. Bind or compare, and store, in one write. The key may have changed since step 1.
        self.store.transaction(|tx| -> Result<_> {
            let mut key = self.resolve(tx, account_id, &key.id)?;
            key.state.check(Action::ImportKeyMaterial)?;
            match &key.fingerprint {
                Some(bound) if !crypto::constant_time_eq(bound, &fingerprint) => {
                    return Err(Error::InvalidKeyMaterial);
                }
                Some(_) => {}
                None => key.fingerprint = Some(fingerprint.clone()),
            }
            key.sealed_material = Some(sealed.clone());
            key.material_expire_at = expire_at;
            if key.state == KeyState::PendingImport {
                key.state = KeyState::Enabled;
            }
            Ok(tx.update_key(&key)?)
        })
    }

    /// `DeleteKeyMaterial`: erases the material at once; the key goes to PendingImport (a
    /// PendingDeletion key keeps its state). The same material can be imported again later.
    pub fn delete_key_material(&self, account_id: &str, key_ref: &str) -> Result<()> {
        self.store.transaction(|tx| -> Result<_> {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            check_import_origin(&key)?;
            key.state.check(Action::DeleteKeyMaterial)?;
            key.erase_material();
            Ok(tx.update_key(&key)?)
        })?;
        Ok(self.store.purge_erased()?)
    }

    // ---- data ----------------------------------------------------------------------------------

    /// `Encrypt`: AES-GCM under the key's material, the encryption context bound as associated data.
    pub fn encrypt(
        &self,
        account_id: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid(
                "Plaintext",
                format!("must be at most {MAX_PLAINTEXT} bytes after base64 decoding"),
            ));
        }
        if plaintext.is_empty() {
            return Err(Error::MissingParameter("Plaintext".to_owned()));
        }
        let (key, material) = self.usable_material(account_id, key_ref, Action::Encrypt)?;
        self.seal_data(&key, &material, plaintext, context)
    }

    /// `Decrypt`: the blob names its key, which must be the caller's and Enabled.
    pub fn decrypt(
        &self,
        account_id: &str,
        blob: &str,
        context: &EncryptionContext,
    ) -> Result<Decrypted> {
        let blob = CiphertextBlob::decode(blob)?;
        let (key, material) = self
            .usable_material(account_id, &blob.key_id, Action::Decrypt)
            .map_err(|e| match e {
                Error::KeyNotFound(_) => Error::InvalidCiphertext(
                    "it was made by a key that does not exist in this account",
                ),
                other => other,
            })?;
        if blob.version_id != key.version_id {
            return Err(Error::InvalidCiphertext(
                "it was made by another key version",
            ));
        }
        let aad = CiphertextBlob::aad(&key.id, &key.version_id, context);
        let plaintext =
            crypto::data_decrypt(&material, &aad, &blob.sealed).ok_or(Error::InvalidCiphertext(
                "it was changed, or the EncryptionContext differs from the one it was made with",
            ))?;
        Ok(Decrypted {
            plaintext,
            key_id: key.id,
            key_version_id: key.version_id,
        })
    }

    /// `GenerateDataKey`: `length` random bytes (1 to 1024), returned in the clear and encrypted.
    pub fn generate_data_key(
        &self,
        account_id: &str,
        key_ref: &str,
        length: usize,
        context: &EncryptionContext,
    ) -> Result<DataKey> {
        if !(1..=1024).contains(&length) {
            return Err(Error::invalid("NumberOfBytes", "must be from 1 to 1024"));
        }
        let (key, material) = self.usable_material(account_id, key_ref, Action::GenerateDataKey)?;
        let plaintext = crypto::random_bytes(length)?;
        let encrypted = self.seal_data(&key, &material, &plaintext, context)?;
        Ok(DataKey {
            encrypted,
            plaintext,
        })
    }

    /// The parsed private key of a wrapping key pair. Parsing (with its validation) costs about as
    /// much as the decryption itself, so the last keys used are kept parsed.
    fn unwrapping_key(&self, wrapping_key: &WrappingKey) -> Result<Arc<crypto::UnwrappingKey>> {
        let cache = || {
            self.unwrapping_keys
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(key) = cache().get(&wrapping_key.id) {
            return Ok(key.clone());
        }
        let identity = WrappingKey::identity(
            &wrapping_key.id,
            &wrapping_key.account_id,
            &wrapping_key.key_id,
        );
        let private = self.crypto.open(&identity, &wrapping_key.sealed_private)?;
        let key = Arc::new(
            crypto::UnwrappingKey::from_pkcs8(&private)
                .ok_or_else(|| Error::internal("a stored wrapping key does not parse"))?,
        );
        let mut cache = cache();
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(wrapping_key.id.clone(), key.clone());
        Ok(key)
    }

    fn usable_material(
        &self,
        account_id: &str,
        key_ref: &str,
        action: Action,
    ) -> Result<(Key, Zeroizing<Vec<u8>>)> {
        let key = self.store.transaction(|tx| -> Result<_> {
            let key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(action)?;
            Ok(key)
        })?;
        let sealed = key
            .sealed_material
            .as_deref()
            .ok_or_else(|| Error::internal("an Enabled key without material"))?;
        let material = self.crypto.open(&key.material_identity(), sealed)?;
        Ok((key, material))
    }

    fn seal_data(
        &self,
        key: &Key,
        material: &[u8],
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        let aad = CiphertextBlob::aad(&key.id, &key.version_id, context);
        let blob = CiphertextBlob {
            key_id: key.id.clone(),
            version_id: key.version_id.clone(),
            sealed: crypto::data_encrypt(material, &aad, plaintext)?,
        };
        Ok(Encrypted {
            ciphertext_blob: blob.encode()?,
            key_id: key.id.clone(),
            key_version_id: key.version_id.clone(),
        })
    }

    // ---- aliases -------------------------------------------------------------------------------

    /// `CreateAlias`.
    pub fn create_alias(&self, account_id: &str, alias_name: &str, key_ref: &str) -> Result<()> {
        validate_alias_name(alias_name)?;
        self.store.transaction(|tx| -> Result<_> {
            let key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(Action::CreateAlias)?;
            if tx.alias(account_id, alias_name)?.is_some() {
                return Err(Error::AliasAlreadyExists(echo(alias_name)));
            }
            Ok(tx.insert_alias(&Alias {
                account_id: account_id.to_owned(),
                name: alias_name.to_owned(),
                key_id: key.id,
            })?)
        })
    }

    /// `UpdateAlias`: points an existing alias at another key (how imported keys are rotated).
    pub fn update_alias(&self, account_id: &str, alias_name: &str, key_ref: &str) -> Result<()> {
        validate_alias_name(alias_name)?;
        self.store.transaction(|tx| -> Result<_> {
            if tx.alias(account_id, alias_name)?.is_none() {
                return Err(Error::AliasNotFound(echo(alias_name)));
            }
            let key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(Action::UpdateAlias)?;
            Ok(tx.update_alias(&Alias {
                account_id: account_id.to_owned(),
                name: alias_name.to_owned(),
                key_id: key.id,
            })?)
        })
    }

    /// `DeleteAlias`.
    pub fn delete_alias(&self, account_id: &str, alias_name: &str) -> Result<()> {
        if has_nul(alias_name) {
            return Err(Error::AliasNotFound(echo(alias_name)));
        }
        self.store.transaction(|tx| -> Result<_> {
            if tx.delete_alias(account_id, alias_name)? {
                Ok(())
            } else {
                Err(Error::AliasNotFound(echo(alias_name)))
            }
        })
    }

    /// `ListAliases` (and, with `key_ref`, `ListAliasesByKeyId`).
    pub fn list_aliases(
        &self,
        account_id: &str,
        key_ref: Option<&str>,
        page_number: u64,
        page_size: u64,
    ) -> Result<Page<AliasListEntry>> {
        let offset = page_offset(page_number, page_size)?;
        let (aliases, total) = self.store.transaction(|tx| -> Result<_> {
            let key_id = key_ref
                .map(|r| self.resolve(tx, account_id, r).map(|k| k.id))
                .transpose()?;
            Ok(tx.list_aliases(account_id, key_id.as_deref(), offset, page_size)?)
        })?;
        Ok(Page {
            items: aliases
                .into_iter()
                .map(|a| AliasListEntry {
                    arn: format!("acs:kms:{}:{}:{}", self.region, account_id, a.name),
                    name: a.name,
                    key_id: a.key_id,
                })
                .collect(),
            total,
            page_number,
            page_size,
        })
    }

    // ---- housekeeping --------------------------------------------------------------------------

    /// Erases expired material, deletes keys whose pending window ended, and forgets expired
    /// nonces and wrapping keys. The server runs it every second.
    pub fn sweep(&self) -> Result<SweepReport> {
        let now = self.now();
        let report = self.store.transaction(|tx| -> Result<_> {
            let mut report = SweepReport::default();
            for (account_id, key_id) in tx.due_keys(now, 1000)? {
                let Some(mut key) = tx.key(&account_id, &key_id)? else {
                    continue;
                };
                if key.state == KeyState::PendingDeletion
                    && key.delete_date.is_some_and(|d| d <= now)
                {
                    tx.delete_key(&account_id, &key_id)?;
                    report.keys_deleted += 1;
                } else if key.material_expired(now) {
                    key.erase_material();
                    tx.update_key(&key)?;
                    report.materials_erased += 1;
                }
            }
            tx.delete_expired_wrapping_keys(now)?;
            Ok(report)
        })?;
        self.store.maintain(now)?;
        if report != SweepReport::default() {
            self.store.purge_erased()?;
        }
        Ok(report)
    }

    // ---- helpers -------------------------------------------------------------------------------

    /// Finds the key a request names (id, alias, or ARN of either) in the caller's account, and
    /// applies material expiry that is due, so an expired key is never used even between sweeps.
    fn resolve(&self, tx: &mut dyn Transaction, account_id: &str, key_ref: &str) -> Result<Key> {
        let not_found = || Error::KeyNotFound(echo(key_ref));
        let key_id = match self
            .parse_key_ref(account_id, key_ref)
            .ok_or_else(not_found)?
        {
            KeyRef::Id(id) if has_nul(id) => return Err(not_found()),
            KeyRef::Alias(name) if has_nul(name) => {
                return Err(Error::AliasNotFound(echo(name)));
            }
            KeyRef::Id(id) => id.to_owned(),
            KeyRef::Alias(name) => {
                tx.alias(account_id, name)?
                    .ok_or_else(|| Error::AliasNotFound(echo(name)))?
                    .key_id
            }
        };
        let mut key = tx.key(account_id, &key_id)?.ok_or_else(not_found)?;
        if key.material_expired(self.now()) {
            key.erase_material();
            tx.update_key(&key)?;
        }
        Ok(key)
    }

    fn parse_key_ref<'a>(&self, account_id: &str, key_ref: &'a str) -> Option<KeyRef<'a>> {
        if key_ref.is_empty() {
            return None;
        }
        if let Some(rest) = key_ref.strip_prefix("acs:kms:") {
            let (region, rest) = rest.split_once(':')?;
            let (account, resource) = rest.split_once(':')?;
            if region != self.region || account != account_id {
                return None;
            }
            return Some(match resource.strip_prefix("key/") {
                Some(id) => KeyRef::Id(id),
                None if resource.starts_with("alias/") => KeyRef::Alias(resource),
                None => return None,
            });
        }
        Some(if key_ref.starts_with("alias/") {
            KeyRef::Alias(key_ref)
        } else {
            KeyRef::Id(key_ref)
        })
    }

    fn key_arn(&self, account_id: &str, key_id: &str) -> String {
        format!("acs:kms:{}:{}:key/{}", self.region, account_id, key_id)
    }

    fn metadata(&self, key: &Key) -> KeyMetadata {
        KeyMetadata {
            key_id: key.id.clone(),
            arn: self.key_arn(&key.account_id, &key.id),
            created_at: key.created_at,
            creator: key.account_id.clone(),
            description: key.description.clone(),
            key_spec: key.key_spec,
            key_usage: KEY_USAGE,
            state: key.state,
            origin: key.origin,
            protection_level: key.protection_level,
            material_expire_at: key
                .material_expire_at
                .filter(|_| key.sealed_material.is_some()),
            delete_date: key.delete_date,
            primary_key_version: key.version_id.clone(),
        }
    }
}

fn check_import_origin(key: &Key) -> Result<()> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(Error::UnsupportedOrigin(key.origin.as_str().to_owned()))
    }
}

fn page_offset(page_number: u64, page_size: u64) -> Result<u64> {
    if page_number < 1 {
        return Err(Error::invalid("PageNumber", "must be 1 or more"));
    }
    if !(1..=100).contains(&page_size) {
        return Err(Error::invalid("PageSize", "must be from 1 to 100"));
    }
    (page_number - 1)
        .checked_mul(page_size)
        .ok_or_else(|| Error::invalid("PageNumber", "is too large"))
}

/// A 16-digit account id, like Alibaba Cloud's.
fn generate_account_id() -> Result<String> {
    let bytes = crypto::random_bytes(8)?;
    let n = u64::from_be_bytes(bytes[..].try_into().map_err(Error::internal)?);
    Ok(format!(
        "{}",
        1_000_000_000_000_000 + n % 9_000_000_000_000_000
    ))
}

/// A new access key: `LTAI` and 20 characters of id, 30 characters of secret, like Alibaba Cloud's.
fn generate_access_key() -> Result<(String, Zeroizing<String>)> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let pick = |n: usize| -> Result<Zeroizing<String>> {
        // 62 does not divide 256; rejecting bytes >= 248 keeps every character equally likely.
        let mut out = Zeroizing::new(String::with_capacity(n));
        while out.len() < n {
            for b in crypto::random_bytes(n)?.iter() {
                if *b < 248 && out.len() < n {
                    out.push(char::from(ALPHABET[usize::from(*b) % 62]));
                }
            }
        }
        Ok(out)
    };
    Ok((format!("LTAI{}", pick(20)?.as_str()), pick(30)?))
}

// TEMPORARY: the core's NUL rule, here until the core moves it where it belongs. The stores hold
// text as given (PostgreSQL text cannot hold a NUL at all); the rule is the same for both: no
// stored name or id contains a NUL, so a reference with one finds nothing, and a text to store
// with one is refused before it reaches the store.
fn has_nul(text: &str) -> bool {
    text.contains('\0')
}
