//! The calls of asymmetric keys: GetPublicKey, AsymmetricSign / AsymmetricVerify over a SHA-256
//! digest, AsymmetricEncrypt / AsymmetricDecrypt (RSA-OAEP), and the key's one version
//! (ListKeyVersions, DescribeKeyVersion). Each behaves in every state as Encrypt does (the state
//! table's Encrypt and Decrypt rows), and each names the key's one `KeyVersionId`.

use zeroize::Zeroizing;

use crate::crypto::asymmetric::{
    self, AsymmetricKey, AsymmetricSpec, EncryptionAlgorithm, SigningAlgorithm,
};
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::import::private_key::purpose;
use crate::kms::key::{Key, KeyUsage};
use crate::kms::page::{Page, Paging};
use crate::kms::state::Action;
use crate::store::Store;

/// The signing algorithms by wire name (Alibaba's `Algorithm`).
pub const SIGNING_ALGORITHMS: [(SigningAlgorithm, &str); 3] = [
    (SigningAlgorithm::RsaPssSha256, "RSA_PSS_SHA_256"),
    (SigningAlgorithm::RsaPkcs1Sha256, "RSA_PKCS1_SHA_256"),
    (SigningAlgorithm::EcdsaSha256, "ECDSA_SHA_256"),
];

/// The encryption algorithms by wire name.
pub const ENCRYPTION_ALGORITHMS: [(EncryptionAlgorithm, &str); 2] = [
    (EncryptionAlgorithm::RsaesOaepSha1, "RSAES_OAEP_SHA_1"),
    (EncryptionAlgorithm::RsaesOaepSha256, "RSAES_OAEP_SHA_256"),
];

/// The length of the SHA-256 digest the signing calls take.
pub const DIGEST_LEN: usize = 32;

/// The longest message a Sign or Verify request may give whole (AWS `MessageType` RAW).
pub const MAX_RAW_MESSAGE: usize = 4096;

/// The signing algorithms a key of `spec` signs with.
pub fn signing_algorithms(spec: AsymmetricSpec) -> &'static [SigningAlgorithm] {
    if spec.rsa_bits().is_some() {
        &[
            SigningAlgorithm::RsaPssSha256,
            SigningAlgorithm::RsaPkcs1Sha256,
        ]
    } else {
        &[SigningAlgorithm::EcdsaSha256]
    }
}

/// The encryption algorithms a key of `spec` encrypts with (RSA keys only).
pub fn encryption_algorithms(spec: AsymmetricSpec) -> &'static [EncryptionAlgorithm] {
    if spec.rsa_bits().is_some() {
        &[
            EncryptionAlgorithm::RsaesOaepSha1,
            EncryptionAlgorithm::RsaesOaepSha256,
        ]
    } else {
        &[]
    }
}

/// What a signing request gives: the message itself, or its SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedMessage<'a> {
    /// The message, at most [`MAX_RAW_MESSAGE`] bytes, hashed here.
    Raw(&'a [u8]),
    /// Its SHA-256 digest.
    Digest(&'a [u8]),
}

impl SignedMessage<'_> {
    /// The SHA-256 digest the signing calls take.
    pub fn digest(self) -> Result<Vec<u8>> {
        match self {
            Self::Raw(message) if message.len() > MAX_RAW_MESSAGE => Err(Error::invalid(
                Argument::Digest,
                format!(
                    "a message is at most {MAX_RAW_MESSAGE} bytes; sign a longer one by its \
                     digest (MessageType DIGEST)"
                ),
            )),
            Self::Raw(message) => Ok(crate::crypto::sha256(message).to_vec()),
            Self::Digest(digest) => {
                check_digest(digest)?;
                Ok(digest.to_vec())
            }
        }
    }
}

/// A reply naming the key and version it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The key id.
    pub key_id: String,
    /// The key's version id.
    pub key_version_id: String,
    /// The value.
    pub value: T,
}

/// A key version, as ListKeyVersions and DescribeKeyVersion report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersion {
    /// The key id.
    pub key_id: String,
    /// The version id.
    pub key_version_id: String,
    /// When it was created (Unix seconds): the key's creation.
    pub created_at: i64,
}

impl<S: Store> Kms<S> {
    /// `GetPublicKey`: the public key, DER SubjectPublicKeyInfo (the door writes PEM).
    pub fn get_public_key(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
    ) -> Result<Versioned<Vec<u8>>> {
        let (key, private) =
            self.asymmetric_key(account_id, key_ref, version, None, Action::Encrypt)?;
        Ok(versioned(&key, private.public_key_der()?))
    }

    /// `AsymmetricSign`: a signature over a SHA-256 `digest`, by a SIGN/VERIFY key.
    pub fn asymmetric_sign(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        digest: &[u8],
    ) -> Result<Versioned<Vec<u8>>> {
        check_digest(digest)?;
        let (key, private) = self.asymmetric_key(
            account_id,
            key_ref,
            version,
            Some(KeyUsage::SignVerify),
            Action::Encrypt,
        )?;
        check_signing(&key, algorithm)?;
        let signature = private
            .sign_digest(algorithm, digest)
            .ok_or(Error::Invariant("a checked key and digest did not sign"))?;
        Ok(versioned(&key, signature))
    }

    /// `AsymmetricVerify`: whether `signature` is a signature over `digest` by the key.
    pub fn asymmetric_verify(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<Versioned<bool>> {
        check_digest(digest)?;
        let (key, private) = self.asymmetric_key(
            account_id,
            key_ref,
            version,
            Some(KeyUsage::SignVerify),
            Action::Decrypt,
        )?;
        let spec = check_signing(&key, algorithm)?;
        let public = private.public_key_der()?;
        let valid = asymmetric::verify_digest(spec, &public, algorithm, digest, signature);
        Ok(versioned(&key, valid))
    }

    /// `AsymmetricEncrypt`: RSA-OAEP under an ENCRYPT/DECRYPT RSA key.
    pub fn asymmetric_encrypt(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Versioned<Vec<u8>>> {
        let (key, private) = self.asymmetric_key(
            account_id,
            key_ref,
            version,
            Some(KeyUsage::EncryptDecrypt),
            Action::Encrypt,
        )?;
        let public = private.public_key_der()?;
        let ciphertext = asymmetric::encrypt(&public, algorithm, plaintext)?.ok_or_else(|| {
            Error::invalid(
                Argument::Plaintext,
                "is too long for the key and algorithm (at most the modulus length less 42 \
                 bytes for RSAES_OAEP_SHA_1, less 66 for RSAES_OAEP_SHA_256)",
            )
        })?;
        Ok(versioned(&key, ciphertext))
    }

    /// `AsymmetricDecrypt`: RSA-OAEP, in constant time; one error for every failure.
    pub fn asymmetric_decrypt(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Versioned<Zeroizing<Vec<u8>>>> {
        let (key, private) = self.asymmetric_key(
            account_id,
            key_ref,
            version,
            Some(KeyUsage::EncryptDecrypt),
            Action::Decrypt,
        )?;
        let plaintext = private
            .decrypt(algorithm, ciphertext)
            .ok_or(Error::InvalidCiphertext(
                "it is not an RSA-OAEP ciphertext of this key and algorithm",
            ))?;
        Ok(versioned(&key, plaintext))
    }

    /// `ListKeyVersions`: a key's one version.
    pub fn list_key_versions(
        &self,
        account_id: &str,
        key_ref: &str,
        paging: Paging,
    ) -> Result<Page<KeyVersion>> {
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        let (offset, size) = paging.offset()?;
        let items = if offset == 0 {
            vec![key_version(&key)]
        } else {
            Vec::new()
        };
        Ok(Page {
            items,
            total: 1,
            page_number: offset / size + 1,
            page_size: size,
        })
    }

    /// `DescribeKeyVersion`.
    pub fn describe_key_version(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
    ) -> Result<KeyVersion> {
        let key = self
            .store
            .transaction(|tx| self.resolve(tx, account_id, key_ref))?;
        check_version(&key, version)?;
        Ok(key_version(&key))
    }

    /// The asymmetric key `key_ref` names, checked for its version, usage (if the call needs
    /// one) and state, its private key unsealed and parsed.
    fn asymmetric_key(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        usage: Option<KeyUsage>,
        action: Action,
    ) -> Result<(Key, AsymmetricKey)> {
        let key = self.store.transaction(|tx| {
            let key = self.resolve(tx, account_id, key_ref)?;
            check_version(&key, version)?;
            let fits = key.key_spec.asymmetric().is_some() && usage.is_none_or(|u| u == key.usage);
            if !fits {
                return Err(Error::WrongKeyKind {
                    action: action_name(usage, action),
                    spec: key.key_spec,
                    usage: key.usage,
                });
            }
            key.state.check(action)?;
            Ok(key)
        })?;
        let spec = key
            .key_spec
            .asymmetric()
            .ok_or(Error::Invariant("checked asymmetric above"))?;
        let sealed = key
            .sealed_material
            .as_deref()
            .ok_or(Error::Invariant("an Enabled key has no material"))?;
        let pkcs8 = self.crypto.open(&key.material_identity(), sealed)?;
        let private = AsymmetricKey::from_pkcs8(spec, purpose(key.usage), &pkcs8)
            .map_err(|_| Error::Invariant("sealed private key does not parse for its spec"))?;
        Ok((key, private))
    }
}

/// `value`, naming the key and its current version.
pub(crate) fn versioned<T>(key: &Key, value: T) -> Versioned<T> {
    Versioned {
        key_id: key.id.clone(),
        key_version_id: key.version_id.clone(),
        value,
    }
}

fn key_version(key: &Key) -> KeyVersion {
    KeyVersion {
        key_id: key.id.clone(),
        key_version_id: key.version_id.clone(),
        created_at: key.created_at,
    }
}

fn action_name(usage: Option<KeyUsage>, action: Action) -> &'static str {
    match (usage, action) {
        (Some(KeyUsage::SignVerify), _) => "AsymmetricSign/AsymmetricVerify",
        (Some(KeyUsage::EncryptDecrypt), _) => "AsymmetricEncrypt/AsymmetricDecrypt",
        (Some(KeyUsage::GenerateVerifyMac), _) => "GenerateMac/VerifyMac",
        (None, _) => "GetPublicKey",
    }
}

/// A key has one version; any other id (another key's included) names none of this key's.
fn check_version(key: &Key, version: &str) -> Result<()> {
    if crate::crypto::constant_time_eq(version.as_bytes(), key.version_id.as_bytes()) {
        Ok(())
    } else {
        Err(Error::KeyVersionNotFound(crate::kms::rules::echo(version)))
    }
}

fn check_digest(digest: &[u8]) -> Result<()> {
    if digest.len() == DIGEST_LEN {
        Ok(())
    } else {
        Err(Error::invalid(
            Argument::Digest,
            "must be the base64 of a SHA-256 digest (32 bytes)",
        ))
    }
}

/// The key's spec, if `algorithm` fits it: RSA keys sign with PSS or PKCS#1 v1.5, EC keys with
/// ECDSA.
fn check_signing(key: &Key, algorithm: SigningAlgorithm) -> Result<AsymmetricSpec> {
    let spec = key
        .key_spec
        .asymmetric()
        .ok_or(Error::Invariant("checked asymmetric before"))?;
    if signing_algorithms(spec).contains(&algorithm) {
        Ok(spec)
    } else {
        Err(Error::WrongKeyKind {
            action: SIGNING_ALGORITHMS
                .iter()
                .find(|(a, _)| *a == algorithm)
                .map_or("the algorithm", |(_, name)| name),
            spec: key.key_spec,
            usage: key.usage,
        })
    }
}
