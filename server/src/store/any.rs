//! The store a `--database-url` chooses at run time.

use super::{Error, PostgresStore, Result, SqliteStore, Store, Transaction};

/// SQLite (the default) or PostgreSQL.
#[allow(clippy::large_enum_variant)] // one per process, never moved on a hot path
pub enum AnyStore {
    /// An embedded SQLite file, one process.
    Sqlite(SqliteStore),
    /// A PostgreSQL database, shared by any number of instances.
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Opens the store `url` names: `postgres://…` or `postgresql://…` for PostgreSQL,
    /// `sqlite:PATH` (or `sqlite://PATH`) for a SQLite file.
    pub fn open(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return PostgresStore::open(url).map(Self::Postgres);
        }
        match url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Some(path) => SqliteStore::open(std::path::Path::new(path)).map(Self::Sqlite),
            None => Err(Error::InvalidUrl {
                url: redact(url),
                reason: "use sqlite:PATH or postgres://USER@HOST:PORT/DB".to_owned(),
            }),
        }
    }

    /// [`Store::dump`], callable without the trait in scope.
    pub fn dump(&self) -> Result<String> {
        Store::dump(self)
    }
}

/// A URL with any password replaced, for messages.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store for AnyStore {
    fn transaction<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut dyn Transaction) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E> {
        match self {
            Self::Sqlite(s) => s.transaction(work),
            Self::Postgres(s) => s.transaction(work),
        }
    }

    fn purge_erased(&self) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.purge_erased(),
            Self::Postgres(s) => s.purge_erased(),
        }
    }

    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool> {
        match self {
            Self::Sqlite(s) => s.use_nonce(access_key_id, nonce, now, expires_at),
            Self::Postgres(s) => s.use_nonce(access_key_id, nonce, now, expires_at),
        }
    }

    fn flush_nonces(&self) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.flush_nonces(),
            Self::Postgres(s) => s.flush_nonces(),
        }
    }

    fn predates_row_macs(&self) -> bool {
        match self {
            Self::Sqlite(s) => s.predates_row_macs(),
            Self::Postgres(s) => s.predates_row_macs(),
        }
    }

    fn maintain(&self, now: i64) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.maintain(now),
            Self::Postgres(s) => s.maintain(now),
        }
    }

    fn reads_are_quick(&self) -> bool {
        match self {
            Self::Sqlite(s) => s.reads_are_quick(),
            Self::Postgres(s) => s.reads_are_quick(),
        }
    }

    fn dump(&self) -> Result<String> {
        match self {
            Self::Sqlite(s) => s.dump(),
            Self::Postgres(s) => s.dump(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("mysql://kms:hunter2@db:3306/kms"),
            "mysql://kms:***@db:3306/kms"
        );
        assert_eq!(redact("mysql://db/kms"), "mysql://db/kms");
        let Err(e) = AnyStore::open("mysql://kms:hunter2@db/kms") else {
            panic!("opened a MySQL URL");
        };
        assert!(!format!("{e}").contains("hunter2"));
    }
}
