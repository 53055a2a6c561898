//! The KMS's RSA wrapping public key, parsed from whatever form the user has at hand: the base64
//! DER SubjectPublicKeyInfo that `GetParametersForImport` returns, PEM (`PUBLIC KEY` or
//! `RSA PUBLIC KEY`), or raw DER bytes.

mod classify;

use core::fmt;

use crate::error::{Error, Result};
use crate::rsa::RsaPublicKey;
use crate::spec::{WrappingAlgorithm, WrappingKeySpec};
use classify::Found;

/// An RSA public key fit to wrap key material: RSA 2048, 3072 or 4096 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappingPublicKey {
    key: RsaPublicKey,
    spec: WrappingKeySpec,
    /// The key as a DER SubjectPublicKeyInfo, whatever form it came in.
    spki: Vec<u8>,
}

impl WrappingPublicKey {
    /// Parses a key in any supported form, telling them apart by content: PEM text (anywhere in
    /// the input), base64 text of DER, or DER bytes.
    pub fn parse(input: &[u8]) -> Result<Self> {
        let input = input.trim_ascii_start();
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        if input.is_empty() {
            return Err(invalid("the input is empty"));
        }
        if contains(input, b"-----BEGIN ") {
            let text = core::str::from_utf8(input)
                .map_err(|_| invalid("PEM text that is not valid UTF-8"))?;
            Self::from_pem(text)
        } else if input
            .iter()
            .all(|&b| is_base64_char(b) || b.is_ascii_whitespace())
        {
            // DER always starts with 0x30 0x8x for keys this size, and 0x8x is not base64, so a
            // DER key can never be mistaken for base64 text.
            Self::from_base64(core::str::from_utf8(input).unwrap_or_default())
        } else {
            Self::from_der(input)
        }
    }

    /// Parses the base64 of a DER key, as in the `PublicKey` field of `GetParametersForImport`.
    /// Line breaks and other whitespace are ignored.
    pub fn from_base64(text: &str) -> Result<Self> {
        Self::decode(&decode_base64(text)?, Some("base64 text"))
    }

    /// Parses PEM text. The first `PUBLIC KEY` or `RSA PUBLIC KEY` block is used; anything else
    /// (a certificate, a private key) is refused with a message saying what it is.
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = pem_blocks(text);
        if let Some(block) = blocks.iter().find(|b| b.is_public_key()) {
            return Self::decode(&decode_base64(&block.body)?, Some("a PEM block"));
        }
        let refusal = if blocks.iter().any(|b| b.label.contains("PRIVATE KEY")) {
            Found::PrivateKey("a PEM private key")
        } else if let Some(b) = blocks.iter().find(|b| b.label.contains("CERTIFICATE")) {
            Found::Certificate(if b.label == "CERTIFICATE" {
                "a PEM"
            } else {
                "a PEM trusted"
            })
        } else if let Some(block) = blocks.first() {
            return Err(invalid(&format!(
                "a PEM block labelled \"{}\"; expected \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"",
                crate::error::echoed(&block.label)
            )));
        } else {
            return Err(invalid("PEM text without a complete BEGIN/END block"));
        };
        Err(invalid(&refusal.describe()))
    }

    /// Parses DER: a SubjectPublicKeyInfo or a PKCS#1 `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::decode(der, None)
    }

    /// Decodes DER that came inside `container` (base64 text, a PEM block), which a refusal names
    /// when the content is not DER at all.
    fn decode(der: &[u8], container: Option<&str>) -> Result<Self> {
        let (modulus_bits, modulus, exponent, pkcs1) = match (classify::classify(der), container) {
            (
                Found::Rsa {
                    modulus_bits,
                    modulus,
                    exponent,
                    pkcs1,
                },
                _,
            ) => (modulus_bits, modulus, exponent, pkcs1),
            (Found::Garbage, Some(container)) => {
                return Err(invalid(&format!("{container} whose content is not DER")));
            }
            (other, _) => return Err(invalid(&other.describe())),
        };
        let spec = WrappingKeySpec::from_bits(modulus_bits).ok_or_else(|| {
            invalid(&format!(
                "an RSA-{modulus_bits} public key; the wrapping key must be RSA 2048, 3072 or 4096 bits"
            ))
        })?;
        let key = RsaPublicKey::new(modulus, exponent).ok_or_else(|| {
            invalid("an RSA public key with an even modulus or an unusable public exponent")
        })?;
        Ok(Self {
            key,
            spec,
            spki: spki_from_pkcs1(pkcs1),
        })
    }

    /// The wrapping key spec matching the modulus size.
    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The modulus size in bytes, which is also the size of every wrapped output.
    pub fn modulus_len(&self) -> usize {
        self.key.size()
    }

    /// The key as a DER SubjectPublicKeyInfo (for WebCrypto's `importKey('spki', …)`).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The most key material `algorithm` can wrap under this key.
    pub fn max_material_len(&self, algorithm: WrappingAlgorithm) -> usize {
        algorithm.max_message_len(self.modulus_len())
    }

    pub(crate) fn rsa(&self) -> &RsaPublicKey {
        &self.key
    }
}

impl fmt::Debug for WrappingPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappingPublicKey({})", self.spec)
    }
}

/// Wraps a PKCS#1 `RSAPublicKey` in a SubjectPublicKeyInfo with `rsaEncryption` and NULL
/// parameters (RFC 8017 Appendix A.1, RFC 5280 §4.1.2.7).
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    const ALGORITHM: &[u8] = &[
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0x03];
    push_der_length(&mut bit_string, pkcs1.len() + 1);
    bit_string.push(0); // no unused bits
    bit_string.extend_from_slice(pkcs1);
    let mut spki = vec![0x30];
    push_der_length(&mut spki, ALGORITHM.len() + bit_string.len());
    spki.extend_from_slice(ALGORITHM);
    spki.extend_from_slice(&bit_string);
    spki
}

fn push_der_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn invalid(what: &str) -> Error {
    Error::InvalidPublicKey(format!("found {what}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    crate::base64::decode(&compact).ok_or_else(|| invalid("text that is not valid base64"))
}

/// One `-----BEGIN x-----` … `-----END x-----` block (RFC 7468).
struct PemBlock {
    label: String,
    body: String,
}

impl PemBlock {
    fn is_public_key(&self) -> bool {
        self.label == "PUBLIC KEY" || self.label == "RSA PUBLIC KEY"
    }
}

/// Splits PEM text into its complete blocks, skipping explanatory text between them and RFC 1421
/// header lines (`Proc-Type: …`) inside them.
fn pem_blocks(text: &str) -> Vec<PemBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<PemBlock> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        {
            open = Some(PemBlock {
                label: label.to_owned(),
                body: String::new(),
            });
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|rest| rest.strip_suffix("-----"))
        {
            if let Some(block) = open.take().filter(|b| b.label == label) {
                blocks.push(block);
            }
        } else if let Some(block) = open.as_mut().filter(|_| !line.contains(':')) {
            block.body.push_str(line);
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    // A 2048-bit SPKI, as `GetParametersForImport` returns it (generated with
    // `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 | openssl pkey -pubout`).
    const SPKI_2048_B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1ni4+kLDPcBpD9SXdPtUiteKmYneo3orbxwWZ41pfaHOtb0ff1s6+nGGcu7MkFhOzqy+RhJsQtszvZbGdRQiP7zYVOx6AL8Ns1GfCEB0I3n1I5BU5QhlDnf3B1N+KchaFObT3K2K7QdZcaDkqswea28Xs2qkGpHThucJ8kDG1JZQZwejGb45U8DYBtbdxuDtyxPS9DJTU7UGotEIGAab6GmrFXwJizAxXZBTeXDRbum9jprhzT4ZXYGS0kW8+/BVbkf4/bqMYquHiO87S2BcHFOtAlG3GclsJtzZMdDM2OjrxllKd28eA0bgDVJvki5QCDH9af9Ix+17saZ3XvYnNwIDAQAB";

    #[test]
    fn parses_the_get_parameters_for_import_form() {
        let key = WrappingPublicKey::parse(SPKI_2048_B64.as_bytes()).unwrap();
        assert_eq!(key.spec(), WrappingKeySpec::Rsa2048);
        assert_eq!(key.modulus_len(), 256);
        assert_eq!(
            key.max_material_len(WrappingAlgorithm::RsaesOaepSha256),
            190
        );
        assert_eq!(format!("{key:?}"), "WrappingPublicKey(RSA_2048)");
    }

    #[test]
    fn base64_with_line_breaks_and_pem_are_the_same_key() {
        let wrapped: String = SPKI_2048_B64
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\n", core::str::from_utf8(c).unwrap()))
            .collect();
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{wrapped}-----END PUBLIC KEY-----\n");
        let der = crate::base64::decode(SPKI_2048_B64).unwrap();
        let expected = WrappingPublicKey::from_der(&der).unwrap();
        assert_eq!(expected.spki_der(), &der[..]);
        for input in [wrapped.as_bytes(), pem.as_bytes(), &der] {
            let key = WrappingPublicKey::parse(input).unwrap();
            assert!(key == expected);
        }
    }

    #[test]
    fn refusals_name_what_was_found() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (b"   \n", "empty"),
            (
                b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                "certificate",
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
                "private key",
            ),
            (
                b"-----BEGIN FOO-----\nMIIB\n-----END FOO-----\n",
                "labelled \"FOO\"",
            ),
            (b"not a key at all!", "neither"),
        ];
        for (input, needle) in cases {
            let err = WrappingPublicKey::parse(input).unwrap_err();
            assert_eq!(err.code(), "InvalidPublicKey");
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
        }
    }
}
