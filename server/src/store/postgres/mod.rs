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
//! path. The pool's futures never wait on I/O (the client blocks), so `futures-executor`'s `block_on`
//! drives them. Statements are prepared once per connection. A connection left in an unknown state (a
//! failed COMMIT or ROLLBACK) is closed, never reused; a transaction cut off midway is rolled back
//! by PostgreSQL.

mod driver;
mod pool;
mod tls;

use std::time::{Duration, Instant};

use deadpool::managed::{Object, Pool, QueueMode};
use postgres::SimpleQueryMessage;

use super::error::{Error, Result};
use super::rows::Param;
use super::sql;
use super::transaction::{Driver as _, Tx};
use super::{Store, Transaction, migrations};
use driver::PgDriver;
use futures_executor::block_on;
use pool::{CONNECT_TIMEOUT, Conn, Connector, MAX_CONNECTIONS};

/// Advisory lock ids (one namespace for byok-kms: the high half spells "BYOK").
pub(super) const MIGRATION_LOCK: i64 = 0x4259_4F4B_0000_0001;
pub(super) const META_LOCK: i64 = 0x4259_4F4B_0000_0002;
pub(super) const SWEEP_LOCK: i64 = 0x4259_4F4B_0000_0003;

/// A PostgreSQL database, shared by every instance started with its URL.
pub struct PostgresStore {
    pool: Pool<Connector>,
    /// What opening it migrated.
    migrated: migrations::Migrated,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`, with
    /// `?sslmode=verify-full&sslrootcert=CA.pem` for TLS: see [`tls`]) and brings the schema up
    /// to date.
    pub fn open(url: &str) -> Result<Self> {
        let tls = tls::from_url(url)?;
        let mut config: postgres::Config = tls.url.parse().map_err(|e| Error::InvalidUrl {
            url: super::any::redact(url),
            reason: format!("it is not a PostgreSQL URL: {e}"),
        })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("byok-kms")
            .ssl_mode(if tls.connector.is_some() {
                postgres::config::SslMode::Require
            } else {
                postgres::config::SslMode::Disable
            });
        let pool = Pool::builder(Connector {
            config,
            tls: tls.connector,
        })
        .max_size(MAX_CONNECTIONS)
        // The connection used last is the one least likely to need a check before reuse.
        .queue_mode(QueueMode::Lifo)
        .build()
        .map_err(|e| Error::Database {
            source: Box::new(e),
        })?;
        let mut store = Self {
            pool,
            migrated: migrations::Migrated::default(),
        };
        store.migrated = store.with_conn(|conn| {
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

    fn predates_row_macs(&self) -> bool {
        self.migrated.predates_row_macs
    }

    fn dump(&self) -> Result<String> {
        self.with_conn(|conn| super::rows::dump(&mut PgDriver::new(conn)))
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
