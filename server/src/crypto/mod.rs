//! All cryptography of the server, with aws-lc-rs: the root key and the keys derived from it
//! ([`root`]), RSA wrapping key pairs and the constant-time unwrap ([`wrapping`]), AES-GCM under
//! key material ([`data`]), and random values.
//!
//! No private-key operation here uses the `rsa` crate (RUSTSEC-2023-0071): aws-lc-rs decrypts in
//! constant time.

pub mod asymmetric;
pub mod data;
pub mod error;
pub mod mac;
pub mod root;
pub mod wrapping;

use aws_lc_rs::{constant_time, digest, rand};
use zeroize::Zeroizing;

pub use data::{DATA_NONCE_LEN, data_decrypt, data_encrypt};
pub use error::{Error, Result};
pub use root::{Crypto, ROOT_KEY_LEN, RootKey};
pub use wrapping::{
    UnwrappingKey, WrappingKeyPair, generate_wrapping_key_pair, generate_wrapping_key_pair_of,
    unwrap_key_material,
};

/// `n` bytes from the system CSPRNG, wiped when dropped.
pub fn random_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(vec![0u8; n]);
    rand::fill(&mut bytes).map_err(|_| Error::RandomUnavailable)?;
    Ok(bytes)
}

/// A random UUID (version 4), lower-case, as KMS key ids are.
pub fn random_uuid() -> Result<String> {
    let mut b = [0u8; 16];
    rand::fill(&mut b).map_err(|_| Error::RandomUnavailable)?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h = byok_wrap::sign::hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let id = random_uuid().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, random_uuid().unwrap());
    }
}
