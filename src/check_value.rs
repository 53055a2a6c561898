//! Key check values: one block of zeros encrypted under the key, with AES (FIPS-197, the `aes`
//! crate) for AES keys and SM4 (GB/T 32907-2016, the `sm4` crate) for SM4 keys.
//!
//! Both crates wipe their key schedules on drop (their `zeroize` feature); the block is a
//! zeroizing buffer too, wiped where it was computed, since only its first three bytes are ever
//! shown. (Returning the whole block would copy it, and a moved `Zeroizing` leaves the bytes it was
//! moved from behind.)

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

/// The first 3 bytes of `AES-ECB(key, 0¹²⁸)` for a 16, 24 or 32-byte key; `None` for another
/// length.
pub(crate) fn aes_zero_block(key: &[u8]) -> Option<[u8; 3]> {
    match key.len() {
        16 => encrypt_zero_block(&aes::Aes128::new_from_slice(key).ok()?),
        24 => encrypt_zero_block(&aes::Aes192::new_from_slice(key).ok()?),
        32 => encrypt_zero_block(&aes::Aes256::new_from_slice(key).ok()?),
        _ => None,
    }
}

/// The first 3 bytes of `SM4(key, 0¹²⁸)` for a 16-byte key; `None` for another length.
pub(crate) fn sm4_zero_block(key: &[u8]) -> Option<[u8; 3]> {
    encrypt_zero_block(&sm4::Sm4::new_from_slice(key).ok()?)
}

fn encrypt_zero_block<C: BlockCipherEncrypt<BlockSize = aes::cipher::consts::U16>>(
    cipher: &C,
) -> Option<[u8; 3]> {
    let mut block = Zeroizing::new([0u8; 16]);
    cipher.encrypt_block(<&mut Array<u8, aes::cipher::consts::U16>>::from(
        &mut *block,
    ));
    Some([block[0], block[1], block[2]])
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
    fn published_vectors() {
        // The FIPS-197 / SP 800-38A AES-128 example key on the zero block (openssl enc
        // -aes-128-ecb agrees); the openssl tests cover every key size with random keys.
        assert_eq!(
            aes_zero_block(&hex("2b7e151628aed2a6abf7158809cf4f3c"))
                .unwrap()
                .to_vec(),
            hex("7df76b")
        );
        // GB/T 32907 example key with the zero block (openssl enc -sm4-ecb).
        assert_eq!(
            sm4_zero_block(&hex("0123456789abcdeffedcba9876543210")).unwrap()[..3].to_vec(),
            hex("2677f4")
        );
        assert!(aes_zero_block(&[0; 20]).is_none());
        assert!(sm4_zero_block(&[0; 32]).is_none());
    }

    #[test]
    fn the_key_schedules_are_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<aes::Aes128>();
        wiped_on_drop::<aes::Aes192>();
        wiped_on_drop::<aes::Aes256>();
        wiped_on_drop::<sm4::Sm4>();
        wiped_on_drop::<aes_kw::KwpAes256>();
    }
}
