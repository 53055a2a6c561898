//! Imported asymmetric key material: a PKCS#8 private key checked against its key spec, and what
//! the KMS does with it — sign and verify over a given digest (`signing`), and RSA-OAEP encrypt
//! and decrypt.
//!
//! Every private-key operation is aws-lc-rs (constant time; never the `rsa` crate,
//! RUSTSEC-2023-0071). Which algorithm a key may use is the core's rule (`kms::asymmetric`); the
//! functions here refuse a mismatch too, as a second line, but say nothing more than `None`.

mod signing;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    self, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256K1_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _,
};
use zeroize::Zeroizing;

use super::error::{Error, Result};

pub use signing::{HashAlgorithm, SigningAlgorithm, verify_digest};

/// The asymmetric key specs a key can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricSpec {
    /// RSA, 2048-bit modulus.
    Rsa2048,
    /// RSA, 3072-bit modulus.
    Rsa3072,
    /// RSA, 4096-bit modulus.
    Rsa4096,
    /// ECDSA on NIST P-256 (secp256r1).
    EcP256,
    /// ECDSA on secp256k1.
    EcP256K,
    /// ECDSA on NIST P-384 (secp384r1).
    EcP384,
}

impl AsymmetricSpec {
    /// The RSA modulus length in bits, or `None` for an elliptic curve.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcP256 | Self::EcP256K | Self::EcP384 => None,
        }
    }

    fn curve(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            Self::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
            Self::EcP256K => Some(&ECDSA_P256K1_SHA256_ASN1_SIGNING),
            Self::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => None,
        }
    }
}

/// What a key is used for; the same RSA key parses differently for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// AsymmetricSign and AsymmetricVerify.
    Sign,
    /// AsymmetricEncrypt and AsymmetricDecrypt (RSA only).
    Encrypt,
}

/// The encryption algorithms of RSA keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionAlgorithm {
    /// RSAES-OAEP, SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// RSAES-OAEP, SHA-256 and MGF1-SHA-256.
    RsaesOaepSha256,
}

impl EncryptionAlgorithm {
    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            Self::RsaesOaepSha1 => &OAEP_SHA1_MGF1SHA1,
            Self::RsaesOaepSha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }
}

/// What a PKCS#8 document turned out to hold, when it is not what the key spec asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundKey {
    /// Not a private key this KMS can read (or not PKCS#8 at all).
    NotAPrivateKey,
    /// An RSA private key of this many bits.
    Rsa(usize),
    /// An EC private key on P-256.
    EcP256,
    /// An EC private key on secp256k1.
    EcP256K,
    /// An EC private key on P-384.
    EcP384,
}

/// A private key of an asymmetric key spec, parsed and checked. Its PKCS#8 bytes are not kept
/// here; aws-lc frees the parsed key (and clears it) when this is dropped. No `Debug`.
pub struct AsymmetricKey {
    spec: AsymmetricSpec,
    inner: Inner,
}

enum Inner {
    RsaSign(rsa::KeyPair),
    RsaDecrypt(PrivateDecryptingKey),
    Ec(EcdsaKeyPair),
}

impl AsymmetricKey {
    /// Parses a PKCS#8 private key for `spec` and `purpose`; if it is not a key of that spec, says
    /// what it is instead.
    pub fn from_pkcs8(
        spec: AsymmetricSpec,
        purpose: Purpose,
        pkcs8: &[u8],
    ) -> core::result::Result<Self, FoundKey> {
        let inner = match (spec.rsa_bits(), spec.curve(), purpose) {
            (Some(bits), _, Purpose::Sign) => rsa::KeyPair::from_pkcs8(pkcs8)
                .ok()
                .filter(|k| k.public_modulus_len() * 8 == bits)
                .map(Inner::RsaSign),
            (Some(bits), _, Purpose::Encrypt) => PrivateDecryptingKey::from_pkcs8(pkcs8)
                .ok()
                .filter(|k| k.key_size_bits() == bits)
                .map(Inner::RsaDecrypt),
            (None, Some(curve), Purpose::Sign) => {
                EcdsaKeyPair::from_pkcs8(curve, pkcs8).ok().map(Inner::Ec)
            }
            // Elliptic-curve keys neither encrypt nor decrypt here; the core refuses first.
            (None, _, _) => None,
        };
        inner
            .map(|inner| Self { spec, inner })
            .ok_or_else(|| identify(pkcs8))
    }

    /// The key spec.
    pub fn spec(&self) -> AsymmetricSpec {
        self.spec
    }

    /// The public key, DER SubjectPublicKeyInfo (what GetPublicKey returns, as PEM).
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        let der = match &self.inner {
            Inner::RsaSign(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Inner::RsaDecrypt(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Inner::Ec(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
        };
        der.map_err(|_| Error::Operation("public key encoding"))
    }

    /// Decrypts an RSA-OAEP ciphertext, in constant time. `None` for every kind of failure alike.
    pub fn decrypt(
        &self,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let Inner::RsaDecrypt(k) = &self.inner else {
            return None;
        };
        let mut out = Zeroizing::new(vec![0u8; k.key_size_bytes()]);
        let len = OaepPrivateDecryptingKey::new(k.clone())
            .ok()?
            .decrypt(algorithm.oaep(), ciphertext, &mut out, None)
            .ok()?
            .len();
        out.truncate(len);
        Some(out)
    }
}

/// RSA-OAEP encryption with a public key (DER SubjectPublicKeyInfo); `None` if the plaintext is
/// too long for the key and algorithm.
pub fn encrypt(
    public_der: &[u8],
    algorithm: EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Option<Vec<u8>>> {
    let key = PublicEncryptingKey::from_der(public_der)
        .ok()
        .and_then(|k| OaepPublicEncryptingKey::new(k).ok())
        .ok_or(Error::StoredKey("public key"))?;
    if plaintext.len() > key.max_plaintext_size(algorithm.oaep()) {
        return Ok(None);
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(algorithm.oaep(), plaintext, &mut out, None)
        .map_err(|_| Error::Operation("RSA-OAEP encryption"))?
        .len();
    out.truncate(len);
    Ok(Some(out))
}

/// What `pkcs8` holds, for the error of a key that does not match its spec.
fn identify(pkcs8: &[u8]) -> FoundKey {
    if let Ok(k) = rsa::KeyPair::from_pkcs8(pkcs8) {
        return FoundKey::Rsa(k.public_modulus_len() * 8);
    }
    let curves: [(&'static EcdsaSigningAlgorithm, FoundKey); 3] = [
        (&ECDSA_P256_SHA256_ASN1_SIGNING, FoundKey::EcP256),
        (&ECDSA_P256K1_SHA256_ASN1_SIGNING, FoundKey::EcP256K),
        (&ECDSA_P384_SHA384_ASN1_SIGNING, FoundKey::EcP384),
    ];
    curves
        .into_iter()
        .find(|(curve, _)| EcdsaKeyPair::from_pkcs8(curve, pkcs8).is_ok())
        .map_or(FoundKey::NotAPrivateKey, |(_, found)| found)
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;

    use super::*;

    pub(super) fn rsa_pkcs8(size: KeySize) -> Vec<u8> {
        let key = rsa::KeyPair::generate(size).unwrap();
        AsDer::<Pkcs8V1Der>::as_der(&key).unwrap().as_ref().to_vec()
    }

    pub(super) fn ec_pkcs8(curve: &'static EcdsaSigningAlgorithm) -> Vec<u8> {
        EcdsaKeyPair::generate_pkcs8(curve, &SystemRandom::new())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn oaep_round_trips_and_refuses_long_plaintext() {
        let der = rsa_pkcs8(KeySize::Rsa2048);
        let key =
            AsymmetricKey::from_pkcs8(AsymmetricSpec::Rsa2048, Purpose::Encrypt, &der).unwrap();
        let public = key.public_key_der().unwrap();
        for (alg, max) in [
            (EncryptionAlgorithm::RsaesOaepSha1, 256 - 42),
            (EncryptionAlgorithm::RsaesOaepSha256, 256 - 66),
        ] {
            let ct = encrypt(&public, alg, b"secret").unwrap().unwrap();
            assert_eq!(key.decrypt(alg, &ct).unwrap().as_slice(), b"secret");
            assert!(encrypt(&public, alg, &vec![0; max]).unwrap().is_some());
            assert!(encrypt(&public, alg, &vec![0; max + 1]).unwrap().is_none());
            let mut bad = ct.clone();
            bad[0] ^= 1;
            assert!(key.decrypt(alg, &bad).is_none());
        }
    }

    #[test]
    fn a_key_of_another_spec_is_named() {
        let rsa = rsa_pkcs8(KeySize::Rsa2048);
        let p256 = ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING);
        let p384 = ec_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING);
        let found = |spec, der: &[u8]| AsymmetricKey::from_pkcs8(spec, Purpose::Sign, der).err();
        assert_eq!(
            found(AsymmetricSpec::EcP256, &rsa),
            Some(FoundKey::Rsa(2048))
        );
        assert_eq!(
            found(AsymmetricSpec::Rsa3072, &rsa),
            Some(FoundKey::Rsa(2048))
        );
        assert_eq!(
            found(AsymmetricSpec::Rsa2048, &p256),
            Some(FoundKey::EcP256)
        );
        assert_eq!(
            found(AsymmetricSpec::EcP256K, &p256),
            Some(FoundKey::EcP256)
        );
        assert_eq!(found(AsymmetricSpec::EcP256, &p384), Some(FoundKey::EcP384));
        assert_eq!(found(AsymmetricSpec::EcP384, &p256), Some(FoundKey::EcP256));
        assert!(found(AsymmetricSpec::EcP384, &p384).is_none());
        assert_eq!(
            found(AsymmetricSpec::EcP256, b"not a key"),
            Some(FoundKey::NotAPrivateKey)
        );
        assert!(
            AsymmetricKey::from_pkcs8(AsymmetricSpec::EcP256, Purpose::Encrypt, &p256).is_err(),
            "EC keys do not decrypt"
        );
    }
}
