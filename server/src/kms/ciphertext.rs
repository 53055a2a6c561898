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
use crate::kms::error::{Argument, Error, Result};
use crate::kms::rules::echo;

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
            let len = u8::try_from(field.len()).map_err(|_| {
                Error::Invariant("a key or version id is too long for a ciphertext")
            })?;
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

/// The encryption context: string names and values, bound to a ciphertext as associated data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionContext(pub BTreeMap<String, String>);

impl EncryptionContext {
    /// A context of these name–value pairs. A name given twice is refused: front doors' parsers
    /// would disagree on which value wins, so the context the caller meant and the one bound to
    /// the ciphertext could differ.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if map.contains_key(&name) {
                return Err(Error::invalid(
                    Argument::EncryptionContext,
                    format!("gives {:?} more than once", echo(&name)),
                ));
            }
            map.insert(name, value);
        }
        Ok(Self(map))
    }

    /// Sorted, compact JSON: the same text for the same context, whatever order it came in.
    pub fn canonical(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
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
            assert!(matches!(
                CiphertextBlob::decode(junk),
                Err(Error::InvalidCiphertext(_))
            ));
        }
    }

    #[test]
    fn context_is_canonical_and_names_are_unique() {
        let pairs = |p: &[(&str, &str)]| {
            EncryptionContext::from_pairs(p.iter().map(|(n, v)| ((*n).into(), (*v).into())))
        };
        let a = pairs(&[("b", "2"), ("a", "1")]).unwrap();
        let b = pairs(&[("a", "1"), ("b", "2")]).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert!(pairs(&[("a", "1"), ("a", "2")]).is_err());
    }
}
