//! Aliases: `alias/<name>` pointing at a key of the same account.

use crate::error::{Error, Result};

/// An alias as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The account that owns it.
    pub account_id: String,
    /// The full name, `alias/…`.
    pub name: String,
    /// The key it points at.
    pub key_id: String,
}

/// Checks an alias name: `alias/` then 1 to 255 letters, digits, `_`, `-` or `/`; `alias/acs` is
/// reserved for cloud services.
pub fn validate_alias_name(name: &str) -> Result<()> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(Error::invalid("AliasName", "must start with alias/"));
    };
    if rest.is_empty() || rest.len() > 255 {
        return Err(Error::invalid(
            "AliasName",
            "must have 1 to 255 characters after alias/",
        ));
    }
    if !rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
    {
        return Err(Error::invalid(
            "AliasName",
            "may contain only letters, digits, _, - and / after alias/",
        ));
    }
    if rest == "acs" || rest.starts_with("acs/") {
        return Err(Error::invalid(
            "AliasName",
            "alias/acs is reserved for cloud services",
        ));
    }
    Ok(())
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
            assert_eq!(
                validate_alias_name(bad).unwrap_err().code(),
                "InvalidParameter",
                "{bad}"
            );
        }
    }
}
