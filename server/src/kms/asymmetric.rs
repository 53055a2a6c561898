//! The calls of asymmetric keys: GetPublicKey, AsymmetricSign / AsymmetricVerify over a message
//! or its digest (of the algorithm's hash), AsymmetricEncrypt / AsymmetricDecrypt (RSA-OAEP).
//! Each behaves in every state as Encrypt does (the state table's Encrypt and Decrypt rows), and
//! each names the key's one `KeyVersionId` (`version.rs`).

use zeroize::Zeroizing;

use crate::crypto::asymmetric::{
    self, AsymmetricKey, AsymmetricSpec, EncryptionAlgorithm, SigningAlgorithm,
};
use crate::kms::Kms;
use crate::kms::error::{Argument, Error, Result};
use crate::kms::import::private_key::purpose;
use crate::kms::key::{Key, KeyUsage};
use crate::kms::policy::Policy;
use crate::kms::state::Action;
use crate::kms::version::check_version;
use crate::store::Store;

/// The signing algorithms by Alibaba's wire name (`Algorithm`): the SHA-256 ones its API
/// documents ([`Policy::ALIBABA`]).
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

/// The longest message a Sign or Verify request may give whole (AWS `MessageType` RAW).
pub const MAX_RAW_MESSAGE: usize = 4096;

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

/// What a signing request gives: the message itself, or its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedMessage<'a> {
    /// The message, at most [`MAX_RAW_MESSAGE`] bytes, hashed here with the algorithm's hash.
    Raw(&'a [u8]),
    /// Its digest, of the algorithm's hash (AWS `MessageType` DIGEST; Alibaba's `Digest`).
    Digest(&'a [u8]),
}

impl SignedMessage<'_> {
    /// The digest `algorithm` signs: the message's, or the one given if it has the hash's
    /// length.
    pub fn digest(self, algorithm: SigningAlgorithm) -> Result<Vec<u8>> {
        let hash = algorithm.hash();
        match self {
            Self::Raw(message) if message.len() > MAX_RAW_MESSAGE => Err(Error::invalid(
                Argument::Digest,
                format!(
                    "a message is at most {MAX_RAW_MESSAGE} bytes; sign a longer one by its \
                     digest (MessageType DIGEST)"
                ),
            )),
            Self::Raw(message) => Ok(hash.digest(message)),
            Self::Digest(digest) if digest.len() == hash.digest_len() => Ok(digest.to_vec()),
            Self::Digest(_) => Err(Error::invalid(
                Argument::Digest,
                format!(
                    "must be the base64 of a {} digest ({} bytes) for this signing algorithm",
                    hash.name(),
                    hash.digest_len()
                ),
            )),
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

    /// `AsymmetricSign` as Alibaba has it: a signature over `digest`, by a SIGN/VERIFY key.
    pub fn asymmetric_sign(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        digest: &[u8],
    ) -> Result<Versioned<Vec<u8>>> {
        let message = SignedMessage::Digest(digest);
        self.asymmetric_sign_under(
            &Policy::ALIBABA,
            account_id,
            key_ref,
            version,
            algorithm,
            message,
        )
    }

    /// `AsymmetricSign` (AWS `Sign`) under a cloud's `policy`: a signature by a SIGN/VERIFY key
    /// with one of the cloud's algorithms that fits the key's spec.
    pub fn asymmetric_sign_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        message: SignedMessage<'_>,
    ) -> Result<Versioned<Vec<u8>>> {
        let (key, private, digest) = self.signing_key(
            policy,
            account_id,
            key_ref,
            version,
            algorithm,
            message,
            Action::Encrypt,
        )?;
        let signature = private
            .sign_digest(algorithm, &digest)
            .ok_or(Error::Invariant("a checked key and digest did not sign"))?;
        Ok(versioned(&key, signature))
    }

    /// `AsymmetricVerify` as Alibaba has it: whether `signature` is the key's over `digest`.
    pub fn asymmetric_verify(
        &self,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<Versioned<bool>> {
        let message = SignedMessage::Digest(digest);
        self.asymmetric_verify_under(
            &Policy::ALIBABA,
            account_id,
            key_ref,
            version,
            algorithm,
            message,
            signature,
        )
    }

    /// `AsymmetricVerify` (AWS `Verify`) under a cloud's `policy`.
    #[allow(clippy::too_many_arguments)] // the call's own members, each its own type
    pub fn asymmetric_verify_under(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        message: SignedMessage<'_>,
        signature: &[u8],
    ) -> Result<Versioned<bool>> {
        let (key, private, digest) = self.signing_key(
            policy,
            account_id,
            key_ref,
            version,
            algorithm,
            message,
            Action::Decrypt,
        )?;
        let public = private.public_key_der()?;
        let valid =
            asymmetric::verify_digest(private.spec(), &public, algorithm, &digest, signature);
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

    /// The SIGN/VERIFY key of a signing call, checked for `algorithm`, and the digest to sign.
    #[allow(clippy::too_many_arguments)] // as asymmetric_verify_under
    fn signing_key(
        &self,
        policy: &Policy,
        account_id: &str,
        key_ref: &str,
        version: &str,
        algorithm: SigningAlgorithm,
        message: SignedMessage<'_>,
        action: Action,
    ) -> Result<(Key, AsymmetricKey, Vec<u8>)> {
        // A message is hashed (and one too long refused) before any key is read; a digest's
        // length is checked once the algorithm is known to fit the key.
        let hashed = match message {
            SignedMessage::Raw(_) => Some(message.digest(algorithm)?),
            SignedMessage::Digest(_) => None,
        };
        let usage = Some(KeyUsage::SignVerify);
        let (key, private) = self.asymmetric_key(account_id, key_ref, version, usage, action)?;
        check_signing(policy, &key, algorithm)?;
        let digest = match hashed {
            Some(digest) => digest,
            None => message.digest(algorithm)?,
        };
        Ok((key, private, digest))
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

fn action_name(usage: Option<KeyUsage>, action: Action) -> &'static str {
    match (usage, action) {
        (Some(KeyUsage::SignVerify), _) => "AsymmetricSign/AsymmetricVerify",
        (Some(KeyUsage::EncryptDecrypt), _) => "AsymmetricEncrypt/AsymmetricDecrypt",
        (Some(KeyUsage::GenerateVerifyMac), _) => "GenerateMac/VerifyMac",
        (None, _) => "GetPublicKey",
    }
}

/// Whether `algorithm` is one of the cloud's and fits the key's spec: RSA keys sign with PSS or
/// PKCS#1 v1.5, EC keys with ECDSA and their curve's hash.
fn check_signing(policy: &Policy, key: &Key, algorithm: SigningAlgorithm) -> Result<()> {
    let spec = key
        .key_spec
        .asymmetric()
        .ok_or(Error::Invariant("checked asymmetric before"))?;
    if policy.signing_algorithms_of(spec).contains(&algorithm) {
        Ok(())
    } else {
        Err(Error::SigningAlgorithmNotForKey {
            algorithm,
            spec: key.key_spec,
        })
    }
}
