//! A request's JSON body (AWS JSON 1.1): one object whose members are the operation's input.
//! Blobs are standard base64, timestamps epoch seconds. A member of the wrong JSON type is a
//! `SerializationException`; a missing or unknown member a `ValidationException` (unknown
//! members are refused rather than ignored: ignoring one would change what the request means).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::error::{Error, Result};
use crate::kms::ciphertext::EncryptionContext;
use crate::kms::rules::echo;
use crate::kms::tag::Tag;

/// The members of a request.
#[derive(Debug, Clone, Default)]
pub struct Input(Map<String, Value>);

impl Input {
    /// Parses the body: a JSON object (an empty body is an empty object).
    pub fn parse(body: &[u8]) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(Error::Serialization(
                "the request body must be a JSON object".into(),
            )),
            Err(_) => Err(Error::Serialization(
                "the request body is not valid JSON".into(),
            )),
        }
    }

    /// Refuses a member that is not one of `known`.
    pub fn refuse_unknown(&self, known: &[&str]) -> Result<()> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(name) => Err(Error::validation(format!(
                "{} is not a member this operation takes in byok-kms",
                echo(name)
            ))),
            None => Ok(()),
        }
    }

    /// A string member; `None` when absent or null.
    pub fn string(&self, name: &'static str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// A required string member: absent or empty is a `ValidationException`.
    pub fn required(&self, name: &'static str) -> Result<&str> {
        self.string(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing(name))
    }

    /// A boolean member.
    pub fn boolean(&self, name: &'static str) -> Result<Option<bool>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "true or false")),
        }
    }

    /// A whole-number member.
    pub fn integer(&self, name: &'static str) -> Result<Option<i64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| Error::validation(format!("{name} must be a whole number"))),
            Some(_) => Err(wrong_type(name, "a number")),
        }
    }

    /// A timestamp member: epoch seconds (a fraction of a second is dropped).
    pub fn timestamp(&self, name: &'static str) -> Result<Option<i64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                #[allow(clippy::cast_possible_truncation)] // range checked first
                (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.floor() as i64)),
                _ => Err(Error::validation(format!("{name} is out of range"))),
            },
            Some(_) => Err(wrong_type(name, "a number of epoch seconds")),
        }
    }

    /// A required blob member's bytes, wiped when dropped (a plaintext may be a secret).
    pub fn blob(&self, name: &'static str) -> Result<Zeroizing<Vec<u8>>> {
        let text = self.required(name)?;
        STANDARD
            .decode(text)
            .map(Zeroizing::new)
            .map_err(|_| Error::Serialization(format!("{name} must be standard base64").into()))
    }

    /// `EncryptionContext`: an object of strings; absent is no context.
    pub fn encryption_context(&self) -> Result<EncryptionContext> {
        self.encryption_context_in("EncryptionContext")
    }

    /// An encryption context in the member `name` (ReEncrypt has two).
    pub fn encryption_context_in(&self, name: &'static str) -> Result<EncryptionContext> {
        let pairs = match self.0.get(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(v) => Ok((k.clone(), v.clone())),
                    _ => Err(wrong_type(name, "a map of strings")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(wrong_type(name, "a map of strings")),
        };
        Ok(EncryptionContext::from_pairs(pairs)?)
    }

    /// `TagKeys`: a list of strings (required).
    pub fn tag_keys(&self) -> Result<Vec<String>> {
        let name = "TagKeys";
        match self.0.get(name) {
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(wrong_type(name, "a list of strings")),
                })
                .collect(),
            None | Some(Value::Null) => Err(Error::validation("TagKeys is required")),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    /// `Tags`: `[{"TagKey": …, "TagValue": …}]`; absent is none. The rules on tags are the core's.
    pub fn tags(&self) -> Result<Vec<Tag>> {
        let name = "Tags";
        let list = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(_) => return Err(wrong_type(name, "a list of {TagKey, TagValue}")),
        };
        list.iter()
            .map(|item| {
                let Value::Object(tag) = item else {
                    return Err(wrong_type(name, "a list of {TagKey, TagValue}"));
                };
                if let Some(other) = tag.keys().find(|k| *k != "TagKey" && *k != "TagValue") {
                    return Err(Error::validation(format!(
                        "a tag has the member {}; tags have TagKey and TagValue",
                        echo(other)
                    )));
                }
                let text = |member: &str| match tag.get(member) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    None => Err(Error::validation(format!("a tag needs its {member}"))),
                    Some(_) => Err(wrong_type(name, "a list of {TagKey, TagValue}")),
                };
                Ok(Tag {
                    key: text("TagKey")?,
                    value: text("TagValue")?,
                })
            })
            .collect()
    }
}

fn wrong_type(name: &str, wanted: &str) -> Error {
    Error::Serialization(format!("{name} must be {wanted}").into())
}

fn missing(name: &str) -> Error {
    Error::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member \
         must not be null",
        lower_first(name)
    ))
}

/// `KeyId` → `keyId`, as AWS names members in validation messages.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_typed() {
        let input = Input::parse(br#"{"KeyId":"k","N":3,"B":"AAE=","T":1.5,"X":true}"#).unwrap();
        assert_eq!(input.required("KeyId").unwrap(), "k");
        assert_eq!(input.integer("N").unwrap(), Some(3));
        assert_eq!(input.blob("B").unwrap().as_slice(), &[0, 1]);
        assert_eq!(input.timestamp("T").unwrap(), Some(1));
        assert!(matches!(input.string("X"), Err(Error::Serialization(_))));
        assert!(matches!(input.required("Y"), Err(Error::Validation(_))));
        assert!(input.refuse_unknown(&["KeyId", "N", "B", "T"]).is_err());
        assert!(matches!(Input::parse(b"[]"), Err(Error::Serialization(_))));
        assert!(matches!(Input::parse(b"{"), Err(Error::Serialization(_))));
        assert!(Input::parse(b"").is_ok());
    }

    #[test]
    fn tags_and_contexts() {
        let input = Input::parse(
            br#"{"Tags":[{"TagKey":"env","TagValue":"prod"}],"EncryptionContext":{"a":"b"}}"#,
        )
        .unwrap();
        assert_eq!(
            input.tags().unwrap(),
            vec![Tag {
                key: "env".into(),
                value: "prod".into()
            }]
        );
        assert!(!input.encryption_context().unwrap().canonical().is_empty());
        let bad = Input::parse(br#"{"Tags":[{"Key":"env"}],"EncryptionContext":{"a":1}}"#).unwrap();
        assert!(bad.tags().is_err());
        assert!(bad.encryption_context().is_err());
    }
}
