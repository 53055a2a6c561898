//! Import tokens: what `GetParametersForImport` hands out and `ImportKeyMaterial` checks.
//!
//! A token is sealed (AES-256-GCM under a root-derived key) and self-describing: it names the
//! account, the key, the wrapping key pair, the algorithm, a hash of the public key, and its expiry.
//! It is verified without a lookup; the wrapping private key is then found by its id.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_wrap::WrappingAlgorithm;

use crate::crypto::Crypto;
use crate::kms::error::{Error, Result};

/// How long a token (and its wrapping key pair) may be used: 24 hours.
pub const TOKEN_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// The contents of an import token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportToken {
    /// The account the token was issued to.
    pub account_id: String,
    /// The key the token imports into.
    pub key_id: String,
    /// The wrapping key pair whose public key was handed out with the token.
    pub wrapping_key_id: String,
    /// The wrapping algorithm the material must be wrapped with.
    pub algorithm: WrappingAlgorithm,
    /// SHA-256 of the wrapping public key's DER, binding the token to that public key.
    pub public_key_sha256: Vec<u8>,
    /// When the token stops being valid (Unix seconds).
    pub expires_at: i64,
}

/// The format version, the first byte of a sealed token's payload.
const TOKEN_VERSION: u8 = 1;

impl ImportToken {
    /// Seals the token into the opaque string clients pass back as `ImportToken`.
    pub fn seal(&self, crypto: &Crypto) -> Result<String> {
        let mut payload = vec![TOKEN_VERSION];
        for field in [
            self.account_id.as_bytes(),
            self.key_id.as_bytes(),
            self.wrapping_key_id.as_bytes(),
            self.algorithm.as_str().as_bytes(),
            &self.public_key_sha256,
        ] {
            push_field(&mut payload, field)?;
        }
        payload.extend_from_slice(&self.expires_at.to_be_bytes());
        Ok(STANDARD.encode(crypto.seal_token(&payload)?))
    }

    /// Opens a token string. Fails with `InvalidImportToken` if it is not one this KMS sealed,
    /// whatever is wrong with it; expiry is checked by the caller.
    pub fn open(crypto: &Crypto, token: &str) -> Result<Self> {
        let sealed = STANDARD
            .decode(token.trim())
            .map_err(|_| Error::InvalidImportToken("it is not the base64 text of a token"))?;
        let payload = crypto.open_token(&sealed).ok_or(Error::InvalidImportToken(
            "it was not issued by this KMS, or it was changed",
        ))?;
        parse_payload(&payload).ok_or(Error::InvalidImportToken("its format is not supported"))
    }
}

fn push_field(out: &mut Vec<u8>, field: &[u8]) -> Result<()> {
    let len = u16::try_from(field.len())
        .map_err(|_| Error::Invariant("an import token field is too long"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
    Ok(())
}

fn parse_payload(payload: &[u8]) -> Option<ImportToken> {
    let (&version, mut rest) = payload.split_first()?;
    if version != TOKEN_VERSION {
        return None;
    }
    let mut field = || -> Option<&[u8]> {
        let (len, tail) = rest.split_at_checked(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (value, tail) = tail.split_at_checked(len)?;
        rest = tail;
        Some(value)
    };
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).ok();
    let account_id = text(field()?)?;
    let key_id = text(field()?)?;
    let wrapping_key_id = text(field()?)?;
    let algorithm = text(field()?)?.parse().ok()?;
    let public_key_sha256 = field()?.to_vec();
    let expires_at = i64::from_be_bytes(rest.try_into().ok()?);
    Some(ImportToken {
        account_id,
        key_id,
        wrapping_key_id,
        algorithm,
        public_key_sha256,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::RootKey;

    fn token() -> ImportToken {
        ImportToken {
            account_id: "1234567890123456".into(),
            key_id: "k".into(),
            wrapping_key_id: "w".into(),
            algorithm: WrappingAlgorithm::RsaesOaepSha1,
            public_key_sha256: vec![1; 32],
            expires_at: 1_800_000_000,
        }
    }

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let crypto = Crypto::new(&RootKey::from_bytes(&[3; 32]).unwrap()).unwrap();
        let sealed = token().seal(&crypto).unwrap();
        assert_eq!(ImportToken::open(&crypto, &sealed).unwrap(), token());

        let mut bytes = STANDARD.decode(&sealed).unwrap();
        for i in [0, bytes.len() / 2, bytes.len() - 1] {
            bytes[i] ^= 1;
            let err = ImportToken::open(&crypto, &STANDARD.encode(&bytes)).unwrap_err();
            assert!(matches!(err, Error::InvalidImportToken(_)), "{err}");
            bytes[i] ^= 1;
        }
        let truncated = STANDARD.encode(&bytes[..bytes.len() - 1]);
        assert!(ImportToken::open(&crypto, &truncated).is_err());
        assert!(ImportToken::open(&crypto, "not base64!").is_err());

        let other = Crypto::new(&RootKey::from_bytes(&[4; 32]).unwrap()).unwrap();
        assert!(ImportToken::open(&other, &sealed).is_err());
    }
}
