//! The limits and text rules every front door shares, as data.

use core::ops::RangeInclusive;

use crate::kms::error::{Argument, Error, Result};

/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 8192;

/// The most plaintext Encrypt accepts, in bytes (6 KiB).
pub const MAX_PLAINTEXT: usize = 6 * 1024;

/// The lengths of a data key GenerateDataKey makes, in bytes.
pub const DATA_KEY_LENGTHS: RangeInclusive<u64> = 1..=1024;

/// The pending window of ScheduleKeyDeletion on Alibaba Cloud, in days (AWS's is in
/// [`crate::kms::policy::Policy::AWS`]).
pub const PENDING_WINDOW_DAYS: RangeInclusive<i64> = 7..=366;

/// The page sizes of a listing.
pub const PAGE_SIZES: RangeInclusive<u64> = 1..=100;

/// Checks text that will be stored: it may not contain a NUL character (neither store can keep
/// one faithfully, and no name or id has one).
pub fn stored_text(argument: Argument, text: &str) -> Result<()> {
    if text.contains('\0') {
        Err(Error::invalid(argument, "must not contain a NUL character"))
    } else {
        Ok(())
    }
}

/// Whether text can name something stored: a reference with a NUL character names nothing.
pub fn can_name_something(text: &str) -> bool {
    !text.is_empty() && !text.contains('\0')
}

/// Checks a description.
pub fn description(text: &str) -> Result<()> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            Argument::Description,
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    stored_text(Argument::Description, text)
}

/// Quotes at most this many characters of client input in a message.
const MAX_ECHO: usize = 64;

/// Shortens client-supplied text (a key id, an alias) for an error message.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The most tags a key carries on Alibaba's API.
pub const MAX_TAGS_PER_KEY: usize = 20;

/// The longest tag key or tag value on Alibaba's API, in characters.
pub const MAX_TAG_CHARS: usize = 128;

/// What a tag key may not start with on Alibaba's API, in any case: reserved for the cloud's own
/// tags.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["aliyun", "acs:"];

/// A cloud's limits on tags (its [`crate::kms::Policy`] names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRules {
    /// The most tags a key carries.
    pub max_per_key: usize,
    /// The longest tag key, in characters.
    pub max_key_chars: usize,
    /// The longest tag value, in characters.
    pub max_value_chars: usize,
    /// What a tag key may not start with, in any case.
    pub reserved_prefixes: &'static [&'static str],
}

impl TagRules {
    /// Alibaba: 20 tags of 128-character keys and values; `aliyun` and `acs:` reserved.
    pub const ALIBABA: Self = Self {
        max_per_key: MAX_TAGS_PER_KEY,
        max_key_chars: MAX_TAG_CHARS,
        max_value_chars: MAX_TAG_CHARS,
        reserved_prefixes: &RESERVED_TAG_PREFIXES,
    };

    /// AWS: 50 tags, 128-character keys, 256-character values; `aws:` reserved.
    pub const AWS: Self = Self {
        max_per_key: 50,
        max_key_chars: 128,
        max_value_chars: 256,
        reserved_prefixes: &["aws:"],
    };
}

/// Whether `c` may appear in a tag key or value: English letters and digits (as the SDK's
/// documentation spells out the guide's "letters"), the punctuation `/ \ _ - . + = : @`, and
/// spaces.
pub fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '/' | '\\' | '_' | '-' | '.' | '+' | '=' | ':' | '@' | ' '
        )
}

/// `a`, `a or b`, `a, b or c`: the allowed names, for a message.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// At most this many characters in a key material's description (AWS `KeyMaterialDescription`).
pub const MAX_MATERIAL_DESCRIPTION_CHARS: usize = 256;

/// A key material's description: up to 256 of `[a-zA-Z0-9:/_\s.-]`, as AWS allows.
pub fn material_description(text: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c.is_whitespace() || ":/_.-".contains(c);
    if text.chars().count() > MAX_MATERIAL_DESCRIPTION_CHARS || !text.chars().all(allowed) {
        return Err(Error::invalid(
            Argument::KeyMaterialDescription,
            format!(
                "must be at most {MAX_MATERIAL_DESCRIPTION_CHARS} characters of letters, digits, \
                 whitespace and : / _ . -"
            ),
        ));
    }
    Ok(())
}

/// A key material id: 64 lowercase hexadecimal digits.
pub fn key_material_id(text: &str) -> Result<()> {
    if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(Error::invalid(
            Argument::KeyMaterialId,
            "must be 64 lowercase hexadecimal digits, as ImportKeyMaterial and ListKeyRotations \
             return it",
        ))
    }
}
