//! Signing and verifying over a digest the caller computed: the signature algorithms, the hash
//! each signs a digest of, and which key specs each fits. aws-lc-rs signs (constant time).

use core::fmt;

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256K1_SHA256_ASN1, ECDSA_P384_SHA384_ASN1,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_2048_8192_SHA256,
    RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384,
    RSA_PSS_SHA512, RsaEncoding, UnparsedPublicKey, VerificationAlgorithm,
};

use super::{AsymmetricKey, AsymmetricSpec, Inner};

/// The hash a signature algorithm signs a digest of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-256 (32-byte digests).
    Sha256,
    /// SHA-384 (48-byte digests).
    Sha384,
    /// SHA-512 (64-byte digests).
    Sha512,
}

impl HashAlgorithm {
    /// The name, as FIPS 180-4 writes it (`SHA-256`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// The length of a digest, in bytes.
    pub fn digest_len(self) -> usize {
        self.algorithm().output_len()
    }

    /// The digest of `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        digest::digest(self.algorithm(), message).as_ref().to_vec()
    }

    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }
}

/// The signature algorithms. RSASSA-PSS uses MGF1 with the same hash and a salt as long as the
/// digest (as AWS KMS does); ECDSA signatures are DER-encoded (X9.62).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512.
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// ECDSA with SHA-256 (P-256 and secp256k1 keys).
    EcdsaSha256,
    /// ECDSA with SHA-384 (P-384 keys).
    EcdsaSha384,
}

impl SigningAlgorithm {
    /// Every signing algorithm.
    pub const ALL: [Self; 8] = [
        Self::RsaPssSha256,
        Self::RsaPssSha384,
        Self::RsaPssSha512,
        Self::RsaPkcs1Sha256,
        Self::RsaPkcs1Sha384,
        Self::RsaPkcs1Sha512,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
    ];

    /// The hash the algorithm signs a digest of.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaPssSha256 | Self::RsaPkcs1Sha256 | Self::EcdsaSha256 => HashAlgorithm::Sha256,
            Self::RsaPssSha384 | Self::RsaPkcs1Sha384 | Self::EcdsaSha384 => HashAlgorithm::Sha384,
            Self::RsaPssSha512 | Self::RsaPkcs1Sha512 => HashAlgorithm::Sha512,
        }
    }

    /// Whether a key of `spec` signs with this algorithm: RSA keys with every RSA padding and
    /// hash, an EC key with ECDSA and its curve's hash.
    pub fn fits(self, spec: AsymmetricSpec) -> bool {
        match self {
            Self::EcdsaSha256 => matches!(spec, AsymmetricSpec::EcP256 | AsymmetricSpec::EcP256K),
            Self::EcdsaSha384 => spec == AsymmetricSpec::EcP384,
            _ => spec.rsa_bits().is_some(),
        }
    }

    fn rsa_padding(self) -> Option<&'static dyn RsaEncoding> {
        Some(match self {
            Self::RsaPssSha256 => &RSA_PSS_SHA256,
            Self::RsaPssSha384 => &RSA_PSS_SHA384,
            Self::RsaPssSha512 => &RSA_PSS_SHA512,
            Self::RsaPkcs1Sha256 => &RSA_PKCS1_SHA256,
            Self::RsaPkcs1Sha384 => &RSA_PKCS1_SHA384,
            Self::RsaPkcs1Sha512 => &RSA_PKCS1_SHA512,
            Self::EcdsaSha256 | Self::EcdsaSha384 => return None,
        })
    }

    fn verifier(self, spec: AsymmetricSpec) -> Option<&'static dyn VerificationAlgorithm> {
        if !self.fits(spec) {
            return None;
        }
        Some(match (self, spec) {
            (Self::EcdsaSha256, AsymmetricSpec::EcP256K) => &ECDSA_P256K1_SHA256_ASN1,
            (Self::EcdsaSha256, _) => &ECDSA_P256_SHA256_ASN1,
            (Self::EcdsaSha384, _) => &ECDSA_P384_SHA384_ASN1,
            (Self::RsaPssSha256, _) => &RSA_PSS_2048_8192_SHA256,
            (Self::RsaPssSha384, _) => &RSA_PSS_2048_8192_SHA384,
            (Self::RsaPssSha512, _) => &RSA_PSS_2048_8192_SHA512,
            (Self::RsaPkcs1Sha256, _) => &RSA_PKCS1_2048_8192_SHA256,
            (Self::RsaPkcs1Sha384, _) => &RSA_PKCS1_2048_8192_SHA384,
            (Self::RsaPkcs1Sha512, _) => &RSA_PKCS1_2048_8192_SHA512,
        })
    }
}

/// The algorithm in words (`RSASSA-PSS with SHA-384`), for messages that name no wire.
impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self {
            Self::RsaPssSha256 | Self::RsaPssSha384 | Self::RsaPssSha512 => "RSASSA-PSS",
            Self::RsaPkcs1Sha256 | Self::RsaPkcs1Sha384 | Self::RsaPkcs1Sha512 => {
                "RSASSA-PKCS1-v1_5"
            }
            Self::EcdsaSha256 | Self::EcdsaSha384 => "ECDSA",
        };
        write!(f, "{scheme} with {}", self.hash().name())
    }
}

impl AsymmetricKey {
    /// Signs a digest of the algorithm's hash; `None` if the algorithm does not fit the key or
    /// the digest is not of the hash's length.
    pub fn sign_digest(&self, algorithm: SigningAlgorithm, digest: &[u8]) -> Option<Vec<u8>> {
        if !algorithm.fits(self.spec) {
            return None;
        }
        let digest = Digest::import_less_safe(digest, algorithm.hash().algorithm()).ok()?;
        match (&self.inner, algorithm.rsa_padding()) {
            (Inner::RsaSign(k), Some(padding)) => {
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign_digest(padding, &digest, &mut out).ok()?;
                Some(out)
            }
            (Inner::Ec(k), None) => k.sign_digest(&digest).ok().map(|s| s.as_ref().to_vec()),
            _ => None,
        }
    }
}

/// Verifies a signature over a digest of the algorithm's hash with a public key (DER
/// SubjectPublicKeyInfo) of `spec`. False for a bad signature, a digest of the wrong length, or
/// an algorithm the key cannot use.
pub fn verify_digest(
    spec: AsymmetricSpec,
    public_der: &[u8],
    algorithm: SigningAlgorithm,
    digest: &[u8],
    signature: &[u8],
) -> bool {
    let Some(verifier) = algorithm.verifier(spec) else {
        return false;
    };
    let Ok(digest) = Digest::import_less_safe(digest, algorithm.hash().algorithm()) else {
        return false;
    };
    UnparsedPublicKey::new(verifier, public_der)
        .verify_digest(&digest, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256K1_SHA256_ASN1_SIGNING,
        ECDSA_P384_SHA384_ASN1_SIGNING,
    };

    use super::super::Purpose;
    use super::super::tests::{ec_pkcs8, rsa_pkcs8};
    use super::*;
    use aws_lc_rs::rsa::KeySize;

    /// Every algorithm on every spec it fits, and none on a spec it does not.
    #[test]
    fn signatures_verify_with_the_public_key_only() {
        let keys = [
            (AsymmetricSpec::Rsa2048, rsa_pkcs8(KeySize::Rsa2048)),
            (
                AsymmetricSpec::EcP256,
                ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING),
            ),
            (
                AsymmetricSpec::EcP256K,
                ec_pkcs8(&ECDSA_P256K1_SHA256_ASN1_SIGNING),
            ),
            (
                AsymmetricSpec::EcP384,
                ec_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING),
            ),
        ];
        for (spec, der) in keys {
            let key = AsymmetricKey::from_pkcs8(spec, Purpose::Sign, &der).unwrap();
            let public = key.public_key_der().unwrap();
            for alg in SigningAlgorithm::ALL {
                let digest = alg.hash().digest(b"message");
                assert_eq!(digest.len(), alg.hash().digest_len());
                let Some(sig) = key.sign_digest(alg, &digest) else {
                    assert!(!alg.fits(spec), "{spec:?} {alg:?}");
                    assert!(!verify_digest(spec, &public, alg, &digest, &[0; 64]));
                    continue;
                };
                assert!(alg.fits(spec), "{spec:?} {alg:?}");
                assert!(
                    verify_digest(spec, &public, alg, &digest, &sig),
                    "{spec:?} {alg:?}"
                );
                let mut bad = sig.clone();
                bad[4] ^= 1;
                assert!(!verify_digest(spec, &public, alg, &digest, &bad));
                let short = &digest[..digest.len() - 1];
                assert!(key.sign_digest(alg, short).is_none(), "digest length");
                assert!(!verify_digest(spec, &public, alg, short, &sig));
            }
        }
    }

    #[test]
    fn algorithms_name_their_scheme_and_hash() {
        assert_eq!(
            SigningAlgorithm::RsaPssSha384.to_string(),
            "RSASSA-PSS with SHA-384"
        );
        assert_eq!(
            SigningAlgorithm::RsaPkcs1Sha512.to_string(),
            "RSASSA-PKCS1-v1_5 with SHA-512"
        );
        assert_eq!(
            SigningAlgorithm::EcdsaSha384.to_string(),
            "ECDSA with SHA-384"
        );
    }
}
