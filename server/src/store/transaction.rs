//! The one implementation of [`Transaction`], over a [`Driver`]: what each method reads and
//! writes is written here once, for both databases. A driver only runs catalogue statements and
//! takes the locks its database needs.

use super::Transaction;
use super::error::{Error, Result};
use super::rows::{self, Param, Reader, Row, to_i64};
use super::sql::{self, Sql};
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::{PoolKey, WrappingKey};
use crate::kms::key::Key;

/// What a store's connection does inside a transaction.
pub trait Driver {
    /// Runs a statement that returns rows; maps each with `map`.
    fn query<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>>;

    /// Runs a statement that returns at most one row (a lookup by key); maps it with `map`.
    fn query_one<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>>;

    /// Runs a statement that returns no rows; returns how many rows it changed.
    fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64>;

    /// Runs several statements without parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Takes `lock` until the transaction ends; false if it was `Lock::TrySweep` and taken.
    fn lock(&mut self, lock: Lock<'_>) -> Result<bool>;

    /// Whether `error` is a unique constraint refusing a row (made by this driver).
    fn is_unique_violation(error: &Error) -> bool;
}

/// What a transaction may need to hold against other instances. SQLite has one writer at a time
/// (every transaction is `IMMEDIATE`), so its driver grants every lock at once; PostgreSQL takes
/// advisory locks.
#[derive(Debug, Clone, Copy)]
pub enum Lock<'a> {
    /// Creating or deleting keys of this account (their ordinals must stay gapless).
    Account(&'a str),
    /// The server-wide settings (instances starting at once agree on one root key check).
    Meta,
    /// The schema (instances starting at once migrate once).
    Migration,
    /// The sweep, without waiting: one instance sweeps at a time, the others skip it.
    TrySweep,
}

/// A transaction of a store, with what its commit must know.
pub struct Tx<D> {
    /// The connection, inside its transaction.
    pub driver: D,
    /// Whether it changed KMS state (anything but signature nonces): its commit must then be
    /// durable before the caller hears of it.
    pub wrote: bool,
    /// Whether its writes may be lost in a crash without harm ([`Transaction::ephemeral`]).
    pub ephemeral: bool,
}

impl<D: Driver> Tx<D> {
    /// A transaction on `driver` that has done nothing yet.
    pub fn new(driver: D) -> Self {
        Self {
            driver,
            wrote: false,
            ephemeral: false,
        }
    }

    fn rows<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.driver.query(sql, params, map)
    }

    fn row<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.driver.query_one(sql, params, map)
    }

    /// A statement that changes KMS state; returns how many rows it changed.
    fn write(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64> {
        self.wrote = true;
        self.driver.execute(sql, params)
    }

    /// The one number a statement like `SELECT COUNT(*)` returns.
    fn count(&mut self, sql: &Sql, table: &'static str, params: &[Param<'_>]) -> Result<u64> {
        let n = self.row(sql, params, |row| {
            rows::Reader::new(row, table, &["count"]).count(0)
        })?;
        Ok(n.unwrap_or(0))
    }
}

impl<D: Driver> Transaction for Tx<D> {
    fn ephemeral(&mut self) {
        self.ephemeral = true;
    }

    fn meta(&mut self, name: &str) -> Result<Option<String>> {
        self.driver.lock(Lock::Meta)?;
        self.row(&sql::META, &[Param::Text(name)], |row| {
            rows::Reader::new(row, "meta", &["value"]).text(0)
        })
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.driver.lock(Lock::Meta)?;
        self.write(&sql::SET_META, &[Param::Text(name), Param::Text(value)])
            .map(drop)
    }

    fn insert_account(&mut self, account_id: &str, created_at: i64) -> Result<()> {
        self.driver.lock(Lock::Account(account_id))?;
        self.write(
            &sql::INSERT_ACCOUNT,
            &[Param::Text(account_id), Param::Int(created_at)],
        )
        .map(drop)
    }

    fn access_key(&mut self, id: &str) -> Result<Option<AccessKey>> {
        self.row(&sql::ACCESS_KEY, &[Param::Text(id)], rows::access_key)
    }

    fn put_access_key(&mut self, key: &AccessKey) -> Result<()> {
        self.driver.lock(Lock::Account(&key.account_id))?;
        self.write(
            &sql::PUT_ACCESS_KEY,
            &[
                Param::Text(&key.id),
                Param::Text(&key.account_id),
                Param::Blob(&key.sealed_secret),
                Param::OptBlob(key.mac.as_deref()),
                Param::OptText(key.kind.stored_name()),
            ],
        )
        .map(drop)
    }

    fn insert_key(&mut self, key: &Key) -> Result<()> {
        self.driver.lock(Lock::Account(&key.account_id))?;
        let tags = rows::tags_text(&key.tags);
        let materials = rows::materials_text(key);
        match self.write(
            &sql::INSERT_KEY,
            &rows::key_params(key, &tags, materials.as_deref()),
        ) {
            Ok(_) => Ok(()),
            // A key id is unique across accounts.
            Err(e) if D::is_unique_violation(&e) => Err(Error::Conflict {
                table: "keys",
                key: key.id.clone(),
                source: Box::new(e),
            }),
            Err(e) => Err(e),
        }
    }

    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>> {
        self.row(
            &sql::KEY,
            &[Param::Text(key_id), Param::Text(account_id)],
            rows::key,
        )
    }

    fn update_key(&mut self, key: &Key) -> Result<()> {
        let tags = rows::tags_text(&key.tags);
        let materials = rows::materials_text(key);
        let changed = self.write(
            &sql::UPDATE_KEY,
            &[
                Param::Text(&key.id),
                Param::Text(&key.account_id),
                Param::Text(&key.description),
                Param::Text(key.state.as_str()),
                Param::OptInt(key.delete_date),
                Param::OptBlob(key.sealed_material.as_deref()),
                Param::OptBlob(key.fingerprint.as_deref()),
                Param::OptInt(key.material_expire_at),
                Param::OptBlob(key.mac.as_deref()),
                Param::Text(&tags),
                Param::Text(&key.version_id),
                Param::OptText(materials.as_deref()),
                Param::OptInt(key.materials.next_expiry()),
            ],
        )?;
        if changed == 1 {
            Ok(())
        } else {
            Err(Error::Missing {
                table: "keys",
                key: key.id.clone(),
            })
        }
    }

    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()> {
        self.driver.lock(Lock::Account(account_id))?;
        let ids = [Param::Text(account_id), Param::Text(key_id)];
        let ordinal = self.row(&sql::KEY_ORDINAL, &ids, |row| {
            rows::Reader::new(row, "keys", &["ordinal"]).int(0)
        })?;
        self.write(&sql::DELETE_KEY_ALIASES, &ids)?;
        self.write(&sql::DELETE_KEY, &ids)?;
        if let Some(ordinal) = ordinal {
            self.write(
                &sql::CLOSE_ORDINAL_GAP,
                &[Param::Text(account_id), Param::Int(ordinal)],
            )?;
        }
        Ok(())
    }

    fn key_count(&mut self, account_id: &str) -> Result<u64> {
        self.count(&sql::KEY_COUNT, "keys", &[Param::Text(account_id)])
    }

    fn list_keys(
        &mut self,
        account_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<String>, u64)> {
        let total = self.key_count(account_id)?;
        let ids = self.rows(
            &sql::KEY_PAGE,
            &[
                Param::Text(account_id),
                Param::Int(to_i64(offset)),
                Param::Int(to_i64(offset.saturating_add(limit))),
            ],
            |row| rows::Reader::new(row, "keys", &["id"]).text(0),
        )?;
        Ok((ids, total))
    }

    fn due_keys(&mut self, now: i64, limit: u64) -> Result<Vec<(String, String)>> {
        // One instance sweeps at a time; the others find nothing due until it has committed.
        // (Each key is then looked up again, locked, before anything is erased.)
        if !self.driver.lock(Lock::TrySweep)? {
            return Ok(Vec::new());
        }
        self.rows(
            &sql::DUE_KEYS,
            &[Param::Int(now), Param::Int(to_i64(limit))],
            |row| {
                let r = rows::Reader::new(row, "keys", &["account_id", "id"]);
                Ok((r.text(0)?, r.text(1)?))
            },
        )
    }

    fn alias(&mut self, account_id: &str, name: &str) -> Result<Option<Alias>> {
        self.row(
            &sql::ALIAS,
            &[Param::Text(account_id), Param::Text(name)],
            rows::alias,
        )
    }

    fn insert_alias(&mut self, alias: &Alias) -> Result<()> {
        let inserted = self.write(
            &sql::INSERT_ALIAS,
            &[
                Param::Text(&alias.account_id),
                Param::Text(&alias.name),
                Param::Text(&alias.key_id),
                Param::OptBlob(alias.mac.as_deref()),
            ],
        );
        match inserted {
            Ok(_) => Ok(()),
            // Another transaction (on another instance) created it since this one looked.
            Err(e) if D::is_unique_violation(&e) => Err(Error::Conflict {
                table: "aliases",
                key: alias.name.clone(),
                source: Box::new(e),
            }),
            Err(e) => Err(e),
        }
    }

    fn update_alias(&mut self, alias: &Alias) -> Result<()> {
        self.write(
            &sql::UPDATE_ALIAS,
            &[
                Param::Text(&alias.account_id),
                Param::Text(&alias.name),
                Param::Text(&alias.key_id),
                Param::OptBlob(alias.mac.as_deref()),
            ],
        )
        .map(drop)
    }

    fn delete_alias(&mut self, account_id: &str, name: &str) -> Result<bool> {
        self.write(
            &sql::DELETE_ALIAS,
            &[Param::Text(account_id), Param::Text(name)],
        )
        .map(|n| n == 1)
    }

    fn list_aliases(
        &mut self,
        account_id: &str,
        key_id: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Alias>, u64)> {
        let which = [Param::Text(account_id), Param::OptText(key_id)];
        let total = self.count(&sql::ALIAS_COUNT, "aliases", &which)?;
        let aliases = self.rows(
            &sql::ALIAS_PAGE,
            &[
                which[0],
                which[1],
                Param::Int(to_i64(limit)),
                Param::Int(to_i64(offset)),
            ],
            rows::alias,
        )?;
        Ok((aliases, total))
    }

    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()> {
        self.write(
            &sql::INSERT_WRAPPING_KEY,
            &[
                Param::Text(&key.id),
                Param::Text(&key.account_id),
                Param::Text(&key.key_id),
                Param::Blob(&key.public_der),
                Param::Blob(&key.sealed_private),
                Param::Int(key.expires_at),
            ],
        )?;
        self.write(&sql::COUNT_WRAPPING_KEY, &[Param::Text(&key.account_id)])
            .map(drop)
    }

    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>> {
        self.row(&sql::WRAPPING_KEY, &[Param::Text(id)], rows::wrapping_key)
    }

    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64> {
        self.wrote = true;
        let owners = self.driver.query(
            &sql::DELETE_EXPIRED_WRAPPING_KEYS,
            &[Param::Int(now)],
            |row| Reader::new(row, "wrapping_keys", &["account_id"]).text(0),
        )?;
        let mut per_account: std::collections::BTreeMap<&str, i64> = Default::default();
        for owner in &owners {
            *per_account.entry(owner.as_str()).or_default() += 1;
        }
        for (account_id, deleted) in per_account {
            self.write(
                &sql::UNCOUNT_WRAPPING_KEYS,
                &[Param::Text(account_id), Param::Int(deleted)],
            )?;
        }
        Ok(owners.len() as u64)
    }

    fn wrapping_key_count(&mut self, account_id: &str) -> Result<u64> {
        let count = self.row(
            &sql::WRAPPING_KEY_COUNT,
            &[Param::Text(account_id)],
            |row| Reader::new(row, "accounts", &["wrapping_keys"]).int(0),
        )?;
        Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    fn unsigned_rows(&mut self, limit: u64) -> Result<(Vec<Key>, Vec<Alias>, Vec<AccessKey>)> {
        let limit = [Param::Int(i64::try_from(limit).unwrap_or(i64::MAX))];
        Ok((
            self.rows(&sql::UNSIGNED_KEYS, &limit, rows::key)?,
            self.rows(&sql::UNSIGNED_ALIASES, &limit, rows::alias)?,
            self.rows(&sql::UNSIGNED_ACCESS_KEYS, &limit, rows::access_key)?,
        ))
    }

    fn insert_pool_key(&mut self, key: &PoolKey) -> Result<()> {
        self.write(
            &sql::INSERT_POOL_KEY,
            &[
                Param::Text(&key.id),
                Param::Blob(&key.public_der),
                Param::Blob(&key.sealed_private),
            ],
        )
        .map(drop)
    }

    fn claim_pool_keys(&mut self, limit: u64) -> Result<Vec<PoolKey>> {
        self.wrote = true;
        self.rows(
            &sql::CLAIM_POOL_KEYS,
            &[Param::Int(to_i64(limit))],
            rows::pool_key,
        )
    }

    fn pool_size(&mut self) -> Result<u64> {
        self.count(&sql::POOL_SIZE, "wrapping_key_pool", &[])
    }
}
