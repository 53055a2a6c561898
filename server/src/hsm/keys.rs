//! Keys in the token, each named by its label: RSA wrapping key pairs whose private half never
//! leaves the token, AES keys unwrapped into it (sensitive, never extractable), and what they
//! are used for there (AES-GCM, an AES-CMAC check value). The caller chooses the labels and
//! decides what each call is for.

use cryptoki::context::Function;
use cryptoki::error::RvError;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use der::Encode as _;
use zeroize::Zeroizing;

use super::{Error, Hsm, Result, error};

/// The hash of RSA-OAEP (and of its MGF1) an unwrap uses (RFC 8017, section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OaepHash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// Length in bits of the AES-GCM tags the token makes and checks.
const GCM_TAG_BITS: u64 = 128;

impl Hsm {
    /// Generates an RSA key pair of `modulus_bits` in the token: the private key a token object
    /// labelled `label` that can only unwrap (sensitive, never extractable), the public key read
    /// out and then destroyed. Returns the public key, DER SubjectPublicKeyInfo.
    pub fn generate_wrapping_key(&self, label: &str, modulus_bits: u64) -> Result<Vec<u8>> {
        let public_template = [
            Attribute::Token(false),
            Attribute::Private(false),
            Attribute::ModulusBits(modulus_bits.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
            Attribute::Encrypt(true),
            Attribute::Wrap(true),
            Attribute::Verify(false),
        ];
        let private_template = [
            kept(label).as_slice(),
            &[
                Attribute::Unwrap(true),
                Attribute::Decrypt(false),
                Attribute::Sign(false),
                Attribute::Derive(false),
            ],
        ]
        .concat();
        let attributes = self
            .with_session(|session| {
                let (public, _private) = session.generate_key_pair(
                    &Mechanism::RsaPkcsKeyPairGen,
                    &public_template,
                    &private_template,
                )?;
                let attributes = session.get_attributes(
                    public,
                    &[AttributeType::Modulus, AttributeType::PublicExponent],
                );
                // A session object, but the session lasts as long as the server: destroy it now.
                let destroyed = session.destroy_object(public);
                let attributes = attributes?;
                destroyed?;
                Ok(attributes)
            })
            .map_err(|e| self.refusal(e, "C_GenerateKeyPair", label))?;
        self.public_key_info(&attributes)
    }

    /// Unwraps `wrapped` (RSA-OAEP with `hash`, no label) with the private key labelled
    /// `wrapping_label` into a new AES key object labelled `label`: a token object, sensitive
    /// and never extractable, that encrypts, decrypts and signs (AES-CMAC) only. Returns the
    /// length the token gives the object (`CKA_VALUE_LEN`; 0 when it does not say, as
    /// SoftHSM2 2.6 for an unwrapped key). Data the token will not unwrap is
    /// [`Error::Rejected`]; bytes of the wrong length for AES are found by the first use
    /// ([`Hsm::aes_cmac`]).
    pub fn unwrap_aes_key(
        &self,
        wrapping_label: &str,
        hash: OaepHash,
        wrapped: &[u8],
        label: &str,
    ) -> Result<usize> {
        let (hash, mgf) = match hash {
            OaepHash::Sha1 => (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
            OaepHash::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        };
        let mechanism =
            Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()));
        let template = [
            kept(label).as_slice(),
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
                Attribute::Sign(true),
                Attribute::Verify(false),
                Attribute::Wrap(false),
                Attribute::Unwrap(false),
                Attribute::Derive(false),
            ],
        ]
        .concat();
        self.with_session(|session| {
            let wrapping =
                find_one(session, ObjectClass::PRIVATE_KEY, wrapping_label)?.ok_or(Missing)?;
            let key = session.unwrap_key(&mechanism, wrapping, wrapped, &template)?;
            match value_len(session, key) {
                Ok(len) => Ok(len),
                Err(e) => {
                    let _ = session.destroy_object(key);
                    Err(e)
                }
            }
        })
        .map_err(|e| self.refusal(e, "C_UnwrapKey", wrapping_label))
    }

    /// The AES-CMAC of `data` under the AES key labelled `label`: a check value of the key that
    /// shows nothing of it. A key the token will not use for AES (not 16, 24 or 32 bytes: an
    /// unwrapped key's first use) is [`Error::Rejected`].
    pub fn aes_cmac(&self, label: &str, data: &[u8]) -> Result<Vec<u8>> {
        self.with_session(|session| {
            let key = find_one(session, ObjectClass::SECRET_KEY, label)?.ok_or(Missing)?;
            match session.sign(&Mechanism::AesCMac, key, data) {
                Ok(mac) => Ok(mac),
                // The token has the mechanism (`super::REQUIRED_MECHANISMS`, checked at start),
                // so CKR_MECHANISM_INVALID (SoftHSM2 2.6's answer) is about the key, like
                // CKR_KEY_SIZE_RANGE: bytes of a length AES does not have.
                Err(cryptoki::error::Error::Pkcs11(
                    rv @ (RvError::KeySizeRange
                    | RvError::MechanismInvalid
                    | RvError::KeyTypeInconsistent),
                    function,
                )) => Err(Failure::Unusable(rv, function)),
                Err(e) => Err(e.into()),
            }
        })
        .map_err(|e| self.refusal(e, "C_Sign", label))
    }

    /// AES-GCM encryption under the AES key labelled `label` with the 12-byte `nonce` the
    /// caller chose: returns ciphertext ‖ 16-byte tag.
    pub fn aes_gcm_encrypt(
        &self,
        label: &str,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut iv = nonce.to_vec();
        self.with_session(|session| {
            let key = find_one(session, ObjectClass::SECRET_KEY, label)?.ok_or(Missing)?;
            let params = GcmParams::new(&mut iv, aad, GCM_TAG_BITS.into())?;
            Ok(session.encrypt(&Mechanism::AesGcm(params), key, plaintext)?)
        })
        .map_err(|e| self.refusal(e, "C_Encrypt", label))
    }

    /// Reverses [`Hsm::aes_gcm_encrypt`]; a ciphertext, tag or associated data that was changed
    /// is [`Error::Rejected`].
    pub fn aes_gcm_decrypt(
        &self,
        label: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut iv = nonce.to_vec();
        self.with_session(|session| {
            let key = find_one(session, ObjectClass::SECRET_KEY, label)?.ok_or(Missing)?;
            let params = GcmParams::new(&mut iv, aad, GCM_TAG_BITS.into())?;
            Ok(Zeroizing::new(session.decrypt(
                &Mechanism::AesGcm(params),
                key,
                ciphertext,
            )?))
        })
        .map_err(|e| match self.refusal(e, "C_Decrypt", label) {
            // SoftHSM2 2.6 answers a tag that does not match with CKR_GENERAL_ERROR.
            Error::Pkcs11 { function, code } if code == "CKR_GENERAL_ERROR" => {
                Error::Rejected { function, code }
            }
            other => other,
        })
    }

    /// Gives the secret key objects labelled `from` the label `to`; none is
    /// [`Error::ObjectNotFound`].
    pub fn relabel(&self, from: &str, to: &str) -> Result<()> {
        self.with_session(|session| {
            let keys = session.find_objects(&by_label(ObjectClass::SECRET_KEY, from))?;
            if keys.is_empty() {
                return Err(Missing.into());
            }
            for key in keys {
                session.update_attributes(key, &[Attribute::Label(to.as_bytes().to_vec())])?;
            }
            Ok(())
        })
        .map_err(|e| self.refusal(e, "C_SetAttributeValue", from))
    }

    /// Destroys every object of `class` labelled `label`; returns how many there were (none is
    /// not an error: destroying is idempotent).
    pub fn destroy(&self, class: KeyClass, label: &str) -> Result<usize> {
        self.with_session(|session| {
            let objects = session.find_objects(&by_label(class.object_class(), label))?;
            for object in &objects {
                session.destroy_object(*object)?;
            }
            Ok(objects.len())
        })
        .map_err(|e| self.refusal(e, "C_DestroyObject", label))
    }

    /// The labels of the token's objects of `class` whose label starts with `prefix`.
    pub fn labels(&self, class: KeyClass, prefix: &str) -> Result<Vec<String>> {
        self.with_session(|session| {
            let mut labels = Vec::new();
            for object in session.find_objects(&[Attribute::Class(class.object_class())])? {
                for attribute in session.get_attributes(object, &[AttributeType::Label])? {
                    if let Attribute::Label(label) = attribute
                        && let Ok(label) = String::from_utf8(label)
                        && label.starts_with(prefix)
                    {
                        labels.push(label);
                    }
                }
            }
            Ok(labels)
        })
        .map_err(|e| self.refusal(e, "C_FindObjects", prefix))
    }

    /// DER SubjectPublicKeyInfo of the RSA public key whose modulus and exponent are among
    /// `attributes`.
    fn public_key_info(&self, attributes: &[Attribute]) -> Result<Vec<u8>> {
        let (mut modulus, mut exponent) = (None, None);
        for attribute in attributes {
            match attribute {
                Attribute::Modulus(n) => modulus = Some(n.as_slice()),
                Attribute::PublicExponent(e) => exponent = Some(e.as_slice()),
                _ => {}
            }
        }
        let malformed = |what: &str| Error::Pkcs11 {
            function: "C_GetAttributeValue".to_owned(),
            code: format!("the generated public key has {what}"),
        };
        let (Some(modulus), Some(exponent)) = (modulus, exponent) else {
            return Err(malformed("no modulus or public exponent"));
        };
        let pkcs1 = pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(modulus).map_err(|_| malformed("a bad modulus"))?,
            public_exponent: der::asn1::UintRef::new(exponent)
                .map_err(|_| malformed("a bad public exponent"))?,
        }
        .to_der()
        .map_err(|_| malformed("a modulus that cannot be encoded"))?;
        byok_wrap::WrappingPublicKey::from_der(&pkcs1)
            .map(|key| key.spki_der().to_vec())
            .map_err(|_| malformed("a modulus byok-wrap does not take"))
    }

    /// `e`, from a call on the object labelled `label`; `function` names the call when
    /// cryptoki does not.
    pub(super) fn refusal(&self, e: Failure, function: &str, label: &str) -> Error {
        match e {
            Failure::Missing => Error::ObjectNotFound {
                label: label.to_owned(),
            },
            Failure::Cryptoki(cryptoki::error::Error::Pkcs11(rv, f)) => {
                Error::from_cryptoki(cryptoki::error::Error::Pkcs11(rv, f), &self.token.label)
            }
            Failure::Cryptoki(other) => Error::Pkcs11 {
                function: function.to_owned(),
                code: other.to_string(),
            },
            Failure::Absent => Error::TokenAbsent {
                label: self.token.label.clone(),
            },
            Failure::LoggedOut(state) => Error::LoggedOut {
                label: self.token.label.clone(),
                state,
            },
            Failure::Reconnect(e) => Error::Reconnect(Box::new(e)),
            Failure::Unusable(rv, f) => Error::Rejected {
                function: error::function_name(f),
                code: error::ckr_name(rv),
            },
        }
    }
}

/// The kinds of objects [`Hsm::destroy`] and [`Hsm::labels`] look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// Private keys (`CKO_PRIVATE_KEY`): the wrapping keys.
    Private,
    /// Secret keys (`CKO_SECRET_KEY`): imported AES keys.
    Secret,
}

impl KeyClass {
    fn object_class(self) -> ObjectClass {
        match self {
            Self::Private => ObjectClass::PRIVATE_KEY,
            Self::Secret => ObjectClass::SECRET_KEY,
        }
    }
}

/// Why a call in a session failed: the object it names is not there, or PKCS#11 said no.
pub(super) enum Failure {
    Missing,
    Cryptoki(cryptoki::error::Error),
    /// A key the token will not use as what it was unwrapped as.
    Unusable(RvError, Function),
    /// The slot says its token is not there.
    Absent,
    /// The session is no longer logged in as the user (its state, as cryptoki names it).
    LoggedOut(String),
    /// Connecting to the token again failed.
    Reconnect(Error),
}

impl Failure {
    /// Whether the token cannot be reached through this connection any more.
    pub(super) fn is_unreachable(&self) -> bool {
        match self {
            Self::Absent | Self::LoggedOut(_) => true,
            Self::Cryptoki(cryptoki::error::Error::Pkcs11(rv, f)) => {
                Error::from_cryptoki(cryptoki::error::Error::Pkcs11(*rv, *f), "").is_unreachable()
            }
            Self::Missing | Self::Cryptoki(_) | Self::Unusable(..) | Self::Reconnect(_) => false,
        }
    }
}

/// The object named is not in the token.
struct Missing;

impl From<Missing> for Failure {
    fn from(_: Missing) -> Self {
        Self::Missing
    }
}

impl From<cryptoki::error::Error> for Failure {
    fn from(e: cryptoki::error::Error) -> Self {
        Self::Cryptoki(e)
    }
}

/// What every key byok-kms keeps in the token has: a private token object labelled `label`,
/// sensitive and never extractable.
fn kept(label: &str) -> [Attribute; 5] {
    [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

pub(super) fn by_label(class: ObjectClass, label: &str) -> [Attribute; 2] {
    [
        Attribute::Class(class),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

/// The first object of `class` labelled `label`.
fn find_one(
    session: &Session,
    class: ObjectClass,
    label: &str,
) -> core::result::Result<Option<ObjectHandle>, Failure> {
    Ok(session
        .find_objects(&by_label(class, label))?
        .into_iter()
        .next())
}

/// `CKA_VALUE_LEN` of a secret key.
fn value_len(session: &Session, key: ObjectHandle) -> core::result::Result<usize, Failure> {
    for attribute in session.get_attributes(key, &[AttributeType::ValueLen])? {
        if let Attribute::ValueLen(len) = attribute {
            return Ok(len.into());
        }
    }
    Err(Failure::Cryptoki(cryptoki::error::Error::InvalidValue))
}
