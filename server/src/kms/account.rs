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
    /// The MAC of the id, the account and the kind ([`crate::kms::integrity`]).
    pub mac: Option<Vec<u8>>,
    /// Which API's signatures it makes.
    pub kind: AccessKeyKind,
}

/// Which cloud API's signatures an access key makes: a key signs for one front door only, so
/// that an Alibaba secret never verifies an AWS signature or the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccessKeyKind {
    /// An Alibaba Cloud AccessKey (`LTAI…`): ACS3 and RPC v1 signatures.
    #[default]
    Alibaba,
    /// An AWS access key (`AKIA…`): Signature Version 4.
    Aws,
}

impl AccessKeyKind {
    /// The name as stored; `None` (NULL) for Alibaba keys, as every key was before AWS keys.
    pub fn stored_name(self) -> Option<&'static str> {
        match self {
            Self::Alibaba => None,
            Self::Aws => Some("aws"),
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "alibaba" => Some(Self::Alibaba),
            "aws" => Some(Self::Aws),
            _ => None,
        }
    }
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
    /// The `AccessKeySecret` (AWS: the secret access key).
    pub secret: Zeroizing<String>,
    /// Which API's signatures it makes.
    pub kind: AccessKeyKind,
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
        self.default_credentials_of(AccessKeyKind::Alibaba, preset)
    }

    /// The default account's access key of `kind`, as [`Kms::default_credentials`] makes sure of
    /// the Alibaba one (AWS: preset from `BYOK_KMS_AWS_ACCESS_KEY_ID`/`_SECRET_ACCESS_KEY`, else
    /// generated, `AKIA…` and a 40-character secret).
    pub fn default_credentials_of(
        &self,
        kind: AccessKeyKind,
        preset: Option<(&str, &str)>,
    ) -> Result<(Credentials, bool)> {
        let now = self.now();
        let generated = match preset {
            Some(_) => None,
            None => Some(generate_access_key(kind)?),
        };
        let meta_name = match kind {
            AccessKeyKind::Alibaba => "default_access_key",
            AccessKeyKind::Aws => "default_aws_access_key",
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
            let (id, secret, changed) = match (preset, tx.meta(meta_name)?) {
                (Some((id, secret)), current) => {
                    let stored = self.read_access_key(tx, id)?;
                    if stored.as_ref().is_some_and(|c| c.kind != kind) {
                        return Err(Error::invalid(
                            crate::kms::Argument::AccessKeyId,
                            "is already the id of the other cloud's access key; preset a \
                             different one",
                        ));
                    }
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
                self.put_access_key(tx, &id, &account_id, &secret, kind)?;
                tx.set_meta(meta_name, &id)?;
            }
            Ok((
                Credentials {
                    access_key_id: id,
                    account_id,
                    secret,
                    kind,
                },
                changed,
            ))
        })
    }

    /// Creates a new account with one access key, and returns that key.
    pub fn create_account(&self) -> Result<Credentials> {
        let (id, secret) = generate_access_key(AccessKeyKind::Alibaba)?;
        let account_id = generate_account_id()?;
        let now = self.now();
        self.store.transaction(|tx| {
            tx.insert_account(&account_id, now)?;
            self.put_access_key(tx, &id, &account_id, &secret, AccessKeyKind::Alibaba)
        })?;
        Ok(Credentials {
            access_key_id: id,
            account_id,
            secret,
            kind: AccessKeyKind::Alibaba,
        })
    }

    /// The account and secret of an access key of `kind`, for checking a signature of that
    /// kind: a key of the other kind is not found.
    pub fn credentials_of(&self, kind: AccessKeyKind, access_key_id: &str) -> Result<Credentials> {
        let credentials = self.credentials(access_key_id)?;
        if credentials.kind == kind {
            Ok(credentials)
        } else {
            Err(Error::AccessKeyNotFound)
        }
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

    pub(crate) fn put_access_key(
        &self,
        tx: &mut dyn Transaction,
        id: &str,
        account_id: &str,
        secret: &str,
        kind: AccessKeyKind,
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
                kind,
            },
        )?;
        Ok(())
    }

    /// The access key with this id and its secret unsealed, if there is one.
    pub(crate) fn read_access_key(
        &self,
        tx: &mut dyn Transaction,
        id: &str,
    ) -> Result<Option<Credentials>> {
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
            kind: key.kind,
        }))
    }
}

/// A 16-digit account id, like Alibaba Cloud's.
pub(crate) fn generate_account_id() -> Result<String> {
    let bytes = crypto::random_bytes(8)?;
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    Ok(format!(
        "{}",
        1_000_000_000_000_000 + u64::from_be_bytes(n) % 9_000_000_000_000_000
    ))
}

/// A new access key: for Alibaba `LTAI` and 20 characters of id, 30 characters of secret; for
/// AWS `AKIA` and 16 upper-case letters and digits of id, 40 characters of secret, like each
/// cloud's.
fn generate_access_key(kind: AccessKeyKind) -> Result<(String, Zeroizing<String>)> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let pick = |alphabet: &[u8], n: usize| -> Result<Zeroizing<String>> {
        // Bytes past the largest multiple of the alphabet's size are rejected, so that every
        // character is equally likely.
        let limit = 256 - 256 % alphabet.len();
        let mut out = Zeroizing::new(String::with_capacity(n));
        while out.len() < n {
            for b in crypto::random_bytes(n)?.iter() {
                if usize::from(*b) < limit && out.len() < n {
                    out.push(char::from(alphabet[usize::from(*b) % alphabet.len()]));
                }
            }
        }
        Ok(out)
    };
    Ok(match kind {
        AccessKeyKind::Alibaba => (
            format!("LTAI{}", pick(ALPHABET, 20)?.as_str()),
            pick(ALPHABET, 30)?,
        ),
        AccessKeyKind::Aws => (
            format!("AKIA{}", pick(UPPER, 16)?.as_str()),
            pick(ALPHABET, 40)?,
        ),
    })
}
