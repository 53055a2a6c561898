//! The `CiphertextBlob` of Encrypt and GenerateDataKey.
//!
//! Layout (then base64): `0x01` (version) ‖ len ‖ key id ‖ len ‖ key version id ‖ nonce ‖
//! AES-GCM ciphertext ‖ tag, lengths one byte each. The key id and version are in clear so Decrypt
//! knows which key to use, and they are authenticated, together with the encryption context, as
//! associated data. The cipher key is the key's material itself, so a blob made before
//! DeleteKeyMaterial decrypts again once the same material is re-imported.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::DATA_NONCE_LEN;
use crate::error::{Error, Result};

/// The only blob format version so far.
const VERSION: u8 = 1;

/// A decoded ciphertext blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextBlob {
    /// The key that encrypted it.
    pub key_id: String,
    /// The key version that encrypted it.
    pub version_id: String,
    /// Nonce ‖ ciphertext ‖ tag.
    pub sealed: Vec<u8>,
}

impl CiphertextBlob {
    /// The base64 text clients see.
    pub fn encode(&self) -> Result<String> {
        let mut out = vec![VERSION];
        for field in [self.key_id.as_bytes(), self.version_id.as_bytes()] {
            let len = u8::try_from(field.len()).map_err(|_| Error::internal("id too long"))?;
            out.push(len);
            out.extend_from_slice(field);
        }
        out.extend_from_slice(&self.sealed);
        Ok(STANDARD.encode(out))
    }

    /// Parses the base64 text of a blob.
    pub fn decode(text: &str) -> Result<Self> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| Error::InvalidCiphertext("CiphertextBlob is not base64"))?;
        Self::parse(&bytes).ok_or(Error::InvalidCiphertext(
            "CiphertextBlob is not a ciphertext made by this KMS",
        ))
    }

    fn parse(bytes: &[u8]) -> Option<Self> {
        let (&version, mut rest) = bytes.split_first()?;
        if version != VERSION {
            return None;
        }
        let mut field = || -> Option<String> {
            let (&len, tail) = rest.split_first()?;
            let (value, tail) = tail.split_at_checked(usize::from(len))?;
            rest = tail;
            String::from_utf8(value.to_vec()).ok()
        };
        let key_id = field()?;
        let version_id = field()?;
        // Nonce and at least the 16-byte tag.
        if rest.len() < DATA_NONCE_LEN + 16 {
            return None;
        }
        Some(Self {
            key_id,
            version_id,
            sealed: rest.to_vec(),
        })
    }

    /// The associated data: the blob's header and the canonical encryption context.
    pub fn aad(key_id: &str, version_id: &str, context: &EncryptionContext) -> Vec<u8> {
        let mut aad = format!("byok-kms ciphertext v1\0{key_id}\0{version_id}\0").into_bytes();
        aad.extend_from_slice(context.canonical().as_bytes());
        aad
    }
}

/// The encryption context: string keys and values, bound to a ciphertext as associated data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionContext(pub BTreeMap<String, String>);

impl EncryptionContext {
    /// Parses the JSON object text of the `EncryptionContext` parameter; empty text is no context.
    /// A name given twice is refused: parsers disagree on which value wins, so the context the
    /// caller meant and the one bound to the ciphertext could differ.
    pub fn parse(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let pairs: Pairs = serde_json::from_str(json).map_err(|_| {
            Error::invalid(
                "EncryptionContext",
                "must be a JSON object of strings, e.g. {\"purpose\":\"backup\"}",
            )
        })?;
        let mut map = BTreeMap::new();
        for (k, v) in pairs.0 {
            let serde_json::Value::String(v) = v else {
                return Err(Error::invalid(
                    "EncryptionContext",
                    format!("the value of {k:?} must be a string"),
                ));
            };
            if map.contains_key(&k) {
                return Err(Error::invalid(
                    "EncryptionContext",
                    format!("gives {k:?} more than once"),
                ));
            }
            map.insert(k, v);
        }
        Ok(Self(map))
    }

    /// Sorted, compact JSON: the same text for the same context, whatever order it came in.
    pub fn canonical(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

/// A JSON object's members in order, duplicates kept.
struct Pairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> core::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> core::result::Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_refuse_junk() {
        let blob = CiphertextBlob {
            key_id: "key".into(),
            version_id: "v1".into(),
            sealed: vec![5; 40],
        };
        assert_eq!(
            CiphertextBlob::decode(&blob.encode().unwrap()).unwrap(),
            blob
        );
        for junk in ["", "AAAA", "!!", &STANDARD.encode([2u8; 60])] {
            assert_eq!(
                CiphertextBlob::decode(junk).unwrap_err().code(),
                "InvalidCiphertext"
            );
        }
    }

    #[test]
    fn context_is_canonical_and_strings_only() {
        let a = EncryptionContext::parse(r#"{"b":"2","a":"1"}"#).unwrap();
        let b = EncryptionContext::parse(r#"{ "a": "1", "b": "2" }"#).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            EncryptionContext::parse("").unwrap(),
            EncryptionContext::default()
        );
        assert!(EncryptionContext::parse(r#"{"a":1}"#).is_err());
        assert!(EncryptionContext::parse("[1]").is_err());
    }
}
