//! Symmetric key material: generated from the platform CSPRNG or taken from the caller, wiped on
//! drop, never printed; and [`Material`], either that or a private key, as the wrapping code takes
//! it.

use core::fmt;

use zeroize::Zeroizing;

use crate::check_value;
use crate::error::{Error, ExpectedLength, Result};
use crate::private_key::PrivateKeyMaterial;
use crate::spec::{KeySpec, MaterialKind, MaterialRequirement, MaterialSpec};

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

    /// Generates material for a symmetric key spec of any cloud, of the spec's (shortest) length:
    /// 32 bytes for `SYMMETRIC_DEFAULT` and `HMAC_256`, 28 for `HMAC_224`, … Asymmetric specs
    /// are refused: generate private keys with the tool that will also keep them.
    pub fn generate_for(spec: MaterialSpec) -> Result<Self> {
        match spec.requirement() {
            MaterialRequirement::Bytes(range) => {
                let mut bytes = Zeroizing::new(vec![0u8; *range.start()]);
                getrandom::fill(&mut bytes).map_err(|e| Error::RandomUnavailable(e.to_string()))?;
                Ok(Self { bytes })
            }
            MaterialRequirement::PrivateKey(_) => Err(Error::InvalidArgument(format!(
                "{spec} is an asymmetric key spec: generateKeyMaterial makes symmetric material \
                 only; generate the private key with openssl (or your HSM) and pass it as privateKey"
            ))),
        }
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
        self.key_check_value_for(spec.map(MaterialSpec::from))
    }

    /// [`KeyMaterial::key_check_value`] for a key spec of any cloud. HMAC keys have no check value
    /// (there is no standard one), and are refused.
    pub fn key_check_value_for(&self, spec: Option<MaterialSpec>) -> Result<String> {
        if let Some(spec) = spec {
            check_spec(spec, MaterialShape::Symmetric { len: self.len() })?;
            if matches!(
                spec,
                MaterialSpec::Hmac224
                    | MaterialSpec::Hmac256
                    | MaterialSpec::Hmac384
                    | MaterialSpec::Hmac512
            ) {
                return Err(Error::InvalidArgument(format!(
                    "{spec} keys have no key check value (it is defined for AES and SM4 keys); \
                     compare HMAC keys by a MAC of a test message instead"
                )));
            }
        }
        let block = match spec {
            Some(MaterialSpec::AliyunSm4) => check_value::sm4_zero_block(&self.bytes),
            _ => check_value::aes_zero_block(&self.bytes),
        }
        .ok_or(Error::MaterialLength {
            expected: ExpectedLength::AesKey,
            got: self.len(),
        })?;
        Ok(base16ct::upper::encode_string(&block))
    }
}

/// Material to wrap: symmetric bytes or a private key, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Material<'a> {
    /// Symmetric key material (AES, SM4, HMAC keys).
    Symmetric(&'a KeyMaterial),
    /// A private key, wrapped as its PKCS#8 DER.
    PrivateKey(&'a PrivateKeyMaterial),
}

impl Material<'_> {
    /// The bytes that are wrapped: the raw material, or the PKCS#8 DER of the private key.
    pub fn expose_secret(&self) -> &[u8] {
        match self {
            Self::Symmetric(m) => m.expose_secret(),
            Self::PrivateKey(k) => k.expose_secret(),
        }
    }

    /// The length of what is wrapped, in bytes.
    pub fn len(&self) -> usize {
        self.expose_secret().len()
    }

    /// Whether there is nothing to wrap.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Symmetric or private key, with the key's type.
    pub fn shape(&self) -> MaterialShape {
        match self {
            Self::Symmetric(m) => MaterialShape::Symmetric { len: m.len() },
            Self::PrivateKey(k) => MaterialShape::PrivateKey {
                key_type: k.key_type(),
                len: k.len(),
            },
        }
    }
}

impl<'a> From<&'a KeyMaterial> for Material<'a> {
    fn from(material: &'a KeyMaterial) -> Self {
        Self::Symmetric(material)
    }
}

impl<'a> From<&'a PrivateKeyMaterial> for Material<'a> {
    fn from(key: &'a PrivateKeyMaterial) -> Self {
        Self::PrivateKey(key)
    }
}

/// What the checks need to know about material, without the secret itself: so that bad input can
/// be refused before the secret is copied anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialShape {
    /// Symmetric bytes of this length.
    Symmetric {
        /// The length in bytes.
        len: usize,
    },
    /// A private key of this type, `len` bytes as PKCS#8.
    PrivateKey {
        /// The key's type.
        key_type: crate::spec::PrivateKeyType,
        /// The length of its PKCS#8 DER.
        len: usize,
    },
}

impl MaterialShape {
    /// Symmetric or private key.
    pub fn kind(&self) -> MaterialKind {
        match self {
            Self::Symmetric { .. } => MaterialKind::Symmetric,
            Self::PrivateKey { .. } => MaterialKind::PrivateKey,
        }
    }

    /// The length of what is wrapped.
    pub fn len(&self) -> usize {
        match *self {
            Self::Symmetric { len } | Self::PrivateKey { len, .. } => len,
        }
    }

    /// Whether there is nothing to wrap.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Checks that material of `shape` is what `spec` demands: bytes of its length, or a private
/// key of its type.
pub(crate) fn check_spec(spec: MaterialSpec, shape: MaterialShape) -> Result<()> {
    match (spec.requirement(), shape) {
        (MaterialRequirement::Bytes(range), MaterialShape::Symmetric { len }) => {
            if range.contains(&len) {
                Ok(())
            } else {
                Err(Error::MaterialLength {
                    expected: match spec.as_key_spec() {
                        Some(spec) => ExpectedLength::Spec(spec),
                        None => ExpectedLength::Material(spec),
                    },
                    got: len,
                })
            }
        }
        (MaterialRequirement::PrivateKey(expected), MaterialShape::PrivateKey { key_type, .. })
            if expected == key_type =>
        {
            Ok(())
        }
        (_, MaterialShape::PrivateKey { key_type, .. }) => Err(Error::KeySpecMismatch {
            spec,
            found: Some(key_type),
        }),
        (MaterialRequirement::PrivateKey(_), MaterialShape::Symmetric { .. }) => {
            Err(Error::KeySpecMismatch { spec, found: None })
        }
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
    fn every_symmetric_spec_generates_its_length_and_asymmetric_ones_refuse() {
        for spec in MaterialSpec::ALL {
            match spec.requirement() {
                MaterialRequirement::Bytes(range) => {
                    let m = KeyMaterial::generate_for(spec).unwrap();
                    assert_eq!(m.len(), *range.start(), "{spec}");
                    assert_eq!(check_spec(spec, Material::from(&m).shape()), Ok(()));
                }
                MaterialRequirement::PrivateKey(_) => {
                    let err = KeyMaterial::generate_for(spec).unwrap_err();
                    assert_eq!(err.code(), "InvalidArgument", "{spec}");
                    assert!(err.to_string().contains("privateKey"), "{err}");
                }
            }
        }
    }

    #[test]
    fn hmac_specs_take_a_range_of_lengths() {
        let shape = |len| MaterialShape::Symmetric { len };
        assert!(check_spec(MaterialSpec::Hmac224, shape(28)).is_ok());
        assert!(check_spec(MaterialSpec::Hmac224, shape(64)).is_ok());
        let err = check_spec(MaterialSpec::Hmac224, shape(65)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HMAC_224 key material must be 28 to 64 bytes, got 65"
        );
        let err = check_spec(MaterialSpec::Hmac512, shape(32)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HMAC_512 key material must be 64 to 128 bytes, got 32"
        );
        let err = check_spec(MaterialSpec::AliyunAes128, shape(32)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Aliyun_AES_128 key material must be 16 bytes, got 32"
        );
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
