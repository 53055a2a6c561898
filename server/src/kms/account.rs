//! Accounts and their access keys. Keys belong to accounts; a request acts as the account of the
//! access key that signed it.

use zeroize::Zeroizing;

/// An access key as stored: its secret sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The public half, `AccessKeyId`.
    pub id: String,
    /// The account it acts for.
    pub account_id: String,
    /// The `AccessKeySecret`, sealed with [`AccessKey::identity`].
    pub sealed_secret: Vec<u8>,
}

impl AccessKey {
    /// The associated data that binds a sealed secret to its access key id.
    pub fn identity(id: &str) -> Vec<u8> {
        format!("byok-kms access key v1\0{id}").into_bytes()
    }
}

/// An access key with its secret in the clear, as the signature check and the first start need it.
/// No `Debug`; the secret is wiped on drop.
#[derive(Clone)]
pub struct Credentials {
    /// The `AccessKeyId`.
    pub access_key_id: String,
    /// The account it acts for.
    pub account_id: String,
    /// The `AccessKeySecret`.
    pub secret: Zeroizing<String>,
}
