//! The embedded default store: one SQLite database file in the data directory.
//!
//! Durability: WAL journal with `synchronous=FULL`, so a transaction that returned is on disk before
//! the client hears of it. `secure_delete=ON` overwrites deleted content, and after erasures the
//! WAL is checkpointed and truncated, so erased (sealed) material does not linger in the files.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Store, Transaction};
use crate::error::{Error, Result};
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::WrappingKey;
use crate::kms::key::Key;

/// Schema migrations, applied in order; `meta.schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[r"
    CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE access_keys (
        id            TEXT PRIMARY KEY,
        account_id    TEXT NOT NULL REFERENCES accounts(id),
        sealed_secret BLOB NOT NULL
    );
    CREATE TABLE keys (
        seq                  INTEGER PRIMARY KEY,
        id                   TEXT NOT NULL UNIQUE,
        account_id           TEXT NOT NULL REFERENCES accounts(id),
        description          TEXT NOT NULL,
        key_spec             TEXT NOT NULL,
        origin               TEXT NOT NULL,
        protection_level     TEXT NOT NULL,
        state                TEXT NOT NULL,
        created_at           INTEGER NOT NULL,
        delete_date          INTEGER,
        version_id           TEXT NOT NULL,
        sealed_material      BLOB,
        fingerprint          BLOB,
        material_expire_at   INTEGER
    );
    CREATE INDEX keys_by_account ON keys(account_id, seq);
    CREATE INDEX keys_by_expiry ON keys(material_expire_at) WHERE material_expire_at IS NOT NULL;
    CREATE INDEX keys_by_delete_date ON keys(delete_date) WHERE delete_date IS NOT NULL;
    CREATE TABLE aliases (
        seq         INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL,
        name        TEXT NOT NULL,
        key_id      TEXT NOT NULL REFERENCES keys(id),
        UNIQUE (account_id, name)
    );
    CREATE INDEX aliases_by_key ON aliases(key_id);
    CREATE TABLE wrapping_keys (
        id              TEXT PRIMARY KEY,
        account_id      TEXT NOT NULL,
        key_id          TEXT NOT NULL,
        public_der      BLOB NOT NULL,
        sealed_private  BLOB NOT NULL,
        expires_at      INTEGER NOT NULL
    );
    CREATE INDEX wrapping_keys_by_expiry ON wrapping_keys(expires_at);
    CREATE TABLE nonces (
        access_key_id  TEXT NOT NULL,
        nonce          TEXT NOT NULL,
        expires_at     INTEGER NOT NULL,
        PRIMARY KEY (access_key_id, nonce)
    ) WITHOUT ROWID;
    CREATE INDEX nonces_by_expiry ON nonces(expires_at);
"];

/// A SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(db)?;
        Self::setup(conn)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory().map_err(db)?)
    }

    fn setup(conn: Connection) -> Result<Self> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .map_err(db)?;
        let store = Self {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let done: usize = tx
            .query_row(
                "SELECT value FROM meta WHERE name = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(db)?
            .map_or(Ok(0), |v| v.parse().map_err(Error::internal))?;
        if done > MIGRATIONS.len() {
            return Err(Error::internal(format!(
                "the database has schema version {done}, newer than this byok-kms knows ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(done) {
            tx.execute_batch(migration).map_err(db)?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('schema_version', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![(i + 1).to_string()],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Every row of every table that holds KMS state, as text, in a stable order: two dumps are
    /// equal exactly when the state is. Signature nonces are left out: they are bookkeeping of
    /// the authentication layer, recorded even for requests that then fail.
    pub fn dump(&self) -> Result<String> {
        let conn = self.lock();
        let mut out = String::new();
        for (table, order) in [
            ("meta", "name"),
            ("accounts", "id"),
            ("access_keys", "id"),
            ("keys", "seq"),
            ("aliases", "seq"),
            ("wrapping_keys", "id"),
        ] {
            out.push_str(&format!("[{table}]\n"));
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
                .map_err(db)?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).map_err(db)?;
            while let Some(row) = rows.next().map_err(db)? {
                let cells: Vec<String> = (0..columns).map(|i| cell(row, i)).collect();
                out.push_str(&cells.join(" | "));
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled its transaction back when it unwound; the
        // connection itself is still sound.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    fn transaction<T>(&self, work: impl FnOnce(&mut dyn Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let mut wrapper = SqliteTransaction { tx: &tx };
        let value = work(&mut wrapper)?; // dropping `tx` on error rolls back
        tx.commit().map_err(db)?;
        Ok(value)
    }

    fn purge_erased(&self) -> Result<()> {
        self.lock()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db)
    }
}

struct SqliteTransaction<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

const KEY_COLUMNS: &str = "id, account_id, description, key_spec, origin, protection_level, state, \
     created_at, delete_date, version_id, sealed_material, fingerprint, material_expire_at";

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Key>> {
    let text = |i: usize| row.get::<_, String>(i);
    let (spec, origin, level, state) = (text(3)?, text(4)?, text(5)?, text(6)?);
    let parsed = (|| {
        Ok(Key {
            id: text(0).map_err(db)?,
            account_id: text(1).map_err(db)?,
            description: text(2).map_err(db)?,
            key_spec: spec.parse().map_err(Error::internal)?,
            origin: origin.parse()?,
            protection_level: level.parse()?,
            state: state.parse()?,
            created_at: row.get(7).map_err(db)?,
            delete_date: row.get(8).map_err(db)?,
            version_id: text(9).map_err(db)?,
            sealed_material: row.get(10).map_err(db)?,
            fingerprint: row.get(11).map_err(db)?,
            material_expire_at: row.get(12).map_err(db)?,
        })
    })();
    Ok(parsed)
}

fn alias_from_row(row: &Row<'_>) -> rusqlite::Result<Alias> {
    Ok(Alias {
        account_id: row.get(0)?,
        name: row.get(1)?,
        key_id: row.get(2)?,
    })
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Transaction for SqliteTransaction<'_> {
    fn meta(&mut self, name: &str) -> Result<Option<String>> {
        self.tx
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [name, value],
            )
            .map(drop)
            .map_err(db)
    }

    fn insert_account(&mut self, account_id: &str, created_at: i64) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO accounts (id, created_at) VALUES (?1, ?2)",
                params![account_id, created_at],
            )
            .map(drop)
            .map_err(db)
    }

    fn access_key(&mut self, id: &str) -> Result<Option<AccessKey>> {
        self.tx
            .query_row(
                "SELECT id, account_id, sealed_secret FROM access_keys WHERE id = ?1",
                [id],
                |r| {
                    Ok(AccessKey {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        sealed_secret: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    fn put_access_key(&mut self, key: &AccessKey) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO access_keys (id, account_id, sealed_secret) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
                                                sealed_secret = excluded.sealed_secret",
                params![key.id, key.account_id, key.sealed_secret],
            )
            .map(drop)
            .map_err(db)
    }

    fn insert_key(&mut self, key: &Key) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO keys ({KEY_COLUMNS}) VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ),
                params![
                    key.id,
                    key.account_id,
                    key.description,
                    key.key_spec.as_str(),
                    key.origin.as_str(),
                    key.protection_level.as_str(),
                    key.state.as_str(),
                    key.created_at,
                    key.delete_date,
                    key.version_id,
                    key.sealed_material,
                    key.fingerprint,
                    key.material_expire_at,
                ],
            )
            .map(drop)
            .map_err(db)
    }

    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>> {
        self.tx
            .query_row(
                &format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1 AND account_id = ?2"),
                [key_id, account_id],
                key_from_row,
            )
            .optional()
            .map_err(db)?
            .transpose()
    }

    fn update_key(&mut self, key: &Key) -> Result<()> {
        let changed = self
            .tx
            .execute(
                "UPDATE keys SET description = ?3, state = ?4, delete_date = ?5,
                        sealed_material = ?6, fingerprint = ?7, material_expire_at = ?8
                 WHERE id = ?1 AND account_id = ?2",
                params![
                    key.id,
                    key.account_id,
                    key.description,
                    key.state.as_str(),
                    key.delete_date,
                    key.sealed_material,
                    key.fingerprint,
                    key.material_expire_at,
                ],
            )
            .map_err(db)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(Error::internal("update of a key that is not stored"))
        }
    }

    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()> {
        self.tx
            .execute(
                "DELETE FROM aliases WHERE account_id = ?1 AND key_id = ?2",
                [account_id, key_id],
            )
            .map_err(db)?;
        self.tx
            .execute(
                "DELETE FROM keys WHERE account_id = ?1 AND id = ?2",
                [account_id, key_id],
            )
            .map(drop)
            .map_err(db)
    }

    fn list_keys(
        &mut self,
        account_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<String>, u64)> {
        let total: i64 = self
            .tx
            .query_row(
                "SELECT COUNT(*) FROM keys WHERE account_id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id FROM keys WHERE account_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
            )
            .map_err(db)?;
        let ids = stmt
            .query_map(params![account_id, to_i64(limit), to_i64(offset)], |r| {
                r.get(0)
            })
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db)?;
        Ok((ids, to_u64(total)))
    }

    fn due_keys(&mut self, now: i64, limit: u64) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT account_id, id FROM keys
                 WHERE (material_expire_at <= ?1 AND sealed_material IS NOT NULL)
                    OR (state = 'PendingDeletion' AND delete_date <= ?1)
                 LIMIT ?2",
            )
            .map_err(db)?;
        stmt.query_map(params![now, to_i64(limit)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)
    }

    fn alias(&mut self, account_id: &str, name: &str) -> Result<Option<Alias>> {
        self.tx
            .query_row(
                "SELECT account_id, name, key_id FROM aliases WHERE account_id = ?1 AND name = ?2",
                [account_id, name],
                alias_from_row,
            )
            .optional()
            .map_err(db)
    }

    fn insert_alias(&mut self, alias: &Alias) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO aliases (account_id, name, key_id) VALUES (?1, ?2, ?3)",
                [&alias.account_id, &alias.name, &alias.key_id],
            )
            .map(drop)
            .map_err(db)
    }

    fn update_alias(&mut self, alias: &Alias) -> Result<()> {
        self.tx
            .execute(
                "UPDATE aliases SET key_id = ?3 WHERE account_id = ?1 AND name = ?2",
                [&alias.account_id, &alias.name, &alias.key_id],
            )
            .map(drop)
            .map_err(db)
    }

    fn delete_alias(&mut self, account_id: &str, name: &str) -> Result<bool> {
        self.tx
            .execute(
                "DELETE FROM aliases WHERE account_id = ?1 AND name = ?2",
                [account_id, name],
            )
            .map(|n| n == 1)
            .map_err(db)
    }

    fn list_aliases(
        &mut self,
        account_id: &str,
        key_id: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Alias>, u64)> {
        let filter = "account_id = ?1 AND (?2 IS NULL OR key_id = ?2)";
        let total: i64 = self
            .tx
            .query_row(
                &format!("SELECT COUNT(*) FROM aliases WHERE {filter}"),
                params![account_id, key_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        let mut stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT account_id, name, key_id FROM aliases WHERE {filter}
                 ORDER BY seq LIMIT ?3 OFFSET ?4"
            ))
            .map_err(db)?;
        let aliases = stmt
            .query_map(
                params![account_id, key_id, to_i64(limit), to_i64(offset)],
                alias_from_row,
            )
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok((aliases, to_u64(total)))
    }

    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO wrapping_keys (id, account_id, key_id, public_der, sealed_private, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    key.id,
                    key.account_id,
                    key.key_id,
                    key.public_der,
                    key.sealed_private,
                    key.expires_at
                ],
            )
            .map(drop)
            .map_err(db)
    }

    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>> {
        self.tx
            .query_row(
                "SELECT id, account_id, key_id, public_der, sealed_private, expires_at
                 FROM wrapping_keys WHERE id = ?1",
                [id],
                |r| {
                    Ok(WrappingKey {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        key_id: r.get(2)?,
                        public_der: r.get(3)?,
                        sealed_private: r.get(4)?,
                        expires_at: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64> {
        self.tx
            .execute("DELETE FROM wrapping_keys WHERE expires_at < ?1", [now])
            .map(|n| n as u64)
            .map_err(db)
    }

    fn insert_nonce(&mut self, access_key_id: &str, nonce: &str, expires_at: i64) -> Result<bool> {
        self.tx
            .execute(
                "INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![access_key_id, nonce, expires_at],
            )
            .map(|n| n == 1)
            .map_err(db)
    }

    fn delete_expired_nonces(&mut self, now: i64) -> Result<u64> {
        self.tx
            .execute("DELETE FROM nonces WHERE expires_at < ?1", [now])
            .map(|n| n as u64)
            .map_err(db)
    }
}

fn cell(row: &Row<'_>, i: usize) -> String {
    use rusqlite::types::ValueRef;
    match row.get_ref(i) {
        Ok(ValueRef::Null) => "NULL".to_owned(),
        Ok(ValueRef::Integer(n)) => n.to_string(),
        Ok(ValueRef::Real(x)) => x.to_string(),
        Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(ValueRef::Blob(b)) => crate::crypto::hex(b),
        Err(e) => format!("<{e}>"),
    }
}

fn db(e: impl core::fmt::Display) -> Error {
    Error::internal(format!("database: {e}"))
}
