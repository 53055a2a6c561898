//! Tags, ListAliasesByKeyId and UpdateKeyDescription in the `Kms` core: the guide's tag rules,
//! values replaced and counted once, the state table's rows for them, and every refusal leaving
//! the database exactly as it was. It runs on SQLite, and with `BYOK_TEST_STORE=postgres` (under
//! `scripts/with-postgres.sh`, as make test runs it) on PostgreSQL.

mod common;

use byok_kms::kms::key::Origin;
use byok_kms::kms::{CreateKey, Paging, Tag};
use common::Fixture;

const DAY: i64 = 86_400;

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn listed(f: &Fixture, key_id: &str) -> Vec<(String, String)> {
    f.kms
        .list_resource_tags(&f.account, key_id)
        .unwrap()
        .into_iter()
        .map(|t| {
            // The key's id, however it was named.
            assert!(!t.key_id.starts_with("alias/"));
            (t.tag.key, t.tag.value)
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn external_with_tags(f: &Fixture, tags: Vec<Tag>) -> byok_kms::kms::Result<String> {
    f.kms
        .create_key(
            &f.account,
            &CreateKey {
                origin: Origin::External,
                description: "tagged".into(),
                tags,
                ..CreateKey::default()
            },
        )
        .map(|m| m.key_id)
}

#[test]
fn tags_are_added_replaced_removed_and_kept_in_order() {
    let f = Fixture::new();
    let key = external_with_tags(&f, vec![tag("env", "prod"), tag("Env", "case")]).unwrap();
    assert_eq!(listed(&f, &key), pairs(&[("env", "prod"), ("Env", "case")]));

    // A key it has gets the new value in place; a new key goes last.
    f.kms
        .tag_resource(&f.account, &key, &[tag("env", "staging"), tag("team", "")])
        .unwrap();
    assert_eq!(
        listed(&f, &key),
        pairs(&[("env", "staging"), ("Env", "case"), ("team", "")])
    );

    // Untagging a key the key does not carry is no error and changes nothing.
    let before = f.dump();
    f.kms
        .untag_resource(&f.account, &key, &["absent".into()])
        .unwrap();
    assert_eq!(f.dump(), before);
    f.kms
        .untag_resource(&f.account, &key, &["Env".into(), "team".into()])
        .unwrap();
    assert_eq!(listed(&f, &key), pairs(&[("env", "staging")]));

    // By alias, too; and another key's tags are its own.
    f.kms
        .create_alias(&f.account, "alias/tagged", &key)
        .unwrap();
    assert_eq!(listed(&f, "alias/tagged"), pairs(&[("env", "staging")]));
    let other = f.external_key();
    assert!(listed(&f, &other).is_empty());
}

#[test]
fn twenty_tags_at_most_counting_each_key_once() {
    let f = Fixture::new();
    let twenty: Vec<Tag> = (0..20).map(|i| tag(&format!("k{i}"), "v")).collect();
    let key = external_with_tags(&f, twenty.clone()).unwrap();
    // New values for all twenty: still twenty.
    let renamed: Vec<Tag> = (0..20).map(|i| tag(&format!("k{i}"), "w")).collect();
    f.kms.tag_resource(&f.account, &key, &renamed).unwrap();
    assert_eq!(listed(&f, &key).len(), 20);
    let e = f.refused("InvalidParameter", || {
        f.kms.tag_resource(&f.account, &key, &[tag("k20", "v")])
    });
    assert!(e.to_string().contains("at most 20"), "{e}");

    // 21 at creation: no key is made.
    let mut twenty_one = twenty;
    twenty_one.push(tag("k20", "v"));
    f.refused("InvalidParameter", || external_with_tags(&f, twenty_one));
}

#[test]
fn every_tag_rule_is_refused_with_its_reason_and_changes_nothing() {
    let f = Fixture::new();
    let key = external_with_tags(&f, vec![tag("keep", "me")]).unwrap();
    let long = "x".repeat(129);
    for (bad, reason) in [
        (tag("", "v"), "must not be empty"),
        (tag(&long, "v"), "at most 128"),
        (tag("k", &long), "at most 128"),
        (tag("aliyun", "v"), "reserved"),
        (tag("AliYun-owner", "v"), "reserved"),
        (tag("acs:owner", "v"), "reserved"),
        (tag("ACS:owner", "v"), "reserved"),
        (tag("a;b", "v"), "only English letters"),
        (tag("k", "tab\there"), "only English letters"),
        (tag("k", "nul\0"), "only English letters"),
    ] {
        for call in 0..2 {
            let e = if call == 0 {
                f.refused("InvalidParameter", || {
                    f.kms
                        .tag_resource(&f.account, &key, &[tag("fine", "v"), bad.clone()])
                })
            } else {
                f.refused("InvalidParameter", || {
                    external_with_tags(&f, vec![bad.clone()])
                })
            };
            assert!(e.to_string().contains(reason), "{bad:?}: {e}");
        }
    }
    // The same key twice in one call.
    f.refused("InvalidParameter", || {
        f.kms
            .tag_resource(&f.account, &key, &[tag("d", "1"), tag("d", "2")])
    });
    f.refused("MissingParameter", || {
        f.kms.tag_resource(&f.account, &key, &[])
    });
    f.refused("MissingParameter", || {
        f.kms.untag_resource(&f.account, &key, &[])
    });
    f.refused("Forbidden.AliasNotFound", || {
        f.kms
            .tag_resource(&f.account, "alias/none", &[tag("a", "b")])
    });
    // Another account's key is not found, for every call.
    let other = f.kms.create_account().unwrap();
    f.refused("Forbidden.KeyNotFound", || {
        f.kms
            .tag_resource(&other.account_id, &key, &[tag("a", "b")])
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms
            .untag_resource(&other.account_id, &key, &["keep".into()])
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.list_resource_tags(&other.account_id, &key)
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.update_key_description(&other.account_id, &key, "x")
    });
    assert_eq!(listed(&f, &key), pairs(&[("keep", "me")]));
}

#[test]
fn a_key_pending_deletion_may_lose_tags_but_not_gain_them_and_takes_them_with_it() {
    let f = Fixture::new();
    let key = external_with_tags(&f, vec![tag("a", "1"), tag("b", "2")]).unwrap();
    f.kms.schedule_key_deletion(&f.account, &key, 7).unwrap();
    f.refused("Rejected.StateModifiedFailed", || {
        f.kms.tag_resource(&f.account, &key, &[tag("c", "3")])
    });
    f.refused("Rejected.StateModifiedFailed", || {
        f.kms.update_key_description(&f.account, &key, "late")
    });
    f.kms
        .untag_resource(&f.account, &key, &["a".into()])
        .unwrap();
    assert_eq!(listed(&f, &key), pairs(&[("b", "2")]));
    f.clock.advance(8 * DAY);
    f.kms.sweep().unwrap();
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.list_resource_tags(&f.account, &key)
    });
    assert!(!f.dump().contains("\"b\""), "the tags went with the key");
}

#[test]
fn update_key_description_follows_the_description_rules() {
    let f = Fixture::new();
    let key = f.external_key();
    f.kms
        .update_key_description(&f.account, &key, "the new one")
        .unwrap();
    assert_eq!(
        f.kms.describe_key(&f.account, &key).unwrap().description,
        "the new one"
    );
    f.kms.update_key_description(&f.account, &key, "").unwrap();
    assert_eq!(
        f.kms.describe_key(&f.account, &key).unwrap().description,
        ""
    );
    f.refused("InvalidParameter", || {
        f.kms
            .update_key_description(&f.account, &key, &"d".repeat(8193))
    });
    f.refused("InvalidParameter", || {
        f.kms.update_key_description(&f.account, &key, "a\0b")
    });
    // Disabled keys may be described anew (the state table).
    f.import(&key, &common::material()).unwrap();
    f.kms.disable_key(&f.account, &key).unwrap();
    f.kms
        .update_key_description(&f.account, &key, "disabled")
        .unwrap();
}

#[test]
fn aliases_listed_by_key_are_that_keys_only() {
    let f = Fixture::new();
    let key = f.external_key();
    let other = f.external_key();
    for i in 0..3 {
        f.kms
            .create_alias(&f.account, &format!("alias/mine-{i}"), &key)
            .unwrap();
    }
    f.kms
        .create_alias(&f.account, "alias/theirs", &other)
        .unwrap();
    let page = |number, size| {
        f.kms
            .list_aliases(&f.account, Some("alias/mine-1"), Paging { number, size })
            .unwrap()
    };
    let all = page(1, 10);
    assert_eq!(all.total, 3);
    let mut names: Vec<_> = all.items.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["alias/mine-0", "alias/mine-1", "alias/mine-2"]);
    assert!(all.items.iter().all(|a| a.key_id == key));
    assert_eq!(page(2, 2).items.len(), 1);
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.list_aliases(
            &f.account,
            Some("00000000-0000-4000-8000-000000000000"),
            Paging {
                number: 1,
                size: 10,
            },
        )
    });
}
