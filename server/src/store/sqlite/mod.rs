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

mod driver;
mod durability;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use rusqlite::{Connection, TransactionBehavior};

use super::error::{Error, Result};
use super::rows::{Param, Reader};
use super::sql;
use super::transaction::{Driver as _, Tx};
use super::{Store, Transaction, migrations};
use driver::{SqliteDriver, db};
use durability::{Durability, Progress};

/// A SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// A second connection to the same file, for checkpoints; `None` in memory.
    checkpointer: Option<Mutex<Connection>>,
    durability: Durability,
    nonces: Mutex<Nonces>,
    /// What opening it migrated.
    migrated: migrations::Migrated,
}

/// Signature nonces, checked in memory and persisted in batches by [`Store::maintain`]: a
/// request then costs no write. (One SQLite file serves one process, so memory is authoritative;
/// the table keeps the replay window across restarts.)
#[derive(Default)]
struct Nonces {
    /// A digest of (access key, nonce) → when it may be forgotten.
    seen: HashMap<[u8; 16], i64>,
    /// Recorded but not yet stored: the full digest, and when it may be forgotten.
    pending: Vec<(Vec<u8>, i64)>,
}

/// Nonces stored per transaction when flushing.
const NONCE_FLUSH_CHUNK: usize = 256;

/// The in-memory key of a nonce: the first half of its stored digest ([`super::nonce_digest`]).
fn memory_key(digest: &[u8]) -> Option<[u8; 16]> {
    digest.get(..16)?.try_into().ok()
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
                .map_err(|source| Error::Io {
                    what: format!("flushing the directory {}", dir.display()),
                    source,
                })?;
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
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(db)?;
        let mut store = Self {
            conn: Mutex::new(conn),
            checkpointer: None,
            durability: Durability {
                wal,
                progress: Mutex::new(Progress::default()),
                flushed: Condvar::new(),
            },
            nonces: Mutex::new(Nonces::default()),
            migrated: migrations::Migrated::default(),
        };
        store.migrate()?;
        store.load_nonces()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let migrated = migrations::migrate(&mut Tx::new(SqliteDriver(&tx)), &migrations::SQLITE)?;
        tx.commit().map_err(db)?;
        // The schema must be on disk before anything is built on it.
        drop(conn);
        let target = self.durability.progress_mut(|p| {
            p.committed += 1;
            p.committed
        });
        self.durability.wait_until_durable(target)?;
        self.migrated = migrated;
        Ok(())
    }

    fn load_nonces(&self) -> Result<()> {
        let conn = self.lock();
        let stored = SqliteDriver(&conn).query(&sql::ALL_NONCES, &[], |row| {
            let r = Reader::new(row, "nonces", &["digest", "expires_at"]);
            let digest = r.blob(0)?;
            let key = memory_key(&digest)
                .ok_or_else(|| Error::corrupt("nonces", "digest", "shorter than 16 bytes"))?;
            Ok((key, r.int(1)?))
        })?;
        self.nonces().seen.extend(stored);
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

    /// Runs `f` in an IMMEDIATE transaction of its own, outside [`Store::transaction`]'s
    /// durability accounting (for nonces, which are not waited for).
    fn bookkeeping(&self, f: impl FnOnce(&mut SqliteDriver<'_>) -> Result<()>) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        f(&mut SqliteDriver(&tx))?;
        tx.commit().map_err(db)
    }
}

impl Store for SqliteStore {
    fn transaction<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut dyn Transaction) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E> {
        let (value, visible) = {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let mut wrapper = Tx::new(SqliteDriver(&tx));
            let value = work(&mut wrapper)?; // dropping `tx` on error rolls back
            let (wrote_state, ephemeral) = (wrapper.wrote, wrapper.ephemeral);
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
        // Dialect-specific: SQLite erases in place (secure_delete), but the WAL keeps old pages
        // until a checkpoint truncates it.
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
        let digest = super::nonce_digest(access_key_id, nonce);
        let key = memory_key(&digest).unwrap_or_default(); // a SHA-256 has 32 bytes
        let mut nonces = self.nonces();
        if nonces.seen.get(&key).is_some_and(|&until| until >= now) {
            return Ok(false);
        }
        nonces.seen.insert(key, expires_at);
        nonces.pending.push((digest, expires_at));
        Ok(true)
    }

    fn flush_nonces(&self) -> Result<()> {
        let pending = std::mem::take(&mut self.nonces().pending);
        // In chunks, letting requests in between: a busy server records thousands a second.
        for chunk in pending.chunks(NONCE_FLUSH_CHUNK) {
            self.bookkeeping(|driver| {
                for (digest, expires_at) in chunk {
                    driver.execute(
                        &sql::STORE_NONCE,
                        &[Param::Blob(digest), Param::Int(*expires_at)],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    fn maintain(&self, now: i64) -> Result<()> {
        self.flush_nonces()?;
        self.bookkeeping(|driver| {
            driver
                .execute(&sql::DELETE_EXPIRED_NONCES, &[Param::Int(now)])
                .map(drop)
        })?;
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

    fn predates_row_macs(&self) -> bool {
        self.migrated.predates_row_macs
    }

    fn dump(&self) -> Result<String> {
        super::rows::dump(&mut SqliteDriver(&self.lock()))
    }
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
                                Ok::<_, Error>(store.durability.progress_mut(|p| p.committed) + 1)
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
                Ok::<_, Error>(())
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
        let migrations::Step::Sql(version_1) = &migrations::SQLITE[0] else {
            unreachable!("the first migration is SQL");
        };
        conn.execute_batch(version_1).unwrap();
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
            Some(migrations::SQLITE.len().to_string().as_str())
        );
    }

    #[test]
    fn migrating_a_version_2_database_keys_its_nonces_by_digest() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);")
            .unwrap();
        for step in &migrations::SQLITE[..2] {
            let migrations::Step::Sql(sql) = step else {
                unreachable!("the first two migrations are SQL");
            };
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO meta VALUES ('schema_version', '2');
             INSERT INTO nonces VALUES ('ak', 'n1', 100), ('ak', 'n2', 100), ('other', 'n1', 50);",
        )
        .unwrap();
        let store = SqliteStore::setup(conn, None).unwrap();
        // Loaded into memory under their digests: replays are refused, new nonces are not.
        assert!(!store.use_nonce("ak", "n1", 10, 110).unwrap());
        assert!(!store.use_nonce("other", "n1", 10, 110).unwrap());
        assert!(store.use_nonce("other", "n2", 10, 110).unwrap());
        let conn = store.lock();
        let stored: Vec<(Vec<u8>, i64)> = conn
            .prepare("SELECT digest, expires_at FROM nonces ORDER BY expires_at, digest")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut expected = vec![
            (super::super::nonce_digest("other", "n1"), 50),
            (super::super::nonce_digest("ak", "n1"), 100),
            (super::super::nonce_digest("ak", "n2"), 100),
        ];
        expected[1..].sort();
        assert_eq!(stored, expected);
    }
}
