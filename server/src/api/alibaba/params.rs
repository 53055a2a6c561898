//! Request parameters: the query string and an `application/x-www-form-urlencoded` body, merged
//! (RPC style: the current SDKs send the query, older ones a form body), each name at most once.
//!
//! Nothing is dropped silently. A map parameter some SDKs flatten (`EncryptionContext.purpose=…`,
//! as `@alicloud/kms20160120` sends it) is read as the same context as its JSON form; any other
//! parameter whose name extends a known one (`KeyId.1`) is refused.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::error::{Error, Result};
use crate::api::ApiRequest;
use crate::kms::ciphertext::EncryptionContext;
use crate::kms::tag::Tag;

/// The parameter whose flattened form is understood.
const CONTEXT: &str = "EncryptionContext";

/// The request parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Name–value pairs from the query string, decoded.
    pub query: Vec<(String, String)>,
    /// Name–value pairs from a form body, decoded.
    pub form: Vec<(String, String)>,
}

impl Params {
    /// Parses the query string and, for `application/x-www-form-urlencoded`, the body.
    pub fn from_request(request: &ApiRequest) -> Result<Self> {
        let query = decode_form(&request.query)?;
        let form = if request.body.is_empty() {
            Vec::new()
        } else {
            let content_type = request.header("content-type").unwrap_or_default();
            let mime = content_type.split(';').next().unwrap_or_default().trim();
            if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(Error::invalid(
                    "body",
                    "parameters must be in the query string or an \
                     application/x-www-form-urlencoded body",
                ));
            }
            let text = core::str::from_utf8(&request.body)
                .map_err(|_| Error::invalid("body", "the form body is not UTF-8"))?;
            decode_form(text)?
        };
        let params = Self { query, form };
        let mut names: Vec<&str> = params.all().map(|(n, _)| n).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::invalid(w[0].to_owned(), "is given more than once"));
        }
        Ok(params)
    }

    /// Every parameter, query first.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .iter()
            .chain(&self.form)
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A parameter's value, or `None` when it is absent or empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required parameter: absent or empty is `MissingParameter`.
    pub fn required(&self, name: &'static str) -> Result<&str> {
        self.optional(name)
            .ok_or(Error::MissingParameter(Cow::Borrowed(name)))
    }

    /// An optional whole number.
    pub fn integer(&self, name: &'static str) -> Result<Option<i64>> {
        self.optional(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| Error::invalid(name, "must be a whole number"))
            })
            .transpose()
    }

    /// A required base64 parameter's bytes, wiped when dropped (Plaintext may be a secret).
    pub fn base64(&self, name: &'static str) -> Result<Zeroizing<Vec<u8>>> {
        STANDARD
            .decode(self.required(name)?)
            .map(Zeroizing::new)
            .map_err(|_| Error::invalid(name, "must be standard base64"))
    }

    /// An optional wire name, parsed by `parse`, which says what is allowed when it fails.
    pub fn named<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
        allowed: &'static str,
    ) -> Result<Option<T>> {
        self.optional(name)
            .map(|v| parse(v).ok_or_else(|| Error::invalid(name, allowed)))
            .transpose()
    }

    /// The encryption context: the JSON object text of `EncryptionContext`, or its flattened
    /// form `EncryptionContext.<name>=<value>`, not both; absent is no context.
    pub fn encryption_context(&self) -> Result<EncryptionContext> {
        let flattened: Vec<(String, String)> = self
            .all()
            .filter_map(|(n, v)| {
                n.strip_prefix(CONTEXT)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .map(|name| (name.to_owned(), v.to_owned()))
            })
            .collect();
        let pairs = match (self.optional(CONTEXT), flattened.is_empty()) {
            (Some(_), false) => {
                return Err(Error::invalid(
                    CONTEXT,
                    "give it either as JSON text or flattened (EncryptionContext.<name>=<value>), \
                     not both",
                ));
            }
            (Some(json), true) => return json_context(json),
            (None, _) => flattened,
        };
        Ok(EncryptionContext::from_pairs(pairs)?)
    }

    /// Refuses a parameter whose name extends one of `known` (`KeyId.1`, `Plaintext.x`): such a
    /// parameter is a flattened value this door does not take, and ignoring it would change what
    /// the request means. `EncryptionContext.<name>` is read by [`Params::encryption_context`].
    pub fn refuse_extensions(&self, known: &[&str]) -> Result<()> {
        for (name, _) in self.all() {
            let Some((base, _)) = name.split_once('.') else {
                continue;
            };
            if base != CONTEXT && known.contains(&base) {
                return Err(Error::invalid(
                    name.to_owned(),
                    format!(
                        "is not a parameter of this API: {base} takes a single value (send \
                         lists and maps as JSON text)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// An encryption context from its JSON form, an object of strings (`{"purpose":"backup"}`). A
/// name given twice is refused (by [`EncryptionContext::from_pairs`]), not resolved: parsers
/// disagree on which value wins.
pub fn json_context(text: &str) -> Result<EncryptionContext> {
    Ok(EncryptionContext::from_pairs(json_object(text)?)?)
}

/// `Tags` from its JSON form, `[{"TagKey":"k","TagValue":"v"}]` (a missing `TagValue` is
/// empty). The rules on the tags are the core's.
pub fn json_tags(text: &str) -> Result<Vec<Tag>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct WireTag {
        #[serde(rename = "TagKey")]
        key: String,
        #[serde(rename = "TagValue", default)]
        value: String,
    }
    let tags: Vec<WireTag> = serde_json::from_str(text).map_err(|_| {
        Error::invalid(
            "Tags",
            "must be a JSON array of objects with TagKey and TagValue, e.g. \
             [{\"TagKey\":\"env\",\"TagValue\":\"prod\"}]",
        )
    })?;
    Ok(tags
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect())
}

/// `TagKeys` from its JSON form, an array of strings (`["env","team"]`).
pub fn json_tag_keys(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|_| {
        Error::invalid(
            "TagKeys",
            "must be a JSON array of tag keys, e.g. [\"env\",\"team\"]",
        )
    })
}

fn json_object(text: &str) -> Result<Vec<(String, String)>> {
    let shape = || {
        Error::invalid(
            CONTEXT,
            "must be a JSON object of strings, e.g. {\"purpose\":\"backup\"}",
        )
    };
    let members: Members = serde_json::from_str(text).map_err(|_| shape())?;
    members
        .0
        .into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(value) => Ok((name, value)),
            _ => Err(Error::invalid(
                CONTEXT,
                format!(
                    "the value of {:?} must be a string",
                    crate::kms::rules::echo(&name)
                ),
            )),
        })
        .collect()
}

/// A JSON object's members in order, duplicates kept.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> core::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> core::result::Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Decodes `application/x-www-form-urlencoded` text strictly: `+` is a space, `%XX` a byte, and
/// the result must be UTF-8.
pub fn decode_form(text: &str) -> Result<Vec<(String, String)>> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name).ok_or_else(|| {
                Error::invalid(
                    "query",
                    "a parameter name is not valid percent-encoded UTF-8",
                )
            })?;
            let value = percent_decode(value).ok_or_else(|| {
                Error::invalid(name.clone(), "is not valid percent-encoded UTF-8")
            })?;
            Ok((name, value))
        })
        .collect()
}

/// `+` as a space, then strict percent-decoding (a `%` must start a valid escape), then UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let spaced = text.replace('+', " ");
    // percent-encoding passes a malformed escape through as is; the wire wants it refused.
    let bytes = spaced.as_bytes();
    let malformed = bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if malformed {
        return None;
    }
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params {
            query: decode_form(query).unwrap(),
            form: Vec::new(),
        }
    }

    #[test]
    fn form_decoding_is_strict() {
        assert_eq!(
            decode_form("a=b+c&d=%2B%2F%3D&e=").unwrap(),
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "+/=".into()),
                ("e".into(), "".into())
            ]
        );
        assert!(decode_form("a=%zz").is_err());
        assert!(decode_form("a=%4").is_err());
        assert!(decode_form("a=%ff").is_err(), "not UTF-8");
    }

    #[test]
    fn a_flattened_context_is_the_json_context() {
        let json = params("EncryptionContext=%7B%22purpose%22%3A%22backup%22%7D");
        let flat = params("EncryptionContext.purpose=backup");
        assert_eq!(
            json.encryption_context().unwrap(),
            flat.encryption_context().unwrap()
        );
        assert!(
            params("EncryptionContext=%7B%7D&EncryptionContext.a=b")
                .encryption_context()
                .is_err()
        );
        assert_eq!(
            params("").encryption_context().unwrap(),
            EncryptionContext::default()
        );
    }

    #[test]
    fn extensions_of_known_parameters_are_refused() {
        let known = ["KeyId", "EncryptionContext"];
        assert!(
            params("KeyId=k&KeyId.1=x")
                .refuse_extensions(&known)
                .is_err()
        );
        assert!(
            params("KeyId=k&EncryptionContext.a=b")
                .refuse_extensions(&known)
                .is_ok()
        );
        assert!(params("Other.1=x").refuse_extensions(&known).is_ok());
    }

    #[test]
    fn context_values_are_strings() {
        assert!(
            params("EncryptionContext=%7B%22a%22%3A1%7D")
                .encryption_context()
                .is_err()
        );
        assert!(
            params("EncryptionContext=%5B1%5D")
                .encryption_context()
                .is_err()
        );
    }
}
