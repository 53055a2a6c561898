//! Wrapping: encrypting key material, or a private key, under the KMS's RSA wrapping public key in
//! the format the chosen algorithm names — the step that the clouds' guides do with `openssl
//! pkeyutl -encrypt` (and `openssl enc -id-aes256-wrap-pad` or `-aes-256-ecb` for the hybrid
//! formats). One module per format family: `direct` for RSA alone, `hybrid` for RSA-OAEP of an
//! ephemeral AES-256 key followed by AES key wrap with padding or AES-ECB.

mod direct;
mod hybrid;

#[cfg(target_arch = "wasm32")]
pub(crate) use hybrid::HybridParts;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ExpectedLength, Result};
use crate::material::{KeyMaterial, Material, MaterialShape, check_spec};
use crate::public_key::WrappingPublicKey;
use crate::spec::{KeySpec, MaterialKind, MaterialSpec, WrapScheme, WrappingAlgorithm};

/// How to wrap symmetric material: the algorithm, the legacy opt-in and an optional Alibaba Cloud
/// key spec to check the length. [`ImportOptions`] is the same for every cloud's key specs.
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

/// How to wrap material of any kind for any cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    /// The wrapping algorithm: the one the KMS named with the wrapping key.
    pub algorithm: WrappingAlgorithm,
    /// When set, the material must be what this key spec demands (bytes of its length, or a
    /// private key of its type).
    pub key_spec: Option<MaterialSpec>,
    /// Permits `RSAES_PKCS1_V1_5`.
    pub allow_legacy_pkcs1: bool,
}

impl From<&WrapOptions> for ImportOptions {
    fn from(options: &WrapOptions) -> Self {
        Self {
            algorithm: options.algorithm,
            key_spec: options.key_spec.map(MaterialSpec::from),
            allow_legacy_pkcs1: options.allow_legacy_pkcs1,
        }
    }
}

/// Key material encrypted under a wrapping public key: what `ImportKeyMaterial` uploads. Not secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKeyMaterial {
    bytes: Vec<u8>,
}

impl WrappedKeyMaterial {
    /// The wrapped bytes: as long as the wrapping key's modulus for RSA alone, followed by the
    /// AES part for the hybrid formats.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Standard base64 with padding and no line breaks, exactly what `openssl enc -e -base64 -A`
    /// prints: the value for `EncryptedKeyMaterial`.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// The wrapped bytes.
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

/// Wraps symmetric `material` under `key` as `options` say, after [`check_before_wrapping`].
pub fn wrap_with(
    key: &WrappingPublicKey,
    material: &KeyMaterial,
    options: &WrapOptions,
) -> Result<WrappedKeyMaterial> {
    wrap_for_import(key, material.into(), &options.into())
}

/// Checks everything [`wrap_with`] checks before it touches the material, given only its length.
pub fn check_before_wrapping(
    key: &WrappingPublicKey,
    options: &WrapOptions,
    material_len: usize,
) -> Result<()> {
    check_for_import(
        key,
        MaterialShape::Symmetric { len: material_len },
        &options.into(),
    )
}

/// Wraps `material` (symmetric bytes or a private key) under `key` in the format of
/// `options.algorithm`, after [`check_for_import`].
pub fn wrap_for_import(
    key: &WrappingPublicKey,
    material: Material<'_>,
    options: &ImportOptions,
) -> Result<WrappedKeyMaterial> {
    check_for_import(key, material.shape(), options)?;
    let plaintext = material.expose_secret();
    let bytes = match options.algorithm.scheme() {
        WrapScheme::Oaep(hash) => direct::oaep(key, hash, plaintext)?,
        WrapScheme::Pkcs1V15 => direct::pkcs1_v15(key, plaintext)?,
        scheme @ (WrapScheme::OaepKwp(_) | WrapScheme::OaepEcbPkcs7(_)) => {
            hybrid::wrap(key, scheme, plaintext)?
        }
    };
    Ok(WrappedKeyMaterial { bytes })
}

/// Checks everything [`wrap_for_import`] checks, given only the shape of the material, in this
/// order: the legacy opt-in; that the algorithm takes this kind of material; that the wrapping
/// key has a size the algorithm allows; the key spec (if any); and that the material is
/// non-empty and fits the algorithm (190 bytes for OAEP-SHA-256 under RSA-2048).
///
/// Lets a caller refuse bad input before copying a secret anywhere.
pub fn check_for_import(
    key: &WrappingPublicKey,
    shape: MaterialShape,
    options: &ImportOptions,
) -> Result<()> {
    let algorithm = options.algorithm;
    let rule = algorithm.rule();
    if rule.legacy && !options.allow_legacy_pkcs1 {
        return Err(Error::LegacyAlgorithmRefused);
    }
    let takes = match shape.kind() {
        MaterialKind::Symmetric => rule.symmetric,
        MaterialKind::PrivateKey => rule.private_keys,
    };
    if !takes {
        return Err(Error::UnsupportedMaterial {
            algorithm,
            private_key: shape.kind() == MaterialKind::PrivateKey,
        });
    }
    if !algorithm.allows_wrapping_key(key.spec()) {
        return Err(Error::WrappingKeyMismatch {
            algorithm,
            got: key.spec(),
        });
    }
    if let Some(spec) = options.key_spec {
        check_spec(spec, shape)?;
    }
    let max = key.max_material_len(algorithm);
    let len = shape.len();
    if len == 0 || len > max {
        let modulus_bits = key.spec().bits();
        return Err(Error::MaterialLength {
            expected: match shape {
                MaterialShape::PrivateKey { key_type, .. } => ExpectedLength::PrivateKeyUpTo {
                    max,
                    algorithm,
                    modulus_bits,
                    key_type,
                },
                MaterialShape::Symmetric { .. } => ExpectedLength::UpTo {
                    max,
                    algorithm,
                    modulus_bits,
                },
            },
            got: len,
        });
    }
    Ok(())
}

/// A fresh AES-256 key and `material` under it, for a hybrid `scheme`: the JavaScript API has the
/// platform's WebCrypto do the RSA step. The caller has run [`check_for_import`].
#[cfg(target_arch = "wasm32")]
pub(crate) fn hybrid_parts(scheme: WrapScheme, material: &[u8]) -> Result<hybrid::HybridParts> {
    hybrid::parts(scheme, material)
}

/// Maps a failure of the `rsa` crate, after our checks passed, to our error.
fn rsa_error(error: rsa::Error) -> Error {
    match error {
        rsa::Error::Rng => Error::RandomUnavailable("the RSA padding needs random bytes".into()),
        other => Error::InvalidPublicKey(format!("found a key the RSA operation refused: {other}")),
    }
}
