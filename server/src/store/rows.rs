//! Values in and out of both drivers, and the one place where a row becomes a [`Key`], an
//! [`Alias`], an [`AccessKey`], a [`WrappingKey`] or a [`PoolKey`].
//!
//! Each driver reads a column into a [`Cell`] (its value as NULL, an integer, text or bytes) and
//! takes parameters as [`Param`]s; nothing else here knows which database it talks to. A value
//! that is not what its column must hold becomes [`Error::Corrupt`], naming the table and column.

use super::error::{Error, Result};
use crate::kms::account::{AccessKey, AccessKeyKind};
use crate::kms::alias::Alias;
use crate::kms::import::{PoolKey, WrappingKey};
use crate::kms::key::{Key, KeyUsage, Origin, ProtectionLevel};
use crate::kms::key_spec::KeySpec;
use crate::kms::material::Materials;
use crate::kms::state::KeyState;
use crate::kms::tag::Tag;

/// A statement parameter.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// A 64-bit integer.
    Int(i64),
    /// An integer or NULL.
    OptInt(Option<i64>),
    /// Bytes.
    Blob(&'a [u8]),
    /// Bytes or NULL.
    OptBlob(Option<&'a [u8]>),
}

/// One column of a result row, borrowed from the driver's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// An integer (or a boolean, as 0 or 1).
    Int(i64),
    /// UTF-8 text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A result row of either driver.
pub trait Row {
    /// How many columns it has.
    fn len(&self) -> usize;
    /// Column `i`, or what makes it unreadable (a type this store never writes).
    fn cell(&self, i: usize) -> core::result::Result<Cell<'_>, String>;
}

/// Reads the columns of one row of `table`, named `columns` in the order the statement selects
/// them, into Rust values.
pub struct Reader<'r> {
    row: &'r dyn Row,
    table: &'static str,
    columns: &'static [&'static str],
}

impl<'r> Reader<'r> {
    /// A reader of `row`.
    pub fn new(row: &'r dyn Row, table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            row,
            table,
            columns,
        }
    }

    fn corrupt(&self, i: usize, detail: impl Into<String>) -> Error {
        Error::corrupt(
            self.table,
            self.columns.get(i).copied().unwrap_or("?"),
            detail,
        )
    }

    fn cell(&self, i: usize) -> Result<Cell<'r>> {
        self.row.cell(i).map_err(|detail| self.corrupt(i, detail))
    }

    fn wrong(&self, i: usize, wanted: &str, got: Cell<'_>) -> Error {
        let got = match got {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "bytes",
        };
        self.corrupt(i, format!("{got} where {wanted} is stored"))
    }

    /// Text.
    pub fn str(&self, i: usize) -> Result<&'r str> {
        match self.cell(i)? {
            Cell::Text(s) => Ok(s),
            other => Err(self.wrong(i, "text", other)),
        }
    }

    /// Text, owned.
    pub fn text(&self, i: usize) -> Result<String> {
        self.str(i).map(str::to_owned)
    }

    /// An integer, or NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(n) => Ok(Some(n)),
            other => Err(self.wrong(i, "an integer", other)),
        }
    }

    /// An integer.
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.cell(i)? {
            Cell::Int(n) => Ok(n),
            other => Err(self.wrong(i, "an integer", other)),
        }
    }

    /// A count or a position: an integer that is not negative.
    pub fn count(&self, i: usize) -> Result<u64> {
        let n = self.int(i)?;
        u64::try_from(n).map_err(|_| self.corrupt(i, format!("{n}, where a count is stored")))
    }

    /// Bytes, or NULL.
    pub fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Blob(b) => Ok(Some(b.to_vec())),
            other => Err(self.wrong(i, "bytes", other)),
        }
    }

    /// Bytes.
    pub fn blob(&self, i: usize) -> Result<Vec<u8>> {
        match self.cell(i)? {
            Cell::Blob(b) => Ok(b.to_vec()),
            other => Err(self.wrong(i, "bytes", other)),
        }
    }

    /// NULL, or text that must be one of the names `parse` knows.
    pub fn opt_name<T>(
        &self,
        i: usize,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.name(i, parse).map(Some),
        }
    }

    /// Text that must be one of the names `parse` knows.
    pub fn name<T>(&self, i: usize, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
        let s = self.str(i)?;
        parse(s).ok_or_else(|| {
            self.corrupt(
                i,
                format!(
                    "{:?} is no value byok-kms writes",
                    crate::kms::rules::echo(s)
                ),
            )
        })
    }
}

impl Reader<'_> {
    /// A key's tags, stored as a JSON array of `[key, value]` pairs.
    pub fn tags(&self, i: usize) -> Result<Vec<Tag>> {
        let text = self.str(i)?;
        let pairs: Vec<(String, String)> = serde_json::from_str(text)
            .map_err(|e| self.corrupt(i, format!("not a JSON array of [key, value] pairs: {e}")))?;
        Ok(pairs
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect())
    }

    /// A key's materials beyond the current one ([`super::materials`]).
    pub fn materials(&self, i: usize) -> Result<Materials> {
        let text = match self.cell(i)? {
            Cell::Null => None,
            _ => Some(self.str(i)?),
        };
        super::materials::from_text(text).map_err(|e| self.corrupt(i, e))
    }
}

/// A key's tags as [`Reader::tags`] reads them.
pub fn tags_text(tags: &[Tag]) -> String {
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    // Serialising strings cannot fail; an empty array is what a failure would have to mean.
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// The columns [`key`] reads, as `sql::KEY` selects them.
const KEY_COLUMNS: [&str; 17] = [
    "id",
    "account_id",
    "description",
    "key_spec",
    "origin",
    "protection_level",
    "state",
    "created_at",
    "delete_date",
    "version_id",
    "sealed_material",
    "fingerprint",
    "material_expire_at",
    "mac",
    "tags",
    "key_usage",
    "materials",
];

/// A key, from the columns `sql::KEY` selects.
pub fn key(row: &dyn Row) -> Result<Key> {
    let r = Reader::new(row, "keys", &KEY_COLUMNS);
    Ok(Key {
        id: r.text(0)?,
        account_id: r.text(1)?,
        description: r.text(2)?,
        key_spec: r.name(3, KeySpec::from_name)?,
        origin: r.name(4, Origin::from_name)?,
        protection_level: r.name(5, ProtectionLevel::from_name)?,
        state: r.name(6, KeyState::from_name)?,
        created_at: r.int(7)?,
        delete_date: r.opt_int(8)?,
        version_id: r.text(9)?,
        sealed_material: r.opt_blob(10)?,
        fingerprint: r.opt_blob(11)?,
        material_expire_at: r.opt_int(12)?,
        mac: r.opt_blob(13)?,
        tags: r.tags(14)?,
        // Absent in rows from before key usages: every key then encrypted and decrypted.
        usage: match r.cell(15)? {
            Cell::Null => KeyUsage::EncryptDecrypt,
            _ => r.name(15, KeyUsage::from_name)?,
        },
        materials: r.materials(16)?,
    })
}

/// The parameters of `sql::INSERT_KEY` (`tags` is [`tags_text`] of the key's tags, `materials`
/// [`materials_text`] of its materials).
pub fn key_params<'k>(key: &'k Key, tags: &'k str, materials: Option<&'k str>) -> [Param<'k>; 18] {
    [
        Param::Text(&key.id),
        Param::Text(&key.account_id),
        Param::Text(&key.description),
        Param::Text(key.key_spec.as_str()),
        Param::Text(key.origin.as_str()),
        Param::Text(key.protection_level.as_str()),
        Param::Text(key.state.as_str()),
        Param::Int(key.created_at),
        Param::OptInt(key.delete_date),
        Param::Text(&key.version_id),
        Param::OptBlob(key.sealed_material.as_deref()),
        Param::OptBlob(key.fingerprint.as_deref()),
        Param::OptInt(key.material_expire_at),
        Param::OptBlob(key.mac.as_deref()),
        Param::Text(tags),
        Param::Text(key.usage.name()),
        Param::OptText(materials),
        Param::OptInt(key.materials.next_expiry()),
    ]
}

/// A key's materials as [`Reader::materials`] reads them; `None` (NULL) for none.
pub fn materials_text(key: &Key) -> Option<String> {
    super::materials::to_text(&key.materials)
}

/// An alias, from `account_id, name, key_id, mac`.
pub fn alias(row: &dyn Row) -> Result<Alias> {
    let r = Reader::new(row, "aliases", &["account_id", "name", "key_id", "mac"]);
    Ok(Alias {
        account_id: r.text(0)?,
        name: r.text(1)?,
        key_id: r.text(2)?,
        mac: r.opt_blob(3)?,
    })
}

/// An access key, from `id, account_id, sealed_secret, mac, kind`.
pub fn access_key(row: &dyn Row) -> Result<AccessKey> {
    let r = Reader::new(
        row,
        "access_keys",
        &["id", "account_id", "sealed_secret", "mac", "kind"],
    );
    Ok(AccessKey {
        id: r.text(0)?,
        account_id: r.text(1)?,
        sealed_secret: r.blob(2)?,
        mac: r.opt_blob(3)?,
        kind: r.opt_name(4, AccessKeyKind::from_name)?.unwrap_or_default(),
    })
}

/// A wrapping key, from `id, account_id, key_id, public_der, sealed_private, expires_at`.
pub fn wrapping_key(row: &dyn Row) -> Result<WrappingKey> {
    let r = Reader::new(
        row,
        "wrapping_keys",
        &[
            "id",
            "account_id",
            "key_id",
            "public_der",
            "sealed_private",
            "expires_at",
        ],
    );
    Ok(WrappingKey {
        id: r.text(0)?,
        account_id: r.text(1)?,
        key_id: r.text(2)?,
        public_der: r.blob(3)?,
        sealed_private: r.blob(4)?,
        expires_at: r.int(5)?,
    })
}

/// A pool pair, from `id, public_der, sealed_private`.
pub fn pool_key(row: &dyn Row) -> Result<PoolKey> {
    let r = Reader::new(
        row,
        "wrapping_key_pool",
        &["id", "public_der", "sealed_private"],
    );
    Ok(PoolKey {
        id: r.text(0)?,
        public_der: r.blob(1)?,
        sealed_private: r.blob(2)?,
    })
}

/// A row as `dump` writes it: its cells as text (`NULL`, a number, the text, or bytes in hex),
/// ` | `-separated.
pub fn dump_line(row: &dyn Row) -> String {
    let cells: Vec<String> = (0..row.len())
        .map(|i| match row.cell(i) {
            Ok(Cell::Null) => "NULL".to_owned(),
            Ok(Cell::Int(n)) => n.to_string(),
            Ok(Cell::Text(s)) => s.to_owned(),
            Ok(Cell::Blob(b)) => byok_wrap::sign::hex(b),
            Err(e) => format!("<{e}>"),
        })
        .collect();
    cells.join(" | ")
}

/// A count or limit as the databases take it (they have no unsigned integers).
pub fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every row of every table that holds KMS state ([`super::sql::DUMP`]), as text, in a stable order:
/// two dumps are equal exactly when the state is.
pub fn dump<D: super::transaction::Driver>(driver: &mut D) -> Result<String> {
    let mut out = String::new();
    for (table, select) in &super::sql::DUMP {
        out.push_str(&format!("[{table}]\n"));
        for line in driver.query(select, &[], |row| Ok(dump_line(row)))? {
            out.push_str(&line);
            out.push('\n');
        }
    }
    Ok(out)
}
