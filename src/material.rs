//! Symmetric key material: generated from the platform CSPRNG or taken from the caller, wiped on
//! drop, never printed.

use core::fmt;

use zeroize::Zeroizing;

use crate::check_value;
use crate::error::{Error, ExpectedLength, Result};
use crate::spec::KeySpec;

/// The plaintext key material of a symmetric key.
///
/// The bytes live in one heap buffer that is overwritten with zeros when the value is dropped. There
/// is no `Clone` (so no silent copies) and `Debug` shows only the length. Read the bytes with
/// [`KeyMaterial::expose_secret`].
pub struct KeyMaterial {
    bytes: Zeroizing<Vec<u8>>,
}

impl KeyMaterial {
    /// Generates material of the spec's length from the operating system's (or the browser's)
    /// cryptographically secure random number generator.
    pub fn generate(spec: KeySpec) -> Result<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; spec.material_len()]);
        getrandom::fill(&mut bytes).map_err(|e| Error::RandomUnavailable(e.to_string()))?;
        Ok(Self { bytes })
    }

    /// Copies `bytes` into new key material, checking the length against `spec` when one is given.
    ///
    /// Without a spec any length is accepted here; [`crate::wrap`] checks that it is non-empty and
    /// fits the wrapping algorithm.
    pub fn from_bytes(bytes: &[u8], spec: Option<KeySpec>) -> Result<Self> {
        if let Some(spec) = spec {
            check_spec_length(spec, bytes.len())?;
        }
        Ok(Self {
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// Takes ownership of a buffer that is already zeroizing, without copying it.
    pub fn from_zeroizing(bytes: Zeroizing<Vec<u8>>, spec: Option<KeySpec>) -> Result<Self> {
        if let Some(spec) = spec {
            check_spec_length(spec, bytes.len())?;
        }
        Ok(Self { bytes })
    }

    /// The plaintext bytes. Every call site is a place where the secret is used: keep them few.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether there are no bytes at all (never true for generated material).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The key check value: the first three bytes of the encryption of one all-zero block under this
    /// key, in upper-case hex (for example `"8A2F0C"`).
    ///
    /// It lets a person compare a backup with what was imported without revealing the key. AES is
    /// used for 16, 24 and 32-byte material; pass `Some(KeySpec::AliyunSm4)` for SM4 material, which
    /// is checked with SM4 instead. With a spec, the length must match it.
    pub fn key_check_value(&self, spec: Option<KeySpec>) -> Result<String> {
        if let Some(spec) = spec {
            check_spec_length(spec, self.len())?;
        }
        let block = match spec {
            Some(KeySpec::AliyunSm4) => check_value::sm4_zero_block(&self.bytes),
            _ => check_value::aes_zero_block(&self.bytes),
        }
        .ok_or(Error::MaterialLength {
            expected: ExpectedLength::AesKey,
            got: self.len(),
        })?;
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        Ok(block[..3]
            .iter()
            .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0F)]])
            .map(char::from)
            .collect())
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial([REDACTED; {} bytes])", self.len())
    }
}

/// Checks that `len` is the material length of `spec`.
pub(crate) fn check_spec_length(spec: KeySpec, len: usize) -> Result<()> {
    if len == spec.material_len() {
        Ok(())
    } else {
        Err(Error::MaterialLength {
            expected: ExpectedLength::Spec(spec),
            got: len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn check_values_match_published_vectors() {
        // Expected values from `openssl enc -{aes-128,aes-192,aes-256,sm4}-ecb -nopad -K <key>` on
        // 16 zero bytes (the keys are the FIPS-197 Appendix C keys and the GB/T 32907 example key).
        let cases = [
            ("000102030405060708090a0b0c0d0e0f", None, "C6A13B"),
            (
                "000102030405060708090a0b0c0d0e0f1011121314151617",
                None,
                "916251",
            ),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                None,
                "F29000",
            ),
            (
                "0123456789abcdeffedcba9876543210",
                Some(KeySpec::AliyunSm4),
                "2677F4",
            ),
        ];
        for (key, spec, kcv) in cases {
            let material = KeyMaterial::from_bytes(&hex(key), spec).unwrap();
            assert_eq!(material.key_check_value(spec).unwrap(), kcv, "key {key}");
        }
    }

    #[test]
    fn check_value_refuses_other_lengths() {
        let material = KeyMaterial::from_bytes(&[7; 20], None).unwrap();
        let err = material.key_check_value(None).unwrap_err();
        assert_eq!(err.code(), "MaterialLength");
        assert!(err.to_string().contains("got 20"), "{err}");
        let err = material
            .key_check_value(Some(KeySpec::AliyunAes256))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Aliyun_AES_256 key material must be 32 bytes, got 20"
        );
    }

    #[test]
    fn generated_material_has_the_spec_length_and_differs() {
        for spec in KeySpec::ALL {
            let a = KeyMaterial::generate(spec).unwrap();
            let b = KeyMaterial::generate(spec).unwrap();
            assert_eq!(a.len(), spec.material_len());
            assert_ne!(a.expose_secret(), b.expose_secret());
        }
    }

    #[test]
    fn debug_does_not_show_the_bytes() {
        let material = KeyMaterial::from_bytes(&[0xAB; 32], None).unwrap();
        let shown = format!("{material:?}");
        assert_eq!(shown, "KeyMaterial([REDACTED; 32 bytes])");
    }

    #[test]
    fn spec_length_is_checked_on_construction() {
        let err = KeyMaterial::from_bytes(&[1; 16], Some(KeySpec::AliyunAes256)).unwrap_err();
        assert_eq!(
            err,
            Error::MaterialLength {
                expected: ExpectedLength::Spec(KeySpec::AliyunAes256),
                got: 16
            }
        );
    }
}
