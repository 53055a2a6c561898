//! Applying a seed: its accounts and access keys, then each key with its material and aliases,
//! all in the one transaction of [`Kms::apply_seed`].

use std::collections::HashSet;

use super::check::{check_access_key, check_agrees, check_key_id, checked_material};
use super::{
    Seed, SeedAccessKey, SeedAccount, SeedError, SeedKey, SeedReport, SeedResult, SeededAccount,
};
use crate::crypto;
use crate::kms::Kms;
use crate::kms::account::{AccessKeyKind, generate_account_id};
use crate::kms::alias::validate_alias_name_under;
use crate::kms::error::Error;
use crate::kms::policy::{ExpirationModel, MaterialExpiry};
use crate::kms::rules::echo;
use crate::kms::state::Action;
use crate::store::{Store, Transaction};

/// What the seed's entries must not repeat.
#[derive(Default)]
struct Seen {
    access_keys: HashSet<String>,
    keys: HashSet<String>,
}

impl<S: Store> Kms<S> {
    /// Applies `seed` in one transaction (see the module's documentation): all of it, or, with
    /// an error naming the first entry at fault, none of it.
    pub fn apply_seed(&self, seed: &Seed) -> SeedResult<SeedReport> {
        if seed.accounts.is_empty() {
            return Err(SeedError::invalid(
                "accounts",
                "a seed names at least one account",
            ));
        }
        let mut seen = Seen::default();
        self.store.transaction(|tx| {
            let mut report = SeedReport {
                accounts: Vec::new(),
                changed: false,
            };
            for (i, account) in seed.accounts.iter().enumerate() {
                let seeded = self.seed_account(tx, i, account, &mut seen, &mut report.changed)?;
                for (j, key) in account.keys.iter().enumerate() {
                    let entry = format!("accounts[{i}].keys[{j}] (keyId {})", echo(&key.key_id));
                    self.seed_key(tx, &entry, &seeded.account_id, key, &mut seen)
                        .map(|changed| report.changed |= changed)?;
                }
                self.check_key_quota(tx, &seeded.account_id)
                    .map_err(|e| SeedError::at(&format!("accounts[{i}].keys"), e))?;
                report.accounts.push(seeded);
            }
            Ok(report)
        })
    }

    /// Finds or creates the account of `account`'s access keys, and stores those it lacks.
    fn seed_account(
        &self,
        tx: &mut dyn Transaction,
        i: usize,
        account: &SeedAccount,
        seen: &mut Seen,
        changed: &mut bool,
    ) -> SeedResult<SeededAccount> {
        let pairs: Vec<(String, &SeedAccessKey, AccessKeyKind)> = [
            ("accessKeyId", &account.access_key, AccessKeyKind::Alibaba),
            (
                "awsAccessKeyId",
                &account.aws_access_key,
                AccessKeyKind::Aws,
            ),
        ]
        .into_iter()
        .filter_map(|(field, pair, kind)| {
            let pair = pair.as_ref()?;
            Some((
                format!("accounts[{i}].{field} ({})", echo(&pair.id)),
                pair,
                kind,
            ))
        })
        .collect();
        if pairs.is_empty() {
            return Err(SeedError::invalid(
                &format!("accounts[{i}]"),
                "an account needs an access key: accessKeyId and accessKeySecret, or \
                 awsAccessKeyId and awsSecretAccessKey",
            ));
        }
        let mut account_id: Option<String> = None;
        let mut missing = Vec::new();
        for (entry, pair, kind) in &pairs {
            check_access_key(entry, pair)?;
            if !seen.access_keys.insert(pair.id.clone()) {
                return Err(SeedError::invalid(
                    entry,
                    "this access key id is given twice in the seed; every access key needs its \
                     own",
                ));
            }
            let Some(stored) = self
                .read_access_key(tx, &pair.id)
                .map_err(|e| SeedError::at(entry, e))?
            else {
                missing.push((pair, *kind));
                continue;
            };
            if stored.kind != *kind {
                return Err(SeedError::conflict(
                    entry,
                    "is already the id of the other cloud's access key in this data directory",
                ));
            }
            if !crypto::constant_time_eq(stored.secret.as_bytes(), pair.secret.as_bytes()) {
                return Err(SeedError::conflict(
                    entry,
                    "this access key already exists with another secret; give the secret it \
                     has, or start with a new data directory",
                ));
            }
            match &account_id {
                Some(id) if *id != stored.account_id => {
                    return Err(SeedError::conflict(
                        entry,
                        "this access key belongs to another account than the entry's other \
                         access key",
                    ));
                }
                _ => account_id = Some(stored.account_id),
            }
        }
        let account_id = match account_id {
            Some(id) => id,
            None => {
                let id = generate_account_id().map_err(SeedError::Failed)?;
                tx.insert_account(&id, self.now())?;
                id
            }
        };
        for (pair, kind) in missing {
            self.put_access_key(tx, &pair.id, &account_id, &pair.secret, kind)
                .map_err(SeedError::Failed)?;
            *changed = true;
        }
        Ok(SeededAccount {
            account_id,
            access_key_id: account.access_key.as_ref().map(|k| k.id.clone()),
            aws_access_key_id: account.aws_access_key.as_ref().map(|k| k.id.clone()),
        })
    }

    /// Creates `seeded` in `account_id`, or checks the key of its id agrees with it; then its
    /// aliases. Returns whether it wrote anything.
    fn seed_key(
        &self,
        tx: &mut dyn Transaction,
        entry: &str,
        account_id: &str,
        seeded: &SeedKey,
        seen: &mut Seen,
    ) -> SeedResult<bool> {
        check_key_id(entry, &seeded.key_id)?;
        if !seen.keys.insert(seeded.key_id.clone()) {
            return Err(SeedError::invalid(
                entry,
                "this keyId is given twice in the seed",
            ));
        }
        let at = |e| SeedError::at(entry, e);
        let mut key = self
            .new_key(
                seeded.policy,
                account_id,
                seeded.key_id.clone(),
                &seeded.request,
            )
            .map_err(at)?;
        let material = checked_material(entry, &key, seeded)?;
        let expire_at = match (&material, seeded.material_expire_at) {
            (None, Some(_)) => {
                return Err(SeedError::invalid(
                    entry,
                    "materialExpireUnix is given without material",
                ));
            }
            (_, None) => None,
            (_, Some(at)) => seeded
                .policy
                .material_expiry(
                    MaterialExpiry {
                        model: Some(ExpirationModel::Expires),
                        valid_to: Some(at),
                    },
                    self.now(),
                )
                .map_err(|e| SeedError::at(entry, e))?,
        };
        let mut changed = false;
        match self.read_key(tx, account_id, &seeded.key_id).map_err(at)? {
            None => {
                if let Some(m) = &material {
                    self.bind_to(&mut key, &m.material, &m.identifying, expire_at)
                        .map_err(at)?;
                }
                self.insert_key(tx, &mut key).map_err(|e| match e {
                    Error::Store(e) if e.is_conflict() => SeedError::conflict(
                        entry,
                        "this keyId is already the id of a key of another account",
                    ),
                    e => SeedError::at(entry, e),
                })?;
                changed = true;
            }
            Some(mut stored) => {
                check_agrees(entry, &stored, &key)?;
                if let Some(m) = &material {
                    match &stored.fingerprint {
                        Some(bound) => {
                            let fingerprint = self.material_fingerprint(&stored, &m.identifying);
                            if !crypto::constant_time_eq(bound, &fingerprint) {
                                return Err(SeedError::conflict(
                                    entry,
                                    "the key exists with other key material, and a key keeps \
                                     its first material for good; give that material, or a \
                                     new keyId",
                                ));
                            }
                        }
                        None => {
                            stored.state.check(Action::ImportKeyMaterial).map_err(at)?;
                            self.bind_to(&mut stored, &m.material, &m.identifying, expire_at)
                                .map_err(at)?;
                            self.update_key(tx, &mut stored).map_err(at)?;
                            changed = true;
                        }
                    }
                }
                key = stored;
            }
        }
        for (k, name) in seeded.aliases.iter().enumerate() {
            let entry = format!("{entry}.aliases[{k}] ({})", echo(name));
            validate_alias_name_under(seeded.policy, name).map_err(|e| SeedError::at(&entry, e))?;
            match self
                .read_alias(tx, account_id, name)
                .map_err(|e| SeedError::at(&entry, e))?
            {
                Some(alias) if alias.key_id == key.id => {}
                Some(alias) => {
                    return Err(SeedError::conflict(
                        &entry,
                        format!(
                            "this alias already names another key ({}), in the store or \
                             earlier in the seed; an alias names one key",
                            alias.key_id
                        ),
                    ));
                }
                None => {
                    self.insert_alias(tx, account_id, name, &key)
                        .map_err(|e| SeedError::at(&entry, e))?;
                    changed = true;
                }
            }
        }
        Ok(changed)
    }
}
