//! Tamper-evident rows: the security-relevant fields of every key, alias and access key carry a
//! MAC under a root-derived key, written with the row and checked on every read. Someone who can
//! rewrite the database (a shared PostgreSQL, a stolen disk) but has not the root key cannot
//! NULL a key's fingerprint to lift the same-material rule, revive a deleted or expired key,
//! point an alias at another key, or move an access key to another account: such a row is
//! refused as tampered, never served. Rows written before MACs existed are signed once, at the
//! start that adds the MAC columns.

use crate::kms::Kms;
use crate::kms::account::AccessKey;
use crate::kms::alias::Alias;
use crate::kms::error::{Error, Result};
use crate::kms::key::{Key, KeyUsage};
use crate::kms::rules::echo;
use crate::store::{Store, Transaction};

/// Rows signed per transaction when upgrading.
const UPGRADE_BATCH: u64 = 500;

/// The canonical encoding of a record's fields: a label, then each field length-prefixed.
struct Record(Vec<u8>);

impl Record {
    fn new(label: &str) -> Self {
        let mut record = Self(Vec::new());
        record.bytes(label.as_bytes());
        record
    }

    fn bytes(&mut self, field: &[u8]) -> &mut Self {
        self.0
            .extend_from_slice(&(field.len() as u64).to_be_bytes());
        self.0.extend_from_slice(field);
        self
    }

    fn text(&mut self, field: &str) -> &mut Self {
        self.bytes(field.as_bytes())
    }

    fn int(&mut self, field: Option<i64>) -> &mut Self {
        match field {
            Some(n) => self.bytes(&n.to_be_bytes()),
            None => self.bytes(&[]),
        }
    }

    fn opt_bytes(&mut self, field: Option<&[u8]>) -> &mut Self {
        match field {
            Some(b) => {
                self.0.push(1);
                self.bytes(b)
            }
            None => {
                self.0.push(0);
                self
            }
        }
    }
}

fn key_record(key: &Key) -> Vec<u8> {
    let mut r = Record::new("byok-kms key v1");
    r.text(&key.id)
        .text(&key.account_id)
        .text(key.key_spec.as_str())
        .text(key.origin.name())
        .text(key.protection_level.name())
        .text(key.state.name())
        .int(Some(key.created_at))
        .int(key.delete_date)
        .text(&key.version_id)
        .bytes(&[u8::from(key.sealed_material.is_some())])
        .opt_bytes(key.fingerprint.as_deref())
        .int(key.material_expire_at);
    // Rows from before key usages have none and mean ENCRYPT/DECRYPT: the record of such a key
    // is what it always was, so their MACs still verify; any other usage is covered.
    if key.usage != KeyUsage::EncryptDecrypt {
        r.text(key.usage.name());
    }
    // Likewise the other materials of a rotated key (their descriptions and dates are labels).
    if !key.materials.others.is_empty() {
        r.text("materials");
        for m in &key.materials.others {
            r.text(&m.version_id)
                .bytes(&[u8::from(m.sealed.is_some())])
                .opt_bytes(Some(&m.fingerprint))
                .int(m.expire_at)
                .text(m.state.name());
        }
    }
    r.0
}

fn alias_record(alias: &Alias) -> Vec<u8> {
    let mut r = Record::new("byok-kms alias v1");
    r.text(&alias.account_id)
        .text(&alias.name)
        .text(&alias.key_id);
    r.0
}

fn access_key_record(key: &AccessKey) -> Vec<u8> {
    let mut r = Record::new("byok-kms access key v1");
    r.text(&key.id).text(&key.account_id);
    // Alibaba keys' records are what they were before AWS keys existed, so their MACs hold.
    if let Some(kind) = key.kind.stored_name() {
        r.text(kind);
    }
    r.0
}

impl<S: Store> Kms<S> {
    /// The key `key_id` of `account_id`, its MAC checked.
    pub(crate) fn read_key(
        &self,
        tx: &mut dyn Transaction,
        account_id: &str,
        key_id: &str,
    ) -> Result<Option<Key>> {
        let Some(key) = tx.key(account_id, key_id)? else {
            return Ok(None);
        };
        self.check(&key_record(&key), key.mac.as_deref(), "key", &key.id)?;
        Ok(Some(key))
    }

    /// Stores a new key, with its MAC.
    pub(crate) fn insert_key(&self, tx: &mut dyn Transaction, key: &mut Key) -> Result<()> {
        key.mac = Some(self.crypto.row_mac(&key_record(key)));
        Ok(tx.insert_key(key)?)
    }

    /// Writes back a key read in this transaction, with its new MAC.
    pub(crate) fn update_key(&self, tx: &mut dyn Transaction, key: &mut Key) -> Result<()> {
        key.mac = Some(self.crypto.row_mac(&key_record(key)));
        Ok(tx.update_key(key)?)
    }

    /// The alias `name` of `account_id`, its MAC checked.
    pub(crate) fn read_alias(
        &self,
        tx: &mut dyn Transaction,
        account_id: &str,
        name: &str,
    ) -> Result<Option<Alias>> {
        let Some(alias) = tx.alias(account_id, name)? else {
            return Ok(None);
        };
        self.check_alias(&alias)?;
        Ok(Some(alias))
    }

    /// Checks the MAC of an alias read from the store.
    pub(crate) fn check_alias(&self, alias: &Alias) -> Result<()> {
        self.check(
            &alias_record(alias),
            alias.mac.as_deref(),
            "alias",
            &alias.name,
        )
    }

    /// An alias with its MAC, ready to store.
    pub(crate) fn signed_alias(&self, mut alias: Alias) -> Alias {
        alias.mac = Some(self.crypto.row_mac(&alias_record(&alias)));
        alias
    }

    /// The access key `id`, its MAC checked.
    pub(crate) fn read_access_key_row(
        &self,
        tx: &mut dyn Transaction,
        id: &str,
    ) -> Result<Option<AccessKey>> {
        let Some(key) = tx.access_key(id)? else {
            return Ok(None);
        };
        self.check(
            &access_key_record(&key),
            key.mac.as_deref(),
            "access key",
            &key.id,
        )?;
        Ok(Some(key))
    }

    /// Stores an access key, with its MAC.
    pub(crate) fn put_access_key_row(
        &self,
        tx: &mut dyn Transaction,
        mut key: AccessKey,
    ) -> Result<()> {
        key.mac = Some(self.crypto.row_mac(&access_key_record(&key)));
        Ok(tx.put_access_key(&key)?)
    }

    /// Signs every row written before rows carried MACs (a data directory of an older
    /// byok-kms). Runs at start, when opening the store added the MAC columns
    /// ([`Store::predates_row_macs`]): from then on a row without a MAC is tampered, whatever
    /// the database says. Idempotent: the MAC of a row is a function of the row.
    pub(crate) fn sign_unsigned_rows(&self) -> Result<()> {
        loop {
            let signed = self.store.transaction(|tx| {
                let (keys, aliases, access_keys) = tx.unsigned_rows(UPGRADE_BATCH)?;
                let count = keys.len() + aliases.len() + access_keys.len();
                for mut key in keys {
                    self.update_key(tx, &mut key)?;
                }
                for alias in aliases {
                    tx.update_alias(&self.signed_alias(alias))?;
                }
                for key in access_keys {
                    self.put_access_key_row(tx, key)?;
                }
                Ok::<_, Error>(count)
            })?;
            if signed == 0 {
                return Ok(());
            }
        }
    }

    fn check(&self, record: &[u8], mac: Option<&[u8]>, what: &'static str, id: &str) -> Result<()> {
        match mac {
            Some(mac) if self.crypto.verify_row_mac(record, mac) => Ok(()),
            _ => Err(Error::Tampered {
                record: what,
                id: echo(id),
            }),
        }
    }
}
