//! The root key and the keys derived from it, one per purpose (HKDF-SHA256, RFC 5869): sealing
//! secrets at rest, sealing import tokens, fingerprinting material, and a check value that
//! recognises the root key without revealing it.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::{hkdf, hmac, rand};
use zeroize::Zeroizing;

use super::error::{Error, Result};

/// Length of the root key in bytes.
pub const ROOT_KEY_LEN: usize = 32;

/// The root of every secret at rest: 32 bytes from `BYOK_KMS_ROOT_KEY` or `<data-dir>/root.key`.
/// Wiped on drop; no `Debug`.
pub struct RootKey(Zeroizing<[u8; ROOT_KEY_LEN]>);

impl RootKey {
    /// Takes exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; ROOT_KEY_LEN] = bytes.try_into().map_err(|_| Error::RootKeyLength {
            expected: ROOT_KEY_LEN,
            got: bytes.len(),
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A fresh random root key.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        rand::fill(&mut bytes[..]).map_err(|_| Error::RandomUnavailable)?;
        Ok(Self(bytes))
    }

    /// The raw bytes, to store in `root.key`.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0[..]
    }
}

/// The keys derived from the root key.
pub struct Crypto {
    seal: RandomizedNonceKey,
    token: RandomizedNonceKey,
    fingerprint: hmac::Key,
    row_mac: hmac::Key,
    check: [u8; 32],
}

/// The associated data of import tokens.
const TOKEN_AAD: &[u8] = b"byok-kms import token v1";

impl Crypto {
    /// Derives the purpose keys from `root`.
    pub fn new(root: &RootKey) -> Result<Self> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"byok-kms root key v1")
            .extract(root.expose_secret());
        let derive = |label: &[u8]| -> Result<Zeroizing<[u8; 32]>> {
            let mut out = Zeroizing::new([0u8; 32]);
            prk.expand(&[label], hkdf::HKDF_SHA256)
                .and_then(|okm| okm.fill(&mut out[..]))
                .map_err(|_| Error::Operation("HKDF"))?;
            Ok(out)
        };
        let aes = |bytes: &[u8]| {
            RandomizedNonceKey::new(&AES_256_GCM, bytes)
                .map_err(|_| Error::Operation("AES key setup"))
        };
        Ok(Self {
            seal: aes(&derive(b"seal")?[..])?,
            token: aes(&derive(b"import token")?[..])?,
            fingerprint: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"material fingerprint")?[..]),
            row_mac: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"row mac")?[..]),
            check: *derive(b"root key check")?,
        })
    }

    /// A value that identifies the root key without revealing it, stored in the database so that a
    /// server started with another root key refuses to start instead of failing on every request.
    pub fn root_key_check(&self) -> String {
        byok_wrap::sign::hex(&self.check)
    }

    /// Seals `plaintext` at rest: AES-256-GCM under the sealing key, with the record's identity as
    /// associated data so a sealed value cannot be moved to another record. Output: nonce ‖
    /// ciphertext ‖ tag.
    pub fn seal(&self, identity: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.seal, identity, plaintext)
    }

    /// Opens what [`Crypto::seal`] sealed for the same identity.
    pub fn open(&self, identity: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        open_with(&self.seal, identity, sealed).ok_or(Error::Unseal("record"))
    }

    /// Seals an import token's payload under the token key.
    pub fn seal_token(&self, payload: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.token, TOKEN_AAD, payload)
    }

    /// Opens an import token; `None` if it was not made by this root key or was changed.
    pub fn open_token(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.token, TOKEN_AAD, sealed)
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

impl Crypto {
    /// The MAC of a stored record's security-relevant fields (their canonical encoding): rows an
    /// attacker with access to the database rewrites are then recognised.
    pub fn row_mac(&self, record: &[u8]) -> Vec<u8> {
        hmac::sign(&self.row_mac, record).as_ref().to_vec()
    }

    /// Whether `mac` is the MAC of `record` (compared in constant time).
    pub fn verify_row_mac(&self, record: &[u8], mac: &[u8]) -> bool {
        hmac::verify(&self.row_mac, record, mac).is_ok()
    }
}

fn seal_with(key: &RandomizedNonceKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    // Room for the tag, so that appending it does not leave a copy of the plaintext behind.
    let mut in_out = Zeroizing::new(Vec::with_capacity(plaintext.len() + AES_256_GCM.tag_len()));
    in_out.extend_from_slice(plaintext);
    let nonce = key
        .seal_in_place_append_tag(Aad::from(aad), &mut *in_out)
        .map_err(|_| Error::Operation("sealing"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + in_out.len());
    out.extend_from_slice(nonce.as_ref());
    out.extend_from_slice(&in_out);
    Ok(out)
}

fn open_with(key: &RandomizedNonceKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .ok()?
        .len();
    in_out.truncate(len);
    Some(in_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto(byte: u8) -> Crypto {
        Crypto::new(&RootKey::from_bytes(&[byte; 32]).unwrap()).unwrap()
    }

    #[test]
    fn sealed_values_open_only_for_their_identity() {
        let c = crypto(7);
        let sealed = c.seal(b"key/1", b"secret").unwrap();
        assert_eq!(&c.open(b"key/1", &sealed).unwrap()[..], b"secret");
        assert!(c.open(b"key/2", &sealed).is_err());
        let other = crypto(8);
        assert!(other.open(b"key/1", &sealed).is_err());
        assert_ne!(c.root_key_check(), other.root_key_check());
    }

    #[test]
    fn root_keys_are_32_bytes() {
        assert!(matches!(
            RootKey::from_bytes(&[0; 31]),
            Err(Error::RootKeyLength { got: 31, .. })
        ));
    }
}
