//! Storage behind one trait, so that the embedded SQLite default and a shared PostgreSQL behave the
//! same to the [`crate::kms::Kms`] core.
//!
//! Every action runs in one [`Store::transaction`]: its reads and writes commit together, or, when
//! it returns an error, not at all. Rows hold secrets only sealed. The store keeps data and decides
//! no rules: what a client may do, and what a failure means to it, is the core's business.
//!
//! - `sql` is the catalogue: every statement written once, with a placeholder dialect;
//! - `transaction` implements [`Transaction`] once, over a small driver trait both databases
//!   implement; `rows` turns a row of either into a [`Key`], an [`Alias`]…;
//! - `migrations` holds each dialect's schema steps (they end at the same schema);
//! - `sqlite` and `postgres` hold only what is particular to each: connections, durability and
//!   nonces for SQLite, the connection pool and locks for PostgreSQL.

pub mod any;
mod error;
mod materials;
mod migrations;
pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;
mod transaction;

use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::{PoolKey, WrappingKey};
use crate::kms::key::Key;

pub use any::AnyStore;
pub use error::{BoxError, Error, Result};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What identifies a signature nonce in either store: a digest of the access key and the nonce,
/// so that a nonce of any length and any bytes takes 32 bytes.
fn nonce_digest(access_key_id: &str, nonce: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(access_key_id.len() + nonce.len() + 1);
    input.extend_from_slice(access_key_id.as_bytes());
    input.push(0);
    input.extend_from_slice(nonce.as_bytes());
    crate::crypto::sha256(&input)
}

/// A database the KMS can run on.
pub trait Store: Send + Sync + 'static {
    /// Runs `work` in one transaction: commits if it returns `Ok`, rolls back if it returns `Err`.
    /// `work` fails with the caller's error type; the store's own failures (beginning or
    /// committing) reach the caller converted into it.
    fn transaction<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut dyn Transaction) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E>;

    /// Makes sure that data erased by committed transactions (expired or deleted key material) is
    /// gone from the files, not only unreachable: called after erasures.
    fn purge_erased(&self) -> Result<()>;

    /// Records a signature nonce of an access key until `expires_at`; false if it was seen before
    /// (and has not expired at `now`). Outside any transaction: a nonce counts as used even when
    /// the request it signed then fails.
    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool>;

    /// Writes the nonces recorded in memory and not yet stored, so that a crash of the process
    /// does not forget them (their commit is not waited for: a power cut may lose the last
    /// moments'). The server calls it every half second. A store that records nonces at once
    /// does nothing.
    fn flush_nonces(&self) -> Result<()> {
        Ok(())
    }

    /// Housekeeping the server runs every second: persists recorded nonces not yet stored,
    /// forgets those expired at `now`, and moves committed changes from the log into the
    /// database file without holding up requests.
    fn maintain(&self, now: i64) -> Result<()>;

    /// Whether a read takes microseconds (an embedded database), so that a request doing only
    /// reads may run on an async worker thread. A networked database's calls wait on the network
    /// and must run on the blocking pool.
    fn reads_are_quick(&self) -> bool {
        true
    }

    /// Whether opening this store added the columns of row MACs: its rows were written before
    /// rows carried MACs, and the core signs them once. (A fact of this open, not of the data:
    /// clearing a flag in the database cannot make tampered rows be signed.)
    fn predates_row_macs(&self) -> bool {
        false
    }

    /// Every row of every table that holds KMS state (signature nonces aside), as text, in a
    /// stable order: two dumps of one store are equal exactly when its state is. For tests and
    /// tools that inspect a store.
    fn dump(&self) -> Result<String>;
}

/// The reads and writes available inside a transaction. Lookups of keys and aliases are always
/// scoped to an account.
pub trait Transaction {
    /// Declares that what this transaction writes may be lost in a crash without harm (a
    /// wrapping key handed out a moment before: its import then fails as expired, and the client
    /// asks again), so its commit does not wait for the disk.
    fn ephemeral(&mut self);

    /// A server-wide setting (schema version, default account, root key check).
    fn meta(&mut self, name: &str) -> Result<Option<String>>;
    /// Sets a server-wide setting.
    fn set_meta(&mut self, name: &str, value: &str) -> Result<()>;

    /// Adds an account.
    fn insert_account(&mut self, account_id: &str, created_at: i64) -> Result<()>;
    /// The access key with this id.
    fn access_key(&mut self, id: &str) -> Result<Option<AccessKey>>;
    /// Adds an access key, or replaces the one with the same id.
    fn put_access_key(&mut self, key: &AccessKey) -> Result<()>;

    /// Adds a key; a key id another key has is [`Error::Conflict`] (table `keys`).
    fn insert_key(&mut self, key: &Key) -> Result<()>;
    /// The key with this id in this account.
    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>>;
    /// Writes back a key read in this transaction ([`Error::Missing`] if it is not stored).
    fn update_key(&mut self, key: &Key) -> Result<()>;
    /// Removes a key and its aliases.
    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()>;
    /// How many keys the account has (the total of [`Transaction::list_keys`]), in one read.
    fn key_count(&mut self, account_id: &str) -> Result<u64>;
    /// Ids of one page of the account's keys, oldest first, and the total count.
    fn list_keys(
        &mut self,
        account_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<String>, u64)>;
    /// Keys (account, id) with work due at `now`: material that has expired, or a deletion date
    /// that has passed. At most `limit`.
    fn due_keys(&mut self, now: i64, limit: u64) -> Result<Vec<(String, String)>>;

    /// The alias with this name in this account.
    fn alias(&mut self, account_id: &str, name: &str) -> Result<Option<Alias>>;
    /// Adds an alias. The caller has checked that the name is free; if another transaction
    /// created it meanwhile, [`Error::Conflict`] (table `aliases`, key the alias name).
    fn insert_alias(&mut self, alias: &Alias) -> Result<()>;
    /// Points an existing alias at another key.
    fn update_alias(&mut self, alias: &Alias) -> Result<()>;
    /// Removes an alias; false if there was none.
    fn delete_alias(&mut self, account_id: &str, name: &str) -> Result<bool>;
    /// One page of the account's aliases (optionally only those of one key), and the total count.
    fn list_aliases(
        &mut self,
        account_id: &str,
        key_id: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Alias>, u64)>;

    /// How many wrapping key pairs the account holds (not yet deleted by the sweep).
    fn wrapping_key_count(&mut self, account_id: &str) -> Result<u64>;
    /// Keys, aliases and access keys without a MAC (written before rows carried MACs), at most
    /// `limit` of each.
    fn unsigned_rows(&mut self, limit: u64) -> Result<(Vec<Key>, Vec<Alias>, Vec<AccessKey>)>;

    /// Stores a wrapping key pair (and counts it for its account).
    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()>;
    /// The wrapping key pair with this id.
    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>>;
    /// Removes wrapping key pairs whose tokens expired before `now`; returns how many.
    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64>;

    /// Adds a freshly generated wrapping key pair to the pool.
    fn insert_pool_key(&mut self, key: &PoolKey) -> Result<()>;
    /// Takes up to `limit` of the oldest pairs out of the pool; a pair is handed out only once.
    fn claim_pool_keys(&mut self, limit: u64) -> Result<Vec<PoolKey>>;
    /// How many pairs the pool holds.
    fn pool_size(&mut self) -> Result<u64>;
}
