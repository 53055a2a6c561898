//! Storage behind one trait, so that the embedded SQLite default and a shared PostgreSQL behave the
//! same to the [`crate::kms::Kms`] core.
//!
//! Every action runs in one [`Store::transaction`]: its reads and writes commit together, or, when
//! it returns an error, not at all. Rows hold secrets only sealed.

pub mod sqlite;

use crate::error::Result;
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::WrappingKey;
use crate::kms::key::Key;

pub use sqlite::SqliteStore;

/// A database the KMS can run on.
pub trait Store: Send + Sync + 'static {
    /// Runs `work` in one transaction: commits if it returns `Ok`, rolls back if it returns `Err`.
    fn transaction<T>(&self, work: impl FnOnce(&mut dyn Transaction) -> Result<T>) -> Result<T>;

    /// Makes sure that data erased by committed transactions (expired or deleted key material) is
    /// gone from the files, not only unreachable: called after erasures.
    fn purge_erased(&self) -> Result<()>;
}

/// The reads and writes available inside a transaction. Lookups of keys and aliases are always
/// scoped to an account.
pub trait Transaction {
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

    /// Adds a key.
    fn insert_key(&mut self, key: &Key) -> Result<()>;
    /// The key with this id in this account.
    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>>;
    /// Writes back a key read in this transaction.
    fn update_key(&mut self, key: &Key) -> Result<()>;
    /// Removes a key and its aliases.
    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()>;
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
    /// Adds an alias (the caller has checked that the name is free).
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

    /// Stores a wrapping key pair.
    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()>;
    /// The wrapping key pair with this id.
    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>>;
    /// Removes wrapping key pairs whose tokens expired before `now`; returns how many.
    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64>;

    /// Records a signature nonce until `expires_at`; false if it was already recorded.
    fn insert_nonce(&mut self, access_key_id: &str, nonce: &str, expires_at: i64) -> Result<bool>;
    /// Forgets nonces whose replay window closed before `now`; returns how many.
    fn delete_expired_nonces(&mut self, now: i64) -> Result<u64>;
}
