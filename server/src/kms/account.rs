//! Accounts and their access keys. Keys belong to accounts; a request acts as the account of the
//! access key that signed it. Signature nonces are remembered per access key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::crypto;
use crate::kms::Kms;
use crate::kms::error::{Error, Result};
use crate::store::{Store, Transaction};

/// How long a signature nonce is remembered: the replay window (timestamps further off are refused
/// by the front doors anyway).
pub const NONCE_WINDOW_SECONDS: i64 = 15 * 60;

/// How long a looked-up access key is reused before it is read from the store again.
const CREDENTIALS_TTL: Duration = Duration::from_secs(5);

/// At most this many access keys are cached.
const CREDENTIALS_CACHED: usize = 10_000;

/// An access key as stored: its secret sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The public half, `AccessKeyId`.
    pub id: String,
    /// The account it acts for.
    pub account_id: String,
    /// The `AccessKeySecret`, sealed with [`AccessKey::identity`].
    pub sealed_secret: Vec<u8>,
    /// The MAC of the id and the account ([`crate::kms::integrity`]).
    pub mac: Option<Vec<u8>>,
}

impl AccessKey {
    /// The associated data that binds a sealed secret to its access key id.
    pub fn identity(id: &str) -> Vec<u8> {
        format!("byok-kms access key v1\0{id}").into_bytes()
    }
}

/// An access key with its secret in the clear, as the signature check and the first start need it.
/// No `Debug`; the secret is wiped on drop.
#[derive(Clone)]
pub struct Credentials {
    /// The `AccessKeyId`.
    pub access_key_id: String,
    /// The account it acts for.
    pub account_id: String,
    /// The `AccessKeySecret`.
    pub secret: Zeroizing<String>,
}

/// Access keys recently looked up, so that verifying a signature does not need the store.
#[derive(Default)]
pub(crate) struct CredentialCache(Mutex<HashMap<String, (Credentials, Instant)>>);

impl CredentialCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Credentials, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<S: Store> Kms<S> {
    /// Makes sure the default account exists and has an access key, and returns that key.
    ///
    /// With `preset` (from `BYOK_KMS_ACCESS_KEY_ID`/`_SECRET`) that access key is stored for the
    /// default account. Without it, the stored one is returned, or one is generated on first
    /// start. The second value is true when the key was just created or changed.
    pub fn default_credentials(&self, preset: Option<(&str, &str)>) -> Result<(Credentials, bool)> {
        let now = self.now();
        let generated = match preset {
            Some(_) => None,
            None => Some(generate_access_key()?),
        };
        self.store.transaction(|tx| {
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
                    let stored = self.read_access_key(tx, id)?;
                    let changed = current.as_deref() != Some(id)
                        || stored.as_ref().map(|c| c.secret.as_str()) != Some(secret);
                    (id.to_owned(), Zeroizing::new(secret.to_owned()), changed)
                }
                (None, Some(id)) => match self.read_access_key(tx, &id)? {
                    Some(stored) => (id, stored.secret, false),
                    None => return Err(Error::Invariant("the default access key is missing")),
                },
                (None, None) => {
                    let (id, secret) = generated
                        .clone()
                        .ok_or(Error::Invariant("no access key was generated"))?;
                    (id, secret, true)
                }
            };
            if changed {
                self.put_access_key(tx, &id, &account_id, &secret)?;
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
        self.store.transaction(|tx| {
            tx.insert_account(&account_id, now)?;
            self.put_access_key(tx, &id, &account_id, &secret)
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
        if let Some((credentials, at)) = self.credentials.lock().get(access_key_id) {
            if at.elapsed() < CREDENTIALS_TTL {
                return Ok(credentials.clone());
            }
        }
        let credentials = self
            .store
            .transaction(|tx| self.read_access_key(tx, access_key_id))?
            .ok_or(Error::AccessKeyNotFound)?;
        let mut cache = self.credentials.lock();
        if cache.len() >= CREDENTIALS_CACHED {
            cache.clear();
        }
        cache.insert(
            access_key_id.to_owned(),
            (credentials.clone(), Instant::now()),
        );
        Ok(credentials)
    }

    /// Records a signature nonce of an access key, for a request signed at `signed_at` (Unix
    /// seconds); refuses one seen within the replay window. The nonce is remembered until the
    /// window has passed for both the server's clock and the request's own time: a request
    /// stamped ahead of the clock (within the allowed skew) stays replayable for as long as its
    /// timestamp is acceptable, so it must be remembered that long too.
    pub fn use_nonce(&self, access_key_id: &str, nonce: &str, signed_at: i64) -> Result<()> {
        let now = self.now();
        let until = now.max(signed_at).saturating_add(NONCE_WINDOW_SECONDS);
        if self.store.use_nonce(access_key_id, nonce, now, until)? {
            Ok(())
        } else {
            Err(Error::NonceReused)
        }
    }

    /// Stores the nonces recorded in memory (see [`Store::flush_nonces`]); the server calls it
    /// every half second, independent of the sweep.
    pub fn flush_nonces(&self) -> Result<()> {
        Ok(self.store.flush_nonces()?)
    }

    fn put_access_key(
        &self,
        tx: &mut dyn Transaction,
        id: &str,
        account_id: &str,
        secret: &str,
    ) -> Result<()> {
        self.put_access_key_row(
            tx,
            AccessKey {
                sealed_secret: self
                    .crypto
                    .seal(&AccessKey::identity(id), secret.as_bytes())?,
                id: id.to_owned(),
                account_id: account_id.to_owned(),
                mac: None,
            },
        )?;
        Ok(())
    }

    /// The access key with this id and its secret unsealed, if there is one.
    fn read_access_key(&self, tx: &mut dyn Transaction, id: &str) -> Result<Option<Credentials>> {
        if !crate::kms::rules::can_name_something(id) {
            return Ok(None);
        }
        let Some(key) = self.read_access_key_row(tx, id)? else {
            return Ok(None);
        };
        let secret = self
            .crypto
            .open(&AccessKey::identity(id), &key.sealed_secret)?;
        let secret = core::str::from_utf8(&secret)
            .map_err(|_| Error::Invariant("a stored access key secret is not UTF-8"))?;
        Ok(Some(Credentials {
            access_key_id: key.id,
            account_id: key.account_id,
            secret: Zeroizing::new(secret.to_owned()),
        }))
    }
}

/// A 16-digit account id, like Alibaba Cloud's.
fn generate_account_id() -> Result<String> {
    let bytes = crypto::random_bytes(8)?;
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    Ok(format!(
        "{}",
        1_000_000_000_000_000 + u64::from_be_bytes(n) % 9_000_000_000_000_000
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
