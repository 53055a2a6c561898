//! The schema, per dialect, and the one routine that brings a database up to date.
//!
//! Both dialects end at the same schema: the same tables, columns (in the same order, so dumps
//! compare), keys and indexes, with each dialect's types (`INTEGER`/`BLOB` against
//! `BIGINT`/`BYTEA`; SQLite's `INTEGER PRIMARY KEY` against an identity column). They got there
//! by different steps: SQLite's first schema predates key ordinals, the wrapping key pool and
//! nonce digests, which PostgreSQL support started with. `meta.schema_version` records how many
//! of its dialect's steps a database has run; a test checks that the results agree.

use super::error::{Error, Result};
use super::rows::{Param, Reader};
use super::sql;
use super::transaction::{Driver, Lock, Tx};

/// One schema migration.
pub enum Step {
    /// Statements without parameters.
    Sql(&'static str),
    /// SQLite's nonces keyed by (access key, nonce) text become keyed by
    /// [`super::nonce_digest`], as PostgreSQL's always were; SQLite has no SHA-256 of its own, so
    /// the digests are computed here.
    NoncesToDigests,
    /// Statements that add the columns of row MACs: a database that runs this step has rows
    /// without MACs, which the core then signs once ([`Migrated::predates_row_macs`]).
    RowMacs(&'static str),
}

/// What [`migrate`] found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Whether this open added the row MAC columns: the rows there are predate them.
    pub predates_row_macs: bool,
}

/// SQLite's migrations, in order.
pub const SQLITE: [Step; 8] = [
    Step::Sql(
        r"
        CREATE TABLE accounts (
            id          TEXT PRIMARY KEY,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE access_keys (
            id            TEXT PRIMARY KEY,
            account_id    TEXT NOT NULL REFERENCES accounts(id),
            sealed_secret BLOB NOT NULL
        );
        CREATE TABLE keys (
            seq                  INTEGER PRIMARY KEY,
            id                   TEXT NOT NULL UNIQUE,
            account_id           TEXT NOT NULL REFERENCES accounts(id),
            description          TEXT NOT NULL,
            key_spec             TEXT NOT NULL,
            origin               TEXT NOT NULL,
            protection_level     TEXT NOT NULL,
            state                TEXT NOT NULL,
            created_at           INTEGER NOT NULL,
            delete_date          INTEGER,
            version_id           TEXT NOT NULL,
            sealed_material      BLOB,
            fingerprint          BLOB,
            material_expire_at   INTEGER
        );
        CREATE INDEX keys_by_account ON keys(account_id, seq);
        CREATE INDEX keys_by_expiry ON keys(material_expire_at) WHERE material_expire_at IS NOT NULL;
        CREATE INDEX keys_by_delete_date ON keys(delete_date) WHERE delete_date IS NOT NULL;
        CREATE TABLE aliases (
            seq         INTEGER PRIMARY KEY,
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
            public_der      BLOB NOT NULL,
            sealed_private  BLOB NOT NULL,
            expires_at      INTEGER NOT NULL
        );
        CREATE INDEX wrapping_keys_by_expiry ON wrapping_keys(expires_at);
        CREATE TABLE nonces (
            access_key_id  TEXT NOT NULL,
            nonce          TEXT NOT NULL,
            expires_at     INTEGER NOT NULL,
            PRIMARY KEY (access_key_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX nonces_by_expiry ON nonces(expires_at);
        ",
    ),
    // SQLite can add a NOT NULL column only with a default; the UPDATE numbers existing keys.
    Step::Sql(
        r"
        ALTER TABLE keys ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
        UPDATE keys SET ordinal = numbered.n
        FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY seq) AS n FROM keys)
             AS numbered
        WHERE keys.seq = numbered.seq;
        CREATE INDEX keys_by_ordinal ON keys(account_id, ordinal);
        DROP INDEX keys_by_account;
        CREATE TABLE wrapping_key_pool (
            seq             INTEGER PRIMARY KEY,
            id              TEXT NOT NULL UNIQUE,
            public_der      BLOB NOT NULL,
            sealed_private  BLOB NOT NULL
        );
        ",
    ),
    Step::NoncesToDigests,
    // Row MACs (written and checked by the core) and each account's count of outstanding
    // wrapping keys, for its quota.
    Step::RowMacs(
        r"
        ALTER TABLE access_keys ADD COLUMN mac BLOB;
        ALTER TABLE keys ADD COLUMN mac BLOB;
        ALTER TABLE aliases ADD COLUMN mac BLOB;
        ALTER TABLE accounts ADD COLUMN wrapping_keys INTEGER NOT NULL DEFAULT 0;
        UPDATE accounts SET wrapping_keys =
            (SELECT COUNT(*) FROM wrapping_keys w WHERE w.account_id = accounts.id);
        ",
    ),
    // Tags on keys: a JSON array of [key, value] pairs (labels, not in the row MAC).
    Step::Sql("ALTER TABLE keys ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';"),
    // Asymmetric keys: each key's usage (NULL in older rows, which all encrypt and decrypt).
    Step::Sql("ALTER TABLE keys ADD COLUMN key_usage TEXT;"),
    // AWS access keys beside Alibaba ones: which API's signatures each key makes (NULL in older
    // rows, which are all Alibaba keys).
    Step::Sql("ALTER TABLE access_keys ADD COLUMN kind TEXT;"),
    // Rotation of imported material: a key's other materials (JSON; NULL in older rows, which
    // have one material) and the soonest of their expiries, for the sweep.
    Step::Sql(
        "ALTER TABLE keys ADD COLUMN materials TEXT;
         ALTER TABLE keys ADD COLUMN next_expiry INTEGER;
         CREATE INDEX keys_by_next_expiry ON keys(next_expiry) WHERE next_expiry IS NOT NULL;",
    ),
];

/// PostgreSQL's migrations, in order.
pub const POSTGRES: [Step; 6] = [
    Step::Sql(
        r"
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
    ",
    ),
    Step::RowMacs(
        r"
        ALTER TABLE access_keys ADD COLUMN mac BYTEA;
        ALTER TABLE keys ADD COLUMN mac BYTEA;
        ALTER TABLE aliases ADD COLUMN mac BYTEA;
        ALTER TABLE accounts ADD COLUMN wrapping_keys BIGINT NOT NULL DEFAULT 0;
        UPDATE accounts SET wrapping_keys =
            (SELECT COUNT(*) FROM wrapping_keys w WHERE w.account_id = accounts.id);
        ",
    ),
    Step::Sql("ALTER TABLE keys ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';"),
    // Asymmetric keys: each key's usage (NULL in older rows, which all encrypt and decrypt).
    Step::Sql("ALTER TABLE keys ADD COLUMN key_usage TEXT;"),
    // AWS access keys beside Alibaba ones (NULL: an Alibaba key).
    Step::Sql("ALTER TABLE access_keys ADD COLUMN kind TEXT;"),
    // Rotation of imported material (NULL: one material).
    Step::Sql(
        "ALTER TABLE keys ADD COLUMN materials TEXT;
         ALTER TABLE keys ADD COLUMN next_expiry BIGINT;
         CREATE INDEX keys_by_next_expiry ON keys(next_expiry) WHERE next_expiry IS NOT NULL;",
    ),
];

/// Runs the `steps` a database has not run yet, in `tx` (the caller commits it), under the
/// migration lock. Running it again changes nothing.
pub fn migrate<D: Driver>(tx: &mut Tx<D>, steps: &[Step]) -> Result<Migrated> {
    tx.driver.lock(Lock::Migration)?;
    tx.wrote = true;
    tx.driver.batch(sql::CREATE_META)?;
    let version = tx
        .driver
        .query(&sql::META, &[Param::Text("schema_version")], |row| {
            let r = Reader::new(row, "meta", &["value"]);
            r.str(0)?
                .parse::<u64>()
                .map_err(|e| Error::corrupt("meta", "value", format!("schema_version: {e}")))
        })?;
    let done = version.into_iter().next().unwrap_or(0);
    let known = steps.len() as u64;
    if done > known {
        return Err(Error::SchemaTooNew { found: done, known });
    }
    let mut migrated = Migrated::default();
    for (i, step) in steps.iter().enumerate().skip(done as usize) {
        match step {
            Step::Sql(statements) => tx.driver.batch(statements)?,
            Step::NoncesToDigests => nonces_to_digests(&mut tx.driver)?,
            Step::RowMacs(statements) => {
                tx.driver.batch(statements)?;
                migrated.predates_row_macs = true;
            }
        }
        let version = (i + 1).to_string();
        tx.driver.execute(
            &sql::SET_META,
            &[Param::Text("schema_version"), Param::Text(&version)],
        )?;
    }
    Ok(migrated)
}

fn nonces_to_digests<D: Driver>(driver: &mut D) -> Result<()> {
    driver.batch(
        "CREATE TABLE nonce_digests (
             digest      BLOB PRIMARY KEY,
             expires_at  INTEGER NOT NULL
         ) WITHOUT ROWID;",
    )?;
    let old = driver.query(&sql::OLD_NONCES, &[], |row| {
        let r = Reader::new(row, "nonces", &["access_key_id", "nonce", "expires_at"]);
        Ok((super::nonce_digest(r.str(0)?, r.str(1)?), r.int(2)?))
    })?;
    for (digest, expires_at) in &old {
        driver.execute(
            &sql::NONCE_DIGEST,
            &[Param::Blob(digest), Param::Int(*expires_at)],
        )?;
    }
    driver.batch(
        "DROP TABLE nonces;
         ALTER TABLE nonce_digests RENAME TO nonces;
         CREATE INDEX nonces_by_expiry ON nonces(expires_at);",
    )
}
