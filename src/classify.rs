//! Tells what a DER blob is, so that a refusal can say "this is a certificate" or "this is an
//! encrypted private key" instead of "parse error".
//!
//! The decoding is the `der`, `spki`, `pkcs1`, `pkcs8` and `sec1` crates'; this module only tries
//! them in turn and, for the two structures we never decode (certificates and encrypted PKCS#8),
//! looks at the shape of the outer SEQUENCE.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use pkcs8::PrivateKeyInfoRef;
use sec1::EcPrivateKey;
use spki::SubjectPublicKeyInfoRef;

use crate::spec::PrivateKeyType;

/// `rsaEncryption` (RFC 8017 Appendix A.1).
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, NIST P-256 (RFC 5480 §2.1.1.1).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1`, NIST P-384.
pub(crate) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp256k1` (SEC 2).
pub(crate) const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// Algorithms we recognise in a key's AlgorithmIdentifier, to name them in a refusal.
const KNOWN_ALGORITHMS: &[(&str, &str, &str)] = &[
    (
        "1.2.840.113549.1.1.10",
        "an RSASSA-PSS",
        " (restricted to signatures)",
    ),
    ("1.2.840.10045.2.1", "an EC", ""),
    ("1.3.101.112", "an Ed25519", ""),
    ("1.3.101.113", "an Ed448", ""),
    ("1.3.101.110", "an X25519", ""),
    ("1.3.101.111", "an X448", ""),
    ("1.2.840.10040.4.1", "a DSA", ""),
    ("1.2.840.113549.1.3.1", "a Diffie-Hellman", ""),
];
/// Named curves, to name them in a refusal.
const KNOWN_CURVES: &[(&str, &str)] = &[
    ("1.2.840.10045.3.1.7", "P-256"),
    ("1.3.132.0.34", "P-384"),
    ("1.3.132.0.35", "P-521"),
    ("1.3.132.0.10", "secp256k1"),
    ("1.2.156.10197.1.301", "SM2"),
];

/// What a DER blob turned out to be.
#[derive(Debug)]
pub(crate) enum Found<'a> {
    /// An RSA public key, from a SubjectPublicKeyInfo with `rsaEncryption` (RFC 5280 §4.1) or a
    /// bare PKCS#1 `RSAPublicKey` (RFC 8017 Appendix A.1.1).
    RsaPublicKey {
        modulus_bits: usize,
        key: RsaPublicKeyRef<'a>,
    },
    /// A SubjectPublicKeyInfo of another algorithm, described ("an EC public key on P-256").
    OtherPublicKey(String),
    /// An X.509 certificate.
    Certificate,
    /// A PKCS#8 `PrivateKeyInfo` (RFC 5208), of any algorithm.
    Pkcs8(PrivateKeyInfoRef<'a>),
    /// A PKCS#8 `EncryptedPrivateKeyInfo`.
    EncryptedPkcs8,
    /// A PKCS#1 `RSAPrivateKey`.
    RsaPrivateKey(RsaPrivateKeyRef<'a>),
    /// A SEC 1 `ECPrivateKey` (RFC 5915).
    EcPrivateKey(EcPrivateKey<'a>),
    /// A SEC 1 `ECPrivateKey` with explicit curve parameters, which no cloud imports.
    EcExplicitParameters,
    /// Well-formed DER that is none of the above.
    OtherDer,
    /// Not DER at all.
    Garbage,
}

impl Found<'_> {
    /// A phrase for "found …" that tells the user what they gave.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::RsaPublicKey { modulus_bits, .. } => format!("an RSA-{modulus_bits} public key"),
            Self::OtherPublicKey(what) => what.clone(),
            Self::Certificate => "an X.509 certificate".to_owned(),
            Self::Pkcs8(info) => match private_key_type(info) {
                Ok(key_type) => format!("a PKCS#8 private key ({key_type})"),
                Err(what) => format!("a PKCS#8 private key ({what})"),
            },
            Self::EncryptedPkcs8 => "an encrypted PKCS#8 private key".to_owned(),
            Self::RsaPrivateKey(_) => "an RSA private key (PKCS#1)".to_owned(),
            Self::EcPrivateKey(_) => "an EC private key (SEC 1)".to_owned(),
            Self::EcExplicitParameters => "an EC private key (SEC 1) with explicit curve \
                                           parameters: export it without its curve spelt out, \
                                           `openssl ec -param_enc named_curve`"
                .to_owned(),
            Self::OtherDer => "DER data that is neither a public nor a private key".to_owned(),
            Self::Garbage => "data that is neither PEM, base64 nor DER".to_owned(),
        }
    }

    /// Whether this is a private key of any form.
    pub(crate) fn is_private_key(&self) -> bool {
        matches!(
            self,
            Self::Pkcs8(_)
                | Self::EncryptedPkcs8
                | Self::RsaPrivateKey(_)
                | Self::EcPrivateKey(_)
                | Self::EcExplicitParameters
        )
    }
}

/// Classifies `der`, which must be exactly one DER element.
pub(crate) fn classify(der: &[u8]) -> Found<'_> {
    if let Ok(spki) = SubjectPublicKeyInfoRef::from_der(der) {
        return classify_spki(&spki);
    }
    if let Ok(key) = RsaPublicKeyRef::from_der(der) {
        return rsa_public_key(key);
    }
    if let Ok(info) = PrivateKeyInfoRef::from_der(der) {
        return Found::Pkcs8(info);
    }
    if let Ok(key) = RsaPrivateKeyRef::from_der(der) {
        return Found::RsaPrivateKey(key);
    }
    if let Ok(key) = EcPrivateKey::from_der(der) {
        return Found::EcPrivateKey(key);
    }
    match sequence_tags(der) {
        None => Found::Garbage,
        Some(tags) => match tags.as_slice() {
            [Tag::Sequence, Tag::Sequence, Tag::BitString] => Found::Certificate,
            [Tag::Sequence, Tag::OctetString] => Found::EncryptedPkcs8,
            [Tag::Integer, Tag::OctetString, ..] => Found::EcExplicitParameters,
            _ => Found::OtherDer,
        },
    }
}

/// The bit length of a big-endian unsigned integer with its leading zero bytes stripped.
pub(crate) fn bit_length(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        Some(first) => (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize,
        None => 0,
    }
}

/// The supported type of a PKCS#8 private key, or a description of what it is instead.
pub(crate) fn private_key_type(info: &PrivateKeyInfoRef<'_>) -> Result<PrivateKeyType, String> {
    let oid = info.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        let key = RsaPrivateKeyRef::from_der(info.private_key.as_bytes())
            .map_err(|_| "a malformed RSA private key".to_owned())?;
        return rsa_private_key_type(&key);
    }
    if oid == EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        return match curve {
            Some(curve) => ec_key_type(curve),
            None => Err("an EC private key without a named curve".to_owned()),
        };
    }
    Err(algorithm_name(oid, None, "private key"))
}

/// The supported type of a PKCS#1 RSA private key, or a description of what it is instead.
pub(crate) fn rsa_private_key_type(key: &RsaPrivateKeyRef<'_>) -> Result<PrivateKeyType, String> {
    if key.other_prime_infos.is_some() {
        return Err("a multi-prime RSA private key".to_owned());
    }
    let bits = bit_length(key.modulus.as_bytes());
    PrivateKeyType::rsa(bits).ok_or_else(|| format!("an RSA-{bits} private key"))
}

/// The supported EC type for a named curve, or a description of the curve instead.
pub(crate) fn ec_key_type(curve: ObjectIdentifier) -> Result<PrivateKeyType, String> {
    if curve == SECP256R1 {
        Ok(PrivateKeyType::EcP256)
    } else if curve == SECP384R1 {
        Ok(PrivateKeyType::EcP384)
    } else if curve == SECP256K1 {
        Ok(PrivateKeyType::EcSecp256k1)
    } else {
        Err(format!("an EC private key on {}", curve_name(curve)))
    }
}

/// The OID of the named curve of a supported EC type.
pub(crate) fn curve_oid(key_type: PrivateKeyType) -> Option<ObjectIdentifier> {
    match key_type {
        PrivateKeyType::EcP256 => Some(SECP256R1),
        PrivateKeyType::EcP384 => Some(SECP384R1),
        PrivateKeyType::EcSecp256k1 => Some(SECP256K1),
        _ => None,
    }
}

fn classify_spki<'a>(spki: &SubjectPublicKeyInfoRef<'a>) -> Found<'a> {
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        return match spki
            .subject_public_key
            .as_bytes()
            .map(RsaPublicKeyRef::from_der)
        {
            Some(Ok(key)) => rsa_public_key(key),
            _ => Found::OtherDer,
        };
    }
    let curve = spki
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    Found::OtherPublicKey(algorithm_name(oid, curve, "public key"))
}

fn rsa_public_key(key: RsaPublicKeyRef<'_>) -> Found<'_> {
    Found::RsaPublicKey {
        modulus_bits: bit_length(key.modulus.as_bytes()),
        key,
    }
}

/// "an EC public key on P-256", "an Ed25519 private key", …; `noun` is `public key` or
/// `private key`.
fn algorithm_name(oid: ObjectIdentifier, curve: Option<ObjectIdentifier>, noun: &str) -> String {
    let known = KNOWN_ALGORITHMS
        .iter()
        .find(|(known, _, _)| ObjectIdentifier::new(known).is_ok_and(|k| k == oid));
    match (known, curve) {
        (Some((_, name, note)), Some(curve)) => {
            format!("{name} {noun}{note} on {}", curve_name(curve))
        }
        (Some((_, name, note)), None) => format!("{name} {noun}{note}"),
        (None, _) => format!("a {noun} of another algorithm (OID {oid})"),
    }
}

fn curve_name(curve: ObjectIdentifier) -> String {
    KNOWN_CURVES
        .iter()
        .find(|(known, _)| ObjectIdentifier::new(known).is_ok_and(|k| k == curve))
        .map_or_else(
            || format!("the curve {curve}"),
            |(_, name)| (*name).to_owned(),
        )
}

/// The tags of the elements of `der` if it is exactly one SEQUENCE of well-formed elements.
fn sequence_tags(der: &[u8]) -> Option<Vec<Tag>> {
    let outer = AnyRef::from_der(der).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let mut tags = Vec::new();
    while !reader.is_finished() {
        tags.push(reader.decode::<AnyRef<'_>>().ok()?.tag());
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[0x00, 0x80]), 8);
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x00]), 0);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn non_der_is_garbage() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x05\x02\x01",
            b"\x30\x80\x00\x00",
            b"\x30\x00\x00",
            b"\x30\x81\x00",
        ] {
            assert!(matches!(classify(input), Found::Garbage), "{input:?}");
        }
        assert!(matches!(classify(b"\x02\x01\x01"), Found::Garbage));
    }

    #[test]
    fn unknown_oids_are_named_in_dotted_form() {
        let oid = ObjectIdentifier::new_unwrap("1.2.3.4");
        assert_eq!(
            algorithm_name(oid, None, "public key"),
            "a public key of another algorithm (OID 1.2.3.4)"
        );
        assert_eq!(
            algorithm_name(EC_PUBLIC_KEY, Some(SECP384R1), "public key"),
            "an EC public key on P-384"
        );
    }
}
