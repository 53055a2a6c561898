//! Wrapping key pairs: the pool generated ahead of time, the pairs this instance has claimed from
//! it, and the pairs handed out with a token.
//!
//! Generating an RSA-2048 pair takes tens of milliseconds, so a background thread
//! ([`Kms::maintain_pool`]) keeps a pool of them in the store. An instance claims a few at a time
//! (durably: no other instance will hand them out) and hands them out one per
//! `GetParametersForImport` without a flush. A pair taken and then not used (the request failed)
//! goes back to the lease.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::crypto::{self, UnwrappingKey};
use crate::kms::Kms;
use crate::kms::error::{Chain, Error, Result};
use crate::store::Store;

/// How many claimed pairs the background thread keeps ready. A claim takes them all in one
/// transaction: deleting a few dozen pool rows holds the write lock for well under a millisecond,
/// while every claim waits for a flush (milliseconds, tens on a busy disk) — claimed a few at a
/// time, a burst of GetParametersForImport outran the claims and waited for one flush after
/// another.
const LEASE_TARGET: usize = 64;

/// Below this many leased pairs, more are claimed ahead of need.
const LEASE_LOW: usize = 32;

/// At most this many parsed wrapping private keys are kept.
const UNWRAPPING_KEYS_CACHED: usize = 1024;

/// The longest a request waits for another thread's claim before looking again.
const CLAIM_WAIT: Duration = Duration::from_millis(50);

/// How often the background thread looks at the pool when nothing wakes it.
const POOL_CHECK: Duration = Duration::from_millis(200);

/// A wrapping key pair as stored: the public key, and the private key sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappingKey {
    /// Its id, named in the token.
    pub id: String,
    /// The account it was issued to.
    pub account_id: String,
    /// The key it imports into.
    pub key_id: String,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_der: Vec<u8>,
    /// The PKCS#8 private key, sealed with [`WrappingKey::identity`].
    pub sealed_private: Vec<u8>,
    /// When it may be deleted (its token's expiry).
    pub expires_at: i64,
}

impl WrappingKey {
    /// The associated data that binds the sealed private key to this record.
    pub fn identity(id: &str, account_id: &str, key_id: &str) -> Vec<u8> {
        format!("byok-kms wrapping key v1\0{id}\0{account_id}\0{key_id}").into_bytes()
    }
}

/// A wrapping key pair generated ahead of time, waiting in the pool to be handed out once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolKey {
    /// Its id.
    pub id: String,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_der: Vec<u8>,
    /// The PKCS#8 private key, sealed with [`PoolKey::identity`].
    pub sealed_private: Vec<u8>,
}

impl PoolKey {
    /// The associated data that binds a pooled sealed private key to its pool entry.
    pub fn identity(id: &str) -> Vec<u8> {
        format!("byok-kms wrapping key pool v1\0{id}").into_bytes()
    }
}

/// This instance's share of the pool, and the parsed private keys of pairs handed out.
#[derive(Default)]
pub(crate) struct Lease {
    /// Pool pairs claimed by this instance, handed out next.
    leased: Mutex<Vec<PoolKey>>,
    /// Held by the one thread claiming from the store, so that concurrent requests that find
    /// `leased` empty wait for its batches (`refilled`) instead of each claiming (and emptying
    /// the pool into one instance).
    claiming: Mutex<()>,
    /// Wakes the background thread when the lease runs low.
    low: Condvar,
    /// Wakes requests waiting for a pair while another thread claims: signalled after each
    /// claimed batch and when a claim ends.
    refilled: Condvar,
    /// RSA key generations under way on the request path, at most one per core: with the pool
    /// empty, a burst of GetParametersForImport waits for a turn instead of starting hundreds of
    /// generations on the blocking pool at once.
    generating: Mutex<usize>,
    /// The most generations that ever ran at once on the request path.
    generating_peak: std::sync::atomic::AtomicUsize,
    /// Signalled when a generation ends.
    generated: Condvar,
    /// Wrapping private keys recently used, parsed, by wrapping key id: parsing (with its
    /// validation) costs about as much as the decryption itself.
    unwrapping_keys: Mutex<std::collections::HashMap<String, Arc<UnwrappingKey>>>,
}

impl Lease {
    fn leased(&self) -> MutexGuard<'_, Vec<PoolKey>> {
        self.leased
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<S: Store> Kms<S> {
    /// Whether this instance holds a claimed pool pair, so the next GetParametersForImport needs
    /// neither key generation nor a flush.
    pub fn has_leased_pool_key(&self) -> bool {
        !self.lease.leased().is_empty()
    }

    /// Whether this instance should claim more pool pairs ahead of need.
    pub fn lease_is_low(&self) -> bool {
        self.lease.leased().len() < LEASE_LOW
    }

    /// Keeps the wrapping key pool near `target` pairs, for ever: once it has fallen below half,
    /// generates until it is full again (so a burst of requests is served from the pool without
    /// the refill competing for the CPU), and keeps a batch of claimed pairs ready, so that
    /// requests never wait for a claim. The server runs it on threads of its own.
    pub fn maintain_pool(&self, target: u64) {
        let low = target / 2;
        let mut filling = true;
        loop {
            let size = if filling {
                self.refill_pool(target)
            } else {
                self.pool_size()
            };
            match size {
                Ok(size) if size >= target => filling = false,
                Ok(size) if size < low => filling = true,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %Chain(&e), "refilling the wrapping key pool failed");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            if let Err(e) = self.top_up_lease() {
                tracing::error!(error = %Chain(&e), "claiming wrapping key pairs from the pool failed");
            }
            if !filling {
                // Woken early when a request leaves the lease low.
                let leased = self.lease.leased();
                let _ = self
                    .lease
                    .low
                    .wait_timeout(leased, POOL_CHECK)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
    }

    /// Claims pool pairs until enough are leased, unless enough are leased already or another
    /// thread is claiming: what is missing in one transaction, and once more if requests took
    /// pairs while it waited for its flush.
    pub fn top_up_lease(&self) -> Result<()> {
        let Ok(_claiming) = self.lease.claiming.try_lock() else {
            return Ok(());
        };
        if !self.lease_is_low() {
            return Ok(());
        }
        let topped_up = self.claim_until_target();
        // Requests that found the lease empty look again (and claim themselves if it still is).
        self.lease.refilled.notify_all();
        topped_up
    }

    fn claim_until_target(&self) -> Result<()> {
        // Twice at most: requests may take pairs while the first claim waits for its flush.
        for _ in 0..2 {
            let missing = LEASE_TARGET.saturating_sub(self.lease.leased().len());
            if missing == 0 {
                break;
            }
            let batch = self.claim(missing)?;
            let exhausted = batch.len() < missing;
            self.lease.leased().extend(batch);
            self.lease.refilled.notify_all();
            if exhausted {
                break;
            }
        }
        Ok(())
    }

    /// Claims up to `count` pool pairs for this instance, durably (no other instance will hand
    /// them out, even after a crash).
    fn claim(&self, count: usize) -> Result<Vec<PoolKey>> {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        self.store
            .transaction(|tx| tx.claim_pool_keys(count).map_err(Error::from))
    }

    /// Adds one freshly generated wrapping key pair to the pool if it holds fewer than `target`;
    /// returns the pool's size afterwards.
    pub fn refill_pool(&self, target: u64) -> Result<u64> {
        let size = self
            .store
            .transaction(|tx| tx.pool_size().map_err(Error::from))?;
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
        self.store.transaction(|tx| {
            tx.insert_pool_key(&pool_key)?;
            Ok(tx.pool_size()?)
        })
    }

    /// How many wrapping key pairs wait in the pool (in the store, and claimed by this instance).
    pub fn pool_size(&self) -> Result<u64> {
        let leased = self.lease.leased().len() as u64;
        let stored = self
            .store
            .transaction(|tx| tx.pool_size().map_err(Error::from))?;
        Ok(stored + leased)
    }

    /// The next pool pair for this instance; `None` when the pool is empty. Wakes the background
    /// thread when the lease runs low. With the lease empty, claims a batch from the store, or,
    /// while another thread is claiming, takes a pair of the first batch that lands rather than
    /// waiting for that thread's whole top-up (one durable claim after another, each waiting for a
    /// flush), so that a burst of requests waits for one flush at most.
    pub(crate) fn lease_pool_key(&self) -> Result<Option<PoolKey>> {
        loop {
            let mut leased = self.lease.leased();
            if let Some(key) = leased.pop() {
                let low = leased.len() < LEASE_LOW;
                drop(leased);
                if low {
                    self.lease.low.notify_one();
                }
                return Ok(Some(key));
            }
            drop(leased);
            if let Ok(_claiming) = self.lease.claiming.try_lock() {
                let claimed = self.claim(LEASE_TARGET);
                // Waiters look again either way: at the new pairs, or to claim themselves.
                let key = claimed.map(|mut batch| {
                    let key = batch.pop();
                    self.lease.leased().extend(batch);
                    key
                });
                self.lease.refilled.notify_all();
                self.lease.low.notify_one();
                return key;
            }
            let leased = self.lease.leased();
            if leased.is_empty() {
                // Woken when the claiming thread adds a batch or gives up the claim; the timeout
                // only bounds a wait whose wake-up came between the two checks above.
                let _ = self
                    .lease
                    .refilled
                    .wait_timeout(leased, CLAIM_WAIT)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
    }

    /// Generates a wrapping key pair on the request path, when no more than one generation per
    /// core is under way; otherwise waits for one to finish.
    pub(crate) fn generate_on_request(
        &self,
        spec: byok_wrap::WrappingKeySpec,
    ) -> Result<crypto::WrappingKeyPair> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let lock = || {
            self.lease
                .generating
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let mut running = lock();
        while *running >= cores {
            running = self
                .lease
                .generated
                .wait(running)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *running += 1;
        self.lease
            .generating_peak
            .fetch_max(*running, std::sync::atomic::Ordering::Relaxed);
        drop(running);
        let pair = crypto::generate_wrapping_key_pair_of(spec);
        *lock() -= 1;
        self.lease.generated.notify_one();
        Ok(pair?)
    }

    /// The most RSA key generations that ever ran at once on the request path (at most one per
    /// core), for tests and metrics.
    pub fn key_generation_peak(&self) -> usize {
        self.lease
            .generating_peak
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Puts back a pair a refused request took.
    pub(crate) fn return_pool_key(&self, key: PoolKey) {
        self.lease.leased().push(key);
    }

    /// The parsed private key of a wrapping key pair, from the cache or unsealed and parsed now.
    pub(crate) fn unwrapping_key(&self, wrapping_key: &WrappingKey) -> Result<Arc<UnwrappingKey>> {
        let cache = || {
            self.lease
                .unwrapping_keys
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
        let key = Arc::new(UnwrappingKey::from_pkcs8(&private)?);
        let mut cache = cache();
        if cache.len() >= UNWRAPPING_KEYS_CACHED {
            cache.clear();
        }
        cache.insert(wrapping_key.id.clone(), key.clone());
        Ok(key)
    }
}
