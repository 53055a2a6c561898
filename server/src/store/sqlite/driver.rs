//! How the shared [`Transaction`](super::super::Transaction) implementation talks to SQLite:
//! catalogue statements prepared once per connection, parameters and cells converted, errors
//! kept with their source.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::super::error::{Error, Result};
use super::super::rows::{Cell, Param, Row};
use super::super::sql::{Dialect, Sql};
use super::super::transaction::{Driver, Lock};

/// A connection (or a transaction on it: it derefs to one) running catalogue statements, each
/// prepared once and cached by the connection.
pub(super) struct SqliteDriver<'c>(pub(super) &'c Connection);

impl Driver for SqliteDriver<'_> {
    fn query<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        mut map: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = self
            .0
            .prepare_cached(sql.source(Dialect::Sqlite))
            .map_err(db)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(db)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db)? {
            out.push(map(&SqliteRow(row))?);
        }
        Ok(out)
    }

    fn query_one<T>(
        &mut self,
        sql: &Sql,
        params: &[Param<'_>],
        map: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut statement = self
            .0
            .prepare_cached(sql.source(Dialect::Sqlite))
            .map_err(db)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(db)?;
        match rows.next().map_err(db)? {
            Some(row) => map(&SqliteRow(row)).map(Some),
            None => Ok(None),
        }
    }

    fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64> {
        let changed = self
            .0
            .prepare_cached(sql.source(Dialect::Sqlite))
            .map_err(db)?
            .execute(rusqlite::params_from_iter(params))
            .map_err(db)?;
        Ok(changed as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(db)
    }

    fn lock(&mut self, _: Lock<'_>) -> Result<bool> {
        // Every transaction is IMMEDIATE: it holds the database's one write lock already.
        Ok(true)
    }

    fn is_unique_violation(error: &Error) -> bool {
        let Error::Database { source } = error else {
            return false;
        };
        matches!(
            source.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        let value = match *self {
            Param::Text(s) | Param::OptText(Some(s)) => ValueRef::Text(s.as_bytes()),
            Param::Int(n) | Param::OptInt(Some(n)) => ValueRef::Integer(n),
            Param::Blob(b) | Param::OptBlob(Some(b)) => ValueRef::Blob(b),
            Param::OptText(None) | Param::OptInt(None) | Param::OptBlob(None) => ValueRef::Null,
        };
        Ok(rusqlite::types::ToSqlOutput::Borrowed(value))
    }
}

pub(super) struct SqliteRow<'a, 'r>(pub(super) &'a rusqlite::Row<'r>);

impl Row for SqliteRow<'_, '_> {
    fn len(&self) -> usize {
        self.0.as_ref().column_count()
    }

    fn cell(&self, i: usize) -> core::result::Result<Cell<'_>, String> {
        match self.0.get_ref(i).map_err(|e| e.to_string())? {
            ValueRef::Null => Ok(Cell::Null),
            ValueRef::Integer(n) => Ok(Cell::Int(n)),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(Cell::Text)
                .map_err(|_| "text that is not UTF-8".to_owned()),
            ValueRef::Blob(b) => Ok(Cell::Blob(b)),
            ValueRef::Real(_) => Err("a floating-point number".to_owned()),
        }
    }
}

pub(super) fn db(e: rusqlite::Error) -> Error {
    Error::Database {
        source: Box::new(e),
    }
}
