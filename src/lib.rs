//! `byok-wrap`: generate key material and wrap it, or a private key, with a KMS's RSA wrapping
//! public key, on the customer's own machine, so that only the wrapped bytes travel to the KMS.
//!
//! This is the "encrypt the key material" step of bring-your-own-key import, in the format each
//! cloud names: Alibaba Cloud KMS and AWS KMS (`GetParametersForImport` → wrap →
//! `ImportKeyMaterial`) and Google Cloud KMS import jobs. RSAES-OAEP (RFC 8017 §7.1) alone, or of
//! an ephemeral AES-256 key followed by AES key wrap with padding (RFC 5649) or AES-ECB. Every
//! primitive comes from a maintained RustCrypto crate. It compiles natively and to WebAssembly; on
//! `wasm32` the `js` module is the npm package's API.
//!
//! ```
//! use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey, wrap};
//!
//! # let public_key_b64 = include_str!("../tests/data/spki_2048.b64");
//! // `PublicKey` from GetParametersForImport: base64 of a DER SubjectPublicKeyInfo.
//! let key = WrappingPublicKey::parse(public_key_b64.as_bytes())?;
//! let material = KeyMaterial::generate(KeySpec::AliyunAes256)?;
//! let wrapped = wrap(&key, WrappingAlgorithm::RsaesOaepSha256, &material)?;
//! let encrypted_key_material: String = wrapped.to_base64(); // for ImportKeyMaterial
//! assert_eq!(wrapped.as_bytes().len(), 256);
//! # Ok::<(), byok_wrap::Error>(())
//! ```

#![warn(missing_docs)]

mod check_value;
mod classify;
pub mod client;
pub mod error;
pub mod material;
mod pem;
pub mod private_key;
pub mod public_key;
pub mod sign;
pub mod spec;
mod wipe;
pub mod wrap;

#[cfg(target_arch = "wasm32")]
pub mod js;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: wipe::WipingAllocator = wipe::WipingAllocator;

pub use error::{Error, ExpectedLength, Result};
pub use material::{KeyMaterial, Material, MaterialShape};
pub use private_key::PrivateKeyMaterial;
pub use public_key::WrappingPublicKey;
pub use spec::{
    Cloud, KeySpec, MaterialKind, MaterialSpec, PrivateKeyType, WrappingAlgorithm, WrappingKeySpec,
};
pub use wrap::{
    ImportOptions, WrapOptions, WrappedKeyMaterial, check_before_wrapping, check_for_import, wrap,
    wrap_for_import, wrap_with,
};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
