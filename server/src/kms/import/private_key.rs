//! Asymmetric material: the PKCS#8 private key an import of an asymmetric key carries, checked
//! against the key's spec and usage, and what the same-material rule compares for it.

use zeroize::Zeroizing;

use crate::crypto::asymmetric::{AsymmetricKey, AsymmetricSpec, FoundKey, Purpose};
use crate::kms::error::{Error, Result};
use crate::kms::key::KeyUsage;
use crate::kms::key_spec::KeySpec;

/// A private key that fits its key: the PKCS#8 DER to seal, and the public key (DER
/// SubjectPublicKeyInfo) that the same-material rule fingerprints, so that the same key in
/// another PKCS#8 encoding (with or without its public key, other attributes) counts as the same.
pub struct CheckedPrivateKey {
    /// The PKCS#8 DER, as imported.
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_der: Vec<u8>,
}

/// The purpose a key's usage parses its private key for.
pub fn purpose(usage: KeyUsage) -> Purpose {
    match usage {
        // An asymmetric key never has GENERATE_VERIFY_MAC (KeySpec::allows).
        KeyUsage::SignVerify | KeyUsage::GenerateVerifyMac => Purpose::Sign,
        KeyUsage::EncryptDecrypt => Purpose::Encrypt,
    }
}

/// Checks unwrapped material for an asymmetric key.
///
/// Why no implicit rejection here, unlike symmetric imports: the hybrid scheme's RSA layer is
/// OAEP only (never PKCS#1 v1.5), decoded in constant time by aws-lc, and a ciphertext the client
/// did not make from a known AES key decodes with negligible probability (OAEP's label hash), so
/// whether the RSA layer decoded teaches an attacker nothing about the wrapping private key. What
/// follows (AES-ECB unpadding, PKCS#8 parsing) works on bytes under an AES key the sender chose.
/// Still, every failure before a parsed private key — the RSA layer, the padding, a blob that is
/// not a private key — gives the one [`Error::InvalidKeyMaterial`]; only a well-formed private
/// key of another type, which only its owner can produce, is named.
pub fn check(
    spec: AsymmetricSpec,
    usage: KeyUsage,
    unwrapped: Option<Zeroizing<Vec<u8>>>,
) -> Result<CheckedPrivateKey> {
    let pkcs8 = unwrapped.ok_or(Error::InvalidKeyMaterial)?;
    let key = match AsymmetricKey::from_pkcs8(spec, purpose(usage), &pkcs8) {
        Ok(key) => key,
        Err(FoundKey::NotAPrivateKey) => return Err(Error::InvalidKeyMaterial),
        Err(found) => {
            return Err(Error::PrivateKeyMismatch {
                found: found_name(found),
                spec: KeySpec::Asymmetric(spec),
            });
        }
    };
    let public_der = key.public_key_der()?;
    Ok(CheckedPrivateKey { pkcs8, public_der })
}

fn found_name(found: FoundKey) -> &'static str {
    match found {
        FoundKey::NotAPrivateKey => "not a private key",
        FoundKey::Rsa(2048) => "RSA-2048",
        FoundKey::Rsa(3072) => "RSA-3072",
        FoundKey::Rsa(4096) => "RSA-4096",
        FoundKey::Rsa(_) => "RSA of another size",
        FoundKey::EcP256 => "EC P-256",
        FoundKey::EcP256K => "EC secp256k1",
        FoundKey::EcP384 => "EC P-384",
    }
}
