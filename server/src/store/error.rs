//! What a store call can fail with. The store reports what happened to the data; what that means
//! to a client (a 503, an `AliasAlreadyExists`, a logged internal failure) is the core's decision.

/// A driver's error, kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias of the store.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything a store call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database cannot be reached now: the connection failed or was cut, or the server is
    /// starting, restarting or shutting down. A later call may succeed (the store connects again
    /// by itself); nothing of a transaction cut off midway was committed.
    #[error("the database cannot be reached")]
    Unavailable {
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// Any other failure of the database or its driver (a disk error, a broken statement).
    #[error("the database failed")]
    Database {
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// A stored value that cannot be read back as what its column holds (an unknown `origin`,
    /// text that is not UTF-8, a wrong type): the data was changed outside byok-kms, or by a
    /// newer version. Never a client's mistake.
    #[error("a stored value is corrupt: {table}.{column}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong with the value (never the value of a secret column).
        detail: String,
    },

    /// A row with the same unique key exists: another transaction (on another instance, say)
    /// created it after this one looked. The transaction is then rolled back.
    #[error("{table}: {key:?} exists already")]
    Conflict {
        /// The table.
        table: &'static str,
        /// The unique key, as the caller gave it (an alias name).
        key: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// An update of a row that is not stored (a caller's broken invariant: it writes back only
    /// rows it read in the same transaction).
    #[error("{table}: {key:?} is not stored")]
    Missing {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
    },

    /// The database was migrated by a newer byok-kms, whose schema this one does not know.
    #[error(
        "the database has schema version {found}, newer than this byok-kms knows ({known}); \
         run the newer byok-kms"
    )]
    SchemaTooNew {
        /// The database's version.
        found: u64,
        /// The newest version this build knows.
        known: u64,
    },

    /// A file operation of the store failed (flushing SQLite's write-ahead log or its directory).
    #[error("{what}")]
    Io {
        /// What was being done, with the file's path.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A `--database-url` that names no store this build has, or that does not parse.
    #[error("the database URL {url:?} cannot be used: {reason}")]
    InvalidUrl {
        /// The URL, any password replaced.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Corrupt`].
    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::Corrupt {
            table,
            column,
            detail: detail.into(),
        }
    }

    /// Whether the database could not be reached (a later call may succeed).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Whether a unique key was taken meanwhile ([`Error::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }
}
