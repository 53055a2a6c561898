//! How the shared [`Transaction`](super::super::Transaction) implementation talks to PostgreSQL:
//! statements prepared once per connection, parameters and cells converted, advisory locks.

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};

use super::super::error::{Error, Result};
use super::super::rows::{Cell, Param, Reader, Row};
use super::super::sql::{self, Dialect, Sql};
use super::super::transaction::{Driver, Lock};
use super::pool::Conn;
use super::{META_LOCK, MIGRATION_LOCK, SWEEP_LOCK};

/// A connection running catalogue statements, with the account locks its transaction holds.
pub(super) struct PgDriver<'c> {
    conn: &'c mut Conn,
    /// Accounts whose advisory lock this transaction holds.
    locked: Vec<String>,
}

impl<'c> PgDriver<'c> {
    pub(super) fn new(conn: &'c mut Conn) -> Self {
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
