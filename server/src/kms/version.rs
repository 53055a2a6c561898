//! A key's one version: ListKeyVersions and DescribeKeyVersion. No import takes a version, so an
//! imported key has the one it was created with, forever.

use crate::kms::Kms;
use crate::kms::error::{Error, Result};
use crate::kms::key::Key;
use crate::kms::page::{Page, Paging};
use crate::store::Store;

/// A key version, as ListKeyVersions and DescribeKeyVersion report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersion {
    /// The key id.
    pub key_id: String,
    /// The version id.
    pub key_version_id: String,
    /// When it was created (Unix seconds): the key's creation.
    pub created_at: i64,
}

impl<S: Store> Kms<S> {
    /// `ListKeyVersions`: a key's one version.
    pub fn list_key_versions(
        &self,
        account_id: &str,
        key_ref: &str,
        paging: Paging,
    ) -> Result<Page<KeyVersion>> {
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        let (offset, size) = paging.offset()?;
        let items = if offset == 0 {
            vec![key_version(&key)]
        } else {
            Vec::new()
        };
        Ok(Page {
            items,
            total: 1,
            page_number: offset / size + 1,
            page_size: size,
        })
    }

    /// `DescribeKeyVersion`.
    pub fn describe_key_version(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
    ) -> Result<KeyVersion> {
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        check_version(&key, version)?;
        Ok(key_version(&key))
    }
}

fn key_version(key: &Key) -> KeyVersion {
    KeyVersion {
        key_id: key.id.clone(),
        key_version_id: key.version_id.clone(),
        created_at: key.created_at,
    }
}

/// A key has one version; any other id (another key's included) names none of this key's.
pub(crate) fn check_version(key: &Key, version: &str) -> Result<()> {
    if crate::crypto::constant_time_eq(version.as_bytes(), key.version_id.as_bytes()) {
        Ok(())
    } else {
        Err(Error::KeyVersionNotFound(crate::kms::rules::echo(version)))
    }
}
