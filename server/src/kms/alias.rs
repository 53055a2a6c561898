//! Aliases: `alias/<name>` pointing at a key of the same account. `UpdateAlias` is how an
//! imported key is rotated: a new key with new material, then the alias moves to it.

use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::key::Key;
use crate::kms::page::{Page, Paging};
use crate::kms::policy::Policy;
use crate::kms::rules::echo;
use crate::kms::state::Action;
use crate::store::{Store, Transaction};

/// An alias as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The account that owns it.
    pub account_id: String,
    /// The full name, `alias/…`.
    pub name: String,
    /// The key it points at.
    pub key_id: String,
    /// The MAC of the three fields above ([`crate::kms::integrity`]).
    pub mac: Option<Vec<u8>>,
}

/// Checks an alias name: `alias/` then 1 to 255 letters, digits, `_`, `-` or `/`; `alias/acs` is
/// reserved for cloud services.
pub fn validate_alias_name(name: &str) -> Result<()> {
    validate_alias_name_under(&Policy::ALIBABA, name)
}

/// Checks an alias name as [`validate_alias_name`] does, with the name `policy` reserves for
/// its cloud's services (`alias/acs`, `alias/aws`) and everything under it.
pub fn validate_alias_name_under(policy: &Policy, name: &str) -> Result<()> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(Error::invalid(
            Argument::AliasName,
            "must start with alias/",
        ));
    };
    if rest.is_empty() || rest.len() > 255 {
        return Err(Error::invalid(
            Argument::AliasName,
            "must have 1 to 255 characters after alias/",
        ));
    }
    if !rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
    {
        return Err(Error::invalid(
            Argument::AliasName,
            "may contain only letters, digits, _, - and / after alias/",
        ));
    }
    let reserved = policy.reserved_alias;
    if rest == reserved
        || rest
            .strip_prefix(reserved)
            .is_some_and(|r| r.starts_with('/'))
    {
        return Err(Error::invalid(
            Argument::AliasName,
            format!("alias/{reserved} is reserved for cloud services"),
        ));
    }
    Ok(())
}

/// An alias in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasListEntry {
    /// `alias/…`.
    pub name: String,
    /// The alias's ARN.
    pub arn: String,
    /// The key it points at.
    pub key_id: String,
}

impl<S: Store> Kms<S> {
    /// `CreateAlias`.
    pub fn create_alias(&self, account_id: &str, alias_name: &str, key_ref: &str) -> Result<()> {
        self.create_alias_under(&Policy::ALIBABA, account_id, alias_name, key_ref)
    }

    /// `CreateAlias` under a cloud's `policy` (the alias names it reserves).
    pub fn create_alias_under(
        &self,
        policy: &Policy,
        account_id: &str,
        alias_name: &str,
        key_ref: &str,
    ) -> Result<()> {
        validate_alias_name_under(policy, alias_name)?;
        self.store.transaction(|tx| {
            let key = self.resolve(tx, account_id, key_ref)?;
            self.insert_alias(tx, account_id, alias_name, &key)
        })
    }

    /// Creates the alias `alias_name` (already checked by [`validate_alias_name_under`]) for
    /// `key`, read in `tx`: the key's state must allow it and the name must be free.
    pub(crate) fn insert_alias(
        &self,
        tx: &mut dyn Transaction,
        account_id: &str,
        alias_name: &str,
        key: &Key,
    ) -> Result<()> {
        key.state.check(Action::CreateAlias)?;
        if self.read_alias(tx, account_id, alias_name)?.is_some() {
            return Err(Error::AliasExists(echo(alias_name)));
        }
        tx.insert_alias(&self.signed_alias(Alias {
            account_id: account_id.to_owned(),
            name: alias_name.to_owned(),
            key_id: key.id.clone(),
            mac: None,
        }))
        .map_err(|e| {
            // Another instance created it since this transaction looked.
            if e.is_conflict() {
                Error::AliasExists(echo(alias_name))
            } else {
                e.into()
            }
        })
    }

    /// `UpdateAlias`: points an existing alias at another key.
    pub fn update_alias(&self, account_id: &str, alias_name: &str, key_ref: &str) -> Result<()> {
        validate_alias_name(alias_name)?;
        self.store.transaction(|tx| {
            if self.read_alias(tx, account_id, alias_name)?.is_none() {
                return Err(Error::AliasNotFound(echo(alias_name)));
            }
            let key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(Action::UpdateAlias)?;
            Ok(tx.update_alias(&self.signed_alias(Alias {
                account_id: account_id.to_owned(),
                name: alias_name.to_owned(),
                key_id: key.id,
                mac: None,
            }))?)
        })
    }

    /// `DeleteAlias`.
    pub fn delete_alias(&self, account_id: &str, alias_name: &str) -> Result<()> {
        if !crate::kms::rules::can_name_something(alias_name) {
            return Err(Error::AliasNotFound(echo(alias_name)));
        }
        self.store.transaction(|tx| {
            if tx.delete_alias(account_id, alias_name)? {
                Ok(())
            } else {
                Err(Error::AliasNotFound(echo(alias_name)))
            }
        })
    }

    /// `ListAliases` (and, with `key_ref`, `ListAliasesByKeyId`).
    pub fn list_aliases(
        &self,
        account_id: &str,
        key_ref: Option<&str>,
        paging: Paging,
    ) -> Result<Page<AliasListEntry>> {
        let (offset, size) = paging.offset()?;
        let (aliases, total) = self.store.transaction(|tx| {
            let key_id = key_ref
                .map(|r| self.resolve(tx, account_id, r).map(|k| k.id))
                .transpose()?;
            let (aliases, total) = tx.list_aliases(account_id, key_id.as_deref(), offset, size)?;
            for alias in &aliases {
                self.check_alias(alias)?;
            }
            Ok::<_, Error>((aliases, total))
        })?;
        Ok(Page {
            items: aliases
                .into_iter()
                .map(|a| AliasListEntry {
                    arn: self.alias_arn(account_id, &a.name),
                    name: a.name,
                    key_id: a.key_id,
                })
                .collect(),
            total,
            page_number: offset / size + 1,
            page_size: size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_name_rules() {
        for ok in [
            "alias/a",
            "alias/my-key_2/prod",
            &format!("alias/{}", "x".repeat(255)),
        ] {
            assert!(validate_alias_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "alias/",
            "Alias/x",
            "alias/with space",
            "alias/ü",
            "alias/acs",
            "alias/acs/x",
            &format!("alias/{}", "x".repeat(256)),
        ] {
            assert!(
                matches!(
                    validate_alias_name(bad),
                    Err(Error::InvalidArgument {
                        argument: Argument::AliasName,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
