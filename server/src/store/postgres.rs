//! A shared store: one PostgreSQL database behind any number of byok-kms instances.
//!
//! Every instance is stateless apart from caches of immutable rows, so what one instance commits
//! the others see at once: a token issued by one imports on another, a nonce used on one is
//! refused by all. Concurrency is decided by the database:
//!
//! - transactions run at READ COMMITTED; a key is read with `FOR NO KEY UPDATE`, so everything
//!   that reads a key and may then change it (an import, a state change, material expiry) runs
//!   one at a time per key across all instances, and sees the previous one's result: the
//!   same-material rule and the state table hold however instances race. Different keys proceed
//!   in parallel;
//! - creating and deleting keys also takes a transaction-level advisory lock on the account, which
//!   numbers its keys without gaps; a second alias of the same name is refused by the unique index
//!   with the same error the check before it gives;
//! - the root key check and the schema are guarded by advisory locks of their own, so instances
//!   that start at once migrate once and agree on one root key;
//! - wrapping key pairs are claimed from the shared pool with `FOR UPDATE SKIP LOCKED` and deleted
//!   in the same statement: a pair goes to exactly one instance;
//! - a signature nonce is one `INSERT … ON CONFLICT` per request, so a replay is refused by every
//!   instance (the nonce is stored as a digest: any length, any bytes).
//!
//! A transaction that changed anything returns once PostgreSQL says its commit is durable
//! (`synchronous_commit`, on by default), and what it wrote is visible to others only then. Two
//! kinds of commit do not wait for the WAL flush, as with SQLite: signature nonces, and
//! transactions that only read (they leave nothing but released row locks). Statements are
//! prepared once per connection. When the database cannot be reached, requests fail at once with
//! `ServiceUnavailableTemporary` and a later request connects again; a transaction cut off midway
//! is rolled back by PostgreSQL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, SimpleQueryMessage, Statement};

use super::{Store, Transaction};
use crate::error::{Error, Result};
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::import::{PoolKey, WrappingKey};
use crate::kms::key::Key;

/// Schema migrations, applied in order under [`MIGRATION_LOCK`]; `meta.schema_version` records
/// how many ran.
const MIGRATIONS: &[&str] = &[r"
    CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        created_at  BIGINT NOT NULL
    );
    CREATE TABLE access_keys (
        id            TEXT PRIMARY KEY,
        account_id    TEXT NOT NULL REFERENCES accounts(id),
        sealed_secret BYTEA NOT NULL
    );
    CREATE TABLE keys (
        seq                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id                   TEXT NOT NULL UNIQUE,
        account_id           TEXT NOT NULL REFERENCES accounts(id),
        description          TEXT NOT NULL,
        key_spec             TEXT NOT NULL,
        origin               TEXT NOT NULL,
        protection_level     TEXT NOT NULL,
        state                TEXT NOT NULL,
        created_at           BIGINT NOT NULL,
        delete_date          BIGINT,
        version_id           TEXT NOT NULL,
        sealed_material      BYTEA,
        fingerprint          BYTEA,
        material_expire_at   BIGINT,
        ordinal              BIGINT NOT NULL
    );
    CREATE INDEX keys_by_ordinal ON keys(account_id, ordinal);
    CREATE INDEX keys_by_expiry ON keys(material_expire_at) WHERE material_expire_at IS NOT NULL;
    CREATE INDEX keys_by_delete_date ON keys(delete_date) WHERE delete_date IS NOT NULL;
    CREATE TABLE aliases (
        seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        public_der      BYTEA NOT NULL,
        sealed_private  BYTEA NOT NULL,
        expires_at      BIGINT NOT NULL
    );
    CREATE INDEX wrapping_keys_by_expiry ON wrapping_keys(expires_at);
    CREATE TABLE nonces (
        digest      BYTEA PRIMARY KEY,
        expires_at  BIGINT NOT NULL
    );
    CREATE INDEX nonces_by_expiry ON nonces(expires_at);
    CREATE TABLE wrapping_key_pool (
        seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        public_der      BYTEA NOT NULL,
        sealed_private  BYTEA NOT NULL
    );
"];

/// Advisory lock ids (one namespace for byok-kms: the high half spells "BYOK").
const MIGRATION_LOCK: i64 = 0x4259_4F4B_0000_0001;
const META_LOCK: i64 = 0x4259_4F4B_0000_0002;
const SWEEP_LOCK: i64 = 0x4259_4F4B_0000_0003;

/// How long connecting may take before a request gives up with 503.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections kept open for reuse.
const MAX_IDLE: usize = 16;

/// A connection idle for longer than this is checked (one round trip) before it is used again: the
/// database may have restarted meanwhile, and a request should not fail on a dead connection once
/// the database is back.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A PostgreSQL database, shared by every instance started with its URL.
pub struct PostgresStore {
    config: postgres::Config,
    idle: Mutex<Vec<(Conn, Instant)>>,
}

/// A connection with the statements prepared on it: each statement is parsed once per
/// connection, and then costs one round trip.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// False once something left its session in an unknown state: it is then closed, not reused.
    reusable: bool,
}

impl Conn {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(db)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params).map_err(db)
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params).map_err(db)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params).map_err(db)
    }

    /// Runs `work` between BEGIN and COMMIT, or ROLLBACK if it fails. A transaction that wrote
    /// nothing commits without waiting for the WAL flush (its row locks are all it leaves).
    fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut PostgresTransaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.client.batch_execute("BEGIN").map_err(db)?;
        let mut tx = PostgresTransaction {
            conn: self,
            locked: Vec::new(),
            wrote: false,
        };
        let outcome = work(&mut tx);
        let wrote = tx.wrote;
        match outcome {
            Ok(value) => {
                let commit = if wrote {
                    "COMMIT"
                } else {
                    "SET LOCAL synchronous_commit TO OFF; COMMIT"
                };
                if let Err(e) = self.client.batch_execute(commit) {
                    self.reusable = false;
                    return Err(db(e));
                }
                Ok(value)
            }
            Err(e) => {
                if self.client.batch_execute("ROLLBACK").is_err() {
                    self.reusable = false;
                }
                Err(e)
            }
        }
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`; TLS is not supported:
    /// keep the database on a trusted network or a Unix socket) and brings the schema up to date.
    pub fn open(url: &str) -> Result<Self> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            Error::internal(format!("the database URL is not a PostgreSQL URL: {e}"))
        })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("byok-kms");
        let store = Self {
            config,
            idle: Mutex::new(Vec::new()),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.connect()?;
        conn.transaction(|tx| {
            tx.lock(MIGRATION_LOCK)?;
            tx.wrote = true;
            tx.conn
                .client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                )
                .map_err(db)?;
            let done: usize = tx
                .row("SELECT value FROM meta WHERE name = 'schema_version'", &[])?
                .map_or(Ok(0), |r| {
                    r.get::<_, String>(0).parse().map_err(Error::internal)
                })?;
            if done > MIGRATIONS.len() {
                return Err(Error::internal(format!(
                    "the database has schema version {done}, newer than this byok-kms knows ({})",
                    MIGRATIONS.len()
                )));
            }
            for (i, migration) in MIGRATIONS.iter().enumerate().skip(done) {
                tx.conn.client.batch_execute(migration).map_err(db)?;
                tx.write(
                    "INSERT INTO meta (name, value) VALUES ('schema_version', $1)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    &[&(i + 1).to_string()],
                )?;
            }
            Ok(())
        })?;
        self.give_back(conn);
        Ok(())
    }

    fn connect(&self) -> Result<Conn> {
        let client = self.config.connect(NoTls).map_err(|e| {
            tracing::warn!(error = %e, "cannot connect to PostgreSQL");
            Error::ServiceUnavailable("the database cannot be reached; try again shortly")
        })?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
            reusable: true,
        })
    }

    /// An open connection: an idle one if there is one that works, else a new one.
    fn client(&self) -> Result<Conn> {
        loop {
            let idle = self.idle().pop();
            match idle {
                Some((conn, _)) if conn.client.is_closed() => {}
                Some((mut conn, since)) => {
                    if since.elapsed() < CHECK_AFTER_IDLE
                        || conn.client.is_valid(CONNECT_TIMEOUT).is_ok()
                    {
                        return Ok(conn);
                    }
                }
                None => return self.connect(),
            }
        }
    }

    /// Returns a connection for reuse. A closed one is dropped, and with it every idle one: what
    /// closed it (a database restart, a network failure) has most likely closed them too.
    fn give_back(&self, conn: Conn) {
        let mut idle = self.idle();
        if conn.client.is_closed() {
            idle.clear();
        } else if conn.reusable && idle.len() < MAX_IDLE {
            idle.push((conn, Instant::now()));
        }
    }

    /// Runs `f` on a connection, then returns the connection for reuse, unless `f` found the
    /// database unavailable: then it and every idle connection are dropped.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.client()?;
        let outcome = f(&mut conn);
        if matches!(outcome, Err(Error::ServiceUnavailable(_))) {
            self.idle().clear();
        } else {
            self.give_back(conn);
        }
        outcome
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(Conn, Instant)>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every row of every table that holds KMS state ([`super::STATE_TABLES`]), as text, in a
    /// stable order, written as [`super::SqliteStore::dump`] writes it.
    pub fn dump(&self) -> Result<String> {
        self.with_conn(|conn| {
            let mut out = String::new();
            for (table, order) in super::STATE_TABLES {
                out.push_str(&format!("[{table}]\n"));
                let rows = conn.query(&format!("SELECT * FROM {table} ORDER BY {order}"), &[])?;
                for row in rows {
                    let cells: Vec<String> = (0..row.len()).map(|i| cell(&row, i)).collect();
                    out.push_str(&cells.join(" | "));
                    out.push('\n');
                }
            }
            Ok(out)
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A connection owns a small runtime of its own, which must not be dropped on an async
        // worker thread (the server may drop the store last on one): close them on a thread of
        // their own.
        let idle = std::mem::take(&mut *self.idle());
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Store for PostgresStore {
    fn transaction<T>(&self, work: impl FnOnce(&mut dyn Transaction) -> Result<T>) -> Result<T> {
        self.with_conn(|conn| conn.transaction(|tx| work(tx)))
    }

    fn purge_erased(&self) -> Result<()> {
        // Deleted row versions stay in the table's pages until a vacuum; they hold material only
        // sealed, but are removed at once all the same.
        self.with_conn(|conn| conn.client.batch_execute("VACUUM keys").map_err(db))
    }

    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool> {
        let digest = crate::crypto::hex(&super::nonce_digest(access_key_id, nonce));
        // Inserted, or an expired record of the same nonce replaced: a first use. Committed
        // without waiting for the WAL flush, in one round trip (every value is ours: hex and
        // numbers): every instance sees it at once; a crash of PostgreSQL itself may forget the
        // last instant's nonces, as with SQLite, and their timestamps still expire in 15 minutes.
        let sql = format!(
            "BEGIN; SET LOCAL synchronous_commit TO OFF;
             INSERT INTO nonces (digest, expires_at) VALUES ('\\x{digest}', {expires_at})
             ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at
             WHERE nonces.expires_at < {now}
             RETURNING 1;
             COMMIT"
        );
        self.with_conn(|conn| match conn.client.simple_query(&sql) {
            Ok(messages) => Ok(messages
                .iter()
                .any(|m| matches!(m, SimpleQueryMessage::Row(_)))),
            Err(e) => {
                conn.reusable = false; // possibly inside the failed transaction
                Err(db(e))
            }
        })
    }

    fn reads_are_quick(&self) -> bool {
        false
    }

    fn maintain(&self, now: i64) -> Result<()> {
        self.with_conn(|conn| {
            conn.execute("DELETE FROM nonces WHERE expires_at < $1", &[&now])
                .map(drop)
        })
    }
}

struct PostgresTransaction<'a> {
    conn: &'a mut Conn,
    /// Accounts whose advisory lock this transaction holds.
    locked: Vec<String>,
    /// Whether it changed anything (its commit must then be durable before it returns).
    wrote: bool,
}

const KEY_COLUMNS: &str = "id, account_id, description, key_spec, origin, protection_level, state, \
     created_at, delete_date, version_id, sealed_material, fingerprint, material_expire_at";

fn key_from_row(row: &Row) -> Result<Key> {
    let text = |i: usize| row.try_get::<_, String>(i).map_err(db);
    Ok(Key {
        id: text(0)?,
        account_id: text(1)?,
        description: text(2)?,
        key_spec: text(3)?.parse().map_err(Error::internal)?,
        origin: text(4)?.parse()?,
        protection_level: text(5)?.parse()?,
        state: text(6)?.parse()?,
        created_at: row.try_get(7).map_err(db)?,
        delete_date: row.try_get(8).map_err(db)?,
        version_id: text(9)?,
        sealed_material: row.try_get(10).map_err(db)?,
        fingerprint: row.try_get(11).map_err(db)?,
        material_expire_at: row.try_get(12).map_err(db)?,
    })
}

fn alias_from_row(row: &Row) -> Result<Alias> {
    Ok(Alias {
        account_id: row.try_get(0).map_err(db)?,
        name: row.try_get(1).map_err(db)?,
        key_id: row.try_get(2).map_err(db)?,
    })
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// PostgreSQL text cannot hold NUL characters, and no stored name or id contains one: a lookup
/// by such a value finds nothing, and storing one is refused before it reaches the database.
fn has_nul(values: &[&str]) -> bool {
    values.iter().any(|v| v.contains('\0'))
}

fn refuse_nul(what: &'static str, values: &[&str]) -> Result<()> {
    if has_nul(values) {
        Err(Error::invalid(what, "must not contain a NUL character"))
    } else {
        Ok(())
    }
}

impl PostgresTransaction<'_> {
    /// Serializes this transaction with every other one creating or deleting keys of
    /// `account_id`, on any instance.
    fn lock_account(&mut self, account_id: &str) -> Result<()> {
        if self.locked.iter().any(|a| a == account_id) {
            return Ok(());
        }
        self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&account_id],
        )?;
        self.locked.push(account_id.to_owned());
        Ok(())
    }

    /// Takes one of byok-kms's own advisory locks until the transaction ends.
    fn lock(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("SELECT pg_advisory_xact_lock($1)", &[&id])
            .map(drop)
    }

    fn row(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        self.conn.query_opt(sql, params)
    }

    fn rows(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        self.conn.query(sql, params)
    }

    /// Runs a statement that changes the database; returns how many rows it changed.
    fn write(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.wrote = true;
        self.conn.execute(sql, params)
    }
}

impl Transaction for PostgresTransaction<'_> {
    fn ephemeral(&mut self) {
        // PostgreSQL commits are durable either way; there is nothing to relax.
    }

    fn meta(&mut self, name: &str) -> Result<Option<String>> {
        // Instances that start at once read and set the root key check one after the other.
        self.lock(META_LOCK)?;
        Ok(self
            .row("SELECT value FROM meta WHERE name = $1", &[&name])?
            .map(|r| r.get(0)))
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.lock(META_LOCK)?;
        self.write(
            "INSERT INTO meta (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )
        .map(drop)
    }

    fn insert_account(&mut self, account_id: &str, created_at: i64) -> Result<()> {
        self.lock_account(account_id)?;
        self.write(
            "INSERT INTO accounts (id, created_at) VALUES ($1, $2)",
            &[&account_id, &created_at],
        )
        .map(drop)
    }

    fn access_key(&mut self, id: &str) -> Result<Option<AccessKey>> {
        if has_nul(&[id]) {
            return Ok(None);
        }
        self.row(
            "SELECT id, account_id, sealed_secret FROM access_keys WHERE id = $1",
            &[&id],
        )?
        .map(|r| {
            Ok(AccessKey {
                id: r.try_get(0).map_err(db)?,
                account_id: r.try_get(1).map_err(db)?,
                sealed_secret: r.try_get(2).map_err(db)?,
            })
        })
        .transpose()
    }

    fn put_access_key(&mut self, key: &AccessKey) -> Result<()> {
        refuse_nul("AccessKeyId", &[&key.id])?;
        self.lock_account(&key.account_id)?;
        self.write(
            "INSERT INTO access_keys (id, account_id, sealed_secret) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
                                            sealed_secret = excluded.sealed_secret",
            &[&key.id, &key.account_id, &key.sealed_secret],
        )
        .map(drop)
    }

    fn insert_key(&mut self, key: &Key) -> Result<()> {
        refuse_nul("Description", &[&key.description])?;
        self.lock_account(&key.account_id)?;
        // `ordinal` numbers an account's keys 1, 2, 3… without gaps (the account lock makes
        // MAX + 1 safe), so that a page of ListKeys is an index range however deep it is.
        self.write(
            &format!(
                "INSERT INTO keys ({KEY_COLUMNS}, ordinal) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                  (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM keys WHERE account_id = $2))"
            ),
            &[
                &key.id,
                &key.account_id,
                &key.description,
                &key.key_spec.as_str(),
                &key.origin.as_str(),
                &key.protection_level.as_str(),
                &key.state.as_str(),
                &key.created_at,
                &key.delete_date,
                &key.version_id,
                &key.sealed_material,
                &key.fingerprint,
                &key.material_expire_at,
            ],
        )
        .map(drop)
    }

    fn key(&mut self, account_id: &str, key_id: &str) -> Result<Option<Key>> {
        if has_nul(&[account_id, key_id]) {
            return Ok(None);
        }
        self.row(
            &format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE id = $1 AND account_id = $2
                 FOR NO KEY UPDATE"
            ),
            &[&key_id, &account_id],
        )?
        .map(|r| key_from_row(&r))
        .transpose()
    }

    fn update_key(&mut self, key: &Key) -> Result<()> {
        refuse_nul("Description", &[&key.description])?;
        let changed = self.write(
            "UPDATE keys SET description = $3, state = $4, delete_date = $5,
                    sealed_material = $6, fingerprint = $7, material_expire_at = $8
             WHERE id = $1 AND account_id = $2",
            &[
                &key.id,
                &key.account_id,
                &key.description,
                &key.state.as_str(),
                &key.delete_date,
                &key.sealed_material,
                &key.fingerprint,
                &key.material_expire_at,
            ],
        )?;
        if changed == 1 {
            Ok(())
        } else {
            Err(Error::internal("update of a key that is not stored"))
        }
    }

    fn delete_key(&mut self, account_id: &str, key_id: &str) -> Result<()> {
        self.lock_account(account_id)?;
        let ordinal: Option<i64> = self
            .row(
                "SELECT ordinal FROM keys WHERE account_id = $1 AND id = $2",
                &[&account_id, &key_id],
            )?
            .map(|r| r.get(0));
        self.write(
            "DELETE FROM aliases WHERE account_id = $1 AND key_id = $2",
            &[&account_id, &key_id],
        )?;
        self.write(
            "DELETE FROM keys WHERE account_id = $1 AND id = $2",
            &[&account_id, &key_id],
        )?;
        if let Some(ordinal) = ordinal {
            self.write(
                "UPDATE keys SET ordinal = ordinal - 1 WHERE account_id = $1 AND ordinal > $2",
                &[&account_id, &ordinal],
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
                "SELECT COALESCE(MAX(ordinal), 0) FROM keys WHERE account_id = $1",
                &[&account_id],
            )?
            .map_or(0, |r| r.get(0));
        let ids = self
            .rows(
                "SELECT id FROM keys WHERE account_id = $1 AND ordinal > $2 AND ordinal <= $3
                 ORDER BY ordinal",
                &[
                    &account_id,
                    &to_i64(offset),
                    &to_i64(offset.saturating_add(limit)),
                ],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok((ids, to_u64(total)))
    }

    fn due_keys(&mut self, now: i64, limit: u64) -> Result<Vec<(String, String)>> {
        // One instance sweeps at a time; the others find nothing due until it has committed.
        // (Each key is then looked up again, locked, before anything is erased.)
        let sweeping = self
            .row("SELECT pg_try_advisory_xact_lock($1)", &[&SWEEP_LOCK])?
            .is_some_and(|r| r.get::<_, bool>(0));
        if !sweeping {
            return Ok(Vec::new());
        }
        Ok(self
            .rows(
                "SELECT account_id, id FROM keys
                 WHERE (material_expire_at <= $1 AND sealed_material IS NOT NULL)
                    OR (state = 'PendingDeletion' AND delete_date <= $1)
                 ORDER BY account_id, id
                 LIMIT $2",
                &[&now, &to_i64(limit)],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn alias(&mut self, account_id: &str, name: &str) -> Result<Option<Alias>> {
        if has_nul(&[account_id, name]) {
            return Ok(None);
        }
        self.row(
            "SELECT account_id, name, key_id FROM aliases WHERE account_id = $1 AND name = $2",
            &[&account_id, &name],
        )?
        .map(|r| alias_from_row(&r))
        .transpose()
    }

    fn insert_alias(&mut self, alias: &Alias) -> Result<()> {
        refuse_nul("AliasName", &[&alias.name])?;
        self.wrote = true;
        let statement = self
            .conn
            .statement("INSERT INTO aliases (account_id, name, key_id) VALUES ($1, $2, $3)")?;
        match self
            .conn
            .client
            .execute(&statement, &[&alias.account_id, &alias.name, &alias.key_id])
        {
            Ok(_) => Ok(()),
            // Another instance created it since this transaction looked.
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(Error::AliasAlreadyExists(alias.name.clone()))
            }
            Err(e) => Err(db(e)),
        }
    }

    fn update_alias(&mut self, alias: &Alias) -> Result<()> {
        self.write(
            "UPDATE aliases SET key_id = $3 WHERE account_id = $1 AND name = $2",
            &[&alias.account_id, &alias.name, &alias.key_id],
        )
        .map(drop)
    }

    fn delete_alias(&mut self, account_id: &str, name: &str) -> Result<bool> {
        if has_nul(&[account_id, name]) {
            return Ok(false);
        }
        self.write(
            "DELETE FROM aliases WHERE account_id = $1 AND name = $2",
            &[&account_id, &name],
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
        if key_id.is_some_and(|k| has_nul(&[k])) {
            return Ok((Vec::new(), 0));
        }
        let total: i64 = self
            .row(
                "SELECT COUNT(*) FROM aliases
                 WHERE account_id = $1 AND ($2::TEXT IS NULL OR key_id = $2)",
                &[&account_id, &key_id],
            )?
            .map_or(0, |r| r.get(0));
        let aliases = self
            .rows(
                "SELECT account_id, name, key_id FROM aliases
                 WHERE account_id = $1 AND ($2::TEXT IS NULL OR key_id = $2)
                 ORDER BY seq LIMIT $3 OFFSET $4",
                &[&account_id, &key_id, &to_i64(limit), &to_i64(offset)],
            )?
            .iter()
            .map(alias_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok((aliases, to_u64(total)))
    }

    fn insert_wrapping_key(&mut self, key: &WrappingKey) -> Result<()> {
        self.write(
            "INSERT INTO wrapping_keys (id, account_id, key_id, public_der, sealed_private, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key.id,
                &key.account_id,
                &key.key_id,
                &key.public_der,
                &key.sealed_private,
                &key.expires_at,
            ],
        )
        .map(drop)
    }

    fn wrapping_key(&mut self, id: &str) -> Result<Option<WrappingKey>> {
        if has_nul(&[id]) {
            return Ok(None);
        }
        self.row(
            "SELECT id, account_id, key_id, public_der, sealed_private, expires_at
             FROM wrapping_keys WHERE id = $1",
            &[&id],
        )?
        .map(|r| {
            Ok(WrappingKey {
                id: r.try_get(0).map_err(db)?,
                account_id: r.try_get(1).map_err(db)?,
                key_id: r.try_get(2).map_err(db)?,
                public_der: r.try_get(3).map_err(db)?,
                sealed_private: r.try_get(4).map_err(db)?,
                expires_at: r.try_get(5).map_err(db)?,
            })
        })
        .transpose()
    }

    fn delete_expired_wrapping_keys(&mut self, now: i64) -> Result<u64> {
        self.write("DELETE FROM wrapping_keys WHERE expires_at < $1", &[&now])
    }

    fn insert_pool_key(&mut self, key: &PoolKey) -> Result<()> {
        self.write(
            "INSERT INTO wrapping_key_pool (id, public_der, sealed_private) VALUES ($1, $2, $3)",
            &[&key.id, &key.public_der, &key.sealed_private],
        )
        .map(drop)
    }

    fn claim_pool_keys(&mut self, limit: u64) -> Result<Vec<PoolKey>> {
        // Rows another instance is claiming at this moment are skipped, not waited for; the
        // DELETE makes each claim final when this transaction commits.
        self.wrote = true;
        self.rows(
            "DELETE FROM wrapping_key_pool
             WHERE seq IN (SELECT seq FROM wrapping_key_pool ORDER BY seq LIMIT $1
                           FOR UPDATE SKIP LOCKED)
             RETURNING id, public_der, sealed_private",
            &[&to_i64(limit)],
        )?
        .iter()
        .map(|r| {
            Ok(PoolKey {
                id: r.try_get(0).map_err(db)?,
                public_der: r.try_get(1).map_err(db)?,
                sealed_private: r.try_get(2).map_err(db)?,
            })
        })
        .collect()
    }

    fn pool_size(&mut self) -> Result<u64> {
        Ok(self
            .row("SELECT COUNT(*) FROM wrapping_key_pool", &[])?
            .map_or(0, |r| to_u64(r.get(0))))
    }
}

/// One cell as text, as [`super::SqliteStore::dump`] writes it: `NULL`, a number, text, or hex.
fn cell(row: &Row, i: usize) -> String {
    use postgres::types::Type;
    let shown = match *row.columns()[i].type_() {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map(|v| v.map(|n| n.to_string())),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map(|v| v.map(|b| crate::crypto::hex(&b))),
        _ => row.try_get::<_, Option<String>>(i),
    };
    match shown {
        Ok(Some(text)) => text,
        Ok(None) => "NULL".to_owned(),
        Err(e) => format!("<{e}>"),
    }
}

/// A database error: 503 when the database is unreachable, restarting or shutting down (the
/// client may simply retry), otherwise an internal failure, logged with its cause.
fn db(e: postgres::Error) -> Error {
    let unavailable = match e.code() {
        // A closed connection, or I/O on it (not, say, a value of an unexpected type).
        None => {
            e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>())
        }
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
        }
    };
    if unavailable {
        tracing::warn!(error = %e, "PostgreSQL unavailable");
        Error::ServiceUnavailable("the database cannot be reached; try again shortly")
    } else {
        Error::internal(format!("database: {e}"))
    }
}
