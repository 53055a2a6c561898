//! Wrapping: encrypting key material under the KMS's RSA wrapping public key (RFC 8017 §7), the step
//! that `openssl pkeyutl -encrypt` does in the KMS's own guide.

use sha1::Sha1;
use sha2::Sha256;

use crate::error::{Error, ExpectedLength, Result};
use crate::material::{KeyMaterial, check_spec_length};
use crate::padding;
use crate::public_key::WrappingPublicKey;
use crate::spec::{KeySpec, WrappingAlgorithm};

/// How to wrap: the algorithm, the legacy opt-in and an optional key spec to check the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WrapOptions {
    /// The wrapping algorithm; `RSAES_OAEP_SHA_256` by default. It must be the one passed to
    /// `GetParametersForImport`.
    pub algorithm: WrappingAlgorithm,
    /// Permits `RSAES_PKCS1_V1_5`. Off by default: NIST disallows PKCS#1 v1.5 for key transport
    /// since 2024, and it invites padding-oracle attacks on whoever decrypts.
    pub allow_legacy_pkcs1: bool,
    /// When set, the material must be exactly this spec's length.
    pub key_spec: Option<KeySpec>,
}

/// Key material encrypted under a wrapping public key: what `ImportKeyMaterial` uploads. Not secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKeyMaterial {
    bytes: Vec<u8>,
}

impl WrappedKeyMaterial {
    /// The ciphertext, as long as the wrapping key's modulus.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Standard base64 with padding and no line breaks, exactly what `openssl enc -e -base64 -A`
    /// prints: the value for `EncryptedKeyMaterial`.
    pub fn to_base64(&self) -> String {
        crate::base64::encode(&self.bytes)
    }

    /// The ciphertext bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl core::fmt::Debug for WrappedKeyMaterial {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "WrappedKeyMaterial({} bytes)", self.bytes.len())
    }
}

/// Wraps `material` under `key` with `algorithm`. Refuses the legacy `RSAES_PKCS1_V1_5`; use
/// [`wrap_with`] to opt in to it or to check the length against a key spec.
pub fn wrap(
    key: &WrappingPublicKey,
    algorithm: WrappingAlgorithm,
    material: &KeyMaterial,
) -> Result<WrappedKeyMaterial> {
    wrap_with(
        key,
        material,
        &WrapOptions {
            algorithm,
            ..WrapOptions::default()
        },
    )
}

/// Wraps `material` under `key` as `options` say, after [`check_before_wrapping`].
pub fn wrap_with(
    key: &WrappingPublicKey,
    material: &KeyMaterial,
    options: &WrapOptions,
) -> Result<WrappedKeyMaterial> {
    check_before_wrapping(key, options, material.len())?;
    let algorithm = options.algorithm;
    let plaintext = material.expose_secret();
    let rsa = key.rsa();
    let encoded = match algorithm {
        WrappingAlgorithm::RsaesOaepSha256 => padding::oaep::<Sha256>(plaintext, rsa.size())?,
        WrappingAlgorithm::RsaesOaepSha1 => padding::oaep::<Sha1>(plaintext, rsa.size())?,
        WrappingAlgorithm::RsaesPkcs1V15 => padding::pkcs1_v15(plaintext, rsa.size())?,
    };
    let bytes = rsa.encrypt(&encoded);
    Ok(WrappedKeyMaterial { bytes })
}

/// Checks everything [`wrap_with`] checks before it touches the material, given only its length:
/// the legacy opt-in, the length against the key spec (if any), then that the material is
/// non-empty and fits the algorithm (190 bytes for OAEP-SHA-256 under RSA-2048).
///
/// Lets a caller refuse bad input before copying a secret anywhere.
pub fn check_before_wrapping(
    key: &WrappingPublicKey,
    options: &WrapOptions,
    material_len: usize,
) -> Result<()> {
    let algorithm = options.algorithm;
    if algorithm.is_legacy() && !options.allow_legacy_pkcs1 {
        return Err(Error::LegacyAlgorithmRefused);
    }
    if let Some(spec) = options.key_spec {
        check_spec_length(spec, material_len)?;
    }
    let max = key.max_material_len(algorithm);
    if material_len == 0 || material_len > max {
        return Err(Error::MaterialLength {
            expected: ExpectedLength::UpTo {
                max,
                algorithm,
                modulus_bits: key.spec().bits(),
            },
            got: material_len,
        });
    }
    Ok(())
}
