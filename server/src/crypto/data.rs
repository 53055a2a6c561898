//! AES-GCM under a key's material: what Encrypt, Decrypt and GenerateDataKey use. The cipher
//! key is the material itself (AES-128, -192 or -256 by its length), so a ciphertext made before
//! the material was deleted decrypts again once the same material is re-imported.

use aws_lc_rs::aead::{
    AES_128_GCM, AES_192_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey,
};
use aws_lc_rs::rand;
use zeroize::Zeroizing;

use super::error::{Error, Result};

/// Length of the random nonce of [`data_encrypt`].
pub const DATA_NONCE_LEN: usize = NONCE_LEN;

/// AES-GCM under key material: returns nonce ‖ ciphertext ‖ tag.
pub fn data_encrypt(material: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let key = data_key(material)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| Error::RandomUnavailable)?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + key.algorithm().tag_len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let (_, in_out) = out.split_at_mut(NONCE_LEN);
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
        .map_err(|_| Error::Operation("AES-GCM encryption"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Reverses [`data_encrypt`]; `None` if the ciphertext or the associated data was changed.
pub fn data_decrypt(material: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = data_key(material).ok()?;
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

fn data_key(material: &[u8]) -> Result<LessSafeKey> {
    let algorithm = match material.len() {
        16 => &AES_128_GCM,
        24 => &AES_192_GCM,
        32 => &AES_256_GCM,
        n => return Err(Error::MaterialLength(n)),
    };
    UnboundKey::new(algorithm, material)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Operation("AES key setup"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
