//! The embedded default store: one SQLite database file in the data directory.
//!
//! Durability, with group commit: transactions commit to the WAL without waiting for the disk
//! (`synchronous=NORMAL`), and then every transaction waits until the WAL is flushed (`fdatasync`)
//! past every change to KMS state committed so far — one flush for however many transactions
//! committed meanwhile. So nothing a client is told (an acknowledged import, or a ciphertext
//! under material it read) can be lost in a crash or power cut, and a busy server flushes once per
//! batch instead of once per request. Signature nonces are the exception: they are committed but
//! not waited for (a crash forgets at most the last instant's nonces, whose requests the
//! 15-minute timestamp window still bounds).
//!
//! `secure_delete=ON` overwrites deleted content, and after erasures the WAL is checkpointed and
//! truncated, so erased (sealed) material does not linger in the files.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Store, Transaction};
use crate::error::{Error, Result};
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::{PoolKey, WrappingKey};
use crate::kms::key::Key;

/// Schema migrations, applied in order; `meta.schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r"
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
",
    r"
    ALTER TABLE keys ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
    UPDATE keys SET ordinal = numbered.n
    FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY seq) AS n FROM keys)
         AS numbered
    WHERE keys.seq = numbered.seq;
    CREATE INDEX keys_by_ordinal ON keys(account_id, ordinal);
    DROP INDEX keys_by_account;
    CREATE TABLE wrapping_key_pool (
        seq             INTEGER PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        public_der      BLOB NOT NULL,
        sealed_private  BLOB NOT NULL
    );
",
];

/// A SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// A second connection to the same file, for checkpoints; `None` in memory.
    checkpointer: Option<Mutex<Connection>>,
    durability: Durability,
    nonces: Mutex<Nonces>,
}

/// Signature nonces, checked in memory and persisted in batches by [`Store::maintain`]: a
/// request then costs no write. (One SQLite file serves one process, so memory is authoritative;
/// the table keeps the replay window across restarts.)
#[derive(Default)]
struct Nonces {
    /// A digest of (access key, nonce) → when it may be forgotten.
    seen: HashMap<[u8; 16], i64>,
    /// Recorded but not yet stored.
    pending: Vec<(String, String, i64)>,
}

/// Nonces stored per transaction when flushing.
const NONCE_FLUSH_CHUNK: usize = 256;

/// The in-memory key of a nonce: the first half of [`super::nonce_digest`].
fn nonce_digest(access_key_id: &str, nonce: &str) -> [u8; 16] {
    let digest = super::nonce_digest(access_key_id, nonce);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Group commit: which state-changing commits the WAL's flushes cover.
struct Durability {
    /// The WAL file, flushed to make commits durable; `None` for an in-memory database.
    wal: Option<PathBuf>,
    progress: Mutex<Progress>,
    flushed: Condvar,
}

#[derive(Default)]
struct Progress {
    /// State-changing commits so far (counted in commit order, under the connection's lock).
    committed: u64,
    /// Commits covered by the last completed flush.
    synced: u64,
    /// Whether a flush is under way.
    syncing: bool,
    file: Option<File>,
}

impl Durability {
    /// Runs `f` on the progress counters, under their lock.
    fn progress_mut<R>(&self, f: impl FnOnce(&mut Progress) -> R) -> R {
        f(&mut self
            .progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Returns once every state-changing commit up to `target` is on disk, flushing the WAL if
    /// nobody else is, or waiting for the flush under way.
    fn wait_until_durable(&self, target: u64) -> Result<()> {
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        let mut progress = self
            .progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if progress.synced >= target {
                return Ok(());
            }
            if progress.syncing {
                progress = self
                    .flushed
                    .wait(progress)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            // This thread flushes, for everything committed up to now.
            progress.syncing = true;
            let goal = progress.committed;
            let file = match progress.file.take() {
                Some(file) => file,
                None => {
                    File::open(wal).map_err(|e| Error::internal(format!("opening the WAL: {e}")))?
                }
            };
            drop(progress);
            let flushed = file.sync_data();
            progress = self
                .progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            progress.syncing = false;
            progress.file = Some(file);
            if flushed.is_ok() {
                progress.synced = progress.synced.max(goal);
            }
            self.flushed.notify_all();
            flushed.map_err(|e| Error::internal(format!("flushing the WAL: {e}")))?;
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(db)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut store = Self::setup(conn, Some(PathBuf::from(wal)))?;
        let checkpointer = Connection::open(path).map_err(db)?;
        checkpointer
            .execute_batch("PRAGMA busy_timeout = 5000;")
            .map_err(db)?;
        store.checkpointer = Some(Mutex::new(checkpointer));
        // The WAL now exists; make its directory entry durable too.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| Error::internal(format!("flushing {}: {e}", dir.display())))?;
        }
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory().map_err(db)?, None)
    }

    fn setup(conn: Connection, wal: Option<PathBuf>) -> Result<Self> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 0;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .map_err(db)?;
        let store = Self {
            conn: Mutex::new(conn),
            checkpointer: None,
            durability: Durability {
                wal,
                progress: Mutex::new(Progress::default()),
                flushed: Condvar::new(),
            },
            nonces: Mutex::new(Nonces::default()),
        };
        store.migrate()?;
        store.load_nonces()?;
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
        tx.commit().map_err(db)?;
        // The schema must be on disk before anything is built on it.
        drop(conn);
        self.durability.progress_mut(|p| p.committed += 1);
        self.durability
            .wait_until_durable(self.durability.progress_mut(|p| p.committed))
    }

    /// Every row of every table that holds KMS state ([`super::STATE_TABLES`]), as text, in a
    /// stable order: two dumps are equal exactly when the state is.
    pub fn dump(&self) -> Result<String> {
        let conn = self.lock();
        let mut out = String::new();
        for (table, order) in super::STATE_TABLES {
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

    fn load_nonces(&self) -> Result<()> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT access_key_id, nonce, expires_at FROM nonces")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })
            .map_err(db)?;
        let mut nonces = self.nonces();
        for row in rows {
            let (access_key_id, nonce, expires_at) = row.map_err(db)?;
            nonces
                .seen
                .insert(nonce_digest(&access_key_id, &nonce), expires_at);
        }
        Ok(())
    }

    fn nonces(&self) -> std::sync::MutexGuard<'_, Nonces> {
        self.nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let (value, visible) = {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let mut wrapper = SqliteTransaction {
                tx: &tx,
                wrote_state: false,
                ephemeral: false,
            };
            let value = work(&mut wrapper)?; // dropping `tx` on error rolls back
            let (wrote_state, ephemeral) = (wrapper.wrote_state, wrapper.ephemeral);
            tx.commit().map_err(db)?;
            if ephemeral {
                return Ok(value);
            }
            // Counted while the connection is still held, so counts follow commit order. The
            // target covers this commit and every one this transaction could have read.
            let visible = self.durability.progress_mut(|p| {
                p.committed += u64::from(wrote_state);
                p.committed
            });
            (value, visible)
        };
        self.durability.wait_until_durable(visible)?;
        Ok(value)
    }

    fn purge_erased(&self) -> Result<()> {
        self.lock()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db)
    }

    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool> {
        let mut nonces = self.nonces();
        let digest = nonce_digest(access_key_id, nonce);
        if nonces.seen.get(&digest).is_some_and(|&until| until >= now) {
            return Ok(false);
        }
        nonces.seen.insert(digest, expires_at);
        nonces
            .pending
            .push((access_key_id.to_owned(), nonce.to_owned(), expires_at));
        Ok(true)
    }

    fn maintain(&self, now: i64) -> Result<()> {
        let pending = std::mem::take(&mut self.nonces().pending);
        // In chunks, letting requests in between: a busy server records thousands a second.
        for chunk in pending.chunks(NONCE_FLUSH_CHUNK) {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO UPDATE SET expires_at = excluded.expires_at",
                    )
                    .map_err(db)?;
                for (access_key_id, nonce, expires_at) in chunk {
                    insert
                        .execute(params![access_key_id, nonce, expires_at])
                        .map_err(db)?;
                }
            }
            tx.commit().map_err(db)?;
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.prepare_cached("DELETE FROM nonces WHERE expires_at < ?1")
            .map_err(db)?
            .execute([now])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        drop(conn);
        self.nonces().seen.retain(|_, until| *until >= now);
        // Checkpoint from a connection of its own: a PASSIVE checkpoint runs beside readers and
        // writers, so the request path never pays for one (automatic checkpoints are off).
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .map_err(db)?;
        }
        Ok(())
    }
}

struct SqliteTransaction<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    /// Whether this transaction changed KMS state (anything but signature nonces).
    wrote_state: bool,
    /// Whether its writes may be lost in a crash without harm ([`Transaction::ephemeral`]).
    ephemeral: bool,
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

impl SqliteTransaction<'_> {
    /// One row of a cached statement, or `None`.
    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        self.tx
            .prepare_cached(sql)
            .map_err(db)?
            .query_row(params, map)
            .optional()
            .map_err(db)
    }

    /// Runs a cached statement that changes KMS state; returns how many rows it changed.
    fn write(&mut self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        self.wrote_state = true;
        self.tx
            .prepare_cached(sql)
            .map_err(db)?
            .execute(params)
            .map_err(db)
    }

    /// All rows of a cached statement.
    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        self.tx
            .prepare_cached(sql)
            .map_err(db)?
            .query_map(params, map)
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<T>>>()
            .map_err(db)
    }
}

impl Transaction for SqliteTransaction<'_> {
    fn ephemeral(&mut self) {
        self.ephemeral = true;
    }

    fn meta(&mut self, name: &str) -> Result<Option<String>> {
        self.row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.write(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )
        .map(drop)
    }

    fn insert_account(&mut self, account_id: &str, created_at: i64) -> Result<()> {
        self.write(
            "INSERT INTO accounts (id, created_at) VALUES (?1, ?2)",
            params![account_id, created_at],
        )
        .map(drop)
    }

    fn access_key(&mut self, id: &str) -> Result<Option<AccessKey>> {
        self.row(
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
    }

    fn put_access_key(&mut self, key: &AccessKey) -> Result<()> {
        self.write(
            "INSERT INTO access_keys (id, account_id, sealed_secret) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
                                            sealed_secret = excluded.sealed_secret",
            params![key.id, key.account_id, key.sealed_secret],
        )
        .map(drop)
    }

    fn insert_key(&mut self, key: &Key) -> Result<()> {
        // `ordinal` numbers an account's keys 1, 2, 3… without gaps, so that a page of ListKeys
        // is an index range however deep it is.
        self.write(
            &format!(
                "INSERT INTO keys ({KEY_COLUMNS}, ordinal) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                  (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM keys WHERE account_id = ?2))"
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
    }

    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>> {
        self.row(
            &format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1 AND account_id = ?2"),
            [key_id, account_id],
            key_from_row,
        )?
        .transpose()
    }

    fn update_key(&mut self, key: &Key) -> Result<()> {
        let changed = self.write(
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
        )?;
        if changed == 1 {
            Ok(())
        } else {
            Err(Error::internal("update of a key that is not stored"))
        }
    }

    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()> {
        let ordinal: Option<i64> = self.row(
            "SELECT ordinal FROM keys WHERE account_id = ?1 AND id = ?2",
            [account_id, key_id],
            |r| r.get(0),
        )?;
        self.write(
            "DELETE FROM aliases WHERE account_id = ?1 AND key_id = ?2",
            [account_id, key_id],
        )?;
        self.write(
            "DELETE FROM keys WHERE account_id = ?1 AND id = ?2",
            [account_id, key_id],
        )?;
        if let Some(ordinal) = ordinal {
            // Close the gap (rare: keys are deleted only at the end of their pending window).
            self.write(
                "UPDATE keys SET ordinal = ordinal - 1 WHERE account_id = ?1 AND ordinal > ?2",
                params![account_id, ordinal],
            )?;
        }
        Ok(())
    }

    fn list_keys(
        &mut self,
        account_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<String>, u64)> {
        let total: i64 = self
            .row(
                "SELECT COALESCE(MAX(ordinal), 0) FROM keys WHERE account_id = ?1",
                [account_id],
                |r| r.get(0),
            )?
            .unwrap_or(0);
        let ids = self.rows(
            "SELECT id FROM keys WHERE account_id = ?1 AND ordinal > ?2 AND ordinal <= ?3
             ORDER BY ordinal",
            params![
                account_id,
                to_i64(offset),
                to_i64(offset.saturating_add(limit))
            ],
            |r| r.get(0),
        )?;
        Ok((ids, to_u64(total)))
    }

    fn due_keys(&mut self, now: i64, limit: u64) -> Result<Vec<(String, String)>> {
        self.rows(
            "SELECT account_id, id FROM keys
             WHERE (material_expire_at <= ?1 AND sealed_material IS NOT NULL)
                OR (state = 'PendingDeletion' AND delete_date <= ?1)
             LIMIT ?2",
            params![now, to_i64(limit)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    fn alias(&mut self, account_id: &str, name: &str) -> Result<Option<Alias>> {
        self.row(
            "SELECT account_id, name, key_id FROM aliases WHERE account_id = ?1 AND name = ?2",
            [account_id, name],
            alias_from_row,
        )
    }

    fn insert_alias(&mut self, alias: &Alias) -> Result<()> {
        self.write(
            "INSERT INTO aliases (account_id, name, key_id) VALUES (?1, ?2, ?3)",
            [&alias.account_id, &alias.name, &alias.key_id],
        )
        .map(drop)
    }

    fn update_alias(&mut self, alias: &Alias) -> Result<()> {
        self.write(
            "UPDATE aliases SET key_id = ?3 WHERE account_id = ?1 AND name = ?2",
            [&alias.account_id, &alias.name, &alias.key_id],
        )
        .map(drop)
    }

    fn delete_alias(&mut self, account_id: &str, name: &str) -> Result<bool> {
        self.write(
            "DELETE FROM aliases WHERE account_id = ?1 AND name = ?2",
            [account_id, name],
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
        let total: i64 = self
            .row(
                "SELECT COUNT(*) FROM aliases WHERE account_id = ?1 AND (?2 IS NULL OR key_id = ?2)",
                params![account_id, key_id],
                |r| r.get(0),
            )?
            .unwrap_or(0);
        let aliases = self.rows(
            "SELECT account_id, name, key_id FROM aliases
             WHERE account_id = ?1 AND (?2 IS NULL OR key_id = ?2)
             ORDER BY seq LIMIT ?3 OFFSET ?4",
            params![account_id, key_id, to_i64(limit), to_i64(offset)],
            alias_from_row,
        )?;
        Ok((aliases, to_u64(total)))
    }

    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()> {
        self.write(
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
    }

    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>> {
        self.row(
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
    }

    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64> {
        self.write("DELETE FROM wrapping_keys WHERE expires_at < ?1", [now])
            .map(|n| n as u64)
    }

    fn insert_pool_key(&mut self, key: &PoolKey) -> Result<()> {
        self.write(
            "INSERT INTO wrapping_key_pool (id, public_der, sealed_private) VALUES (?1, ?2, ?3)",
            params![key.id, key.public_der, key.sealed_private],
        )
        .map(drop)
    }

    fn claim_pool_keys(&mut self, limit: u64) -> Result<Vec<PoolKey>> {
        self.wrote_state = true;
        self.rows(
            "DELETE FROM wrapping_key_pool
             WHERE seq IN (SELECT seq FROM wrapping_key_pool ORDER BY seq LIMIT ?1)
             RETURNING id, public_der, sealed_private",
            [to_i64(limit)],
            |r| {
                Ok(PoolKey {
                    id: r.get(0)?,
                    public_der: r.get(1)?,
                    sealed_private: r.get(2)?,
                })
            },
        )
    }

    fn pool_size(&mut self) -> Result<u64> {
        self.row("SELECT COUNT(*) FROM wrapping_key_pool", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| to_u64(n.unwrap_or(0)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transaction_returns_only_once_what_it_saw_is_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        // Inside the transaction, the count is that of the commits before ours.
                        let ours = store
                            .transaction(|tx| {
                                tx.set_meta(&format!("t{t}"), &i.to_string())?;
                                Ok(store.durability.progress_mut(|p| p.committed) + 1)
                            })
                            .unwrap();
                        // What this thread committed is flushed when the call returns.
                        let synced = store.durability.progress_mut(|p| p.synced);
                        assert!(
                            synced >= ours,
                            "returned before commit {ours} was flushed ({synced})"
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (committed, synced) = store.durability.progress_mut(|p| (p.committed, p.synced));
        assert!(committed >= 400);
        // Group commit: fewer flushes than commits is the point, but every commit is covered.
        assert_eq!(synced, committed);
    }

    #[test]
    fn ephemeral_and_nonce_writes_do_not_wait_for_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        let before = store.durability.progress_mut(|p| p.committed);
        store
            .transaction(|tx| {
                tx.set_meta("x", "1")?;
                tx.ephemeral();
                Ok(())
            })
            .unwrap();
        store.use_nonce("ak", "n", 0, 10).unwrap();
        assert_eq!(store.durability.progress_mut(|p| p.committed), before);
        store.transaction(|tx| tx.set_meta("y", "1")).unwrap();
        assert_eq!(store.durability.progress_mut(|p| p.committed), before + 1);
    }

    #[test]
    fn migrating_a_version_1_database_numbers_its_keys() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);")
            .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('schema_version', '1');
             INSERT INTO accounts VALUES ('a', 0), ('b', 0);
             INSERT INTO keys (id, account_id, description, key_spec, origin, protection_level,
                               state, created_at, version_id)
             VALUES ('k1', 'a', '', 'Aliyun_AES_256', 'EXTERNAL', 'SOFTWARE', 'PendingImport', 0, 'v'),
                    ('k2', 'b', '', 'Aliyun_AES_256', 'EXTERNAL', 'SOFTWARE', 'PendingImport', 0, 'v'),
                    ('k3', 'a', '', 'Aliyun_AES_256', 'EXTERNAL', 'SOFTWARE', 'PendingImport', 0, 'v');",
        )
        .unwrap();
        let store = SqliteStore::setup(conn, None).unwrap();
        let (a, total_a) = store.transaction(|tx| tx.list_keys("a", 0, 10)).unwrap();
        let (b, total_b) = store.transaction(|tx| tx.list_keys("b", 0, 10)).unwrap();
        assert_eq!((a, total_a), (vec!["k1".to_owned(), "k3".to_owned()], 2));
        assert_eq!((b, total_b), (vec!["k2".to_owned()], 1));
        assert_eq!(
            store
                .transaction(|tx| tx.meta("schema_version"))
                .unwrap()
                .as_deref(),
            Some("2")
        );
    }
}
