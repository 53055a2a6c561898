//! Asymmetric key material: a private key to import, parsed from PEM or DER in any of the forms
//! `openssl` and other tools write (PKCS#8, PKCS#1 `RSA PRIVATE KEY`, SEC 1 `EC PRIVATE KEY`) and
//! turned into the PKCS#8 DER that every cloud expects (`openssl pkcs8 -topk8 -nocrypt -outform
//! DER`). Wiped on drop, never printed.

use core::fmt;

use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode as _, Encode};
use pkcs8::PrivateKeyInfoRef;
use sec1::EcPrivateKey;
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use crate::classify::{self, Found};
use crate::error::{Error, Result};
use crate::pem;
use crate::spec::PrivateKeyType;

/// A private key to import, held as PKCS#8 DER.
///
/// The bytes live in one heap buffer that is overwritten with zeros when the value is dropped;
/// every intermediate copy made while parsing (decoded PEM, the re-encoded key) is zeroizing as
/// well. There is no `Clone`, and `Debug` shows only the key type and length. Only RSA 2048, 3072
/// and 4096-bit keys and EC keys on P-256, P-384 and secp256k1 are accepted.
///
/// The parser checks the structure and the sizes (modulus length, curve, scalar length), not the
/// arithmetic: it does not prove that an RSA key's primes multiply to its modulus or that an EC
/// key's public point belongs to its scalar. The KMS does that when it imports.
pub struct PrivateKeyMaterial {
    pkcs8: Zeroizing<Vec<u8>>,
    key_type: PrivateKeyType,
}

impl PrivateKeyMaterial {
    /// Parses a private key from PEM text or DER bytes, telling them apart by content.
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
        } else {
            Self::from_der(input)
        }
    }

    /// Parses PEM text: the first `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` block
    /// (other blocks, such as `EC PARAMETERS`, are skipped).
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = pem::blocks(text);
        let key_block = blocks.iter().find(|b| {
            matches!(
                b.label,
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
            )
        });
        let Some(block) = key_block else {
            return Err(match blocks.first() {
                Some(b) if b.label.contains("PUBLIC KEY") => invalid(&format!(
                    "a PEM {}; {PUBLIC_KEY_ADVICE}",
                    b.label.to_lowercase()
                )),
                Some(b) if b.label.contains("CERTIFICATE") => {
                    invalid(&format!("a PEM certificate; {PUBLIC_KEY_ADVICE}"))
                }
                Some(b) => invalid(&format!(
                    "a PEM block labelled \"{}\"; expected \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \
                     \"EC PRIVATE KEY\"",
                    crate::error::echoed(b.label)
                )),
                None => invalid("PEM text without a complete BEGIN/END block (is it cut short?)"),
            });
        };
        if block.label == "ENCRYPTED PRIVATE KEY" || block.has_headers() {
            return Err(invalid(ENCRYPTED_ADVICE));
        }
        let mut der = Zeroizing::new(Vec::new());
        block
            .decode_into(&mut der)
            .map_err(|()| invalid("a PEM block whose base64 is damaged or cut short"))?;
        Self::decode(&der, true)
    }

    /// Parses DER: PKCS#8 `PrivateKeyInfo`, PKCS#1 `RSAPrivateKey` or SEC 1 `ECPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::decode(der, false)
    }

    /// Decodes DER, which came from a PEM block if `from_pem`.
    fn decode(der: &[u8], from_pem: bool) -> Result<Self> {
        match classify::classify(der) {
            Found::Pkcs8(info) => from_pkcs8(der, &info),
            Found::RsaPrivateKey(key) => {
                let key_type = classify::rsa_private_key_type(&key)
                    .map_err(|what| invalid(&format!("{what}; {SUPPORTED}")))?;
                let pkcs8 = pkcs8_of(classify::RSA_ENCRYPTION, AnyRef::NULL, der)?;
                Ok(Self { pkcs8, key_type })
            }
            Found::EcPrivateKey(key) => {
                let Some(curve) = key.parameters.and_then(|p| p.named_curve()) else {
                    return Err(invalid(
                        "an EC private key (SEC 1) without its curve; export it with \
                         `openssl ec -in key.pem -param_enc named_curve` or as PKCS#8",
                    ));
                };
                let key_type = classify::ec_key_type(curve)
                    .map_err(|what| invalid(&format!("{what}; {SUPPORTED}")))?;
                check_scalar(&key, key_type)?;
                // The curve moves to the AlgorithmIdentifier, as `openssl pkcs8 -topk8` writes it.
                let inner = encode(&EcPrivateKey {
                    private_key: key.private_key,
                    parameters: None,
                    public_key: key.public_key,
                })?;
                let pkcs8 = pkcs8_of(classify::EC_PUBLIC_KEY, AnyRef::from(&curve), &inner)?;
                Ok(Self { pkcs8, key_type })
            }
            Found::EncryptedPkcs8 => Err(invalid(ENCRYPTED_ADVICE)),
            found
            @ (Found::RsaPublicKey { .. } | Found::OtherPublicKey(_) | Found::Certificate) => Err(
                invalid(&format!("{}; {PUBLIC_KEY_ADVICE}", found.describe())),
            ),
            Found::Garbage if from_pem => Err(invalid(
                "a PEM block whose content is not a complete key (is it cut short or damaged?)",
            )),
            Found::Garbage => Err(invalid("data that is neither PEM nor DER")),
            found => Err(invalid(&found.describe())),
        }
    }

    /// The key's type.
    pub fn key_type(&self) -> PrivateKeyType {
        self.key_type
    }

    /// The PKCS#8 DER bytes: what is wrapped. Every call site is a place where the secret is
    /// used: keep them few.
    pub fn expose_secret(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The length of the PKCS#8 DER in bytes.
    pub fn len(&self) -> usize {
        self.pkcs8.len()
    }

    /// Always false: a parsed key is never empty.
    pub fn is_empty(&self) -> bool {
        self.pkcs8.is_empty()
    }
}

impl fmt::Debug for PrivateKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKeyMaterial({}, [REDACTED; {} bytes])",
            self.key_type,
            self.len()
        )
    }
}

const SUPPORTED: &str =
    "the clouds import RSA 2048, 3072 and 4096-bit keys and EC keys on P-256, P-384 and secp256k1";
const ENCRYPTED_ADVICE: &str = "an encrypted private key; decrypt it first, on this machine: \
                                `openssl pkcs8 -in key.pem -out plain.pem` (and wipe plain.pem \
                                after the import)";
const PUBLIC_KEY_ADVICE: &str = "the material to import is the private key";

/// Checks a PKCS#8 key and keeps its DER as it is.
fn from_pkcs8(der: &[u8], info: &PrivateKeyInfoRef<'_>) -> Result<PrivateKeyMaterial> {
    let key_type = classify::private_key_type(info)
        .map_err(|what| invalid(&format!("{what}; {SUPPORTED}")))?;
    if let Some(curve) = classify::curve_oid(key_type) {
        let key = EcPrivateKey::from_der(info.private_key.as_bytes()).map_err(|_| {
            invalid("a PKCS#8 EC private key whose inner ECPrivateKey is malformed")
        })?;
        if key
            .parameters
            .and_then(|p| p.named_curve())
            .is_some_and(|inner| inner != curve)
        {
            return Err(invalid(
                "a PKCS#8 EC private key that names two different curves",
            ));
        }
        check_scalar(&key, key_type)?;
    }
    Ok(PrivateKeyMaterial {
        pkcs8: Zeroizing::new(der.to_vec()),
        key_type,
    })
}

/// Checks the length of an EC private scalar for its curve (SEC 1 §2.3.7: the field size).
fn check_scalar(key: &EcPrivateKey<'_>, key_type: PrivateKeyType) -> Result<()> {
    let expected = match key_type {
        PrivateKeyType::EcP384 => 48,
        _ => 32,
    };
    if key.private_key.len() == expected && key.private_key.iter().any(|&b| b != 0) {
        Ok(())
    } else {
        Err(invalid(&format!(
            "an {key_type} private key whose scalar is {} bytes instead of {expected}",
            key.private_key.len()
        )))
    }
}

/// A PKCS#8 `PrivateKeyInfo` (version 1, no attributes) around an inner private key.
fn pkcs8_of(
    algorithm: der::asn1::ObjectIdentifier,
    parameters: AnyRef<'_>,
    inner: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef {
            oid: algorithm,
            parameters: Some(parameters),
        },
        OctetStringRef::new(inner).map_err(|_| invalid("a private key too large to encode"))?,
    );
    encode(&info)
}

/// DER-encodes `value` into a zeroizing buffer of exactly its length, so that the secret is
/// written once and never reallocated.
fn encode(value: &impl Encode) -> Result<Zeroizing<Vec<u8>>> {
    let len = value
        .encoded_len()
        .ok()
        .and_then(|len| usize::try_from(len).ok())
        .ok_or_else(|| invalid("a private key too large to encode"))?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    value
        .encode_to_slice(&mut out)
        .map_err(|_| invalid("a private key that cannot be re-encoded"))?;
    Ok(out)
}

fn invalid(what: &str) -> Error {
    Error::InvalidPrivateKey(format!("found {what}"))
}
