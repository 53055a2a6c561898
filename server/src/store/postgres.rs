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
//!   ([`Error::Conflict`]);
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
//! transactions that only read (they leave nothing but released row locks).
//!
//! Connections come from a [`deadpool`] pool of the synchronous `postgres` client, with a small
//! manager of ours. Why this pool: its checkout creates a connection in the caller when none is
//! idle and returns the failure at once, so when the database cannot be reached every request
//! fails at once with [`Error::Unavailable`] (r2d2 waits for its background connector, retrying,
//! up to a timeout); it can drop every idle connection on demand (`retain`), which we do when a
//! connection is lost, so that requests work again as soon as PostgreSQL is back; and its
//! recycling is ours to decide: a connection idle for more than a second is checked with one round
//! trip before reuse, one used just now is not (r2d2 checks every checkout or none). The
//! synchronous client keeps every round trip on the calling thread, as before; deadpool-postgres
//! would move them onto a runtime's worker threads, a thread hand-over per statement on the hot
//! path. The pool's futures never wait on I/O (the client blocks), so a minimal `block_on` drives
//! them. Statements are prepared once per connection. A connection left in an unknown state (a
//! failed COMMIT or ROLLBACK) is closed, never reused; a transaction cut off midway is rolled back
//! by PostgreSQL.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, Pool, QueueMode, RecycleError, RecycleResult};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, SimpleQueryMessage, Statement};

use super::error::{Error, Result};
use super::rows::{Cell, Param, Reader, Row};
use super::sql::{self, Dialect, Sql};
use super::transaction::{Driver, Lock, Tx};
use super::{Store, Transaction, migrations, transaction};

/// Advisory lock ids (one namespace for byok-kms: the high half spells "BYOK").
const MIGRATION_LOCK: i64 = 0x4259_4F4B_0000_0001;
const META_LOCK: i64 = 0x4259_4F4B_0000_0002;
const SWEEP_LOCK: i64 = 0x4259_4F4B_0000_0003;

/// How long connecting may take before a request gives up with [`Error::Unavailable`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections one instance opens at most; more concurrent requests wait for one.
const MAX_CONNECTIONS: usize = 64;

/// A connection idle for longer than this is checked (one round trip) before it is used again: the
/// database may have restarted meanwhile, and a request should not fail on a dead connection once
/// the database is back.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A PostgreSQL database, shared by every instance started with its URL.
pub struct PostgresStore {
    pool: Pool<Connector>,
}

/// Opens and recycles the pool's connections.
struct Connector {
    config: postgres::Config,
}

/// A connection with the statements prepared on it: each statement is parsed once per
/// connection, and then costs one round trip.
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    /// False once something left its session in an unknown state: it is then closed, not reused.
    reusable: bool,
    /// Whether a call found the database unreachable through it.
    lost: bool,
    /// When it was last given back to the pool.
    returned: Instant,
}

impl managed::Manager for Connector {
    type Type = Conn;
    type Error = postgres::Error;

    async fn create(&self) -> core::result::Result<Conn, postgres::Error> {
        // Blocks this thread (at most CONNECT_TIMEOUT): the pool runs on the caller's thread.
        let client = self.config.connect(NoTls)?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
            reusable: true,
            lost: false,
            returned: Instant::now(),
        })
    }

    async fn recycle(&self, conn: &mut Conn, _: &Metrics) -> RecycleResult<postgres::Error> {
        if conn.client.is_closed() {
            return Err(RecycleError::message("the connection is closed"));
        }
        if conn.returned.elapsed() > CHECK_AFTER_IDLE {
            conn.client
                .is_valid(CONNECT_TIMEOUT)
                .map_err(RecycleError::Backend)?;
        }
        Ok(())
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`; TLS is not supported:
    /// keep the database on a trusted network or a Unix socket) and brings the schema up to date.
    pub fn open(url: &str) -> Result<Self> {
        let mut config: postgres::Config = url.parse().map_err(|e| Error::InvalidUrl {
            url: super::any::redact(url),
            reason: format!("it is not a PostgreSQL URL: {e}"),
        })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("byok-kms");
        let pool = Pool::builder(Connector { config })
            .max_size(MAX_CONNECTIONS)
            // The connection used last is the one least likely to need a check before reuse.
            .queue_mode(QueueMode::Lifo)
            .build()
            .map_err(|e| Error::Database {
                source: Box::new(e),
            })?;
        let store = Self { pool };
        store.with_conn(|conn| {
            in_transaction(conn, |tx| migrations::migrate(tx, &migrations::POSTGRES))
        })?;
        Ok(store)
    }

    /// Runs `f` on a pooled connection, then gives the connection back, unless `f` left it in an
    /// unknown state (then it is closed) or found the database unreachable through it: then it
    /// and every idle connection are closed, since what cut it (a restart, a network failure) has
    /// most likely cut them too.
    fn with_conn<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&mut Conn) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E> {
        let mut conn = block_on(self.pool.get()).map_err(|e| {
            drop(self.pool.retain(|_, _| false));
            Error::Unavailable {
                source: Box::new(e),
            }
        })?;
        let outcome = f(&mut conn);
        if conn.lost || conn.client.is_closed() {
            tracing::warn!("lost the connection to PostgreSQL; closing the idle ones");
            drop(self.pool.retain(|_, _| false));
            drop(Object::take(conn));
        } else if !conn.reusable {
            drop(Object::take(conn));
        } else {
            conn.returned = Instant::now();
        }
        outcome
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A connection owns a small runtime of its own, which must not be dropped on an async
        // worker thread (the server may drop the store last on one): close them on a thread of
        // their own.
        let pool = self.pool.clone();
        let _ = std::thread::spawn(move || {
            pool.close();
        })
        .join();
    }
}

impl Store for PostgresStore {
    fn transaction<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut dyn Transaction) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E> {
        self.with_conn(|conn| in_transaction(conn, |tx| work(tx)))
    }

    fn purge_erased(&self) -> Result<()> {
        // Deleted row versions stay in the table's pages until a vacuum; they hold material only
        // sealed, but are removed at once all the same.
        self.with_conn(|conn| conn.batch("VACUUM keys"))
    }

    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool> {
        let digest = byok_wrap::sign::hex(&super::nonce_digest(access_key_id, nonce));
        // Inserted, or an expired record of the same nonce replaced: a first use. Committed
        // without waiting for the WAL flush, in one round trip (every value is ours: hex and
        // numbers, so a simple query with literals needs no escaping): every instance sees it at
        // once; a crash of PostgreSQL itself may forget the last instant's nonces, as with SQLite,
        // and their timestamps still expire in 15 minutes.
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
                Err(conn.failed(e))
            }
        })
    }

    fn reads_are_quick(&self) -> bool {
        false
    }

    fn maintain(&self, now: i64) -> Result<()> {
        self.with_conn(|conn| {
            PgDriver::new(conn)
                .execute(&sql::DELETE_EXPIRED_NONCES, &[Param::Int(now)])
                .map(drop)
        })
    }

    fn dump(&self) -> Result<String> {
        self.with_conn(|conn| transaction::dump(&mut PgDriver::new(conn)))
    }
}

/// Runs `work` between BEGIN and COMMIT, or ROLLBACK if it fails. A transaction that wrote
/// nothing commits without waiting for the WAL flush (its row locks are all it leaves).
fn in_transaction<T, E: From<Error>>(
    conn: &mut Conn,
    work: impl FnOnce(&mut Tx<PgDriver<'_>>) -> core::result::Result<T, E>,
) -> core::result::Result<T, E> {
    conn.batch("BEGIN")?;
    let mut tx = Tx::new(PgDriver::new(conn));
    let outcome = work(&mut tx);
    let wrote = tx.wrote;
    drop(tx);
    match outcome {
        Ok(value) => {
            let commit = if wrote {
                "COMMIT"
            } else {
                "SET LOCAL synchronous_commit TO OFF; COMMIT"
            };
            if let Err(e) = conn.batch(commit) {
                conn.reusable = false;
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            if conn.batch("ROLLBACK").is_err() {
                conn.reusable = false;
            }
            Err(e)
        }
    }
}

impl Conn {
    /// The statement prepared on this connection, preparing it on first use.
    fn statement(&mut self, source: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(source) {
            return Ok(statement.clone());
        }
        let prepared = self.client.prepare(&Dialect::Postgres.text(source));
        let statement = prepared.map_err(|e| self.failed(e))?;
        self.statements.insert(source, statement.clone());
        Ok(statement)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        let done = self.client.batch_execute(sql);
        done.map_err(|e| self.failed(e))
    }

    /// A driver error as the store reports it: [`Error::Unavailable`] when the database is
    /// unreachable, restarting or shutting down (the caller may simply retry), which also marks
    /// this connection lost; otherwise [`Error::Database`].
    fn failed(&mut self, e: postgres::Error) -> Error {
        let unavailable = match e.code() {
            // A closed connection, or I/O on it (not, say, a value of an unexpected type).
            None => {
                e.is_closed()
                    || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>())
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
            self.lost = true;
            Error::Unavailable {
                source: Box::new(e),
            }
        } else {
            Error::Database {
                source: Box::new(e),
            }
        }
    }
}

/// A connection running catalogue statements, with the account locks its transaction holds.
struct PgDriver<'c> {
    conn: &'c mut Conn,
    /// Accounts whose advisory lock this transaction holds.
    locked: Vec<String>,
}

impl<'c> PgDriver<'c> {
    fn new(conn: &'c mut Conn) -> Self {
        Self {
            conn,
            locked: Vec::new(),
        }
    }
}

impl Driver for PgDriver<'_> {
    fn query<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        mut map: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let statement = self.conn.statement(sql.source(Dialect::Postgres))?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(as_sql).collect();
        let rows = self.conn.client.query(&statement, &params);
        let rows = rows.map_err(|e| self.conn.failed(e))?;
        rows.iter().map(|row| map(&PgRow(row))).collect()
    }

    fn query_one<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let statement = self.conn.statement(sql.source(Dialect::Postgres))?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(as_sql).collect();
        let row = self.conn.client.query_opt(&statement, &params);
        match row.map_err(|e| self.conn.failed(e))? {
            Some(row) => map(&PgRow(&row)).map(Some),
            None => Ok(None),
        }
    }

    fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64> {
        let statement = self.conn.statement(sql.source(Dialect::Postgres))?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(as_sql).collect();
        let changed = self.conn.client.execute(&statement, &params);
        changed.map_err(|e| self.conn.failed(e))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.batch(sql)
    }

    fn lock(&mut self, lock: Lock<'_>) -> Result<bool> {
        let id = match lock {
            Lock::Account(account_id) => {
                if !self.locked.iter().any(|a| a == account_id) {
                    self.execute(&sql::LOCK_ACCOUNT, &[Param::Text(account_id)])?;
                    self.locked.push(account_id.to_owned());
                }
                return Ok(true);
            }
            Lock::TrySweep => {
                let taken = self.query(&sql::TRY_LOCK, &[Param::Int(SWEEP_LOCK)], |row| {
                    Reader::new(row, "pg_try_advisory_xact_lock", &["taken"]).int(0)
                })?;
                return Ok(taken.first() == Some(&1));
            }
            Lock::Meta => META_LOCK,
            Lock::Migration => MIGRATION_LOCK,
        };
        self.execute(&sql::LOCK, &[Param::Int(id)]).map(|_| true)
    }

    fn is_unique_violation(error: &Error) -> bool {
        let Error::Database { source } = error else {
            return false;
        };
        source
            .downcast_ref::<postgres::Error>()
            .is_some_and(|e| e.code() == Some(&SqlState::UNIQUE_VIOLATION))
    }
}

fn as_sql<'p>(param: &'p Param<'_>) -> &'p (dyn ToSql + Sync) {
    match param {
        Param::Text(s) => s,
        Param::OptText(s) => s,
        Param::Int(n) => n,
        Param::OptInt(n) => n,
        Param::Blob(b) => b,
        Param::OptBlob(b) => b,
    }
}

struct PgRow<'r>(&'r postgres::Row);

impl Row for PgRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn cell(&self, i: usize) -> core::result::Result<Cell<'_>, String> {
        let row = self.0;
        let column = row.columns().get(i).ok_or("no such column")?;
        let cell = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Cell::Int)),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|n| Cell::Int(n.into()))),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map(|v| v.map(|b| Cell::Int(b.into()))),
            Type::TEXT | Type::VARCHAR => {
                row.try_get::<_, Option<&str>>(i).map(|v| v.map(Cell::Text))
            }
            Type::BYTEA => row
                .try_get::<_, Option<&[u8]>>(i)
                .map(|v| v.map(Cell::Blob)),
            ref other => return Err(format!("a value of type {other}")),
        };
        cell.map(|v| v.unwrap_or(Cell::Null))
            .map_err(|e| e.to_string())
    }
}

/// Drives a future of the pool to completion on this thread. They never wait on I/O (the client
/// blocks instead); they wait only for another thread to give a connection back, which wakes
/// this one.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}
