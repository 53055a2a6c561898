//! The KMS's RSA wrapping public key, parsed from whatever form the user has at hand: the base64
//! DER SubjectPublicKeyInfo that `GetParametersForImport` returns, PEM (`PUBLIC KEY` or
//! `RSA PUBLIC KEY`, as Google Cloud's import jobs and `openssl` give it), or raw DER bytes.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::EncodePublicKey as _;
use zeroize::Zeroizing;

use crate::classify::{self, Found};
use crate::error::{Error, Result};
use crate::pem;
use crate::spec::{WrappingAlgorithm, WrappingKeySpec};

/// An RSA public key fit to wrap key material: RSA 2048, 3072 or 4096 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappingPublicKey {
    key: rsa::PublicKey,
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
        if input.trim_ascii_end().is_empty() {
            return Err(invalid("the input is empty"));
        }
        if pem::is_pem(input) {
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
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(compact)
            .map_err(|_| invalid("text that is not valid base64"))?;
        Self::decode(&der, Some("base64 text"))
    }

    /// Parses PEM text. The first `PUBLIC KEY` or `RSA PUBLIC KEY` block is used; anything else
    /// (a certificate, a private key) is refused with a message saying what it is.
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = pem::blocks(text);
        let mut der = Zeroizing::new(Vec::new());
        if let Some(block) = blocks
            .iter()
            .find(|b| matches!(b.label, "PUBLIC KEY" | "RSA PUBLIC KEY"))
        {
            block
                .decode_into(&mut der)
                .map_err(|()| invalid("a PEM block whose base64 is damaged or cut short"))?;
            return Self::decode(&der, Some("a PEM block"));
        }
        if blocks.iter().any(|b| b.label.contains("PRIVATE KEY")) {
            Err(invalid(&private_key_advice("a PEM private key")))
        } else if blocks.iter().any(|b| b.label.contains("CERTIFICATE")) {
            Err(invalid(&certificate_advice("a PEM X.509 certificate")))
        } else if let Some(block) = blocks.first() {
            Err(invalid(&format!(
                "a PEM block labelled \"{}\"; expected \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"",
                crate::error::echoed(block.label)
            )))
        } else {
            Err(invalid(
                "PEM text without a complete BEGIN/END block (is it cut short?)",
            ))
        }
    }

    /// Parses DER: a SubjectPublicKeyInfo or a PKCS#1 `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::decode(der, None)
    }

    /// Decodes DER that came inside `container` (base64 text, a PEM block), which a refusal names
    /// when the content is not DER at all.
    fn decode(der: &[u8], container: Option<&str>) -> Result<Self> {
        let found = classify::classify(der);
        let (modulus_bits, key) = match (found, container) {
            (Found::RsaPublicKey { modulus_bits, key }, _) => (modulus_bits, key),
            (Found::Garbage, Some(container)) => {
                return Err(invalid(&format!("{container} whose content is not DER")));
            }
            (found @ Found::Certificate, _) => {
                return Err(invalid(&certificate_advice(&found.describe())));
            }
            (found, _) if found.is_private_key() => {
                return Err(invalid(&private_key_advice(&found.describe())));
            }
            (found @ Found::OtherPublicKey(_), _) => {
                return Err(invalid(&format!(
                    "{}; the wrapping key must be an RSA public key",
                    found.describe()
                )));
            }
            (found, _) => return Err(invalid(&found.describe())),
        };
        let spec = WrappingKeySpec::from_bits(modulus_bits).ok_or_else(|| {
            invalid(&format!(
                "an RSA-{modulus_bits} public key; the wrapping key must be RSA 2048, 3072 or 4096 bits"
            ))
        })?;
        let key = rsa::PublicKey::try_from(key).map_err(|_| {
            invalid("an RSA public key with an even modulus or an unusable public exponent")
        })?;
        let spki = key
            .to_public_key_der()
            .map_err(|_| invalid("an RSA public key that cannot be re-encoded"))?
            .into_vec();
        Ok(Self { key, spec, spki })
    }

    /// The wrapping key spec matching the modulus size.
    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The modulus size in bytes, which is also the size of every RSA ciphertext under it.
    pub fn modulus_len(&self) -> usize {
        self.spec.bits() / 8
    }

    /// The key as a DER SubjectPublicKeyInfo (for WebCrypto's `importKey('spki', …)`).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The most key material `algorithm` can wrap under this key.
    pub fn max_material_len(&self, algorithm: WrappingAlgorithm) -> usize {
        algorithm.max_material_len(self.modulus_len())
    }

    pub(crate) fn rsa(&self) -> &rsa::PublicKey {
        &self.key
    }
}

impl fmt::Debug for WrappingPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappingPublicKey({})", self.spec)
    }
}

fn invalid(what: &str) -> Error {
    Error::InvalidPublicKey(format!("found {what}"))
}

fn certificate_advice(what: &str) -> String {
    format!("{what}, not a public key; extract its key with `openssl x509 -pubkey -noout`")
}

fn private_key_advice(what: &str) -> String {
    format!(
        "{what}, not a public key; never share a private key: use the PublicKey that \
         GetParametersForImport (or the import job) returned"
    )
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
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
        let crlf = pem.replace('\n', "\r\n");
        let der = STANDARD.decode(SPKI_2048_B64).unwrap();
        let expected = WrappingPublicKey::from_der(&der).unwrap();
        assert_eq!(expected.spki_der(), &der[..]);
        for input in [wrapped.as_bytes(), pem.as_bytes(), crlf.as_bytes(), &der] {
            let key = WrappingPublicKey::parse(input).unwrap();
            assert!(key == expected);
        }
    }

    #[test]
    fn refusals_name_what_was_found() {
        let cases: [(&[u8], &str); 7] = [
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
            (
                b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1ni4\n",
                "cut short",
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
