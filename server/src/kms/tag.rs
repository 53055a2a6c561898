//! Tags: key-value labels on a key, to sort and find keys by (CreateKey's `Tags`, TagResource,
//! UntagResource, ListResourceTags). The rules are the guide's: each key and value at most 128
//! characters of English letters, digits, `/ \ _ - . + = : @` and spaces, a key not starting with
//! `aliyun` or `acs:` (in any case), at most 20 tags on a key. Tag keys are case-sensitive; a
//! key tagged again with a key it has gets the new value.
//!
//! Tags are labels, not security: nothing byok-kms decides depends on them, so they are not part
//! of the key's row MAC ([`crate::kms::integrity`]); a tag changed behind the KMS's back changes
//! a label and nothing else.

use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::policy::Policy;
use crate::kms::rules::{TagRules, echo, is_tag_char};
use crate::kms::state::Action;
use crate::store::Store;

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag key (case-sensitive).
    pub key: String,
    /// The tag value (may be empty).
    pub value: String,
}

/// A key's tag, as ListResourceTags reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTag {
    /// The key id.
    pub key_id: String,
    /// The tag.
    pub tag: Tag,
}

/// Checks a tag key: 1 to `rules.max_key_chars` allowed characters, not a reserved prefix.
pub fn validate_tag_key(rules: &TagRules, argument: Argument, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid(argument, "a tag key must not be empty"));
    }
    check_chars(argument, "tag key", key, rules.max_key_chars)?;
    let lower = key.to_lowercase();
    if let Some(prefix) = rules
        .reserved_prefixes
        .iter()
        .find(|p| lower.starts_with(*p))
    {
        return Err(Error::invalid(
            argument,
            format!(
                "the tag key {:?} starts with {prefix:?}, which is reserved for the cloud's own \
                 tags (in any case)",
                echo(key)
            ),
        ));
    }
    Ok(())
}

/// Checks a tag: its key ([`validate_tag_key`]) and a value of at most `rules.max_value_chars`
/// allowed characters.
pub fn validate_tag(rules: &TagRules, tag: &Tag) -> Result<()> {
    validate_tag_key(rules, Argument::Tags, &tag.key)?;
    check_chars(
        Argument::Tags,
        "tag value",
        &tag.value,
        rules.max_value_chars,
    )
}

/// `existing` with `new` applied: a key it has gets the new value, other keys are added; refused
/// if a tag breaks one of `rules`, a key is given twice, or the key would carry too many tags.
pub fn merge(rules: &TagRules, existing: &[Tag], new: &[Tag]) -> Result<Vec<Tag>> {
    let mut tags = existing.to_vec();
    for (i, tag) in new.iter().enumerate() {
        validate_tag(rules, tag)?;
        if new[..i].iter().any(|t| t.key == tag.key) {
            return Err(Error::invalid(
                Argument::Tags,
                format!("the tag key {:?} is given twice", echo(&tag.key)),
            ));
        }
        match tags.iter_mut().find(|t| t.key == tag.key) {
            Some(old) => old.value.clone_from(&tag.value),
            None => tags.push(tag.clone()),
        }
    }
    if tags.len() > rules.max_per_key {
        return Err(Error::invalid(
            Argument::Tags,
            format!(
                "a key carries at most {} tags; this would make {} (it has {}): \
                 remove some with UntagResource first",
                rules.max_per_key,
                tags.len(),
                existing.len()
            ),
        ));
    }
    Ok(tags)
}

fn check_chars(argument: Argument, what: &str, text: &str, max: usize) -> Result<()> {
    let chars = text.chars().count();
    if chars > max {
        return Err(Error::invalid(
            argument,
            format!("a {what} is at most {max} characters; this one has {chars}"),
        ));
    }
    if let Some(c) = text.chars().find(|c| !is_tag_char(*c)) {
        return Err(Error::invalid(
            argument,
            format!(
                "the {what} {:?} contains {c:?}: tags may contain only English letters, \
                 digits, / \\ _ - . + = : @ and spaces",
                echo(text)
            ),
        ));
    }
    Ok(())
}

impl<S: Store> Kms<S> {
    /// `TagResource`: adds tags to a key, or gives tags it has new values.
    pub fn tag_resource(&self, account_id: &str, key_ref: &str, tags: &[Tag]) -> Result<()> {
        self.tag_resource_under(&Policy::ALIBABA, account_id, key_ref, tags)
    }

    /// `TagResource` under a cloud's `policy`: its limits on tags.
    pub fn tag_resource_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        tags: &[Tag],
    ) -> Result<()> {
        if tags.is_empty() {
            return Err(Error::MissingArgument(Argument::Tags));
        }
        self.store.transaction(|tx| {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(Action::TagResource)?;
            key.tags = merge(&policy.tags, &key.tags, tags)?;
            self.update_key(tx, &mut key)
        })
    }

    /// `UntagResource`: removes the tags with these keys (keys the key does not carry are no
    /// error: the result is the same).
    pub fn untag_resource(
        &self,
        account_id: &str,
        key_ref: &str,
        tag_keys: &[String],
    ) -> Result<()> {
        if tag_keys.is_empty() {
            return Err(Error::MissingArgument(Argument::TagKeys));
        }
        for tag_key in tag_keys {
            if tag_key.is_empty() {
                return Err(Error::invalid(
                    Argument::TagKeys,
                    "a tag key must not be empty",
                ));
            }
            crate::kms::rules::stored_text(Argument::TagKeys, tag_key)?;
        }
        self.store.transaction(|tx| {
            let mut key = self.resolve(tx, account_id, key_ref)?;
            key.state.check(Action::UntagResource)?;
            let before = key.tags.len();
            key.tags.retain(|t| !tag_keys.contains(&t.key));
            if key.tags.len() == before {
                return Ok(());
            }
            self.update_key(tx, &mut key)
        })
    }

    /// `ListResourceTags`: a key's tags, in the order they were first added.
    pub fn list_resource_tags(&self, account_id: &str, key_ref: &str) -> Result<Vec<KeyTag>> {
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        Ok(key
            .tags
            .into_iter()
            .map(|tag| KeyTag {
                key_id: key.id.clone(),
                tag,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn the_guides_rules() {
        let long = "k".repeat(TagRules::ALIBABA.max_key_chars);
        for ok in [
            tag("env", "prod"),
            tag("a/b\\c_d-e.f+g=h:i@j k", ""),
            tag(&long, &long),
            tag("Aliyu", "x"),
            tag("my-aliyun", "x"),
        ] {
            assert!(validate_tag(&TagRules::ALIBABA, &ok).is_ok(), "{ok:?}");
        }
        for bad in [
            tag("", "x"),
            tag(&format!("{long}k"), "x"),
            tag("k", &format!("{long}v")),
            tag("aliyun", "x"),
            tag("ALIYUNx", "x"),
            tag("acs:x", "x"),
            tag("ACS:x", "x"),
            tag("semi;colon", "x"),
            tag("k", "new\nline"),
            tag("k", "nul\0"),
            tag("项目", "v"),
            tag("k", "ü"),
        ] {
            assert!(
                matches!(
                    validate_tag(&TagRules::ALIBABA, &bad),
                    Err(Error::InvalidArgument {
                        argument: Argument::Tags,
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        // `acs` alone (without the colon) is a key like any other.
        assert!(validate_tag(&TagRules::ALIBABA, &tag("acs", "x")).is_ok());
    }

    #[test]
    fn merging_replaces_values_and_counts_once() {
        let existing: Vec<Tag> = (0..19).map(|i| tag(&format!("k{i}"), "v")).collect();
        // A new value for a key the key has does not count twice.
        let merged = merge(
            &TagRules::ALIBABA,
            &existing,
            &[tag("k0", "new"), tag("k19", "v")],
        )
        .unwrap();
        assert_eq!(merged.len(), 20);
        assert_eq!(merged[0], tag("k0", "new"));
        // A 21st is refused.
        let e = merge(&TagRules::ALIBABA, &merged, &[tag("k20", "v")]).unwrap_err();
        assert!(e.to_string().contains("at most 20"), "{e}");
        // Keys are case-sensitive; a key given twice in one call is refused.
        assert_eq!(
            merge(&TagRules::ALIBABA, &[tag("Env", "a")], &[tag("env", "b")])
                .unwrap()
                .len(),
            2
        );
        assert!(merge(&TagRules::ALIBABA, &[], &[tag("k", "a"), tag("k", "b")]).is_err());
    }
}
