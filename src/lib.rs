//! `byok-wrap`: generate symmetric key material and wrap it with a KMS's RSA wrapping public key,
//! on the customer's own machine, so that only the wrapped bytes travel to the KMS.
//!
//! This is the "encrypt the key material" step of bring-your-own-key import (Alibaba Cloud KMS
//! `GetParametersForImport` → wrap → `ImportKeyMaterial`), done with RSAES-OAEP (RFC 8017 §7.1).
//! It compiles natively and to WebAssembly; on `wasm32` the [`js`] module is the npm package's API.
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

pub mod base64;
mod check_value;
pub mod error;
pub mod material;
mod padding;
pub mod public_key;
mod rsa;
pub mod sign;
pub mod spec;
pub mod wrap;

#[cfg(target_arch = "wasm32")]
pub mod js;

pub use error::{Error, ExpectedLength, Result};
pub use material::KeyMaterial;
pub use public_key::WrappingPublicKey;
pub use spec::{KeySpec, WrappingAlgorithm, WrappingKeySpec};
pub use wrap::{WrapOptions, WrappedKeyMaterial, check_before_wrapping, wrap, wrap_with};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
