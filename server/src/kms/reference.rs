//! Naming a key: by id, by `alias/…`, or by the ARN of either (Alibaba's `acs:kms:…` in the
//! region, AWS's `arn:aws:kms:…` in the AWS region), always within the caller's account. Resolving also applies material expiry that is due, so an expired key is
//! never used, even between sweeps.

use crate::kms::Kms;
use crate::kms::error::{Error, Result};
use crate::kms::key::Key;
use crate::kms::rules::{can_name_something, echo};
use crate::store::{Store, Transaction};

/// Which key a request names.
enum KeyRef<'a> {
    Id(&'a str),
    Alias(&'a str),
}

impl<S: Store> Kms<S> {
    /// Finds the key `key_ref` names in the caller's account, inside `tx`, and erases its
    /// material if it has expired.
    pub(crate) fn resolve(
        &self,
        tx: &mut dyn Transaction,
        account_id: &str,
        key_ref: &str,
    ) -> Result<Key> {
        let not_found = || Error::KeyNotFound(echo(key_ref));
        let key_id = match self
            .parse_key_ref(account_id, key_ref)
            .ok_or_else(not_found)?
        {
            KeyRef::Id(id) => id.to_owned(),
            KeyRef::Alias(name) => {
                self.read_alias(tx, account_id, name)?
                    .ok_or_else(|| Error::AliasNotFound(echo(name)))?
                    .key_id
            }
        };
        let mut key = self
            .read_key(tx, account_id, &key_id)?
            .ok_or_else(not_found)?;
        if key.expire_materials(self.now()) {
            self.update_key(tx, &mut key)?;
        }
        Ok(key)
    }

    /// The ARN of a key of this KMS.
    pub(crate) fn key_arn(&self, account_id: &str, key_id: &str) -> String {
        format!("acs:kms:{}:{}:key/{}", self.region, account_id, key_id)
    }

    /// The AWS ARN of a key of this KMS, `arn:aws:kms:<aws-region>:<account>:key/<id>`.
    pub fn aws_key_arn(&self, account_id: &str, key_id: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            self.aws_region, account_id, key_id
        )
    }

    /// The AWS ARN of an alias of this KMS.
    pub fn aws_alias_arn(&self, account_id: &str, alias_name: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:{}",
            self.aws_region, account_id, alias_name
        )
    }

    /// The ARN of an alias of this KMS.
    pub(crate) fn alias_arn(&self, account_id: &str, alias_name: &str) -> String {
        format!("acs:kms:{}:{}:{}", self.region, account_id, alias_name)
    }

    fn parse_key_ref<'a>(&self, account_id: &str, key_ref: &'a str) -> Option<KeyRef<'a>> {
        if !can_name_something(key_ref) {
            return None;
        }
        let arn = [
            ("acs:kms:", &self.region),
            ("arn:aws:kms:", &self.aws_region),
        ]
        .into_iter()
        .find_map(|(prefix, region)| Some((key_ref.strip_prefix(prefix)?, region)));
        if let Some((rest, own_region)) = arn {
            let (region, rest) = rest.split_once(':')?;
            let (account, resource) = rest.split_once(':')?;
            if region != own_region.as_str() || account != account_id {
                return None;
            }
            return Some(match resource.strip_prefix("key/") {
                Some(id) => KeyRef::Id(id),
                None if resource.starts_with("alias/") => KeyRef::Alias(resource),
                None => return None,
            });
        }
        Some(if key_ref.starts_with("alias/") {
            KeyRef::Alias(key_ref)
        } else {
            KeyRef::Id(key_ref)
        })
    }
}
