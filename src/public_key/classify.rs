//! Tells what a DER blob is by the shape of its outer structure, so that a refusal can say "this is a
//! certificate" or "this is a private key" instead of "parse error".
//!
//! This reads only tags and lengths (X.690 DER); the RSA key itself is decoded by the `rsa` crate.

/// What a DER blob turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found<'a> {
    /// An RSA public key, from a SubjectPublicKeyInfo with `rsaEncryption` (RFC 5280 §4.1) or a
    /// bare PKCS#1 `RSAPublicKey` (RFC 8017 Appendix A.1.1): the modulus size, and the big-endian
    /// modulus and exponent.
    Rsa {
        modulus_bits: usize,
        modulus: &'a [u8],
        exponent: &'a [u8],
        /// The PKCS#1 `RSAPublicKey` DER inside (the whole input for the PKCS#1 form).
        pkcs1: &'a [u8],
    },
    /// A SubjectPublicKeyInfo of another algorithm, described.
    OtherPublicKey(String),
    /// An X.509 certificate; the payload says in which form it came.
    Certificate(&'static str),
    /// A private key; the payload says which kind.
    PrivateKey(&'static str),
    /// Well-formed DER that is none of the above.
    OtherDer,
    /// Not DER at all.
    Garbage,
}

impl Found<'_> {
    /// A phrase for "found …" that tells the user what they gave and what to do instead.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Rsa { modulus_bits, .. } => format!("an RSA-{modulus_bits} public key"),
            Self::OtherPublicKey(what) => {
                format!("{what}; the wrapping key must be an RSA public key")
            }
            Self::Certificate(form) => format!(
                "{form} X.509 certificate, not a public key; extract its key with \
                 `openssl x509 -pubkey -noout`"
            ),
            Self::PrivateKey(kind) => format!(
                "{kind}, not a public key; never share a private key: use the PublicKey \
                 that GetParametersForImport returned"
            ),
            Self::OtherDer => "DER data that is not a public key".to_owned(),
            Self::Garbage => "data that is neither PEM, base64 nor DER".to_owned(),
        }
    }
}

/// Classifies `der`, which must be exactly one DER SEQUENCE.
pub(super) fn classify(der: &[u8]) -> Found<'_> {
    let Some((outer, rest)) = read_tlv(der) else {
        return Found::Garbage;
    };
    if outer.tag != SEQUENCE || !rest.is_empty() {
        return Found::Garbage;
    }
    let Some(fields) = read_all(outer.content) else {
        return Found::Garbage;
    };
    let tags: Vec<u8> = fields.iter().map(|f| f.tag).collect();
    match tags.as_slice() {
        [SEQUENCE, BIT_STRING] => classify_spki(&fields[0], &fields[1]),
        [SEQUENCE, SEQUENCE, BIT_STRING] => Found::Certificate("an"),
        [INTEGER, INTEGER] => rsa(der, &fields[0], &fields[1]),
        [INTEGER, SEQUENCE, OCTET_STRING, ..] => Found::PrivateKey("a PKCS#8 private key"),
        [SEQUENCE, OCTET_STRING] => Found::PrivateKey("an encrypted PKCS#8 private key"),
        [
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            ..,
        ] => Found::PrivateKey("an RSA private key (PKCS#1)"),
        [INTEGER, OCTET_STRING, ..] => Found::PrivateKey("an EC private key (SEC 1)"),
        _ => Found::OtherDer,
    }
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;

/// DER of the object identifiers we recognise in a SubjectPublicKeyInfo.
const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const KNOWN_ALGORITHMS: &[(&[u8], &str)] = &[
    (
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A],
        "an RSASSA-PSS public key (restricted to signatures)",
    ),
    (
        &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01],
        "an EC public key",
    ),
    (&[0x2B, 0x65, 0x70], "an Ed25519 public key"),
    (&[0x2B, 0x65, 0x71], "an Ed448 public key"),
    (&[0x2B, 0x65, 0x6E], "an X25519 public key"),
    (&[0x2B, 0x65, 0x6F], "an X448 public key"),
    (
        &[0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01],
        "a DSA public key",
    ),
    (
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x03, 0x01],
        "a Diffie-Hellman public key",
    ),
];
const KNOWN_CURVES: &[(&[u8], &str)] = &[
    (&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], "P-256"),
    (&[0x2B, 0x81, 0x04, 0x00, 0x22], "P-384"),
    (&[0x2B, 0x81, 0x04, 0x00, 0x23], "P-521"),
    (&[0x2B, 0x81, 0x04, 0x00, 0x0A], "secp256k1"),
    (&[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D], "SM2"),
];

/// An RSA key from the PKCS#1 `RSAPublicKey` fields, if the modulus is a positive integer.
fn rsa<'a>(pkcs1: &'a [u8], n: &Tlv<'a>, e: &Tlv<'a>) -> Found<'a> {
    match integer_bits(n.content) {
        Some(modulus_bits) if integer_bits(e.content).is_some() => Found::Rsa {
            modulus_bits,
            modulus: n.content,
            exponent: e.content,
            pkcs1,
        },
        _ => Found::OtherDer,
    }
}

fn classify_spki<'a>(algorithm: &Tlv<'a>, key: &Tlv<'a>) -> Found<'a> {
    let Some(parts) = read_all(algorithm.content) else {
        return Found::OtherDer;
    };
    let Some(oid) = parts.first().filter(|p| p.tag == OID).map(|p| p.content) else {
        return Found::OtherDer;
    };
    if oid == RSA_ENCRYPTION {
        // BIT STRING: one byte of unused bits (0), then the PKCS#1 RSAPublicKey.
        let Some(pkcs1) = key.content.strip_prefix(&[0]) else {
            return Found::OtherDer;
        };
        let fields = read_tlv(pkcs1)
            .filter(|(seq, rest)| seq.tag == SEQUENCE && rest.is_empty())
            .and_then(|(seq, _)| read_all(seq.content));
        return match fields.as_deref() {
            Some([n, e]) if n.tag == INTEGER && e.tag == INTEGER => rsa(pkcs1, n, e),
            _ => Found::OtherDer,
        };
    }
    let Some((_, name)) = KNOWN_ALGORITHMS.iter().find(|(known, _)| *known == oid) else {
        return Found::OtherPublicKey(format!(
            "a public key of another algorithm (OID {})",
            dotted(oid)
        ));
    };
    let curve = parts
        .get(1)
        .filter(|p| p.tag == OID)
        .and_then(|p| KNOWN_CURVES.iter().find(|(known, _)| *known == p.content));
    match curve {
        Some((_, curve)) => Found::OtherPublicKey(format!("{name} on {curve}")),
        None => Found::OtherPublicKey((*name).to_owned()),
    }
}

/// One DER element: its tag and the bytes of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Reads one element from the front of `input`; `None` if it is not well-formed DER.
fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1F == 0x1F {
        return None; // high tag numbers never occur in the structures we look for
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = match first {
        0..=0x7F => usize::from(first),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7F);
            if rest.len() < count {
                return None;
            }
            let (bytes, tail) = rest.split_at(count);
            rest = tail;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            // DER demands the shortest length form.
            if len < 0x80 || bytes[0] == 0 {
                return None;
            }
            len
        }
        _ => return None, // indefinite (BER) or absurdly long
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((Tlv { tag, content }, rest))
}

/// Reads every element of a constructed element's content.
fn read_all(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let (item, rest) = read_tlv(input)?;
        items.push(item);
        input = rest;
    }
    Some(items)
}

/// The bit length of a positive DER INTEGER.
fn integer_bits(content: &[u8]) -> Option<usize> {
    let first_nonzero = content.iter().position(|&b| b != 0)?;
    let significant = &content[first_nonzero..];
    if first_nonzero == 0 && significant[0] & 0x80 != 0 {
        return None; // negative
    }
    Some(significant.len() * 8 - significant[0].leading_zeros() as usize)
}

/// Formats an OID's content bytes as dotted decimal (X.690 §8.19).
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in oid {
        if value >> 57 != 0 {
            return "(an unreadable OID)".to_owned();
        }
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_oids() {
        assert_eq!(dotted(RSA_ENCRYPTION), "1.2.840.113549.1.1.1");
        assert_eq!(dotted(&[0x2B, 0x65, 0x70]), "1.3.101.112");
    }

    #[test]
    fn integer_bit_lengths() {
        assert_eq!(integer_bits(&[0x00, 0x80]), Some(8));
        assert_eq!(integer_bits(&[0x01, 0x00]), Some(9));
        assert_eq!(integer_bits(&[0x80]), None);
        assert_eq!(integer_bits(&[0x00]), None);
    }

    #[test]
    fn non_der_is_garbage() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x05\x02\x01",
            b"\x30\x80\x00\x00",
            b"\x02\x01\x01",
        ] {
            assert_eq!(classify(input), Found::Garbage, "{input:?}");
        }
        // Trailing bytes after the outer SEQUENCE.
        assert_eq!(classify(b"\x30\x00\x00"), Found::Garbage);
        // Non-minimal length encoding.
        assert_eq!(classify(b"\x30\x81\x00"), Found::Garbage);
    }
}
