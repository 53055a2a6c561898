//! Every statement the stores run, written once.
//!
//! Statements use SQLite's numbered placeholders (`?1`, `?2`, …); for PostgreSQL they become
//! `$1`, `$2`, … ([`Dialect::text`]) when a connection first prepares them. A statement has a
//! second text only where the dialects truly differ, and says why there. The texts contain no `?`
//! other than placeholders (a test checks), so the rewrite needs no SQL parser.

use std::borrow::Cow;

/// The SQL dialect of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (bundled with rusqlite).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

/// One statement of the catalogue.
#[derive(Debug)]
pub struct Sql {
    /// The statement, with `?N` placeholders.
    pub sqlite: &'static str,
    /// PostgreSQL's own text where it differs, also with `?N` placeholders.
    pub postgres: Option<&'static str>,
}

impl Sql {
    /// A statement both dialects run as written.
    const fn same(text: &'static str) -> Self {
        Self {
            sqlite: text,
            postgres: None,
        }
    }

    /// A statement whose PostgreSQL form differs (each use says why).
    const fn differs(sqlite: &'static str, postgres: &'static str) -> Self {
        Self {
            sqlite,
            postgres: Some(postgres),
        }
    }

    /// The statement's text in `dialect`, before placeholders are rewritten: a `'static` string,
    /// so a connection can cache its prepared form under it.
    pub fn source(&self, dialect: Dialect) -> &'static str {
        match (dialect, self.postgres) {
            (Dialect::Postgres, Some(text)) => text,
            _ => self.sqlite,
        }
    }
}

impl Dialect {
    /// `source` with its placeholders in this dialect's form.
    pub fn text(self, source: &'static str) -> Cow<'static, str> {
        match self {
            Self::Sqlite => Cow::Borrowed(source),
            Self::Postgres => Cow::Owned(source.replace('?', "$")),
        }
    }
}

/// The columns of `keys` that make a [`crate::kms::key::Key`], in the order the row mapper reads.
macro_rules! key_columns {
    () => {
        "id, account_id, description, key_spec, origin, protection_level, state, created_at, \
         delete_date, version_id, sealed_material, fingerprint, material_expire_at, mac, tags, key_usage, materials"
    };
}

/// The schema's table of server-wide settings, created before any migration runs (it records
/// which ran).
pub const CREATE_META: &str =
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)";

// ---- meta and accounts -------------------------------------------------------------------------

pub const META: Sql = Sql::same("SELECT value FROM meta WHERE name = ?1");
pub const SET_META: Sql = Sql::same(
    "INSERT INTO meta (name, value) VALUES (?1, ?2)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
);
pub const INSERT_ACCOUNT: Sql = Sql::same("INSERT INTO accounts (id, created_at) VALUES (?1, ?2)");
pub const ACCESS_KEY: Sql =
    Sql::same("SELECT id, account_id, sealed_secret, mac, kind FROM access_keys WHERE id = ?1");
pub const PUT_ACCESS_KEY: Sql = Sql::same(
    "INSERT INTO access_keys (id, account_id, sealed_secret, mac, kind) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
                                    sealed_secret = excluded.sealed_secret,
                                    mac = excluded.mac,
                                    kind = excluded.kind",
);
pub const UNSIGNED_ACCESS_KEYS: Sql = Sql::same(
    "SELECT id, account_id, sealed_secret, mac, kind FROM access_keys WHERE mac IS NULL
     ORDER BY id LIMIT ?1",
);

// ---- keys --------------------------------------------------------------------------------------

/// `ordinal` numbers an account's keys 1, 2, 3… without gaps (PostgreSQL takes the account's
/// advisory lock first, which makes MAX + 1 safe across instances), so that a page of ListKeys is
/// an index range however deep it is.
pub const INSERT_KEY: Sql = Sql::same(concat!(
    "INSERT INTO keys (",
    key_columns!(),
    ", next_expiry, ordinal)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
        (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM keys WHERE account_id = ?2))"
));
/// PostgreSQL locks the row (`FOR NO KEY UPDATE`) so that whatever reads a key and may then
/// change it runs one at a time per key across instances; SQLite's write transaction holds the
/// whole database already.
pub const KEY: Sql = Sql::differs(
    concat!(
        "SELECT ",
        key_columns!(),
        " FROM keys WHERE id = ?1 AND account_id = ?2"
    ),
    concat!(
        "SELECT ",
        key_columns!(),
        " FROM keys WHERE id = ?1 AND account_id = ?2 FOR NO KEY UPDATE"
    ),
);
pub const UPDATE_KEY: Sql = Sql::same(
    "UPDATE keys SET description = ?3, state = ?4, delete_date = ?5,
            sealed_material = ?6, fingerprint = ?7, material_expire_at = ?8, mac = ?9,
            tags = ?10, version_id = ?11, materials = ?12, next_expiry = ?13
     WHERE id = ?1 AND account_id = ?2",
);
pub const UNSIGNED_KEYS: Sql = Sql::same(concat!(
    "SELECT ",
    key_columns!(),
    " FROM keys WHERE mac IS NULL ORDER BY seq LIMIT ?1"
));
pub const KEY_ORDINAL: Sql =
    Sql::same("SELECT ordinal FROM keys WHERE account_id = ?1 AND id = ?2");
pub const DELETE_KEY_ALIASES: Sql =
    Sql::same("DELETE FROM aliases WHERE account_id = ?1 AND key_id = ?2");
pub const DELETE_KEY: Sql = Sql::same("DELETE FROM keys WHERE account_id = ?1 AND id = ?2");
/// Closes the gap a deleted key leaves (rare: keys are deleted only at the end of their pending
/// window).
pub const CLOSE_ORDINAL_GAP: Sql =
    Sql::same("UPDATE keys SET ordinal = ordinal - 1 WHERE account_id = ?1 AND ordinal > ?2");
pub const KEY_COUNT: Sql =
    Sql::same("SELECT COALESCE(MAX(ordinal), 0) FROM keys WHERE account_id = ?1");
pub const KEY_PAGE: Sql = Sql::same(
    "SELECT id FROM keys WHERE account_id = ?1 AND ordinal > ?2 AND ordinal <= ?3
     ORDER BY ordinal",
);
pub const DUE_KEYS: Sql = Sql::same(
    "SELECT account_id, id FROM keys
     WHERE (material_expire_at <= ?1 AND sealed_material IS NOT NULL)
        OR next_expiry <= ?1
        OR (state = 'PendingDeletion' AND delete_date <= ?1)
     ORDER BY account_id, id
     LIMIT ?2",
);

// ---- aliases -----------------------------------------------------------------------------------

pub const ALIAS: Sql = Sql::same(
    "SELECT account_id, name, key_id, mac FROM aliases WHERE account_id = ?1 AND name = ?2",
);
pub const INSERT_ALIAS: Sql =
    Sql::same("INSERT INTO aliases (account_id, name, key_id, mac) VALUES (?1, ?2, ?3, ?4)");
pub const UPDATE_ALIAS: Sql =
    Sql::same("UPDATE aliases SET key_id = ?3, mac = ?4 WHERE account_id = ?1 AND name = ?2");
pub const UNSIGNED_ALIASES: Sql = Sql::same(
    "SELECT account_id, name, key_id, mac FROM aliases WHERE mac IS NULL ORDER BY seq LIMIT ?1",
);
pub const DELETE_ALIAS: Sql = Sql::same("DELETE FROM aliases WHERE account_id = ?1 AND name = ?2");
/// The `CAST` gives PostgreSQL the type of a parameter that may be NULL.
pub const ALIAS_COUNT: Sql = Sql::same(
    "SELECT COUNT(*) FROM aliases
     WHERE account_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR key_id = ?2)",
);
pub const ALIAS_PAGE: Sql = Sql::same(
    "SELECT account_id, name, key_id, mac FROM aliases
     WHERE account_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR key_id = ?2)
     ORDER BY seq LIMIT ?3 OFFSET ?4",
);

// ---- wrapping keys and the pool ----------------------------------------------------------------

pub const INSERT_WRAPPING_KEY: Sql = Sql::same(
    "INSERT INTO wrapping_keys (id, account_id, key_id, public_der, sealed_private, expires_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
);
pub const WRAPPING_KEY: Sql = Sql::same(
    "SELECT id, account_id, key_id, public_der, sealed_private, expires_at
     FROM wrapping_keys WHERE id = ?1",
);
/// Each account counts the wrapping keys it holds, for its quota: a COUNT over them on every
/// GetParametersForImport would cost as much as the account holds.
pub const COUNT_WRAPPING_KEY: Sql =
    Sql::same("UPDATE accounts SET wrapping_keys = wrapping_keys + 1 WHERE id = ?1");
pub const WRAPPING_KEY_COUNT: Sql = Sql::same("SELECT wrapping_keys FROM accounts WHERE id = ?1");
pub const DELETE_EXPIRED_WRAPPING_KEYS: Sql =
    Sql::same("DELETE FROM wrapping_keys WHERE expires_at < ?1 RETURNING account_id");
/// The scalar maximum is `MAX` in SQLite and `GREATEST` in PostgreSQL (whose `MAX` is only an
/// aggregate).
pub const UNCOUNT_WRAPPING_KEYS: Sql = Sql::differs(
    "UPDATE accounts SET wrapping_keys = MAX(wrapping_keys - ?2, 0) WHERE id = ?1",
    "UPDATE accounts SET wrapping_keys = GREATEST(wrapping_keys - ?2, 0) WHERE id = ?1",
);
pub const INSERT_POOL_KEY: Sql =
    Sql::same("INSERT INTO wrapping_key_pool (id, public_der, sealed_private) VALUES (?1, ?2, ?3)");
/// PostgreSQL skips rows another instance is claiming at this moment (`SKIP LOCKED`) instead of
/// waiting for them; the DELETE makes each claim final at commit. SQLite has one writer at a time
/// and no row locks.
pub const CLAIM_POOL_KEYS: Sql = Sql::differs(
    "DELETE FROM wrapping_key_pool
     WHERE seq IN (SELECT seq FROM wrapping_key_pool ORDER BY seq LIMIT ?1)
     RETURNING id, public_der, sealed_private",
    "DELETE FROM wrapping_key_pool
     WHERE seq IN (SELECT seq FROM wrapping_key_pool ORDER BY seq LIMIT ?1
                   FOR UPDATE SKIP LOCKED)
     RETURNING id, public_der, sealed_private",
);
pub const POOL_SIZE: Sql = Sql::same("SELECT COUNT(*) FROM wrapping_key_pool");

// ---- signature nonces --------------------------------------------------------------------------

pub const DELETE_EXPIRED_NONCES: Sql = Sql::same("DELETE FROM nonces WHERE expires_at < ?1");
/// SQLite only: its nonces are checked in memory and stored in batches by this statement.
/// (PostgreSQL checks and records one in a single round trip of its own, see `postgres.rs`.)
pub const STORE_NONCE: Sql = Sql::same(
    "INSERT INTO nonces (digest, expires_at) VALUES (?1, ?2)
     ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at",
);
/// SQLite only: the nonces it loads into memory when it opens.
pub const ALL_NONCES: Sql = Sql::same("SELECT digest, expires_at FROM nonces");
/// SQLite only, migrating: nonces as schema version 2 stored them.
pub const OLD_NONCES: Sql = Sql::same("SELECT access_key_id, nonce, expires_at FROM nonces");
/// SQLite only, migrating: a nonce of the old table, by digest.
pub const NONCE_DIGEST: Sql =
    Sql::same("INSERT INTO nonce_digests (digest, expires_at) VALUES (?1, ?2)");

// ---- PostgreSQL's locks ------------------------------------------------------------------------

/// Serializes transactions creating or deleting keys of one account, across instances.
pub const LOCK_ACCOUNT: Sql = Sql::same("SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))");
/// Takes one of byok-kms's own advisory locks until the transaction ends.
pub const LOCK: Sql = Sql::same("SELECT pg_advisory_xact_lock(?1)");
/// The same without waiting: true if it was free.
pub const TRY_LOCK: Sql = Sql::same("SELECT pg_try_advisory_xact_lock(?1)");

// ---- dump --------------------------------------------------------------------------------------

/// Every table that holds KMS state, with the statement that reads it in a stable order: what
/// `dump` writes, so that two dumps are equal exactly when the state is. Signature nonces are
/// left out: they are bookkeeping of the authentication layer, recorded even for requests that
/// then fail.
pub const DUMP: [(&str, Sql); 6] = [
    ("meta", Sql::same("SELECT * FROM meta ORDER BY name")),
    ("accounts", Sql::same("SELECT * FROM accounts ORDER BY id")),
    (
        "access_keys",
        Sql::same("SELECT * FROM access_keys ORDER BY id"),
    ),
    ("keys", Sql::same("SELECT * FROM keys ORDER BY seq")),
    ("aliases", Sql::same("SELECT * FROM aliases ORDER BY seq")),
    (
        "wrapping_keys",
        Sql::same("SELECT * FROM wrapping_keys ORDER BY id"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement of the catalogue, for the checks below.
    fn catalogue() -> Vec<&'static str> {
        let all = [
            &META,
            &SET_META,
            &INSERT_ACCOUNT,
            &ACCESS_KEY,
            &PUT_ACCESS_KEY,
            &INSERT_KEY,
            &KEY,
            &UPDATE_KEY,
            &KEY_ORDINAL,
            &DELETE_KEY_ALIASES,
            &DELETE_KEY,
            &CLOSE_ORDINAL_GAP,
            &KEY_COUNT,
            &KEY_PAGE,
            &DUE_KEYS,
            &ALIAS,
            &INSERT_ALIAS,
            &UPDATE_ALIAS,
            &DELETE_ALIAS,
            &ALIAS_COUNT,
            &ALIAS_PAGE,
            &INSERT_WRAPPING_KEY,
            &WRAPPING_KEY,
            &DELETE_EXPIRED_WRAPPING_KEYS,
            &COUNT_WRAPPING_KEY,
            &WRAPPING_KEY_COUNT,
            &UNCOUNT_WRAPPING_KEYS,
            &UNSIGNED_KEYS,
            &UNSIGNED_ALIASES,
            &UNSIGNED_ACCESS_KEYS,
            &INSERT_POOL_KEY,
            &CLAIM_POOL_KEYS,
            &POOL_SIZE,
            &DELETE_EXPIRED_NONCES,
            &STORE_NONCE,
            &ALL_NONCES,
            &OLD_NONCES,
            &NONCE_DIGEST,
            &LOCK_ACCOUNT,
            &LOCK,
            &TRY_LOCK,
        ];
        all.iter()
            .flat_map(|s| [s.sqlite].into_iter().chain(s.postgres))
            .chain(DUMP.iter().map(|(_, s)| s.sqlite))
            .collect()
    }

    #[test]
    fn every_question_mark_is_a_numbered_placeholder() {
        for text in catalogue() {
            for (i, _) in text.match_indices('?') {
                assert!(
                    text[i + 1..].starts_with(|c: char| c.is_ascii_digit()),
                    "a ? that is no placeholder in {text}"
                );
            }
        }
    }

    #[test]
    fn placeholders_become_postgres_style() {
        assert_eq!(
            Dialect::Postgres.text(UPDATE_ALIAS.source(Dialect::Postgres)),
            "UPDATE aliases SET key_id = $3, mac = $4 WHERE account_id = $1 AND name = $2"
        );
        assert!(
            Dialect::Postgres
                .text(KEY.source(Dialect::Postgres))
                .ends_with("FOR NO KEY UPDATE")
        );
        assert!(!KEY.source(Dialect::Sqlite).contains("FOR"));
    }
}
