//! RSA wrapping key pairs: generated for `GetParametersForImport` (RSA-2048), and the
//! constant-time unwrap of `ImportKeyMaterial` (RFC 8017 §7, aws-lc): RSA alone, or RSA-OAEP of an
//! ephemeral AES-256 key followed by the material under it (AES-256-ECB with PKCS#7 padding, or
//! AES key wrap with padding, RFC 5649).

use aws_lc_rs::cipher::{AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::key_wrap::{self, AesKek, KeyWrapPadded as _};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
};
use byok_wrap::spec::{OaepHash, WrapScheme};
use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};
use zeroize::Zeroizing;

use super::error::{Error, Result};

/// A freshly generated RSA-2048 wrapping key pair.
pub struct WrappingKeyPair {
    /// The private key, PKCS#8 DER. Sealed before it is stored.
    pub private_pkcs8: Zeroizing<Vec<u8>>,
    /// The public key, DER SubjectPublicKeyInfo: what `GetParametersForImport` returns (base64).
    pub public_der: Vec<u8>,
}

/// Generates an RSA-2048 wrapping key pair.
pub fn generate_wrapping_key_pair() -> Result<WrappingKeyPair> {
    generate_wrapping_key_pair_of(WrappingKeySpec::Rsa2048)
}

/// Generates a wrapping key pair of `spec` (RSA-2048, 3072 or 4096).
pub fn generate_wrapping_key_pair_of(spec: WrappingKeySpec) -> Result<WrappingKeyPair> {
    let size = match spec {
        WrappingKeySpec::Rsa2048 => KeySize::Rsa2048,
        WrappingKeySpec::Rsa3072 => KeySize::Rsa3072,
        WrappingKeySpec::Rsa4096 => KeySize::Rsa4096,
    };
    let private =
        PrivateDecryptingKey::generate(size).map_err(|_| Error::Operation("RSA key generation"))?;
    let private_pkcs8 = Zeroizing::new(
        private
            .as_der()
            .map_err(|_| Error::Operation("RSA private key encoding"))?
            .as_ref()
            .to_vec(),
    );
    let public_der = private
        .public_key()
        .as_der()
        .map_err(|_| Error::Operation("RSA public key encoding"))?
        .as_ref()
        .to_vec();
    Ok(WrappingKeyPair {
        private_pkcs8,
        public_der,
    })
}

/// A wrapping private key, parsed and ready to decrypt.
pub struct UnwrappingKey(PrivateDecryptingKey);

impl UnwrappingKey {
    /// Parses (and validates) a PKCS#8 RSA private key.
    pub fn from_pkcs8(private_pkcs8: &[u8]) -> Result<Self> {
        PrivateDecryptingKey::from_pkcs8(private_pkcs8)
            .map(Self)
            .map_err(|_| Error::StoredKey("wrapping private key"))
    }
}

/// Unwraps key material with a wrapping private key (RFC 8017 §7), in constant time (aws-lc).
///
/// Returns `None` for every kind of failure alike; callers must not tell them apart.
pub fn unwrap_key_material(
    key: &UnwrappingKey,
    algorithm: WrappingAlgorithm,
    wrapped: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    match algorithm.rule().scheme {
        WrapScheme::Oaep(hash) => oaep_decrypt(key, hash, wrapped),
        WrapScheme::Pkcs1V15 => {
            let key = key.0.clone();
            let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
            let len = Pkcs1PrivateDecryptingKey::new(key)
                .ok()?
                .decrypt(wrapped, &mut out)
                .ok()?
                .len();
            out.truncate(len);
            Some(out)
        }
        WrapScheme::OaepEcbPkcs7(hash) => {
            let (rsa_part, aes_part) = wrapped.split_at_checked(key.0.key_size_bytes())?;
            let aes_key = oaep_decrypt(key, hash, rsa_part)?;
            let ecb = UnboundCipherKey::new(&AES_256, &aes_key)
                .and_then(PaddedBlockDecryptingKey::ecb_pkcs7)
                .ok()?;
            let mut out = Zeroizing::new(aes_part.to_vec());
            let len = ecb.decrypt(&mut out, DecryptionContext::None).ok()?.len();
            out.truncate(len);
            Some(out)
        }
        WrapScheme::OaepKwp(hash) => {
            let (rsa_part, aes_part) = wrapped.split_at_checked(key.0.key_size_bytes())?;
            let aes_key = oaep_decrypt(key, hash, rsa_part)?;
            let kek = AesKek::new(&key_wrap::AES_256, &aes_key).ok()?;
            let mut out = Zeroizing::new(vec![0u8; aes_part.len()]);
            let len = kek.unwrap_with_padding(aes_part, &mut out).ok()?.len();
            out.truncate(len);
            Some(out)
        }
    }
}

/// RSA-OAEP decryption with the wrapping private key; `None` for every failure alike.
fn oaep_decrypt(
    key: &UnwrappingKey,
    hash: OaepHash,
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let key = key.0.clone();
    let oaep = match hash {
        OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
    };
    let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
    let len = OaepPrivateDecryptingKey::new(key)
        .ok()?
        .decrypt(oaep, ciphertext, &mut out, None)
        .ok()?
        .len();
    out.truncate(len);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_inverts_byok_wrap_for_all_algorithms() {
        let pair = generate_wrapping_key_pair().unwrap();
        let public = byok_wrap::WrappingPublicKey::from_der(&pair.public_der).unwrap();
        let material = byok_wrap::KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap();
        let served = [
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesPkcs1V15,
        ];
        for algorithm in served {
            let options = byok_wrap::WrapOptions {
                algorithm,
                allow_legacy_pkcs1: true,
                key_spec: None,
            };
            let wrapped = byok_wrap::wrap_with(&public, &material, &options).unwrap();
            let key = UnwrappingKey::from_pkcs8(&pair.private_pkcs8).unwrap();
            let out = unwrap_key_material(&key, algorithm, wrapped.as_bytes());
            assert_eq!(
                out.as_deref().map(Vec::as_slice),
                Some(material.expose_secret())
            );
            // The wrong algorithm fails (OAEP hashes differ; PKCS#1 padding differs).
            let other = served.into_iter().find(|a| *a != algorithm).unwrap();
            assert!(unwrap_key_material(&key, other, wrapped.as_bytes()).is_none());
        }
    }

    #[test]
    fn hybrid_unwrap_inverts_byok_wrap() {
        use aws_lc_rs::encoding::Pkcs8V1Der;

        let pair = generate_wrapping_key_pair().unwrap();
        let public = byok_wrap::WrappingPublicKey::from_der(&pair.public_der).unwrap();
        let key = UnwrappingKey::from_pkcs8(&pair.private_pkcs8).unwrap();
        // A private key as material (what Alibaba's ECB scheme carries), and 32 bytes (AWS's KWP).
        let rsa = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&rsa).unwrap();
        let private = byok_wrap::PrivateKeyMaterial::from_der(pkcs8.as_ref()).unwrap();
        let symmetric = byok_wrap::KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap();
        let cases = [
            (
                WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
                byok_wrap::Material::PrivateKey(&private),
            ),
            (
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                byok_wrap::Material::Symmetric(&symmetric),
            ),
            (
                WrappingAlgorithm::RsaAesKeyWrapSha1,
                byok_wrap::Material::Symmetric(&symmetric),
            ),
        ];
        for (algorithm, material) in cases {
            let options = byok_wrap::ImportOptions {
                algorithm,
                allow_legacy_pkcs1: false,
                key_spec: None,
            };
            let wrapped = byok_wrap::wrap_for_import(&public, material, &options).unwrap();
            let out = unwrap_key_material(&key, algorithm, wrapped.as_bytes());
            assert_eq!(
                out.as_deref().map(Vec::as_slice),
                Some(material.expose_secret()),
                "{algorithm:?}"
            );
            // One byte changed in the AES part, or the parts cut short: never the material (ECB
            // may still unpad by chance, so only KWP's integrity check promises `None`).
            let mut bad = wrapped.as_bytes().to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let out = unwrap_key_material(&key, algorithm, &bad);
            assert_ne!(
                out.as_deref().map(Vec::as_slice),
                Some(material.expose_secret())
            );
            assert!(unwrap_key_material(&key, algorithm, &wrapped.as_bytes()[..256]).is_none());
        }
    }
}
