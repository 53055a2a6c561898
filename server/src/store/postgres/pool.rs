//! The connection pool's manager: how `deadpool` opens, checks and recycles connections (the
//! module above says why this pool).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement};

use super::super::error::{Error, Result};
use super::super::sql::Dialect;

/// How long connecting may take before a request gives up with [`Error::Unavailable`].
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections one instance opens at most; more concurrent requests wait for one.
pub(super) const MAX_CONNECTIONS: usize = 64;

/// A connection idle for longer than this is checked (one round trip) before it is used again: the
/// database may have restarted meanwhile, and a request should not fail on a dead connection once
/// the database is back.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens and recycles the pool's connections.
pub(super) struct Connector {
    pub(super) config: postgres::Config,
    /// TLS, if the URL asks for it.
    pub(super) tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

/// A connection with the statements prepared on it: each statement is parsed once per
/// connection, and then costs one round trip.
pub(super) struct Conn {
    pub(super) client: Client,
    pub(super) statements: HashMap<&'static str, Statement>,
    /// False once something left its session in an unknown state: it is then closed, not reused.
    pub(super) reusable: bool,
    /// Whether a call found the database unreachable through it.
    pub(super) lost: bool,
    /// When it was last given back to the pool.
    pub(super) returned: Instant,
}

impl managed::Manager for Connector {
    type Type = Conn;
    type Error = postgres::Error;

    async fn create(&self) -> core::result::Result<Conn, postgres::Error> {
        // Blocks this thread (at most CONNECT_TIMEOUT): the pool runs on the caller's thread.
        let client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone())?,
            None => self.config.connect(NoTls)?,
        };
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

impl Conn {
    /// The statement prepared on this connection, preparing it on first use.
    pub(super) fn statement(&mut self, source: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(source) {
            return Ok(statement.clone());
        }
        let prepared = self.client.prepare(&Dialect::Postgres.text(source));
        let statement = prepared.map_err(|e| self.failed(e))?;
        self.statements.insert(source, statement.clone());
        Ok(statement)
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        let done = self.client.batch_execute(sql);
        done.map_err(|e| self.failed(e))
    }

    /// A driver error as the store reports it: [`Error::Unavailable`] when the database is
    /// unreachable, restarting or shutting down (the caller may simply retry), which also marks
    /// this connection lost; otherwise [`Error::Database`].
    pub(super) fn failed(&mut self, e: postgres::Error) -> Error {
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
