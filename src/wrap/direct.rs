//! RSA alone: RSAES-OAEP (RFC 8017 §7.1) and RSAES-PKCS1-v1_5 (§7.2) of the material itself, with
//! the `rsa` crate and the platform's CSPRNG.

use getrandom::SysRng;
use rsa::Pkcs1v15Encrypt;
use sha1::Sha1;
use sha2::Sha256;

use super::rsa_error;
use crate::error::Result;
use crate::public_key::WrappingPublicKey;
use crate::spec::OaepHash;

/// RSAES-OAEP of `message` with `hash` for the label hash and MGF1, empty label.
pub(super) fn oaep(key: &WrappingPublicKey, hash: OaepHash, message: &[u8]) -> Result<Vec<u8>> {
    let rsa = key.rsa();
    match hash {
        OaepHash::Sha256 => rsa.oaep_encrypt_with_rng::<Sha256, _>(&mut SysRng, message),
        OaepHash::Sha1 => rsa.oaep_encrypt_with_rng::<Sha1, _>(&mut SysRng, message),
    }
    .map_err(rsa_error)
}

/// RSAES-PKCS1-v1_5 of `message`.
pub(super) fn pkcs1_v15(key: &WrappingPublicKey, message: &[u8]) -> Result<Vec<u8>> {
    key.rsa()
        .encrypt(&mut SysRng, Pkcs1v15Encrypt, message)
        .map_err(rsa_error)
}
