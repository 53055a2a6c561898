//! All cryptography of the server, with aws-lc-rs: the root key and the keys derived from it
//! (sealing, import tokens, material fingerprints), RSA-2048 wrapping key pairs and the
//! constant-time unwrap, AES-GCM under key material, and the hashes the signatures need.
//!
//! No RSA private-key operation here uses the `rsa` crate (RUSTSEC-2023-0071): aws-lc-rs decrypts in
//! constant time.

use aws_lc_rs::aead::{
    AES_128_GCM, AES_192_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, RandomizedNonceKey,
    UnboundKey,
};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::{constant_time, digest, hkdf, hmac, rand};
use byok_wrap::WrappingAlgorithm;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of the root key in bytes.
pub const ROOT_KEY_LEN: usize = 32;

/// The root of every secret at rest: 32 bytes from `BYOK_KMS_ROOT_KEY` or `<data-dir>/root.key`.
/// Wiped on drop; no `Debug`.
pub struct RootKey(Zeroizing<[u8; ROOT_KEY_LEN]>);

impl RootKey {
    /// Takes exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; ROOT_KEY_LEN] = bytes.try_into().map_err(|_| {
            Error::internal(format!(
                "the root key must be {ROOT_KEY_LEN} bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A fresh random root key.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        rand::fill(&mut bytes[..]).map_err(|_| Error::internal("the system RNG failed"))?;
        Ok(Self(bytes))
    }

    /// The raw bytes, to store in `root.key`.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0[..]
    }
}

/// The keys derived from the root key, one per purpose (HKDF-SHA256, RFC 5869).
pub struct Crypto {
    seal: RandomizedNonceKey,
    token: RandomizedNonceKey,
    fingerprint: hmac::Key,
    check: [u8; 32],
}

impl Crypto {
    /// Derives the purpose keys from `root`.
    pub fn new(root: &RootKey) -> Result<Self> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"byok-kms root key v1")
            .extract(root.expose_secret());
        let derive = |label: &[u8]| -> Result<Zeroizing<[u8; 32]>> {
            let mut out = Zeroizing::new([0u8; 32]);
            prk.expand(&[label], hkdf::HKDF_SHA256)
                .and_then(|okm| okm.fill(&mut out[..]))
                .map_err(|_| Error::internal("HKDF failed"))?;
            Ok(out)
        };
        let aes = |bytes: &[u8]| {
            RandomizedNonceKey::new(&AES_256_GCM, bytes).map_err(|_| Error::internal("AES key"))
        };
        Ok(Self {
            seal: aes(&derive(b"seal")?[..])?,
            token: aes(&derive(b"import token")?[..])?,
            fingerprint: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"material fingerprint")?[..]),
            check: *derive(b"root key check")?,
        })
    }

    /// A value that identifies the root key without revealing it, stored in the database so that a
    /// server started with another root key refuses to start instead of failing on every request.
    pub fn root_key_check(&self) -> String {
        hex(&self.check)
    }

    /// Seals `plaintext` at rest: AES-256-GCM under the sealing key, with the record's identity as
    /// associated data so a sealed value cannot be moved to another record. Output: nonce ‖
    /// ciphertext ‖ tag.
    pub fn seal(&self, identity: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.seal, identity, plaintext)
    }

    /// Opens what [`Crypto::seal`] sealed for the same identity.
    pub fn open(&self, identity: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        open_with(&self.seal, identity, sealed)
            .ok_or_else(|| Error::internal("a sealed record does not open under this root key"))
    }

    /// Seals an import token's payload under the token key.
    pub fn seal_token(&self, payload: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.token, b"byok-kms import token v1", payload)
    }

    /// Opens an import token; `None` if it was not made by this root key or was changed.
    pub fn open_token(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.token, b"byok-kms import token v1", sealed)
    }

    /// The keyed fingerprint of a key's material: HMAC-SHA256 under a root-derived key over the
    /// key's identity and the material. Lets the server recognise the same material again after
    /// the material itself was erased, without storing anything that reveals it.
    pub fn fingerprint(&self, identity: &[u8], material: &[u8]) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.fingerprint);
        ctx.update(&(identity.len() as u64).to_be_bytes());
        ctx.update(identity);
        ctx.update(material);
        ctx.sign().as_ref().to_vec()
    }
}

fn seal_with(key: &RandomizedNonceKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut in_out = plaintext.to_vec();
    let nonce = key
        .seal_in_place_append_tag(Aad::from(aad), &mut in_out)
        .map_err(|_| Error::internal("sealing failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + in_out.len());
    out.extend_from_slice(nonce.as_ref());
    out.extend_from_slice(&in_out);
    // Clear intermediates: `in_out` held the plaintext before sealing it in place.
    zeroize::Zeroize::zeroize(&mut in_out);
    Ok(out)
}

fn open_with(key: &RandomizedNonceKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .ok()?
        .len();
    in_out.truncate(len);
    Some(in_out)
}

/// A freshly generated RSA-2048 wrapping key pair.
pub struct WrappingKeyPair {
    /// The private key, PKCS#8 DER. Sealed before it is stored.
    pub private_pkcs8: Zeroizing<Vec<u8>>,
    /// The public key, DER SubjectPublicKeyInfo: what `GetParametersForImport` returns (base64).
    pub public_der: Vec<u8>,
}

/// Generates an RSA-2048 wrapping key pair.
pub fn generate_wrapping_key_pair() -> Result<WrappingKeyPair> {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048)
        .map_err(|_| Error::internal("RSA key generation failed"))?;
    let private_pkcs8 = Zeroizing::new(
        private
            .as_der()
            .map_err(|_| Error::internal("RSA private key encoding failed"))?
            .as_ref()
            .to_vec(),
    );
    let public_der = private
        .public_key()
        .as_der()
        .map_err(|_| Error::internal("RSA public key encoding failed"))?
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
    pub fn from_pkcs8(private_pkcs8: &[u8]) -> Option<Self> {
        PrivateDecryptingKey::from_pkcs8(private_pkcs8)
            .ok()
            .map(Self)
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
    let key = key.0.clone();
    let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
    let len = match algorithm {
        WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaesOaepSha1 => {
            let oaep = if algorithm == WrappingAlgorithm::RsaesOaepSha256 {
                &OAEP_SHA256_MGF1SHA256
            } else {
                &OAEP_SHA1_MGF1SHA1
            };
            OaepPrivateDecryptingKey::new(key)
                .ok()?
                .decrypt(oaep, wrapped, &mut out, None)
                .ok()?
                .len()
        }
        WrappingAlgorithm::RsaesPkcs1V15 => Pkcs1PrivateDecryptingKey::new(key)
            .ok()?
            .decrypt(wrapped, &mut out)
            .ok()?
            .len(),
        // byok-wrap's other clouds' formats: not served by byok-kms (yet).
        _ => return None,
    };
    out.truncate(len);
    Some(out)
}

/// Length of the random nonce of [`data_encrypt`].
pub const DATA_NONCE_LEN: usize = NONCE_LEN;

/// AES-GCM under key material (AES-128, -192 or -256 by its length): returns nonce ‖ ciphertext ‖ tag.
pub fn data_encrypt(material: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let key = data_key(material)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| Error::internal("the system RNG failed"))?;
    let mut in_out = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut in_out,
    )
    .map_err(|_| Error::internal("AES-GCM encryption failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + in_out.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&in_out);
    zeroize::Zeroize::zeroize(&mut in_out);
    Ok(out)
}

/// Reverses [`data_encrypt`]; `None` if the ciphertext or the associated data was changed.
pub fn data_decrypt(material: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let key = data_key(material).ok()?;
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .ok()?
        .len();
    in_out.truncate(len);
    Some(in_out)
}

fn data_key(material: &[u8]) -> Result<LessSafeKey> {
    let algorithm = match material.len() {
        16 => &AES_128_GCM,
        24 => &AES_192_GCM,
        32 => &AES_256_GCM,
        _ => return Err(Error::internal("key material of an unsupported length")),
    };
    UnboundKey::new(algorithm, material)
        .map(LessSafeKey::new)
        .map_err(|_| Error::internal("AES key setup failed"))
}

/// `n` bytes from the system CSPRNG.
pub fn random_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(vec![0u8; n]);
    rand::fill(&mut bytes).map_err(|_| Error::internal("the system RNG failed"))?;
    Ok(bytes)
}

/// A random UUID (version 4), lower-case, as KMS key ids are.
pub fn random_uuid() -> Result<String> {
    let mut b = [0u8; 16];
    rand::fill(&mut b).map_err(|_| Error::internal("the system RNG failed"))?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// HMAC-SHA256 (ACS3 signatures).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message)
        .as_ref()
        .to_vec()
}

/// HMAC-SHA1 (legacy RPC signatures).
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        message,
    )
    .as_ref()
    .to_vec()
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> Crypto {
        Crypto::new(&RootKey::from_bytes(&[7; 32]).unwrap()).unwrap()
    }

    #[test]
    fn sealed_values_open_only_for_their_identity() {
        let c = crypto();
        let sealed = c.seal(b"key/1", b"secret").unwrap();
        assert_eq!(&c.open(b"key/1", &sealed).unwrap()[..], b"secret");
        assert!(c.open(b"key/2", &sealed).is_err());
        let other = Crypto::new(&RootKey::from_bytes(&[8; 32]).unwrap()).unwrap();
        assert!(other.open(b"key/1", &sealed).is_err());
        assert_ne!(c.root_key_check(), other.root_key_check());
    }

    #[test]
    fn data_encryption_round_trips_for_every_aes_size_and_binds_aad() {
        for len in [16, 24, 32] {
            let material = vec![9u8; len];
            let sealed = data_encrypt(&material, b"aad", b"hello").unwrap();
            assert_eq!(
                &data_decrypt(&material, b"aad", &sealed).unwrap()[..],
                b"hello"
            );
            assert!(data_decrypt(&material, b"other", &sealed).is_none());
        }
    }

    #[test]
    fn uuids_are_version_4() {
        let id = random_uuid().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, random_uuid().unwrap());
    }

    #[test]
    fn unwrap_inverts_byok_wrap_for_all_algorithms() {
        let pair = generate_wrapping_key_pair().unwrap();
        let public = byok_wrap::WrappingPublicKey::from_der(&pair.public_der).unwrap();
        let material = byok_wrap::KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap();
        // The algorithms byok-kms serves (byok-wrap's ALL also lists other clouds' formats).
        const SERVED: [WrappingAlgorithm; 3] = [
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesPkcs1V15,
        ];
        for algorithm in SERVED {
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
            let other = SERVED.into_iter().find(|a| *a != algorithm).unwrap();
            assert!(unwrap_key_material(&key, other, wrapped.as_bytes()).is_none());
        }
    }
}
