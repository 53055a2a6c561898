//! RSA-OAEP of a fresh AES-256 key, then the material under that key: AES key wrap with padding
//! (RFC 5649, the `aes-kw` crate; AWS's `RSA_AES_KEY_WRAP_*` and Google Cloud's `*_AES_256`, i.e.
//! PKCS#11 `CKM_RSA_AES_KEY_WRAP`) or AES-256-ECB with PKCS#7 padding (the `ecb` crate; Alibaba
//! Cloud's `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD`).
//!
//! Output: `OAEP(aes key) ‖ AES part`, the RSA part exactly the modulus size, so that a receiver
//! splits there.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeEncrypt as _, KeyInit as _};
use zeroize::Zeroizing;

use super::direct;
use crate::error::{Error, Result};
use crate::public_key::WrappingPublicKey;
use crate::spec::WrapScheme;

/// The two halves of a hybrid wrap before the RSA step: the fresh AES key (still to be
/// encrypted with RSA-OAEP) and the material under it.
pub(crate) struct HybridParts {
    /// The ephemeral AES-256 key (on the heap, so that moving the parts never copies it).
    pub(crate) aes_key: Zeroizing<Vec<u8>>,
    /// KWP or ECB of the material under `aes_key`.
    pub(crate) aes_part: Vec<u8>,
}

/// Wraps `material` with `scheme`, which must be hybrid.
pub(super) fn wrap(
    key: &WrappingPublicKey,
    scheme: WrapScheme,
    material: &[u8],
) -> Result<Vec<u8>> {
    let hash = scheme
        .oaep_hash()
        .ok_or_else(|| Error::InvalidArgument("not a hybrid scheme".into()))?;
    let parts = parts(scheme, material)?;
    let mut out = direct::oaep(key, hash, &parts.aes_key)?;
    out.extend_from_slice(&parts.aes_part);
    Ok(out)
}

/// A fresh AES-256 key and the material under it (the caller has checked the length).
pub(crate) fn parts(scheme: WrapScheme, material: &[u8]) -> Result<HybridParts> {
    let mut aes_key = Zeroizing::new(vec![0u8; 32]);
    getrandom::fill(&mut aes_key).map_err(|e| Error::RandomUnavailable(e.to_string()))?;
    let mut aes_part = vec![0u8; aes_part_len(scheme, material.len())];
    match scheme {
        WrapScheme::OaepKwp(_) => {
            let kwp = aes_kw::KwpAes256::new_from_slice(&aes_key)
                .map_err(|_| Error::InvalidArgument("an AES-256 key is 32 bytes".into()))?;
            kwp.wrap_key(material, &mut aes_part).map_err(|_| {
                Error::InvalidArgument("AES-KWP refused the material's length".into())
            })?;
        }
        WrapScheme::OaepEcbPkcs7(_) => {
            let ecb = ecb::Encryptor::<aes::Aes256>::new_from_slice(&aes_key)
                .map_err(|_| Error::InvalidArgument("an AES-256 key is 32 bytes".into()))?;
            ecb.encrypt_padded_b2b::<Pkcs7>(material, &mut aes_part)
                .map_err(|_| {
                    Error::InvalidArgument("AES-ECB refused the material's length".into())
                })?;
        }
        WrapScheme::Oaep(_) | WrapScheme::Pkcs1V15 => {
            return Err(Error::InvalidArgument("not a hybrid scheme".into()));
        }
    }
    Ok(HybridParts { aes_key, aes_part })
}

/// The length of the AES part: RFC 5649 pads to a multiple of 8 and adds the 8-byte integrity
/// block; PKCS#7 always adds 1 to 16 bytes up to a multiple of 16.
pub(crate) fn aes_part_len(scheme: WrapScheme, material_len: usize) -> usize {
    match scheme {
        WrapScheme::OaepEcbPkcs7(_) => (material_len / 16 + 1) * 16,
        _ => material_len.div_ceil(8) * 8 + 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::OaepHash;

    #[test]
    fn aes_part_lengths() {
        let kwp = WrapScheme::OaepKwp(OaepHash::Sha256);
        let ecb = WrapScheme::OaepEcbPkcs7(OaepHash::Sha256);
        assert_eq!(aes_part_len(kwp, 32), 40);
        assert_eq!(aes_part_len(kwp, 28), 40);
        assert_eq!(aes_part_len(kwp, 1), 16);
        assert_eq!(aes_part_len(ecb, 32), 48);
        assert_eq!(aes_part_len(ecb, 31), 32);
    }
}
