//! The encryption paddings of RFC 8017: EME-OAEP (§7.1.1) with MGF1, and EME-PKCS1-v1_5
//! (§7.2.1). They turn key material into the `k`-byte message that [`crate::rsa`] encrypts. The
//! encoded message holds the material (masked, for OAEP) and is wiped when dropped.

use sha2::Digest;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// EME-OAEP with hash `D` for both the label hash and MGF1, and an empty label.
pub(crate) fn oaep<D: Digest>(message: &[u8], k: usize) -> Result<Zeroizing<Vec<u8>>> {
    let h = <D as Digest>::output_size();
    // The caller has checked message.len() <= k - 2h - 2.
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (seed, db) = em[1..].split_at_mut(h);
    random(seed)?;
    db[..h].copy_from_slice(&D::digest(b""));
    let one = db.len() - message.len() - 1;
    db[one] = 1;
    db[one + 1..].copy_from_slice(message);
    mgf1_xor::<D>(db, seed);
    mgf1_xor::<D>(seed, db);
    Ok(em)
}

/// EME-PKCS1-v1_5: `00 02 PS 00 M`, with at least eight non-zero random bytes of `PS`.
pub(crate) fn pkcs1_v15(message: &[u8], k: usize) -> Result<Zeroizing<Vec<u8>>> {
    // The caller has checked message.len() <= k - 11.
    let mut em = Zeroizing::new(vec![0u8; k]);
    em[1] = 2;
    let ps_end = k - message.len() - 1;
    let ps = &mut em[2..ps_end];
    random(ps)?;
    for byte in ps.iter_mut() {
        while *byte == 0 {
            random(core::slice::from_mut(byte))?;
        }
    }
    em[ps_end + 1..].copy_from_slice(message);
    Ok(em)
}

/// `out ^= MGF1(seed, out.len())` (RFC 8017 Appendix B.2.1).
fn mgf1_xor<D: Digest>(out: &mut [u8], seed: &[u8]) {
    for (counter, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
        let mut hash = D::new();
        hash.update(seed);
        hash.update((counter as u32).to_be_bytes());
        for (o, m) in chunk.iter_mut().zip(hash.finalize()) {
            *o ^= m;
        }
    }
}

fn random(out: &mut [u8]) -> Result<()> {
    getrandom::fill(out).map_err(|e| Error::RandomUnavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha256;

    #[test]
    fn mgf1_matches_the_rfc_8017_definition() {
        // MGF1-SHA-256("seed", 40) = SHA256("seed"||0) || SHA256("seed"||1)[..8]
        let mut out = [0u8; 40];
        mgf1_xor::<Sha256>(&mut out, b"seed");
        let mut expected = Sha256::digest(b"seed\0\0\0\0").to_vec();
        expected.extend_from_slice(&Sha256::digest(b"seed\0\0\0\x01")[..8]);
        assert_eq!(out.to_vec(), expected);
    }

    #[test]
    fn pkcs1_layout() {
        let em = pkcs1_v15(b"abc", 32).unwrap();
        assert_eq!(&em[..2], &[0, 2]);
        assert!(em[2..28].iter().all(|&b| b != 0));
        assert_eq!(em[28], 0);
        assert_eq!(&em[29..], b"abc");
    }

    #[test]
    fn oaep_starts_with_zero_and_is_randomised() {
        let a = oaep::<Sha256>(b"material", 256).unwrap();
        let b = oaep::<Sha256>(b"material", 256).unwrap();
        assert_eq!(a[0], 0);
        assert_ne!(a, b);
    }
}
