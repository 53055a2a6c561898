//! HMAC under an HMAC key's material (GenerateMac and VerifyMac), with aws-lc-rs.

use aws_lc_rs::hmac;

/// The HMAC digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA-224.
    HmacSha224,
    /// HMAC-SHA-256.
    HmacSha256,
    /// HMAC-SHA-384.
    HmacSha384,
    /// HMAC-SHA-512.
    HmacSha512,
}

impl MacAlgorithm {
    fn aws_lc(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha224 => hmac::HMAC_SHA224,
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }
}

/// The MAC of `message` under `key`.
pub fn sign(algorithm: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(algorithm.aws_lc(), key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Whether `tag` is the MAC of `message` under `key` (compared in constant time).
pub fn verify(algorithm: MacAlgorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(algorithm.aws_lc(), key);
    hmac::verify(&key, message, tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2() {
        // Key "Jefe", data "what do ya want for nothing?".
        let mac = sign(
            MacAlgorithm::HmacSha256,
            b"Jefe",
            b"what do ya want for nothing?",
        );
        assert_eq!(
            byok_wrap::sign::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            MacAlgorithm::HmacSha256,
            b"Jefe",
            b"what do ya want for nothing?",
            &mac
        ));
        assert!(!verify(
            MacAlgorithm::HmacSha256,
            b"Jefe",
            b"what do ya want for nothing!",
            &mac
        ));
        assert!(!verify(
            MacAlgorithm::HmacSha224,
            b"Jefe",
            b"what do ya want for nothing?",
            &mac
        ));
    }
}
